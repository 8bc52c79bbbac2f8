/**
 * Another connection holding the database's write lock (an operator's sqlite3 shell, a backup tool) must not stop
 * the process: the store waits for the lock asynchronously, the event loop keeps turning, and the write commits
 * once the lock is released, or fails with STORE_BUSY after the configured total wait. Nothing here measures time:
 * the tests count turns of the event loop and wait for events.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

import { expect } from "chai";
import fc from "fast-check";

import { SqliteChequeStore, isChequeError, type SqliteBusyEvent } from "../../sdk/index.js";
import { BOOK_A, BOOK_B, PEER_1, cheque } from "./store.behavior.js";

/** Holds the write lock of the database at `path` from a second connection, as another process would. */
function holdWriteLock(path: string): { release(): void } {
  const other = new DatabaseSync(path);
  other.exec("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE");
  other.prepare("INSERT OR REPLACE INTO chequebooks VALUES (?, ?, ?, ?, ?)").run("0x" + "ee".repeat(20), "0x" + "01".repeat(20), "0x" + "02".repeat(20), "0x" + "03".repeat(20), 0);
  return {
    release() {
      other.exec("COMMIT");
      other.close();
    },
  };
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("SQLite store under another connection's write lock", function () {
  this.timeout(120_000);
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cheque-busy-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the event loop turning while a write waits for the lock, and commits once it is released", async function () {
    const path = join(dir, "wait.db");
    const busy: SqliteBusyEvent[] = [];
    const store = SqliteChequeStore.open(path, { busyTimeoutMs: 100_000, onBusy: (e) => busy.push(e) });
    await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    const c = await cheque(BOOK_B, PEER_1, 7n);

    const lock = holdWriteLock(path);
    let settled = false;
    const write = store.putReceived(c);
    write.then(() => (settled = true), () => (settled = true));
    // Timers keep firing while the write waits: at least 20 turns, and until the store has retried 3 times.
    let turns = 0;
    while (!settled && (turns < 20 || busy.length < 3) && turns < 100_000) {
      await turn();
      turns++;
    }
    expect(settled, `the write settled while the lock was held (after ${turns} turns)`).to.equal(false);
    expect(busy.length, "retries reported").to.be.at.least(3);
    expect(busy[0]).to.include({ path });
    // Reads are not held up by the waiting write.
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(1n);

    lock.release();
    await write;
    expect((await store.getReceived(BOOK_B, PEER_1))!.cheque).to.deep.equal(c);
    await store.close();
  });

  it("fails the waiting writes with STORE_BUSY after the configured total, and works again once the lock is free", async function () {
    const path = join(dir, "give-up.db");
    const store = SqliteChequeStore.open(path, { busyTimeoutMs: 30 });
    await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    const lock = holdWriteLock(path);
    const results = await Promise.allSettled([store.putReceived(await cheque(BOOK_A, PEER_1, 2n)), store.putIssued(await cheque(BOOK_B, PEER_1, 3n))]);
    for (const r of results) {
      expect(r.status).to.equal("rejected");
      const reason = (r as PromiseRejectedResult).reason;
      expect(isChequeError(reason, "STORE_BUSY"), String(reason)).to.equal(true);
      expect(reason.message).to.include(path);
      expect(reason.details).to.include({ path });
    }
    lock.release();
    await store.putReceived(await cheque(BOOK_A, PEER_1, 2n));
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(2n);
    expect(await store.getIssued(BOOK_B, PEER_1)).to.equal(undefined);
    await store.close();
  });

  it("close waits for a write that is waiting for the lock", async function () {
    const path = join(dir, "close.db");
    const store = SqliteChequeStore.open(path, { busyTimeoutMs: 100_000 });
    await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    const lock = holdWriteLock(path);
    let closed = false;
    const write = store.putReceived(await cheque(BOOK_A, PEER_1, 5n)).then(() => "committed", (e: unknown) => e);
    const closing = store.close().then(() => (closed = true));
    for (let i = 0; i < 20; i++) await turn();
    expect(closed).to.equal(false);
    lock.release();
    expect(await write).to.equal("committed");
    await closing;
    const reopened = SqliteChequeStore.open(path);
    expect((await reopened.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(5n);
    await reopened.close();
  });

  it("writes queued while waiting join one batch: the stale one is refused, the others commit", async function () {
    const path = join(dir, "batch.db");
    const store = SqliteChequeStore.open(path, { busyTimeoutMs: 100_000 });
    await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    const lock = holdWriteLock(path);
    const five = store.putReceived(await cheque(BOOK_A, PEER_1, 5n));
    for (let i = 0; i < 5; i++) await turn();
    const four = store.putReceived(await cheque(BOOK_A, PEER_1, 4n)).then(() => "committed", (e: unknown) => e);
    const other = store.putIssued(await cheque(BOOK_B, PEER_1, 9n));
    lock.release();
    await five;
    await other;
    expect(isChequeError(await four, "STALE_CHEQUE"), String(await four)).to.equal(true);
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(5n);
    expect(await store.totalIssued(BOOK_B)).to.equal(9n);
    await store.close();
  });

  it("loses no write it confirmed and keeps none it refused, whatever another connection does with the lock", async function () {
    // The adversary: another connection that takes and releases the write lock at any moment, for any number of
    // turns, while writes are queued; some writes outlast the (short) busy timeout and must be refused whole.
    type Op = { kind: "lock" } | { kind: "unlock" } | { kind: "write"; amount: number } | { kind: "turns"; n: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ kind: "lock" as const }),
      fc.constant({ kind: "unlock" as const }),
      fc.record({ kind: fc.constant("write" as const), amount: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant("turns" as const), n: fc.integer({ min: 0, max: 30 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const path = join(dir, `property-${run++}.db`);
        const store = SqliteChequeStore.open(path, { busyTimeoutMs: 15 });
        let lock: { release(): void } | undefined;
        const outcomes: Array<Promise<{ amount: bigint; ok: boolean }>> = [];
        for (const o of ops) {
          if (o.kind === "lock" && lock === undefined) lock = holdWriteLock(path);
          else if (o.kind === "unlock" && lock !== undefined) {
            lock.release();
            lock = undefined;
          } else if (o.kind === "write") {
            const amount = BigInt(o.amount);
            const c = await cheque(BOOK_A, PEER_1, amount);
            outcomes.push(
              store.putReceived(c).then(
                () => ({ amount, ok: true }),
                (e: unknown) => {
                  expect(isChequeError(e, "STORE_BUSY", "STALE_CHEQUE"), String(e)).to.equal(true);
                  return { amount, ok: false };
                },
              ),
            );
          } else if (o.kind === "turns") for (let i = 0; i < o.n; i++) await turn();
        }
        lock?.release();
        const settled = await Promise.all(outcomes);
        await store.close();
        const reopened = SqliteChequeStore.open(path);
        const held = (await reopened.getReceived(BOOK_A, PEER_1))?.cheque.cumulativePayout ?? 0n;
        await reopened.close();
        const confirmed = settled.filter((r) => r.ok).map((r) => r.amount);
        // what was confirmed is kept: the best cheque held is the highest one confirmed
        expect(held).to.equal(confirmed.reduce((a, b) => (b > a ? b : a), 0n));
      }),
      { numRuns: 25 },
    );
  });
});
