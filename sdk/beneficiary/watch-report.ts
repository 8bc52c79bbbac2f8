/**
 * What the cash-out watcher reports: one event per thing it did or saw, as JSON lines for machines and as a line
 * of text for people.
 */
import type { CashoutItemReport } from "./executor.js";
import type { WatchReason } from "./watch-policy.js";

/** One chequebook the watcher decided to cash, and why. */
export interface WatchDecisionItem {
  chequebook: string;
  reason: WatchReason;
  /** What we are owed (held minus paid out). */
  owed: bigint;
  /** What a cash-out would pay now. */
  payable: bigint;
  /** When a prepared decrease comes due (unix seconds), if one is prepared. */
  canBeDecreasedAt?: bigint;
}

/** An event of the watcher. */
export type WatchEvent =
  /** The first step: where it resumes and how many chequebooks it follows. */
  | { type: "started"; cursor: number; head: number; chequebooks: number; resumed: boolean }
  /** It decided to cash these chequebooks, in one call to the executor. */
  | { type: "decision"; block: number; now: bigint; items: WatchDecisionItem[] }
  /** What the executor did, per chequebook. */
  | { type: "cashout"; block: number; items: CashoutItemReport[] }
  /**
   * Cover is at risk but nothing is cashed: `NOTHING_PAYABLE` (the chequebook has nothing liquid for us) or
   * `BELOW_MIN_PAYOUT` (less than the minimum payout is payable). Reported once per state.
   */
  | { type: "at-risk"; block: number; chequebook: string; reason: WatchReason; code: "NOTHING_PAYABLE" | "BELOW_MIN_PAYOUT"; owed: bigint; payable: bigint }
  /** A step finished: the last confirmed block processed, the head, and whether it is still catching up. */
  | { type: "progress"; cursor: number; head: number; behind: boolean; chequebooks: number; touched: number }
  /** A step failed (the node, the store); the loop tries again after `retryInMs`. */
  | { type: "error"; code: string; message: string; attempt: number; retryInMs: number }
  /** The loop stopped. */
  | { type: "stopped"; cursor: number | undefined };

/** One JSON line (no newline) for `event`, with bigints as decimal strings. */
export function watchEventJson(event: WatchEvent): string {
  return JSON.stringify(event, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A line of text for people about `event`. */
export function describeWatchEvent(event: WatchEvent): string {
  switch (event.type) {
    case "started":
      return `watching ${event.chequebooks} chequebook(s) from block ${event.cursor + 1} (head ${event.head}${event.resumed ? ", resumed" : ""})`;
    case "decision":
      return `block ${event.block}: cashing ${event.items.map((i) => `${i.chequebook} (${i.reason}, ${i.payable} of ${i.owed} owed)`).join(", ")}`;
    case "cashout":
      return event.items
        .map((i) => `  ${i.chequebook}: ${i.status}${i.paid > 0n ? ` ${i.paid}` : ""}${i.code === undefined ? "" : ` (${i.code})`}${i.txHash === undefined ? "" : ` tx ${i.txHash}`}`)
        .join("\n");
    case "at-risk":
      return `block ${event.block}: ${event.chequebook} is at risk (${event.reason}) but ${event.code === "NOTHING_PAYABLE" ? "has nothing liquid for us" : `only ${event.payable} is payable`}; owed ${event.owed}`;
    case "progress":
      return `block ${event.cursor} processed (head ${event.head}${event.behind ? ", catching up" : ""}); ${event.chequebooks} chequebook(s), ${event.touched} touched`;
    case "error":
      return `error (${event.code}): ${event.message}; retry ${event.attempt} in ${event.retryInMs} ms`;
    case "stopped":
      return `stopped${event.cursor === undefined ? "" : ` at block ${event.cursor}`}`;
  }
}
