/**
 * Memory and metrics do not grow with peers that came and went (issue 11, point 6): a peer that disconnects
 * settled leaves memory and its metric series, stays in the ledger, and comes back whole at its next connection.
 */
import { expect } from "chai";

import { MemoryLedgerStore, SwapMetrics } from "../../sdk/index.js";
import { World } from "./adversary.js";
import { batchedLedger, SimNetwork } from "./sim.js";

const TERMS = { phase: "mock" as const, paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50 };

function cut(net: SimNetwork, a: string, b: string) {
  net.nodes.get(a)!.swap.disconnected(b);
  net.nodes.get(b)!.swap.disconnected(a);
  net.links.delete([a, b].sort().join("|"));
}

// A memory ledger writes each change at once (`saveNow`); a durable one writes the changes of a turn together.
for (const [writes, newLedger] of [
  ["written at once", () => new MemoryLedgerStore()],
  ["written per turn", () => batchedLedger(new MemoryLedgerStore())],
] as const) describe(`SWAP peers in memory (ledger ${writes})`, function () {
  it("evicts a peer that leaves settled, with its series, and brings it back from the ledger", async function () {
    const net = new SimNetwork();
    const a = await net.add("A", { ...TERMS, paymentThreshold: 90n });
    const b = await net.add("B", TERMS, {}, newLedger());
    await net.connect("A", "B");
    await net.history("A", "B", 60); // A pays 60 at once: both settled
    await net.settle();
    expect(b.swap.balance("A")).to.equal(0n);
    expect(await b.swap.metrics.text()).to.match(/peer="A"/);
    cut(net, "A", "B");
    await b.swap.idle();
    expect(b.swap.peers().map((p) => p.peer)).to.deep.equal([]);
    expect(await b.swap.metrics.text()).to.not.match(/peer="A"/);
    expect(b.logs.some((e) => e.event === "peer_evicted" && e.peer === "A")).to.equal(true);
    // It comes back whole: terms from the ledger, then a fresh handshake; accounts keep mirroring.
    await net.connect("A", "B");
    expect(b.swap.peers().find((p) => p.peer === "A")).to.deep.include({ peerPaymentThreshold: 90n, balance: 0n, connected: true });
    await net.history("A", "B", 70);
    await net.settle();
    expect(a.swap.balance("B")).to.equal(-b.swap.balance("A"));
  });

  it("keeps a peer's refusal count across eviction: bad messages spread over reconnects still end in a cool-down", async function () {
    const net = new SimNetwork();
    const b = await net.add("B", { ...TERMS, maxRefusals: 3 } as never, {}, newLedger());
    await net.add("M", TERMS);
    for (let round = 0; round < 3; round++) {
      await net.connect("M", "B");
      if (b.logs.some((e) => e.event === "too_many_refusals")) break;
      // Two refused messages per connection, one fewer than maxRefusals, then leave settled (and be evicted).
      for (let i = 0; i < 2; i++) await b.swap.handle("M", new Uint8Array([0xff, 0xff, 0xff])).catch(() => undefined);
      if (b.logs.some((e) => e.event === "too_many_refusals")) break;
      cut(net, "M", "B");
      await b.swap.idle();
    }
    expect(b.logs.some((e) => e.event === "peer_evicted" && e.peer === "M")).to.equal(true);
    expect(b.logs.some((e) => e.event === "too_many_refusals" && e.peer === "M")).to.equal(true);
  });

  // Property: a restart gives no peer a fresh allowance of refusals (PeerLedger.refusals). They are counted in
  // memory and written when the peer leaves; an engine closed while the peer was still connected never wrote them.
  it("keeps a connected peer's refusal count across a restart on the same ledger", async function () {
    const net = new SimNetwork();
    const ledger = newLedger();
    const b = await net.add("B", { ...TERMS, maxRefusals: 3 } as never, {}, ledger);
    await net.add("M", TERMS);
    await net.connect("M", "B");
    for (let i = 0; i < 2; i++) await b.swap.handle("M", new Uint8Array([0xff, 0xff, 0xff])).catch(() => undefined);
    await b.swap.close(); // the host stops B while M is connected...
    const again = await net.add("B", { ...TERMS, maxRefusals: 3 } as never, {}, ledger); // ...and starts it again
    await net.connect("M", "B");
    await again.swap.handle("M", new Uint8Array([0xff, 0xff, 0xff])).catch(() => undefined);
    expect(again.logs.some((e) => e.event === "too_many_refusals" && e.peer === "M")).to.equal(true, "M got a fresh allowance");
  });

  it("keeps a peer that leaves owing, and one whose payment is unanswered", async function () {
    const net = new SimNetwork();
    const b = await net.add("B", TERMS, {}, newLedger());
    await net.add("F", TERMS);
    await net.connect("F", "B");
    const r = await b.swap.reserveProvide("F", "store", 30);
    await r.apply();
    cut(net, "F", "B");
    await b.swap.idle();
    expect(b.swap.peers().find((p) => p.peer === "F")).to.deep.include({ balance: 30n, connected: false });
  });

  it("a binding outlives the eviction of its peer: another peer is still refused that chequebook", async function () {
    const w = await World.start();
    await w.run({ k: "hist", client: "H", n: 60 }); // H pays U 60 from XH: settled
    expect(w.u.swap.balance("H")).to.equal(0n);
    w.linkUH = false;
    w.h.disconnected("U");
    w.u.swap.disconnected("H");
    await w.u.swap.idle();
    expect(w.u.swap.peers().some((p) => p.peer === "H")).to.equal(false);
    await w.run({ k: "hs", ben: 0, book: 2, otherToken: false, threshold: 100n }); // M announces XH
    expect(w.linkUM).to.equal(false);
    expect(w.uLogs.some((e) => e.event === "disconnected" && e.peer === "M" && e.reason === "chequebook_taken")).to.equal(true);
  });

  it("per-peer series are optional", async function () {
    const net = new SimNetwork();
    const metrics = new SwapMetrics(undefined, { perPeer: false });
    const b = await net.add("B", TERMS, { metrics });
    await net.add("F", TERMS);
    await net.connect("F", "B");
    for (let i = 0; i < 101; i++) await (await b.swap.reserveProvide("F", "store", 1)).apply();
    const text = await b.swap.metrics.text();
    expect(text).to.not.match(/peer=/);
    expect(text).to.match(/swap_out_of_bounds_total\{direction="peer_owes",level="payment"\} 1/);
  });
});
