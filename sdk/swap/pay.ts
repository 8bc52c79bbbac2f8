/**
 * Payments out: when to pay a peer, what to send, and what an answer books.
 *
 * Rules:
 * - We pay only what we owe in money ({@link owedToPeer}: service the peer gave us, not its prepayment), less every
 *   cheque issued to the peer's beneficiaries and not acknowledged: a cheque the peer holds is never paid again,
 *   whichever address it names now.
 * - What was issued and acknowledged is kept per beneficiary: cheques are cumulative per beneficiary, so a payment
 *   is worth its cheque's cumulative payout minus what that beneficiary was already paid. It is never negative.
 * - One payment per peer is in flight. An answer settles it only if it names that cheque (hard phase: its
 *   cumulative payout; mock phase: its date); an accepted answer books exactly that payment's units.
 * - A send that fails leaves nothing in flight; the cheque stays issued and is re-sent by the next payment.
 */
import type { SignedCheque } from "../cheque/cheque.js";
import type { EngineContext } from "./context.js";
import { bookPaid, owedToPeer, peerReason, peerText } from "./policy.js";
import type { PeerState } from "./peers.js";
import type { SwapAck, SwapCheque } from "./wire.js";

const MAX_UINT32 = 0xffffffffn;

/** Payments out, for one engine (internal: the engine owns it). */
export class Payments {
  readonly #ctx: EngineContext;

  constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /** Pays `s` in the background if our debt reached the early-payment share of its threshold. */
  maybePayEarly(s: PeerState): void {
    const { config } = this.#ctx;
    if (config.phase === "soft" || !s.connected || !s.handshaken || s.inflight !== undefined) return;
    const debt = owedToPeer(s);
    const threshold = s.peerPaymentThreshold ?? config.paymentThreshold;
    if (debt > 0n && debt * 100n >= threshold * BigInt(config.earlyPaymentPercent)) {
      void this.#ctx.track(this.pay(s).catch((error: unknown) => this.#ctx.log({ level: "error", event: "payment_failed", peer: s.peer, error: String(error) })));
    }
  }

  /** Pays and waits (up to the payment timeout) for the answer. */
  async payAndWait(s: PeerState): Promise<void> {
    await this.pay(s);
    if (s.inflight === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#ctx.config.paymentTimeoutMs);
      s.ackWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Pays what we owe `s`, unless a payment is already in flight (then re-sends it if it timed out). */
  pay(s: PeerState): Promise<void> {
    s.paying ??= this.#payNow(s).finally(() => (s.paying = undefined));
    return s.paying;
  }

  async #payNow(s: PeerState): Promise<void> {
    const ctx = this.#ctx;
    if (s.inflight !== undefined) {
      if (ctx.now() - s.inflight.sentAt >= ctx.config.paymentTimeoutMs) await this.resend(s);
      return;
    }
    let debt = owedToPeer(s);
    if (debt <= 0n) return;
    if (ctx.config.phase === "mock") {
      const units = debt > MAX_UINT32 ? MAX_UINT32 : debt;
      const date = Math.max(Math.floor(ctx.now() / 1000), (s.lastPaymentDate ?? 0) + 1);
      s.lastPaymentDate = date;
      s.inflight = { units, date, sentAt: ctx.now() };
      await ctx.peers.save(s);
      await this.#deliver(s, this.#mockCheque(s, units, date), "mock", { units });
      return;
    }
    const hard = ctx.hard!;
    const t = ctx.config.tokenPerUnit;
    const beneficiary = s.peerBeneficiary;
    if (beneficiary === undefined) return;
    const owner = ctx.peers.holder(beneficiary);
    if (owner !== undefined && owner !== s.peer) {
      // Another peer was paid to this address since the handshake: it is that peer's now. Our debt stays; the peer
      // must name another address (its next handshake naming this one is refused).
      ctx.log({ level: "warn", event: "payment_held_back", peer: s.peer, owed: debt, reason: "beneficiary_taken" });
      await ctx.disconnect(s, "beneficiary_taken", false);
      return;
    }
    let payout = s.payouts[beneficiary];
    if (payout === undefined) {
      // The first cheque to this address binds it to this peer, durably, before the cheque exists.
      ctx.peers.bind(s, beneficiary, undefined);
      payout = s.payouts[beneficiary]!;
      await ctx.peers.save(s);
      debt = owedToPeer(s);
      if (debt <= 0n) return;
    }
    let unanswered = 0n;
    for (const p of Object.values(s.payouts)) unanswered += p.issued - p.paid;
    const needed = debt * t - unanswered;
    let cheque: SignedCheque;
    if (needed > 0n) {
      ({ cheque } = await hard.issuer.issueCheque(beneficiary, needed));
      if (cheque.cumulativePayout > payout.issued) payout.issued = cheque.cumulativePayout;
    } else if (payout.issued > payout.paid) {
      // What we owe is covered by cheques the peer has not answered: send the one to its current address again.
      const last = await hard.issuer.lastIssued(beneficiary);
      if (last === undefined || last.cheque.cumulativePayout !== payout.issued) {
        ctx.log({ level: "error", event: "inflight_cheque_missing", peer: s.peer, cumulativePayout: payout.issued });
        return;
      }
      cheque = last.cheque;
    } else {
      // Covered by unanswered cheques to addresses the peer no longer names: nothing more is sent for it.
      ctx.log({ level: "warn", event: "payment_held_back", peer: s.peer, owed: debt, unanswered });
      return;
    }
    const units = (cheque.cumulativePayout - payout.paid) / t;
    s.inflight = { units, beneficiary, cumulativePayout: cheque.cumulativePayout, sentAt: ctx.now() };
    await ctx.peers.save(s);
    await this.#deliver(s, this.#hardCheque(units, cheque), "real", { units, cumulativePayout: cheque.cumulativePayout });
  }

  /** Sends a payment; if sending fails, nothing stays in flight (the cheque stays issued, counted as unanswered). */
  async #deliver(s: PeerState, message: SwapCheque, kind: "mock" | "real", fields: Record<string, unknown>): Promise<void> {
    const ctx = this.#ctx;
    if (!(await ctx.send(s.peer, message))) {
      s.inflight = undefined;
      await ctx.peers.save(s);
      return;
    }
    ctx.metrics.chequesSent.inc({ kind });
    ctx.log({ level: "info", event: "cheque_sent", peer: s.peer, kind, ...fields, balance: s.balance });
  }

  /** Sends the payment in flight again. */
  async resend(s: PeerState): Promise<void> {
    const ctx = this.#ctx;
    const inflight = s.inflight;
    if (inflight === undefined) return;
    inflight.sentAt = ctx.now();
    await ctx.peers.save(s);
    let message: SwapCheque;
    if (ctx.config.phase === "mock") {
      message = this.#mockCheque(s, inflight.units, inflight.date ?? Math.floor(ctx.now() / 1000));
    } else {
      const last = inflight.beneficiary === undefined ? undefined : await ctx.hard!.issuer.lastIssued(inflight.beneficiary);
      if (last === undefined || last.cheque.cumulativePayout !== inflight.cumulativePayout) {
        ctx.log({ level: "error", event: "inflight_cheque_missing", peer: s.peer, cumulativePayout: inflight.cumulativePayout });
        s.inflight = undefined;
        await ctx.peers.save(s);
        return;
      }
      message = this.#hardCheque(inflight.units, last.cheque);
    }
    if (!(await ctx.send(s.peer, message))) {
      s.inflight = undefined;
      await ctx.peers.save(s);
      return;
    }
    ctx.log({ level: "info", event: "cheque_resent", peer: s.peer, units: inflight.units });
  }

  /** Books the answer to our payment in flight, if it answers exactly that payment. */
  async onAck(s: PeerState, a: SwapAck): Promise<void> {
    const ctx = this.#ctx;
    const inflight = s.inflight;
    const matches =
      inflight !== undefined && (ctx.config.phase === "hard" ? inflight.cumulativePayout !== undefined && a.cumulativePayout === inflight.cumulativePayout : inflight.date !== undefined && a.date === inflight.date);
    if (!matches) {
      ctx.log({ level: "debug", event: "ack_ignored", peer: s.peer, accepted: a.accepted });
      return;
    }
    s.inflight = undefined;
    if (a.accepted) {
      bookPaid(s, inflight.units);
      if (inflight.beneficiary !== undefined && inflight.cumulativePayout !== undefined) {
        const payout = (s.payouts[inflight.beneficiary] ??= { issued: inflight.cumulativePayout, paid: 0n });
        if (inflight.cumulativePayout > payout.paid) payout.paid = inflight.cumulativePayout;
      }
      if (owedToPeer(s) <= (s.peerPaymentThreshold ?? 0n)) s.weOwePast = false;
      ctx.log({ level: "info", event: "payment_accepted", peer: s.peer, units: inflight.units, balance: s.balance });
    } else {
      const reason = peerReason(a.reason);
      ctx.metrics.paymentsRefused.inc({ reason });
      ctx.log({ level: "warn", event: "payment_refused", peer: s.peer, units: inflight.units, reason, text: peerText(a.reason) });
    }
    await ctx.peers.save(s);
    for (const w of s.ackWaiters.splice(0)) w();
  }

  /**
   * After a restart: a cheque issued to one of the peer's beneficiaries but not in the ledger (a crash between
   * issuing and booking) counts as issued, and becomes the payment in flight, to be sent again after the handshake.
   *
   * @returns whether `s` changed.
   */
  async recover(s: PeerState): Promise<boolean> {
    const ctx = this.#ctx;
    const t = ctx.config.tokenPerUnit;
    let changed = false;
    for (const [beneficiary, payout] of Object.entries(s.payouts)) {
      const last = await ctx.hard!.issuer.lastIssued(beneficiary);
      if (last !== undefined && last.cheque.cumulativePayout > payout.issued) {
        payout.issued = last.cheque.cumulativePayout;
        changed = true;
        ctx.log({ level: "warn", event: "recovered_inflight_payment", peer: s.peer, cumulativePayout: payout.issued });
      }
    }
    const current = s.peerBeneficiary === undefined ? undefined : s.payouts[s.peerBeneficiary];
    if (s.inflight === undefined && current !== undefined && current.issued > current.paid) {
      s.inflight = { units: (current.issued - current.paid) / t, beneficiary: s.peerBeneficiary!, cumulativePayout: current.issued, sentAt: 0 };
      changed = true;
    }
    return changed;
  }

  #mockCheque(s: PeerState, units: bigint, date: number): SwapCheque {
    const c: SwapCheque = { type: "cheque", date, amount: Number(units) };
    if (s.peerBeneficiary !== undefined) c.beneficiary = s.peerBeneficiary;
    return c;
  }

  #hardCheque(units: bigint, cheque: SignedCheque): SwapCheque {
    return {
      type: "cheque",
      date: Math.floor(this.#ctx.now() / 1000),
      amount: Number(units > MAX_UINT32 ? MAX_UINT32 : units < 0n ? 0n : units),
      signed: cheque,
      chainId: this.#ctx.hard!.verifier.chainId,
    };
  }
}
