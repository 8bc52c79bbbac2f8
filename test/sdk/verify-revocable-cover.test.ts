/**
 * Review of issue 9, point 5: `cover.coveredUntil` is a promise ("cash out before then"). A cheque whose signature
 * holds only through ERC-1271 can be revoked at any block, so under hard-deposit with revocableIssuer "cash-now"
 * it must promise nothing beyond the moment of the check. Property: no accepted cheque reports a guarantee that the
 * issuer can take back.
 */
import { expect } from "chai";

import { MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture, verifierFor } from "./helpers.js";

async function revocableFixture() {
  const f = await sdkFixture();
  const wallet = await ethers.deployContract("MaliciousERC1271Wallet");
  await wallet.setMode(4); // ApprovesAll, until it changes its mind
  const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress(), 2n * 86_400n);
  const address = await book.getAddress();
  await f.token.mint(address, 100n * UNIT);
  await wallet.execute(address, book.interface.encodeFunctionData("increaseHardDeposit", [f.beneficiary.address, 50n * UNIT]));
  return { ...f, wallet, book, bookAddress: address };
}

describe("SDK solvency: a revocable signature is covered for no time", function () {
  it("reports coveredUntil 0 for an ERC-1271 cheque accepted under hard-deposit with cash-now; the wallet then revokes", async function () {
    const f = await networkHelpers.loadFixture(revocableFixture);
    const cheque = await signCheque({ signer: f.other, chequebook: f.bookAddress, beneficiary: f.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: f.chainId });
    const r = await verifierFor(f, new MemoryChequeStore(), { solvency: { policy: "hard-deposit", revocableIssuer: "cash-now" } }).verify(cheque);
    expect(r.cashNow).to.equal(true);
    expect(r.cover.issuerCanRevoke).to.equal(true);
    expect(r.cover.coveredUntil, "a revocable cheque must not promise cover until a later time").to.equal(0n);
    // Why: one call later, with the hard deposit untouched, the cheque is worthless.
    await f.wallet.setMode(0);
    await expect(f.book.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, cheque.cumulativePayout, cheque.signature)).to.be.revertedWithCustomError(
      f.book,
      "ChequebookInvalidIssuerSignature",
    );
  });
});
