/**
 * Review of issue 9, point 4: not only issues compete for a chequebook's funds. A withdrawal or a hard-deposit
 * increase made through the SDK while cheques are issued, or through another handle on the same store, must not
 * leave an issued cheque unpayable. Property: every cheque issued and not yet paid stays payable, all at once.
 */
import { expect } from "chai";
import fc from "fast-check";
import { Wallet, type HDNodeWallet } from "ethers";

import { ChequebookIssuer, MemoryChequeStore, chequebookInterface, isChequeError, type ChequeStore, type SignedCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, scheduledStore, sdkFixture, type SdkFixture } from "./helpers.js";

/** A store whose `putIssued` waits for `gate`: the issue commits only after the racing transaction was sent. */
function gatedStore(inner: ChequeStore, gate: Promise<void>): ChequeStore {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      if (key !== "putIssued") return value.bind(target);
      return async (...args: unknown[]) => {
        await gate;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const PAYEES = Array.from({ length: 3 }, () => Wallet.createRandom().address);

/** Cashes `cheque` as its beneficiary (a random key, funded with gas) and returns what was paid. */
async function cash(f: SdkFixture, key: HDNodeWallet, cheque: SignedCheque): Promise<bigint> {
  const beneficiary = key.connect(f.chequebook.runner!.provider);
  await (await f.deployer.sendTransaction({ to: beneficiary.address, value: 10n ** 18n })).wait();
  const before = await f.token.balanceOf(beneficiary.address);
  await (await f.chequebook.connect(beneficiary as never).cashChequeBeneficiary(beneficiary.address, cheque.cumulativePayout, cheque.signature)).wait();
  return (await f.token.balanceOf(beneficiary.address)) - before;
}

describe("SDK issuer: withdrawals and hard deposits against issued cheques", function () {
  this.timeout(120_000);

  it("a withdrawal racing an issue of the same money: never both (the issued cheque is paid in full)", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    let sent!: () => void;
    const withdrawalSent = new Promise<void>((resolve) => (sent = resolve));
    const store = gatedStore(new MemoryChequeStore(), withdrawalSent);
    const issuer = await ChequebookIssuer.connect({
      signer: f.issuer,
      chequebook: f.address,
      store,
      tx: { onProgress: (p) => p.stage === "sent" && sent() },
    });
    const payee = Wallet.createRandom();
    const [withdrawal, issue] = await Promise.allSettled([issuer.withdraw(1000n * UNIT), issuer.issueCheque(payee.address, 1000n * UNIT)]);
    for (const r of [withdrawal, issue]) if (r.status === "rejected") expect(isChequeError(r.reason, "INSUFFICIENT_FUNDS"), String(r.reason)).to.equal(true);
    expect([withdrawal, issue].filter((r) => r.status === "fulfilled"), "both the withdrawal and the issue of the same 1,000 succeeded").to.have.length(1);
    if (issue.status === "fulfilled") expect(await cash(f, payee, issue.value.cheque)).to.equal(1000n * UNIT);
  });

  it("refuses to raise a hard deposit with the liquid money that backs another beneficiary's cheque", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: new MemoryChequeStore() });
    const payee = Wallet.createRandom();
    const { cheque } = await issuer.issueCheque(payee.address, 1000n * UNIT);
    const e = await rejection(() => issuer.increaseHardDeposit(Wallet.createRandom().address, 1000n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    expect(e.details).to.deep.include({ available: 0n, requested: 1000n * UNIT });
    // A hard deposit for the cheque's own beneficiary reserves money that already backs it: allowed.
    await issuer.increaseHardDeposit(payee.address, 1000n * UNIT);
    expect(await cash(f, payee, cheque)).to.equal(1000n * UNIT);
  });

  it("a withdrawal through one handle is seen by another handle's cached reading (balanceCacheMs)", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const one = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store, balanceCacheMs: 3_600_000 });
    const two = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    await one.issueCheque(Wallet.createRandom().address, 100n * UNIT); // caches the chain's figures: a balance of 1,000
    await two.withdraw(900n * UNIT); // leaves exactly what the first cheque needs
    const payee = Wallet.createRandom();
    const e = await rejection(() => one.issueCheque(payee.address, 900n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    expect(e.details).to.deep.include({ available: 0n });
  });

  it("a reading that started before a withdrawal and ends after it is not cached for later issues", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    const one = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store, balanceCacheMs: 3_600_000 });
    const two = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
    await one.issueCheque(Wallet.createRandom().address, 100n * UNIT);
    await networkHelpers.mine(); // a new block: the reading below is not the cached one of the issue's block

    // The node answers one's read of balance() at the block before the withdrawal; the answer arrives after it.
    const provider = ethers.provider as unknown as { call: (tx: { data?: string }) => Promise<string> };
    const call = provider.call;
    const balanceSel = chequebookInterface.getFunction("balance")!.selector;
    let dispatched!: () => void, release!: () => void;
    const readDispatched = new Promise<void>((r) => (dispatched = r));
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    provider.call = function (tx) {
      if (!held && tx.data === balanceSel) {
        held = true;
        const answer = call.call(ethers.provider, tx);
        dispatched();
        return answer.then(async (a) => (await released, a));
      }
      return call.call(ethers.provider, tx);
    };
    try {
      const reading = one.balances();
      await readDispatched;
      await two.withdraw(900n * UNIT); // leaves exactly what the first cheque needs
      release();
      await reading;
    } finally {
      provider.call = call;
    }
    const e = await rejection(() => one.issueCheque(Wallet.createRandom().address, 900n * UNIT));
    expect(e.code).to.equal("INSUFFICIENT_FUNDS");
    expect(e.details).to.deep.include({ available: 0n });
  });

  it("property: no interleaving of issues, withdrawals and hard-deposit increases (two handles, one store) leaves an issued cheque unpayable", async function () {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("issue" as const), to: fc.integer({ min: 0, max: 2 }), amount: fc.bigInt({ min: 1n, max: 700n }), handle: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant("withdraw" as const), to: fc.constant(0), amount: fc.bigInt({ min: 1n, max: 700n }), handle: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ kind: fc.constant("deposit" as const), to: fc.integer({ min: 0, max: 2 }), amount: fc.bigInt({ min: 1n, max: 700n }), handle: fc.integer({ min: 0, max: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(op, { minLength: 2, maxLength: 6 }), async (s, ops) => {
        const f = await networkHelpers.loadFixture(sdkFixture); // 1,000 in the chequebook, fresh for every run
        const store = scheduledStore(new MemoryChequeStore(), s);
        const handles = await s.waitFor(Promise.all([0, 1].map(() => ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store, balanceCacheMs: 60_000 }))));
        const runs = ops.map((o) => {
          const h = handles[o.handle]!;
          if (o.kind === "issue") return h.issueCheque(PAYEES[o.to]!, o.amount * UNIT);
          if (o.kind === "withdraw") return h.withdraw(o.amount * UNIT);
          return h.increaseHardDeposit(PAYEES[o.to]!, o.amount * UNIT);
        });
        for (const r of await s.waitFor(Promise.allSettled(runs))) {
          if (r.status === "rejected" && !isChequeError(r.reason, "INSUFFICIENT_FUNDS")) throw r.reason;
        }
        // Every issued cheque payable at once: what each needs beyond its hard deposit fits in the liquid balance.
        const book = f.chequebook;
        const liquid = (await book.balance()) - (await book.totalHardDeposit());
        let fromLiquid = 0n;
        for (const { cheque } of await s.waitFor(store.listIssued(f.address))) {
          const owed = cheque.cumulativePayout - (await book.paidOut(cheque.beneficiary));
          const [hd] = await book.hardDeposits(cheque.beneficiary);
          if (owed > hd) fromLiquid += owed - hd;
        }
        expect(fromLiquid <= liquid, `issued cheques need ${fromLiquid} from a liquid ${liquid}`).to.equal(true);
      }),
      { seed: 9107, numRuns: 25 },
    );
  });
});
