/**
 * The server's account under concurrency, with its commits outside the per-payer lock: a hostile client fires
 * payments at once (valid cheques of any amount, replays, forgeries), handlers succeed or fail, writes to the store
 * or the ledger may fail, and fast-check's scheduler picks the order in which every store and ledger call resolves.
 * The properties, on what is durable (the stores behind the scheduler): at every charge written, charged <= the
 * best cheque held; a payment answered as charged (settle succeeded) is in the ledger; the ledger holds exactly the
 * payments answered as charged; nothing stays reserved.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";

import { ChequeError, MemoryChequeStore, chequeToJson, type ChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger, eip155Network, type ChargeLedger } from "../../sdk/x402/index.js";
import { sdkFixture, verifierFor, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque } from "./helpers.js";

type Shot = { amount: bigint; forged: boolean; replay: number | undefined; fails: boolean; writeFails: "put" | "charge" | undefined };
const shot: fc.Arbitrary<Shot> = fc.record({
  amount: fc.bigInt({ min: 1n, max: 6n * PRICE }),
  forged: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  replay: fc.option(fc.nat(), { freq: 4 }),
  fails: fc.boolean(),
  writeFails: fc.option(fc.constantFrom("put" as const, "charge" as const), { freq: 5 }).map((w) => w ?? undefined),
});

describe("x402 cheque accounts under concurrent payments (fast-check scheduler)", function () {
  this.timeout(300_000);
  let f: SdkFixture;
  before(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });

  it("never charges beyond the cheque held, and charges exactly the payments answered as charged", async function () {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(shot, { minLength: 1, maxLength: 10 }), async (s, shots) => {
        const inner = new MemoryChequeStore();
        const innerLedger = new MemoryChargeLedger();
        const failing = new Set<bigint>();
        const held = async () => (await inner.getReceived(f.address, f.beneficiary.address))?.cheque.cumulativePayout ?? 0n;
        const store = new Proxy(inner, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver) as unknown;
            if (typeof value !== "function") return value;
            return (...args: unknown[]) =>
              s.schedule(Promise.resolve(), String(key)).then(() => {
                if (key === "putReceived" && failing.has((args[0] as { cumulativePayout: bigint }).cumulativePayout)) throw new ChequeError("STORE_FAILURE", "disk full");
                return (value as (...a: unknown[]) => unknown).apply(target, args);
              });
          },
        }) as ChequeStore;
        const ledger: ChargeLedger = {
          charged: (book) => s.schedule(Promise.resolve(), "charged").then(() => innerLedger.charged(book)),
          used: (book) => s.schedule(Promise.resolve(), "used").then(() => innerLedger.used(book)),
          close: () => Promise.resolve(),
          charge: (book, amount, use) =>
            s.schedule(Promise.resolve(), "charge").then(async () => {
              if (use !== undefined && failing.has(-use.value)) throw new ChequeError("STORE_FAILURE", "disk full");
              const total = await innerLedger.charge(book, amount, use);
              expect(total <= (await held()), `charged ${total} <= held ${await held()} on disk`).to.equal(true);
              return total;
            }),
        };
        const accounts = new ChequeAccounts({ verifier: verifierFor(f, inner), store, ledger });
        const requirements: PaymentRequirements = { scheme: "cheque", network: eip155Network(f.chainId), asset: f.tokenAddress, amount: PRICE.toString(), payTo: f.beneficiary.address, maxTimeoutSeconds: 60, extra: {} };
        const cheques = await Promise.all(shots.map((x) => cheque(f, x.amount, x.forged ? { signer: f.other } : {})));
        let charged = 0n;
        const tasks = shots.map(async (x, i) => {
          const c = x.replay === undefined ? cheques[i]! : cheques[x.replay % cheques.length]!;
          if (x.writeFails !== undefined) failing.add(x.writeFails === "put" ? c.cumulativePayout : -c.cumulativePayout);
          const payload: PaymentPayload = { x402Version: 2, accepted: requirements, payload: { cheque: { ...chequeToJson(c) }, chainId: f.chainId.toString() } };
          const verdict = await accounts.verify(payload, requirements);
          if (!verdict.isValid) return;
          if (x.fails) return accounts.release(payload, requirements);
          try {
            const settled = await accounts.settle(payload, requirements);
            if (settled.success) charged += PRICE;
          } catch {
            // not answered as charged
          }
        });
        await s.waitFor(Promise.all(tasks));
        expect(await innerLedger.charged(f.address), "the ledger holds exactly what was answered as charged").to.equal(charged);
        expect(charged <= (await held())).to.equal(true);
        expect((await s.waitFor(accounts.account(f.address))).reserved).to.equal(0n);
        accounts.close();
      }),
      { numRuns: 40, seed: 1818 },
    );
  });
});
