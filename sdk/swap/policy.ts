/**
 * The money rules of SWAP accounting as plain functions on a peer's ledger: what we owe a peer in money, how much
 * of a payment may be credited, how prepayment is used up, and how a peer's words are mapped to our vocabulary.
 */
import { ChequeErrorCode } from "../errors.js";
import type { PeerLedger } from "./ledger.js";

/**
 * What we owe `l` in money, in accounting units: the negative balance, less what the peer paid in advance
 * (prepayment is used up by serving the peer, never paid back).
 */
export function owedToPeer(l: PeerLedger): bigint {
  const owed = -l.balance - l.prepaid;
  return owed > 0n ? owed : 0n;
}

/** The result of {@link creditPayment}. */
export interface Credit {
  /** Units credited. */
  credited: bigint;
  /** Units offered beyond the cap, not credited. */
  refused: bigint;
}

/**
 * Credits a payment of `units` from the peer, capped against the running balance: all of what the peer owes, plus
 * prepayment up to `threshold` in total (not per payment). Changes `l`.
 */
export function creditPayment(l: PeerLedger, units: bigint, threshold: bigint): Credit {
  const debt = l.balance > 0n ? l.balance : 0n;
  const room = debt + (threshold > l.prepaid ? threshold - l.prepaid : 0n);
  const credited = units < room ? units : room;
  const toDebt = credited < debt ? credited : debt;
  l.prepaid += credited - toDebt;
  l.balance -= credited;
  return { credited, refused: units - credited };
}

/** Books `units` of service we gave the peer: its prepayment is used first. Changes `l`. */
export function bookServed(l: PeerLedger, protocol: string, units: bigint): void {
  l.balance += units;
  l.byProtocol[protocol] = (l.byProtocol[protocol] ?? 0n) + units;
  if (l.prepaid > 0n) l.prepaid = l.prepaid > units ? l.prepaid - units : 0n;
}

/** Books `units` of service the peer gave us. Changes `l`. */
export function bookConsumed(l: PeerLedger, protocol: string, units: bigint): void {
  l.balance -= units;
  l.byProtocol[protocol] = (l.byProtocol[protocol] ?? 0n) - units;
}

/** Books our payment of `units` the peer accepted. Changes `l`. */
export function bookPaid(l: PeerLedger, units: bigint): void {
  l.balance += units;
  const ceiling = l.balance < 0n ? -l.balance : 0n;
  if (l.prepaid > ceiling) l.prepaid = ceiling;
}

const CODES = new Set<string>(Object.values(ChequeErrorCode));

/**
 * Maps a reason a peer sent us to our own finite vocabulary: a {@link ChequeErrorCode}, or OTHER. Use it for
 * every metric label and log field that a peer could otherwise name.
 */
export function peerReason(text: string | undefined): string {
  if (text === undefined || text === "") return "NONE";
  return CODES.has(text) ? text : "OTHER";
}

/** At most `max` printable ASCII characters of a peer's text, for a log line. */
export function peerText(text: string | undefined, max = 64): string {
  if (text === undefined) return "";
  const clean = text.slice(0, max * 4).replace(/[^\x20-\x7e]/g, "?");
  return clean.length > max ? clean.slice(0, max) + "…" : clean;
}
