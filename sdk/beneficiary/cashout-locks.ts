/** The locks every cash-out executor of the process shares: one cash-out per chequebook and beneficiary at a time. */
import { KeyedMutex } from "../mutex.js";

/** Cash-outs per chequebook and beneficiary run one at a time, across every casher of the process. */
export const cashoutLocks = new KeyedMutex();

/** The lock key of a chequebook and beneficiary. */
export const lockKey = (chequebook: string, beneficiary: string) => `${chequebook}:${beneficiary}`.toLowerCase();

/** Runs `work` holding the locks of every key in `keys` (taken in sorted order, so two batches never deadlock). */
export function withLocks<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  return sorted.reduceRight<() => Promise<T>>((inner, key) => () => cashoutLocks.run(key, inner), work)();
}
