/**
 * Solvency policies: how much of a cheque the chequebook covers, and for how long. Pure functions over the figures
 * read from the chain, so each rule can be read (and tested) on its own.
 */
import { ChequeError } from "../errors.js";

/** What to do with a cheque the chequebook cannot currently cover. */
export type SolvencyPolicy =
  /** refuse it (INSUFFICIENT_COVER) unless the beneficiary's liquid balance covers it now */
  | "reject"
  /** accept it and set `flagged` on the result when the liquid balance does not cover it now */
  | "flag"
  /** accept only what the beneficiary's hard deposit covers for at least `minHardDepositTimeout` */
  | "hard-deposit";

/** What to do with a cheque whose signature holds only through ERC-1271, so the issuer can revoke it at will. */
export type RevocableIssuerPolicy =
  /** refuse it with REVOCABLE_ISSUER */
  | "refuse"
  /** accept it with `cashNow` set: cash it out at once, it may be worthless a block later */
  | "cash-now";

/** Solvency options of a {@link ChequeVerifier}. */
export interface SolvencyOptions {
  /** Default "reject". */
  policy?: SolvencyPolicy;
  /**
   * Reuse a chequebook's on-chain cover snapshot for this long (ms) after its block was last seen to be the latest.
   * Default 0: the latest block is asked for every cheque (the figures only when it changed).
   */
  cacheMs?: number;
  /**
   * "hard-deposit": the shortest decrease timeout (seconds) under which a hard deposit counts as cover, and the
   * window within which a pending decrease coming due removes its amount. Default 86,400 (one day).
   */
  minHardDepositTimeout?: bigint;
  /** Default "refuse" under "hard-deposit", "cash-now" under "reject" and "flag". */
  revocableIssuer?: RevocableIssuerPolicy;
}

/** The default {@link SolvencyOptions.minHardDepositTimeout}: one day. */
export const DEFAULT_MIN_HARD_DEPOSIT_TIMEOUT = 86_400n;

/** The on-chain figures, for us as beneficiary, that cover is computed from. */
export interface CoverFigures {
  /** What the chequebook could pay us now: its liquid balance plus our hard deposit. */
  liquidBalanceFor: bigint;
  /** What it has paid us so far. */
  paidOut: bigint;
  /** Our hard deposit. */
  hardDeposit: bigint;
  /** The amount of a prepared decrease of our hard deposit (0 if none). */
  decreaseAmount: bigint;
  /** When that decrease can be applied, unix seconds (0 if none is prepared). */
  canBeDecreasedAt: bigint;
  /** The decrease timeout in force: our custom one if set, else the chequebook's default. */
  effectiveTimeout: bigint;
}

/** The cover of one cheque, as reported in {@link VerifiedCheque.cover}. */
export interface Cover extends CoverFigures {
  /** What the cheque needs paid: its cumulative payout minus `paidOut`. */
  required: bigint;
  /**
   * What the policy counts as cover: the liquid balance for us ("reject", "flag"), or the part of our hard deposit
   * that stays for at least `minHardDepositTimeout` ("hard-deposit").
   */
  covered: bigint;
  /**
   * "hard-deposit": until when (unix seconds, chain time) `covered` is guaranteed to stay: cash out before then.
   * The earliest of now plus the effective timeout (a decrease prepared now) and a pending decrease's due time.
   * 0 under "reject" and "flag", which guarantee nothing beyond the moment of the check, and when
   * `issuerCanRevoke`: the issuer can take a revocable signature back at any block.
   */
  coveredUntil: bigint;
  /** The signature holds only through ERC-1271: the issuer can revoke it (rotate the owner, change the code). */
  issuerCanRevoke: boolean;
}

/** Why a hard deposit did not count in full. */
export type CoverShortfall = "timeout-too-short" | "decrease-pending";

/**
 * The part of our hard deposit that stays for at least `minTimeout` seconds from `now`, and until when.
 *
 * `readAt` is the chain time of the block the figures were read at; `now` the current time, estimated from above
 * (at least `readAt`). A decrease not yet prepared at `readAt` comes due after `readAt + effectiveTimeout`.
 *
 * - An effective timeout below `minTimeout` gives no cover: the issuer could prepare and apply a decrease (with a
 *   timeout of 0, in one transaction through a contract or EIP-7702 issuer) before we cash out.
 * - A pending decrease removes its amount if it comes due by `now + minTimeout`, whatever the timeout now in
 *   force: it was scheduled with the timeout of its day, which may have been shorter.
 * - Never more than `liquidBalanceFor` (a token that shrinks the balance shrinks the cover).
 */
export function hardDepositCover(args: { figures: CoverFigures; readAt: bigint; now: bigint; minTimeout: bigint }): {
  covered: bigint;
  coveredUntil: bigint;
  shortfall?: CoverShortfall;
} {
  const { figures: f, now, readAt, minTimeout } = args;
  if (f.effectiveTimeout < minTimeout) return { covered: 0n, coveredUntil: 0n, shortfall: "timeout-too-short" };
  let covered = f.hardDeposit;
  let coveredUntil = readAt + f.effectiveTimeout;
  let shortfall: CoverShortfall | undefined;
  if (f.canBeDecreasedAt !== 0n && f.decreaseAmount > 0n) {
    if (f.canBeDecreasedAt <= now + minTimeout) {
      covered -= f.decreaseAmount < covered ? f.decreaseAmount : covered;
      shortfall = "decrease-pending";
    } else if (f.canBeDecreasedAt < coveredUntil) {
      coveredUntil = f.canBeDecreasedAt;
    }
  }
  if (covered > f.liquidBalanceFor) covered = f.liquidBalanceFor;
  return shortfall === undefined ? { covered, coveredUntil } : { covered, coveredUntil, shortfall };
}

/**
 * Applies `policy` to a cheque's cover.
 *
 * @returns whether the cheque is flagged (policy "flag" and not covered).
 * @throws ChequeError INSUFFICIENT_COVER (policies "reject" and "hard-deposit") when `covered < required`.
 */
export function applySolvencyPolicy(args: { chequebook: string; policy: SolvencyPolicy; cover: Cover; shortfall?: CoverShortfall; minTimeout: bigint }): boolean {
  const { chequebook, policy, cover } = args;
  if (cover.covered >= cover.required) return false;
  if (policy === "flag") return true;
  const what = policy === "hard-deposit" ? "hard deposit that stays" : "liquid balance";
  const why =
    args.shortfall === "timeout-too-short"
      ? `: its decrease timeout (${cover.effectiveTimeout} s) is below our minimum (${args.minTimeout} s)`
      : args.shortfall === "decrease-pending"
        ? `: a decrease of ${cover.decreaseAmount} is due at ${cover.canBeDecreasedAt}`
        : "";
  throw new ChequeError("INSUFFICIENT_COVER", `the chequebook's ${what} for us (${cover.covered}) does not cover the ${cover.required} this cheque needs${why}`, {
    details: {
      chequebook,
      policy,
      covered: cover.covered,
      required: cover.required,
      hardDeposit: cover.hardDeposit,
      decreaseAmount: cover.decreaseAmount,
      canBeDecreasedAt: cover.canBeDecreasedAt,
      effectiveTimeout: cover.effectiveTimeout,
      ...(policy === "hard-deposit" ? { minHardDepositTimeout: args.minTimeout } : {}),
      ...(args.shortfall === undefined ? {} : { reason: args.shortfall }),
    },
  });
}
