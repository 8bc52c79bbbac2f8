/**
 * SWAP accounting for a node: per-peer (and per-protocol) balances of service given and taken, the two
 * thresholds on each side, and the tit-for-tat policy that pays a peer before we owe it past its payment threshold
 * and stops serving a peer that owes us past our disconnect threshold. Transport-agnostic: the host passes in
 * received bytes and implements three hooks (send, disconnect, clock).
 *
 * Phases: "soft" only keeps accounts and reports (logs, metrics); "mock" sends unsigned promises and disconnects;
 * "hard" pays with signed cheques through the SDK and verifies, stores and credits the cheques it receives.
 *
 * The rules live in rooms of their own: `peers.ts` (peer state, the ledger, bindings), `config.ts` and `policy.ts`
 * (terms, thresholds, the credit cap), `handshake.ts` (terms a peer announces), `pay.ts` (payments out) and
 * `receive.ts` (payments in). This file wires them to the host: connections, messages, reservations.
 */
import { ChequeError } from "../errors.js";
import { resolveConfig, type HardPhaseOptions, type SwapConfig, type SwapHooks } from "./config.js";
import type { EngineContext } from "./context.js";
import { acceptHandshake } from "./handshake.js";
import type { LedgerStore } from "./ledger.js";
import { SwapMetrics, type SwapLogger } from "./metrics.js";
import { Payments } from "./pay.js";
import { PeerBook, type PeerState } from "./peers.js";
import { Receipts } from "./receive.js";
import { Service, type Reservation } from "./service.js";
import { summarizePeer, type PeerSummary } from "./summary.js";
import { decodeSwapMessage, encodeSwapMessage, type SwapHandshake, type SwapMessage, type SwapPhase } from "./wire.js";

export { DEFAULT_SWAP_CONFIG, type HardPhaseOptions, type SwapConfig, type SwapHooks, type SwapIssuer, type SwapReceiver, type SwapVerifier } from "./config.js";
export type { Reservation } from "./service.js";
export type { PeerSummary } from "./summary.js";
export type { Credit } from "./policy.js";
export { owedToPeer, peerReason, peerText } from "./policy.js";

/** Options of {@link SwapAccounting.open}. */
export interface SwapOptions {
  config: Partial<SwapConfig> & { phase: SwapPhase };
  hooks: SwapHooks;
  ledger: LedgerStore;
  hard?: HardPhaseOptions;
  metrics?: SwapMetrics;
  logger?: SwapLogger;
}

/**
 * The accounting engine of one node.
 *
 * @example
 * const swap = await SwapAccounting.open({ config: { phase: "mock" }, hooks: { send, disconnect }, ledger })
 * await swap.connect(peer)                                  // sends our handshake
 * transport.on("swap", (peer, bytes) => swap.handle(peer, bytes))
 * await swap.ready(peer)                                    // the peer's handshake was accepted
 * const r = await swap.reserveProvide(peer, "store", 20)    // before serving 20 messages
 * ...serve...; await r.apply()
 */
export class SwapAccounting {
  readonly config: SwapConfig;
  readonly metrics: SwapMetrics;
  readonly #hooks: SwapHooks;
  readonly #hard: HardPhaseOptions | undefined;
  readonly #log: SwapLogger;
  readonly #peers: PeerBook;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #ctx: EngineContext;
  readonly #payments: Payments;
  readonly #receipts: Receipts;
  readonly #service: Service;

  private constructor(options: SwapOptions) {
    this.config = resolveConfig(options.config, options.hard);
    this.#hooks = options.hooks;
    this.#hard = options.hard;
    this.#log = options.logger ?? (() => undefined);
    this.metrics = options.metrics ?? new SwapMetrics();
    this.#peers = new PeerBook(options.ledger);
    const peers = this.#peers;
    this.metrics.trackBalances(function* () {
      for (const s of peers.values()) yield [s.peer, s.balance];
    });
    this.metrics.thresholds.set({ kind: "payment" }, Number(this.config.paymentThreshold));
    this.metrics.thresholds.set({ kind: "disconnect" }, Number(this.config.disconnectThreshold));
    this.#ctx = {
      config: this.config, hard: this.#hard, peers: this.#peers, metrics: this.metrics, log: this.#log,
      now: () => this.#now(),
      send: (peer, message) => this.#send(peer, message),
      refused: (s, reason) => this.#refused(s, reason),
      disconnect: (s, reason, cooldown) => this.#disconnect(s, reason, cooldown),
      track: (work) => this.#track(work),
    };
    this.#payments = new Payments(this.#ctx);
    this.#receipts = new Receipts(this.#ctx);
    this.#service = new Service(this.#ctx, this.#payments);
  }

  /**
   * Opens the engine on its ledger. In the hard phase it also recovers from a crash: a cheque a peer delivered and
   * the store holds but the ledger did not book (its write-ahead record says so) is credited, through the usual
   * cap; a cheque issued but never acknowledged is sent again after the next handshake.
   *
   * @throws ChequeError INVALID_ARGUMENT for inconsistent terms; STORE_FAILURE.
   */
  static async open(options: SwapOptions): Promise<SwapAccounting> {
    const engine = new SwapAccounting(options);
    await engine.#peers.load();
    if (engine.#hard !== undefined) {
      for (const s of engine.#peers.values()) {
        const received = await engine.#receipts.recover(s);
        const paid = await engine.#payments.recover(s);
        const dropped = engine.#peers.dropEmptyBindings(s);
        if (received || paid || dropped) await engine.#peers.save(s);
      }
    }
    return engine;
  }

  get phase(): SwapPhase {
    return this.config.phase;
  }

  #now(): number {
    return this.#hooks.now?.() ?? Date.now();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    void work.then(
      () => this.#pending.delete(work),
      () => this.#pending.delete(work),
    );
    return work;
  }

  /** Resolves once every payment and message the engine started on its own has settled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0 || this.#peers.flushing !== undefined) {
      await Promise.allSettled([...this.#pending]);
      await this.#peers.flushing?.catch(() => undefined);
    }
  }

  async #send(peer: string, message: SwapMessage): Promise<boolean> {
    try {
      await this.#hooks.send(peer, encodeSwapMessage(message));
      return true;
    } catch (error) {
      this.#log({ level: "warn", event: "send_failed", peer, message: message.type, error: String(error).slice(0, 200) });
      return false;
    }
  }

  // ----- connections -----

  /**
   * Registers a connection to `peer` (inbound or outbound) and sends our handshake. Wait for {@link ready} before
   * consuming from or paying the peer.
   *
   * @throws ChequeError PEER_COOLING_DOWN if the peer was disconnected for debt or abuse and its cool-down has not
   *   ended: refuse the connection.
   */
  async connect(peer: string): Promise<void> {
    const found = this.#peers.canEvict ? this.#peers.fetch(peer) : this.#peers.state(peer);
    const s = found instanceof Promise ? await found : found;
    if (s.cooldownUntil > this.#now()) {
      this.#log({ level: "info", event: "reconnect_refused", peer, cooldownUntil: s.cooldownUntil, balance: s.balance });
      throw new ChequeError("PEER_COOLING_DOWN", `${peer} was disconnected for debt or abuse; it may reconnect after ${new Date(s.cooldownUntil).toISOString()}`, {
        details: { peer, cooldownUntil: s.cooldownUntil, balance: s.balance },
      });
    }
    s.connected = true;
    s.handshaken = false;
    const handshake: SwapHandshake = { type: "handshake", paymentThreshold: this.config.paymentThreshold, phase: this.phase };
    if (this.#hard !== undefined) {
      handshake.beneficiary = this.#hard.verifier.beneficiary;
      handshake.chequebook = this.#hard.issuer.chequebook;
      handshake.chainId = this.#hard.verifier.chainId;
      handshake.token = this.#hard.token;
    }
    this.#log({ level: "info", event: "connected", peer, balance: s.balance });
    await this.#send(peer, handshake);
  }

  /**
   * Resolves once `peer`'s handshake has been accepted on the current connection (at once if it was).
   *
   * @param options.timeoutMs - how long to wait; `handshakeTimeoutMs` by default.
   * @throws ChequeError PEER_REFUSED if its handshake was refused (it was disconnected); TIMEOUT if none came in
   *   time; NOT_CONNECTED if `connect` was not called or the connection closed meanwhile.
   * @example await swap.connect(peer); await swap.ready(peer); const c = await swap.reserveConsume(peer, "store", 10)
   */
  async ready(peer: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const s = this.#peers.get(peer) ?? (await this.#peers.loading(peer));
    if (s === undefined || !s.connected) return Promise.reject(new ChequeError("NOT_CONNECTED", `${peer} is not connected: call connect() first`, { details: { peer } }));
    if (s.handshaken) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? this.config.handshakeTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        s.readyWaiters = s.readyWaiters.filter((w) => w !== waiter);
        reject(new ChequeError("TIMEOUT", `no handshake from ${peer} within ${timeoutMs} ms`, { details: { peer, timeoutMs } }));
      }, timeoutMs);
      timer.unref?.();
      s.readyWaiters.push(waiter);
    });
  }

  #settleReady(s: PeerState, error?: Error): void {
    for (const w of s.readyWaiters.splice(0)) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  /** Tells the engine the connection to `peer` is gone. Its balance stays: reconnecting forgives nothing. */
  disconnected(peer: string): void {
    const s = this.#peers.get(peer);
    if (s === undefined) return;
    s.connected = false;
    s.handshaken = false;
    this.#peers.release(s);
    this.#settleReady(s, new ChequeError("NOT_CONNECTED", `${peer} disconnected before its handshake was accepted`, { details: { peer } }));
    // Refusals are counted in memory; write them down before the peer may leave memory (one write per connection
    // that had any, which the peer pays for with the connection).
    if (s.refusals > 0) void this.#track(this.#peers.save(s).catch(() => undefined));
    this.#maybeEvict(s);
  }

  /** Whether `s` can leave memory: disconnected, settled, and with nothing in flight. */
  #idle = (s: PeerState): boolean =>
    !s.connected && s.balance === 0n && s.prepaid === 0n && s.inflight === undefined && s.receiving === undefined &&
    s.reservedProvide === 0n && s.reservedConsume === 0n && s.paying === undefined && s.receiving$ === undefined && s.handshaking === 0 &&
    s.readyWaiters.length === 0 && s.ackWaiters.length === 0 && Object.values(s.payouts).every((p) => p.issued === p.paid);

  #maybeEvict(s: PeerState): void {
    if (!this.config.evictIdlePeers || !this.#peers.canEvict || !this.#idle(s)) return;
    void this.#track(
      this.#peers.evict(s, this.#idle).then((evicted) => {
        if (!evicted) return;
        this.metrics.forgetPeer(s.peer);
        this.#log({ level: "debug", event: "peer_evicted", peer: s.peer });
      }),
    );
  }

  async #disconnect(s: PeerState, reason: string, cooldown: boolean, error?: Error): Promise<void> {
    s.connected = false;
    s.handshaken = false;
    this.#peers.release(s);
    this.#settleReady(s, error ?? new ChequeError("NOT_CONNECTED", `${s.peer} was disconnected (${reason})`, { details: { peer: s.peer, reason } }));
    if (cooldown) s.cooldownUntil = this.#now() + this.config.cooldownMs;
    await this.#peers.save(s);
    this.metrics.disconnects.inc({ reason });
    this.#log({ level: "warn", event: "disconnected", peer: s.peer, reason, balance: s.balance, cooldownUntil: s.cooldownUntil });
    try {
      await this.#hooks.disconnect(s.peer, reason);
    } catch (error) {
      this.#log({ level: "warn", event: "disconnect_hook_failed", peer: s.peer, error: String(error).slice(0, 200) });
    }
    this.#maybeEvict(s);
  }

  /** Counts a refused message; past `maxRefusals`, the peer is disconnected and cools down. */
  async #refused(s: PeerState, reason: string): Promise<void> {
    s.refusals++;
    if (s.refusals < this.config.maxRefusals || !s.connected) return;
    s.refusals = 0;
    this.#log({ level: "warn", event: "too_many_refusals", peer: s.peer, last: reason });
    await this.#disconnect(s, "too_many_refusals", true);
  }

  // ----- incoming SWAP messages -----

  /**
   * Handles SWAP bytes from `peer`.
   *
   * @throws ChequeError MALFORMED_WIRE for bytes that are not a SWAP message; NOT_CONNECTED if `connect` was not
   *   called for the peer; PEER_REFUSED if its handshake is unacceptable (it was disconnected).
   */
  async handle(peer: string, bytes: Uint8Array): Promise<void> {
    const s = this.#peers.get(peer) ?? (await this.#peers.loading(peer));
    if (s === undefined || !s.connected) throw new ChequeError("NOT_CONNECTED", `${peer} is not connected: call connect() first`, { details: { peer } });
    let message;
    try {
      message = decodeSwapMessage(bytes);
    } catch (error) {
      this.metrics.chequesRejected.inc({ reason: "MALFORMED_WIRE" });
      this.#log({ level: "warn", event: "malformed_message", peer, error: (error as Error).message.slice(0, 200) });
      await this.#refused(s, "MALFORMED_WIRE");
      throw error;
    }
    if (message.type === "handshake") return this.#onHandshake(s, message);
    if (message.type === "cheque") return this.#receipts.onCheque(s, message);
    return this.#payments.onAck(s, message);
  }

  async #onHandshake(s: PeerState, h: SwapHandshake): Promise<void> {
    const first = !s.handshaken;
    let refusal;
    s.handshaking++;
    try {
      refusal = await acceptHandshake(this.#ctx, s, h);
    } finally {
      s.handshaking--;
    }
    if (!s.connected) {
      // The connection closed while the chain was asked: nothing to accept; the peer may leave memory now.
      this.#peers.release(s);
      this.#maybeEvict(s);
      throw new ChequeError("NOT_CONNECTED", `${s.peer} disconnected during its handshake`, { details: { peer: s.peer } });
    }
    if (refusal !== undefined) {
      const error = new ChequeError("PEER_REFUSED", refusal.message, { details: { peer: s.peer, reason: refusal.reason } });
      s.refusals++;
      const cooldown = s.refusals >= this.config.maxRefusals;
      if (cooldown) s.refusals = 0;
      await this.#disconnect(s, cooldown ? "too_many_refusals" : refusal.reason, cooldown, error);
      throw error;
    }
    s.handshaken = true;
    this.metrics.setPeerThreshold(s.peer, h.paymentThreshold);
    // A repeated handshake re-sends nothing (acceptHandshake wrote the terms if they changed).
    if (!first) return;
    this.#log({ level: "info", event: "handshake", peer: s.peer, paymentThreshold: h.paymentThreshold, phase: h.phase });
    this.#settleReady(s);
    // A payment sent before a restart or a reconnect and never acknowledged: send it again, once per connection.
    if (s.inflight !== undefined && this.phase !== "soft") void this.#track(this.#payments.resend(s));
  }

  // ----- serving and consuming (service.ts) -----

  /**
   * Sets aside what serving `count` messages of `protocol` to `peer` costs it. Reservations count against the
   * threshold immediately, so concurrent requests cannot overshoot it.
   *
   * @throws ChequeError OUT_OF_BOUNDS (mock and hard phases) if the peer's debt would pass our disconnect
   *   threshold: the peer was disconnected and is cooling down; NOT_CONNECTED.
   */
  reserveProvide(peer: string, protocol: string, count = 1): Promise<Reservation> {
    return this.#service.reserveProvide(peer, protocol, count);
  }

  /**
   * Sets aside what consuming `count` messages of `protocol` from `peer` will cost us. If that would take what we
   * owe past the peer's payment threshold, it pays first (mock and hard phases) and waits for the answer.
   *
   * @throws ChequeError OVERDRAFT if our debt would still pass the peer's threshold (a payment is unanswered or was
   *   refused); NOT_CONNECTED before the peer's handshake (mock and hard phases).
   */
  reserveConsume(peer: string, protocol: string, count = 1): Promise<Reservation> {
    return this.#service.reserveConsume(peer, protocol, count);
  }

  /**
   * Books `count` messages of `protocol` served to `peer`, after the fact (no reservation). The same thresholds
   * apply as for {@link reserveProvide}; past the disconnect threshold nothing is booked, the peer is
   * disconnected and the promise rejects with OUT_OF_BOUNDS.
   *
   * @returns a promise that resolves when the booking is durable (a durable ledger writes the bookings of one turn
   *   together; a memory ledger is written at once).
   */
  provided(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#service.provided(peer, protocol, count);
  }

  /**
   * Books `count` messages of `protocol` consumed from `peer`, after the fact, and pays if our debt calls for it.
   *
   * @returns a promise that resolves when the booking is durable.
   */
  consumed(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#service.consumed(peer, protocol, count);
  }

  // ----- reading -----

  /** What `peer` owes us in accounting units (negative: what we owe it, or what it prepaid). */
  balance(peer: string): bigint {
    return this.#peers.get(peer)?.balance ?? 0n;
  }

  /** Every peer's standing. */
  peers(): PeerSummary[] {
    return [...this.#peers.values()].map((s) => summarizePeer(s, { connected: s.connected, ready: s.handshaken, reserved: s.reservedProvide - s.reservedConsume }));
  }

  /** Closes the ledger, after writing the refusals of the peers still here (counted in memory, see `disconnected`). */
  async close(): Promise<void> {
    for (const s of this.#peers.values()) if (s.refusals > 0) void this.#track(this.#peers.save(s).catch(() => undefined));
    await this.idle();
    while (this.#peers.flushing !== undefined) await this.#peers.flushing;
    await this.#peers.close();
  }
}
