/**
 * BatchCasher on a PostgreSQL store shared by several processes (two stores on one database here, each with its own
 * pools: what two processes have): a batch takes the cross-process cash-out lock of every (chequebook, beneficiary)
 * it cashes, the one a single cash-out in another process holds, so one cheque is never cashed by two processes at
 * once (twice the gas, two transactions racing for one nonce, one pending-transaction row for both).
 */
import { expect } from "chai";

import { BatchCasher, PostgresChequeStore, signCheque } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { rejection } from "../sdk/helpers.js";
import { freshDatabase } from "../sdk/postgres-server.js";
import { FAST, UNIT, batchFixture } from "./helpers.js";

const twoBooks = () => batchFixture(2);

describe("BatchCasher on a shared PostgreSQL store", function () {
  this.timeout(120_000);

  it("waits for the cross-process cash-out lock another process holds, and sends nothing while it is held", async function () {
    const f = await networkHelpers.loadFixture(twoBooks);
    const me = f.wallet.address;
    const books = await Promise.all(f.books.map((b) => b.getAddress()));
    const url = await freshDatabase("batch_lock");
    const other = await PostgresChequeStore.open(url);
    const store = await PostgresChequeStore.open(url, { lockTimeoutMs: 200 });
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    try {
      for (const book of books) {
        await store.putReceived(await signCheque({ signer: f.issuer, chequebook: book, beneficiary: me, cumulativePayout: 10n * UNIT, chainId: f.chainId }));
      }
      // Another process is cashing the second chequebook's cheque: it holds the lock a ChequeCasher takes.
      const held = other.exclusive(`cashout:${books[1]}:${me}`.toLowerCase(), () => new Promise<void>((r) => ((release = r), entered())));
      await inside;
      const batch = new BatchCasher({ signer: f.wallet, store, delegate: await f.delegate.getAddress(), gasCostInToken: () => 0n, tx: FAST });
      const nonce = await f.wallet.getNonce();
      const e = await rejection(() => batch.cashOut(books));
      expect(e.code).to.equal("STORE_BUSY");
      expect(await f.wallet.getNonce(), "nothing was sent").to.equal(nonce);
      expect(await f.token.balanceOf(me)).to.equal(0n);
      expect(await store.listCashouts()).to.deep.equal([]);
      release();
      await held;
      // Once the other process is done, the batch runs.
      const reports = await batch.cashOut(books);
      expect(reports.map((r) => r.status)).to.deep.equal(["paid", "paid"]);
      expect(await f.token.balanceOf(me)).to.equal(20n * UNIT);
    } finally {
      release?.();
      await Promise.all([other.close(), store.close()]);
    }
  });
});
