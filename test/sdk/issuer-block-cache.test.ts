/**
 * Issue 12: the issuer reads its chequebook's funds once per block, not once per cheque. The adversary here is the
 * chain moving under a cached reading: a withdrawal made with the issuer's key outside this handle (another
 * process, a wallet), a cash-out by a beneficiary, a hard deposit, new blocks and a reorg. The property is about
 * value: at every block, what the issuer has promised and not yet paid stays payable, all at once, by the
 * chequebook as it is at that block; and a cached reading never lets an issue through that a fresh one would refuse.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { Signer } from "ethers";

import { ChequebookIssuer, MemoryChequeStore, isChequeError, type IssuedCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, countCalls, rejection, sdkFixture, type SdkFixture } from "./helpers.js";

const pos = (x: bigint) => (x > 0n ? x : 0n);

/**
 * What the chequebook, as it is at the latest block, still has free beyond what `issued` needs: read straight from
 * the contract, independently of the SDK's own arithmetic. Negative when the promises cannot all be paid.
 */
async function trueSlack(f: SdkFixture, issued: IssuedCheque[]): Promise<bigint> {
  const book = f.chequebook;
  const tag = { blockTag: await ethers.provider.getBlockNumber() };
  const [total, totalHardDeposit] = await Promise.all([book.balance(tag), book.totalHardDeposit(tag)]);
  let need = 0n;
  for (const i of issued) {
    const [paidOut, hd] = await Promise.all([book.paidOut(i.cheque.beneficiary, tag), book.hardDeposits(i.cheque.beneficiary, tag)]);
    need += pos(i.cheque.cumulativePayout - paidOut - hd.amount);
  }
  return total - totalHardDeposit - need;
}

describe("SDK issuer: a per-block reading of the chain never lets it over-promise", function () {
  this.timeout(300_000);

  it("reads the chain once per block: a second issue in the same block makes no contract call", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: new MemoryChequeStore() });
    await issuer.issueCheque(f.beneficiary.address, 1n * UNIT);
    const calls = await countCalls(() => issuer.issueCheque(f.beneficiary.address, 1n * UNIT));
    expect(calls.call).to.equal(0);
    await networkHelpers.mine();
    const next = await countCalls(() => issuer.issueCheque(f.beneficiary.address, 1n * UNIT));
    expect(next.call).to.be.greaterThan(0);
  });

  it("a node answering \"latest\" with a block from before the handle's own withdrawal cannot make it over-promise", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    await issuer.issueCheque(f.beneficiary.address, 400n * UNIT);
    const provider = f.issuer.provider!;
    const stale = await provider.getBlock("latest");
    await issuer.withdraw(600n * UNIT);
    // As ethers does for up to 250 ms: the same answer to the same "latest" request, now from before the withdrawal.
    const original = provider.getBlock.bind(provider);
    (provider as { getBlock: typeof provider.getBlock }).getBlock = ((tag, prefetch) => (tag === "latest" ? Promise.resolve(stale) : original(tag, prefetch))) as typeof provider.getBlock;
    try {
      const e = await rejection(() => issuer.issueCheque(f.other.address, 1n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      expect((await issuer.balances()).total).to.equal(400n * UNIT);
    } finally {
      (provider as { getBlock: typeof provider.getBlock }).getBlock = original;
    }
    expect(await trueSlack(f, await store.listIssued(f.address))).to.equal(0n);
  });

  it("a withdrawal with the issuer's key outside this handle, in a new block, is seen at the next issue", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    await issuer.issueCheque(f.beneficiary.address, 400n * UNIT); // cached: 600 free
    // Straight to the contract, as another process or a wallet would: 600 leave, the 400 promised stay covered.
    await f.chequebook.connect(f.issuer).withdraw(600n * UNIT);
    const e = await rejection(() => issuer.issueCheque(f.other.address, 1n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    expect(e.details.available).to.equal(0n);
    expect(await trueSlack(f, await store.listIssued(f.address))).to.equal(0n);
  });

  it("a reorg that replaces the block of the cached reading (same height, another hash) is seen", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    const before = await networkHelpers.takeSnapshot();
    await f.token.mint(f.address, 5000n * UNIT); // block N+1: 6,000 in the chequebook
    await issuer.issueCheque(f.beneficiary.address, 1n * UNIT); // cached at N+1
    const height = await ethers.provider.getBlockNumber();
    const cachedHash = (await ethers.provider.getBlock(height))!.hash;
    // The branch with the mint is dropped; another block N+1 (an unrelated transfer) takes its place.
    await before.restore();
    await f.token.mint(f.other.address, 1n);
    const replaced = (await ethers.provider.getBlock("latest"))!;
    expect(replaced.number).to.equal(height);
    expect(replaced.hash).to.not.equal(cachedHash);
    // The store still holds the 1 issued on the dropped branch: 999 are free, not 5,999.
    const e = await rejection(() => issuer.issueCheque(f.other.address, 1000n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    expect(e.details.available).to.equal(999n * UNIT);
  });

  it("property: issues interleaved with outside withdrawals, cash-outs, hard deposits, deposits and new blocks never over-promise", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const beneficiaries: Signer[] = [f.beneficiary, f.other, f.caller, f.recipient];
    const address = await Promise.all(beneficiaries.map((b) => b.getAddress()));
    const action = fc.oneof(
      fc.record({ kind: fc.constant("issue" as const), to: fc.integer({ min: 0, max: 3 }), amount: fc.bigInt({ min: 1n, max: 400n }), handle: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant("withdraw" as const), share: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant("cashout" as const), who: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("hardDeposit" as const), to: fc.integer({ min: 0, max: 3 }), share: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant("deposit" as const), amount: fc.bigInt({ min: 1n, max: 300n }) }),
      fc.record({ kind: fc.constant("mine" as const), blocks: fc.integer({ min: 1, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 14 }), async (actions) => {
        await networkHelpers.loadFixture(sdkFixture); // back to 1,000 in the chequebook
        const store = new MemoryChequeStore();
        // Two handles on one store (the cached reading is shared); neither is told of the outside changes.
        const handles = await Promise.all([0, 1].map(() => ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store })));
        for (const a of actions) {
          const issued = await store.listIssued(f.address);
          const slack = await trueSlack(f, issued);
          switch (a.kind) {
            case "issue": {
              try {
                await handles[a.handle]!.issueCheque(address[a.to]!, a.amount * UNIT);
                // A fresh reading at this block would have allowed it too.
                expect(a.amount * UNIT <= slack + (await hdBeyondOwed(f, issued, address[a.to]!))).to.equal(true);
              } catch (error) {
                if (!isChequeError(error, "INSUFFICIENT_FUNDS")) throw error;
              }
              break;
            }
            case "withdraw": {
              // With the issuer's key, past every handle: never more than is free, so the promises stay payable.
              const amount = (pos(slack) * BigInt(a.share)) / 100n;
              if (amount > 0n) await f.chequebook.connect(f.issuer).withdraw(amount);
              break;
            }
            case "cashout": {
              const last = issued.find((i) => i.cheque.beneficiary === address[a.who]);
              if (last === undefined) break;
              const paid = await f.chequebook.paidOut(address[a.who]!);
              if (paid >= last.cheque.cumulativePayout) break;
              await f.chequebook.connect(beneficiaries[a.who]!).cashChequeBeneficiary(address[a.who]!, last.cheque.cumulativePayout, last.cheque.signature);
              break;
            }
            case "hardDeposit": {
              const amount = (pos(slack) * BigInt(a.share)) / 100n;
              if (amount > 0n) await f.chequebook.connect(f.issuer).increaseHardDeposit(address[a.to]!, amount);
              break;
            }
            case "deposit":
              await f.token.mint(f.address, a.amount * UNIT);
              break;
            case "mine":
              await networkHelpers.mine(a.blocks);
              break;
          }
          // At every block: all that is promised and unpaid is payable at once.
          expect(await trueSlack(f, await store.listIssued(f.address))).to.be.greaterThanOrEqual(0n);
        }
      }),
      { seed: 1212, numRuns: 25 },
    );
  });
});

/** What `to`'s hard deposit holds beyond what it is owed: money an issue to `to` may use besides the free slack. */
async function hdBeyondOwed(f: SdkFixture, issued: IssuedCheque[], to: string): Promise<bigint> {
  const [paidOut, hd] = await Promise.all([f.chequebook.paidOut(to), f.chequebook.hardDeposits(to)]);
  const owed = pos((issued.find((i) => i.cheque.beneficiary === to)?.cheque.cumulativePayout ?? 0n) - paidOut);
  return pos(hd.amount - owed);
}
