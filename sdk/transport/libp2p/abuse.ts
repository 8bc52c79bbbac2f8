/**
 * Bad frames (oversized or malformed) per peer, counted across its connections: the engine never sees oversized
 * frames, and forgets a settled peer's refusals when it leaves memory, so the transport keeps its own count.
 */
import { CooldownTable } from "./cooldowns.js";

/** Peers whose bad frames are counted at once (past it the oldest count is forgotten). */
const MAX_TRACKED_PEERS = 10_000;

/** Counts bad frames per peer within a window; at the limit the peer cools down (see {@link AbuseCounter.coolingDown}). */
export class AbuseCounter {
  readonly #now: () => number;
  /** Bad frames per peer within `windowMs` of its first. Bounded, oldest out. */
  readonly #by = new Map<string, { count: number; since: number }>();
  /** Peers cooling down for abuse the engine would not hold against them at `connect`. */
  readonly #cooling: CooldownTable;

  constructor(now: () => number) {
    this.#now = now;
    this.#cooling = new CooldownTable({ now });
  }

  /** Whether `peer` is cooling down for bad frames. */
  coolingDown(peer: string): boolean {
    return this.#cooling.has(peer);
  }

  /** Forgets the count of `peer` (the engine cooled it down already, and refuses it at `connect`). */
  forget(peer: string): void {
    this.#by.delete(peer);
  }

  /**
   * Counts one bad frame of `peer`: at `maxRefusals` within `windowMs` the peer cools down for `windowMs`, however
   * it spread them over connections. Returns the count when that happens, otherwise undefined.
   */
  count(peer: string, limits: { maxRefusals: number; windowMs: number }): number | undefined {
    const now = this.#now();
    const known = this.#by.get(peer);
    const entry = known !== undefined && now - known.since < limits.windowMs ? known : { count: 0, since: now };
    entry.count++;
    this.#by.delete(peer);
    if (entry.count >= limits.maxRefusals) {
      this.#cooling.set(peer, now + limits.windowMs);
      return entry.count;
    }
    this.#by.set(peer, entry);
    if (this.#by.size > MAX_TRACKED_PEERS) this.#by.delete(this.#by.keys().next().value!);
    return undefined;
  }
}
