/**
 * PostgreSQL mechanics shared by the SDK's PostgreSQL stores (cheques, SWAP ledger), on the `pg` client:
 *
 * - **Two pools.** Queries and write batches use one pool; cross-process locks ({@link PostgresDatabase.exclusive})
 *   hold a connection of a second pool for as long as they are held, so lock holders can never starve the queries
 *   their own work needs.
 * - **Durable writes, grouped.** Every write goes through {@link GroupCommit}: writes queued in the same turn of the
 *   event loop share one transaction, and each write resolves only after its commit. Every session runs with
 *   `synchronous_commit = on`, whatever the server's default, so a resolved write survives a server crash.
 * - **Cross-process locks** are PostgreSQL session advisory locks keyed by a 64-bit hash of a name. The server drops
 *   them when the holding connection ends, however the holding process ends (SIGKILL included).
 * - **Versioned migrations** run on open, one opener at a time (a transaction-scoped advisory lock); a database
 *   migrated by newer code is refused with STORE_SCHEMA_NEWER.
 */
import { AsyncLocalStorage } from "node:async_hooks";

import pg from "pg";

import { ChequeError, isChequeError } from "../../errors.js";
import { GroupCommit, type Write } from "./group-commit.js";
import { MIGRATIONS } from "./schema.js";
import { redactUrl } from "./url.js";

export { isPostgresUrl, redactUrl } from "./url.js";

/** Options of a PostgreSQL store. */
export interface PostgresStoreOptions {
  /** Connections for queries and write batches (default 8). */
  poolSize?: number;
  /** Connections for cross-process locks held at once, at most (default 32). */
  lockPoolSize?: number;
  /** How long a cross-process lock is waited for before STORE_BUSY (default 30,000 ms). */
  lockTimeoutMs?: number;
  /** Write batches committing at once (default 2). */
  parallelBatches?: number;
}

/** The SQLSTATE of a `pg` error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A failure of the database as a ChequeError (kept as is if it is one already). */
export function storeFailure(what: string, cause: unknown): ChequeError {
  if (isChequeError(cause)) return cause;
  return new ChequeError("STORE_FAILURE", `${what} failed: ${(cause as Error).message}`, { details: { sqlState: sqlState(cause) }, cause });
}

const MIGRATION_LOCK = "swap-chequebook:migrations";

/** One PostgreSQL database opened by one SDK store. */
export class PostgresDatabase {
  readonly url: string;
  readonly writes: GroupCommit;
  readonly #pool: pg.Pool;
  readonly #locks: pg.Pool;
  /** The lock session of the {@link PostgresDatabase.exclusive} call the current work runs in, if any. */
  readonly #holder = new AsyncLocalStorage<{ client: pg.PoolClient; held: boolean }>();
  #closed = false;

  private constructor(url: string, options: PostgresStoreOptions) {
    this.url = url;
    const session = "-c synchronous_commit=on";
    this.#pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 8, options: session });
    this.#locks = new pg.Pool({
      connectionString: url,
      max: options.lockPoolSize ?? 32,
      // A lock session sits idle while its work runs: a server-wide idle_session_timeout must not end it (and the
      // lock with it) under the holder.
      options: `${session} -c lock_timeout=${Math.max(1, Math.round(options.lockTimeoutMs ?? 30_000))} -c idle_session_timeout=0`,
    });
    // A connection dropped by the server, idle in a pool or checked out between queries (a lock session while its
    // work runs), fails its next use and is discarded; without a listener its error event would crash the process.
    for (const pool of [this.#pool, this.#locks]) {
      pool.on("error", () => undefined);
      pool.on("connect", (client) => void client.on("error", () => undefined));
    }
    this.writes = new GroupCommit(this.#pool, options.parallelBatches ?? 2);
  }

  /**
   * Connects and brings the schema up to date.
   *
   * @throws ChequeError STORE_SCHEMA_NEWER if newer code migrated the database; STORE_FAILURE if it cannot be
   *   reached or migrated.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresDatabase> {
    const db = new PostgresDatabase(url, options);
    try {
      await db.#migrate();
      return db;
    } catch (cause) {
      await db.close();
      if (isChequeError(cause)) throw cause;
      throw new ChequeError("STORE_FAILURE", `cannot open the database ${redactUrl(url)}: ${(cause as Error).message}`, { details: { url: redactUrl(url) }, cause });
    }
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS swap_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      const found = Number((await client.query("SELECT coalesce(max(version), 0) AS v FROM swap_schema")).rows[0].v);
      if (found > MIGRATIONS.length) {
        throw new ChequeError("STORE_SCHEMA_NEWER", `${redactUrl(this.url)} was migrated by a newer version of the SDK (schema ${found}, this code knows ${MIGRATIONS.length}): upgrade the SDK`, {
          details: { found, supported: MIGRATIONS.length },
        });
      }
      for (let v = found + 1; v <= MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v - 1]!);
        await client.query("INSERT INTO swap_schema (version) VALUES ($1)", [v]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Commits `write`: in the group commit, or, for work running under {@link PostgresDatabase.exclusive}, on that
   * lock's own session. A write made under a lock is thus fenced by it: should the lock's session end while the work
   * runs (so that the lock may be held by another process by now), the write fails instead of committing.
   */
  async write(write: Write): Promise<void> {
    this.assertOpen();
    const lock = this.#holder.getStore();
    // A task the work left running after it ended is no longer under the lock: the group commit takes it.
    if (lock === undefined || !lock.held) return this.writes.run(write);
    let changed: number;
    try {
      changed = (await lock.client.query(write.sql)).rowCount ?? 0;
    } catch (cause) {
      throw storeFailure(`writing to ${redactUrl(this.url)} under a lock`, cause);
    }
    try {
      await write.settle?.(changed);
    } catch (error) {
      throw storeFailure(`writing to ${redactUrl(this.url)}`, error);
    }
  }

  /** A read (or a single-statement write outside the group commit). */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(name: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.#pool.query<R>({ name, text, values });
    } catch (cause) {
      throw storeFailure(`reading ${redactUrl(this.url)}`, cause);
    }
  }

  /**
   * Runs `work` while holding the advisory lock named by each of `keys`, which at most one connection to this
   * database holds at a time: across processes and machines. Released when `work` settles, or by the server if this process dies.
   *
   * Writes made by `work` through this database ({@link PostgresDatabase.write}) commit on the lock's session. Should
   * that session end while `work` runs (network, failover, an operator ending it; not the server's
   * idle_session_timeout, switched off for lock sessions), the server releases the lock early and another process
   * may start the same work meanwhile; but every write `work` attempts from then on fails (STORE_FAILURE), so what it
   * concluded under the lock is never committed without it.
   *
   * @throws ChequeError STORE_BUSY if the lock is not free within `lockTimeoutMs`; STORE_FAILURE if the database
   *   cannot be reached; anything `work` throws.
   */
  async exclusive<T>(keys: string | readonly string[], work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.#locks.connect();
    } catch (cause) {
      throw storeFailure(`connecting to ${redactUrl(this.url)}`, cause);
    }
    // Several keys on one session, in sorted order: two holders of overlapping sets never deadlock, and a batch of
    // any size needs one connection.
    for (const key of [...new Set(typeof keys === "string" ? [keys] : keys)].sort()) {
      try {
        await client.query({ name: "lock", text: "SELECT pg_advisory_lock(hashtextextended($1, 0))", values: [key] });
      } catch (cause) {
        client.release(true); // closing the session drops the locks taken so far
        if (sqlState(cause) === "55P03") {
          throw new ChequeError("STORE_BUSY", `another process held the lock "${key}" for too long: retry later, or raise lockTimeoutMs`, { details: { key }, cause });
        }
        throw storeFailure(`locking "${key}"`, cause);
      }
    }
    const lock = { client, held: true };
    try {
      return await this.#holder.run(lock, work);
    } finally {
      lock.held = false;
      try {
        // The session holds this call's locks only.
        await client.query({ name: "unlock", text: "SELECT pg_advisory_unlock_all()" });
        client.release();
      } catch {
        client.release(true); // closing the session drops its locks
      }
    }
  }

  /** @throws ChequeError STORE_FAILURE once closed. */
  assertOpen(): void {
    if (this.#closed) throw new ChequeError("STORE_FAILURE", "the store is closed");
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Commits the queued writes (waiting for them), then closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.writes.drain();
    this.#closed = true;
    await Promise.all([this.#pool.end(), this.#locks.end()]);
  }
}
