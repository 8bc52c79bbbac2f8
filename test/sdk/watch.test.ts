/**
 * The cash-out watcher's policies on the in-process chain, driven by explicit steps: each policy cashes when it
 * should and not when it should not; a prepared decrease is cashed before it comes due; a withdraw that leaves less
 * liquidity than we are owed makes it cash what remains.
 */
import { expect } from "chai";
import type { Provider } from "ethers";

import { MemoryChequeStore, type ChequeStore } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture } from "./helpers.js";
import { advance, chainNow, hold, sent, watcher } from "./watch-helpers.js";

describe("cash-out watcher: policies", function () {
  this.timeout(120_000);
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });

  describe("cover: a prepared hard-deposit decrease", function () {
    it("is cashed within the safety margin before it comes due, so the beneficiary is paid before the issuer can decrease", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
      await hold(f, store, 200n * UNIT);
      const w = watcher(f, store, { safetySeconds: 3600 });
      await w.scheduler.step();
      await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
      const [, , , due] = await f.chequebook.hardDeposits(f.beneficiary.address);
      const before = await sent(f);
      await w.scheduler.step();
      // Just outside the margin: nothing yet (cheques may still accumulate).
      await advance(due - (await chainNow()) - 3600n - 5n);
      await w.scheduler.step();
      expect(await sent(f)).to.equal(before);
      expect(w.decisions()).to.deep.equal([]);
      await advance(10);
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => [d.reason, d.payable])).to.deep.equal([["COVER_DECREASE_DUE", 200n * UNIT]]);
      expect(step.reports.map((r) => [r.status, r.paid])).to.deep.equal([["paid", 200n * UNIT]]);
      // The issuer cannot decrease yet; once it can, we hold what we were owed.
      await expect(f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address)).to.be.revertedWithCustomError(f.chequebook, "ChequebookDecreaseNotDue");
      await advance(3600);
      await f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(200n * UNIT);
      await w.scheduler.step();
      expect(await sent(f)).to.equal(before + 1);
    });

    it("does not cash for a decrease that leaves a hard deposit covering what we are owed, nor for one far from due", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
      await hold(f, store, 200n * UNIT);
      const w = watcher(f, store);
      await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 100n * UNIT);
      const before = await sent(f);
      await w.scheduler.step();
      await advance(86_400);
      await w.scheduler.step();
      expect(await sent(f)).to.equal(before);
      expect(w.decisions()).to.deep.equal([]);
      // A cheque above what stays (200 + 150 > 300 - 100) now is at risk: cashed.
      await hold(f, store, 350n * UNIT);
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => d.reason)).to.deep.equal(["COVER_DECREASE_DUE"]);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(350n * UNIT);
    });
  });

  describe("cover: liquidity", function () {
    it("a withdraw that leaves less than we are owed makes it cash what remains; a smaller one does not", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, 300n * UNIT);
      const w = watcher(f, store);
      await w.scheduler.step();
      const before = await sent(f);
      await f.chequebook.connect(f.issuer).withdraw(500n * UNIT); // 500 left: covers the 300
      await w.scheduler.step();
      expect(await sent(f)).to.equal(before);
      await f.chequebook.connect(f.issuer).withdraw(300n * UNIT); // 200 left: less than the 300 owed
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => [d.reason, d.owed, d.payable])).to.deep.equal([["COVER_LIQUIDITY_SHORT", 300n * UNIT, 200n * UNIT]]);
      expect(step.reports.map((r) => [r.status, r.paid])).to.deep.equal([["bounced", 200n * UNIT]]);
      // Nothing liquid is left: reported once, no transaction.
      await w.scheduler.step();
      await w.scheduler.step();
      expect(await sent(f)).to.equal(before + 1);
      expect(w.events.filter((e) => e.type === "at-risk").map((e) => e.type === "at-risk" && e.code)).to.deep.equal(["NOTHING_PAYABLE"]);
      // A plain token transfer into the chequebook is followed too: the rest is cashed at once.
      await f.token.mint(f.address, 60n * UNIT);
      const more = await w.scheduler.step();
      expect(more.reports.map((r) => [r.status, r.paid])).to.deep.equal([["bounced", 60n * UNIT]]);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(260n * UNIT);
    });

    it("follows a chequebook we newly receive a cheque from", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, 10n * UNIT);
      const w = watcher(f, store);
      await w.scheduler.step();
      const other = await deployChequebook(f.factory, f.other, f.other.address);
      const otherAddress = await other.getAddress();
      await f.token.mint(otherAddress, 100n * UNIT);
      await hold(f, store, 80n * UNIT, otherAddress, f.other);
      await w.scheduler.step();
      expect(w.decisions()).to.deep.equal([]);
      await other.connect(f.other).withdraw(50n * UNIT);
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => [d.chequebook, d.reason])).to.deep.equal([[otherAddress, "COVER_LIQUIDITY_SHORT"]]);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(50n * UNIT);
    });
  });

  describe("threshold, period, profit", function () {
    it("threshold: cashes once what we are owed reaches it, not before", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const w = watcher(f, store, { threshold: 100n * UNIT });
      await hold(f, store, 99n * UNIT);
      await w.scheduler.step();
      expect(w.decisions()).to.deep.equal([]);
      await hold(f, store, 100n * UNIT);
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => [d.reason, d.owed])).to.deep.equal([["THRESHOLD", 100n * UNIT]]);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(100n * UNIT);
      await hold(f, store, 150n * UNIT); // 50 more: below the threshold again
      await w.scheduler.step();
      expect(w.decisions()).to.have.length(1);
    });

    it("period: cashes everything payable once per period of chain time, not in between", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const w = watcher(f, store, { periodSeconds: 1000 });
      await hold(f, store, 5n * UNIT);
      await w.scheduler.step();
      await advance(500);
      await w.scheduler.step();
      expect(w.decisions()).to.deep.equal([]);
      await advance(500);
      const step = await w.scheduler.step();
      expect(step.decisions.map((d) => d.reason)).to.deep.equal(["PERIOD"]);
      await hold(f, store, 7n * UNIT);
      await advance(10);
      await w.scheduler.step();
      expect(w.decisions()).to.have.length(1);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(5n * UNIT);
    });

    it("profit: cashes when the payout beats the quoted gas by the margin, not below", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const gas = () => 5n * UNIT; // every cash-out costs 5 tokens of gas
      let quotes = 0;
      const w = watcher(f, store, { gasCostInToken: gas });
      const profitable = watcher(f, store, {
        gasCostInToken: gas,
        profit: { quote: (cb) => (quotes++, w.casher.quote(cb)), margin: 2 },
      });
      await hold(f, store, 9n * UNIT);
      await profitable.scheduler.step();
      await profitable.scheduler.step(); // nothing moved: not quoted again
      expect(quotes).to.equal(1);
      expect(profitable.decisions()).to.deep.equal([]);
      await hold(f, store, 10n * UNIT);
      const step = await profitable.scheduler.step();
      expect(step.decisions.map((d) => d.reason)).to.deep.equal(["PROFITABLE"]);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(10n * UNIT);
    });

    it("cover can be switched off; then nothing is cashed for it", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, 300n * UNIT);
      const w = watcher(f, store, { cover: false });
      const before = await sent(f);
      await f.chequebook.connect(f.issuer).withdraw(900n * UNIT);
      await w.scheduler.step();
      expect(w.decisions()).to.deep.equal([]);
      expect(await sent(f)).to.equal(before);
    });
  });

  it("bounded work: an idle step makes no contract call; an event re-reads only its chequebook; ranges are bounded", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const books: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const book = await deployChequebook(f.factory, f.issuer, f.issuer.address, 86_400n, ethers.zeroPadValue(ethers.toBeHex(i), 32));
      books.push(await book.getAddress());
      await f.token.mint(books[i - 1]!, 100n * UNIT);
      await hold(f, store, 10n * UNIT, books[i - 1]!);
    }
    const calls = new Map<string, number>();
    const target = ethers.provider as unknown as Record<string, unknown>;
    const counted = new Proxy(target, {
      get(object, key) {
        const value = Reflect.get(object, key, object) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (typeof key === "string") calls.set(key, (calls.get(key) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    }) as unknown as Provider;
    const w = watcher(f, store, { provider: counted, maxBlockRange: 10 });
    const count = async (fn: () => Promise<unknown>) => {
      calls.clear();
      await fn();
      return { call: calls.get("call") ?? 0, getLogs: calls.get("getLogs") ?? 0 };
    };
    expect(await count(() => w.scheduler.step())).to.deep.include({ call: 10 * 5 + 10 }); // first step: every chequebook (5 reads) and its token
    await networkHelpers.mine(1);
    expect(await count(() => w.scheduler.step())).to.deep.equal({ call: 0, getLogs: 3 });
    const second = await ethers.getContractAt("Chequebook", books[1]!);
    await second.connect(f.issuer).withdraw(1n);
    expect(await count(() => w.scheduler.step())).to.deep.equal({ call: 5, getLogs: 3 });
    await networkHelpers.mine(25);
    const steps = await count(() => w.scheduler.poll());
    expect(steps).to.deep.equal({ call: 0, getLogs: 9 }); // 25 blocks in ranges of 10: three steps
    expect(w.decisions()).to.deep.equal([]);
  });

  it("rejects bad options", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    for (const bad of [{ confirmations: -1 }, { maxBlockRange: 0 }, { minPayout: 0n }, { threshold: 0n }, { periodSeconds: 0 }, { safetySeconds: 1.5 }]) {
      expect(() => watcher(f, store, bad), JSON.stringify(bad, (_k, v) => (typeof v === "bigint" ? String(v) : v))).to.throw(/must be/);
    }
  });
});
