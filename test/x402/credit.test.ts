/**
 * A failed request's cheque stays with the server as the payer's credit, and the client spends it: its next cheque
 * is max(last + 1, charged + in flight + price), counted from the answers it saw.
 * - Against our server with a handler that fails at random (a status of 400 or more, or a throw), requests one at a
 *   time or several at once: every request is either served and charged, or failed and not charged (never a 402),
 *   and what the client signed exceeds what it was served by at most one price per request sent at once (the credit
 *   in flight) plus one base unit per request.
 * - Against a hostile server (any answer: paid, failed, a 402 with any resync, no answer at all): the client never
 *   signs more than the prices of the requests answered as paid or never answered, plus one price, plus one base
 *   unit per request.
 */
import { expect } from "chai";
import fc from "fast-check";
import type { PaymentPayload, PaymentRequirements, SettleResponse } from "@x402/core/types";
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader } from "@x402/core/http";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore, chequeToJson, signCheque } from "../../sdk/index.js";
import { ChequeSchemeClient, chequeX402Client, eip155Network, readChequePayload } from "../../sdk/x402/index.js";
import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, startServer } from "./helpers.js";

type Outcome = "ok" | "fail" | "throw" | "teapot";
const outcome: fc.Arbitrary<Outcome> = fc.constantFrom("ok", "fail", "throw", "teapot");

function clientFor(f: SdkFixture, store = new MemoryChequeStore()) {
  const scheme = new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store, factory: f.factoryAddress });
  return { scheme, store, pay: wrapFetchWithPayment(fetch, chequeX402Client(scheme)) };
}

describe("x402 cheque client: credit of failed requests", function () {
  this.timeout(180_000);
  let f: SdkFixture;
  before(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });

  it("spends the credit a failed request left with our server: served and charged, or failed and free, never a 402 (fast-check)", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(outcome, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), async (rounds) => {
        const next: Outcome[] = rounds.flat();
        const server = await startServer(f, {
          handler: () => {
            const o = next.shift()!;
            if (o === "throw") return Promise.reject(new Error("boom"));
            return Promise.resolve(o === "ok" ? { status: 200, body: "ok" } : o === "teapot" ? { status: 418, body: "no" } : { status: 500, body: "down" });
          },
        });
        try {
          const { scheme, pay } = clientFor(f);
          const start = await server.accounts.account(f.address);
          let served = 0n;
          let requests = 0n;
          for (const round of rounds) {
            // a round's requests run at once; the handler takes the outcomes in the order requests reach it
            const statuses = await Promise.all(round.map(async () => (await pay(server.url)).status));
            requests += BigInt(round.length);
            for (const status of statuses) {
              expect(status, "never refused for want of payment").to.not.equal(402);
              if (status === 200) served++;
            }
          }
          const end = await server.accounts.account(f.address);
          expect(end.charged - start.charged, "charged exactly what was served").to.equal(served * PRICE);
          expect(end.reserved).to.equal(0n);
          const mine = await scheme.position(f.beneficiary.address);
          expect(mine.inFlight).to.equal(0n);
          expect(end.held, "the server holds the client's last cheque").to.equal(mine.last);
          // Requests sent together each carry their price before any answer: the credit in flight is one price each.
          const together = BigInt(Math.max(...rounds.map((r) => r.length)));
          expect(mine.last - start.held <= served * PRICE + together * PRICE + requests, `signed ${mine.last - start.held} for ${served} served`).to.equal(true);
        } finally {
          await server.stop();
        }
      }),
      { numRuns: 12, seed: 1515 },
    );
  });

  it("against a hostile server, never signs more than the requests answered as paid or unanswered, plus one price (fast-check)", async function () {
    type Answer =
      | { kind: "paid"; charged: bigint }
      | { kind: "failed"; status: number }
      | { kind: "refused"; charged: bigint; forge: "own" | "otherKey" | "none" }
      | { kind: "silent" };
    const answer: fc.Arbitrary<Answer> = fc.oneof(
      fc.record({ kind: fc.constant("paid" as const), charged: fc.bigInt({ min: 0n, max: 100n * PRICE }) }),
      fc.record({ kind: fc.constant("failed" as const), status: fc.constantFrom(200, 404, 500, 503) }),
      fc.record({ kind: fc.constant("refused" as const), charged: fc.bigInt({ min: 0n, max: 100n * PRICE }), forge: fc.constantFrom("own" as const, "otherKey" as const, "none" as const) }),
      fc.record({ kind: fc.constant("silent" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ price: fc.bigInt({ min: 1n, max: 3n * PRICE }), answer }), { minLength: 1, maxLength: 20 }), async (steps) => {
        const { scheme, store } = clientFor(f);
        const signed: bigint[] = [];
        let step = 0;
        let paid = 0n;
        let unanswered = 0n;
        const maxPrice = steps.reduce((m, s) => (s.price > m ? s.price : m), 0n);
        // The hostile server: a 402 for the unpaid request, then the step's answer to the paid one.
        const hostile = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
          const request = new Request(input, init);
          const s = steps[step]!;
          const accepts: PaymentRequirements = { scheme: "cheque", network: eip155Network(f.chainId), asset: f.tokenAddress, amount: s.price.toString(), payTo: f.beneficiary.address, maxTimeoutSeconds: 60, extra: { trustedFactories: [f.factoryAddress] } };
          const header = request.headers.get("PAYMENT-SIGNATURE");
          if (header === null) return new Response("", { status: 402, headers: { "PAYMENT-REQUIRED": encodePaymentRequiredHeader({ x402Version: 2, resource: { url: request.url }, accepts: [accepts] }) } });
          const payload: PaymentPayload = decodePaymentSignatureHeader(header);
          const { cheque } = readChequePayload(payload.payload);
          signed.push(cheque.cumulativePayout);
          const a = s.answer;
          if (a.kind === "silent") {
            unanswered += s.price;
            throw new TypeError("fetch failed");
          }
          if (a.kind === "paid") {
            paid += s.price;
            const settled: SettleResponse = { success: true, transaction: "", network: accepts.network, payer: f.address, amount: s.price.toString(), extra: { charged: a.charged.toString() } };
            return new Response("ok", { status: 200, headers: { "PAYMENT-RESPONSE": encodePaymentResponseHeader(settled) } });
          }
          if (a.kind === "failed") return new Response("no", { status: a.status });
          const lastAccepted = a.forge === "none" ? undefined : await signCheque({ chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: cheque.cumulativePayout, signer: a.forge === "own" ? f.issuer : f.other, chainId: f.chainId });
          const extra = lastAccepted === undefined ? accepts.extra : { ...accepts.extra, resync: { lastAccepted: chequeToJson(lastAccepted), charged: a.charged.toString() } };
          return new Response("", { status: 402, headers: { "PAYMENT-REQUIRED": encodePaymentRequiredHeader({ x402Version: 2, error: "UNDERPAID", resource: { url: request.url }, accepts: [{ ...accepts, extra }] }) } });
        };
        const pay = wrapFetchWithPayment(hostile, chequeX402Client(scheme));
        for (step = 0; step < steps.length; step++) {
          try {
            await pay("http://127.0.0.1:1/data");
          } catch {
            // no answer
          }
        }
        const last = (await store.getIssued(f.address, f.beneficiary.address))?.cheque.cumulativePayout ?? 0n;
        expect(last).to.equal(signed.reduce((m, v) => (v > m ? v : m), 0n));
        const bound = paid + unanswered + maxPrice + BigInt(signed.length);
        expect(last <= bound, `signed ${last}, answered as paid ${paid}, unanswered ${unanswered}`).to.equal(true);
      }),
      { numRuns: 60, seed: 1616 },
    );
  });
});
