/**
 * The cash-out watcher must not give up on cover that is about to go after an attempt that changed nothing on
 * chain: a cash-out that could not be sent (no gas money), or one refused earlier for another policy, is tried
 * again before the decrease comes due, although the chequebook's state has not moved meanwhile.
 */
import { expect } from "chai";

import type { Provider } from "ethers";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture, withGetLogs } from "./helpers.js";
import { advance, chainNow, hold, watcher } from "./watch-helpers.js";

describe("cash-out watcher: no giving up on cover", function () {
  this.timeout(120_000);

  it("a cover cash-out that could not be sent (no gas money) is sent once the account is funded, before the decrease is due", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    await hold(f, store, 200n * UNIT);
    const w = watcher(f, store, { safetySeconds: 3600 });
    await w.scheduler.step();
    await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    const [, , , due] = await f.chequebook.hardDeposits(f.beneficiary.address);
    await advance(due - (await chainNow()) - 3000n); // inside the margin
    const funds = await ethers.provider.getBalance(f.beneficiary.address);
    await networkHelpers.setBalance(f.beneficiary.address, 0n);
    const broke = await w.scheduler.step();
    expect(broke.reports.map((r) => [r.status, r.code])).to.deep.equal([["skipped", "NO_GAS_FUNDS"]]);
    // The operator tops the account up; nothing moved on the chequebook. The next step must cash.
    await networkHelpers.setBalance(f.beneficiary.address, funds);
    const funded = await w.scheduler.step();
    expect(funded.reports.map((r) => [r.status, r.paid])).to.deep.equal([["paid", 200n * UNIT]]);
    // Once due, the issuer takes its deposit back: what we were owed was paid first.
    await advance(3600);
    await f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address);
    await f.chequebook.connect(f.issuer).withdraw(await f.chequebook.liquidBalance());
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(200n * UNIT);
  });

  it("a threshold cash-out refused as unprofitable (dear gas) does not stop the cover cash-out once the decrease is near", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    await hold(f, store, 200n * UNIT);
    let dear = true;
    const w = watcher(f, store, { safetySeconds: 3600, threshold: 100n * UNIT, maxGasShare: 0.25, gasCostInToken: () => (dear ? 1000n * UNIT : 0n) });
    // The decrease is prepared first, far from due: the threshold asks for a cash-out, gas is dear: refused.
    await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    const first = await w.scheduler.step();
    expect(first.decisions.map((d) => d.reason)).to.deep.equal(["THRESHOLD"]);
    expect(first.reports.map((r) => [r.status, r.code])).to.deep.equal([["skipped", "UNPROFITABLE_CASHOUT"]]);
    // Gas gets cheap; the decrease comes within the margin: cover is at risk and must be cashed.
    dear = false;
    const [, , , due] = await f.chequebook.hardDeposits(f.beneficiary.address);
    await advance(due - (await chainNow()) - 3000n);
    const near = await w.scheduler.step();
    expect(near.decisions.map((d) => d.reason)).to.deep.equal(["COVER_DECREASE_DUE"]);
    expect(near.reports.map((r) => [r.status, r.paid])).to.deep.equal([["paid", 200n * UNIT]]);
    await advance(3600);
    await f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(200n * UNIT);
  });
});

/** The chain's node with a cap on the logs one query may return, as public nodes have (theirs is 10,000 or less). */
const cappedLogs = (cap: number): Provider =>
  withGetLogs((getLogs) => async (filter) => {
    const logs = await getLogs(filter);
    if (logs.length > cap) throw Object.assign(new Error(`query returned more than ${cap} results`), { code: -32005 });
    return logs;
  });

describe("cash-out watcher: a flood of logs", function () {
  this.timeout(120_000);

  it("dust transfers into the chequebook beyond what the node returns per query do not blind it: the decrease is cashed before due", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    await hold(f, store, 200n * UNIT);
    const w = watcher(f, store, { safetySeconds: 3600, provider: cappedLogs(20) });
    await w.scheduler.step();
    await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    // Anyone can send the chequebook dust: more transfers than the node answers for one query.
    for (let i = 0; i < 25; i++) await f.token.connect(f.other).mint(f.address, 1n);
    const [, , , due] = await f.chequebook.hardDeposits(f.beneficiary.address);
    await advance(due - (await chainNow()) - 3000n);
    let paid = 0n;
    for (let i = 0; i < 3 && paid === 0n; i++) {
      const step = await w.scheduler.step().catch((e: { code?: string }) => ({ reports: [], error: e.code }));
      paid = step.reports.reduce((sum, r) => sum + r.paid, 0n);
    }
    expect(paid).to.equal(200n * UNIT);
    await advance(3600);
    await f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(200n * UNIT);
  });
});
