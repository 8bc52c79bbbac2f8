/**
 * Our spending rate, from samples of the chequebook's total issued (the store's running sum of the last cheque to
 * each beneficiary), and how long what can still be promised lasts at that rate.
 */

/** Samples of the total issued over a sliding window. */
export class SpendTracker {
  readonly #windowMs: number;
  #samples: Array<{ at: number; issued: bigint }> = [];

  /** @param windowMs - how far back the rate looks (default one hour). */
  constructor(windowMs = 3_600_000) {
    if (!(Number.isSafeInteger(windowMs) && windowMs > 0)) throw new RangeError("windowMs must be a positive integer");
    this.#windowMs = windowMs;
  }

  /** Records the total issued at `at` (unix ms). A total that went down (another store, a reset) starts afresh. */
  sample(at: number, issued: bigint): void {
    const last = this.#samples.at(-1);
    if (last !== undefined && (issued < last.issued || at < last.at)) this.#samples = [];
    this.#samples.push({ at, issued });
    // Keep one sample at or before the window's start, so the rate always spans the whole window once it can.
    while (this.#samples.length > 2 && this.#samples[1]!.at <= at - this.#windowMs) this.#samples.shift();
  }

  #span(): { ms: bigint; issued: bigint } | undefined {
    const first = this.#samples[0], last = this.#samples.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at || last.issued <= first.issued) return undefined;
    return { ms: BigInt(last.at - first.at), issued: last.issued - first.issued };
  }

  /** Token base units issued per hour over the window; 0 until two samples differ. */
  perHour(): bigint {
    const span = this.#span();
    return span === undefined ? 0n : (span.issued * 3_600_000n) / span.ms;
  }

  /** Seconds until `available` is spent at the current rate; undefined while nothing is being spent. */
  runwaySeconds(available: bigint): number | undefined {
    const span = this.#span();
    if (span === undefined) return undefined;
    if (available <= 0n) return 0;
    return Number((available * span.ms) / (span.issued * 1000n));
  }
}
