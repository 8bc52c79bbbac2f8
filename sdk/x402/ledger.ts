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
import { DatabaseSync, type StatementSync } from "node:sqlite";

import { ChequeError } from "../errors.js";
import type { SqlAccess, SqliteChequeStore } from "../store/sqlite.js";

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

/** What a ledger's rows live in, when other ledger objects share them: the store a ledger beside it writes to. */
const scopes = new WeakMap<ChargeLedger, object>();

/**
 * The identity of the rows `ledger` writes: the cheque store for ledgers beside one (two of them share their
 * tables), else the ledger itself. Its totals are per chequebook, so one scope serves one beneficiary.
 *
 * @internal used by {@link ChequeAccounts} to refuse two beneficiaries on one ledger.
 */
export function chargeLedgerScope(ledger: ChargeLedger): object {
  return scopes.get(ledger) ?? ledger;
}

/** A uint256 as 78 digits, so that SQLite orders the text as the number. */
const padded = (v: bigint) => v.toString().padStart(78, "0");

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS charged (chequebook TEXT PRIMARY KEY, total TEXT NOT NULL);" +
  " CREATE TABLE IF NOT EXISTS used_values (chequebook TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (chequebook, value));" +
  " CREATE TABLE IF NOT EXISTS used_floor (chequebook TEXT PRIMARY KEY, floor TEXT NOT NULL)";

/** Where the ledger's SQL runs: its own file, or the connection and group commit of a cheque store. */
interface LedgerBackend {
  write(work: (sql: SqlAccess) => void): Promise<void>;
  read<T>(work: (sql: SqlAccess) => T): Promise<T>;
  close(): Promise<void>;
}

/** A ledger file of its own: each write is one transaction, committed before it resolves. */
function fileBackend(db: DatabaseSync): LedgerBackend {
  const stmts = new Map<string, StatementSync>();
  const sql: SqlAccess = {
    stmt: (text) => {
      let s = stmts.get(text);
      if (s === undefined) stmts.set(text, (s = db.prepare(text)));
      return s;
    },
    exec: (text) => db.exec(text),
  };
  return {
    write: (work) => {
      try {
        db.exec("BEGIN IMMEDIATE");
        try {
          work(sql);
          db.exec("COMMIT");
        } catch (error) {
          db.exec("ROLLBACK");
          throw error;
        }
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    read: (work) => {
      try {
        return Promise.resolve(work(sql));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/**
 * A {@link ChargeLedger} in SQLite (Node's built-in SQLite, `synchronous=FULL`): a write is on disk when it resolves.
 * {@link SqliteChargeLedger.beside} keeps it in the cheque store's file and commits its writes in the store's group
 * commit (the recommended form: one fsync for the cheques and charges of many concurrent requests, and the two can
 * never drift apart); {@link SqliteChargeLedger.open} keeps it in a file of its own, one fsync per charge.
 *
 * @throws ChequeError STORE_FAILURE if the file cannot be opened or written.
 */
export class SqliteChargeLedger implements ChargeLedger {
  readonly #backend: LedgerBackend;

  private constructor(backend: LedgerBackend) {
    this.#backend = backend;
  }

  /** Opens (or creates) the ledger in a file of its own at `path` (`:memory:` for tests); one process per file. */
  static open(path: string): SqliteChargeLedger {
    try {
      const db = new DatabaseSync(path);
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; " + SCHEMA);
      return new SqliteChargeLedger(fileBackend(db));
    } catch (cause) {
      throw new ChequeError("STORE_FAILURE", `cannot open the charge ledger at ${path}`, { cause, details: { path } });
    }
  }

  /**
   * The ledger in `store`'s own database file: its writes join the store's group commit, so the cheque a request
   * brought and the charges of other requests commit together. Closing the ledger leaves the store open.
   *
   * @example const ledger = await SqliteChargeLedger.beside(store)
   */
  static async beside(store: SqliteChequeStore): Promise<SqliteChargeLedger> {
    try {
      await store.writeBeside((sql) => sql.exec(SCHEMA));
    } catch (cause) {
      throw new ChequeError("STORE_FAILURE", `cannot create the charge ledger in ${store.path}`, { cause, details: { path: store.path } });
    }
    const ledger = new SqliteChargeLedger({ write: (w) => store.writeBeside(w), read: (w) => store.readBeside(w), close: () => Promise.resolve() });
    scopes.set(ledger, store);
    return ledger;
  }

  charged(chequebook: string): Promise<bigint> {
    return this.#backend.read((sql) => total(sql, chequebook));
  }

  async charge(chequebook: string, amount: bigint, use?: ChargeUse): Promise<bigint> {
    let after = 0n;
    try {
      await this.#backend.write((sql) => {
        after = total(sql, chequebook) + amount;
        sql.stmt("INSERT INTO charged (chequebook, total) VALUES (?, ?) ON CONFLICT(chequebook) DO UPDATE SET total = excluded.total").run(chequebook, after.toString());
        if (use !== undefined) record(sql, chequebook, use);
      });
    } catch (cause) {
      throw new ChequeError("STORE_FAILURE", "the charge ledger could not be written: nothing was charged", { cause });
    }
    return after;
  }

  used(chequebook: string): Promise<UsedValues> {
    return this.#backend.read((sql) => {
      const rows = sql.stmt("SELECT value FROM used_values WHERE chequebook = ? ORDER BY value").all(chequebook) as Array<{ value: string }>;
      return { floor: floorOf(sql, chequebook), values: rows.map((r) => BigInt(r.value)) };
    });
  }

  close(): Promise<void> {
    return this.#backend.close();
  }
}

function record(sql: SqlAccess, chequebook: string, use: ChargeUse): void {
  if (use.value <= floorOf(sql, chequebook)) return;
  sql.stmt("INSERT OR IGNORE INTO used_values (chequebook, value) VALUES (?, ?)").run(chequebook, padded(use.value));
  const { n } = sql.stmt("SELECT COUNT(*) AS n FROM used_values WHERE chequebook = ?").get(chequebook) as { n: number };
  const drop = n - Math.max(use.keep, 1);
  if (drop <= 0) return;
  const lowest = sql.stmt("SELECT value FROM used_values WHERE chequebook = ? ORDER BY value LIMIT ?").all(chequebook, drop) as Array<{ value: string }>;
  const floor = lowest[lowest.length - 1]!.value;
  sql.stmt("DELETE FROM used_values WHERE chequebook = ? AND value <= ?").run(chequebook, floor);
  sql.stmt("INSERT INTO used_floor (chequebook, floor) VALUES (?, ?) ON CONFLICT(chequebook) DO UPDATE SET floor = excluded.floor").run(chequebook, BigInt(floor).toString());
}

function floorOf(sql: SqlAccess, chequebook: string): bigint {
  const row = sql.stmt("SELECT floor FROM used_floor WHERE chequebook = ?").get(chequebook) as { floor: string } | undefined;
  return row === undefined ? 0n : BigInt(row.floor);
}

function total(sql: SqlAccess, chequebook: string): bigint {
  const row = sql.stmt("SELECT total FROM charged WHERE chequebook = ?").get(chequebook) as { total: string } | undefined;
  return row === undefined ? 0n : BigInt(row.total);
}
