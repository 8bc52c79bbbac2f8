/**
 * SWAP accounting for a node: per-peer (and per-protocol) balances of service given and taken, the two
 * thresholds on each side, and the tit-for-tat policy that pays a peer before we owe it past its payment threshold
 * and stops serving a peer that owes us past our disconnect threshold. Transport-agnostic: the host passes in
 * received bytes and implements three hooks (send, disconnect, clock).
 *
 * Phases: "soft" only keeps accounts and reports (logs, metrics); "mock" sends unsigned promises and disconnects;
 * "hard" pays with signed cheques through the SDK and verifies, stores and credits the cheques it receives.
 */
import { ChequeError, isChequeError } from "../errors.js";
import type { ChequebookIssuer } from "../issuer/issuer.js";
import type { ChequeReceiver } from "../beneficiary/receiver.js";
import type { ChequeStore } from "../store/types.js";
import type { ChequeVerifier } from "../beneficiary/verify.js";
import { emptyLedger, type LedgerStore, type PeerLedger } from "./ledger.js";
import { SwapMetrics, type SwapLogger } from "./metrics.js";
import { decodeSwapMessage, encodeSwapMessage, type SwapAck, type SwapCheque, type SwapHandshake, type SwapPhase } from "./wire.js";

/** Terms and policy. Amounts are accounting units unless said otherwise. */
export interface SwapConfig {
  phase: SwapPhase;
  /** Announced to peers: past this, a peer is expected to pay us. Default 100. */
  paymentThreshold: bigint;
  /** Past this we stop serving a peer and disconnect it; must exceed the payment threshold. Default 150. */
  disconnectThreshold: bigint;
  /** Refuse peers announcing a lower payment threshold (they would make us pay constantly). Default 10. */
  minPeerPaymentThreshold: bigint;
  /** Pay once our debt reaches this percentage of the peer's payment threshold. Default 50. */
  earlyPaymentPercent: number;
  /** Units per message for protocols without a price of their own. Default 1. */
  defaultPrice: bigint;
  /** Units per message, per protocol. */
  prices: Record<string, bigint>;
  /** Hard phase: token base units per accounting unit. Default 1. */
  tokenPerUnit: bigint;
  /** How long a peer disconnected for debt may not reconnect (ms). Default 10 minutes. */
  cooldownMs: number;
  /** Wait this long for a payment's acknowledgement before sending it again (ms). Default 30 s. */
  paymentTimeoutMs: number;
}

export const DEFAULT_SWAP_CONFIG: Omit<SwapConfig, "phase"> = {
  paymentThreshold: 100n,
  disconnectThreshold: 150n,
  minPeerPaymentThreshold: 10n,
  earlyPaymentPercent: 50,
  defaultPrice: 1n,
  prices: {},
  tokenPerUnit: 1n,
  cooldownMs: 600_000,
  paymentTimeoutMs: 30_000,
};

/** What the host implements. */
export interface SwapHooks {
  /** Delivers SWAP bytes to a peer. */
  send(peer: string, bytes: Uint8Array): Promise<void> | void;
  /** Closes the connection to a peer. */
  disconnect(peer: string, reason: string): Promise<void> | void;
  /** Unix milliseconds; `Date.now` by default. */
  now?(): number;
}

/** What the hard phase pays and gets paid with. */
export interface HardPhaseOptions {
  /** Our chequebook, to pay peers. */
  issuer: ChequebookIssuer;
  /** Verifies and stores the cheques peers send us. */
  receiver: ChequeReceiver;
  verifier: ChequeVerifier;
  /** The cheque store both use. */
  store: ChequeStore;
  token: string;
}

/** Options of {@link SwapAccounting.open}. */
export interface SwapOptions {
  config: Partial<SwapConfig> & { phase: SwapPhase };
  hooks: SwapHooks;
  ledger: LedgerStore;
  hard?: HardPhaseOptions;
  metrics?: SwapMetrics;
  logger?: SwapLogger;
}

/** Units set aside for a request; apply them once it is served, or release them. */
export interface Reservation {
  readonly peer: string;
  readonly units: bigint;
  /** Books the units; durable when it resolves. */
  apply(): Promise<void>;
  /** Gives the units back, when the request was not served. */
  release(): void;
}

/** A peer's standing, for tables and dashboards. */
export interface PeerSummary {
  peer: string;
  connected: boolean;
  balance: bigint;
  byProtocol: Record<string, bigint>;
  reserved: bigint;
  peerPaymentThreshold?: bigint;
  paymentInFlight?: bigint;
  cooldownUntil: number;
}

interface PeerState extends PeerLedger {
  connected: boolean;
  handshaken: boolean;
  reservedProvide: bigint;
  reservedConsume: bigint;
  pastPayment: boolean;
  pastDisconnect: boolean;
  weOwePast: boolean;
  ackWaiters: Array<() => void>;
  paying?: Promise<void> | undefined;
}

const MAX_UINT32 = 0xffffffffn;

function persistable(s: PeerState): PeerLedger {
  const l: PeerLedger = {
    peer: s.peer, balance: s.balance, byProtocol: { ...s.byProtocol }, cooldownUntil: s.cooldownUntil,
    paidCumulative: s.paidCumulative, creditedCumulative: s.creditedCumulative, tokenRemainder: s.tokenRemainder,
  };
  if (s.peerPaymentThreshold !== undefined) l.peerPaymentThreshold = s.peerPaymentThreshold;
  if (s.peerBeneficiary !== undefined) l.peerBeneficiary = s.peerBeneficiary;
  if (s.peerChequebook !== undefined) l.peerChequebook = s.peerChequebook;
  if (s.inflight !== undefined) l.inflight = { ...s.inflight };
  if (s.lastPaymentDate !== undefined) l.lastPaymentDate = s.lastPaymentDate;
  if (s.lastMockReceived !== undefined) l.lastMockReceived = { ...s.lastMockReceived };
  return l;
}

/**
 * The accounting engine of one node.
 *
 * @example
 * const swap = await SwapAccounting.open({ config: { phase: "mock" }, hooks: { send, disconnect }, ledger })
 * await swap.connect(peer)                                  // sends our handshake
 * transport.on("swap", (peer, bytes) => swap.handle(peer, bytes))
 * const r = await swap.reserveProvide(peer, "store", 20)    // before serving 20 messages
 * ...serve...; await r.apply()
 */
export class SwapAccounting {
  readonly config: SwapConfig;
  readonly metrics: SwapMetrics;
  readonly #hooks: SwapHooks;
  readonly #ledger: LedgerStore;
  readonly #hard: HardPhaseOptions | undefined;
  readonly #log: SwapLogger;
  readonly #peers = new Map<string, PeerState>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #dirty = new Map<string, PeerState>();
  #flush: Promise<void> | undefined;

  private constructor(options: SwapOptions) {
    this.config = { ...DEFAULT_SWAP_CONFIG, ...options.config };
    const c = this.config;
    if (c.disconnectThreshold <= c.paymentThreshold) throw new ChequeError("INVALID_ARGUMENT", "the disconnect threshold must exceed the payment threshold");
    if (c.paymentThreshold <= 0n || c.minPeerPaymentThreshold <= 0n) throw new ChequeError("INVALID_ARGUMENT", "thresholds must be positive");
    if (!(c.earlyPaymentPercent > 0 && c.earlyPaymentPercent <= 100)) throw new ChequeError("INVALID_ARGUMENT", "earlyPaymentPercent must be in (0, 100]");
    if (c.tokenPerUnit <= 0n) throw new ChequeError("INVALID_ARGUMENT", "tokenPerUnit must be positive");
    if (c.phase === "hard" && options.hard === undefined) throw new ChequeError("INVALID_ARGUMENT", "the hard phase needs an issuer, a receiver, a verifier and a store");
    this.#hooks = options.hooks;
    this.#ledger = options.ledger;
    this.#hard = options.hard;
    this.#log = options.logger ?? (() => undefined);
    this.metrics = options.metrics ?? new SwapMetrics();
    const peers = this.#peers;
    this.metrics.trackBalances(function* () {
      for (const s of peers.values()) yield [s.peer, s.balance];
    });
    this.metrics.thresholds.set({ kind: "payment" }, Number(c.paymentThreshold));
    this.metrics.thresholds.set({ kind: "disconnect" }, Number(c.disconnectThreshold));
  }

  /**
   * Opens the engine on its ledger. In the hard phase it also reconciles the ledger with the cheque store, so a
   * crash between storing a cheque and booking it loses nothing: a cheque stored but not credited is credited,
   * and a cheque issued but never acknowledged is sent again after the next handshake.
   *
   * @throws ChequeError INVALID_ARGUMENT for inconsistent terms; STORE_FAILURE.
   */
  static async open(options: SwapOptions): Promise<SwapAccounting> {
    const engine = new SwapAccounting(options);
    for (const l of await options.ledger.loadAll()) engine.#peers.set(l.peer, engine.#runtime(l));
    if (engine.#hard !== undefined) await engine.#reconcile();
    return engine;
  }

  get phase(): SwapPhase {
    return this.config.phase;
  }

  #now(): number {
    return this.#hooks.now?.() ?? Date.now();
  }

  #runtime(l: PeerLedger): PeerState {
    return {
      ...l, connected: false, handshaken: false, reservedProvide: 0n, reservedConsume: 0n,
      pastPayment: false, pastDisconnect: false, weOwePast: false, ackWaiters: [],
    };
  }

  #state(peer: string): PeerState {
    let s = this.#peers.get(peer);
    if (s === undefined) {
      s = this.#runtime(emptyLedger(peer));
      this.#peers.set(peer, s);
    }
    return s;
  }

  /**
   * Writes `s` through to the ledger. Changes made in the same turn of the event loop are written together (one
   * commit); the promise resolves once the write containing this change is durable.
   */
  #save(s: PeerState): Promise<void> {
    this.#dirty.set(s.peer, s);
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const batch = [...this.#dirty.values()].map(persistable);
      this.#dirty.clear();
      this.#flush = undefined;
      if (this.#ledger.saveMany !== undefined) await this.#ledger.saveMany(batch);
      else await Promise.all(batch.map((l) => this.#ledger.save(l)));
    });
    return this.#flush;
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
    while (this.#pending.size > 0 || this.#flush !== undefined) {
      await Promise.allSettled([...this.#pending]);
      if (this.#flush !== undefined) await this.#flush.catch(() => undefined);
    }
  }

  async #send(peer: string, message: Parameters<typeof encodeSwapMessage>[0]): Promise<void> {
    try {
      await this.#hooks.send(peer, encodeSwapMessage(message));
    } catch (error) {
      this.#log({ level: "warn", event: "send_failed", peer, message: message.type, error: String(error) });
    }
  }

  // ----- connections -----

  /**
   * Registers a connection to `peer` (inbound or outbound) and sends our handshake.
   *
   * @throws ChequeError PEER_COOLING_DOWN if the peer was disconnected for debt and its cool-down has not ended:
   *   refuse the connection.
   */
  async connect(peer: string): Promise<void> {
    const s = this.#state(peer);
    const now = this.#now();
    if (s.cooldownUntil > now) {
      this.#log({ level: "info", event: "reconnect_refused", peer, cooldownUntil: s.cooldownUntil, balance: s.balance });
      throw new ChequeError("PEER_COOLING_DOWN", `${peer} was disconnected for debt; it may reconnect after ${new Date(s.cooldownUntil).toISOString()}`, {
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

  /** Tells the engine the connection to `peer` is gone. Its balance stays: reconnecting forgives nothing. */
  disconnected(peer: string): void {
    const s = this.#peers.get(peer);
    if (s === undefined) return;
    s.connected = false;
    s.handshaken = false;
  }

  async #disconnect(s: PeerState, reason: string, cooldown: boolean): Promise<void> {
    s.connected = false;
    s.handshaken = false;
    if (cooldown) s.cooldownUntil = this.#now() + this.config.cooldownMs;
    await this.#save(s);
    this.metrics.disconnects.inc({ reason });
    this.#log({ level: "warn", event: "disconnected", peer: s.peer, reason, balance: s.balance, cooldownUntil: s.cooldownUntil });
    try {
      await this.#hooks.disconnect(s.peer, reason);
    } catch (error) {
      this.#log({ level: "warn", event: "disconnect_hook_failed", peer: s.peer, error: String(error) });
    }
  }

  // ----- incoming SWAP messages -----

  /**
   * Handles SWAP bytes from `peer`.
   *
   * @throws ChequeError MALFORMED_WIRE for bytes that are not a SWAP message; NOT_CONNECTED if `connect` was not
   *   called for the peer; PEER_REFUSED if its handshake is unacceptable (it was disconnected).
   */
  async handle(peer: string, bytes: Uint8Array): Promise<void> {
    const s = this.#peers.get(peer);
    if (s === undefined || !s.connected) throw new ChequeError("NOT_CONNECTED", `${peer} is not connected: call connect() first`, { details: { peer } });
    let message;
    try {
      message = decodeSwapMessage(bytes);
    } catch (error) {
      this.metrics.chequesRejected.inc({ reason: "MALFORMED_WIRE" });
      this.#log({ level: "warn", event: "malformed_message", peer, error: (error as Error).message });
      throw error;
    }
    if (message.type === "handshake") return this.#onHandshake(s, message);
    if (message.type === "cheque") return this.#onCheque(s, message);
    return this.#onAck(s, message);
  }

  async #refuse(s: PeerState, reason: string, message: string): Promise<never> {
    await this.#disconnect(s, reason, false);
    throw new ChequeError("PEER_REFUSED", message, { details: { peer: s.peer, reason } });
  }

  async #onHandshake(s: PeerState, h: SwapHandshake): Promise<void> {
    if (this.phase !== "soft") {
      if (h.phase !== this.phase) return this.#refuse(s, "phase_mismatch", `${s.peer} runs the ${h.phase} phase, we run ${this.phase}`);
      if (h.paymentThreshold < this.config.minPeerPaymentThreshold) {
        return this.#refuse(s, "threshold_too_low", `${s.peer} announced a payment threshold of ${h.paymentThreshold}, below our minimum ${this.config.minPeerPaymentThreshold}`);
      }
    }
    if (this.phase === "hard") {
      const hard = this.#hard!;
      if (h.beneficiary === undefined || h.chequebook === undefined) return this.#refuse(s, "no_chequebook", `${s.peer} announced no beneficiary or chequebook`);
      if (h.chainId !== hard.verifier.chainId) return this.#refuse(s, "wrong_chain", `${s.peer} is on chain ${h.chainId}, we are on ${hard.verifier.chainId}`);
      if (h.token?.toLowerCase() !== hard.token.toLowerCase()) return this.#refuse(s, "wrong_token", `${s.peer} pays in ${h.token}, we accept ${hard.token}`);
      try {
        await hard.verifier.chequebookInfo(h.chequebook);
      } catch (error) {
        if (!isChequeError(error) || error.code === "RPC_UNAVAILABLE") throw error;
        return this.#refuse(s, error.code.toLowerCase(), `${s.peer}'s chequebook ${h.chequebook}: ${error.message}`);
      }
      s.peerBeneficiary = h.beneficiary;
      s.peerChequebook = h.chequebook;
    }
    s.peerPaymentThreshold = h.paymentThreshold;
    s.handshaken = true;
    this.metrics.peerPaymentThreshold.set({ peer: s.peer }, Number(h.paymentThreshold));
    await this.#save(s);
    this.#log({ level: "info", event: "handshake", peer: s.peer, paymentThreshold: h.paymentThreshold, phase: h.phase });
    // A payment sent before a restart or a reconnect and never acknowledged: send it again.
    if (s.inflight !== undefined && this.phase !== "soft") void this.#track(this.#resend(s));
  }

  async #onCheque(s: PeerState, c: SwapCheque): Promise<void> {
    if (this.phase === "soft") {
      this.#log({ level: "info", event: "cheque_ignored", peer: s.peer, reason: "soft phase", amount: c.amount });
      return;
    }
    if (this.phase === "mock") {
      if (c.signed !== undefined) return this.#reject(s, c, "MALFORMED_CHEQUE", "a signed cheque in the mock phase");
      if (s.lastMockReceived?.date === c.date && s.lastMockReceived.amount === c.amount) {
        // A re-send of the payment credited last (its answer was lost): answer again, credit nothing.
        this.#log({ level: "info", event: "duplicate_cheque_acknowledged", peer: s.peer, kind: "mock", date: c.date });
        await this.#send(s.peer, { type: "ack", accepted: true, amount: 0, date: c.date });
        return;
      }
      s.lastMockReceived = { date: c.date, amount: c.amount };
      const credited = await this.#credit(s, BigInt(c.amount));
      this.metrics.chequesReceived.inc({ kind: "mock" });
      this.#log({ level: "info", event: "cheque_received", peer: s.peer, kind: "mock", amount: c.amount, credited, balance: s.balance });
      await this.#send(s.peer, { type: "ack", accepted: true, amount: Number(credited > MAX_UINT32 ? MAX_UINT32 : credited), date: c.date });
      return;
    }
    // hard
    const hard = this.#hard!;
    if (c.signed === undefined) return this.#reject(s, c, "MALFORMED_CHEQUE", "an unsigned cheque in the hard phase");
    if (s.peerChequebook === undefined || c.signed.chequebook !== s.peerChequebook) {
      return this.#reject(s, c, "UNKNOWN_CHEQUEBOOK", `drawn on ${c.signed.chequebook}, not on the chequebook the peer announced`);
    }
    const held = await hard.store.getReceived(c.signed.chequebook, hard.verifier.beneficiary);
    if (held !== undefined && held.cheque.cumulativePayout === c.signed.cumulativePayout && held.cheque.signature === c.signed.signature && s.creditedCumulative >= c.signed.cumulativePayout) {
      // A re-send of the cheque credited last (its answer was lost): answer again, credit nothing.
      this.#log({ level: "info", event: "duplicate_cheque_acknowledged", peer: s.peer, kind: "real", cumulativePayout: c.signed.cumulativePayout });
      await this.#send(s.peer, { type: "ack", accepted: true, amount: 0, cumulativePayout: c.signed.cumulativePayout });
      return;
    }
    let increment: bigint;
    try {
      const options = c.chainId === undefined ? {} : { chainId: c.chainId };
      ({ increment } = await hard.receiver.receive(c.signed, options));
    } catch (error) {
      if (!isChequeError(error) || error.code === "RPC_UNAVAILABLE" || error.code === "STORE_FAILURE") throw error;
      return this.#reject(s, c, error.code, error.message);
    }
    // The cheque is on disk now; book it.
    const tokens = increment + s.tokenRemainder;
    const units = tokens / this.config.tokenPerUnit;
    s.tokenRemainder = tokens % this.config.tokenPerUnit;
    s.creditedCumulative = c.signed.cumulativePayout;
    const credited = await this.#credit(s, units);
    this.metrics.chequesReceived.inc({ kind: "real" });
    this.#log({ level: "info", event: "cheque_received", peer: s.peer, kind: "real", cumulativePayout: c.signed.cumulativePayout, increment, credited, balance: s.balance });
    await this.#send(s.peer, { type: "ack", accepted: true, amount: Number(credited > MAX_UINT32 ? MAX_UINT32 : credited), cumulativePayout: c.signed.cumulativePayout });
  }

  async #reject(s: PeerState, c: SwapCheque, reason: string, why: string): Promise<void> {
    this.metrics.chequesRejected.inc({ reason });
    this.#log({ level: "warn", event: "cheque_rejected", peer: s.peer, reason, why, balance: s.balance });
    const ack: SwapAck = { type: "ack", accepted: false, amount: 0, reason, date: c.date };
    if (c.signed !== undefined) ack.cumulativePayout = c.signed.cumulativePayout;
    await this.#send(s.peer, ack);
  }

  /**
   * Lowers what the peer owes by `units`. Credit is capped at what the peer owes plus one payment threshold of
   * prepayment: a first cheque from a forgotten relationship cannot wipe more than that.
   */
  async #credit(s: PeerState, units: bigint): Promise<bigint> {
    const owed = s.balance > 0n ? s.balance : 0n;
    const cap = owed + this.config.paymentThreshold;
    const credited = units < cap ? units : cap;
    if (credited < units) this.#log({ level: "warn", event: "overpayment_not_credited", peer: s.peer, offered: units, credited });
    s.balance -= credited;
    if (s.balance <= this.config.paymentThreshold) s.pastPayment = false;
    if (s.balance <= this.config.disconnectThreshold) s.pastDisconnect = false;
    await this.#save(s);
    return credited;
  }

  async #onAck(s: PeerState, a: SwapAck): Promise<void> {
    const inflight = s.inflight;
    // An answer must be to the payment in flight: the same cheque (hard) or the same date (mock).
    const matches = this.phase === "hard" ? a.cumulativePayout === inflight?.cumulativePayout : a.date === inflight?.date;
    if (inflight === undefined || !matches) {
      this.#log({ level: "debug", event: "ack_ignored", peer: s.peer, accepted: a.accepted });
      return;
    }
    s.inflight = undefined;
    if (a.accepted) {
      s.balance += inflight.units;
      if (inflight.cumulativePayout !== undefined) s.paidCumulative = inflight.cumulativePayout;
      if (-s.balance <= (s.peerPaymentThreshold ?? 0n)) s.weOwePast = false;
      this.#log({ level: "info", event: "payment_accepted", peer: s.peer, units: inflight.units, balance: s.balance });
    } else {
      this.metrics.paymentsRefused.inc({ reason: a.reason ?? "unknown" });
      this.#log({ level: "warn", event: "payment_refused", peer: s.peer, units: inflight.units, reason: a.reason });
    }
    await this.#save(s);
    const waiters = s.ackWaiters.splice(0);
    for (const w of waiters) w();
  }

  // ----- serving and consuming -----

  #price(protocol: string, count: number): bigint {
    if (!Number.isSafeInteger(count) || count <= 0) throw new ChequeError("INVALID_ARGUMENT", "count must be a positive integer");
    return (this.config.prices[protocol] ?? this.config.defaultPrice) * BigInt(count);
  }

  #connected(peer: string): PeerState {
    const s = this.#peers.get(peer);
    if (s === undefined || !s.connected) throw new ChequeError("NOT_CONNECTED", `${peer} is not connected`, { details: { peer } });
    return s;
  }

  /**
   * Sets aside what serving `count` messages of `protocol` to `peer` costs it. Reservations count against the
   * threshold immediately, so concurrent requests cannot overshoot it.
   *
   * @throws ChequeError OUT_OF_BOUNDS (mock and hard phases) if the peer's debt would pass our disconnect
   *   threshold: the peer was disconnected and is cooling down; NOT_CONNECTED.
   */
  async reserveProvide(peer: string, protocol: string, count = 1): Promise<Reservation> {
    const s = this.#connected(peer);
    const units = this.#price(protocol, count);
    const projected = s.balance + s.reservedProvide + units;
    if (projected > this.config.disconnectThreshold) {
      if (!s.pastDisconnect) {
        s.pastDisconnect = true;
        this.metrics.outOfBounds.inc({ peer, direction: "peer_owes", level: "disconnect" });
      }
      if (this.phase !== "soft") {
        this.#log({ level: "warn", event: "out_of_bounds", peer, direction: "peer_owes", level_: "disconnect", projected, threshold: this.config.disconnectThreshold });
        await this.#disconnect(s, "debt_past_disconnect_threshold", true);
        throw new ChequeError("OUT_OF_BOUNDS", `${peer} would owe ${projected}, past our disconnect threshold ${this.config.disconnectThreshold}: disconnected`, {
          details: { peer, projected, threshold: this.config.disconnectThreshold },
        });
      }
      this.#log({ level: "warn", event: "out_of_bounds", peer, direction: "peer_owes", level_: "disconnect", projected, threshold: this.config.disconnectThreshold, action: "none (soft phase)" });
    } else if (projected > this.config.paymentThreshold && !s.pastPayment) {
      s.pastPayment = true;
      this.metrics.outOfBounds.inc({ peer, direction: "peer_owes", level: "payment" });
      this.#log({ level: "info", event: "out_of_bounds", peer, direction: "peer_owes", level_: "payment", projected, threshold: this.config.paymentThreshold });
    }
    s.reservedProvide += units;
    return this.#reservation(s, protocol, units, +1);
  }

  /**
   * Sets aside what consuming `count` messages of `protocol` from `peer` will cost us. If that would take our debt
   * past the peer's payment threshold, it pays first (mock and hard phases) and waits for the payment to be
   * accepted.
   *
   * @throws ChequeError OVERDRAFT if our debt would still pass the peer's threshold (a payment is unanswered or was
   *   refused); NOT_CONNECTED before the peer's handshake (mock and hard phases).
   */
  async reserveConsume(peer: string, protocol: string, count = 1): Promise<Reservation> {
    const s = this.#connected(peer);
    if (this.phase !== "soft" && !s.handshaken) throw new ChequeError("NOT_CONNECTED", `no handshake from ${peer} yet`, { details: { peer } });
    const units = this.#price(protocol, count);
    const threshold = s.peerPaymentThreshold ?? this.config.paymentThreshold;
    for (let attempt = 0; ; attempt++) {
      const projected = -s.balance + s.reservedConsume + units;
      if (projected <= threshold || this.phase === "soft") {
        if (projected > threshold && !s.weOwePast) {
          s.weOwePast = true;
          this.metrics.outOfBounds.inc({ peer, direction: "we_owe", level: "payment" });
          this.#log({ level: "warn", event: "out_of_bounds", peer, direction: "we_owe", level_: "payment", projected, threshold, action: "none (soft phase)" });
        }
        s.reservedConsume += units;
        return this.#reservation(s, protocol, units, -1);
      }
      if (attempt >= 2 || -s.balance <= 0n) {
        throw new ChequeError("OVERDRAFT", `consuming ${units} more from ${peer} would take our debt to ${projected}, past its threshold ${threshold}, and our payment is not accepted yet`, {
          details: { peer, projected, threshold, inflight: s.inflight?.units },
        });
      }
      await this.#payAndWait(s);
    }
  }

  /**
   * Books `count` messages of `protocol` served to `peer`, after the fact (no reservation): for hosts that meter
   * as they go. The same thresholds apply as for {@link reserveProvide}; past the disconnect threshold nothing is
   * booked, the peer is disconnected and the promise rejects with OUT_OF_BOUNDS.
   *
   * @returns a promise that resolves when the booking is durable (the ledger writes bookings in batches).
   */
  provided(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#meter(peer, protocol, count, (s, units) => {
      const projected = s.balance + s.reservedProvide + units;
      // Crossing a threshold takes the full path (events, disconnect); the common case stays cheap.
      if (projected > this.config.disconnectThreshold || (projected > this.config.paymentThreshold && !s.pastPayment)) {
        return this.reserveProvide(peer, protocol, count).then((r) => r.apply());
      }
      s.balance += units;
      s.byProtocol[protocol] = (s.byProtocol[protocol] ?? 0n) + units;
      return this.#save(s);
    });
  }

  /**
   * Books `count` messages of `protocol` consumed from `peer`, after the fact, and pays if our debt calls for it.
   *
   * @returns a promise that resolves when the booking is durable.
   */
  consumed(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#meter(peer, protocol, count, (s, units) => {
      s.balance -= units;
      s.byProtocol[protocol] = (s.byProtocol[protocol] ?? 0n) - units;
      const threshold = s.peerPaymentThreshold ?? this.config.paymentThreshold;
      if (-s.balance > threshold && !s.weOwePast) {
        s.weOwePast = true;
        this.metrics.outOfBounds.inc({ peer, direction: "we_owe", level: "payment" });
        this.#log({ level: "warn", event: "out_of_bounds", peer, direction: "we_owe", level_: "payment", projected: -s.balance, threshold });
      }
      const saved = this.#save(s);
      this.#maybePayEarly(s);
      return saved;
    });
  }

  /** Runs a booking for a connected peer at the protocol's price; a bad call becomes a rejected promise. */
  #meter(peer: string, protocol: string, count: number, book: (s: PeerState, units: bigint) => Promise<void>): Promise<void> {
    let s: PeerState, units: bigint;
    try {
      s = this.#connected(peer);
      units = this.#price(protocol, count);
    } catch (error) {
      return Promise.reject(error);
    }
    return book(s, units);
  }

  #reservation(s: PeerState, protocol: string, units: bigint, sign: 1 | -1): Reservation {
    let done = false;
    const unreserve = () => {
      if (sign > 0) s.reservedProvide -= units;
      else s.reservedConsume -= units;
    };
    return {
      peer: s.peer,
      units,
      apply: async () => {
        if (done) throw new ChequeError("INVALID_ARGUMENT", "this reservation was applied or released already");
        done = true;
        unreserve();
        const delta = sign > 0 ? units : -units;
        s.balance += delta;
        s.byProtocol[protocol] = (s.byProtocol[protocol] ?? 0n) + delta;
        await this.#save(s);
        if (sign < 0) this.#maybePayEarly(s);
      },
      release: () => {
        if (done) return;
        done = true;
        unreserve();
      },
    };
  }

  // ----- paying -----

  #maybePayEarly(s: PeerState): void {
    if (this.phase === "soft" || !s.connected || !s.handshaken || s.inflight !== undefined) return;
    const debt = -s.balance;
    const threshold = s.peerPaymentThreshold ?? this.config.paymentThreshold;
    if (debt > 0n && debt * 100n >= threshold * BigInt(this.config.earlyPaymentPercent)) {
      void this.#track(this.#pay(s).catch((error: unknown) => this.#log({ level: "error", event: "payment_failed", peer: s.peer, error: String(error) })));
    }
  }

  async #payAndWait(s: PeerState): Promise<void> {
    await this.#pay(s);
    if (s.inflight === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.config.paymentTimeoutMs);
      s.ackWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Pays what we owe `s`, unless a payment is already in flight (then re-sends it if it timed out). */
  #pay(s: PeerState): Promise<void> {
    s.paying ??= this.#payNow(s).finally(() => (s.paying = undefined));
    return s.paying;
  }

  async #payNow(s: PeerState): Promise<void> {
    if (s.inflight !== undefined) {
      if (this.#now() - s.inflight.sentAt >= this.config.paymentTimeoutMs) await this.#resend(s);
      return;
    }
    const debt = -s.balance;
    if (debt <= 0n) return;
    if (this.phase === "mock") {
      const units = debt > MAX_UINT32 ? MAX_UINT32 : debt;
      const date = Math.max(Math.floor(this.#now() / 1000), (s.lastPaymentDate ?? 0) + 1);
      s.lastPaymentDate = date;
      s.inflight = { units, date, sentAt: this.#now() };
      await this.#save(s);
      await this.#send(s.peer, this.#mockCheque(s, units, date));
      this.metrics.chequesSent.inc({ kind: "mock" });
      this.#log({ level: "info", event: "cheque_sent", peer: s.peer, kind: "mock", units, balance: s.balance });
      return;
    }
    const hard = this.#hard!;
    const beneficiary = s.peerBeneficiary!;
    const t = this.config.tokenPerUnit;
    const last = await hard.issuer.lastIssued(beneficiary);
    const outstanding = (last?.cheque.cumulativePayout ?? 0n) - s.paidCumulative;
    const cheque =
      last !== undefined && outstanding >= debt * t ? last.cheque : (await hard.issuer.issueCheque(beneficiary, debt * t - (outstanding > 0n ? outstanding : 0n))).cheque;
    const units = (cheque.cumulativePayout - s.paidCumulative) / t;
    s.inflight = { units, cumulativePayout: cheque.cumulativePayout, sentAt: this.#now() };
    await this.#save(s);
    await this.#send(s.peer, this.#hardCheque(units, cheque));
    this.metrics.chequesSent.inc({ kind: "real" });
    this.#log({ level: "info", event: "cheque_sent", peer: s.peer, kind: "real", units, cumulativePayout: cheque.cumulativePayout, balance: s.balance });
  }

  async #resend(s: PeerState): Promise<void> {
    const inflight = s.inflight!;
    inflight.sentAt = this.#now();
    await this.#save(s);
    if (this.phase === "mock") {
      await this.#send(s.peer, this.#mockCheque(s, inflight.units, inflight.date ?? Math.floor(this.#now() / 1000)));
    } else {
      const last = await this.#hard!.issuer.lastIssued(s.peerBeneficiary!);
      if (last === undefined || last.cheque.cumulativePayout !== inflight.cumulativePayout) {
        this.#log({ level: "error", event: "inflight_cheque_missing", peer: s.peer, cumulativePayout: inflight.cumulativePayout });
        s.inflight = undefined;
        await this.#save(s);
        return;
      }
      await this.#send(s.peer, this.#hardCheque(inflight.units, last.cheque));
    }
    this.#log({ level: "info", event: "cheque_resent", peer: s.peer, units: inflight.units });
  }

  #mockCheque(s: PeerState, units: bigint, date: number): SwapCheque {
    const c: SwapCheque = { type: "cheque", date, amount: Number(units) };
    if (s.peerBeneficiary !== undefined) c.beneficiary = s.peerBeneficiary;
    return c;
  }

  #hardCheque(units: bigint, cheque: import("../cheque/cheque.js").SignedCheque): SwapCheque {
    return {
      type: "cheque",
      date: Math.floor(this.#now() / 1000),
      amount: Number(units > MAX_UINT32 ? MAX_UINT32 : units),
      signed: cheque,
      chainId: this.#hard!.verifier.chainId,
    };
  }

  // ----- restart -----

  async #reconcile(): Promise<void> {
    const hard = this.#hard!;
    const t = this.config.tokenPerUnit;
    for (const s of this.#peers.values()) {
      let changed = false;
      if (s.peerChequebook !== undefined) {
        const held = await hard.store.getReceived(s.peerChequebook, hard.verifier.beneficiary);
        if (held !== undefined && held.cheque.cumulativePayout > s.creditedCumulative) {
          const tokens = held.cheque.cumulativePayout - s.creditedCumulative + s.tokenRemainder;
          s.tokenRemainder = tokens % t;
          s.creditedCumulative = held.cheque.cumulativePayout;
          s.balance -= tokens / t;
          changed = true;
          this.#log({ level: "warn", event: "recovered_credit", peer: s.peer, units: tokens / t });
        }
      }
      if (s.peerBeneficiary !== undefined && s.inflight === undefined) {
        const issued = await hard.issuer.lastIssued(s.peerBeneficiary);
        if (issued !== undefined && issued.cheque.cumulativePayout > s.paidCumulative) {
          s.inflight = { units: (issued.cheque.cumulativePayout - s.paidCumulative) / t, cumulativePayout: issued.cheque.cumulativePayout, sentAt: 0 };
          changed = true;
          this.#log({ level: "warn", event: "recovered_inflight_payment", peer: s.peer, cumulativePayout: issued.cheque.cumulativePayout });
        }
      }
      if (changed) await this.#save(s);
    }
  }

  // ----- reading -----

  /** What `peer` owes us in accounting units (negative: what we owe it). */
  balance(peer: string): bigint {
    return this.#peers.get(peer)?.balance ?? 0n;
  }

  /** Every peer's standing. */
  peers(): PeerSummary[] {
    return [...this.#peers.values()].map((s) => {
      const p: PeerSummary = {
        peer: s.peer, connected: s.connected, balance: s.balance, byProtocol: { ...s.byProtocol },
        reserved: s.reservedProvide - s.reservedConsume, cooldownUntil: s.cooldownUntil,
      };
      if (s.peerPaymentThreshold !== undefined) p.peerPaymentThreshold = s.peerPaymentThreshold;
      if (s.inflight !== undefined) p.paymentInFlight = s.inflight.units;
      return p;
    });
  }

  /** Closes the ledger. */
  async close(): Promise<void> {
    await this.idle();
    while (this.#flush !== undefined) await this.#flush;
    await this.#ledger.close();
  }
}
