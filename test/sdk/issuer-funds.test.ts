/**
 * Issue 9, point 4: issuing reserves funds atomically per chequebook. Concurrent issues to different beneficiaries,
 * in any interleaving of their store reads and writes, never promise more than the chequebook holds.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";

import { ChequebookIssuer, MemoryChequeStore, isChequeError, type ChequeStore } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture } from "./helpers.js";

/** A store whose every call is released by the fast-check scheduler, so the property explores interleavings. */
function scheduledStore(inner: ChequeStore, s: fc.Scheduler): ChequeStore {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => s.schedule(Promise.resolve(), String(key)).then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

const BENEFICIARIES = Array.from({ length: 5 }, () => Wallet.createRandom().address);

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

  it("property: no interleaving of concurrent issues (two handles, one store) promises more than the balance", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const balance = 1000n * UNIT;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ to: fc.integer({ min: 0, max: 4 }), amount: fc.bigInt({ min: 1n, max: 700n }), handle: fc.integer({ min: 0, max: 1 }) }), { minLength: 2, maxLength: 8 }),
        async (s, issues) => {
          const store = scheduledStore(new MemoryChequeStore(), s);
          const handles = await s.waitFor(Promise.all([0, 1].map(() => ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store }))));
          const runs = issues.map((i) => handles[i.handle]!.issueCheque(BENEFICIARIES[i.to]!, i.amount * UNIT));
          const results = await s.waitFor(Promise.allSettled(runs));
          let promised = 0n;
          for (const r of results) {
            if (r.status === "fulfilled") promised += r.value.amount;
            else if (!isChequeError(r.reason, "INSUFFICIENT_FUNDS")) throw r.reason;
          }
          expect(promised <= balance, `promised ${promised} > ${balance}`).to.equal(true);
          expect(await s.waitFor(store.totalIssued(f.address))).to.equal(promised);
        },
      ),
      { seed: 9004, numRuns: 40 },
    );
  });
});
