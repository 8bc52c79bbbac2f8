/**
 * Issue 12: SWAP never runs on a limited (circuit-relay) connection. Such a connection may be cut after a few
 * kilobytes or seconds, mid-payment, and a relay pays for its traffic. The adversary is a peer reachable through a
 * relay only, or one that opens a SWAP stream over the relay while a direct connection exists.
 *
 * These are unit tests of the service over hand-made libp2p components whose connections carry `limits`, as a
 * circuit relay's do; libp2p-relay.test.ts runs the same cases through a real circuit relay.
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions, TypedEventTarget, Libp2pEvents } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { lpStream, streamPair } from "@libp2p/utils";
import { expect } from "chai";

import { MemoryLedgerStore, decodeSwapMessage, isChequeError } from "../../sdk/index.js";
import { SwapService, type SwapServiceComponents } from "../../sdk/transport/libp2p/index.js";
import { swapConnection } from "../../sdk/transport/libp2p/connections.js";
import { Outbox } from "../../sdk/transport/libp2p/outbox.js";
import { TERMS } from "./libp2p-helpers.js";

/** A connection to `peer`; `limits` set makes it a relayed one. `newStream` hands out one end of a stream pair. */
function fakeConnection(peer: PeerId, limited: boolean) {
  const opened: Stream[] = [];
  const remoteEnds: Stream[] = [];
  const c = {
    id: `${limited ? "relayed" : "direct"}-${peer.toString().slice(-6)}`,
    remotePeer: peer,
    status: "open" as Connection["status"],
    ...(limited ? { limits: { bytes: 1024n, seconds: 60 } } : {}),
    newStream: async () => {
      const [ours, theirs] = await streamPair();
      opened.push(ours);
      remoteEnds.push(theirs);
      return ours;
    },
    close: async () => {
      c.status = "closed";
    },
    abort: () => {
      c.status = "closed";
    },
  };
  return { connection: c as unknown as Connection, opened, remoteEnds, setClosed: () => (c.status = "closed") };
}

/** The components libp2p would hand the service, with connections we add and remove by hand. */
function fakeComponents() {
  const connections: Connection[] = [];
  const handlers = new Map<string, { handler: StreamHandler; options: StreamHandlerOptions | undefined }>();
  const events = new EventTarget() as unknown as TypedEventTarget<Libp2pEvents>;
  const components: SwapServiceComponents = {
    registrar: {
      handle: async (protocol, handler, options) => void handlers.set(protocol, { handler, options }),
      unhandle: async (protocol) => void handlers.delete(protocol),
    },
    connectionManager: { getConnections: (peer) => connections.filter((c) => peer === undefined || c.remotePeer.equals(peer)) },
    events,
  };
  const open = (c: Connection) => {
    connections.push(c);
    events.dispatchEvent(new CustomEvent("connection:open", { detail: c }));
  };
  const close = (c: Connection) => {
    connections.splice(connections.indexOf(c), 1);
    events.dispatchEvent(new CustomEvent("connection:close", { detail: c }));
  };
  return { components, handlers, open, close };
}

/** The ChequeError code (and reason, if any) `p` rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isChequeError(e)) throw e;
    const reason = e.details["reason"];
    return reason === undefined ? e.code : `${e.code}:${String(reason)}`;
  }
  return "ok";
}

async function peerId(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
}

describe("SWAP over libp2p: limited (relayed) connections", function () {
  it("registers the protocol without runOnLimitedConnection, so libp2p refuses SWAP streams over a relay", async function () {
    const f = fakeComponents();
    const swap = new SwapService(f.components, { accounting: { config: { phase: "mock", ...TERMS }, ledger: new MemoryLedgerStore() } });
    await swap.start();
    try {
      const registered = [...f.handlers.values()];
      expect(registered).to.have.length(1);
      expect(registered[0]!.options?.runOnLimitedConnection ?? false).to.equal(false);
    } finally {
      await swap.stop();
    }
  });

  it("a peer reachable only through a relay is no SWAP peer; its direct connection links it, and the handshake goes there", async function () {
    const f = fakeComponents();
    const swap = new SwapService(f.components, { accounting: { config: { phase: "mock", ...TERMS }, ledger: new MemoryLedgerStore() } });
    await swap.start();
    try {
      const peer = await peerId();
      const relayed = fakeConnection(peer, true);
      f.open(relayed.connection);
      // Not linked: no handshake attempt, no stream on the relayed connection; ready() says why.
      expect((await codeOf(swap.ready(peer)))).to.equal("NOT_CONNECTED:limited_connection");
      expect(relayed.opened).to.have.length(0);
      expect(swap.accounting.peers().map((p) => p.peer)).to.not.include(peer.toString());

      const direct = fakeConnection(peer, false);
      f.open(direct.connection);
      // Our handshake is written on the direct connection: read it on the peer's end.
      while (direct.remoteEnds.length === 0) await new Promise<void>((r) => setImmediate(r));
      const frame = await lpStream(direct.remoteEnds[0]!).read();
      expect(decodeSwapMessage(frame.subarray()).type).to.equal("handshake");
      expect(relayed.opened).to.have.length(0);
      expect(swap.accounting.peers().map((p) => p.peer)).to.include(peer.toString());

      // The peer opens a SWAP stream over the relay: refused, whatever libp2p let through.
      const [theirs, ours] = await streamPair();
      const handler = [...f.handlers.values()][0]!.handler;
      await handler(ours, relayed.connection);
      expect(ours.status).to.not.equal("open");
      expect(swap.stats.refusedLimited).to.equal(1);
      void theirs;

      // The direct connection closes, the relayed one stays: the peer is disconnected from SWAP (its handshake,
      // never answered, fails with NOT_CONNECTED once the engine hears of it).
      const waiting = codeOf(swap.ready(peer));
      direct.setClosed();
      f.close(direct.connection);
      expect(await waiting).to.equal("NOT_CONNECTED");
      expect(swap.accounting.peers().find((p) => p.peer === peer.toString())?.connected ?? false).to.equal(false);
      expect((await codeOf(swap.ready(peer)))).to.equal("NOT_CONNECTED:limited_connection");
    } finally {
      await swap.stop();
    }
  });

  it("the writer picks an unlimited connection only: with a relayed one left, the frame is dropped, never written over the relay", async function () {
    const peer = await peerId();
    const direct = fakeConnection(peer, false);
    const relayed = fakeConnection(peer, true);
    const connections = [relayed.connection, direct.connection];
    expect(swapConnection(connections)).to.equal(direct.connection);
    const dropped: string[] = [];
    const out = new Outbox({
      peer: peer.toString(),
      protocol: "/test",
      maxFrameBytes: 64,
      sendTimeoutMs: 1_000,
      maxQueued: 4,
      connection: () => swapConnection(connections),
      onUndeliverable: (reason) => void dropped.push(reason),
    });
    await out.send(Uint8Array.of(1));
    expect(direct.opened).to.have.length(1);
    // The direct connection goes down (its stream with it); the relayed one is still open.
    direct.setClosed();
    direct.opened[0]!.abort(new Error("connection closed"));
    expect(swapConnection(connections)).to.equal(undefined);
    expect(await codeOf(out.send(Uint8Array.of(2)))).to.equal("UNDELIVERABLE:closed");
    expect(dropped).to.deep.equal(["closed"]);
    expect(relayed.opened).to.have.length(0);
    await out.close();
  });
});
