/**
 * Issue 12: SWAP across a real circuit relay (v2). Three libp2p nodes over TCP on 127.0.0.1: a relay server, a SWAP
 * node that reserves a slot on it and listens through it, and a SWAP node that dials the `/p2p-circuit` address.
 *
 * A relayed connection is limited (`connection.limits`: the relay resets it past a data or duration cap). By default
 * SWAP does not run on it: it waits for a direct connection and says so. With `runOnLimitedConnection` it runs there
 * until a direct connection exists (a DCUtR hole punch, simulated by dialling the TCP address), then moves to it.
 * Whatever the connections do, a payment is credited once: a payment the relay cut is sent again, and a re-send of a
 * payment already credited is answered without credit.
 */
import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { expect } from "chai";

import { MemoryLedgerStore, isChequeError } from "../../sdk/index.js";
import type { LedgerStore, PeerLedger } from "../../sdk/swap/ledger.js";
import { exchange, logOf, relayServer, settled, swapNode, waitDisconnected, type NodeOptions, type SwapNode } from "./libp2p-helpers.js";

const FILLER = "/test/filler/1.0.0";

/** The relay's TCP address with its PeerId. */
function relayAddress(relay: Libp2p): Multiaddr {
  return relay.getMultiaddrs().find((a) => a.toString().includes("/tcp/"))!;
}

/** Resolves with `node`'s address through the relay once its reservation is made. */
async function circuitAddress(node: Libp2p): Promise<Multiaddr> {
  const find = () => node.getMultiaddrs().find((a) => a.toString().includes("/p2p-circuit"));
  while (find() === undefined) await new Promise<void>((resolve) => node.addEventListener("self:peer:update", () => resolve(), { once: true }));
  return find()!;
}

/** `node`'s direct TCP address (what a hole punch would find). */
function directAddress(node: Libp2p): Multiaddr {
  return node.getMultiaddrs().find((a) => !a.toString().includes("/p2p-circuit"))!;
}

/** Resolves once both nodes accepted each other's `n`th handshake (one per link: a carrier change makes a new one). */
async function handshaken(a: SwapNode, b: SwapNode, n = 1): Promise<void> {
  const of = (x: SwapNode, y: SwapNode) => logOf(x).waitFor((e) => e.event === "handshake" && e.peer === y.peerId.toString(), n);
  await Promise.all([of(a, b), of(b, a)]);
}

/** Credited mock payments of `node` (cheques received and credited, re-sends excluded). */
function credited(node: SwapNode): number {
  return logOf(node).seen.filter((e) => e.event === "cheque_received").length;
}

/** The ChequeError code and reason `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isChequeError(e)) throw e;
    return `${e.code}:${String(e.details["reason"] ?? "")}`;
  }
  return "ok";
}

/**
 * A memory ledger that can hold back the write crediting the next mock payment received from `peer` (the receiver
 * has credited it in memory, its answer is not sent yet): `held` resolves when it does, `release()` lets it through.
 */
function holdingLedger(): LedgerStore & { hold(peer: string): { held: Promise<void>; release(): void } } {
  const inner = new MemoryLedgerStore();
  let gate: { peer: string; date: number | undefined; arrived: () => void; open: Promise<void> } | undefined;
  return {
    loadAll: () => inner.loadAll(),
    load: (peer) => inner.load(peer),
    close: () => inner.close(),
    async save(l: PeerLedger) {
      const g = gate;
      if (g !== undefined && l.peer === g.peer && l.lastMockReceived !== undefined && l.lastMockReceived.date !== g.date) {
        gate = undefined;
        g.arrived();
        await g.open;
      }
      return inner.save(structuredClone(l));
    },
    hold(peer) {
      let arrived!: () => void;
      let release!: () => void;
      const held = new Promise<void>((r) => (arrived = r));
      const open = new Promise<void>((r) => (release = r));
      void inner.load(peer).then((l) => {
        gate = { peer, date: l?.lastMockReceived?.date, arrived, open };
      });
      return { held, release };
    },
  };
}

describe("SWAP over libp2p: a real circuit relay", function () {
  this.timeout(60_000);
  let nodes: Libp2p[] = [];
  let releases: (() => void)[] = [];
  afterEach(async function () {
    for (const r of releases) r();
    releases = [];
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  /** A relay (with `dataLimit`), a listener reachable through it, a dialer connected to it only through the relay. */
  async function relayed(dataLimit?: bigint, options: NodeOptions = {}) {
    const relay = await relayServer(dataLimit);
    nodes.push(relay);
    const listener = await swapNode({ ...options, relay: { via: relayAddress(relay) } });
    const dialer = await swapNode({ ...options, relay: {} });
    nodes.push(listener, dialer);
    const circuit = await circuitAddress(listener);
    const connection = await dialer.dial(circuit);
    expect(connection.limits, "a relayed connection is limited").to.not.equal(undefined);
    return { relay, listener, dialer, connection };
  }

  it("by default SWAP waits for a direct connection: none of its streams on the relay, ready() says why, the direct connection carries it", async function () {
    const { listener, dialer, connection } = await relayed();
    expect(await failure(dialer.services.swap.ready(listener.peerId))).to.equal("NOT_CONNECTED:limited_connection");
    await logOf(dialer).waitFor((e) => e.event === "swap_waiting_for_direct" && e.peer === listener.peerId.toString());
    expect(connection.streams.filter((s: Stream) => s.protocol === dialer.services.swap.protocol)).to.deep.equal([]);

    // The hole punch: a direct connection. SWAP links over it, and only over it.
    const direct = await dialer.dial(directAddress(listener));
    expect(direct.limits).to.equal(undefined);
    await handshaken(dialer, listener);
    for (let i = 0; i < 30; i++) await exchange(dialer, listener, 7);
    await settled(dialer, listener);
    expect(dialer.services.swap.accounting.balance(listener.peerId.toString())).to.equal(-listener.services.swap.accounting.balance(dialer.peerId.toString()));
    expect(credited(listener)).to.be.greaterThan(0);
    expect(connection.streams.filter((s: Stream) => s.protocol === dialer.services.swap.protocol)).to.deep.equal([]);
    expect(connection.status).to.equal("open");
  });

  /** SWAP streams on `connection` (either side's). */
  const swapStreams = (node: SwapNode, connection: Connection) => connection.streams.filter((s: Stream) => s.protocol === node.services.swap.protocol);

  /** Mirrored ledgers, and every credited payment answered: nothing lost, nothing credited twice. */
  async function mirrored(dialer: SwapNode, listener: SwapNode): Promise<void> {
    await settled(dialer, listener);
    const paid = dialer.services.swap.accounting.peers().find((p) => p.peer === listener.peerId.toString())!;
    expect(paid.paymentInFlight).to.equal(undefined);
    expect(paid.balance).to.equal(-listener.services.swap.accounting.balance(dialer.peerId.toString()));
    const accepted = logOf(dialer).seen.filter((e) => e.event === "payment_accepted").length;
    expect(credited(listener)).to.equal(accepted);
  }

  /**
   * Consumes 7 messages at a time until the listener holds a payment back (at most 13 times: 91 < threshold).
   * Resolves with the exchange under way then: the listener's bookings wait behind the held write, so it ends only
   * after the release.
   */
  async function untilHeld(dialer: SwapNode, listener: SwapNode, held: Promise<void>): Promise<{ pending: Promise<void> }> {
    for (let i = 0; i < 13; i++) {
      const step = exchange(dialer, listener, 7);
      step.catch(() => undefined);
      if ((await Promise.race([step.then(() => false), held.then(() => true)])) === true) return { pending: step.catch(() => undefined) };
    }
    throw new Error("no payment was held");
  }

  const allowed: NodeOptions = { service: { runOnLimitedConnection: true } };

  it("with runOnLimitedConnection the mock phase runs across the relay, and moves to a direct connection once there is one", async function () {
    const { listener, dialer, connection } = await relayed(undefined, allowed);
    await handshaken(dialer, listener);
    for (let i = 0; i < 30; i++) await exchange(dialer, listener, 7);
    await mirrored(dialer, listener);
    expect(credited(listener)).to.be.greaterThan(0);
    expect(swapStreams(dialer, connection)).to.not.deep.equal([]);

    const direct = await dialer.dial(directAddress(listener));
    await Promise.all([
      logOf(dialer).waitFor((e) => e.event === "swap_carrier_changed"),
      logOf(listener).waitFor((e) => e.event === "swap_carrier_changed"),
    ]);
    await handshaken(dialer, listener, 2);
    const before = credited(listener);
    for (let i = 0; i < 30; i++) await exchange(dialer, listener, 7);
    await mirrored(dialer, listener);
    expect(credited(listener)).to.be.greaterThan(before);
    expect(swapStreams(dialer, direct)).to.not.deep.equal([]);
    // The relayed connection stays open, with no SWAP stream on it.
    expect(connection.status).to.equal("open");
    expect(swapStreams(dialer, connection)).to.deep.equal([]);
  });

  it("the relay cuts the connection at its data limit with a payment credited but unanswered: re-sent after the redial, credited once", async function () {
    const ledger = holdingLedger();
    const relay = await relayServer(16_384n);
    nodes.push(relay);
    const listener = await swapNode({ ...allowed, ledger, relay: { via: relayAddress(relay) } });
    const dialer = await swapNode({ ...allowed, relay: {} });
    nodes.push(listener, dialer);
    await listener.handle(FILLER, async (stream) => {
      for await (const _ of stream) void _;
    }, { runOnLimitedConnection: true });
    const circuit = await circuitAddress(listener);
    const connection = await dialer.dial(circuit);
    await handshaken(dialer, listener);
    for (let i = 0; i < 20; i++) await exchange(dialer, listener, 7);
    await mirrored(dialer, listener);

    // The listener credits the next payment and is held before it answers; then host traffic uses up the relay's
    // data allowance, and the relay resets the connection.
    const { held, release } = ledger.hold(dialer.peerId.toString());
    releases.push(release);
    const { pending } = await untilHeld(dialer, listener, held);
    const gone = Promise.all([waitDisconnected(dialer, listener.peerId), waitDisconnected(listener, dialer.peerId)]);
    const filler = await connection.newStream(FILLER, { runOnLimitedConnection: true });
    try {
      for (let i = 0; i < 32 && filler.writeStatus === "writable"; i++) {
        if (!filler.send(new Uint8Array(1024))) {
          await new Promise((r) => {
            filler.addEventListener("drain", r, { once: true });
            filler.addEventListener("close", r, { once: true });
          });
        }
      }
    } catch {
      // the relay reset the stream
    }
    await gone;
    expect(connection.status).to.not.equal("open");
    release();
    await pending;
    expect(dialer.services.swap.accounting.peers().find((p) => p.peer === listener.peerId.toString())!.paymentInFlight).to.be.a("bigint");

    // Through the relay again (a new circuit, a new allowance): the payment is re-sent and answered without credit.
    const again = await dialer.dial(circuit);
    expect(again.limits).to.not.equal(undefined);
    await handshaken(dialer, listener, 2);
    await logOf(listener).waitFor((e) => e.event === "duplicate_cheque_acknowledged");
    await mirrored(dialer, listener);
    expect(logOf(dialer).seen.filter((e) => e.event === "cheque_resent")).to.have.length(1);
    for (let i = 0; i < 10; i++) await exchange(dialer, listener, 7);
    await mirrored(dialer, listener);
  });

  it("a direct connection replaces the relayed one while a payment is unanswered: answered once over the direct connection", async function () {
    const ledger = holdingLedger();
    const relay = await relayServer();
    nodes.push(relay);
    const listener = await swapNode({ ...allowed, ledger, relay: { via: relayAddress(relay) } });
    const dialer = await swapNode({ ...allowed, relay: {} });
    nodes.push(listener, dialer);
    const connection = await dialer.dial(await circuitAddress(listener));
    await handshaken(dialer, listener);
    const { held, release } = ledger.hold(dialer.peerId.toString());
    releases.push(release);
    const { pending } = await untilHeld(dialer, listener, held);

    const direct = await dialer.dial(directAddress(listener));
    await Promise.all([
      logOf(dialer).waitFor((e) => e.event === "swap_carrier_changed"),
      logOf(listener).waitFor((e) => e.event === "swap_carrier_changed"),
    ]);
    release();
    await pending;
    await handshaken(dialer, listener, 2);
    await mirrored(dialer, listener);
    for (let i = 0; i < 20; i++) await exchange(dialer, listener, 7);
    await mirrored(dialer, listener);
    expect(swapStreams(dialer, connection)).to.deep.equal([]);
    expect(swapStreams(dialer, direct)).to.not.deep.equal([]);
  });
});
