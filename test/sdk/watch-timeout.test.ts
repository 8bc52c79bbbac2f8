/**
 * The watcher against an issuer holding a short CustomDecreaseTimeout authorisation the beneficiary signed long ago:
 * it announces a decrease under the default timeout (a day's notice), waits out the short timeout, then sets it,
 * decreases and withdraws in one block. The chequebook restarts a pending decrease's notice when the timeout
 * changes, so that block cannot take the cover, and the watcher, which reads every chequebook an event touches,
 * cashes before the new due time. (Found by the hostile review: before the contract's fix the issuer took all.)
 */
import { expect } from "chai";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signCustomDecreaseTimeout } from "../helpers/signing.js";
import { UNIT, sdkFixture } from "./helpers.js";
import { advance, hold, watcher } from "./watch-helpers.js";

describe("cash-out watcher: a short custom timeout the beneficiary once signed", function () {
  it("cannot be used to decrease at once; the watcher cashes before the restarted notice runs out", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    await hold(f, store, 200n * UNIT);
    const sig = await signCustomDecreaseTimeout(f.beneficiary, { chequebook: f.address, beneficiary: f.beneficiary.address, decreaseTimeout: 7200n, chainId: f.chainId });
    const w = watcher(f, store, { safetySeconds: 3600 });
    await w.scheduler.step();
    await f.chequebook.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 300n * UNIT);
    for (let t = 0; t < 7200; t += 600) {
      await w.scheduler.step();
      await advance(600);
    }
    await w.scheduler.step();
    expect(await f.token.balanceOf(f.beneficiary.address), "a day's notice: nothing cashed yet").to.equal(0n);
    const before = await f.token.balanceOf(f.address);

    // The issuer's block: the short timeout, the decrease, the withdraw of everything.
    await ethers.provider.send("evm_setAutomine", [false]);
    const set = await f.chequebook.connect(f.issuer).setCustomHardDepositTimeout(f.beneficiary.address, 7200n, sig);
    const decrease = await f.chequebook.connect(f.issuer).decreaseHardDeposit(f.beneficiary.address, { gasLimit: 200_000n });
    const withdraw = await f.chequebook.connect(f.issuer).withdraw(before, { gasLimit: 200_000n });
    await ethers.provider.send("evm_mine", []);
    await ethers.provider.send("evm_setAutomine", [true]);
    expect((await ethers.provider.getTransactionReceipt(set.hash))!.status).to.equal(1);
    expect((await ethers.provider.getTransactionReceipt(decrease.hash))!.status, "the decrease is not due").to.equal(0);
    expect((await ethers.provider.getTransactionReceipt(withdraw.hash))!.status, "the hard deposit is still locked").to.equal(0);
    const changedAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect((await f.chequebook.hardDeposits(f.beneficiary.address)).canBeDecreasedAt).to.equal(changedAt + 7200n);

    // The watcher sees the change and cashes within the restarted notice, before the decrease can be applied.
    for (let t = 0; t < 7200 && (await f.token.balanceOf(f.beneficiary.address)) === 0n; t += 600) {
      await w.scheduler.step();
      if ((await f.token.balanceOf(f.beneficiary.address)) === 0n) await advance(600);
    }
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(200n * UNIT);
    expect(BigInt((await ethers.provider.getBlock("latest"))!.timestamp)).to.be.lessThan(changedAt + 7200n);
    expect(w.decisions().map((d) => d.reason)).to.include("COVER_DECREASE_DUE");
  });
});
