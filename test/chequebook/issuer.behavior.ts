/**
 * What every chequebook must do whatever kind of issuer it has: an EOA, or a smart-contract wallet checked
 * through ERC-1271. Each variant supplies a fixture that says how its issuer signs and sends.
 */
import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import { networkHelpers } from "../helpers/setup.js";
import { signCashout, signCheque } from "../helpers/signing.js";
import { UNIT } from "../helpers/fixtures.js";

export interface IssuerContext {
  chequebook: any;
  token: any;
  address: string;
  chainId: bigint;
  issuerAddress: string;
  beneficiary: HardhatEthersSigner;
  caller: HardhatEthersSigner;
  recipient: HardhatEthersSigner;
  other: HardhatEthersSigner;
  /** The issuer's signature on a cheque, in the way this kind of issuer signs. */
  signAsIssuer(args: { chequebook: string; beneficiary: string; cumulativePayout: bigint; chainId: bigint }): Promise<string>;
  /** Sends `data` to the chequebook as the issuer. */
  sendAsIssuer(data: string): Promise<ContractTransactionResponse>;
}

export function shouldBehaveLikeAChequebook(fixture: () => Promise<IssuerContext>) {
  async function cheque(ctx: IssuerContext, cumulativePayout: bigint, beneficiary = ctx.beneficiary.address) {
    return ctx.signAsIssuer({ chequebook: ctx.address, beneficiary, cumulativePayout, chainId: ctx.chainId });
  }

  it("reports its issuer", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    expect(await ctx.chequebook.issuer()).to.equal(ctx.issuerAddress);
  });

  it("pays a cheque to the beneficiary's recipient and records it", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const sig = await cheque(ctx, 10n * UNIT);
    await expect(ctx.chequebook.connect(ctx.beneficiary).cashChequeBeneficiary(ctx.recipient.address, 10n * UNIT, sig))
      .to.emit(ctx.chequebook, "ChequeCashed")
      .withArgs(ctx.beneficiary.address, ctx.recipient.address, ctx.beneficiary.address, 10n * UNIT, 10n * UNIT, 0n)
      .and.to.not.emit(ctx.chequebook, "ChequeBounced");
    expect(await ctx.token.balanceOf(ctx.recipient.address)).to.equal(10n * UNIT);
    expect(await ctx.chequebook.paidOut(ctx.beneficiary.address)).to.equal(10n * UNIT);
    expect(await ctx.chequebook.totalPaidOut()).to.equal(10n * UNIT);
    expect(await ctx.chequebook.balance()).to.equal(990n * UNIT);
  });

  it("pays only the increment of a later cumulative cheque", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const bee = ctx.chequebook.connect(ctx.beneficiary);
    await bee.cashChequeBeneficiary(ctx.beneficiary.address, 10n * UNIT, await cheque(ctx, 10n * UNIT));
    await expect(bee.cashChequeBeneficiary(ctx.beneficiary.address, 25n * UNIT, await cheque(ctx, 25n * UNIT)))
      .to.emit(ctx.chequebook, "ChequeCashed")
      .withArgs(ctx.beneficiary.address, ctx.beneficiary.address, ctx.beneficiary.address, 15n * UNIT, 25n * UNIT, 0n);
    expect(await ctx.token.balanceOf(ctx.beneficiary.address)).to.equal(25n * UNIT);
  });

  it("rejects a cheque signed by anyone but the issuer", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const forged = await signCheque(ctx.other, {
      chequebook: ctx.address,
      beneficiary: ctx.beneficiary.address,
      cumulativePayout: 10n * UNIT,
      chainId: ctx.chainId,
    });
    await expect(
      ctx.chequebook.connect(ctx.beneficiary).cashChequeBeneficiary(ctx.beneficiary.address, 10n * UNIT, forged),
    ).to.be.revertedWithCustomError(ctx.chequebook, "ChequebookInvalidIssuerSignature");
  });

  describe("a signature tampered in one field", function () {
    const cases: Array<[string, (ctx: IssuerContext) => { chequebook: string; beneficiary: string; cumulativePayout: bigint; chainId: bigint }]> = [
      ["chain id", (ctx) => ({ chequebook: ctx.address, beneficiary: ctx.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: ctx.chainId + 1n })],
      ["chequebook", (ctx) => ({ chequebook: ctx.other.address, beneficiary: ctx.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: ctx.chainId })],
      ["beneficiary", (ctx) => ({ chequebook: ctx.address, beneficiary: ctx.other.address, cumulativePayout: 10n * UNIT, chainId: ctx.chainId })],
      ["amount", (ctx) => ({ chequebook: ctx.address, beneficiary: ctx.beneficiary.address, cumulativePayout: 11n * UNIT, chainId: ctx.chainId })],
    ];
    for (const [field, signed] of cases) {
      it(`is rejected when the ${field} differs`, async function () {
        const ctx = await networkHelpers.loadFixture(fixture);
        const sig = await ctx.signAsIssuer(signed(ctx));
        await expect(
          ctx.chequebook.connect(ctx.beneficiary).cashChequeBeneficiary(ctx.beneficiary.address, 10n * UNIT, sig),
        ).to.be.revertedWithCustomError(ctx.chequebook, "ChequebookInvalidIssuerSignature");
      });
    }
  });

  it("lets a third party cash with the beneficiary's Cashout and pays its fee", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const issuerSig = await cheque(ctx, 20n * UNIT);
    const beneficiarySig = await signCashout(ctx.beneficiary, {
      chequebook: ctx.address,
      sender: ctx.caller.address,
      requestPayout: 20n * UNIT,
      recipient: ctx.recipient.address,
      callerPayout: UNIT,
      chainId: ctx.chainId,
    });
    await expect(
      ctx.chequebook
        .connect(ctx.caller)
        .cashCheque(ctx.beneficiary.address, ctx.recipient.address, 20n * UNIT, beneficiarySig, UNIT, issuerSig),
    )
      .to.emit(ctx.chequebook, "ChequeCashed")
      .withArgs(ctx.beneficiary.address, ctx.recipient.address, ctx.caller.address, 20n * UNIT, 20n * UNIT, UNIT);
    expect(await ctx.token.balanceOf(ctx.caller.address)).to.equal(UNIT);
    expect(await ctx.token.balanceOf(ctx.recipient.address)).to.equal(19n * UNIT);
  });

  it("lets the issuer withdraw liquid funds", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const data = ctx.chequebook.interface.encodeFunctionData("withdraw", [100n * UNIT]);
    await expect(ctx.sendAsIssuer(data)).to.emit(ctx.chequebook, "Withdraw").withArgs(100n * UNIT);
    expect(await ctx.token.balanceOf(ctx.issuerAddress)).to.equal(100n * UNIT);
  });

  it("refuses withdrawals by anyone else", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    await expect(ctx.chequebook.connect(ctx.other).withdraw(1n))
      .to.be.revertedWithCustomError(ctx.chequebook, "ChequebookUnauthorized")
      .withArgs(ctx.other.address);
  });

  it("lets the issuer reserve a hard deposit that a cheque then draws on first", async function () {
    const ctx = await networkHelpers.loadFixture(fixture);
    const data = ctx.chequebook.interface.encodeFunctionData("increaseHardDeposit", [ctx.beneficiary.address, 50n * UNIT]);
    await expect(ctx.sendAsIssuer(data))
      .to.emit(ctx.chequebook, "HardDepositAmountChanged")
      .withArgs(ctx.beneficiary.address, 50n * UNIT);
    await ctx.chequebook
      .connect(ctx.beneficiary)
      .cashChequeBeneficiary(ctx.beneficiary.address, 30n * UNIT, await cheque(ctx, 30n * UNIT));
    expect((await ctx.chequebook.hardDeposits(ctx.beneficiary.address)).amount).to.equal(20n * UNIT);
    expect(await ctx.chequebook.totalHardDeposit()).to.equal(20n * UNIT);
  });
}
