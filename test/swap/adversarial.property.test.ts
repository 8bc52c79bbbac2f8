/**
 * The adversarial model of SWAP money safety (issue 9). Our node U runs the real accounting engine in the hard
 * phase over a model chain (test/swap/adversary.ts). Beside it, an honest node H (also the real engine) trades
 * with U. The adversary M may send U anything the wire lets it send, in any order: handshakes naming any
 * beneficiary, chequebook or token (its own, H's, ours, untrusted ones, another token), cheques (fresh, stale,
 * bouncing, forged on H's chequebook, H's cheques replayed), acknowledgements (forged, replayed, guessed, with any
 * reason text), malformed bytes, reconnections; it serves U and is served by U. U is restarted from its durable
 * ledger and cheque store at random points, including right after a cheque was stored but before it was booked,
 * and right after a cheque was issued but before it was sent.
 *
 * The property, for every peer P (H and M), after every step:
 *
 *   value promised to P  ≤  max over time of (service P gave U − service U gave P + payments from P that U holds
 *                           and can cash)  +  T
 *
 * where "value promised" is every cheque U's chequebook issued to a beneficiary P owns (whatever peer named it),
 * "payments that U holds" are the cheques on P's chequebooks in U's store (only P can sign them; the model chain
 * never lets an accepted cheque bounce later, since cover that shrinks after acceptance is the solvency policy's
 * concern, not the engine's), and T is U's payment threshold (what a peer may prepay). The maximum over time is
 * there because U lends service on credit up to its disconnect threshold: a peer that earned a payment and then
 * consumes on credit has still earned what it was paid; what U lends is bounded by the disconnect threshold, a
 * separate rule with its own tests.
 *
 * The attacker has two identities, M and N (cheap to make), sharing its addresses; its actions may come in bursts
 * that race one another, and its identities may leave (and be evicted from memory) at any time. U may also crash
 * right after any ledger write. The bound for the attacker is its identities' earnings together plus T per identity.
 *
 * Runs: 200 with a fixed seed (a few seconds; 120 did not reach the unwritten handshake terms of 8965306). To
 * explore more, run with SWAP_ADVERSARY_RUNS=2000 SWAP_ADVERSARY_SEED=<n>.
 */
import fc from "fast-check";

import { upgradeLedger } from "../../sdk/swap/ledger.js";
import { World, type HostileOp, type Op } from "./adversary.js";

const RUNS = Number(process.env.SWAP_ADVERSARY_RUNS ?? 200);
const SEED = Number(process.env.SWAP_ADVERSARY_SEED ?? 20261202);

// Weighted towards what an attacker would try: valid-looking handshakes, answers to the cheque just received.
// Each hostile action is M's, or (one in four) N's: a second identity of the same attacker sharing its addresses.
const whoArb = fc.oneof({ weight: 3, arbitrary: fc.constant("M" as const) }, { weight: 1, arbitrary: fc.constant("N" as const) });
const hostileArb: fc.Arbitrary<HostileOp> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ k: fc.constant("mConnect" as const), who: whoArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("mLeave" as const), who: whoArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("hs" as const),
      ben: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 1 }) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) }),
      book: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.nat({ max: 4 }) }),
      otherToken: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      threshold: fc.oneof({ weight: 5, arbitrary: fc.constant(100n) }, { weight: 1, arbitrary: fc.constantFrom(1000n, 5n) }),
      who: whoArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("cheque" as const), book: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) }), delta: fc.integer({ min: -3, max: 120 }), who: whoArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("replayH" as const), who: whoArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("ack" as const),
      accepted: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      pick: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("last" as const, "issued" as const) }, { weight: 1, arbitrary: fc.constantFrom("guess" as const, "none" as const) }),
      guess: fc.nat({ max: 400 }), reason: fc.string({ maxLength: 40 }), date: fc.nat({ max: 3 }), who: whoArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("malformed" as const), bytes: fc.uint8Array({ maxLength: 40 }), who: whoArb }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant("mServes" as const), n: fc.integer({ min: 1, max: 80 }), who: whoArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("uServesM" as const), n: fc.integer({ min: 1, max: 80 }), who: whoArb }) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: hostileArb },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("hist" as const), client: fc.constantFrom("U" as const, "H" as const), n: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: "restart" as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("crash" as const), at: fc.constantFrom("receive" as const, "issue" as const, "save" as const) }) },
  // Actions that race: messages, bookings and the payments they trigger, not waiting for one another.
  { weight: 3, arbitrary: fc.record({ k: fc.constant("burst" as const), ops: fc.array(hostileArb, { minLength: 2, maxLength: 4 }) }) },
);

/**
 * Once U is quiet, what it holds in memory of each peer is what its ledger holds: eviction or a restart loses
 * nothing (whichever way the ledger is written). Refusals are left out: they are kept in memory and written when
 * the peer leaves.
 */
async function memoryIsWritten(world: World, trace: Op[]): Promise<void> {
  if (world.u.life.dead) return;
  const records = new Map((await world.uLedger.loadAll()).map((l) => [l.peer, upgradeLedger(l)]));
  const text = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  for (const p of world.u.swap.peers()) {
    const l = records.get(p.peer);
    const memory = text([p.balance, p.prepaid, p.byProtocol, p.cooldownUntil, p.peerPaymentThreshold, p.beneficiary, p.chequebook, p.paymentInFlight, p.sent, p.received]);
    const ledger = l === undefined
      ? text([0n, 0n, {}, 0, undefined, undefined, undefined, undefined, 0n, 0n])
      : text([l.balance, l.prepaid, l.byProtocol, l.cooldownUntil, l.peerPaymentThreshold, l.peerBeneficiary, l.peerChequebook, l.inflight?.units, Object.values(l.payouts).reduce((t, x) => t + x.issued, 0n), Object.values(l.credited).reduce((t, c) => t + c, 0n)]);
    if (memory !== ledger) throw new Error(`U holds ${memory} for ${p.peer} but its ledger ${ledger} after ${text(trace)}`);
  }
}

describe("SWAP money safety against an adversarial peer (model-based)", function () {
  this.timeout(300_000);

  it(`no peer is promised more than it earned plus one payment threshold, and the ledger holds what memory does (${RUNS} runs, seed ${SEED})`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60, size: "max" }), fc.boolean(), async (ops, writeAtOnce) => {
        const world = new World({}, writeAtOnce);
        await world.openH();
        await world.openU();
        await world.connectUH();
        const trace: Op[] = [];
        for (const o of ops) {
          trace.push(o);
          await world.step(o);
          await world.checkInvariant(trace);
          await memoryIsWritten(world, trace);
        }
        if (process.env.SWAP_ADVERSARY_DEBUG === '2') console.log(ops.length, world.toM.length, world.hCheques.length, world.gave, world.got, world.u.swap.peers());
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
