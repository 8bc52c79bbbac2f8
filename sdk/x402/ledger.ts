/**
 * What a server charged each payer chequebook for requests it served, and which cheque values paid for them.
 * Together with the best cheque held (in the {@link ChequeStore}) it is the server's account of a payer:
 * credit = cheque held - charged. It must be as durable as the cheque store: a server that forgot what it charged
 * would serve the old cheques' value again.
 *
 * The cheque values that were charged are kept (the latest `keep` of them per chequebook, and a floor at or below
 * which every value counts as used), so that after a restart a replayed cheque is still refused while a client's
 * cheque that was never used (overtaken by a later one of its concurrent requests) is still served from its credit.
 */
import { DatabaseSync } from "node:sqlite";

import { ChequeError } from "../errors.js";

/** The cheque values charged to a chequebook that are remembered: every value at or below `floor`, and `values`. */
export interface UsedValues {
  floor: bigint;
  values: bigint[];
}

/** What paid a charge: the cheque value it used, and how many values to keep per chequebook. */
export interface ChargeUse {
  value: bigint;
  keep: number;
}

/** The charged totals, per chequebook. Every write resolves only once it is durable. */
export interface ChargeLedger {
  /** The total charged to `chequebook` (0 if never). */
  charged(chequebook: string): Promise<bigint>;
  /**
   * Adds `amount` to the total charged to `chequebook`, and records `use.value` as used (in the same write), keeping
   * at most `use.keep` values: the lowest are dropped below a raised floor. Resolves with the new total once durable.
   */
  charge(chequebook: string, amount: bigint, use?: ChargeUse): Promise<bigint>;
  /** The cheque values recorded as used for `chequebook`. */
  used(chequebook: string): Promise<UsedValues>;
  close(): Promise<void>;
}

function trimmed(u: UsedValues, keep: number): UsedValues {
  const values = [...u.values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let floor = u.floor;
  while (values.length > Math.max(keep, 1)) floor = values.shift()!;
  return { floor, values };
}

/** A {@link ChargeLedger} in memory: tests and servers whose cheque store is in memory too. */
export class MemoryChargeLedger implements ChargeLedger {
  readonly #totals = new Map<string, bigint>();
  readonly #used = new Map<string, UsedValues>();
  charged(chequebook: string): Promise<bigint> {
    return Promise.resolve(this.#totals.get(chequebook) ?? 0n);
  }
  charge(chequebook: string, amount: bigint, use?: ChargeUse): Promise<bigint> {
    const total = (this.#totals.get(chequebook) ?? 0n) + amount;
    this.#totals.set(chequebook, total);
    if (use !== undefined) {
      const u = this.#used.get(chequebook) ?? { floor: 0n, values: [] };
      if (use.value > u.floor && !u.values.includes(use.value)) this.#used.set(chequebook, trimmed({ floor: u.floor, values: [...u.values, use.value] }, use.keep));
    }
    return Promise.resolve(total);
  }
  used(chequebook: string): Promise<UsedValues> {
    const u = this.#used.get(chequebook) ?? { floor: 0n, values: [] };
    return Promise.resolve({ floor: u.floor, values: [...u.values] });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A uint256 as 78 digits, so that SQLite orders the text as the number. */
const padded = (v: bigint) => v.toString().padStart(78, "0");

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
      db.exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE IF NOT EXISTS charged (chequebook TEXT PRIMARY KEY, total TEXT NOT NULL);" +
          " CREATE TABLE IF NOT EXISTS used_values (chequebook TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (chequebook, value));" +
          " CREATE TABLE IF NOT EXISTS used_floor (chequebook TEXT PRIMARY KEY, floor TEXT NOT NULL)",
      );
      return new SqliteChargeLedger(db);
    } catch (cause) {
      throw new ChequeError("STORE_FAILURE", `cannot open the charge ledger at ${path}`, { cause, details: { path } });
    }
  }

  charged(chequebook: string): Promise<bigint> {
    return Promise.resolve(this.#read(chequebook));
  }

  charge(chequebook: string, amount: bigint, use?: ChargeUse): Promise<bigint> {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const total = this.#read(chequebook) + amount;
        this.#db.prepare("INSERT INTO charged (chequebook, total) VALUES (?, ?) ON CONFLICT(chequebook) DO UPDATE SET total = excluded.total").run(chequebook, total.toString());
        if (use !== undefined) this.#use(chequebook, use);
        this.#db.exec("COMMIT");
        return Promise.resolve(total);
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    } catch (cause) {
      return Promise.reject(new ChequeError("STORE_FAILURE", "the charge ledger could not be written: nothing was charged", { cause }));
    }
  }

  used(chequebook: string): Promise<UsedValues> {
    const floor = this.#floor(chequebook);
    const rows = this.#db.prepare("SELECT value FROM used_values WHERE chequebook = ? ORDER BY value").all(chequebook) as Array<{ value: string }>;
    return Promise.resolve({ floor, values: rows.map((r) => BigInt(r.value)) });
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  #use(chequebook: string, use: ChargeUse): void {
    if (use.value <= this.#floor(chequebook)) return;
    this.#db.prepare("INSERT OR IGNORE INTO used_values (chequebook, value) VALUES (?, ?)").run(chequebook, padded(use.value));
    const { n } = this.#db.prepare("SELECT COUNT(*) AS n FROM used_values WHERE chequebook = ?").get(chequebook) as { n: number };
    const drop = n - Math.max(use.keep, 1);
    if (drop <= 0) return;
    const lowest = this.#db.prepare("SELECT value FROM used_values WHERE chequebook = ? ORDER BY value LIMIT ?").all(chequebook, drop) as Array<{ value: string }>;
    const floor = lowest[lowest.length - 1]!.value;
    this.#db.prepare("DELETE FROM used_values WHERE chequebook = ? AND value <= ?").run(chequebook, floor);
    this.#db.prepare("INSERT INTO used_floor (chequebook, floor) VALUES (?, ?) ON CONFLICT(chequebook) DO UPDATE SET floor = excluded.floor").run(chequebook, BigInt(floor).toString());
  }

  #floor(chequebook: string): bigint {
    const row = this.#db.prepare("SELECT floor FROM used_floor WHERE chequebook = ?").get(chequebook) as { floor: string } | undefined;
    return row === undefined ? 0n : BigInt(row.floor);
  }

  #read(chequebook: string): bigint {
    const row = this.#db.prepare("SELECT total FROM charged WHERE chequebook = ?").get(chequebook) as { total: string } | undefined;
    return row === undefined ? 0n : BigInt(row.total);
  }
}
