import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { SqliteLedgerStore, encodeSwapMessage, isChequeError, type ChequeError } from "../../sdk/index.js";
import { SimNetwork } from "./sim.js";

const TERMS = { paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50 };

async function rejection(fn: () => Promise<unknown>): Promise<ChequeError> {
  try {
    await fn();
  } catch (e) {
    if (isChequeError(e)) return e;
    throw e;
  }
  throw new Error("expected a ChequeError");
}

async function metric(net: SimNetwork, node: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await net.nodes.get(node)!.swap.metrics.registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0);
}

/** Serves `n` messages to `peer` the way a peer that keeps no accounts would take them: no consume side. */
async function freeload(net: SimNetwork, server: string, peer: string, n = 1) {
  const r = await net.nodes.get(server)!.swap.reserveProvide(peer, "store", n);
  await r.apply();
}

describe("SWAP accounting", function () {
  describe("handshake", function () {
    it("exchanges payment thresholds", async function () {
      const net = new SimNetwork();
      await net.add("A", { phase: "mock", ...TERMS, paymentThreshold: 80n });
      await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      expect(net.nodes.get("A")!.swap.peers()[0]).to.deep.include({ peer: "B", peerPaymentThreshold: 100n, connected: true });
      expect(net.nodes.get("B")!.swap.peers()[0]).to.deep.include({ peer: "A", peerPaymentThreshold: 80n });
      expect(await metric(net, "B", "swap_peer_payment_threshold", { peer: "A" })).to.equal(80);
    });

    it("refuses a peer that announces a threshold below our minimum", async function () {
      const net = new SimNetwork();
      await net.add("A", { phase: "mock", ...TERMS, paymentThreshold: 5n, minPeerPaymentThreshold: 1n });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      expect(b.errors.map((e) => (e as ChequeError).code)).to.include("PEER_REFUSED");
      expect(net.connected("A", "B")).to.equal(false);
      expect(await metric(net, "B", "swap_disconnects_total", { reason: "threshold_too_low" })).to.equal(1);
    });

    it("refuses a peer in another phase", async function () {
      const net = new SimNetwork();
      await net.add("A", { phase: "soft", ...TERMS });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      expect(b.errors.map((e) => (e as ChequeError).code)).to.include("PEER_REFUSED");
      expect(net.connected("A", "B")).to.equal(false);
    });

    it("refuses messages from a peer that is not connected, and malformed bytes", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS });
      expect((await rejection(() => a.swap.handle("X", new Uint8Array([1])))).code).to.equal("NOT_CONNECTED");
      await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      expect((await rejection(() => a.swap.handle("B", new Uint8Array([0xff, 0xff])))).code).to.equal("MALFORMED_WIRE");
      expect(await metric(net, "A", "swap_cheques_rejected_total", { reason: "MALFORMED_WIRE" })).to.equal(1);
    });
  });

  describe("soft phase", function () {
    it("keeps mirrored accounts and reports out-of-bounds peers in logs and metrics, never acting", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "soft", ...TERMS });
      const b = await net.add("B", { phase: "soft", ...TERMS });
      await net.connect("A", "B");
      for (let i = 0; i < 10; i++) await net.history("A", "B", 20);
      await net.settle();
      expect(b.swap.balance("A")).to.equal(200n);
      expect(a.swap.balance("B")).to.equal(-200n);
      expect(net.connected("A", "B")).to.equal(true);
      // visible in metrics
      expect(await metric(net, "B", "swap_peer_balance", { peer: "A" })).to.equal(200);
      expect(await metric(net, "B", "swap_out_of_bounds_total", { direction: "peer_owes", level: "payment" })).to.equal(1);
      expect(await metric(net, "B", "swap_out_of_bounds_total", { direction: "peer_owes", level: "disconnect" })).to.equal(1);
      expect(await metric(net, "A", "swap_out_of_bounds_total", { direction: "we_owe" })).to.equal(1);
      expect(await metric(net, "A", "swap_cheques_sent_total")).to.equal(0);
      expect(await metric(net, "B", "swap_disconnects_total")).to.equal(0);
      // and in the logs
      const events = b.logs.filter((e) => e.event === "out_of_bounds").map((e) => e.level_);
      expect(events).to.include.members(["payment", "disconnect"]);
      expect(b.logs.find((e) => e.event === "out_of_bounds" && e.level_ === "disconnect")!.action).to.equal("none (soft phase)");
      expect(a.logs.some((e) => e.event === "out_of_bounds" && e.direction === "we_owe")).to.equal(true);
      const text = await b.swap.metrics.text();
      expect(text).to.match(/swap_peer_balance\{peer="A"\} 200/);
    });
  });

  describe("mock phase", function () {
    it("pays with mock cheques before the threshold, and keeps both sides' books mirrored", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      for (let i = 0; i < 30; i++) {
        await net.history("A", "B", 7);
        await net.settle();
        expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
        expect(b.swap.balance("A")).to.be.lessThanOrEqual(100n);
      }
      expect(b.served).to.equal(210);
      expect(await metric(net, "A", "swap_cheques_sent_total", { kind: "mock" })).to.be.greaterThan(2);
      expect(await metric(net, "B", "swap_cheques_received_total", { kind: "mock" })).to.equal(await metric(net, "A", "swap_cheques_sent_total", { kind: "mock" }));
      expect(net.connected("A", "B")).to.equal(true);
      expect(a.errors).to.deep.equal([]);
      expect(b.errors).to.deep.equal([]);
    });

    it("credits a payment re-sent after its answer was lost exactly once", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS, paymentTimeoutMs: 20 });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      // The first answer is lost.
      const handle = a.swap.handle.bind(a.swap);
      let dropped = 0;
      a.swap.handle = async (peer, bytes) => (bytes[0] === 0x1a && dropped++ === 0 ? undefined : handle(peer, bytes));
      await net.history("A", "B", 60); // A pays 60 (early payment); B credits it; the answer is lost
      await net.settle();
      expect(b.swap.balance("A")).to.equal(0n);
      expect(a.swap.balance("B")).to.equal(-60n);
      // A's next need to pay re-sends the unanswered payment once its timeout passed (on the hosts' clock).
      net.clock.advance(25);
      await net.history("A", "B", 50);
      await net.settle();
      expect(b.logs.some((e) => e.event === "duplicate_cheque_acknowledged")).to.equal(true);
      expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
      expect(b.swap.balance("A")).to.be.lessThanOrEqual(50n);
    });

    it("ignores an answer to an earlier payment while a newer one is in flight", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      // Hold back B's answers so that A's first payment stays in flight.
      const handle = a.swap.handle.bind(a.swap);
      const held: Uint8Array[] = [];
      a.swap.handle = async (peer, bytes) => (bytes[0] === 0x1a ? void held.push(bytes) : handle(peer, bytes));
      await net.history("A", "B", 60);
      await net.settle();
      expect(held.length).to.equal(1);
      const firstAnswer = held[0]!;
      // A stale answer (another date) arrives: ignored, the payment stays in flight.
      await handle("B", encodeSwapMessage({ type: "ack", accepted: true, amount: 60, date: 1 }));
      expect(a.swap.peers()[0]!.paymentInFlight).to.equal(60n);
      // The real answer books it.
      await handle("B", firstAnswer);
      expect(a.swap.peers()[0]!.paymentInFlight).to.equal(undefined);
      expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
    });

    it("books per protocol at each protocol's price", async function () {
      const net = new SimNetwork();
      const prices = { store: 2n, relay: 1n };
      const a = await net.add("A", { phase: "mock", ...TERMS, prices });
      const b = await net.add("B", { phase: "mock", ...TERMS, prices });
      await net.connect("A", "B");
      await net.history("A", "B", 10);
      const relay = await b.swap.reserveProvide("A", "relay", 5);
      await relay.apply();
      expect(b.swap.peers()[0]!.byProtocol).to.deep.equal({ store: 20n, relay: 5n });
      expect(a.swap.peers()[0]!.byProtocol).to.deep.equal({ store: -20n });
    });
  });

  describe("adversarial peers", function () {
    async function withFreeloader() {
      const net = new SimNetwork();
      const b = await net.add("B", { phase: "mock", ...TERMS });
      const f = await net.add("F", { phase: "mock", ...TERMS });
      await net.connect("F", "B");
      return { net, b, f };
    }

    it("disconnects a peer that never pays exactly past the disconnect threshold, and logs and counts it", async function () {
      const { net, b } = await withFreeloader();
      let served = 0;
      let error: ChequeError | undefined;
      while (error === undefined) {
        try {
          await freeload(net, "B", "F");
          served++;
        } catch (e) {
          error = e as ChequeError;
        }
      }
      expect(error.code).to.equal("OUT_OF_BOUNDS");
      expect(served).to.equal(150);
      expect(b.swap.balance("F")).to.equal(150n);
      expect(net.connected("F", "B")).to.equal(false);
      expect(await metric(net, "B", "swap_disconnects_total", { reason: "debt_past_disconnect_threshold" })).to.equal(1);
      expect(await metric(net, "B", "swap_out_of_bounds_total", { peer: "F", level: "payment" })).to.equal(1);
      expect(b.logs.some((e) => e.event === "disconnected" && e.peer === "F")).to.equal(true);
    });

    it("does not let a peer reconnect to wipe its debt, and resumes serving once it pays", async function () {
      const { net, b } = await withFreeloader();
      for (let i = 0; i < 150; i++) await freeload(net, "B", "F");
      await rejection(() => freeload(net, "B", "F"));
      // Reconnecting during the cool-down is refused.
      const cooling = await rejection(() => net.connect("F", "B"));
      expect(cooling.code).to.equal("PEER_COOLING_DOWN");
      // After it, the peer may connect again, but its debt is intact and it is not served beyond the threshold.
      net.clock.advance(60_001);
      await net.connect("F", "B");
      expect(b.swap.balance("F")).to.equal(150n);
      expect((await rejection(() => freeload(net, "B", "F"))).code).to.equal("OUT_OF_BOUNDS");
      // It pays (a mock cheque for its debt) after the next cool-down, and cooperation resumes.
      net.clock.advance(60_001);
      await net.connect("F", "B");
      await b.swap.handle("F", encodeSwapMessage({ type: "cheque", date: 0, amount: 150 }));
      expect(b.swap.balance("F")).to.equal(0n);
      await freeload(net, "B", "F", 100);
      expect(b.swap.balance("F")).to.equal(100n);
    });

    it("never serves a flood of concurrent requests beyond the threshold", async function () {
      const { net, b } = await withFreeloader();
      const results = await Promise.allSettled(Array.from({ length: 400 }, () => b.swap.reserveProvide("F", "store", 1)));
      const granted = results.filter((r) => r.status === "fulfilled");
      expect(granted.length).to.equal(150);
      const refusals = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as ChequeError).code] : []));
      expect(new Set(refusals)).to.deep.equal(new Set(["OUT_OF_BOUNDS", "NOT_CONNECTED"]));
      await Promise.all(granted.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof b.swap.reserveProvide>>>).value.apply()));
      expect(b.swap.balance("F")).to.equal(150n);
      expect(await metric(net, "B", "swap_disconnects_total")).to.equal(1);
    });

    it("credits an overpayment only up to what is owed plus one payment threshold", async function () {
      const { net, b } = await withFreeloader();
      await freeload(net, "B", "F", 20);
      await b.swap.handle("F", encodeSwapMessage({ type: "cheque", date: 0, amount: 1_000_000 }));
      expect(b.swap.balance("F")).to.equal(-100n);
      expect(b.logs.some((e) => e.event === "overpayment_not_credited")).to.equal(true);
    });

    it("stops consuming with OVERDRAFT when the peer never acknowledges payments", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS, paymentTimeoutMs: 30 });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      // B credits A's cheques but its acknowledgements are lost.
      const handle = a.swap.handle.bind(a.swap);
      a.swap.handle = async (peer, bytes) => (bytes[0] === 0x1a ? undefined : handle(peer, bytes));
      let error: ChequeError | undefined;
      for (let i = 0; i < 40 && error === undefined; i++) {
        try {
          await net.history("A", "B", 10);
          await net.settle();
        } catch (e) {
          error = e as ChequeError;
        }
      }
      expect(error?.code).to.equal("OVERDRAFT");
      expect(-a.swap.balance("B")).to.be.lessThanOrEqual(100n);
      expect(a.swap.peers()[0]!.paymentInFlight).to.be.a("bigint");
      expect(b.swap.balance("A")).to.be.lessThanOrEqual(100n);
    });
  });

  describe("metering after the fact", function () {
    it("books provided and consumed service like reservations do, with the same thresholds", async function () {
      const net = new SimNetwork();
      const a = await net.add("A", { phase: "mock", ...TERMS });
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.connect("A", "B");
      for (let i = 0; i < 40; i++) {
        await b.swap.provided("A", "store", 1);
        await a.swap.consumed("B", "store", 1);
      }
      await net.settle();
      expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
      expect(await metric(net, "A", "swap_cheques_sent_total", { kind: "mock" })).to.equal(0); // 40 < 50: no payment yet
      await a.swap.consumed("B", "store", 10);
      await b.swap.provided("A", "store", 10);
      await net.settle();
      expect(await metric(net, "A", "swap_cheques_sent_total", { kind: "mock" })).to.equal(1);
      expect(a.swap.balance("B")).to.equal(0n);
      expect(b.swap.balance("A")).to.equal(0n);
    });

    it("refuses and disconnects past the disconnect threshold, booking nothing", async function () {
      const net = new SimNetwork();
      const b = await net.add("B", { phase: "mock", ...TERMS });
      await net.add("F", { phase: "mock", ...TERMS });
      await net.connect("F", "B");
      await b.swap.provided("F", "store", 150);
      expect((await rejection(() => b.swap.provided("F", "store", 1))).code).to.equal("OUT_OF_BOUNDS");
      expect(b.swap.balance("F")).to.equal(150n);
      expect((await rejection(() => b.swap.provided("F", "store", 1))).code).to.equal("NOT_CONNECTED");
      expect(await metric(net, "B", "swap_peer_balance", { peer: "F" })).to.equal(150);
    });
  });

  describe("durable ledger", function () {
    let dir: string;
    before(async function () {
      dir = await mkdtemp(join(tmpdir(), "swap-ledger-"));
    });
    after(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("keeps balances, thresholds and cool-downs across a restart", async function () {
      const path = join(dir, "b.db");
      const net = new SimNetwork();
      const b = await net.add("B", { phase: "mock", ...TERMS }, {}, SqliteLedgerStore.open(path));
      await net.add("F", { phase: "mock", ...TERMS, paymentThreshold: 90n });
      await net.connect("F", "B");
      for (let i = 0; i < 151; i++) await freeload(net, "B", "F").catch(() => undefined);
      const cooldownUntil = b.swap.peers()[0]!.cooldownUntil;
      await b.swap.close();

      // A new process: the same file.
      const restarted = await net.add("B", { phase: "mock", ...TERMS }, {}, SqliteLedgerStore.open(path));
      const f = restarted.swap.peers().find((p) => p.peer === "F")!;
      expect(f).to.deep.include({ balance: 150n, peerPaymentThreshold: 90n, cooldownUntil, connected: false });
      expect((await rejection(() => restarted.swap.connect("F"))).code).to.equal("PEER_COOLING_DOWN");
      await restarted.swap.close();
    });
  });

  it("refuses inconsistent terms", async function () {
    const net = new SimNetwork();
    expect((await rejection(() => net.add("X", { phase: "mock", paymentThreshold: 100n, disconnectThreshold: 100n }))).code).to.equal("INVALID_ARGUMENT");
    expect((await rejection(() => net.add("Y", { phase: "hard" }))).code).to.equal("INVALID_ARGUMENT");
  });

  it("refuses a negative price: serving a peer would credit it", async function () {
    // A negative price was accepted: every reservation of it within the thresholds (the fast path) booked serving
    // the peer as if the peer had served us, and we ended up owing it.
    const net = new SimNetwork();
    expect((await rejection(() => net.add("X", { phase: "mock", prices: { store: -5n } }))).code).to.equal("INVALID_ARGUMENT");
    expect((await rejection(() => net.add("Z", { phase: "mock", defaultPrice: -1n }))).code).to.equal("INVALID_ARGUMENT");
    const free = await net.add("F", { phase: "mock", prices: { ping: 0n } }); // a free protocol is fine
    expect(free.swap.config.prices["ping"]).to.equal(0n);
  });
});
