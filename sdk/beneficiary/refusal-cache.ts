/**
 * A bounded memory of refused chequebooks (unknown, untrusted, wrong token), so that a peer naming them again costs
 * us no RPC call until the entry expires.
 */
import { ChequeError } from "../errors.js";

/** Options of the refusal cache of a {@link ChequeVerifier}. */
export interface RefusalCacheOptions {
  /** At most this many refusals are kept; the oldest is forgotten first. Default 1,024. */
  maxEntries?: number;
  /** A refusal is forgotten after this long (ms), so a chequebook deployed later can be accepted. Default 600,000. */
  ttlMs?: number;
}

/** Remembers the ChequeError each refused key got, for a while. */
export class RefusalCache {
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { error: ChequeError; until: number }>();

  constructor(options: RefusalCacheOptions & { now: () => number }) {
    this.#max = options.maxEntries ?? 1024;
    this.#ttl = options.ttlMs ?? 600_000;
    this.#now = options.now;
    if (!Number.isSafeInteger(this.#max) || this.#max < 0) throw new ChequeError("INVALID_ARGUMENT", `maxEntries must be a non-negative integer, got ${this.#max}`);
    if (!(this.#ttl >= 0)) throw new ChequeError("INVALID_ARGUMENT", `ttlMs must be non-negative, got ${this.#ttl}`);
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

  /** Remembers that `key` was refused with `error`. */
  remember(key: string, error: ChequeError): void {
    if (this.#max === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { error, until: this.#now() + this.#ttl });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** How many refusals are remembered. */
  get size(): number {
    return this.#entries.size;
  }
}
