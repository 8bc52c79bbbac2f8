/**
 * Issue 12: the beneficiary reads a chequebook's cover once per block, not once per cheque. The adversary is an
 * issuer who moves money out in a new block (a withdrawal, a cash-out by another beneficiary) and then sends a
 * cheque the old reading would cover; or a reorg that replaces the block of the reading at the same height.
 * Property: under "reject", a cheque accepted is payable at the block it was accepted at.
 */
import { expect } from "chai";

import { MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, countCalls, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

const sign = (f: SdkFixture, cumulativePayout: bigint, beneficiary = f.beneficiary.address) =>
  signCheque({ signer: f.issuer, chequebook: f.address, beneficiary, cumulativePayout, chainId: f.chainId });

describe("SDK verification: the cover is read once per block", function () {
  it("a second cheque in the same block makes no contract call for its cover; a new block makes one", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const verifier = verifierFor(f, store);
    await store.putReceived(await sign(f, 1n * UNIT));
    await verifier.verify(await sign(f, 1n * UNIT), { previous: 0n });
    const second = await sign(f, 2n * UNIT);
    const same = await countCalls(() => verifier.verify(second, { previous: 1n * UNIT }));
    expect(same.call).to.equal(0);
    await networkHelpers.mine();
    const third = await sign(f, 3n * UNIT);
    const next = await countCalls(() => verifier.verify(third, { previous: 2n * UNIT }));
    expect(next.call).to.be.greaterThan(0);
  });

  it("refuses a cheque the cached reading covers once the issuer withdrew in a new block", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture); // 1,000 in the chequebook
    const verifier = verifierFor(f);
    await verifier.verify(await sign(f, 100n * UNIT), { previous: 0n }); // read: 1,000 cover us
    await f.chequebook.connect(f.issuer).withdraw(800n * UNIT);
    const e = await rejection(async () => verifier.verify(await sign(f, 300n * UNIT), { previous: 0n }));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
  });

  it("refuses a cheque the cached reading covers once another beneficiary cashed out in a new block", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const verifier = verifierFor(f);
    await verifier.verify(await sign(f, 100n * UNIT), { previous: 0n });
    const theirs = await sign(f, 900n * UNIT, f.other.address);
    await f.chequebook.connect(f.other).cashChequeBeneficiary(f.other.address, theirs.cumulativePayout, theirs.signature);
    const e = await rejection(async () => verifier.verify(await sign(f, 200n * UNIT), { previous: 0n }));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
  });

  it("a reorg that replaces the block of the reading (same height, another hash) is seen", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const verifier = verifierFor(f);
    const before = await networkHelpers.takeSnapshot();
    await f.token.mint(f.address, 5000n * UNIT); // block N+1: 6,000 cover us
    await verifier.verify(await sign(f, 1n * UNIT), { previous: 0n });
    const height = await ethers.provider.getBlockNumber();
    await before.restore();
    await f.token.mint(f.other.address, 1n); // another block N+1
    expect(await ethers.provider.getBlockNumber()).to.equal(height);
    const e = await rejection(async () => verifier.verify(await sign(f, 2000n * UNIT), { previous: 0n }));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
  });
});
