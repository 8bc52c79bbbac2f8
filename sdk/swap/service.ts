/**
 * Serving and consuming: reservations that count against the thresholds at once, and bookings after the fact.
 *
 * Rules:
 * - Serving a peer that would then owe us past our disconnect threshold is refused (OUT_OF_BOUNDS) and the peer is
 *   disconnected with a cool-down; exactly at the threshold it is still served.
 * - Consuming that would take what we owe the peer in money past its payment threshold pays first and waits for
 *   the answer; if it still would, it is refused (OVERDRAFT).
 * - Serving a peer uses up its prepayment first.
 */
import { ChequeError } from "../errors.js";
import { price } from "./config.js";
import type { EngineContext } from "./context.js";
import type { Payments } from "./pay.js";
import { WRITTEN, type PeerState } from "./peers.js";
import { bookConsumed, bookServed, owedToPeer } from "./policy.js";

/** Units set aside for a request; apply them once it is served, or release them. */
export interface Reservation {
  readonly peer: string;
  readonly units: bigint;
  /** Books the units; durable when it resolves. */
  apply(): Promise<void>;
  /** Gives the units back, when the request was not served. */
  release(): void;
}

/** Serving and consuming, for one engine (internal: the engine owns it). */
export class Service {
  readonly #ctx: EngineContext;
  readonly #payments: Payments;

  constructor(ctx: EngineContext, payments: Payments) {
    this.#ctx = ctx;
    this.#payments = payments;
  }

  #connected(peer: string): PeerState {
    const s = this.#ctx.peers.get(peer);
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
  reserveProvide(peer: string, protocol: string, count = 1): Promise<Reservation> {
    return this.#meter(peer, protocol, count, (s, units) => {
      // Within the payment threshold, or past it already reported and within the disconnect threshold: nothing to
      // do but reserve (the common case, kept free of an async step).
      const projected = s.balance + s.reservedProvide + units;
      if (projected <= this.#ctx.config.paymentThreshold || (s.pastPayment && projected <= this.#ctx.config.disconnectThreshold)) {
        s.reservedProvide += units;
        return Promise.resolve(this.#reservation(s, protocol, units, +1));
      }
      return this.#reserveProvidePast(s, peer, protocol, units);
    });
  }

  /** {@link reserveProvide} past a threshold: reported, and past the disconnect threshold refused. */
  async #reserveProvidePast(s: PeerState, peer: string, protocol: string, units: bigint): Promise<Reservation> {
    const projected = s.balance + s.reservedProvide + units;
    if (projected > this.#ctx.config.disconnectThreshold) {
      if (!s.pastDisconnect) {
        s.pastDisconnect = true;
        this.#ctx.metrics.countOutOfBounds(peer, "peer_owes", "disconnect");
      }
      if (this.#ctx.config.phase !== "soft") {
        this.#ctx.log({ level: "warn", event: "out_of_bounds", peer, direction: "peer_owes", level_: "disconnect", projected, threshold: this.#ctx.config.disconnectThreshold });
        await this.#ctx.disconnect(s, "debt_past_disconnect_threshold", true);
        throw new ChequeError("OUT_OF_BOUNDS", `${peer} would owe ${projected}, past our disconnect threshold ${this.#ctx.config.disconnectThreshold}: disconnected`, {
          details: { peer, projected, threshold: this.#ctx.config.disconnectThreshold },
        });
      }
      this.#ctx.log({ level: "warn", event: "out_of_bounds", peer, direction: "peer_owes", level_: "disconnect", projected, threshold: this.#ctx.config.disconnectThreshold, action: "none (soft phase)" });
    } else if (projected > this.#ctx.config.paymentThreshold && !s.pastPayment) {
      s.pastPayment = true;
      this.#ctx.metrics.countOutOfBounds(peer, "peer_owes", "payment");
      this.#ctx.log({ level: "info", event: "out_of_bounds", peer, direction: "peer_owes", level_: "payment", projected, threshold: this.#ctx.config.paymentThreshold });
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
  reserveConsume(peer: string, protocol: string, count = 1): Promise<Reservation> {
    return this.#meter(peer, protocol, count, (s, units) => {
      if (this.#ctx.config.phase !== "soft" && !s.handshaken) return Promise.reject(new ChequeError("NOT_CONNECTED", `no handshake from ${peer} yet`, { details: { peer } }));
      // Within the peer's threshold: nothing to do but reserve (the common case, kept free of an async step).
      if (owedToPeer(s) + s.reservedConsume + units <= (s.peerPaymentThreshold ?? this.#ctx.config.paymentThreshold)) {
        s.reservedConsume += units;
        return Promise.resolve(this.#reservation(s, protocol, units, -1));
      }
      return this.#reserveConsumePast(s, peer, protocol, units);
    });
  }

  /** {@link reserveConsume} past the peer's threshold: pays first and waits, or refuses (soft phase: reports). */
  async #reserveConsumePast(s: PeerState, peer: string, protocol: string, units: bigint): Promise<Reservation> {
    const threshold = s.peerPaymentThreshold ?? this.#ctx.config.paymentThreshold;
    for (let attempt = 0; ; attempt++) {
      const projected = owedToPeer(s) + s.reservedConsume + units;
      if (projected <= threshold || this.#ctx.config.phase === "soft") {
        if (projected > threshold && !s.weOwePast) {
          s.weOwePast = true;
          this.#ctx.metrics.countOutOfBounds(peer, "we_owe", "payment");
          this.#ctx.log({ level: "warn", event: "out_of_bounds", peer, direction: "we_owe", level_: "payment", projected, threshold, action: "none (soft phase)" });
        }
        s.reservedConsume += units;
        return this.#reservation(s, protocol, units, -1);
      }
      if (attempt >= 2 || owedToPeer(s) <= 0n) {
        throw new ChequeError("OVERDRAFT", `consuming ${units} more from ${peer} would take our debt to ${projected}, past its threshold ${threshold}, and our payment is not accepted yet`, {
          details: { peer, projected, threshold, inflight: s.inflight?.units },
        });
      }
      await this.#payments.payAndWait(s);
      // The peer may have left (and left memory) while we waited for its answer: reserve nothing on a copy of it.
      if (!s.connected || this.#ctx.peers.get(peer) !== s) throw new ChequeError("NOT_CONNECTED", `${peer} disconnected while we paid it`, { details: { peer } });
    }
  }

  /**
   * Books `count` messages of `protocol` served to `peer`, after the fact (no reservation): for hosts that meter
   * as they go. The same thresholds apply as for {@link reserveProvide}; past the disconnect threshold nothing is
   * booked, the peer is disconnected and the promise rejects with OUT_OF_BOUNDS.
   *
   * @returns a promise that resolves when the booking is durable (a durable ledger writes the bookings of one turn
   *   together; a memory ledger is written at once).
   */
  provided(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#meter(peer, protocol, count, (s, units) => {
      const projected = s.balance + s.reservedProvide + units;
      // Crossing a threshold takes the full path (events, disconnect); the common case stays cheap.
      if (projected > this.#ctx.config.disconnectThreshold || (projected > this.#ctx.config.paymentThreshold && !s.pastPayment)) {
        return this.reserveProvide(peer, protocol, count).then((r) => r.apply());
      }
      bookServed(s, protocol, units);
      return this.#ctx.peers.save(s);
    });
  }

  /**
   * Books `count` messages of `protocol` consumed from `peer`, after the fact, and pays if our debt calls for it.
   *
   * @returns a promise that resolves when the booking is durable.
   */
  consumed(peer: string, protocol: string, count = 1): Promise<void> {
    return this.#meter(peer, protocol, count, (s, units) => {
      bookConsumed(s, protocol, units);
      const threshold = s.peerPaymentThreshold ?? this.#ctx.config.paymentThreshold;
      if (owedToPeer(s) > threshold && !s.weOwePast) {
        s.weOwePast = true;
        this.#ctx.metrics.countOutOfBounds(peer, "we_owe", "payment");
        this.#ctx.log({ level: "warn", event: "out_of_bounds", peer, direction: "we_owe", level_: "payment", projected: owedToPeer(s), threshold });
      }
      const saved = this.#ctx.peers.save(s);
      this.#payments.maybePayEarly(s);
      return saved;
    });
  }

  /**
   * Runs `then` for a connected peer and what `count` messages of `protocol` cost; a bad call (not connected, a bad
   * count) becomes a rejected promise.
   */
  #meter<T>(peer: string, protocol: string, count: number, then: (s: PeerState, units: bigint) => Promise<T>): Promise<T> {
    let s: PeerState, units: bigint;
    try {
      s = this.#connected(peer);
      units = price(this.#ctx.config, protocol, count);
    } catch (error) {
      return Promise.reject(error);
    }
    return then(s, units);
  }

  #reservation(s: PeerState, protocol: string, units: bigint, sign: 1 | -1): Reservation {
    return new Held(this.#ctx, this.#payments, s, protocol, units, sign);
  }
}

/**
 * A reservation as one object with its methods on the prototype: a request on the hot path allocates nothing else
 * (no closures per request).
 */
class Held implements Reservation {
  readonly peer: string;
  readonly units: bigint;
  readonly #ctx: EngineContext;
  readonly #payments: Payments;
  readonly #s: PeerState;
  readonly #protocol: string;
  readonly #sign: 1 | -1;
  #done = false;

  constructor(ctx: EngineContext, payments: Payments, s: PeerState, protocol: string, units: bigint, sign: 1 | -1) {
    this.peer = s.peer;
    this.units = units;
    this.#ctx = ctx;
    this.#payments = payments;
    this.#s = s;
    this.#protocol = protocol;
    this.#sign = sign;
  }

  #unreserve(): void {
    if (this.#sign > 0) this.#s.reservedProvide -= this.units;
    else this.#s.reservedConsume -= this.units;
  }

  apply(): Promise<void> {
    if (this.#done) return Promise.reject(new ChequeError("INVALID_ARGUMENT", "this reservation was applied or released already"));
    this.#done = true;
    this.#unreserve();
    const s = this.#s;
    if (this.#sign > 0) {
      bookServed(s, this.#protocol, this.units);
      return this.#ctx.peers.save(s);
    }
    bookConsumed(s, this.#protocol, this.units);
    // A consumption is paid for (early payment) only once its booking is durable.
    const saved = this.#ctx.peers.save(s);
    if (saved !== WRITTEN) return saved.then(() => this.#payments.maybePayEarly(s));
    this.#payments.maybePayEarly(s);
    return saved;
  }

  release(): void {
    if (this.#done) return;
    this.#done = true;
    this.#unreserve();
  }
}
