/**
 * A failed write makes the accounts drop a payer's book and read it again from what is durable, "once every write
 * queued for it has settled". Writes may settle out of order (a store or ledger whose commits are not one queue):
 * here a cheque write fails while a charge queued after it is still being committed. If the book were read again
 * before that charge settled, the charged total in memory would miss it, and the payer would be served that price
 * again from credit it no longer has: charged on disk > best cheque held.
 */
import { expect } from "chai";

import { ChequeError, MemoryChequeStore, type ChequeStore, type SignedCheque } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger, type ChargeLedger } from "../../sdk/x402/index.js";
import { chequebook, beneficiary, localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;

/** A write held until the test lets it commit (`ok`) or fail. */
interface Held {
  ok(): void;
  fail(): void;
}

/** The next macrotask: every promise chain that needs no I/O has run by then. */
const settled = () => new Promise<void>((r) => setImmediate(r));

describe("x402 cheque accounts: a book read again after a failed write", function () {
  it("waits for every write queued before it, also those queued after the one that failed", async function () {
    const inner = new MemoryChequeStore();
    const innerLedger = new MemoryChargeLedger();
    const puts = new Map<bigint, Held>();
    const charges: Held[] = [];
    const hold = <T>(apply: () => Promise<T>, register: (h: Held) => void): Promise<T> =>
      new Promise<T>((resolve, reject) => register({ ok: () => void apply().then(resolve, reject), fail: () => reject(new ChequeError("STORE_FAILURE", "disk full")) }));
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === "putReceived") return (c: SignedCheque) => hold(() => inner.putReceived(c), (h) => puts.set(c.cumulativePayout, h));
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as ChequeStore;
    const ledger: ChargeLedger = {
      charged: (b) => innerLedger.charged(b),
      used: (b) => innerLedger.used(b),
      close: () => Promise.resolve(),
      charge: (b, amount, use) => hold(() => innerLedger.charge(b, amount, use), (h) => charges.push(h)),
    };
    const accounts = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
    const requirements = requirementFor(PRICE);
    const payment = (value: bigint) => paymentOf(value, requirements);
    const held = async () => (await inner.getReceived(chequebook, beneficiary))?.cheque.cumulativePayout ?? 0n;
    let served = 0n;

    // A brings one price, B two: both admitted, their cheques committing.
    const a = await payment(PRICE);
    const b = await payment(2n * PRICE);
    expect((await accounts.verify(a, requirements)).isValid).to.equal(true);
    expect((await accounts.verify(b, requirements)).isValid).to.equal(true);
    puts.get(PRICE)!.ok();
    // A's cheque is durable: A is charged; its charge is queued after B's cheque.
    const settleA = accounts.settle(a, requirements);
    await settled();
    expect(charges.length).to.equal(1);
    // B's cheque fails while A's charge is still committing: B is refused.
    puts.get(2n * PRICE)!.fail();
    let refusedB = false;
    await accounts.settle(b, requirements).catch(() => (refusedB = true));
    expect(refusedB).to.equal(true);
    // C brings three prices: the book is read again; A's charge then commits.
    const c = await payment(3n * PRICE);
    const verifyC = accounts.verify(c, requirements);
    await settled();
    charges[0]!.ok();
    expect((await settleA).success).to.equal(true);
    served++;
    expect((await verifyC).isValid).to.equal(true);
    puts.get(3n * PRICE)!.ok();
    const settleC = accounts.settle(c, requirements);
    await settled();
    charges[1]!.ok();
    expect((await settleC).success).to.equal(true);
    served++;
    // Overtaken cheques spend the credit left: 3 prices held, 2 charged, so one more request and no other.
    for (const value of [2n * PRICE + 1n, 2n * PRICE + 2n, 2n * PRICE + 3n]) {
      const p = await payment(value);
      if (!(await accounts.verify(p, requirements)).isValid) continue;
      const s = accounts.settle(p, requirements);
      await settled();
      charges[charges.length - 1]!.ok();
      if ((await s).success) served++;
    }
    const charged = await innerLedger.charged(chequebook);
    expect(charged).to.equal(served * PRICE);
    expect(charged <= (await held()), `charged ${charged} on disk <= held ${await held()}`).to.equal(true);
    accounts.close();
  });
});
