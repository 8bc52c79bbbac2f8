/**
 * A bounded memory of refused chequebooks (unknown, untrusted, wrong token), so that a peer naming them again costs
 * us no RPC call until the entry expires.
 */
import { ChequeError } from "../errors.js";

/** Options of the refusal cache of a {@link ChequeVerifier}. */
export interface RefusalCacheOptions {
  /** At most this many refusals are kept; the oldest is forgotten first. Default 1,024. */
  maxEntries?: number;
  /** A refusal that cannot change (untrusted factory, wrong token) is forgotten after this long (ms). Default 600,000. */
  ttlMs?: number;
  /**
   * A refusal for missing code is forgotten after this long (ms): chequebook addresses are predictable, so anyone
   * can name one before its deployment is mined, and it must be accepted soon after. Default 15,000.
   */
  noCodeTtlMs?: number;
}

/** Remembers the ChequeError each refused key got, for a while. */
export class RefusalCache {
  readonly #max: number;
  readonly #ttl: number;
  /** The TTL of refusals that may change (no code yet). */
  readonly shortTtl: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { error: ChequeError; until: number }>();

  constructor(options: RefusalCacheOptions & { now: () => number }) {
    this.#max = options.maxEntries ?? 1024;
    this.#ttl = options.ttlMs ?? 600_000;
    this.shortTtl = Math.min(options.noCodeTtlMs ?? 15_000, this.#ttl);
    this.#now = options.now;
    if (!Number.isSafeInteger(this.#max) || this.#max < 0) throw new ChequeError("INVALID_ARGUMENT", `maxEntries must be a non-negative integer, got ${this.#max}`);
    if (!(this.#ttl >= 0)) throw new ChequeError("INVALID_ARGUMENT", `ttlMs must be non-negative, got ${this.#ttl}`);
    if (!(this.shortTtl >= 0)) throw new ChequeError("INVALID_ARGUMENT", `noCodeTtlMs must be non-negative, got ${this.shortTtl}`);
  }

  /** Throws the remembered refusal of `key`, marked `details.cached`, if there is one and it has not expired. */
  check(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (this.#now() >= entry.until) {
      this.#entries.delete(key);
      return;
    }
    const { error } = entry;
    throw new ChequeError(error.code, error.message, { details: { ...error.details, cached: true }, cause: error });
  }

  /** Remembers that `key` was refused with `error`, for `ttlMs` (default: the configured TTL). */
  remember(key: string, error: ChequeError, ttlMs: number = this.#ttl): void {
    if (this.#max === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { error, until: this.#now() + ttlMs });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** How many refusals are remembered. */
  get size(): number {
    return this.#entries.size;
  }
}
