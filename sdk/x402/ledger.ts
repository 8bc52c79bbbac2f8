/**
 * What a server charged each payer chequebook for requests it served. Together with the best cheque held (in the
 * {@link ChequeStore}) it is the server's account of a payer: credit = cheque held - charged. It must be as durable
 * as the cheque store: a server that forgot what it charged would serve the old cheques' value again.
 */
import { DatabaseSync } from "node:sqlite";

import { ChequeError } from "../errors.js";

/** The charged totals, per chequebook. Every write resolves only once it is durable. */
export interface ChargeLedger {
  /** The total charged to `chequebook` (0 if never). */
  charged(chequebook: string): Promise<bigint>;
  /** Adds `amount` to the total charged to `chequebook`; resolves with the new total once durable. */
  charge(chequebook: string, amount: bigint): Promise<bigint>;
  close(): Promise<void>;
}

/** A {@link ChargeLedger} in memory: tests and servers whose cheque store is in memory too. */
export class MemoryChargeLedger implements ChargeLedger {
  readonly #totals = new Map<string, bigint>();
  charged(chequebook: string): Promise<bigint> {
    return Promise.resolve(this.#totals.get(chequebook) ?? 0n);
  }
  charge(chequebook: string, amount: bigint): Promise<bigint> {
    const total = (this.#totals.get(chequebook) ?? 0n) + amount;
    this.#totals.set(chequebook, total);
    return Promise.resolve(total);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A {@link ChargeLedger} in an SQLite file (Node's built-in SQLite, `synchronous=FULL`): a write is on disk when it
 * resolves. Keep it beside the cheque store's file; one process per file.
 *
 * @throws ChequeError STORE_FAILURE if the file cannot be opened or written.
 */
export class SqliteChargeLedger implements ChargeLedger {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (or creates) the ledger at `path` (`:memory:` for tests). */
  static open(path: string): SqliteChargeLedger {
    try {
      const db = new DatabaseSync(path);
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE IF NOT EXISTS charged (chequebook TEXT PRIMARY KEY, total TEXT NOT NULL)");
      return new SqliteChargeLedger(db);
    } catch (cause) {
      throw new ChequeError("STORE_FAILURE", `cannot open the charge ledger at ${path}`, { cause, details: { path } });
    }
  }

  charged(chequebook: string): Promise<bigint> {
    return Promise.resolve(this.#read(chequebook));
  }

  charge(chequebook: string, amount: bigint): Promise<bigint> {
    try {
      const total = this.#read(chequebook) + amount;
      this.#db.prepare("INSERT INTO charged (chequebook, total) VALUES (?, ?) ON CONFLICT(chequebook) DO UPDATE SET total = excluded.total").run(chequebook, total.toString());
      return Promise.resolve(total);
    } catch (cause) {
      return Promise.reject(new ChequeError("STORE_FAILURE", "the charge ledger could not be written: nothing was charged", { cause }));
    }
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  #read(chequebook: string): bigint {
    const row = this.#db.prepare("SELECT total FROM charged WHERE chequebook = ?").get(chequebook) as { total: string } | undefined;
    return row === undefined ? 0n : BigInt(row.total);
  }
}
