/**
 * Group commit on PostgreSQL: writes queued in the same turn of the event loop (and while the previous batch
 * commits) run as one transaction, sent in one round trip (a multi-statement simple query, which PostgreSQL runs as
 * one implicit transaction: one WAL flush), and each write's promise resolves only after that commit. Up to
 * `parallel` batches commit at once on separate connections.
 *
 * A write is one SQL statement with its values inlined as escaped literals (`pg.escapeLiteral`), and a `settle`
 * step that sees how many rows it changed once the batch is committed: a conditional write that changed nothing
 * refuses there (STALE_CHEQUE, STORE_CONFLICT), after reading why if it needs to. A statement that fails in SQL
 * rolls the whole batch back; each of its writes is then run again on its own, so one bad write never sinks the
 * others.
 */
import pg from "pg";

import { ChequeError, isChequeError } from "../../errors.js";

/** One write: a statement, and what its changed-row count means once committed (throw to refuse). */
export interface Write {
  sql: string;
  settle?: (rowCount: number) => Promise<void> | void;
}

/** A value as an SQL literal: text escaped, numbers and bigints as digits, null and booleans as keywords. */
export function literal(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "bigint") return `'${value.toString()}'`;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ChequeError("INVALID_ARGUMENT", `not a finite number: ${value}`);
    return `'${value}'`;
  }
  return pg.escapeLiteral(value);
}

interface Queued {
  write: Write;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 512;

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

  /** Queues `write`; resolves once it is committed and settled, rejects with its refusal or STORE_FAILURE. */
  run(write: Write): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
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
    let counts: number[] | undefined;
    let broken = false;
    try {
      counts = await run(client, batch.map((q) => q.write.sql));
    } catch (cause) {
      if (sqlError(cause)) {
        // One statement failed: nothing of the batch was kept. Each write on its own, so only that one fails.
        counts = [];
        if (batch.length === 1) {
          counts.push(-1);
          batch[0]!.reject(failure("writing to the database", cause));
          return;
        }
        for (const item of batch) {
          try {
            counts.push((await run(client, [item.write.sql]))[0]!);
          } catch (error) {
            if (!sqlError(error)) broken = true;
            counts.push(-1);
            item.reject(failure("writing to the database", error));
            if (broken) break;
          }
        }
      } else {
        // The connection broke: whether the batch committed is unknown to us, as with any database.
        broken = true;
        const error = failure("committing to the database", cause);
        for (const item of batch) item.reject(error);
      }
    } finally {
      client.release(broken);
    }
    if (counts === undefined) return;
    await Promise.all(
      batch.map(async (item, i) => {
        const count = counts[i];
        if (count === undefined || count < 0) return item.reject(failure("writing to the database", new Error("not written")));
        try {
          await item.write.settle?.(count);
          item.resolve();
        } catch (error) {
          item.reject(isChequeError(error) ? error : failure("writing to the database", error));
        }
      }),
    );
  }
}

/** Runs the statements as one implicit transaction, in one round trip; returns each statement's row count. */
async function run(client: pg.PoolClient, statements: string[]): Promise<number[]> {
  const result = (await client.query(statements.join(";\n"))) as unknown as pg.QueryResult | pg.QueryResult[];
  return (Array.isArray(result) ? result : [result]).map((r) => r.rowCount ?? 0);
}

/** Whether the server refused a statement (it answered), rather than the connection failing. */
function sqlError(error: unknown): boolean {
  return error instanceof pg.DatabaseError;
}

function failure(what: string, cause: unknown): ChequeError {
  if (isChequeError(cause)) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  return new ChequeError("STORE_FAILURE", `${what} failed: ${(cause as Error).message}`, { details: { sqlState: typeof code === "string" ? code : undefined }, cause });
}
