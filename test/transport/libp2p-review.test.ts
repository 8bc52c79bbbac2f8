/**
 * Hostile peers found by the review of the libp2p transport (issue 12). Each test names the property the attack
 * broke; each failed before its fix.
 */
import type { Libp2p, Stream, StreamHandler } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import { expect } from "chai";
import { encode as varint } from "uint8-varint";

import { encodeSwapMessage, isChequeError, MemoryLedgerStore } from "../../sdk/index.js";
import type { LedgerStore } from "../../sdk/swap/ledger.js";
import { paidStreamHandler, swapConnectionGater, SWAP_PROTOCOL } from "../../sdk/transport/libp2p/index.js";
import { link, logOf, plainNode, recorder, swapNode, waitConnected, waitDisconnected, type LogEvent } from "./libp2p-helpers.js";

const PAGES = "/test/pages/1.0.0";

function closed(stream: Stream): Promise<void> {
  if (stream.status !== "open") return Promise.resolve();
  return new Promise((resolve) => stream.addEventListener("close", () => resolve(), { once: true }));
}

describe("SWAP over libp2p: review attacks", function () {
  let nodes: Libp2p[] = [];
  afterEach(async function () {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  // Property: no peer ends up with value it did not earn. Serving a page looks each message up, then writes it. A
  // consumer that resets the stream once it has most of the page makes the next write throw, and a throwing serve
  // gave every unit back: the part of the page it read was free, every time, and it never neared a threshold.
  it("a consumer that resets the stream mid-page is charged for the page it asked for", async function () {
    const [client, server] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(client, server);
    const failed = logOf(server).waitFor((e) => e.event === "paid_request_failed");
    let serverStream: Stream | undefined;
    let lookUpLast!: () => void;
    const lastLookedUp = new Promise<void>((resolve) => (lookUpLast = resolve));
    await server.handle(
      PAGES,
      paidStreamHandler({
        accounting: () => server.services.swap.accounting,
        protocol: "store",
        logger: (e) => logOf(server).logger(e as never),
        handle: async ({ stream, charge }) => {
          serverStream = stream;
          const lp = lpStream(stream);
          const n = (await lp.read()).subarray()[0]!;
          await charge(n, async () => {
            for (let i = 0; i < n; i++) {
              if (i === n - 1) await lastLookedUp; // the store's lookup of the last message
              await lp.write(Uint8Array.of(i));
            }
          });
          await stream.close();
        },
      }),
    );
    await link(client, server);
    const stream = await client.dialProtocol(server.peerId, PAGES);
    const lp = lpStream(stream);
    await lp.write(Uint8Array.of(10));
    let got = 0;
    for (; got < 9; got++) await lp.read();
    stream.abort(new Error("took what I wanted"));
    await closed(serverStream!); // our side saw the reset while it looked the last message up
    lookUpLast();
    await failed;
    await server.services.swap.accounting.idle();
    expect(got).to.equal(9);
    expect(server.services.swap.accounting.balance(client.peerId.toString())).to.equal(10n);
    expect(server.services.swap.accounting.peers()[0]!.reserved).to.equal(0n);
  });

  // Property: frames from one peer are handled one at a time (README, "Streams"), so the work a peer makes us do
  // (in the hard phase, a chain lookup per handshake naming a new chequebook) is bounded per peer. A new stream
  // replaced the old one, but the old one's frame was still being handled: each new stream added one more engine
  // call in parallel, without bound.
  it("a peer that opens a new stream while its frame is handled does not get a second frame handled beside it", async function () {
    const [server, hostile] = await Promise.all([swapNode(), plainNode()]);
    nodes.push(server, hostile);
    await hostile.dial(server.getMultiaddrs());
    await waitConnected(server, hostile.peerId);
    const engine = server.services.swap.accounting;
    const handle = engine.handle.bind(engine);
    let inHandle = 0;
    let mostInHandle = 0;
    let handled = 0;
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    let secondDone!: () => void;
    const second = new Promise<void>((resolve) => (secondDone = resolve));
    engine.handle = async (peer, bytes) => {
      inHandle++;
      mostInHandle = Math.max(mostInHandle, inHandle);
      try {
        if (handled === 0) await blocked; // the first frame is slow (a chain lookup)
        await handle(peer, bytes);
      } finally {
        inHandle--;
        if (++handled === 2) secondDone();
      }
    };
    // Resolves once the service has read the second frame (it counts a frame before handing it to the engine).
    const stats = server.services.swap.stats;
    let framesIn = stats.framesIn;
    let secondRead!: () => void;
    const secondIn = new Promise<void>((resolve) => (secondRead = resolve));
    Object.defineProperty(stats, "framesIn", {
      get: () => framesIn,
      set: (v: number) => {
        framesIn = v;
        if (v === 2) secondRead();
      },
    });
    const handshake = encodeSwapMessage({ type: "handshake", paymentThreshold: 100n, phase: "mock" });
    const first = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
    await first.write(handshake);
    const next = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
    await next.write(handshake);
    await secondIn;
    unblock();
    await second;
    expect(mostInHandle).to.equal(1);
  });

  // Property: a peer is connected in the engine only while it has a connection (and nothing of a gone peer stays in
  // memory). libp2p hands a negotiated stream to the handler after a peer-store write; a peer that closes its
  // connection in between made the service link it after its disconnect had been handled: the engine held it
  // connected for good, its link and queue stayed, and no later disconnect would ever come for it.
  it("a stream handed over after its connection closed links nothing", async function () {
    const [server, hostile] = await Promise.all([swapNode(), plainNode()]);
    nodes.push(server, hostile);
    await hostile.dial(server.getMultiaddrs());
    await waitConnected(server, hostile.peerId);
    const gone = waitDisconnected(server, hostile.peerId);
    // Hold the peer-store write of the SWAP stream until the connection is gone, as a slow datastore would.
    const merge = server.peerStore.merge.bind(server.peerStore);
    server.peerStore.merge = async (peer, data, options) => {
      if (peer.equals(hostile.peerId) && data.protocols?.includes(SWAP_PROTOCOL) === true) {
        await hostile.hangUp(server.peerId);
        await gone;
        return merge(peer, data);
      }
      return merge(peer, data, options);
    };
    // Resolves once the service's handler has run for that stream.
    const entry = (server as unknown as { components: { registrar: { getHandler(p: string): { handler: StreamHandler } } } }).components.registrar.getHandler(SWAP_PROTOCOL);
    const serviceHandler = entry.handler;
    let handedOver!: () => void;
    const handed = new Promise<void>((resolve) => (handedOver = resolve));
    entry.handler = async (stream, connection) => {
      await serviceHandler(stream, connection);
      handedOver();
    };
    await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL).catch(() => undefined);
    await handed;
    // Linked: `ready` waits for the engine's connect, then for a handshake (TIMEOUT); not linked: NOT_CONNECTED.
    const outcome = await server.services.swap.ready(hostile.peerId, { timeoutMs: 1 }).then(
      () => "ready",
      (e: unknown) => (isChequeError(e) ? e.code : String(e)),
    );
    expect(outcome).to.equal("NOT_CONNECTED");
    const state = server.services.swap.accounting.peers().find((p) => p.peer === hostile.peerId.toString());
    expect(state?.connected ?? false).to.equal(false);
    expect(server.getConnections(hostile.peerId)).to.deep.equal([]);
    // and the peer can connect again as usual, with a fresh handshake
    await hostile.dial(server.getMultiaddrs());
    await logOf(server).waitFor((e) => e.event === "connected" && e["peer"] === hostile.peerId.toString(), 2);
  });

  // Property: repeated abuse ends in a cool-down (disconnect after repeated abuse; it costs the sender more than us).
  // Five garbage frames cool a peer down; an oversized frame only closed the connection, so a peer could announce
  // oversized frames and redial forever, each time costing us a handshake, a ledger read and our handshake back.
  it("a peer that keeps announcing oversized frames cools down like one that sends garbage", async function () {
    const [server, hostile] = await Promise.all([swapNode(), plainNode()]);
    nodes.push(server, hostile);
    const maxRefusals = server.services.swap.accounting.config.maxRefusals;
    for (let i = 0; i < maxRefusals; i++) {
      await hostile.dial(server.getMultiaddrs());
      await waitConnected(server, hostile.peerId);
      const gone = Promise.all([waitDisconnected(server, hostile.peerId), waitDisconnected(hostile, server.peerId)]);
      const stream = await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL);
      stream.send(varint(1_000_000));
      await gone;
    }
    expect(server.services.swap.stats.oversized).to.equal(maxRefusals);
    expect(server.services.swap.coolingDown(hostile.peerId)).to.equal(true);
    // What the gater asks (a redial here would meet libp2p's own inbound rate limit of 127.0.0.1 first).
    expect(swapConnectionGater(() => server.services.swap).denyInboundEncryptedConnection!(hostile.peerId, undefined as never)).to.equal(true);
  });

  // Property: repeated abuse ends in a cool-down. The engine counts refused frames on the peer's state, and drops a
  // settled peer from memory when it disconnects, count included: a peer sending maxRefusals - 1 garbage frames per
  // connection and redialling was never cooled down, and each round cost us a ledger read and a handshake.
  it("garbage frames spread over reconnects still cool the peer down", async function () {
    const [server, hostile] = await Promise.all([swapNode(), plainNode()]);
    nodes.push(server, hostile);
    const maxRefusals = server.services.swap.accounting.config.maxRefusals;
    const peer = hostile.peerId.toString();
    for (let round = 1; round <= 2; round++) {
      await hostile.dial(server.getMultiaddrs());
      await waitConnected(server, hostile.peerId);
      const lp = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
      const gone = waitDisconnected(server, hostile.peerId);
      // The engine keeps the count across connections too, so the second round may be cut off at its first frame.
      for (let i = 0; i < maxRefusals - 1; i++) await lp.write(new Uint8Array(8).fill(0xff)).catch(() => undefined);
      await Promise.race([logOf(server).waitFor((e) => e.event === "malformed_message" && e["peer"] === peer, round * (maxRefusals - 1)), gone]);
      await hostile.hangUp(server.peerId);
      await gone;
      await server.services.swap.accounting.idle();
    }
    expect(server.services.swap.coolingDown(hostile.peerId)).to.equal(true);
  });

  // Property: nothing accepted is lost. libp2p stops its services together; the SWAP service closed the ledger
  // without waiting for the host's paid requests, so a page served while the node stopped was booked on a closed
  // ledger (a durable store refuses the write): served, and never charged.
  it("stopping the node while a paid request is served keeps its booking", async function () {
    let onClose!: () => void;
    const closing = new Promise<void>((resolve) => (onClose = resolve));
    const rows = new MemoryLedgerStore();
    let closed = false;
    const ledger: LedgerStore = {
      loadAll: () => rows.loadAll(),
      load: (peer) => rows.load(peer),
      save: async (l) => {
        if (closed) throw new Error("the ledger is closed"); // as SQLite's would
        await rows.save(l);
      },
      close: async () => {
        closed = true;
        onClose();
      },
    };
    const stopWaits = recorder();
    const [client, server] = await Promise.all([swapNode(), swapNode({ ledger, logger: (e) => stopWaits.logger(e as LogEvent) })]);
    nodes.push(client);
    let started!: () => void;
    const serving = new Promise<void>((resolve) => (started = resolve));
    // The page is served once the ledger closed (before the fix) or once the service waits for it (after).
    const released = Promise.race([closing, stopWaits.waitFor((e) => e.event === "swap_stop_waiting")]);
    await server.handle(
      PAGES,
      paidStreamHandler({
        accounting: () => server.services.swap.accounting,
        protocol: "store",
        handle: async ({ charge }) => {
          await charge(10, async () => {
            started();
            await released;
          });
        },
      }),
    );
    await link(client, server);
    const stream = await client.dialProtocol(server.peerId, PAGES);
    stream.send(Uint8Array.of(10));
    await serving;
    await server.stop();
    const booked = (await rows.load(client.peerId.toString()))?.balance ?? 0n;
    expect(booked).to.equal(10n);
  });
});
