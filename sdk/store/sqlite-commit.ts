/**
 * Group commit on one SQLite connection: writes queued in the same turn of the event loop share one transaction (one
 * fsync), each in a savepoint of its own so that one refused write does not undo the others, and each write's
 * promise resolves only after the commit that contains it. Waiting for another connection's write lock is
 * asynchronous (the event loop keeps running); writes queued meanwhile join the batch that commits once it is free.
 */
import { ChequeError, isChequeError } from "../errors.js";
import type { SqliteFile } from "./sqlite-file.js";

/** A write waiting in the queue. */
interface QueuedWrite {
  work: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The write queue of one connection. */
export class GroupCommit {
  readonly #db: SqliteFile;
  /** What the errors call the database ("cheque database"). */
  readonly #name: string;
  #queue: QueuedWrite[] = [];
  /** The running drain of the queue, if any. */
  #draining: Promise<void> | undefined;

  constructor(db: SqliteFile, name: string) {
    this.#db = db;
    this.#name = name;
  }

  /** Resolves once every write queued until now (and any queued while waiting) has committed or failed. */
  async drained(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Queues `work` (synchronous SQL) for the next commit; resolves after that commit, rejects if `work` threw. */
  enqueue(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      this.#draining ??= new Promise<void>((next) => setImmediate(next)).then(() => this.#drain());
    });
  }

  /**
   * Commits queued writes until none is left. Waiting for the write lock is asynchronous: writes queued meanwhile
   * join the batch that commits once the lock is free.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        try {
          await this.#db.retry(() => this.#db.exec("BEGIN IMMEDIATE"));
        } catch (cause) {
          const error = isChequeError(cause)
            ? cause
            : new ChequeError("STORE_FAILURE", `the ${this.#name} is unavailable: ${(cause as Error).message}`, { cause });
          for (const item of this.#queue.splice(0)) item.reject(error);
          return;
        }
        const batch = this.#queue.splice(0);
        try {
          this.#commit(batch);
        } catch (cause) {
          // a savepoint could not even be taken: nothing of the batch is kept
          this.#rollback();
          const error = new ChequeError("STORE_FAILURE", `writing the ${this.#name} failed: ${(cause as Error).message}`, { cause });
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #rollback(): void {
    try {
      this.#db.exec("ROLLBACK");
    } catch {
      // already rolled back
    }
  }

  /** Runs a batch inside the open transaction, each write in a savepoint of its own, and commits it. */
  #commit(batch: QueuedWrite[]): void {
    const outcomes: unknown[] = [];
    for (const item of batch) {
      this.#db.exec("SAVEPOINT item");
      try {
        item.work();
        this.#db.exec("RELEASE item");
        outcomes.push(undefined);
      } catch (error) {
        this.#db.exec("ROLLBACK TO item; RELEASE item");
        outcomes.push(isChequeError(error) ? error : new ChequeError("STORE_FAILURE", `writing the ${this.#name} failed: ${(error as Error).message}`, { cause: error }));
      }
    }
    try {
      this.#db.exec("COMMIT");
    } catch (cause) {
      this.#rollback();
      const error = new ChequeError("STORE_FAILURE", `committing to the ${this.#name} failed: ${(cause as Error).message}`, { cause });
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => (outcomes[i] === undefined ? item.resolve() : item.reject(outcomes[i])));
  }
}
