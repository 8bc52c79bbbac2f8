/**
 * The cash-out watcher against restarts, a failing node and hostile chain input: it resumes from its stored cursor
 * and catches what happened while it was down without cashing twice; a node that fails loses no event; events of
 * chequebooks we hold nothing from, or of contracts impersonating them, never make it spend gas; a hostile issuer
 * spamming decreases or dust can make it send at most one cash-out per `minPayout` it actually pays us.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import type { Log, Provider } from "ethers";

import { MemoryChequeStore, SqliteChequeStore, TRANSFER_TOPIC, chequebookInterface, type ChequeStore } from "../../sdk/index.js";
import { seeded } from "../helpers/random.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture, type SdkFixture } from "./helpers.js";
import { advance, chainNow, hold, sent, watcher } from "./watch-helpers.js";

/** A provider whose node calls fail when `fail()` says so (a connection refused), else pass to the chain. */
function flaky(fail: (method: string) => boolean, extraLogs: (filter: unknown) => Log[] = () => []): Provider {
  const target = ethers.provider as unknown as Record<string, unknown>;
  const methods = new Set(["getLogs", "call", "getBlockNumber", "getBlock", "getNetwork", "send"]);
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key, object) as unknown;
      if (typeof value !== "function") return value;
      if (typeof key === "string" && methods.has(key)) {
        return async (...args: unknown[]) => {
          if (fail(key)) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          return key === "getLogs" ? [...(result as Log[]), ...extraLogs(args[0])] : result;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  }) as unknown as Provider;
}

async function withSecond(f: SdkFixture, funds = 100n * UNIT) {
  const other = await deployChequebook(f.factory, f.other, f.other.address);
  const address = await other.getAddress();
  await f.token.mint(address, funds);
  return { other, address };
}

describe("cash-out watcher: restarts, failures, hostile input", function () {
  this.timeout(180_000);
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });

  it("a restart on the same SQLite store resumes from its cursor, catches what happened while down, and cashes nothing twice", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const dir = await mkdtemp(join(tmpdir(), "cheque-watch-"));
    try {
      const path = join(dir, "watch.db");
      let db = SqliteChequeStore.open(path);
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
      const second = await withSecond(f);
      await hold(f, db, 200n * UNIT);
      await hold(f, db, 80n * UNIT, second.address, f.other);
      const first = watcher(f, db, { confirmations: 2 });
      first.scheduler.start();
      await first.waitFor((e) => e.type === "progress");
      await first.scheduler.stop();
      const cursor = first.scheduler.cursor!;
      expect(first.decisions()).to.deep.equal([]);
      await db.close();

      // While it is down: a decrease is prepared and nearly due, the other chequebook is drained below what it owes.
      await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
      await second.other.connect(f.other).withdraw(60n * UNIT);
      const [, , , due] = await f.chequebook.hardDeposits(f.beneficiary.address);
      await advance(due - (await chainNow()) - 600n);
      await networkHelpers.mine(12);

      db = SqliteChequeStore.open(path);
      const again = watcher(f, db, { confirmations: 2, maxBlockRange: 4 });
      const before = await sent(f);
      const steps = await again.scheduler.poll();
      expect(again.events[0]).to.deep.include({ type: "started", cursor, resumed: true });
      expect(steps.length).to.be.greaterThan(1); // bounded ranges: several steps to catch up
      expect(steps.map((s) => s.cursor)).to.deep.equal([...steps.map((s) => s.cursor)].sort((a, b) => a - b));
      expect(again.decisions().map((d) => [d.chequebook, d.reason])).to.have.deep.members([
        [f.address, "COVER_DECREASE_DUE"],
        [second.address, "COVER_LIQUIDITY_SHORT"],
      ]);
      expect(again.events.filter((e) => e.type === "decision")).to.have.length(1); // both in one executor call
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(240n * UNIT);
      expect(await sent(f)).to.equal(before + 2);
      expect(await db.getMeta(`watch:cursor:${f.chainId}:${f.beneficiary.address.toLowerCase()}`)).to.equal(String(again.scheduler.cursor));
      await db.close();

      db = SqliteChequeStore.open(path);
      const third = watcher(f, db, { confirmations: 2 });
      await third.scheduler.poll();
      expect(third.decisions()).to.deep.equal([]);
      expect(await sent(f)).to.equal(before + 2);
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps events behind the confirmations to read again (a reorganised block cannot hide them) but acts on them at once", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 300n * UNIT);
    const w = watcher(f, store, { confirmations: 5 });
    const start = await w.scheduler.step();
    await f.chequebook.connect(f.issuer).withdraw(900n * UNIT);
    const step = await w.scheduler.step();
    expect(step.decisions.map((d) => d.reason)).to.deep.equal(["COVER_LIQUIDITY_SHORT"]);
    expect(step.cursor).to.equal(Math.max(start.cursor, step.head - 5));
    expect(step.cursor).to.be.lessThan(step.head);
  });

  it("a stored cursor beyond the head (a chain started again) reads everything again and goes on from the head", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 300n * UNIT);
    await store.putMeta(`watch:cursor:${f.chainId}:${f.beneficiary.address.toLowerCase()}`, "1000000");
    await f.chequebook.connect(f.issuer).withdraw(900n * UNIT);
    const w = watcher(f, store);
    const step = await w.scheduler.step();
    expect(step.decisions.map((d) => d.reason)).to.deep.equal(["COVER_LIQUIDITY_SHORT"]);
    expect(step.cursor).to.be.at.most(step.head);
    // The logs are followed again: a transfer into the chequebook is seen and cashed.
    await f.token.mint(f.address, 50n * UNIT);
    const next = await w.scheduler.step();
    expect(next.reports.map((r) => [r.status, r.paid])).to.deep.equal([["bounced", 50n * UNIT]]);
  });

  it("a node that is down is retried with back-off and reported; nothing is lost; stop leaves no timer", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 300n * UNIT);
    let down = false;
    const w = watcher(f, store, { provider: flaky(() => down), pollMs: 5, backoff: { baseMs: 1, maxMs: 8 } });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const idle = timers();
    w.scheduler.start();
    await w.waitFor((e) => e.type === "progress");
    down = true;
    await f.chequebook.connect(f.issuer).withdraw(900n * UNIT);
    await w.waitFor((e) => e.type === "error" && e.attempt === 5);
    down = false;
    const cashed = await w.waitFor((e) => e.type === "cashout");
    await w.scheduler.stop();
    expect(cashed.type === "cashout" && cashed.items.map((i) => [i.status, i.paid])).to.deep.equal([["bounced", 100n * UNIT]]);
    const errors = w.events.flatMap((e) => (e.type === "error" ? [e] : []));
    expect(errors.slice(0, 5).map((e) => [e.code, e.attempt, e.retryInMs])).to.deep.equal([
      ["RPC_UNAVAILABLE", 1, 1], ["RPC_UNAVAILABLE", 2, 2], ["RPC_UNAVAILABLE", 3, 4], ["RPC_UNAVAILABLE", 4, 8], ["RPC_UNAVAILABLE", 5, 8],
    ]);
    expect(w.events.at(-1)).to.deep.include({ type: "stopped" });
    expect(w.scheduler.running).to.equal(false);
    expect(timers()).to.be.at.most(idle);
  });

  it("an intermittently failing node (seeded) loses no event: every withdraw and decrease is answered", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const random = seeded(1414);
    let failures = 0;
    const w = watcher(f, store, { provider: flaky(() => random(100) < 15 && ++failures > 0), maxBlockRange: 3 });
    const step = async () => {
      for (let attempt = 0; attempt < 400; attempt++) {
        try {
          return await w.scheduler.step();
        } catch {
          // the next step reads the same blocks again
        }
      }
      throw new Error("the node never answered");
    };
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 100n * UNIT);
    await hold(f, store, 150n * UNIT);
    await step();
    await networkHelpers.mine(7);
    await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 100n * UNIT);
    await advance(86_400 - 1000);
    for (let i = 0; i < 6; i++) await step();
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(150n * UNIT);
    await hold(f, store, 400n * UNIT);
    await f.chequebook.connect(f.issuer).withdraw(await f.chequebook.liquidBalance() - 100n * UNIT);
    for (let i = 0; i < 6; i++) await step();
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(250n * UNIT);
    expect(failures).to.be.greaterThan(5);
  });

  it("events of a chequebook we hold no cheque from never make it spend gas, nor read that chequebook", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 10n * UNIT);
    const second = await withSecond(f);
    await second.other.connect(f.other).increaseHardDeposit(f.beneficiary.address, 50n * UNIT);
    const w = watcher(f, store);
    await w.scheduler.step();
    const before = await sent(f);
    await second.other.connect(f.other).prepareDecreaseHardDeposit(f.beneficiary.address, 50n * UNIT);
    await second.other.connect(f.other).withdraw(50n * UNIT);
    const step = await w.scheduler.step();
    await advance(86_400);
    await second.other.connect(f.other).decreaseHardDeposit(f.beneficiary.address);
    await w.scheduler.step();
    expect(await sent(f)).to.equal(before);
    expect(step.decisions).to.deep.equal([]);
    expect(w.events.flatMap((e) => (e.type === "progress" ? [e.chequebooks] : []))).to.deep.equal([1, 1, 1]);
  });

  it("logs of a contract impersonating the chequebook or its token are ignored, even when the node itself serves forged ones", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 300n * UNIT);
    const fake = await ethers.deployContract("EventImpersonator");
    const fakeAddress = await fake.getAddress();
    const pad = (a: string) => ethers.zeroPadValue(a, 32);
    // The node adds forged logs to every answer: one from the impersonator, a fake token transfer out of our
    // chequebook, and a "decrease" claimed at our chequebook's own address (its content is never trusted).
    let head = 0;
    const forged = (): Log[] => [
      { address: fakeAddress, topics: chequebookInterface.encodeFilterTopics("Withdraw", []), data: ethers.toBeHex(900n * UNIT, 32) },
      { address: fakeAddress, topics: [TRANSFER_TOPIC, pad(f.address), pad(f.other.address)], data: ethers.toBeHex(900n * UNIT, 32) },
      { address: f.address, topics: chequebookInterface.encodeFilterTopics("HardDepositDecreasePrepared", [f.beneficiary.address]), data: ethers.toBeHex(900n * UNIT, 32) },
    ].map((l) => ({ ...l, blockNumber: head, transactionHash: ethers.ZeroHash, index: 0 }) as unknown as Log);
    const w = watcher(f, store, { provider: flaky(() => false, forged) });
    await w.scheduler.step();
    const before = await sent(f);
    await fake.prepared(f.beneficiary.address, 1000n * UNIT);
    await fake.withdrew(1000n * UNIT);
    await fake.transferred(f.address, f.other.address, 1000n * UNIT);
    head = await ethers.provider.getBlockNumber();
    const step = await w.scheduler.step();
    expect(step.decisions).to.deep.equal([]);
    expect(await sent(f)).to.equal(before);
    // Only the forged log at our chequebook's address counted, and only as a reason to read the contract again.
    expect(w.events.at(-1)).to.deep.include({ type: "progress", touched: 1 });
  });

  it("a hostile issuer spamming decreases and cancels, then dust, gets at most one cash-out per minPayout it pays us", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    await hold(f, store, 200n * UNIT);
    const w = watcher(f, store, { minPayout: UNIT });
    await w.scheduler.step();
    const before = await sent(f);
    for (let round = 0; round < 6; round++) {
      const [deposit] = await f.chequebook.hardDeposits(f.beneficiary.address);
      await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, deposit); // all of it
      await advance(86_400 - 100);
      await w.scheduler.step();
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 1n); // cancels the decrease
      await w.scheduler.step();
    }
    expect(await sent(f)).to.equal(before + 1); // the first round cashed the 200; later ones had nothing owed
    // Now a cheque above the balance: what is liquid is cashed, then dust deposits below minPayout are left alone.
    await hold(f, store, 2000n * UNIT);
    await w.scheduler.step();
    expect(await sent(f)).to.equal(before + 2);
    for (let round = 0; round < 9; round++) {
      await f.token.mint(f.address, UNIT / 10n);
      await w.scheduler.step();
    }
    expect(await sent(f)).to.equal(before + 2);
    await f.token.mint(f.address, UNIT / 10n); // 1 token payable now: worth one cash-out
    await w.scheduler.step();
    expect(await sent(f)).to.equal(before + 3);
    const paid = await f.token.balanceOf(f.beneficiary.address);
    expect(BigInt((await sent(f)) - before)).to.be.at.most(1n + paid / UNIT);
    expect(w.events.filter((e) => e.type === "at-risk" && e.code === "BELOW_MIN_PAYOUT").length).to.equal(9);
  });
});
