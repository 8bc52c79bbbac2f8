/**
 * The PostgreSQL stores on a real server: the shared behaviour of every cheque store, migrations, group commit,
 * the cross-process lock, the ledger's refusal of lost updates, and what a hostile writer sharing the database
 * cannot do.
 */
import { expect } from "chai";
import fc from "fast-check";
import pg from "pg";

import { PostgresChequeStore, PostgresLedgerStore, emptyLedger, isChequeError, openChequeStore, openLedgerStore } from "../../sdk/index.js";
import { BOOK_A, PEER_1, cheque, shouldBehaveLikeAChequeStore } from "./store.behavior.js";
import { freshDatabase } from "./postgres-server.js";

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe("SDK PostgreSQL stores", function () {
  this.timeout(60_000);

  describe("PostgresChequeStore", function () {
    shouldBehaveLikeAChequeStore(async () => PostgresChequeStore.open(await freshDatabase("behaviour")));
  });

  describe("schema and durability", function () {
    let url: string;
    before(async function () {
      url = await freshDatabase("schema");
    });

    it("migrates on open, once, and keeps everything across a reopen", async function () {
      const first = await PostgresChequeStore.open(url);
      const c = await cheque(BOOK_A, PEER_1, 42n);
      await Promise.all([first.putReceived(c, 7), first.putIssued(c, 8), first.putMeta("watch:cursor", "123")]);
      await first.close();
      // Two openers at once: the migration runs under a lock, so neither fails.
      const [second, third] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
      expect(await second.getReceived(BOOK_A, PEER_1)).to.deep.equal({ cheque: c, receivedAt: 7 });
      expect(await third.getIssued(BOOK_A, PEER_1)).to.deep.equal({ cheque: c, issuedAt: 8 });
      expect(await second.totalIssued(BOOK_A)).to.equal(42n);
      expect(await third.getMeta("watch:cursor")).to.equal("123");
      await Promise.all([second.close(), third.close()]);
      expect(await sql(url, "SELECT version FROM swap_schema ORDER BY version")).to.deep.equal([{ version: 1 }, { version: 2 }, { version: 3 }]);
    });

    it("refuses a database migrated by newer code with STORE_SCHEMA_NEWER, changing nothing", async function () {
      const newer = await freshDatabase("newer");
      await (await PostgresChequeStore.open(newer)).close();
      await sql(newer, "INSERT INTO swap_schema (version) VALUES (4)");
      for (const open of [() => PostgresChequeStore.open(newer), () => PostgresLedgerStore.open(newer)]) {
        try {
          await open();
          expect.fail("should throw");
        } catch (e) {
          expect(isChequeError(e, "STORE_SCHEMA_NEWER"), String(e)).to.equal(true);
          expect((e as { details: Record<string, unknown> }).details).to.include({ found: 4, supported: 3 });
        }
      }
    });

    it("refuses an unreachable server with STORE_FAILURE, naming it without its password", async function () {
      try {
        await PostgresChequeStore.open("postgres://user:secret@127.0.0.1:1/none");
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_FAILURE"), String(e)).to.equal(true);
        expect((e as Error).message).to.not.include("secret");
      }
    });

    it("commits concurrent writes together, refusing only the stale one in the batch", async function () {
      const store = await PostgresChequeStore.open(url);
      const books = Array.from({ length: 20 }, (_, i) => "0x" + (i + 16).toString(16).padStart(2, "0").repeat(20));
      await store.putReceived(await cheque(books[0]!, PEER_1, 5n));
      const cheques = await Promise.all(books.map((b, i) => cheque(b, PEER_1, i === 0 ? 4n : 10n)));
      const results = await Promise.allSettled(cheques.map((c) => store.putReceived(c)));
      expect(results.filter((r) => r.status === "fulfilled").length).to.equal(19);
      expect(isChequeError((results[0] as PromiseRejectedResult).reason, "STALE_CHEQUE")).to.equal(true);
      expect((await store.getReceived(books[0]!, PEER_1))!.cheque.cumulativePayout).to.equal(5n);
      await store.close();
    });

    it("a write the server refuses fails alone: the rest of its batch is committed", async function () {
      const store = await PostgresChequeStore.open(url);
      const bad = { id: "x", chequebook: BOOK_A, beneficiary: PEER_1, cumulativePayout: 1n, status: "confirmed" as const, paid: 10n ** 80n, updatedAt: 1 };
      const writes = [...Array.from({ length: 10 }, (_, i) => store.putMeta(`k${i}`, `v${i}`)), store.putCashout(bad)];
      const results = await Promise.allSettled(writes);
      expect(results.slice(0, 10).every((r) => r.status === "fulfilled")).to.equal(true);
      expect(isChequeError((results[10] as PromiseRejectedResult).reason, "STORE_FAILURE")).to.equal(true);
      expect(await store.getMeta("k9")).to.equal("v9");
      expect(await store.listCashouts()).to.deep.equal([]);
      await store.close();
    });

    it("is chosen by URL: openChequeStore and openLedgerStore", async function () {
      const store = await openChequeStore(url);
      const ledger = await openLedgerStore(url);
      expect(store).to.be.instanceOf(PostgresChequeStore);
      expect(ledger).to.be.instanceOf(PostgresLedgerStore);
      await Promise.all([store.close(), ledger.close()]);
    });
  });

  describe("across connections (as across processes)", function () {
    let url: string;
    before(async function () {
      url = await freshDatabase("shared");
    });

    it("exclusive() admits one holder of a key at a time across stores, and other keys meanwhile", async function () {
      const [a, b] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
      const events: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const first = a.exclusive("k", async () => {
        events.push("a in");
        entered();
        await held;
        events.push("a out");
      });
      await inside;
      const second = b.exclusive("k", async () => void events.push("b in"));
      await b.exclusive("other", async () => void events.push("other"));
      release();
      await Promise.all([first, second]);
      expect(events).to.deep.equal(["a in", "other", "a out", "b in"]);
      await Promise.all([a.close(), b.close()]);
    });

    it("gives up waiting for a lock with STORE_BUSY after lockTimeoutMs", async function () {
      const a = await PostgresChequeStore.open(url);
      const b = await PostgresChequeStore.open(url, { lockTimeoutMs: 100 });
      let release!: () => void;
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const first = a.exclusive("slow", () => new Promise<void>((r) => ((release = r), entered())));
      await inside;
      try {
        await b.exclusive("slow", async () => expect.fail("must not run"));
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_BUSY"), String(e)).to.equal(true);
      }
      release();
      await first;
      await Promise.all([a.close(), b.close()]);
    });

    it("property: racing writers on separate connections never lower a cheque nor lose the highest", async function () {
      const stores = await Promise.all([0, 1, 2].map(() => PostgresChequeStore.open(url)));
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(2), fc.bigInt({ min: 1n, max: 2n ** 256n - 1n })), { minLength: 1, maxLength: 12 }), async (writes) => {
          const book = "0x" + (round++).toString(16).padStart(40, "0");
          const signed = await Promise.all(writes.map(([, amount]) => cheque(book, PEER_1, amount)));
          const results = await Promise.allSettled(writes.map(([s], i) => stores[s]!.putReceived(signed[i]!)));
          for (const r of results) if (r.status === "rejected") expect(isChequeError(r.reason, "STALE_CHEQUE"), String(r.reason)).to.equal(true);
          const max = writes.reduce((m, [, a]) => (a > m ? a : m), 0n);
          const held = (await stores[0]!.getReceived(book, PEER_1))!.cheque;
          expect(held.cumulativePayout).to.equal(max);
          // The cheque held is one that was written, with its own signature.
          expect(signed.some((c) => c.signature === held.signature && c.cumulativePayout === max)).to.equal(true);
        }),
        { numRuns: 25, seed: 15 },
      );
      await Promise.all(stores.map((s) => s.close()));
    });

    it("hostile writer: plain SQL cannot lower, re-sign or delete a received or issued cheque", async function () {
      const store = await PostgresChequeStore.open(url);
      const c = await cheque(BOOK_A, PEER_1, 100n);
      const other = (await cheque(BOOK_A, "0x" + "09".repeat(20), 100n)).signature;
      await store.putReceived(c);
      await store.putIssued(c);
      for (const table of ["received", "issued"]) {
        for (const attack of [
          `UPDATE ${table} SET cumulative = 1`,
          `UPDATE ${table} SET signature = '${other}'`,
          `DELETE FROM ${table}`,
        ]) {
          try {
            await sql(url, attack);
            expect.fail(`${attack} should be refused`);
          } catch (e) {
            expect((e as { code?: string }).code, attack).to.equal("23000");
          }
        }
      }
      expect((await store.getReceived(BOOK_A, PEER_1))!.cheque).to.deep.equal(c);
      expect((await store.getIssued(BOOK_A, PEER_1))!.cheque).to.deep.equal(c);
      expect(await store.totalIssued(BOOK_A)).to.equal(100n);
      await store.close();
    });
  });

  describe("PostgresLedgerStore", function () {
    it("keeps ledgers, and refuses a save from a stale copy with STORE_CONFLICT (no lost update)", async function () {
      const url = await freshDatabase("ledger");
      const [a, b] = await Promise.all([PostgresLedgerStore.open(url), PostgresLedgerStore.open(url)]);
      const l = { ...emptyLedger("peer-1"), balance: 5n, credited: { [BOOK_A]: 7n } };
      await a.save(l);
      expect(await b.load("peer-1")).to.deep.equal(l);
      await b.save({ ...l, balance: 9n }); // b read it, so b may write it
      try {
        await a.save({ ...l, balance: 6n }); // a's copy is older than b's write
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_CONFLICT"), String(e)).to.equal(true);
      }
      // A peer a never read, created by b meanwhile, is not overwritten by a's fresh record either.
      await b.save(emptyLedger("peer-2"));
      try {
        await a.save({ ...emptyLedger("peer-2"), balance: 1n });
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_CONFLICT"), String(e)).to.equal(true);
      }
      expect((await a.load("peer-1"))!.balance).to.equal(9n);
      await a.save({ ...l, balance: 10n }); // after reloading, a writes again
      // Many saves of one peer in a row, some in the same turn: in order, all written, the last one kept.
      await Promise.all(Array.from({ length: 20 }, (_, i) => a.saveMany([{ ...l, balance: BigInt(100 + i) }])));
      expect((await b.loadAll()).find((x) => x.peer === "peer-1")!.balance).to.equal(119n);
      await Promise.all([a.close(), b.close()]);
    });
  });
});
