/**
 * The EIP-7702 delegate on the in-process chain (Prague rules or later): a beneficiary's EOA delegates to it and
 * cashes cheques of many chequebooks in one transaction as itself. Every revert path, and the property that one
 * bad or hostile item cannot sink the batch or take value.
 */
import { expect } from "chai";
import { VoidSigner, ZeroAddress } from "ethers";

import { delegateAccount, delegationOf } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { FAST, UNIT, batchFixture } from "./helpers.js";

const { loadFixture } = networkHelpers;
const GAS = 200_000n;

async function fixture() {
  return batchFixture(4);
}

describe("CashoutDelegate (EIP-7702)", function () {
  it("runs on a chain with the Prague rules: the account's code is the delegation designator", async function () {
    const f = await loadFixture(fixture);
    const code = await ethers.provider.getCode(f.wallet.address);
    expect(code.toLowerCase()).to.equal(`0xef0100${(await f.delegate.getAddress()).slice(2).toLowerCase()}`);
    expect(await delegationOf(ethers.provider, f.wallet.address)).to.deep.equal({ delegate: await f.delegate.getAddress(), contract: false });
    expect(await delegationOf(ethers.provider, f.issuer.address)).to.deep.equal({ contract: false });
    expect(await delegationOf(ethers.provider, await f.delegate.getAddress())).to.deep.equal({ contract: true });
  });

  it("cashes every chequebook of a batch as the beneficiary, in one transaction", async function () {
    const f = await loadFixture(fixture);
    const me = f.wallet.address;
    const items = await Promise.all(
      f.books.map(async (b, i) => {
        const chequebook = await b.getAddress();
        const amount = BigInt(i + 1) * UNIT;
        return { chequebook, cumulativePayout: amount, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, chequebook, me, amount) };
      }),
    );
    const executor = f.delegate.attach(me) as typeof f.delegate;
    const receipt = await (await executor.connect(f.wallet).cashChequesBeneficiary(items, { gasLimit: 2_000_000n })).wait();
    expect(await f.token.balanceOf(me)).to.equal(10n * UNIT);
    for (const [i, b] of f.books.entries()) {
      expect(await b.paidOut(me)).to.equal(BigInt(i + 1) * UNIT);
    }
    const cashed = receipt!.logs.map((l) => f.books[0]!.interface.parseLog(l)).filter((p) => p?.name === "ChequeCashed");
    expect(cashed.map((p) => p!.args.caller)).to.deep.equal([me, me, me, me]);
  });

  it("reverts when anyone but the account itself calls it, a chequebook calling back among them", async function () {
    const f = await loadFixture(fixture);
    const executor = f.delegate.attach(f.wallet.address) as typeof f.delegate;
    await expect(executor.connect(f.other).cashChequesBeneficiary([]))
      .to.be.revertedWithCustomError(f.delegate, "CashoutDelegateUnauthorized")
      .withArgs(f.other.address);
    // The contract itself, undelegated, refuses everyone too.
    await expect(f.delegate.connect(f.other).cashChequesBeneficiary([]))
      .to.be.revertedWithCustomError(f.delegate, "CashoutDelegateUnauthorized")
      .withArgs(f.other.address);
  });

  it("reports bad items by event and pays the good ones: forged, already cashed, no liquidity, no code", async function () {
    const f = await loadFixture(fixture);
    const me = f.wallet.address;
    const [a, b, c, d] = await Promise.all(f.books.map((x) => x.getAddress()));
    // c is drained: nothing liquid.
    await f.books[2]!.connect(f.issuer).withdraw(100n * UNIT);
    // b was cashed up to 5 already.
    await (await (f.delegate.attach(me) as typeof f.delegate).connect(f.wallet).cashChequesBeneficiary([
      { chequebook: b!, cumulativePayout: 5n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, b!, me, 5n * UNIT) },
    ], { gasLimit: 1_000_000n })).wait();
    const items = [
      { chequebook: a!, cumulativePayout: 3n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.other, a!, me, 3n * UNIT) }, // forged
      { chequebook: b!, cumulativePayout: 5n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, b!, me, 5n * UNIT) }, // already cashed
      { chequebook: c!, cumulativePayout: 7n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, c!, me, 7n * UNIT) }, // no liquidity
      { chequebook: f.other.address, cumulativePayout: 1n, gasLimit: GAS, issuerSig: "0x" }, // no code: a call that does nothing
      { chequebook: d!, cumulativePayout: 9n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, d!, me, 9n * UNIT) }, // good
    ];
    const before = await f.token.balanceOf(me);
    const tx = (f.delegate.attach(me) as typeof f.delegate).connect(f.wallet).cashChequesBeneficiary(items, { gasLimit: 2_000_000n });
    const book = f.books[0]!;
    await expect(tx).to.emit(f.delegate.attach(me), "CashoutItemFailed").withArgs(0n, a, book.interface.encodeErrorResult("ChequebookInvalidIssuerSignature", []));
    const receipt = await ethers.provider.getTransactionReceipt((await tx).hash);
    const failed = receipt!.logs.flatMap((l) => {
      const p = f.delegate.interface.parseLog(l);
      return p?.name === "CashoutItemFailed" ? [[Number(p.args.index), p.args.reason as string]] : [];
    });
    expect(failed).to.deep.equal([
      [0, book.interface.encodeErrorResult("ChequebookInvalidIssuerSignature", [])],
      [1, book.interface.encodeErrorResult("ChequebookChequeAlreadyCashed", [5n * UNIT, 5n * UNIT])],
      [2, book.interface.encodeErrorResult("ChequebookNoLiquidity", [7n * UNIT])],
    ]);
    expect((await f.token.balanceOf(me)) - before).to.equal(9n * UNIT);
  });

  it("gives no item less than its cap: an item the gas left cannot cover is reported, not run short", async function () {
    const f = await loadFixture(fixture);
    const me = f.wallet.address;
    const a = await f.books[0]!.getAddress();
    const executor = f.delegate.attach(me) as typeof f.delegate;
    const items = [{ chequebook: a, cumulativePayout: UNIT, gasLimit: 5_000_000n, issuerSig: await f.cheque(f.issuer, a, me, UNIT) }];
    const receipt = await (await executor.connect(f.wallet).cashChequesBeneficiary(items, { gasLimit: 1_000_000n })).wait();
    const [log] = receipt!.logs.map((l) => f.delegate.interface.parseLog(l));
    expect(log!.name).to.equal("CashoutItemFailed");
    const inner = f.delegate.interface.parseError(log!.args.reason);
    expect(inner!.name).to.equal("CashoutBatchItemGasTooLow");
    expect(inner!.args.needed).to.equal(5_000_000n + 5_000_000n / 63n + 5_000n);
    expect(await f.books[0]!.paidOut(me)).to.equal(0n);
  });

  for (const [mode, name] of [[0, "burns all its gas"], [1, "reverts with 10 kB"], [2, "calls the account back"], [3, "pulls the account's tokens"]] as const) {
    it(`survives a hostile chequebook that ${name}: the others are paid, nothing is taken`, async function () {
      const f = await loadFixture(fixture);
      const me = f.wallet.address;
      const hostile = await ethers.deployContract("HostileChequebook", [await f.token.getAddress()]);
      const hostileAddress = await hostile.getAddress();
      const executor = f.delegate.attach(me) as typeof f.delegate;
      await f.token.mint(me, 50n * UNIT);
      // The account has approved nothing; a callback tries to run a batch of its own into the hostile book.
      const callback = f.delegate.interface.encodeFunctionData("cashChequesBeneficiary", [[{ chequebook: hostileAddress, cumulativePayout: 1n, gasLimit: 50_000n, issuerSig: "0x" }]]);
      await hostile.arm(mode, ethers.MaxUint256, callback);
      const [a, b] = [await f.books[0]!.getAddress(), await f.books[1]!.getAddress()];
      const items = [
        { chequebook: a, cumulativePayout: 2n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, a, me, 2n * UNIT) },
        { chequebook: hostileAddress, cumulativePayout: UNIT, gasLimit: 300_000n, issuerSig: "0x" },
        { chequebook: b, cumulativePayout: 3n * UNIT, gasLimit: GAS, issuerSig: await f.cheque(f.issuer, b, me, 3n * UNIT) },
      ];
      const receipt = await (await executor.connect(f.wallet).cashChequesBeneficiary(items, { gasLimit: 2_000_000n })).wait();
      expect(await f.token.balanceOf(me)).to.equal(55n * UNIT);
      expect(await f.token.balanceOf(hostileAddress)).to.equal(0n);
      expect(await hostile.callbackSucceeded()).to.equal(false);
      const failed = receipt!.logs.flatMap((l) => (f.delegate.interface.parseLog(l)?.name === "CashoutItemFailed" ? [l] : []));
      // The call back fails inside the hostile book, which swallows it and returns: the item itself "succeeds" with nothing paid.
      expect(failed.length).to.equal(mode === 2 ? 0 : 1);
      if (mode === 1) expect(ethers.dataLength(f.delegate.interface.parseLog(failed[0]!)!.args.reason)).to.equal(132);
      expect(receipt!.gasUsed).to.be.lessThan(600_000n);
    });
  }

  it("still accepts plain ether while delegated, and can be undelegated", async function () {
    const f = await loadFixture(fixture);
    await (await f.other.sendTransaction({ to: f.wallet.address, value: 1n })).wait();
    await delegateAccount({ signer: f.wallet, delegate: ZeroAddress, tx: FAST });
    expect(await ethers.provider.getCode(f.wallet.address)).to.equal("0x");
  });

  it("refuses to delegate with a signer that cannot sign an authorisation", async function () {
    const f = await loadFixture(fixture);
    const { rejection } = await import("../sdk/helpers.js");
    const e = await rejection(() => delegateAccount({ signer: new VoidSigner(f.other.address, ethers.provider), delegate: ZeroAddress, tx: FAST }));
    expect(e.code).to.equal("BATCH_UNSUPPORTED");
  });
});
