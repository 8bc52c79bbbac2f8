/**
 * A hostile client, over real HTTP: it may send any cheque the wire allows (any amount, lower, higher, replayed,
 * forged), with handlers failing at its request, and server restarts (same store and ledger) in between. The
 * property is about value: the server never serves more than the cheques it holds pay for, and charges exactly what
 * it served: served x price == charged <= best cheque held.
 */
import { expect } from "chai";
import fc from "fast-check";

import { MemoryChequeStore, type SignedCheque } from "../../sdk/index.js";
import { MemoryChargeLedger } from "../../sdk/x402/index.js";
import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque, payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";

type Action =
  | { kind: "pay"; amount: bigint; fail: boolean }
  | { kind: "above"; add: bigint; fail: boolean }
  | { kind: "replay"; index: number }
  | { kind: "forge"; amount: bigint }
  | { kind: "restart" };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("pay" as const), amount: fc.bigInt({ min: 1n, max: 3n * PRICE }), fail: fc.boolean() }),
  fc.record({ kind: fc.constant("above" as const), add: fc.constantFrom(PRICE - 1n, PRICE, PRICE + 1n, 2n * PRICE), fail: fc.boolean() }),
  fc.record({ kind: fc.constant("replay" as const), index: fc.nat() }),
  fc.record({ kind: fc.constant("forge" as const), amount: fc.bigInt({ min: 1n, max: 8n * PRICE }) }),
  fc.constant({ kind: "restart" as const }),
);

describe("x402 cheque scheme against a hostile client", function () {
  this.timeout(300_000);
  let f: SdkFixture;
  before(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });

  it("never serves more than the cheques held pay for, and charges exactly what it served (fast-check)", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 20 }), async (actions) => {
        const store = new MemoryChequeStore();
        const ledger = new MemoryChargeLedger();
        let failNext = false;
        const handler = () => Promise.resolve(failNext ? { status: 500, body: "failed" } : { status: 200, body: "ok" });
        let server: TestServer = await startServer(f, { store, ledger, handler });
        const sent: SignedCheque[] = [];
        let served = 0n;
        try {
          const accepted = await requirementsOf(server.url);
          for (const a of actions) {
            let c: SignedCheque | undefined;
            failNext = false;
            if (a.kind === "restart") {
              await server.stop();
              server = await startServer(f, { store, ledger, handler });
              continue;
            }
            if (a.kind === "pay") [c, failNext] = [await cheque(f, a.amount), a.fail];
            if (a.kind === "above") {
              const held = (await store.getReceived(f.address, f.beneficiary.address))?.cheque.cumulativePayout ?? 0n;
              [c, failNext] = [await cheque(f, held + a.add), a.fail];
            }
            if (a.kind === "replay") c = sent.length === 0 ? undefined : sent[a.index % sent.length];
            if (a.kind === "forge") c = await cheque(f, a.amount, { signer: f.other });
            if (c === undefined) continue;
            sent.push(c);
            const r = await payRaw(server.url, accepted, c, f.chainId);
            if (r.status === 200) served += PRICE;
            const held = (await store.getReceived(f.address, f.beneficiary.address))?.cheque.cumulativePayout ?? 0n;
            const charged = await ledger.charged(f.address);
            expect(charged, "charged == served").to.equal(served);
            expect(charged <= held, `charged ${charged} <= held ${held}`).to.equal(true);
          }
        } finally {
          await server.stop();
        }
      }),
      { numRuns: 30, seed: 1313 },
    );
  });
});
