/**
 * SWAP as a js-libp2p service: `createLibp2p({ services: { swap: swapService({ accounting }) } })`.
 *
 * The service opens a {@link SwapAccounting} engine on start, with its hooks wired to libp2p: a peer's first
 * connection → `connect`, its last one closing → `disconnected`, SWAP frames on `/vac/waku/swap/2.0.0-beta1` →
 * `handle`, and the engine's `disconnect` → the peer's connections are closed (and, if it cools down, the
 * connection gater refuses it until then, see {@link swapConnectionGater}). The peer is named by its PeerId
 * string, which the Noise handshake proves, so no peer can reach another peer's ledger.
 *
 * A peer's link runs on one connection at a time, its carrier: an unlimited one, or (with `runOnLimitedConnection`)
 * a relayed one while there is no unlimited one. When a better connection opens (a direct one beside a relay) or
 * the carrier closes while another connection remains, the link is made again on the new carrier: the engine hears
 * `disconnected` then `connect`, both sides exchange handshakes there, and a payment whose frame or answer the old
 * carrier lost is sent again (the engine answers a re-send of a credited payment without crediting it).
 */
import type { Connection, PeerId, Startable, Stream } from "@libp2p/interface";

import { ChequeError, isChequeError } from "../../errors.js";
import { SwapAccounting } from "../../swap/engine.js";
import type { SwapLogger } from "../../swap/metrics.js";
import { AbuseCounter } from "./abuse.js";
import { carriesSwap, closeAll, isLimited, swapConnection } from "./connections.js";
import { CooldownTable } from "./cooldowns.js";
import { readFrames } from "./inbox.js";
import { SWAP_PROTOCOL, type SwapServiceComponents, type SwapServiceInit, type SwapTransportStats } from "./options.js";
import { Outbox } from "./outbox.js";
import { paidRequestsInFlight, paidRequestsSettled } from "./paid.js";

export { SWAP_PROTOCOL, type SwapServiceComponents, type SwapServiceInit, type SwapTransportStats } from "./options.js";

interface Link {
  id: PeerId;
  /** The connection SWAP runs on for this link: its outbound stream is opened there, and only there. */
  carrier: Connection;
  outbox: Outbox;
  inbound: Set<Stream>;
  /** Settles when the engine's `connect` for this link is done (whatever its outcome). */
  connected: Promise<void>;
  /**
   * The tail of the frames handed to the engine. A replaced stream's frame may still be in the engine when the new
   * stream's first frame is read: it waits here, so a peer never has two frames handled at once.
   */
  handling: Promise<void>;
}

/**
 * The SWAP service of one libp2p node. Get it as `node.services.swap`; its engine is `accounting` while started.
 */
export class SwapService implements Startable {
  readonly [Symbol.toStringTag] = "@swap-chequebook/libp2p";
  readonly protocol: string;
  readonly stats: SwapTransportStats = { framesIn: 0, framesOut: 0, undeliverable: 0, oversized: 0, refusedCoolingDown: 0, refusedLimited: 0, carrierChanges: 0 };
  readonly #c: SwapServiceComponents;
  readonly #init: SwapServiceInit;
  readonly #now: () => number;
  readonly #maxFrame: number;
  readonly #allowLimited: boolean;
  readonly #cooldowns: CooldownTable;
  /** Bad frames per peer, across its connections, and the peers cooling down for them. */
  readonly #abuse: AbuseCounter;
  readonly #links = new Map<string, Link>();
  /** Per peer, the tail of its connect/disconnected calls, so they reach the engine in order. */
  readonly #order = new Map<string, Promise<void>>();
  readonly #tasks = new Set<Promise<unknown>>();
  #engine: SwapAccounting | undefined;
  #log: SwapLogger = () => undefined;
  #running = false;

  constructor(components: SwapServiceComponents, init: SwapServiceInit) {
    this.#c = components;
    this.#init = init;
    this.protocol = init.protocol ?? SWAP_PROTOCOL;
    this.#now = init.now ?? Date.now;
    this.#maxFrame = init.maxFrameBytes ?? 4096;
    this.#allowLimited = init.runOnLimitedConnection ?? false;
    this.#cooldowns = new CooldownTable({ now: this.#now });
    this.#abuse = new AbuseCounter(this.#now);
  }

  /** The accounting engine. @throws Error if the service is not started. */
  get accounting(): SwapAccounting {
    if (this.#engine === undefined) throw new Error("the SWAP service is not started");
    return this.#engine;
  }

  /**
   * Resolves once `peer` is connected and its SWAP handshake was accepted: the engine's `ready`, after the service
   * has registered the connection.
   *
   * @throws ChequeError NOT_CONNECTED (no connection, or it closed; `details.reason` "limited_connection" if the
   *   peer is reachable through a relay only and SWAP waits for a direct connection), PEER_REFUSED,
   *   PEER_COOLING_DOWN, TIMEOUT.
   */
  async ready(peer: PeerId, options: { timeoutMs?: number } = {}): Promise<void> {
    const link = this.#links.get(peer.toString());
    if (link === undefined && this.#c.connectionManager.getConnections(peer).some((c) => carriesSwap(c, true))) {
      throw new ChequeError("NOT_CONNECTED", `${peer.toString()} is reachable through a relay only: SWAP waits for a direct connection (or set runOnLimitedConnection)`, {
        details: { peer: peer.toString(), reason: "limited_connection" },
      });
    }
    if (link === undefined) throw new ChequeError("NOT_CONNECTED", `${peer.toString()} is not connected`, { details: { peer: peer.toString() } });
    await link.connected;
    if (this.coolingDown(peer)) {
      throw new ChequeError("PEER_COOLING_DOWN", `${peer.toString()} is cooling down`, { details: { peer: peer.toString() } });
    }
    await this.accounting.ready(peer.toString(), options);
  }

  /** Whether `peer` is cooling down (the connection gater asks). */
  coolingDown(peer: PeerId): boolean {
    return this.#cooldowns.has(peer.toString()) || this.#abuse.coolingDown(peer.toString());
  }

  /** Open SWAP streams (inbound and outbound), all or to one peer, for tests and dashboards. */
  openStreams(peer?: PeerId): Stream[] {
    const out: Stream[] = [];
    for (const l of this.#links.values()) {
      if (peer !== undefined && !l.id.equals(peer)) continue;
      out.push(...l.inbound);
      if (l.outbox.stream !== undefined) out.push(l.outbox.stream);
    }
    return out.filter((s) => s.status === "open");
  }

  async start(): Promise<void> {
    const a = this.#init.accounting;
    this.#log = a.logger ?? (() => undefined);
    this.#engine = await SwapAccounting.open({
      ...a,
      hooks: {
        send: (peer, bytes) => this.#send(peer, bytes),
        disconnect: (peer, reason) => this.#hangUp(peer, reason),
        now: this.#now,
      },
    });
    for (const p of this.#engine.peers()) this.#cooldowns.set(p.peer, p.cooldownUntil);
    await this.#c.registrar.handle(this.protocol, (stream, connection) => this.#onStream(stream, connection), {
      maxInboundStreams: this.#init.maxInboundStreams ?? 2,
      maxOutboundStreams: 2,
      runOnLimitedConnection: this.#allowLimited,
    });
    this.#c.events.addEventListener("connection:open", this.#onConnectionOpen);
    this.#c.events.addEventListener("connection:close", this.#onConnectionClose);
    this.#c.events.addEventListener("peer:disconnect", this.#onDisconnect);
    this.#running = true;
    // Peers connected before we started.
    for (const conn of this.#c.connectionManager.getConnections()) if (carriesSwap(conn, this.#allowLimited)) this.#sync(conn.remotePeer);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#c.events.removeEventListener("connection:open", this.#onConnectionOpen);
    this.#c.events.removeEventListener("connection:close", this.#onConnectionClose);
    this.#c.events.removeEventListener("peer:disconnect", this.#onDisconnect);
    await this.#c.registrar.unhandle(this.protocol).catch(() => undefined);
    for (const peer of [...this.#links.keys()]) this.#unlink(peer);
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    const engine = this.#engine;
    if (engine !== undefined && paidRequestsInFlight(engine) > 0) {
      // Requests served through paidStreamHandler book on this engine: book them before the ledger closes.
      this.#log({ level: "info", event: "swap_stop_waiting", paidRequests: paidRequestsInFlight(engine) });
      await paidRequestsSettled(engine);
    }
    await this.#engine?.close();
    this.#engine = undefined;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#tasks.add(work);
    void work.then(
      () => this.#tasks.delete(work),
      () => this.#tasks.delete(work),
    );
    return work;
  }

  /** Runs `step` after every earlier connect/disconnected of `peer`. */
  #inOrder(peer: string, step: () => Promise<void>): Promise<void> {
    const run = (this.#order.get(peer) ?? Promise.resolve()).then(step);
    const tail = run.catch(() => undefined);
    this.#order.set(peer, tail);
    void tail.then(() => {
      if (this.#order.get(peer) === tail) this.#order.delete(peer);
    });
    return this.#track(tail);
  }

  /**
   * A peer's first connection SWAP may use links it; a direct one beside a relayed carrier replaces it. A relayed
   * one SWAP may not use is logged: the peer is no SWAP peer until a direct connection opens.
   */
  readonly #onConnectionOpen = (event: CustomEvent<Connection>): void => {
    const c = event.detail;
    if (carriesSwap(c, this.#allowLimited)) {
      this.#sync(c.remotePeer);
    } else if (c.status === "open" && !this.#links.has(c.remotePeer.toString())) {
      this.#log({ level: "info", event: "swap_waiting_for_direct", peer: c.remotePeer.toString(), reason: "limited_connection" });
    }
  };

  /** The carrier closed: the link moves to another connection, or, with none left SWAP may use, is disconnected. */
  readonly #onConnectionClose = (event: CustomEvent<Connection>): void => {
    this.#sync(event.detail.remotePeer);
  };

  /**
   * Puts `id`'s link on the connection SWAP should use: links it, keeps its carrier, moves it (when the carrier
   * closed, or is limited and an unlimited connection opened) or unlinks it (no connection left). `arrived`: a
   * connection a stream came on, which libp2p may hand over before it lists the connection.
   */
  #sync(id: PeerId, arrived?: Connection): Link | undefined {
    const peer = id.toString();
    const connections = this.#c.connectionManager.getConnections(id);
    if (arrived !== undefined && !connections.includes(arrived)) connections.push(arrived);
    const best = swapConnection(connections, this.#allowLimited);
    const link = this.#links.get(peer);
    if (best === undefined) {
      this.#unlink(peer);
      return undefined;
    }
    if (link === undefined) return this.#link(id, best);
    if (link.carrier === best || (carriesSwap(link.carrier, this.#allowLimited) && (isLimited(best) || !isLimited(link.carrier)))) return link;
    this.stats.carrierChanges++;
    this.#log({ level: "info", event: "swap_carrier_changed", peer, from: isLimited(link.carrier) ? "limited" : "direct", to: isLimited(best) ? "limited" : "direct", closed: link.carrier.status !== "open" });
    this.#unlink(peer);
    return this.#link(id, best);
  }

  readonly #onDisconnect = (event: CustomEvent<PeerId>): void => {
    this.#unlink(event.detail.toString());
  };

  #link(id: PeerId, carrier: Connection): Link {
    const peer = id.toString();
    const outbox = new Outbox({
      peer,
      protocol: this.protocol,
      maxFrameBytes: this.#maxFrame,
      sendTimeoutMs: this.#init.sendTimeoutMs ?? 10_000,
      maxQueued: this.#init.maxQueuedFrames ?? 32,
      runOnLimitedConnection: this.#allowLimited,
      connection: () => (link.carrier.status === "open" ? link.carrier : undefined),
      onUndeliverable: (reason, error) => {
        this.stats.undeliverable++;
        this.#log({ level: "warn", event: "swap_frame_undeliverable", peer, reason, error: String(error ?? "").slice(0, 200) });
      },
    });
    const link: Link = { id, carrier, outbox, inbound: new Set(), connected: Promise.resolve(), handling: Promise.resolve() };
    this.#links.set(peer, link);
    link.connected = this.#inOrder(peer, async () => {
      const engine = this.#engine;
      if (engine === undefined || this.#links.get(peer) !== link) return;
      if (this.#abuse.coolingDown(peer)) {
        // Cooling down for bad frames the engine did not hold against it: refused without the gater too.
        this.stats.refusedCoolingDown++;
        this.#log({ level: "info", event: "swap_connect_refused", peer, reason: "bad_frames" });
        await this.#closeConnections(link.id);
        return;
      }
      try {
        await engine.connect(peer);
      } catch (error) {
        if (isChequeError(error, "PEER_COOLING_DOWN")) {
          this.stats.refusedCoolingDown++;
          this.#cooldowns.set(peer, Number(error.details["cooldownUntil"] ?? 0));
          await this.#closeConnections(link.id);
        } else {
          this.#log({ level: "warn", event: "swap_connect_failed", peer, error: String(error).slice(0, 200) });
        }
      }
    });
    return link;
  }

  #unlink(peer: string): void {
    const link = this.#links.get(peer);
    if (link === undefined) return;
    this.#links.delete(peer);
    for (const s of link.inbound) s.abort(new Error("SWAP link closed"));
    link.inbound.clear();
    void this.#track(link.outbox.close());
    void this.#inOrder(peer, async () => {
      this.#engine?.disconnected(peer);
    });
  }

  async #send(peer: string, bytes: Uint8Array): Promise<void> {
    const link = this.#links.get(peer);
    if (link === undefined || !this.#running) throw new Error(`no libp2p connection to ${peer}`);
    await link.outbox.send(bytes);
    this.stats.framesOut++;
  }

  /** The engine's disconnect hook: remember a cool-down for the gater, close every connection to the peer. */
  async #hangUp(peer: string, reason: string): Promise<void> {
    const until = this.#engine?.peers().find((p) => p.peer === peer)?.cooldownUntil ?? 0;
    this.#cooldowns.set(peer, until);
    const link = this.#links.get(peer);
    this.#log({ level: "info", event: "swap_hang_up", peer, reason });
    if (link !== undefined) await this.#closeConnections(link.id);
  }

  /** Closes every connection to `id` (limited ones too); one that does not close gracefully in time is aborted. */
  #closeConnections(id: PeerId): Promise<void> {
    return this.#track(closeAll(this.#c.connectionManager.getConnections(id), this.#init.sendTimeoutMs ?? 10_000));
  }

  /**
   * Counts a bad frame against `peer`, across its connections: at the engine's `maxRefusals` within its `cooldownMs`
   * the peer cools down for `cooldownMs`, however it spread them over connections.
   */
  #countAbuse(peer: string, engine: SwapAccounting, reason: "oversized_frames" | "malformed_frames"): void {
    if (this.#cooldowns.has(peer)) {
      this.#abuse.forget(peer); // the engine cooled it down already (and refuses it at `connect`)
      return;
    }
    const count = this.#abuse.count(peer, { maxRefusals: engine.config.maxRefusals, windowMs: engine.config.cooldownMs });
    if (count !== undefined) this.#log({ level: "warn", event: "swap_too_many_bad_frames", peer, reason, count });
  }

  #onStream(stream: Stream, connection: Connection): void {
    if (!this.#running || this.#engine === undefined) {
      stream.abort(new Error("SWAP service not running"));
      return;
    }
    if (isLimited(connection) && !this.#allowLimited) {
      // libp2p refuses SWAP streams on limited connections (no runOnLimitedConnection); this one got through anyway.
      this.stats.refusedLimited++;
      stream.abort(new Error("SWAP does not run on a limited (relayed) connection"));
      return;
    }
    if (connection.status !== "open" || stream.status !== "open") {
      // libp2p hands a stream over after a peer-store write: its connection may be gone, and its peer's disconnect
      // handled, by then. Linking now would hold the peer connected with no disconnect ever to come.
      stream.abort(new Error("SWAP stream arrived after its connection closed"));
      return;
    }
    const peer = connection.remotePeer.toString();
    const link = this.#sync(connection.remotePeer, connection);
    if (link === undefined) {
      stream.abort(new Error("no connection SWAP may use"));
      return;
    }
    if (isLimited(connection) && !isLimited(link.carrier)) {
      // Written over the relay before the peer moved to the direct connection: the session it belongs to is over
      // (its payment, if any, is sent again after the new handshake).
      this.stats.refusedLimited++;
      stream.abort(new Error("SWAP runs on a direct connection to this peer now"));
      return;
    }
    // One reader per peer: a newer stream replaces the older one.
    for (const old of link.inbound) old.abort(new Error("replaced by a newer SWAP stream"));
    link.inbound.clear();
    link.inbound.add(stream);
    const engine = this.#engine;
    void this.#track(
      readFrames({
        stream,
        maxFrameBytes: this.#maxFrame,
        ready: link.connected,
        onFrame: (frame) => {
          this.stats.framesIn++;
          const run = link.handling.then(async () => {
            if (this.#links.get(peer) !== link) return;
            try {
              await engine.handle(peer, frame);
            } catch (error) {
              // MALFORMED_WIRE, PEER_REFUSED, NOT_CONNECTED: the engine counted, logged and disconnected as needed.
              if (isChequeError(error, "MALFORMED_WIRE")) this.#countAbuse(peer, engine, "malformed_frames");
              if (!isChequeError(error)) this.#log({ level: "warn", event: "swap_handle_failed", peer, error: String(error).slice(0, 200) });
            }
          });
          link.handling = run;
          return run;
        },
        onOversized: async (length) => {
          this.stats.oversized++;
          this.#log({ level: "warn", event: "swap_frame_too_large", peer, length, max: this.#maxFrame });
          this.#countAbuse(peer, engine, "oversized_frames");
          await this.#closeConnections(connection.remotePeer);
        },
      }).finally(() => link.inbound.delete(stream)),
    );
  }
}

/**
 * The libp2p service factory.
 *
 * @example
 * const node = await createLibp2p({
 *   transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   connectionGater: swapConnectionGater(() => node.services.swap),
 *   services: { swap: swapService({ accounting: { config: { phase: "mock" }, ledger: new MemoryLedgerStore() } }) },
 * })
 * await node.services.swap.accounting.ready(peerId.toString())
 */
export function swapService(init: SwapServiceInit): (components: SwapServiceComponents) => SwapService {
  return (components) => new SwapService(components, init);
}
