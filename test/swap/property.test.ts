/**
 * Property-based tests of the accounting identities over random interleavings of service in both directions,
 * concurrent requests and lost answers, with honest peers in the mock phase.
 */
import { expect } from "chai";
import fc from "fast-check";

import { MemoryLedgerStore } from "../../sdk/index.js";
import { batchedLedger, SimNetwork, type SimNode } from "./sim.js";

const TERMS = { paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n };

type Op = { kind: "history"; client: "A" | "B"; n: number } | { kind: "burst"; client: "A" | "B"; n: number; k: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("history" as const), client: fc.constantFrom("A" as const, "B" as const), n: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant("burst" as const), client: fc.constantFrom("A" as const, "B" as const), n: fc.integer({ min: 1, max: 20 }), k: fc.integer({ min: 2, max: 6 }) }),
);

/** Once the network is quiet, `node`'s ledger holds what it has in memory of `peer` (eviction or a restart loses nothing). */
async function written(node: SimNode, peer: string): Promise<void> {
  const p = node.swap.peers().find((x) => x.peer === peer)!;
  const l = (await node.ledger.load!(peer))!;
  const memory = { balance: p.balance, prepaid: p.prepaid, byProtocol: p.byProtocol, threshold: p.peerPaymentThreshold, inflight: p.paymentInFlight };
  expect({ balance: l.balance, prepaid: l.prepaid, byProtocol: l.byProtocol, threshold: l.peerPaymentThreshold, inflight: l.inflight?.units }).to.deep.equal(memory);
}

describe("SWAP accounting properties", function () {
  this.timeout(120_000);

  it("books mirror each other, nobody is served past the disconnect threshold, honest peers are never disconnected", async function () {
    await fc.assert(
      // `batched`: the ledger writes the changes of one turn together (as the durable stores do), or each at once
      // (a memory ledger's `saveNow`).
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), fc.integer({ min: 10, max: 100 }), fc.boolean(), async (ops, early, batched) => {
        const net = new SimNetwork();
        const ledger = () => (batched ? batchedLedger(new MemoryLedgerStore()) : new MemoryLedgerStore());
        const a = await net.add("A", { phase: "mock", ...TERMS, earlyPaymentPercent: early, paymentTimeoutMs: 50 }, {}, ledger());
        const b = await net.add("B", { phase: "mock", ...TERMS, earlyPaymentPercent: early, paymentTimeoutMs: 50 }, {}, ledger());
        await net.connect("A", "B");
        for (const o of ops) {
          const server = o.client === "A" ? "B" : "A";
          const requests = o.kind === "history" ? [o.n] : Array.from({ length: o.k }, () => o.n);
          // Concurrent requests; an OVERDRAFT refusal by the client itself is allowed (it protects the threshold).
          const results = await Promise.allSettled(requests.map((n) => net.history(o.client, server, n)));
          for (const r of results) {
            if (r.status === "rejected") expect((r.reason as { code?: string }).code).to.equal("OVERDRAFT");
          }
          await net.settle();
          // identities after every step
          expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
          expect(b.swap.balance("A")).to.be.lessThanOrEqual(TERMS.disconnectThreshold);
          expect(a.swap.balance("B")).to.be.lessThanOrEqual(TERMS.disconnectThreshold);
          expect(-a.swap.balance("B")).to.be.lessThanOrEqual(TERMS.paymentThreshold);
          expect(-b.swap.balance("A")).to.be.lessThanOrEqual(TERMS.paymentThreshold);
          await written(a, "B");
          await written(b, "A");
        }
        expect(net.connected("A", "B")).to.equal(true);
        expect([...a.errors, ...b.errors]).to.deep.equal([]);
        // Service given equals service booked: what B served A minus what A served B is the net balance plus payments.
        const paidByA = BigInt(a.logs.filter((e) => e.event === "payment_accepted").reduce((s, e) => s + Number(e.units), 0));
        const paidByB = BigInt(b.logs.filter((e) => e.event === "payment_accepted").reduce((s, e) => s + Number(e.units), 0));
        expect(BigInt(b.served) - BigInt(a.served) - paidByA + paidByB).to.equal(b.swap.balance("A"));
      }),
      { numRuns: 60 },
    );
  });
});
