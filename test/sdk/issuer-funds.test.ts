/**
 * Issue 9, point 4: issuing reserves funds atomically per chequebook. Concurrent issues to different beneficiaries,
 * in any interleaving of their store reads and writes, never promise more than the chequebook holds.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";

import { ChequebookIssuer, MemoryChequeStore, isChequeError } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, scheduledStore, sdkFixture } from "./helpers.js";

const BENEFICIARIES = Array.from({ length: 5 }, () => Wallet.createRandom().address);

/** The SDK fixture with a hard deposit of 300 for BENEFICIARIES[0], who holds no cheque yet. */
async function hardDepositFixture() {
  const f = await sdkFixture();
  await f.chequebook.connect(f.issuer).increaseHardDeposit(BENEFICIARIES[0]!, 300n * UNIT);
  return f;
}

describe("SDK issuer: funds are reserved per chequebook", function () {
  this.timeout(120_000);

  it("five concurrent issues of the whole balance to five beneficiaries: exactly one succeeds", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    const results = await Promise.allSettled(BENEFICIARIES.map((b) => issuer.issueCheque(b, 1000n * UNIT)));
    expect(results.filter((r) => r.status === "fulfilled")).to.have.length(1);
    for (const r of results) if (r.status === "rejected") expect(isChequeError(r.reason, "INSUFFICIENT_FUNDS")).to.equal(true);
    expect(await store.totalIssued(f.address)).to.equal(1000n * UNIT);
  });

  it("two issuer handles sharing one store share the reservation", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const one = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    const two = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    const results = await Promise.allSettled([one.issueCheque(BENEFICIARIES[0]!, 600n * UNIT), two.issueCheque(BENEFICIARIES[1]!, 600n * UNIT)]);
    expect(results.filter((r) => r.status === "fulfilled")).to.have.length(1);
    expect(await store.totalIssued(f.address)).to.equal(600n * UNIT);
  });

  it("counts a partly cashed (bounced) cheque's unpaid rest as still promised", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    const { cheque } = await issuer.issueCheque(f.beneficiary.address, 800n * UNIT);
    // The issuer withdraws by force, so the cheque bounces: 300 are paid, 500 are still owed.
    await issuer.withdraw(700n * UNIT, { force: true });
    await f.chequebook.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, cheque.cumulativePayout, cheque.signature);
    await f.token.mint(f.address, 600n * UNIT);
    const b = await issuer.balances();
    expect(b).to.deep.include({ total: 600n * UNIT, totalPaidOut: 300n * UNIT, outstanding: 500n * UNIT, available: 100n * UNIT });
    const e = await rejection(() => issuer.issueCheque(f.other.address, 101n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    await issuer.issueCheque(f.other.address, 100n * UNIT);
  });

  /** Runs the interleaving property against `fixture`; `hardDeposit` is what BENEFICIARIES[0] holds. */
  async function interleavings(fixture: typeof sdkFixture, hardDeposit: bigint, seed: number) {
    const f = await networkHelpers.loadFixture(fixture);
    const total = 1000n * UNIT;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ to: fc.integer({ min: 0, max: 4 }), amount: fc.bigInt({ min: 1n, max: 700n }), handle: fc.integer({ min: 0, max: 1 }) }), { minLength: 2, maxLength: 8 }),
        async (s, issues) => {
          const store = scheduledStore(new MemoryChequeStore(), s);
          const handles = await s.waitFor(Promise.all([0, 1].map(() => ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store }))));
          const runs = issues.map((i) => handles[i.handle]!.issueCheque(BENEFICIARIES[i.to]!, i.amount * UNIT));
          const results = await s.waitFor(Promise.allSettled(runs));
          const promised = new Map<string, bigint>();
          for (const [k, r] of results.entries()) {
            if (r.status === "rejected") {
              if (!isChequeError(r.reason, "INSUFFICIENT_FUNDS")) throw r.reason;
              continue;
            }
            const to = BENEFICIARIES[issues[k]!.to]!;
            promised.set(to, (promised.get(to) ?? 0n) + r.value.amount);
          }
          // Every cheque payable at once: what each needs beyond its hard deposit fits in the liquid balance.
          let fromLiquid = 0n;
          for (const [to, amount] of promised) {
            const hd = to === BENEFICIARIES[0] ? hardDeposit : 0n;
            fromLiquid += amount > hd ? amount - hd : 0n;
          }
          expect(fromLiquid <= total - hardDeposit, `needs ${fromLiquid} from a liquid ${total - hardDeposit}`).to.equal(true);
          const sum = [...promised.values()].reduce((a, b) => a + b, 0n);
          expect(await s.waitFor(store.totalIssued(f.address))).to.equal(sum);
        },
      ),
      { seed, numRuns: 30 },
    );
  }

  it("property: no interleaving of concurrent issues (two handles, one store) promises more than the balance", async function () {
    await interleavings(sdkFixture, 0n, 9004);
  });

  it("property: the same with a hard deposit for one beneficiary: every issued cheque stays payable at once", async function () {
    await interleavings(hardDepositFixture, 300n * UNIT, 9005);
  });

  it("does not count another beneficiary's unused hard deposit as free, and lets its holder use it", async function () {
    const f = await networkHelpers.loadFixture(hardDepositFixture);
    const store = new MemoryChequeStore();
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    expect((await rejection(() => issuer.issueCheque(f.other.address, 701n * UNIT))).details).to.deep.include({ available: 700n * UNIT });
    expect((await issuer.balances()).available).to.equal(700n * UNIT);
    await issuer.issueCheque(BENEFICIARIES[0]!, 900n * UNIT); // 300 from its hard deposit, 600 from the liquid 700
    expect((await rejection(() => issuer.issueCheque(f.other.address, 101n * UNIT))).details).to.deep.include({ available: 100n * UNIT });
    await issuer.issueCheque(f.other.address, 100n * UNIT);
    const e = await rejection(() => issuer.withdraw(1n, {}));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
  });
});
