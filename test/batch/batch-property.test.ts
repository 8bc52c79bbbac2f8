/**
 * The money property of a batch, for random mixes of items: the beneficiary receives exactly the sum over the good
 * items of min(uncashed, liquid), each chequebook pays it exactly that, bad items pay nothing, and a second batch
 * over the same store pays nothing more (nothing is paid twice).
 */
import { expect } from "chai";
import fc from "fast-check";

import { BatchCasher, MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { FAST, UNIT, batchFixture } from "./helpers.js";

const KINDS = ["good", "forged", "fullyCashed", "noneHeld"] as const;

describe("BatchCasher property: what is paid", function () {
  this.timeout(300_000);

  it("pays sum(min(uncashed, liquid)) over good items, nothing for bad ones, nothing twice", async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.constantFrom(...KINDS),
            prior: fc.bigInt({ min: 0n, max: 50n }), // cashed before
            extra: fc.bigInt({ min: 1n, max: 120n }), // held above what was cashed
            liquid: fc.bigInt({ min: 0n, max: 100n }), // left liquid after the prior cash-out (capped by what is there)
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (items) => {
          const f = await networkHelpers.loadFixture(fixture);
          const me = f.wallet.address;
          const store = new MemoryChequeStore();
          const books = await Promise.all(f.books.map((b) => b.getAddress()));
          let expected = 0n;
          for (const [i, item] of items.entries()) {
            const book = f.books[i]!;
            const prior = item.kind === "fullyCashed" ? item.prior + 1n : item.prior;
            if (prior > 0n) await (await book.connect(f.beneficiarySigner).cashChequeBeneficiary(me, prior * UNIT, await f.cheque(f.issuer, books[i]!, me, prior * UNIT))).wait();
            const there = 100n - prior;
            const liquid = item.liquid < there ? item.liquid : there;
            if (there > liquid) await (await book.connect(f.issuer).withdraw((there - liquid) * UNIT)).wait();
            const held = item.kind === "fullyCashed" ? prior : prior + item.extra;
            if (item.kind !== "noneHeld") {
              const signer = item.kind === "forged" ? f.other : f.issuer;
              await store.putReceived(await signCheque({ signer, chequebook: books[i]!, beneficiary: me, cumulativePayout: held * UNIT, chainId: f.chainId }));
            }
            if (item.kind === "good") expected += (item.extra < liquid ? item.extra : liquid) * UNIT;
          }
          const before = await f.token.balanceOf(me);
          const paidBefore = await Promise.all(f.books.map((b) => b.paidOut(me)));
          const batch = new BatchCasher({ signer: f.wallet, store, delegate: await f.delegate.getAddress(), gasCostInToken: () => 0n, tx: FAST });
          const targets = books.slice(0, items.length);
          const reports = await batch.cashOut(targets);
          const received = (await f.token.balanceOf(me)) - before;
          expect(received).to.equal(expected);
          expect(reports.reduce((sum, r) => sum + r.paid, 0n)).to.equal(expected);
          for (const [i, item] of items.entries()) {
            const paid = (await f.books[i]!.paidOut(me)) - paidBefore[i]!;
            expect(paid, `item ${i} (${item.kind})`).to.equal(reports[i]!.paid);
            if (item.kind !== "good") expect(reports[i]!.status).to.equal("skipped");
          }
          const again = await batch.cashOut(targets);
          expect(again.reduce((sum, r) => sum + r.paid, 0n)).to.equal(0n);
          expect((await f.token.balanceOf(me)) - before).to.equal(expected);
        },
      ),
      { numRuns: 30, seed: 1402 },
    );
  });
});

async function fixture() {
  return batchFixture(6);
}
