/**
 * How bookings reach the ledger: a ledger with `saveNow` (the memory ledger) is written as each change is made, so a
 * booking is in it when `apply()` returns; any other ledger gets the changes of one turn of the event loop in one
 * write. Either way a failed write is never taken for a written one.
 */
import { expect } from "chai";

import { MemoryLedgerStore, type PeerLedger } from "../../sdk/index.js";
import { batchedLedger, SimNetwork } from "./sim.js";

const TERMS = { phase: "mock" as const, paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50 };

/** A memory ledger that records what it was given, and fails its writes while `failing` is set. */
class WatchedLedger extends MemoryLedgerStore {
  readonly written: PeerLedger[] = [];
  failing = false;
  override saveNow(ledger: PeerLedger): void {
    if (this.failing) throw new Error("disk full");
    this.written.push(ledger);
    super.saveNow(ledger);
  }
}

describe("SWAP ledger writes", function () {
  it("a memory ledger holds a booking when apply() returns; a batched one once the turn's write is done", async function () {
    const net = new SimNetwork();
    const watched = new WatchedLedger();
    const inner = new MemoryLedgerStore();
    await net.add("A", TERMS);
    const b = await net.add("B", TERMS, {}, watched);
    const c = await net.add("C", TERMS, {}, batchedLedger(inner));
    await net.connect("A", "B");
    await net.connect("A", "C");

    const atOnce = b.swap.reserveProvide("A", "store", 3).then((r) => {
      const applied = r.apply();
      // Written before apply() returned: no turn of the event loop in between.
      expect(watched.written.at(-1)).to.deep.include({ peer: "A", balance: 3n });
      return applied;
    });
    await atOnce;

    const r = await c.swap.reserveProvide("A", "store", 3);
    const applied = r.apply();
    expect((await inner.load("A"))?.balance ?? 0n).to.equal(0n); // not written yet: the turn's write is pending
    await applied;
    expect((await inner.load("A"))!.balance).to.equal(3n);
  });

  it("a write that fails rejects the booking, and keeps the peer in memory until a write succeeds", async function () {
    const net = new SimNetwork();
    const watched = new WatchedLedger();
    const a = await net.add("A", TERMS);
    const b = await net.add("B", TERMS, {}, watched);
    await net.connect("A", "B");
    await net.history("A", "B", 20); // A owes B 20, written
    await net.settle();
    expect((await watched.load("A"))!.balance).to.equal(20n);

    // B takes 20 back from A, settling, but that write fails: the ledger still says A owes 20.
    watched.failing = true;
    let failure: unknown;
    await net.history("B", "A", 20).catch((error: unknown) => (failure = error));
    expect(String(failure)).to.match(/disk full/);
    expect(b.swap.balance("A")).to.equal(0n);
    expect((await watched.load("A"))!.balance).to.equal(20n);

    // A leaves settled. Evicting it now would bring back a debt it paid; it stays in memory instead.
    net.links.delete("A|B");
    a.swap.disconnected("B");
    b.swap.disconnected("A");
    await b.swap.idle();
    expect(b.swap.peers().map((p) => p.peer)).to.deep.equal(["A"]);
    expect(b.logs.some((e) => e.event === "peer_evicted")).to.equal(false);

    // The next write carries the whole state.
    watched.failing = false;
    await net.connect("A", "B");
    await net.history("A", "B", 5);
    await net.settle();
    expect((await watched.load("A"))!.balance).to.equal(5n);
    expect(b.swap.balance("A")).to.equal(-a.swap.balance("B"));
  });
});
