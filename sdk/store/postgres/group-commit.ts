/**
 * Group commit on PostgreSQL: writes queued in the same turn of the event loop run in one transaction (one WAL
 * flush), and each write's promise resolves only after the commit that contains it. Up to `parallel` batches
 * commit at once on separate connections, so the next batch gathers while the previous one waits for its flush.
 *
 * A write refuses by throwing a {@link ChequeError} before it changes anything (a stale cheque, a conflict): the
 * others of its batch still commit. A write that fails in SQL aborts the transaction; the batch is then rolled back
 * and each of its writes is run again in a transaction of its own, so one bad write never sinks the others.
 */
import type pg from "pg";

import { ChequeError, isChequeError } from "../../errors.js";

/** One write: statements on the batch's connection, inside its transaction. */
export type Write = (client: pg.PoolClient) => Promise<void>;

interface Queued {
  work: Write;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 256;

export class GroupCommit {
  readonly #pool: pg.Pool;
  readonly #parallel: number;
  #queue: Queued[] = [];
  #running = 0;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(pool: pg.Pool, parallel: number) {
    this.#pool = pool;
    this.#parallel = Math.max(1, parallel);
  }

  /** Queues `work`; resolves once it is committed, rejects with what it threw or STORE_FAILURE. */
  run(work: Write): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  /** Resolves once nothing is queued or committing. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#running === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((done) => this.#idle.push(done));
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#running < this.#parallel) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      this.#running++;
      void this.#commit(batch).finally(() => {
        this.#running--;
        if (this.#queue.length > 0) this.#pump();
        else if (this.#running === 0 && !this.#scheduled) for (const done of this.#idle.splice(0)) done();
      });
    }
  }

  async #commit(batch: Queued[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (cause) {
      const error = failure("connecting to the database", cause);
      for (const item of batch) item.reject(error);
      return;
    }
    let broken = false;
    try {
      const outcomes = await this.#inTransaction(client, batch);
      if (outcomes === "retry") {
        for (const item of batch) {
          const [outcome] = (await this.#inTransaction(client, [item])) as unknown[];
          settle(item, outcome === "retry" ? undefined : outcome);
        }
        return;
      }
      batch.forEach((item, i) => settle(item, outcomes[i]));
    } catch (cause) {
      // COMMIT itself failed, or the connection broke: the outcome is unknown to us, as with any database.
      broken = true;
      const error = failure("committing to the database", cause);
      for (const item of batch) item.reject(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `items` in one transaction. Returns each item's outcome (undefined: written; else its refusal), or
   * "retry" if a statement failed in SQL (the transaction was rolled back). A single item that fails in SQL gets its
   * STORE_FAILURE as outcome.
   */
  async #inTransaction(client: pg.PoolClient, items: Queued[]): Promise<unknown[] | "retry"> {
    await client.query("BEGIN");
    const outcomes: unknown[] = [];
    for (const item of items) {
      try {
        await item.work(client);
        outcomes.push(undefined);
      } catch (error) {
        if (isChequeError(error) && error.code !== "STORE_FAILURE") {
          outcomes.push(error);
          continue;
        }
        await client.query("ROLLBACK");
        if (items.length > 1) return "retry";
        return [failure("writing to the database", error)];
      }
    }
    await client.query("COMMIT");
    return outcomes;
  }
}

function settle(item: Queued, outcome: unknown): void {
  if (outcome === undefined) item.resolve();
  else item.reject(outcome);
}

function failure(what: string, cause: unknown): ChequeError {
  if (isChequeError(cause)) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  return new ChequeError("STORE_FAILURE", `${what} failed: ${(cause as Error).message}`, { details: { sqlState: typeof code === "string" ? code : undefined }, cause });
}
