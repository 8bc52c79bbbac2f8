/**
 * A hostile server against the client: its 402s ask any price, name any payee, and carry any "last accepted cheque"
 * (the client's own older cheques, ones signed by another key, for another payee or chain, or made up). The
 * properties: the client never signs beyond its caps (per request, per payee, per period), and its cumulative to a
 * payee only ever becomes a value it signed itself to that payee, so a forged resync cannot make it jump.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { PaymentRequirements } from "@x402/core/types";

import { ChequeError, MemoryChequeStore, chequeFromJson, chequeToJson, signCheque, type SignedCheque } from "../../sdk/index.js";
import { ChequeSchemeClient, eip155Network, type ChequePayload } from "../../sdk/x402/index.js";
import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE } from "./helpers.js";

const CAPS = { perRequest: 3n * PRICE, perPayee: 10n * PRICE, perPeriod: { amount: 15n * PRICE, periodMs: 1_000 } };

type Step =
  | { kind: "ask"; price: bigint; payee: number }
  | { kind: "resync"; payee: number; forge: "own" | "otherKey" | "otherPayee" | "otherChain"; pick: number; add: bigint }
  | { kind: "tick"; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("ask" as const), price: fc.bigInt({ min: 1n, max: 4n * PRICE }), payee: fc.nat(1) }),
  fc.record({ kind: fc.constant("resync" as const), payee: fc.nat(1), forge: fc.constantFrom("own" as const, "otherKey" as const, "otherPayee" as const, "otherChain" as const), pick: fc.nat(), add: fc.bigInt({ min: 0n, max: 5n * PRICE }) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 600 }) }),
);

describe("x402 cheque client against a hostile server", function () {
  this.timeout(120_000);
  let f: SdkFixture;
  before(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });

  it("never signs beyond its caps, and adopts only values it signed itself to that payee (fast-check)", async function () {
    const payees = [f.beneficiary.address, f.other.address];
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        let now = 0;
        const store = new MemoryChequeStore();
        const client = new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store, caps: CAPS, now: () => now });
        const req = (payee: string, price: bigint, extra: Record<string, unknown> = {}): PaymentRequirements => ({ scheme: "cheque", network: eip155Network(f.chainId), asset: f.tokenAddress, amount: price.toString(), payTo: payee, maxTimeoutSeconds: 60, extra });
        const signed: SignedCheque[] = [];
        const spent: Array<{ at: number; amount: bigint }> = [];
        for (const s of steps) {
          if (s.kind === "tick") {
            now += s.ms;
            continue;
          }
          const payee = payees[s.payee]!;
          const last = (await store.getIssued(f.address, payee))?.cheque.cumulativePayout ?? 0n;
          if (s.kind === "ask") {
            try {
              const r = await client.createPaymentPayload(2, req(payee, s.price));
              const c = chequeFromJson((r.payload as unknown as ChequePayload).cheque);
              signed.push(c);
              spent.push({ at: now, amount: c.cumulativePayout - last });
              expect(c.cumulativePayout - last, "the price asked").to.equal(s.price);
              expect(s.price <= CAPS.perRequest, "perRequest").to.equal(true);
              expect(c.cumulativePayout <= CAPS.perPayee, "perPayee").to.equal(true);
              const window = spent.filter((e) => e.at > now - CAPS.perPeriod.periodMs).reduce((a, e) => a + e.amount, 0n);
              expect(window <= CAPS.perPeriod.amount, "perPeriod").to.equal(true);
            } catch (e) {
              if (!(e instanceof ChequeError) || e.code !== "INVALID_ARGUMENT") throw e;
            }
            continue;
          }
          const own = signed.filter((c) => c.beneficiary === payee);
          const base = own.length === 0 ? undefined : own[s.pick % own.length]!;
          const value = (base?.cumulativePayout ?? 0n) + s.add;
          const lastAccepted =
            s.forge === "own" && base !== undefined && s.add === 0n
              ? base
              : await signCheque({
                  chequebook: f.address,
                  beneficiary: s.forge === "otherPayee" ? payees[1 - s.payee]! : payee,
                  cumulativePayout: value === 0n ? 1n : value,
                  signer: s.forge === "otherKey" || s.forge === "own" ? f.other : f.issuer,
                  chainId: s.forge === "otherChain" ? f.chainId + 1n : f.chainId,
                });
          await client.resync(req(payee, PRICE, { resync: { lastAccepted: chequeToJson(lastAccepted), charged: "0" } }));
          const after = (await store.getIssued(f.address, payee))?.cheque.cumulativePayout ?? 0n;
          const maxSigned = own.reduce((m, c) => (c.cumulativePayout > m ? c.cumulativePayout : m), 0n);
          expect(after, "adopts only its own signed values").to.equal(last);
          expect(after <= maxSigned || after === 0n).to.equal(true);
        }
      }),
      { numRuns: 40, seed: 1414 },
    );
  });
});
