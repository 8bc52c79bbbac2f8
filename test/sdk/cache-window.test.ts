/**
 * The opt-in freshness windows, `solvency.cacheMs` (verifier) and `balanceCacheMs` (issuer): a reading is reused
 * without asking the node for this long after its block was last seen to be the latest. A check that finds the same
 * block renews the window (before, the window counted from the first read only, so on a chain without new blocks
 * every cheque asked the node again once it had passed: the option saved nothing). A reuse without a check never
 * renews it, so the chain is never trusted for longer than the window since the node was last asked: a cheque beyond
 * the chequebook's cover is refused, and an issue beyond its funds too, once the window has passed after they drop.
 */
import { expect } from "chai";

import { ChequebookIssuer, MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, countCalls, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

const sign = (f: SdkFixture, cumulativePayout: bigint) =>
  signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });

/** Runs `fn`, counting the requests for the latest block (`heads`) and the contract calls (`calls`). */
async function reads(fn: () => Promise<unknown>): Promise<{ heads: number; calls: number }> {
  const provider = ethers.provider as unknown as { send: (method: string, params: unknown[]) => Promise<unknown> };
  const send = provider.send;
  let heads = 0;
  provider.send = (method, params) => {
    if (method === "eth_getBlockByNumber" && params[0] === "latest") heads++;
    return send.call(ethers.provider, method, params);
  };
  try {
    const { call } = await countCalls(fn);
    return { heads, calls: call };
  } finally {
    provider.send = send;
  }
}

describe("SDK caches: the freshness window counts from the last time the node was asked", function () {
  it("verifier (solvency.cacheMs): renewed by a check that finds the same block, never by a reuse; then the cover drop is seen", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture); // 1,000 in the chequebook
    let now = 1_000_000;
    const verifier = verifierFor(f, new MemoryChequeStore(), { solvency: { cacheMs: 1_000 }, now: () => now });
    const zero = await sign(f, 1n * UNIT);
    const first = await reads(() => verifier.verify(zero, { previous: 0n }));
    expect(first.heads).to.equal(1);
    expect(first.calls).to.be.greaterThan(0);
    const one = await sign(f, 2n * UNIT);
    const two = await sign(f, 3n * UNIT);
    now += 1_500; // the window has passed: the node is asked, the block is the same, the figures are kept
    expect(await reads(() => verifier.verify(one, { previous: 1n * UNIT }))).to.deep.equal({ heads: 1, calls: 0 });
    now += 500; // 500 ms after that check: within the window, nothing is asked
    expect(await reads(() => verifier.verify(two, { previous: 2n * UNIT }))).to.deep.equal({ heads: 0, calls: 0 });
    // The issuer takes 996 out in a new block: 4 are left to cover us.
    await f.chequebook.connect(f.issuer).withdraw(996n * UNIT);
    const beyond = await sign(f, 10n * UNIT);
    now += 501; // 1,001 ms after the last check (501 after the reuse, which renewed nothing)
    const e = await rejection(() => verifier.verify(beyond, { previous: 3n * UNIT }));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
  });

  it("issuer (balanceCacheMs): renewed by a check that finds the same block, never by a reuse; then an outside withdrawal is seen", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: new MemoryChequeStore(), balanceCacheMs: 1_000 });
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      const first = await reads(() => issuer.issueCheque(f.beneficiary.address, 1n * UNIT));
      expect(first.heads).to.equal(1);
      expect(first.calls).to.be.greaterThan(0);
      now += 1_500;
      expect(await reads(() => issuer.issueCheque(f.beneficiary.address, 1n * UNIT))).to.deep.equal({ heads: 1, calls: 0 });
      now += 500;
      expect(await reads(() => issuer.issueCheque(f.beneficiary.address, 1n * UNIT))).to.deep.equal({ heads: 0, calls: 0 });
      // With the issuer's key, outside this handle, in a new block: 990 leave, the 3 promised stay covered.
      await f.chequebook.connect(f.issuer).withdraw(990n * UNIT);
      now += 501;
      const e = await rejection(() => issuer.issueCheque(f.beneficiary.address, 10n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      expect(e.details.available).to.equal(7n * UNIT);
    } finally {
      Date.now = realNow;
    }
  });
});
