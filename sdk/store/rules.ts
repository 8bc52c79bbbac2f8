/** The ordering rules both stores apply, in one place. */
import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeError } from "../errors.js";

/** Refuses `next` unless it is strictly above `held`. */
export function requireHigher(held: SignedCheque | undefined, next: SignedCheque, what: "received" | "issued"): void {
  if (held !== undefined && next.cumulativePayout <= held.cumulativePayout) {
    throw new ChequeError(
      "STALE_CHEQUE",
      `a ${what} cheque of ${held.cumulativePayout} is held for this chequebook and beneficiary; ${next.cumulativePayout} is not above it`,
      { details: { chequebook: next.chequebook, beneficiary: next.beneficiary, held: held.cumulativePayout, offered: next.cumulativePayout } },
    );
  }
}

/**
 * Refuses to write `next` over anything but `previous` (when given): a stale `next` is STALE_CHEQUE, a `next` above
 * a cheque other than the expected one is STORE_CONFLICT (the caller measured its increment from the wrong base).
 */
export function requirePrevious(held: SignedCheque | undefined, next: SignedCheque, previous: bigint | undefined): void {
  requireHigher(held, next, "received");
  const actual = held?.cumulativePayout ?? 0n;
  if (previous !== undefined && actual !== previous) {
    throw new ChequeError("STORE_CONFLICT", `another writer stored a cheque of ${actual} from this chequebook since ${previous} was read: read it again`, {
      details: { key: pairKey(next.chequebook, next.beneficiary), expected: previous, held: actual },
    });
  }
}

/** The map key of a (chequebook, beneficiary) pair. */
export function pairKey(chequebook: string, beneficiary: string): string {
  return `${chequebook.toLowerCase()}:${beneficiary.toLowerCase()}`;
}
