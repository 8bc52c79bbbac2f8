/**
 * SQLite mechanics shared by every SDK table kept in one database file (the cheque store, the SWAP ledger):
 *
 * - **One owner process per file.** Opening takes an exclusive operating-system lock on `<file>.lock`, held by a
 *   dedicated connection for as long as the file is open in this process. A second process is refused with
 *   STORE_LOCKED naming the file. The lock is SQLite's own (POSIX advisory locks on Unix, `LockFileEx` on
 *   Windows), so the kernel drops it when the owner exits, however it exits (SIGKILL included): the `.lock` file
 *   left on disk is harmless and is never deleted (deleting it would let two processes lock two different files).
 *   Within one process each owner kind ("cheque store", "SWAP ledger") may open a file once; different kinds share.
 * - **Waiting for a lock never stops the event loop.** SQLite's own busy wait is synchronous, so it is kept to
 *   {@link SQLITE_SYNC_BUSY_MS}; beyond that, an operation that finds the file locked by another connection (an
 *   operator's `sqlite3` shell, a backup) is retried from a timer with backoff, and fails with STORE_BUSY once
 *   `busyTimeoutMs` has passed in total.
 *
 * NOTE: advisory locks are reliable on local file systems; on network file systems (NFS, SMB) they may not be.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";

import { ChequeError } from "../errors.js";

/** How long SQLite may block the thread waiting for a lock before handing control back to the event loop. */
export const SQLITE_SYNC_BUSY_MS = 5;
/** The default total wait for another connection's lock before STORE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const MAX_RETRY_DELAY_MS = 50;

/** Reported each time an operation found the database locked by another connection and will try again. */
export interface SqliteBusyEvent {
  /** The database file. */
  path: string;
  /** Attempts so far (1 after the first refusal). */
  attempt: number;
  /** Milliseconds since the first attempt. */
  waitedMs: number;
}

/** How an SDK store waits for other connections' locks. */
export interface SqliteBusyOptions {
  /** Total milliseconds an operation may wait for another connection's lock, asynchronously (default 5000). */
  busyTimeoutMs?: number;
  /** Called on every retry, e.g. to count lock contention in metrics. */
  onBusy?: (event: SqliteBusyEvent) => void;
}

/** Options of {@link SqliteFile.open}. */
export interface SqliteFileOptions extends SqliteBusyOptions {
  /** Who opens the file, named in errors; one opener of each kind per file per process. */
  owner: string;
}

/** Whether `error` is SQLite's SQLITE_BUSY (any extended form): another connection holds a lock. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" && (code & 0xff) === 5;
}

/** A file lock held by this process for one or more owners. */
interface HeldLock {
  connection: DatabaseSync;
  owners: Set<string>;
}

/** Locks held by this process, by the canonical path of the database file. */
const held = new Map<string, HeldLock>();

/** The absolute path of `path` with symbolic links resolved, also for a file that does not exist yet. */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

function isMemory(path: string): boolean {
  return path === "" || path === ":memory:";
}

/**
 * Takes this process's exclusive lock on the database file at `path` for `owner`.
 *
 * @returns a function releasing it (idempotent).
 * @throws ChequeError STORE_LOCKED if another process holds it, or `owner` holds it already in this process;
 * STORE_FAILURE if the lock file cannot be created.
 */
function lockFile(path: string, owner: string): () => void {
  if (isMemory(path)) return () => {};
  const key = canonical(path);
  let lock = held.get(key);
  if (lock?.owners.has(owner)) {
    throw new ChequeError("STORE_LOCKED", `${path} is already open in this process (by another ${owner}): close it first, or share that one`, {
      details: { path, owner },
    });
  }
  if (lock === undefined) {
    const lockPath = `${key}.lock`;
    let connection: DatabaseSync | undefined;
    try {
      connection = new DatabaseSync(lockPath);
      // journal OFF: nothing is ever written, so no journal file. EXCLUSIVE locking mode: the lock taken by
      // BEGIN EXCLUSIVE is kept after COMMIT, until the connection closes or the process dies.
      connection.exec("PRAGMA busy_timeout = 0; PRAGMA journal_mode = OFF; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
    } catch (cause) {
      try {
        connection?.close();
      } catch {
        // not open
      }
      if (isSqliteBusy(cause)) {
        throw new ChequeError("STORE_LOCKED", `${path} is in use by another process (a running node owns it): stop that process, or use another file`, {
          details: { path, lockPath },
          cause,
        });
      }
      throw new ChequeError("STORE_FAILURE", `cannot lock ${path} (lock file ${lockPath}): ${(cause as Error).message}`, { details: { path, lockPath }, cause });
    }
    lock = { connection, owners: new Set() };
    held.set(key, lock);
  }
  lock.owners.add(owner);
  const taken = lock;
  return () => {
    if (!taken.owners.delete(owner)) return;
    if (taken.owners.size === 0) {
      held.delete(key);
      taken.connection.close();
    }
  };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * A SQLite connection to a database file this process owns: WAL journal, `synchronous = FULL`, a short synchronous
 * busy wait, {@link SqliteFile.retry} and {@link SqliteFile.write} for waits that keep the event loop running.
 * Closing it releases the file lock once no other owner in this process holds it.
 *
 * @example
 * const db = SqliteFile.open("./node-data/cheques.db", { owner: "SWAP ledger" })
 * await db.write(() => db.prepare("INSERT ...").run(...))
 */
export class SqliteFile extends DatabaseSync {
  /** The database file, as given to {@link SqliteFile.open}. */
  readonly path: string;
  /** Total milliseconds an operation may wait for another connection's lock. */
  readonly busyTimeoutMs: number;
  readonly #onBusy: ((event: SqliteBusyEvent) => void) | undefined;
  #unlock: (() => void) | undefined;

  private constructor(path: string, unlock: () => void, options: SqliteFileOptions) {
    super(path);
    this.path = path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#onBusy = options.onBusy;
    this.#unlock = unlock;
  }

  /**
   * Locks the file for this process (see the module notes) and opens it in WAL mode with `synchronous = FULL`.
   * Opening an existing database takes no write lock; creating one or switching it to WAL does, and fails with
   * STORE_BUSY if another connection holds it.
   *
   * @throws ChequeError STORE_LOCKED if another process (or another opener of the same kind in this process) has
   * the file open; STORE_BUSY if it is locked by another connection; STORE_FAILURE if it cannot be opened.
   */
  static open(path: string, options: SqliteFileOptions): SqliteFile {
    const unlock = lockFile(path, options.owner);
    let db: SqliteFile | undefined;
    try {
      db = new SqliteFile(path, unlock, options);
      db.exec(`PRAGMA busy_timeout = ${SQLITE_SYNC_BUSY_MS}; PRAGMA synchronous = FULL;`);
      const mode = (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode;
      if (mode !== "wal" && !isMemory(path)) db.exec("PRAGMA journal_mode = WAL");
      return db;
    } catch (cause) {
      if (db?.isOpen) db.close();
      unlock();
      if (isSqliteBusy(cause)) throw busy(path, 0, 1, cause);
      throw new ChequeError("STORE_FAILURE", `cannot open the database ${path}: ${(cause as Error).message}`, { details: { path }, cause });
    }
  }

  /**
   * Runs `work` (synchronous SQLite calls) now; while it fails with SQLITE_BUSY, runs it again from a timer with
   * backoff, so the event loop keeps turning while another connection holds the lock.
   *
   * @throws ChequeError STORE_BUSY once {@link SqliteFile.busyTimeoutMs} has passed; anything else `work` throws.
   */
  async retry<T>(work: () => T): Promise<T> {
    const start = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return work();
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        const waitedMs = performance.now() - start;
        if (waitedMs >= this.busyTimeoutMs) throw busy(this.path, waitedMs, attempt, error);
        this.#onBusy?.({ path: this.path, attempt, waitedMs });
        await sleep(Math.min(2 ** (attempt - 1), MAX_RETRY_DELAY_MS, Math.max(1, this.busyTimeoutMs - waitedMs)));
      }
    }
  }

  /**
   * Runs `work` in a write transaction (`BEGIN IMMEDIATE` … `COMMIT`), waiting for the write lock as
   * {@link SqliteFile.retry} does; if `work` throws, rolls back and rethrows.
   *
   * @throws ChequeError STORE_BUSY if the lock stays taken; anything `work` throws.
   */
  write<T>(work: () => T): Promise<T> {
    return this.retry(() => {
      this.exec("BEGIN IMMEDIATE");
      try {
        const result = work();
        this.exec("COMMIT");
        return result;
      } catch (error) {
        try {
          this.exec("ROLLBACK");
        } catch {
          // SQLite already rolled back
        }
        throw error;
      }
    });
  }

  /** Closes the connection and releases this owner's hold on the file lock. */
  override close(): void {
    try {
      if (this.isOpen) super.close();
    } finally {
      this.#unlock?.();
      this.#unlock = undefined;
    }
  }
}

function busy(path: string, waitedMs: number, attempts: number, cause: unknown): ChequeError {
  return new ChequeError("STORE_BUSY", `${path} stayed locked by another connection for ${Math.round(waitedMs)} ms: retry later, or raise busyTimeoutMs`, {
    details: { path, waitedMs: Math.round(waitedMs), attempts },
    cause,
  });
}
