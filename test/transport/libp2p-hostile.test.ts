/**
 * Hostile peers over the real stack (TCP, Noise, Yamux): the property each time is about value and about the
 * others: the hostile peer is never credited, is cut off, and an honest peer beside it is served and paid as usual.
 */
import type { Libp2p, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import { expect } from "chai";
import { encode as varint } from "uint8-varint";

import { encodeSwapMessage, isChequeError } from "../../sdk/index.js";
import { SWAP_PROTOCOL } from "../../sdk/transport/libp2p/index.js";
import { exchange, link, logOf, plainNode, recorder, settled, swapNode, waitConnected, waitDisconnected, type LogEvent, type SwapNode } from "./libp2p-helpers.js";

async function rejected(node: SwapNode, reason: string): Promise<number> {
  const m = await node.services.swap.accounting.metrics.registry.getSingleMetric("swap_cheques_rejected_total")!.get();
  return m.values.filter((v) => v.labels["reason"] === reason).reduce((sum, v) => sum + v.value, 0);
}

function closed(stream: Stream): Promise<void> {
  if (stream.status !== "open") return Promise.resolve();
  return new Promise((resolve) => stream.addEventListener("close", () => resolve(), { once: true }));
}

/** An honest client stays served and paid beside the hostile one. */
async function honestStillServed(client: SwapNode, server: SwapNode): Promise<void> {
  for (let i = 0; i < 20; i++) await exchange(client, server, 9);
  await settled(client, server);
  expect(client.services.swap.accounting.balance(server.peerId.toString())).to.equal(-server.services.swap.accounting.balance(client.peerId.toString()));
}

describe("SWAP over libp2p: hostile peers", function () {
  let nodes: Libp2p[] = [];
  afterEach(async function () {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  async function setup() {
    const [server, honest, hostile] = await Promise.all([swapNode(), swapNode(), plainNode()]);
    nodes.push(server, honest, hostile);
    await link(honest, server);
    await hostile.dial(server.getMultiaddrs());
    await waitConnected(server, hostile.peerId);
    return { server, honest, hostile };
  }

  it("garbage frames: refused, the peer is cut off after maxRefusals, and its redial is refused at the gater", async function () {
    const { server, honest, hostile } = await setup();
    const gone = Promise.all([waitDisconnected(server, hostile.peerId), waitDisconnected(hostile, server.peerId)]);
    const lp = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
    const garbage = new Uint8Array(64).fill(0xff);
    for (let i = 0; i < 5; i++) await lp.write(garbage).catch(() => undefined);
    await gone;
    expect(await rejected(server, "MALFORMED_WIRE")).to.equal(5);
    expect(server.services.swap.coolingDown(hostile.peerId)).to.equal(true);
    expect(server.services.swap.accounting.balance(hostile.peerId.toString())).to.equal(0n);
    // the cooling-down peer redials: refused before any SWAP work
    const denied = logOf(server).waitFor((e) => e.event === "test_gater_denied" && e["peer"] === hostile.peerId.toString());
    await hostile.dial(server.getMultiaddrs()).catch(() => undefined); // the dialler may see a connection before the refusal reaches it
    await denied;
    await waitDisconnected(hostile, server.peerId);
    expect(server.getConnections(hostile.peerId)).to.deep.equal([]);
    expect(server.services.swap.accounting.peers().find((p) => p.peer === hostile.peerId.toString())?.connected ?? false).to.equal(false);
    expect(server.services.swap.stats.refusedCoolingDown).to.equal(0); // the gater refused it; the engine never saw it
    await honestStillServed(honest, server);
  });

  it("without the gater, a cooling-down peer's redial is refused by the engine and its connection closed", async function () {
    const [server, hostile] = await Promise.all([swapNode({ gater: false }), plainNode()]);
    nodes.push(server, hostile);
    await hostile.dial(server.getMultiaddrs());
    await waitConnected(server, hostile.peerId);
    const gone = Promise.all([waitDisconnected(server, hostile.peerId), waitDisconnected(hostile, server.peerId)]);
    const lp = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
    for (let i = 0; i < 5; i++) await lp.write(new Uint8Array(64).fill(0xff)).catch(() => undefined);
    await gone;
    const refused = logOf(server).waitFor((e) => e.event === "reconnect_refused" && e["peer"] === hostile.peerId.toString());
    await hostile.dial(server.getMultiaddrs()).catch(() => undefined);
    await refused;
    await waitDisconnected(server, hostile.peerId);
    expect(server.services.swap.stats.refusedCoolingDown).to.equal(1);
    expect(server.getConnections(hostile.peerId)).to.deep.equal([]);
  });

  it("a frame over the limit is refused from its length prefix and the connection closed", async function () {
    const { server, honest, hostile } = await setup();
    const gone = waitDisconnected(server, hostile.peerId);
    const stream = await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL);
    stream.send(varint(1_000_000_000)); // announces a gigabyte, sends a few bytes
    stream.send(new Uint8Array(16));
    await gone;
    expect(server.services.swap.stats.oversized).to.equal(1);
    expect(await rejected(server, "MALFORMED_WIRE")).to.equal(0);
    await honestStillServed(honest, server);
  });

  it("a peer opening many streams gets one reader: each new stream replaces the last", async function () {
    const { server, honest, hostile } = await setup();
    const streams: Stream[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL).catch((e: unknown) => e);
      if (s instanceof Error) continue;
      streams.push(s as Stream);
    }
    expect(streams.length).to.be.greaterThan(1);
    await Promise.all(streams.slice(0, -1).map(closed));
    const fromHostile = server.services.swap.openStreams(hostile.peerId).filter((s) => s.direction === "inbound");
    expect(fromHostile.length).to.be.at.most(1);
    await honestStillServed(honest, server);
  });

  it("a handshake flood is handled one frame at a time and earns nothing", async function () {
    const r = recorder();
    const [server, honest, hostile] = await Promise.all([swapNode({ logger: r.logger }), swapNode(), plainNode()]);
    nodes.push(server, honest, hostile);
    await link(honest, server);
    await hostile.dial(server.getMultiaddrs());
    const lp = lpStream(await hostile.dialProtocol(server.peerId, SWAP_PROTOCOL));
    const handshake = encodeSwapMessage({ type: "handshake", paymentThreshold: 100n, phase: "mock" });
    const N = 300;
    // A malformed frame last: frames are handled in order, so once it is refused every handshake was handled.
    const flood = lp.writeV([...Array.from({ length: N }, () => handshake), new Uint8Array(8).fill(0xff)]);
    await honestStillServed(honest, server);
    await flood;
    await r.waitFor((e) => e.event === "malformed_message" && e["peer"] === hostile.peerId.toString());
    // A repeated handshake with the same terms is accepted silently: logged once, written once.
    expect(r.seen.filter((e) => e.event === "handshake" && e["peer"] === hostile.peerId.toString())).to.have.length(1);
    expect(server.services.swap.accounting.balance(hostile.peerId.toString())).to.equal(0n);
    expect(server.services.swap.accounting.peers().find((p) => p.peer === hostile.peerId.toString())).to.deep.include({ prepaid: 0n, reserved: 0n });
  });

  it("a connection dropped in the middle of a payment: the payment is resent after reconnecting and credited once", async function () {
    const rs = recorder();
    const ra = recorder();
    let dropped = false;
    const [a, b] = await Promise.all([
      swapNode({ logger: ra.logger }),
      swapNode({
        logger: (e) => {
          rs.logger(e as LogEvent);
          // B credited A's cheque; cut every connection before B's acknowledgement goes out.
          if (e.event === "cheque_received" && !dropped) {
            dropped = true;
            for (const c of b.getConnections()) c.abort(new Error("dropped mid-payment"));
          }
        },
      }),
    ]);
    nodes.push(a, b);
    await link(a, b);
    try {
      for (let i = 0; i < 40; i++) await exchange(a, b, 7);
    } catch (error) {
      if (!isChequeError(error, "OVERDRAFT", "NOT_CONNECTED", "OUT_OF_BOUNDS")) throw error;
    }
    expect(dropped).to.equal(true);
    await waitDisconnected(a, b.peerId);
    const inflight = a.services.swap.accounting.peers()[0]!.paymentInFlight;
    expect(inflight).to.be.a("bigint");
    await link(a, b);
    await ra.waitFor((e) => e.event === "payment_accepted");
    await settled(a, b);
    expect(rs.seen.filter((e) => e.event === "cheque_received")).to.have.length(1);
    expect(rs.seen.filter((e) => e.event === "duplicate_cheque_acknowledged")).to.have.length(1);
    expect(a.services.swap.accounting.balance(b.peerId.toString())).to.equal(-b.services.swap.accounting.balance(a.peerId.toString()));
    expect(a.services.swap.accounting.peers()[0]!.paymentInFlight).to.equal(undefined);
  });
});
