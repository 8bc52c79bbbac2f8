/**
 * Issue 9, point 5: the hard-deposit policy counts only cover that stays. A pending decrease removes cover from its
 * due time, a timeout below the minimum gives no cover, and a signature the issuer can revoke (ERC-1271) is never
 * taken as covered.
 */
import { expect } from "chai";
import fc from "fast-check";

import { MemoryChequeStore, isChequeError, signCheque, signCustomDecreaseTimeout, type ChequeStore } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

const DAY = 86_400n;
const HARD = { solvency: { policy: "hard-deposit" as const } };

function chequeFor(f: SdkFixture, chequebook: string, cumulativePayout: bigint) {
  return signCheque({ signer: f.issuer, chequebook, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
}

/** A chequebook of the EOA issuer with the given default timeout, 100 tokens and a hard deposit of 10 for us. */
async function bookWithTimeout(f: SdkFixture, timeout: bigint, salt: string) {
  const book = await deployChequebook(f.factory, f.issuer, f.issuer.address, timeout, ethers.id(salt));
  await f.token.mint(await book.getAddress(), 100n * UNIT);
  await book.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 10n * UNIT);
  return { book, address: await book.getAddress() };
}

describe("SDK solvency: hard-deposit cover that stays", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });

  it("counts a hard deposit with a long enough timeout and reports the cover and until when it holds", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { address } = await bookWithTimeout(f, 2n * DAY, "long");
    const r = await verifierFor(f, store, HARD).verify(await chequeFor(f, address, 10n * UNIT));
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect(r.cover).to.deep.include({ hardDeposit: 10n * UNIT, covered: 10n * UNIT, decreaseAmount: 0n, canBeDecreasedAt: 0n, effectiveTimeout: 2n * DAY, issuerCanRevoke: false });
    expect(r.cover.coveredUntil >= now + 2n * DAY - 5n && r.cover.coveredUntil <= now + 2n * DAY + 5n).to.equal(true);
    expect(r.cashNow).to.equal(false);
  });

  it("a pending decrease removes its amount from the cover when it comes due within the minimum timeout", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { book, address } = await bookWithTimeout(f, DAY, "pending");
    await book.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 8n * UNIT);
    const verifier = verifierFor(f, store, HARD);
    const e = await rejection(async () => verifier.verify(await chequeFor(f, address, 3n * UNIT)));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
    expect(e.details).to.deep.include({ covered: 2n * UNIT, decreaseAmount: 8n * UNIT });
    expect(e.details.canBeDecreasedAt).to.be.a("bigint").and.not.equal(0n);
    expect((await verifier.verify(await chequeFor(f, address, 2n * UNIT))).cover.covered).to.equal(2n * UNIT);
  });

  it("a pending decrease due after the minimum timeout still counts, and bounds coveredUntil", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { book, address } = await bookWithTimeout(f, 3n * DAY, "later");
    await book.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 8n * UNIT);
    const [, , , due] = await book.hardDeposits(f.beneficiary.address);
    const r = await verifierFor(f, store, HARD).verify(await chequeFor(f, address, 10n * UNIT));
    expect(r.cover).to.deep.include({ covered: 10n * UNIT, canBeDecreasedAt: due, coveredUntil: due });
  });

  it("gives no cover when the effective timeout is below the minimum (a chequebook deployed with timeout 0, as Bee does)", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { address } = await bookWithTimeout(f, 0n, "zero");
    const e = await rejection(async () => verifierFor(f, store, HARD).verify(await chequeFor(f, address, UNIT)));
    expect(e.code).to.equal("INSUFFICIENT_COVER");
    expect(e.details).to.deep.include({ reason: "timeout-too-short", effectiveTimeout: 0n, minHardDepositTimeout: DAY, covered: 0n });
    const lenient = verifierFor(f, new MemoryChequeStore(), { solvency: { policy: "hard-deposit", minHardDepositTimeout: 0n } });
    expect((await lenient.verify(await chequeFor(f, address, UNIT))).cover.covered).to.equal(10n * UNIT);
  });

  it("a decrease prepared under an earlier, shorter timeout waits for the new timeout counted from the change (the contract's rule), and the verifier counts its cover until then", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const { book, address } = await bookWithTimeout(f, 0n, "earlier");
    await book.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 10n * UNIT); // due at once under timeout 0
    const sig = await signCustomDecreaseTimeout({ signer: f.beneficiary, chequebook: address, beneficiary: f.beneficiary.address, decreaseTimeout: 7n * DAY, chainId: f.chainId });
    await book.connect(f.issuer).setCustomHardDepositTimeout(f.beneficiary.address, 7n * DAY, sig);
    const changedAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const [, , , due] = await book.hardDeposits(f.beneficiary.address);
    expect(due).to.equal(changedAt + 7n * DAY);
    const r = await verifierFor(f, store, HARD).verify(await chequeFor(f, address, UNIT));
    expect(r.cover).to.deep.include({ covered: 10n * UNIT, effectiveTimeout: 7n * DAY, decreaseAmount: 10n * UNIT, canBeDecreasedAt: due, coveredUntil: due });
  });

  describe("an issuer that can revoke its signatures (ERC-1271)", function () {
    /** A hostile issuer: a wallet that approves every digest until it changes its mind (or its owner). */
    async function hostileFixture() {
      const f = await sdkFixture();
      const wallet = await ethers.deployContract("MaliciousERC1271Wallet");
      await wallet.setMode(4); // ApprovesAll
      const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress(), 2n * DAY);
      const address = await book.getAddress();
      await f.token.mint(address, 100n * UNIT);
      await wallet.execute(address, book.interface.encodeFunctionData("increaseHardDeposit", [f.beneficiary.address, 50n * UNIT]));
      return { ...f, wallet, hostileBook: book, hostileAddress: address };
    }

    it("is refused under hard-deposit by default (REVOCABLE_ISSUER): the cover it shows can vanish with one call", async function () {
      const f = await networkHelpers.loadFixture(hostileFixture);
      const cheque = await signCheque({ signer: f.other, chequebook: f.hostileAddress, beneficiary: f.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: f.chainId });
      const verifier = verifierFor(f, store, HARD);
      await verifier.chequebookInfo(f.hostileAddress);
      let calls = 0;
      const provider = ethers.provider as unknown as { call: (...a: unknown[]) => Promise<unknown> };
      const call = provider.call;
      provider.call = (...a) => (calls++, call.apply(ethers.provider, a));
      const e = await rejection(() => verifier.verify(cheque)).finally(() => (provider.call = call));
      expect(e.code).to.equal("REVOCABLE_ISSUER");
      expect(calls, "refused without asking the wallet").to.equal(0);
      expect(e.details.issuer).to.equal(await f.wallet.getAddress());
      // Why: the wallet revokes, and the "covered" cheque cannot be cashed any more.
      await f.wallet.setMode(0);
      await expect(f.hostileBook.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, cheque.cumulativePayout, cheque.signature)).to.be.revertedWithCustomError(
        f.hostileBook,
        "ChequebookInvalidIssuerSignature",
      );
    });

    it("is accepted with cashNow under revocableIssuer: cash-now, and reported as revocable", async function () {
      const f = await networkHelpers.loadFixture(hostileFixture);
      const cheque = await signCheque({ signer: f.other, chequebook: f.hostileAddress, beneficiary: f.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: f.chainId });
      const r = await verifierFor(f, store, { solvency: { policy: "hard-deposit", revocableIssuer: "cash-now" } }).verify(cheque);
      expect(r.cashNow).to.equal(true);
      expect(r.cover.issuerCanRevoke).to.equal(true);
      const reject = await verifierFor(f, new MemoryChequeStore()).verify(cheque);
      expect(reject.cashNow).to.equal(true);
      const refuse = await rejection(() => verifierFor(f, new MemoryChequeStore(), { solvency: { policy: "flag", revocableIssuer: "refuse" } }).verify(cheque));
      expect(refuse.code).to.equal("REVOCABLE_ISSUER");
    });
  });
  it("reject and flag are point-in-time, per-beneficiary checks: three cheques of 1,000 against 1,000 are all accepted, one is paid", async function () {
    // The documented limit (README, "Solvency policies"): nothing is reserved for a cheque accepted under reject.
    const f = await networkHelpers.loadFixture(sdkFixture);
    const payees = [f.beneficiary, f.other, f.caller];
    for (const policy of ["reject", "flag"] as const) {
      for (const payee of payees) {
        const cheque = await signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: payee.address, cumulativePayout: 1000n * UNIT, chainId: f.chainId });
        const r = await verifierFor(f, new MemoryChequeStore(), { beneficiary: payee.address, solvency: { policy } }).verify(cheque);
        expect(r.flagged).to.equal(false);
      }
    }
    const cheques = await Promise.all(payees.map((p) => signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: p.address, cumulativePayout: 1000n * UNIT, chainId: f.chainId })));
    await f.chequebook.connect(payees[0]!).cashChequeBeneficiary(payees[0]!.address, cheques[0]!.cumulativePayout, cheques[0]!.signature);
    await expect(f.chequebook.connect(payees[1]!).cashChequeBeneficiary(payees[1]!.address, cheques[1]!.cumulativePayout, cheques[1]!.signature)).to.be.revertedWithCustomError(
      f.chequebook,
      "ChequebookNoLiquidity",
    );
  });

  it("property: a hostile issuer cannot take away accepted hard-deposit cover before coveredUntil", async function () {
    this.timeout(300_000);
    const scenario = fc.record({
      defaultTimeout: fc.constantFrom(0n, 60n, DAY, 2n * DAY),
      customTimeout: fc.constantFrom(undefined, 3600n, 3n * DAY),
      hardDeposit: fc.bigInt({ min: 0n, max: 100n }),
      decrease: fc.option(fc.record({ share: fc.integer({ min: 1, max: 100 }), ageSeconds: fc.bigInt({ min: 0n, max: 3n * DAY }) })),
      amount: fc.bigInt({ min: 1n, max: 120n }),
      attack: fc.constantFrom("apply-pending" as const, "prepare-all" as const),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const f = await networkHelpers.loadFixture(sdkFixture);
        const book = await deployChequebook(f.factory, f.issuer, f.issuer.address, sc.defaultTimeout, ethers.id("prop"));
        const address = await book.getAddress();
        const asIssuer = book.connect(f.issuer);
        await f.token.mint(address, 100n * UNIT);
        if (sc.hardDeposit > 0n) await asIssuer.increaseHardDeposit(f.beneficiary.address, sc.hardDeposit * UNIT);
        if (sc.decrease !== null && sc.hardDeposit > 0n) {
          const amount = (sc.hardDeposit * UNIT * BigInt(sc.decrease.share)) / 100n;
          if (amount > 0n) await asIssuer.prepareDecreaseHardDeposit(f.beneficiary.address, amount);
        }
        if (sc.customTimeout !== undefined) {
          const sig = await signCustomDecreaseTimeout({ signer: f.beneficiary, chequebook: address, beneficiary: f.beneficiary.address, decreaseTimeout: sc.customTimeout, chainId: f.chainId });
          await asIssuer.setCustomHardDepositTimeout(f.beneficiary.address, sc.customTimeout, sig);
        }
        if (sc.decrease !== null && sc.decrease.ageSeconds > 0n) await networkHelpers.time.increase(sc.decrease.ageSeconds);
        const cheque = await chequeFor(f, address, sc.amount * UNIT);
        let r;
        try {
          r = await verifierFor(f, new MemoryChequeStore(), HARD).verify(cheque);
        } catch (e) {
          if (isChequeError(e, "INSUFFICIENT_COVER")) return;
          throw e;
        }
        accepted++;
        // The issuer does its worst until just before coveredUntil, then the beneficiary cashes.
        const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
        const until = r.cover.coveredUntil ?? now + DAY;
        if (sc.attack === "prepare-all") {
          const [hd] = await book.hardDeposits(f.beneficiary.address);
          if (hd > 0n) await asIssuer.prepareDecreaseHardDeposit(f.beneficiary.address, hd);
        }
        const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
        if (until - 1n > latest) await networkHelpers.time.setNextBlockTimestamp(until - 1n);
        const [, , , due] = await book.hardDeposits(f.beneficiary.address);
        if (due !== 0n) await asIssuer.decreaseHardDeposit(f.beneficiary.address).catch(() => undefined);
        const liquid = await book.liquidBalance();
        if (liquid > 0n) await asIssuer.withdraw(liquid);
        await book.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, cheque.cumulativePayout, cheque.signature);
        expect(await book.paidOut(f.beneficiary.address), "the accepted cheque was paid in full").to.equal(cheque.cumulativePayout);
      }),
      { seed: 9005, numRuns: 40 },
    );
    expect(accepted, "some scenarios were accepted").to.be.greaterThan(3);
  });
});
