/**
 * sequentialCashout: the one-transaction-per-chequebook executor (the fallback where batches are not available)
 * reports paid, bounced and skipped items in order, and a bad item never stops the others.
 */
import { expect } from "chai";

import { ChequeCasher, MemoryChequeStore, sequentialCashout, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { FAST, UNIT, batchFixture } from "./helpers.js";

async function fixture() {
  return batchFixture(5);
}

describe("sequentialCashout", function () {
  it("reports paid, bounced and skipped items in order, one transaction each, and pays only what is owed", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    // A beneficiary that is a plain EOA (not delegated): the sequential executor needs nothing from the account.
    const [, , , , , , , bee] = await ethers.getSigners();
    const me = bee!.address;
    const books = await Promise.all(f.books.map((b) => b.getAddress()));
    const store = new MemoryChequeStore();
    const hold = (i: number, amount: bigint, signer = f.issuer) => signCheque({ signer, chequebook: books[i]!, beneficiary: me, cumulativePayout: amount, chainId: f.chainId }).then((c) => store.putReceived(c));
    await hold(0, 10n * UNIT); // paid
    await hold(1, 150n * UNIT); // bounces: 100 there
    await hold(2, 7n * UNIT, f.other); // forged
    await (await f.books[3]!.connect(f.issuer).withdraw(100n * UNIT)).wait();
    await hold(3, 4n * UNIT); // nothing liquid
    // books[4]: nothing held
    const executor = sequentialCashout(new ChequeCasher({ signer: bee!, store, gasCostInToken: () => 0n, tx: FAST }));
    const progress: string[] = [];
    const reports = await executor.cashOut(books, { onProgress: (r) => progress.push(r.status) });
    expect(reports.map((r) => [r.chequebook, r.beneficiary, r.status, r.code ?? "", r.paid, r.cumulativePayout])).to.deep.equal([
      [books[0], me, "paid", "", 10n * UNIT, 10n * UNIT],
      [books[1], me, "bounced", "", 100n * UNIT, 150n * UNIT],
      [books[2], me, "skipped", "CONTRACT_REVERT", 0n, 7n * UNIT],
      [books[3], me, "skipped", "NOTHING_TO_CASH", 0n, 4n * UNIT],
      [books[4], me, "skipped", "NOTHING_TO_CASH", 0n, 0n],
    ]);
    expect(progress).to.deep.equal(["paid", "bounced", "skipped", "skipped", "skipped"]);
    expect(reports[0]!.txHash).to.be.a("string").and.not.equal(reports[1]!.txHash);
    expect(await f.token.balanceOf(me)).to.equal(110n * UNIT);
    // Again: nothing more is paid.
    const again = await executor.cashOut(books.slice(0, 2));
    expect(again.map((r) => [r.status, r.code])).to.deep.equal([["skipped", "NOTHING_TO_CASH"], ["skipped", "NOTHING_TO_CASH"]]);
  });

  it("skips an unprofitable item unless forced, and a malformed address without stopping", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const [, , , , , , , bee] = await ethers.getSigners();
    const store = new MemoryChequeStore();
    const book = await f.books[0]!.getAddress();
    await store.putReceived(await signCheque({ signer: f.issuer, chequebook: book, beneficiary: bee!.address, cumulativePayout: UNIT, chainId: f.chainId }));
    const dear = new ChequeCasher({ signer: bee!, store, gasCostInToken: () => 1000n * UNIT, tx: FAST });
    const reports = await sequentialCashout(dear).cashOut(["0xnope", book]);
    expect(reports.map((r) => [r.status, r.code])).to.deep.equal([["skipped", "INVALID_ARGUMENT"], ["skipped", "UNPROFITABLE_CASHOUT"]]);
    const [forced] = await sequentialCashout(dear, { force: true }).cashOut([book]);
    expect([forced!.status, forced!.paid]).to.deep.equal(["paid", UNIT]);
  });
});
