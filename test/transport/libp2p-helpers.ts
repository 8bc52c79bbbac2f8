/** Real libp2p nodes (TCP on 127.0.0.1, Noise, Yamux) with the SWAP service, for the transport tests. */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { circuitRelayServer, circuitRelayTransport } from "@libp2p/circuit-relay-v2";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import type { Multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";

import { MemoryLedgerStore, type HardPhaseOptions, type SwapConfig } from "../../sdk/index.js";
import type { LedgerStore } from "../../sdk/swap/ledger.js";
import type { SwapLogger } from "../../sdk/swap/metrics.js";
import { swapConnectionGater, swapService, type SwapService, type SwapServiceInit } from "../../sdk/transport/libp2p/index.js";

export const TERMS = { paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50 };

export type SwapNode = Libp2p<{ swap: SwapService }>;

export interface NodeOptions {
  config?: Partial<SwapConfig>;
  /** The hard phase's issuer, receiver, verifier, store and token (set `config.phase: "hard"` too). */
  hard?: HardPhaseOptions;
  logger?: SwapLogger;
  service?: Omit<SwapServiceInit, "accounting">;
  /** Install the SWAP connection gater (default true). */
  gater?: boolean;
  /** The ledger (a fresh memory ledger by default). */
  ledger?: LedgerStore;
  /**
   * Circuit relay v2: the node can dial `/p2p-circuit` addresses, and, given a relay's address, reserves a slot on
   * it and listens through it too (beside its TCP address, which a peer may dial later, as after a hole punch).
   */
  relay?: { via?: Multiaddr };
}

/** A node with the SWAP service in the mock phase on a memory ledger, listening on 127.0.0.1, port 0. */
export async function swapNode(options: NodeOptions = {}): Promise<SwapNode> {
  const events = recorder();
  const accounting: SwapServiceInit["accounting"] = {
    config: { phase: "mock", ...TERMS, ...options.config },
    ledger: options.ledger ?? new MemoryLedgerStore(),
    logger: (e) => {
      options.logger?.(e);
      events.logger(e as LogEvent);
    },
  };
  if (options.hard !== undefined) accounting.hard = options.hard;
  const gate = swapConnectionGater(() => node.services.swap);
  const relayed = options.relay !== undefined;
  const listen = ["/ip4/127.0.0.1/tcp/0"];
  if (options.relay?.via !== undefined) listen.push(`${options.relay.via.toString()}/p2p-circuit`);
  const transports = relayed ? [tcp(), circuitRelayTransport()] : [tcp()];
  const node: SwapNode = await createLibp2p({
    addresses: { listen },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: options.gater === false ? { denyDialMultiaddr: () => false } : {
      ...gate,
      denyInboundEncryptedConnection: (peer, maConn) => {
        const denied = gate.denyInboundEncryptedConnection!(peer, maConn) as boolean;
        if (denied) events.logger({ event: "test_gater_denied", peer: peer.toString() });
        return denied;
      },
      denyDialMultiaddr: () => false,
    },
    services: relayed
      ? ({ swap: swapService({ ...options.service, accounting }), identify: identify() } as unknown as { swap: ReturnType<typeof swapService> })
      : { swap: swapService({ ...options.service, accounting }) },
  });
  logs.set(node, events);
  return node;
}

export type LogEvent = Record<string, unknown> & { event: string };

/** The engine's log events of a node, with waiters. */
export function recorder() {
  const seen: LogEvent[] = [];
  const waiters: { match: (e: LogEvent) => boolean; n: number; resolve: () => void }[] = [];
  const logger = (e: LogEvent) => {
    seen.push(e);
    for (const w of [...waiters]) {
      if (seen.filter(w.match).length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  /** Resolves once `n` events in all match. */
  const waitFor = (match: (e: LogEvent) => boolean, n = 1) =>
    seen.filter(match).length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match, n, resolve }));
  /** Resolves at the next matching event from now on. */
  const next = (match: (e: LogEvent) => boolean) => waitFor(match, seen.filter(match).length + 1);
  return { seen, logger, waitFor, next };
}

const logs = new WeakMap<SwapNode, ReturnType<typeof recorder>>();

/** The log recorder of a node made by {@link swapNode}. */
export function logOf(node: SwapNode): ReturnType<typeof recorder> {
  return logs.get(node)!;
}

/**
 * Resolves once `client` has no payment to `server` waiting for its answer and both engines are idle: from then on
 * the two ledgers must mirror each other.
 */
export async function settled(client: SwapNode, server: SwapNode): Promise<void> {
  const inflight = () => client.services.swap.accounting.peers().find((p) => p.peer === server.peerId.toString())?.paymentInFlight;
  while (inflight() !== undefined) await logOf(client).next((e) => e.event === "payment_accepted" || e.event === "payment_refused" || e.event === "disconnected");
  await Promise.all([client.services.swap.accounting.idle(), server.services.swap.accounting.idle()]);
}

/** What every plain test node is: TCP on 127.0.0.1, Noise, Yamux, dialling loopback addresses allowed. */
function localNode() {
  return {
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  };
}

/** A node without SWAP: the hostile peer that writes raw bytes on the protocol. */
export async function plainNode(): Promise<Libp2p> {
  return createLibp2p(localNode());
}

/**
 * A circuit relay v2 server on 127.0.0.1: every relayed connection through it may carry `dataLimit` bytes (both
 * directions together) before the relay resets it.
 */
export async function relayServer(dataLimit = 1n << 17n): Promise<Libp2p> {
  return createLibp2p({
    ...localNode(),
    services: {
      identify: identify(),
      relay: circuitRelayServer({ reservations: { defaultDataLimit: dataLimit, defaultDurationLimit: 600_000 } }),
    },
  });
}

/** Dials `b` from `a` and waits until both sides accepted each other's handshake. */
export async function link(a: SwapNode, b: SwapNode): Promise<void> {
  await a.dial(b.getMultiaddrs());
  await Promise.all([a.services.swap.ready(b.peerId), waitConnected(b, a.peerId).then(() => b.services.swap.ready(a.peerId))]);
}

/** Resolves once `node` has a connection to `peer` (at once if it has). */
export function waitConnected(node: Libp2p, peer: PeerId): Promise<void> {
  if (node.getConnections(peer).length > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (e: CustomEvent<PeerId>) => {
      if (!e.detail.equals(peer)) return;
      node.removeEventListener("peer:connect", on);
      resolve();
    };
    node.addEventListener("peer:connect", on);
  });
}

/** Resolves once `node` has no connection left to `peer` (at once if it has none). */
export function waitDisconnected(node: Libp2p, peer: PeerId): Promise<void> {
  if (node.getConnections(peer).length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (e: CustomEvent<PeerId>) => {
      if (!e.detail.equals(peer)) return;
      node.removeEventListener("peer:disconnect", on);
      resolve();
    };
    node.addEventListener("peer:disconnect", on);
  });
}

/** `consumer` takes `n` messages from `server`, both sides booking them as a real request would. */
export async function exchange(consumer: SwapNode, server: SwapNode, n: number, protocol = "store"): Promise<void> {
  const c = await consumer.services.swap.accounting.reserveConsume(server.peerId.toString(), protocol, n);
  const p = await server.services.swap.accounting.reserveProvide(consumer.peerId.toString(), protocol, n);
  await p.apply();
  await c.apply();
}

/** The socket and server handles the process holds (what a leaked listener or connection would add to). */
export function netHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap").length;
}

/**
 * Records every timer set from SDK code (its stack passes through `/sdk/`) until `restore()`; `live()` lists the
 * ones neither fired nor cleared. libp2p's own timers (rate limiters, debounces) are not the SDK's to clear.
 */
export function sdkTimers(): { live(): string[]; restore(): void } {
  const live = new Map<ReturnType<typeof setTimeout>, string>();
  const set = globalThis.setTimeout;
  const clear = globalThis.clearTimeout;
  const patched = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = new Error().stack ?? "";
    const t = set(() => {
      live.delete(t);
      fn(...args);
    }, ms);
    if (stack.split("\n").slice(2).some((l) => l.includes("/sdk/"))) live.set(t, stack.split("\n").slice(2, 5).join(" | "));
    return t;
  }) as unknown as typeof setTimeout;
  globalThis.setTimeout = patched;
  globalThis.clearTimeout = ((t: ReturnType<typeof setTimeout> | undefined) => {
    if (t !== undefined) live.delete(t);
    clear(t);
  }) as typeof clearTimeout;
  return {
    live: () => [...live.values()],
    restore: () => {
      globalThis.setTimeout = set;
      globalThis.clearTimeout = clear;
    },
  };
}

/** One turn of the event loop: sockets and servers closed during `stop` release their handles in the next one. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
