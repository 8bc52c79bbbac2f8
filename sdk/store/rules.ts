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

/** The map key of a (chequebook, beneficiary) pair. */
export function pairKey(chequebook: string, beneficiary: string): string {
  return `${chequebook.toLowerCase()}:${beneficiary.toLowerCase()}`;
}
