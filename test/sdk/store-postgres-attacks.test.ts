/**
 * Attacks on the PostgreSQL stores shared by several processes (two stores on one database stand for two processes:
 * each has its own pools): a cross-process lock lost while its work runs, and writes a peer controls.
 */
import { expect } from "chai";
import pg from "pg";

import { PostgresChequeStore, PostgresLedgerStore } from "../../sdk/index.js";
import { rejection } from "./helpers.js";
import { BOOK_A, PEER_1, cheque } from "./store.behavior.js";
import { freshDatabase } from "./postgres-server.js";

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe("SDK PostgreSQL stores under attack", function () {
  this.timeout(60_000);

  it("a lock session the server ends while its work runs (failover, an operator) does not crash the process", async function () {
    const url = await freshDatabase("lock_killed");
    const [a, b] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = a.exclusive("cashout:0xbook:0xme", () => new Promise<string>((r) => ((release = () => r("done")), entered())));
    try {
      await inside;
      await sql(url, "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted");
      // The server dropped the lock with its session: another holder gets it (the documented limit of advisory locks).
      expect(await b.exclusive("cashout:0xbook:0xme", async () => "b in")).to.equal("b in");
    } finally {
      release();
    }
    // The first holder's work ends normally; its lost session is discarded, not handed out again.
    expect(await first).to.equal("done");
    expect(await a.exclusive("cashout:0xbook:0xme", async () => "again")).to.equal("again");
    await Promise.all([a.close(), b.close()]);
  });

  it("a lock is held for as long as its work runs, even where the database ends idle sessions (idle_session_timeout)", async function () {
    const url = await freshDatabase("idle_session");
    // A common hardening on managed servers: sessions idle for a while are closed, and their advisory locks with them.
    await sql(url, `ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET idle_session_timeout = '100ms'`);
    const [a, b] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url, { lockTimeoutMs: 1_000 })]);
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    // The holder's work waits on something else (a transaction being mined): its lock session sits idle meanwhile.
    const first = a.exclusive("issue:0xbook", () => new Promise<void>((r) => ((release = r), entered())));
    try {
      await inside;
      const e = await rejection(() => b.exclusive("issue:0xbook", async () => "a second holder while the first still works"));
      expect(e.code).to.equal("STORE_BUSY");
    } finally {
      release();
      await first;
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("hostile writer: TRUNCATE (which fires no row trigger) cannot empty the received or issued cheques", async function () {
    const url = await freshDatabase("truncate");
    const store = await PostgresChequeStore.open(url);
    try {
      const c = await cheque(BOOK_A, PEER_1, 100n);
      await store.putReceived(c);
      await store.putIssued(c);
      for (const attack of ["TRUNCATE received", "TRUNCATE issued", "TRUNCATE received, issued, meta"]) {
        try {
          await sql(url, attack);
          expect.fail(`${attack} should be refused`);
        } catch (e) {
          expect((e as { code?: string }).code, attack).to.equal("23000");
        }
      }
      // Gone, the peer's old cheques would be fresh again: each re-sent one credited a second time.
      expect((await store.getReceived(BOOK_A, PEER_1))!.cheque).to.deep.equal(c);
      expect(await store.totalIssued(BOOK_A)).to.equal(100n);
    } finally {
      await store.close();
    }
  });

  it("writes made under a lock are fenced by its session: once it has ended they fail; a task outliving the work still writes", async function () {
    const url = await freshDatabase("fenced");
    const store = await PostgresChequeStore.open(url);
    let late!: Promise<void>;
    let proceed!: () => void;
    const proceeded = new Promise<void>((r) => (proceed = r));
    try {
      const e = await rejection(() =>
        store.exclusive("issue:0xbook", async () => {
          await store.putMeta("before", "1"); // on the lock's session, while it holds the lock
          late = proceeded.then(() => store.putMeta("late", "3")); // runs after the work has ended
          await sql(url, "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted");
          await store.putMeta("after", "2"); // the lock may be another's by now: refused
        }),
      );
      expect(e.code).to.equal("STORE_FAILURE");
      proceed();
      await late;
      expect([await store.getMeta("before"), await store.getMeta("after"), await store.getMeta("late")]).to.deep.equal(["1", undefined, "3"]);
    } finally {
      proceed();
      await store.close();
    }
  });

  it("six processes opening a fresh database at once: each migration runs once, every opener succeeds", async function () {
    const url = await freshDatabase("fresh_race");
    const opened = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 === 0 ? PostgresChequeStore.open(url) : PostgresLedgerStore.open(url))));
    await Promise.all(opened.map((s) => s.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT version FROM swap_schema ORDER BY version")).rows).to.deep.equal([{ version: 1 }, { version: 2 }, { version: 3 }]);
    } finally {
      await client.end();
    }
  });
});
