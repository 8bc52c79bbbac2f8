/**
 * How bookings reach the ledger: a ledger with `saveNow` (the memory ledger) is written as each change is made, so a
 * booking is in it when `apply()` returns; any other ledger gets the changes of one turn of the event loop in one
 * write. Either way a failed write is never taken for a written one.
 */
import { expect } from "chai";

import { MemoryLedgerStore, type LedgerStore, type PeerLedger } from "../../sdk/index.js";
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

// Property: nothing accepted is lost across a restart on the same ledger. An engine that was closed (a service
// stopped) while a request was in flight used to book that request, when it ended, by writing its own stale record
// of the peer over the record the restarted engine had written since: the peer's later debt was wiped.
for (const [writes, wrap] of [
  ["written at once", (l: MemoryLedgerStore): LedgerStore => l],
  ["written per turn", (l: MemoryLedgerStore): LedgerStore => batchedLedger(l)],
] as const) {
  describe(`SWAP ledger after close (ledger ${writes})`, function () {
    it("a closed engine writes nothing: a request ending after a restart on the same ledger cannot wipe what the new engine booked", async function () {
      const ledger = new MemoryLedgerStore();
      const net = new SimNetwork();
      await net.add("A", TERMS);
      const old = await net.add("B", TERMS, {}, wrap(ledger));
      await net.connect("A", "B");
      const r = await old.swap.reserveConsume("A", "store", 10); // B asks A for 10 messages
      await old.swap.close(); // the host stops B's service while the request is in flight...
      const b = await net.add("B", TERMS, {}, wrap(ledger)); // ...and starts it again on the same ledger
      await net.connect("A", "B");
      await b.swap.provided("A", "store", 30); // the new engine serves A 30: A owes B 30
      expect((await ledger.load("A"))!.balance).to.equal(30n);

      // The request of the old engine ends: it may not be booked there any more.
      const late = await r.apply().then(() => "booked", (e: { code?: string }) => e.code);
      await old.swap.idle();
      expect((await ledger.load("A"))!.balance).to.equal(30n, "the closed engine wrote over the new engine's record");
      expect(late).to.equal("STORE_FAILURE");

      // A restart brings A's debt back.
      await b.swap.close();
      const again = await net.add("B", TERMS, {}, wrap(ledger));
      expect(again.swap.balance("A")).to.equal(30n);
    });
  });
}
