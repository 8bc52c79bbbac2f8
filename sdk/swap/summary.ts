/**
 * A peer's standing as tables and dashboards show it, from its ledger record and, for a running engine, what only
 * lives while the connection does.
 */
import type { PeerLedger } from "./ledger.js";

/** A peer's standing, for tables and dashboards. */
export interface PeerSummary {
  peer: string;
  connected: boolean;
  /** Whether the peer's handshake was accepted on the current connection. */
  ready: boolean;
  balance: bigint;
  /** The part of a negative balance the peer paid in advance (never paid back). */
  prepaid: bigint;
  byProtocol: Record<string, bigint>;
  reserved: bigint;
  peerPaymentThreshold?: bigint;
  paymentInFlight?: bigint;
  cooldownUntil: number;
  /** Hard phase: token base units our cheques promised the peer's beneficiaries, and credited from its chequebooks. */
  sent: bigint;
  received: bigint;
  /** Hard phase: whom we pay now, and the chequebook the peer pays us from now (as the peer announced them). */
  beneficiary?: string;
  chequebook?: string;
}

/** The summary of the peer `l` records; `live` is what a running engine knows of its connection (offline if none). */
export function summarizePeer(l: PeerLedger, live: { connected: boolean; ready: boolean; reserved: bigint } = { connected: false, ready: false, reserved: 0n }): PeerSummary {
  const p: PeerSummary = {
    peer: l.peer, connected: live.connected, ready: live.ready, balance: l.balance, prepaid: l.prepaid, byProtocol: { ...l.byProtocol },
    reserved: live.reserved, cooldownUntil: l.cooldownUntil,
    sent: Object.values(l.payouts).reduce((t, x) => t + x.issued, 0n), received: Object.values(l.credited).reduce((t, c) => t + c, 0n),
  };
  if (l.peerBeneficiary !== undefined) p.beneficiary = l.peerBeneficiary;
  if (l.peerChequebook !== undefined) p.chequebook = l.peerChequebook;
  if (l.peerPaymentThreshold !== undefined) p.peerPaymentThreshold = l.peerPaymentThreshold;
  if (l.inflight !== undefined) p.paymentInFlight = l.inflight.units;
  return p;
}
