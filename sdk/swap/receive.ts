/**
 * Payments in: the cheques a peer sends us, checked cheaply first, verified and stored, then credited.
 *
 * Rules:
 * - A peer pays only with the chequebook it announced, and a chequebook is bound, for good, to the first peer that
 *   delivers a verified cheque on it (only its issuer can sign one): another peer's cheques, even genuine ones, are
 *   never credited to it. The binding is taken before the write-ahead record (so recovery finds it), one claim per
 *   chequebook at a time, and undone durably if the cheque is refused.
 * - What costs nothing is checked first, before any RPC or disk write: the chequebook, the beneficiary, the chain,
 *   a cumulative payout not above what we credited from that chequebook (stale, or a re-send answered again), an
 *   increment below `minChequeIncrement`. Every refusal counts towards `maxRefusals`.
 * - Write-ahead: the cheque is recorded in the peer's ledger before it is handed to the receiver. After a crash,
 *   credit is recovered only from that record (what this peer delivered), through the same cap as live credit.
 * - Credit is capped against the running balance ({@link creditPayment}): the peer's debt plus at most one payment
 *   threshold of prepayment in total; the rest is refused and reported.
 * - Cheques from one peer are handled one at a time.
 */
import { isChequeError, type ChequeErrorCode } from "../errors.js";
import type { SignedCheque } from "../cheque/cheque.js";
import { KeyedMutex } from "../mutex.js";
import type { EngineContext } from "./context.js";
import { creditPayment, peerReason } from "./policy.js";
import type { PeerState } from "./peers.js";
import type { SwapAck, SwapCheque } from "./wire.js";

const MAX_UINT32 = 0xffffffffn;

/** Payments in, for one engine (internal: the engine owns it). */
export class Receipts {
  readonly #ctx: EngineContext;
  /** Per chequebook no peer is bound to yet: the cheques that would bind it, one at a time. */
  readonly #claims = new KeyedMutex();

  constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /** Handles a cheque from `s`, after any earlier one from the same peer. */
  onCheque(s: PeerState, c: SwapCheque): Promise<void> {
    const run = (s.receiving$ ?? Promise.resolve()).then(() => this.#onCheque(s, c));
    const tail = run.catch(() => undefined);
    s.receiving$ = tail;
    void tail.then(() => {
      if (s.receiving$ === tail) s.receiving$ = undefined;
    });
    return run;
  }

  async #onCheque(s: PeerState, c: SwapCheque): Promise<void> {
    const ctx = this.#ctx;
    const phase = ctx.config.phase;
    if (phase === "soft") {
      ctx.log({ level: "info", event: "cheque_ignored", peer: s.peer, reason: "soft phase", amount: c.amount });
      return;
    }
    if (phase === "mock") {
      if (c.signed !== undefined) return this.#reject(s, c, "MALFORMED_CHEQUE", "a signed cheque in the mock phase");
      if (s.lastMockReceived?.date === c.date && s.lastMockReceived.amount === c.amount) {
        // A re-send of the payment credited last (its answer was lost): answer again, credit nothing.
        ctx.log({ level: "info", event: "duplicate_cheque_acknowledged", peer: s.peer, kind: "mock", date: c.date });
        await ctx.send(s.peer, { type: "ack", accepted: true, amount: 0, date: c.date });
        return;
      }
      s.lastMockReceived = { date: c.date, amount: c.amount };
      const credited = await this.#credit(s, BigInt(c.amount));
      ctx.metrics.chequesReceived.inc({ kind: "mock" });
      ctx.log({ level: "info", event: "cheque_received", peer: s.peer, kind: "mock", amount: c.amount, credited, balance: s.balance });
      await ctx.send(s.peer, { type: "ack", accepted: true, amount: Number(credited > MAX_UINT32 ? MAX_UINT32 : credited), date: c.date });
      return;
    }
    const hard = ctx.hard!;
    const signed = c.signed;
    // Local checks: no RPC, no disk write.
    if (signed === undefined) return this.#reject(s, c, "MALFORMED_CHEQUE", "an unsigned cheque in the hard phase");
    const book = signed.chequebook;
    const owner = ctx.peers.owner(book);
    if (s.peerChequebook !== book || (owner !== undefined && owner !== s.peer)) {
      return this.#reject(s, c, "UNKNOWN_CHEQUEBOOK", "not drawn on the chequebook the peer announced");
    }
    if (signed.beneficiary !== hard.verifier.beneficiary) return this.#reject(s, c, "WRONG_BENEFICIARY", "not made out to us");
    if (c.chainId !== undefined && c.chainId !== hard.verifier.chainId) return this.#reject(s, c, "WRONG_CHAIN", "for another chain");
    const credited = s.credited[book] ?? 0n;
    if (signed.cumulativePayout <= credited) {
      if (signed.cumulativePayout === credited && (await this.#isHeld(signed))) {
        // A re-send of the cheque credited last (its answer was lost): answer again, credit nothing.
        ctx.log({ level: "info", event: "duplicate_cheque_acknowledged", peer: s.peer, kind: "real", cumulativePayout: signed.cumulativePayout });
        await ctx.send(s.peer, { type: "ack", accepted: true, amount: 0, cumulativePayout: signed.cumulativePayout });
        return;
      }
      return this.#reject(s, c, "STALE_CHEQUE", "not above what we credited");
    }
    if (signed.cumulativePayout - credited < ctx.config.minChequeIncrement) {
      return this.#reject(s, c, "INCREMENT_TOO_SMALL", `adds less than ${ctx.config.minChequeIncrement}`);
    }
    if (owner === s.peer) return this.#take(s, c, signed, false);
    // A chequebook no peer has paid with yet: the first verified cheque binds it (only its issuer can sign one).
    // Claims on one chequebook are taken one at a time, so a forged cheque only delays the issuer's.
    return this.#claims.run(book.toLowerCase(), async () => {
      const now = ctx.peers.owner(book);
      if (now !== undefined && now !== s.peer) return this.#reject(s, c, "UNKNOWN_CHEQUEBOOK", "bound to another peer");
      if (now === s.peer) return this.#take(s, c, signed, false);
      ctx.peers.bind(s, undefined, book);
      return this.#take(s, c, signed, true);
    });
  }

  /**
   * Write-ahead, verify and store, then credit. `claimed`: this cheque bound its chequebook to `s`; if it is not
   * accepted, the binding is undone durably before another peer may claim the chequebook.
   */
  async #take(s: PeerState, c: SwapCheque, signed: SignedCheque, claimed: boolean): Promise<void> {
    const ctx = this.#ctx;
    const hard = ctx.hard!;
    const book = signed.chequebook;
    s.receiving = { chequebook: book, cumulativePayout: signed.cumulativePayout };
    await ctx.peers.save(s);
    let increment: bigint;
    try {
      const options = c.chainId === undefined ? {} : { chainId: c.chainId };
      ({ increment } = await hard.receiver.receive(signed, options));
    } catch (error) {
      const transient = !isChequeError(error) || error.code === "RPC_UNAVAILABLE" || error.code === "STORE_FAILURE";
      // A store failure may have stored the cheque: keep the write-ahead record (and the claim) for recovery.
      if (transient && (!claimed || !isChequeError(error) || error.code !== "RPC_UNAVAILABLE")) throw error;
      s.receiving = undefined;
      if (claimed) {
        ctx.peers.unbind(s, book);
        try {
          await ctx.peers.save(s);
        } catch (saveError) {
          ctx.peers.bind(s, undefined, book); // the ledger still says so: keep it bound until it is written
          throw saveError;
        }
      } else {
        void ctx.peers.save(s).catch(() => undefined); // a stale record only costs a store read at the next start
      }
      if (transient) throw error;
      return this.#reject(s, c, (error as { code: string }).code, (error as Error).message);
    }
    // The cheque is on disk now; book it (the same write clears the write-ahead record).
    s.receiving = undefined;
    s.credited[book] = signed.cumulativePayout;
    const units = this.#tokensToUnits(s, increment);
    const accepted = await this.#credit(s, units);
    // An accepted cheque earns back one refusal, not all of them: a peer cannot buy a fresh allowance of forged
    // cheques (each costing us a verification and two ledger writes) with one small valid cheque.
    if (s.refusals > 0) s.refusals--;
    ctx.metrics.chequesReceived.inc({ kind: "real" });
    ctx.log({ level: "info", event: "cheque_received", peer: s.peer, kind: "real", cumulativePayout: signed.cumulativePayout, increment, credited: accepted, balance: s.balance });
    await ctx.send(s.peer, { type: "ack", accepted: true, amount: Number(accepted > MAX_UINT32 ? MAX_UINT32 : accepted), cumulativePayout: signed.cumulativePayout });
  }

  async #isHeld(c: SignedCheque): Promise<boolean> {
    const held = await this.#ctx.hard!.store.getReceived(c.chequebook, c.beneficiary);
    return held !== undefined && held.cheque.cumulativePayout === c.cumulativePayout && held.cheque.signature === c.signature;
  }

  #tokensToUnits(s: PeerState, tokens: bigint): bigint {
    const t = this.#ctx.config.tokenPerUnit;
    const total = tokens + s.tokenRemainder;
    s.tokenRemainder = total % t;
    return total / t;
  }

  async #reject(s: PeerState, c: SwapCheque, reason: ChequeErrorCode | string, why: string): Promise<void> {
    const ctx = this.#ctx;
    const code = peerReason(reason);
    ctx.metrics.chequesRejected.inc({ reason: code });
    ctx.log({ level: "warn", event: "cheque_rejected", peer: s.peer, reason: code, why: why.slice(0, 200), balance: s.balance });
    const ack: SwapAck = { type: "ack", accepted: false, amount: 0, reason: code, date: c.date };
    if (c.signed !== undefined) ack.cumulativePayout = c.signed.cumulativePayout;
    await ctx.send(s.peer, ack);
    await ctx.refused(s, code);
  }

  /** Credits `units` through the cap, reports what was not credited, and saves. */
  async #credit(s: PeerState, units: bigint): Promise<bigint> {
    const ctx = this.#ctx;
    const { credited, refused } = creditPayment(s, units, ctx.config.paymentThreshold);
    if (refused > 0n) {
      ctx.metrics.overpayment.inc(Number(refused));
      ctx.log({ level: "warn", event: "overpayment_not_credited", peer: s.peer, offered: units, credited, prepaid: s.prepaid });
    }
    if (s.balance <= ctx.config.paymentThreshold) s.pastPayment = false;
    if (s.balance <= ctx.config.disconnectThreshold) s.pastDisconnect = false;
    await ctx.peers.save(s);
    return credited;
  }

  /**
   * After a restart: credits the cheque named by the peer's write-ahead record if the store holds it (the crash
   * came between storing and booking), through the same cap as live credit. Nothing else is ever credited at start.
   *
   * @returns whether `s` changed.
   */
  async recover(s: PeerState): Promise<boolean> {
    const r = s.receiving;
    if (r === undefined) return false;
    s.receiving = undefined;
    const hard = this.#ctx.hard!;
    const held = await hard.store.getReceived(r.chequebook, hard.verifier.beneficiary);
    const base = s.credited[r.chequebook] ?? 0n;
    if (held !== undefined && held.cheque.cumulativePayout >= r.cumulativePayout && r.cumulativePayout > base && this.#ctx.peers.owner(r.chequebook) === s.peer) {
      s.credited[r.chequebook] = r.cumulativePayout;
      const units = this.#tokensToUnits(s, r.cumulativePayout - base);
      const credited = await this.#credit(s, units);
      this.#ctx.log({ level: "warn", event: "recovered_credit", peer: s.peer, units: credited, cumulativePayout: r.cumulativePayout });
    }
    return true;
  }
}
