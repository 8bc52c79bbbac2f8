/**
 * A durable {@link ChequeStore} in one SQLite file, on Node's built-in `node:sqlite` (no native add-on to build).
 * The journal is WAL and every commit is `synchronous = FULL`, so a write that resolved survives a crash or a
 * power loss. Amounts are stored as decimal text: uint256 does not fit SQLite's 64-bit integers.
 *
 * One process owns a database file at a time: opening takes an exclusive lock (see {@link SqliteFile}), and a second
 * process is refused with STORE_LOCKED. Every write goes through one queue: writes made in the same turn of the
 * event loop commit together (group commit), and each write resolves only after its commit. When another connection
 * holds the write lock, the queue waits for it asynchronously (the event loop keeps running) and fails with
 * STORE_BUSY after `busyTimeoutMs`.
 *
 * NOTE: on Node 22, loading `node:sqlite` prints one ExperimentalWarning.
 */
import type { StatementSync } from "node:sqlite";

import { getAddress } from "ethers";

import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeError, isChequeError } from "../errors.js";
import { requireHigher, requirePrevious } from "./rules.js";
import { GroupCommit } from "./sqlite-commit.js";
import { SqliteFile, isSqliteBusy, type SqliteBusyOptions } from "./sqlite-file.js";
import type { CashoutRecord, CashoutState, ChequeStore, ChequebookInfo, IssuedCheque, PendingTx, PutReceivedOptions, ReceivedCheque } from "./types.js";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS received (
  chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative TEXT NOT NULL, signature TEXT NOT NULL,
  received_at INTEGER NOT NULL, PRIMARY KEY (chequebook, beneficiary));
CREATE TABLE IF NOT EXISTS issued (
  chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative TEXT NOT NULL, signature TEXT NOT NULL,
  issued_at INTEGER NOT NULL, PRIMARY KEY (chequebook, beneficiary));
CREATE TABLE IF NOT EXISTS issued_totals (chequebook TEXT PRIMARY KEY, total TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cashouts (
  id TEXT PRIMARY KEY, chequebook TEXT NOT NULL, beneficiary TEXT NOT NULL, cumulative TEXT NOT NULL,
  status TEXT NOT NULL, tx_hash TEXT, paid TEXT, bounced INTEGER, still_owed TEXT, gas_used TEXT, error TEXT,
  updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cashouts_by_chequebook ON cashouts (chequebook, updated_at);
CREATE TABLE IF NOT EXISTS pending_txs (
  key TEXT PRIMARY KEY, hash TEXT NOT NULL, sender TEXT NOT NULL, nonce INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chequebooks (
  chequebook TEXT PRIMARY KEY, issuer TEXT NOT NULL, token TEXT NOT NULL, factory TEXT NOT NULL,
  issuer_is_contract INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

type Row = Record<string, unknown>;

/** SQL on a store's connection, for tables kept beside the cheques (see {@link SqliteChequeStore.writeBeside}). */
export interface SqlAccess {
  /** A prepared statement, cached per text. */
  stmt(sql: string): StatementSync;
  exec(sql: string): void;
}

/** Options of {@link SqliteChequeStore.open}: how long writes wait for another connection's lock. */
export type SqliteStoreOptions = SqliteBusyOptions;

const lower = (a: string) => a.toLowerCase();

export class SqliteChequeStore implements ChequeStore {
  readonly path: string;
  #db: SqliteFile;
  #stmts = new Map<string, StatementSync>();
  #writes: GroupCommit;

  /**
   * Opens (creating if needed) the database at `path`, taking this process's exclusive lock on it.
   *
   * @param options.busyTimeoutMs - total milliseconds a write may wait for another connection's lock (default 5000).
   * @param options.onBusy - called on each retry while waiting.
   * @throws ChequeError STORE_LOCKED if another process (or another cheque store in this process) has the file open;
   * STORE_BUSY if creating or upgrading it finds it locked; STORE_FAILURE if it cannot be opened or has a newer schema.
   * @example const store = SqliteChequeStore.open("./node-data/cheques.db")
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteChequeStore {
    return new SqliteChequeStore(path, options);
  }

  private constructor(path: string, options: SqliteStoreOptions) {
    this.path = path;
    this.#db = SqliteFile.open(path, { ...options, owner: "cheque store" });
    this.#writes = new GroupCommit(this.#db, "cheque database");
    try {
      const version = Number((this.#db.prepare("PRAGMA user_version").get() as Row).user_version);
      if (version > SCHEMA_VERSION) {
        throw new ChequeError("STORE_FAILURE", `${path} was written by a newer version (schema ${version}); upgrade the SDK`);
      }
      // On a current database these change nothing and take no write lock.
      this.#db.exec(SCHEMA);
      if (version !== SCHEMA_VERSION) this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    } catch (cause) {
      this.#db.close();
      if (isChequeError(cause)) throw cause;
      if (isSqliteBusy(cause)) {
        throw new ChequeError("STORE_BUSY", `${path} is locked by another connection while its tables are created: retry`, { details: { path }, cause });
      }
      throw new ChequeError("STORE_FAILURE", `cannot open the cheque database ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** A read, retried asynchronously while another connection holds a lock that blocks it. */
  #read<T>(work: () => T): Promise<T> {
    return this.#db.retry(work).catch((cause: unknown) => {
      if (isChequeError(cause)) throw cause;
      throw new ChequeError("STORE_FAILURE", `reading the cheque database failed: ${(cause as Error).message}`, { cause });
    });
  }

  #cheque(row: Row): SignedCheque {
    return {
      chequebook: String(row.chequebook),
      beneficiary: String(row.beneficiary),
      cumulativePayout: BigInt(String(row.cumulative)),
      signature: String(row.signature),
    };
  }

  async getReceived(chequebook: string, beneficiary: string): Promise<ReceivedCheque | undefined> {
    return this.#read(() => {
      const row = this.#stmt("SELECT * FROM received WHERE chequebook = ? AND beneficiary = ?").get(lower(chequebook), lower(beneficiary)) as Row | undefined;
      return row && this.#received(row);
    });
  }

  #received(row: Row): ReceivedCheque {
    return { cheque: this.#withChecksums(this.#cheque(row)), receivedAt: Number(row.received_at) };
  }

  async putReceived(cheque: SignedCheque, receivedAt = Date.now(), options: PutReceivedOptions = {}): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      const row = this.#stmt("SELECT * FROM received WHERE chequebook = ? AND beneficiary = ?").get(lower(cheque.chequebook), lower(cheque.beneficiary)) as Row | undefined;
      requirePrevious(row && this.#cheque(row), cheque, options.previous);
      this.#stmt(
        "INSERT INTO received (chequebook, beneficiary, cumulative, signature, received_at) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (chequebook, beneficiary) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, received_at = excluded.received_at",
      ).run(lower(cheque.chequebook), lower(cheque.beneficiary), cheque.cumulativePayout.toString(), cheque.signature, receivedAt);
    });
  }

  async listReceived(beneficiary?: string): Promise<ReceivedCheque[]> {
    return this.#read(() => {
      const rows = (beneficiary === undefined
        ? this.#stmt("SELECT * FROM received ORDER BY chequebook, beneficiary").all()
        : this.#stmt("SELECT * FROM received WHERE beneficiary = ? ORDER BY chequebook").all(lower(beneficiary))) as Row[];
      return rows.map((r) => this.#received(r));
    });
  }

  async getIssued(chequebook: string, beneficiary: string): Promise<IssuedCheque | undefined> {
    return this.#read(() => {
      const row = this.#stmt("SELECT * FROM issued WHERE chequebook = ? AND beneficiary = ?").get(lower(chequebook), lower(beneficiary)) as Row | undefined;
      return row && this.#issued(row);
    });
  }

  #issued(row: Row): IssuedCheque {
    return { cheque: this.#withChecksums(this.#cheque(row)), issuedAt: Number(row.issued_at) };
  }

  async putIssued(cheque: SignedCheque, issuedAt = Date.now()): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      const book = lower(cheque.chequebook);
      const row = this.#stmt("SELECT * FROM issued WHERE chequebook = ? AND beneficiary = ?").get(book, lower(cheque.beneficiary)) as Row | undefined;
      const held = row && this.#cheque(row);
      requireHigher(held, cheque, "issued");
      this.#stmt(
        "INSERT INTO issued (chequebook, beneficiary, cumulative, signature, issued_at) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (chequebook, beneficiary) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, issued_at = excluded.issued_at",
      ).run(book, lower(cheque.beneficiary), cheque.cumulativePayout.toString(), cheque.signature, issuedAt);
      const total = this.#stmt("SELECT total FROM issued_totals WHERE chequebook = ?").get(book) as Row | undefined;
      const next = BigInt(String(total?.total ?? "0")) + cheque.cumulativePayout - (held?.cumulativePayout ?? 0n);
      this.#stmt("INSERT INTO issued_totals (chequebook, total) VALUES (?, ?) ON CONFLICT (chequebook) DO UPDATE SET total = excluded.total").run(book, next.toString());
    });
  }

  async listIssued(chequebook?: string): Promise<IssuedCheque[]> {
    return this.#read(() => {
      const rows = (chequebook === undefined
        ? this.#stmt("SELECT * FROM issued ORDER BY chequebook, beneficiary").all()
        : this.#stmt("SELECT * FROM issued WHERE chequebook = ? ORDER BY beneficiary").all(lower(chequebook))) as Row[];
      return rows.map((r) => this.#issued(r));
    });
  }

  async totalIssued(chequebook: string): Promise<bigint> {
    return this.#read(() => {
      const row = this.#stmt("SELECT total FROM issued_totals WHERE chequebook = ?").get(lower(chequebook)) as Row | undefined;
      return BigInt(String(row?.total ?? "0"));
    });
  }

  async putCashout(r: CashoutRecord): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      this.#stmt(
        "INSERT OR REPLACE INTO cashouts (id, chequebook, beneficiary, cumulative, status, tx_hash, paid, bounced, still_owed, gas_used, error, updated_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        r.id, lower(r.chequebook), lower(r.beneficiary), r.cumulativePayout.toString(), r.status, r.txHash ?? null,
        r.paid?.toString() ?? null, r.bounced === undefined ? null : Number(r.bounced), r.stillOwed?.toString() ?? null,
        r.gasUsed?.toString() ?? null, r.error ?? null, r.updatedAt,
      );
    });
  }

  async listCashouts(chequebook?: string): Promise<CashoutRecord[]> {
    return this.#read(() => {
      const rows = (chequebook === undefined
        ? this.#stmt("SELECT * FROM cashouts ORDER BY updated_at DESC").all()
        : this.#stmt("SELECT * FROM cashouts WHERE chequebook = ? ORDER BY updated_at DESC").all(lower(chequebook))) as Row[];
      return rows.map((row) => {
        const r: CashoutRecord = {
          id: String(row.id),
          chequebook: checksum(String(row.chequebook)),
          beneficiary: checksum(String(row.beneficiary)),
          cumulativePayout: BigInt(String(row.cumulative)),
          status: String(row.status) as CashoutState,
          updatedAt: Number(row.updated_at),
        };
        if (row.tx_hash !== null) r.txHash = String(row.tx_hash);
        if (row.paid !== null) r.paid = BigInt(String(row.paid));
        if (row.bounced !== null) r.bounced = Number(row.bounced) === 1;
        if (row.still_owed !== null) r.stillOwed = BigInt(String(row.still_owed));
        if (row.gas_used !== null) r.gasUsed = BigInt(String(row.gas_used));
        if (row.error !== null) r.error = String(row.error);
        return r;
      });
    });
  }

  async putPendingTx(tx: PendingTx): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      this.#stmt("INSERT OR REPLACE INTO pending_txs (key, hash, sender, nonce, created_at) VALUES (?, ?, ?, ?, ?)").run(tx.key, tx.hash, tx.from, tx.nonce, tx.createdAt);
    });
  }

  async getPendingTx(key: string): Promise<PendingTx | undefined> {
    return this.#read(() => {
      const row = this.#stmt("SELECT * FROM pending_txs WHERE key = ?").get(key) as Row | undefined;
      return row && pending(row);
    });
  }

  async deletePendingTx(key: string): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      this.#stmt("DELETE FROM pending_txs WHERE key = ?").run(key);
    });
  }

  async listPendingTx(): Promise<PendingTx[]> {
    return this.#read(() => (this.#stmt("SELECT * FROM pending_txs ORDER BY created_at").all() as Row[]).map(pending));
  }

  async getChequebookInfo(chequebook: string): Promise<ChequebookInfo | undefined> {
    return this.#read(() => {
      const row = this.#stmt("SELECT * FROM chequebooks WHERE chequebook = ?").get(lower(chequebook)) as Row | undefined;
      if (row === undefined) return undefined;
      return {
        chequebook: checksum(String(row.chequebook)),
        issuer: checksum(String(row.issuer)),
        token: checksum(String(row.token)),
        factory: checksum(String(row.factory)),
        issuerIsContract: Number(row.issuer_is_contract) === 1,
      };
    });
  }

  async putChequebookInfo(info: ChequebookInfo): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      this.#stmt("INSERT OR REPLACE INTO chequebooks (chequebook, issuer, token, factory, issuer_is_contract) VALUES (?, ?, ?, ?, ?)").run(
        lower(info.chequebook), lower(info.issuer), lower(info.token), lower(info.factory), Number(info.issuerIsContract),
      );
    });
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.#read(() => {
      const row = this.#stmt("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
      return row === undefined ? undefined : String(row.value);
    });
  }

  async putMeta(key: string, value: string): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => {
      this.#stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
    });
  }

  /**
   * Runs `work` on this store's connection inside its group commit: it commits together with every write queued in
   * the same turn (one fsync for all), in a savepoint of its own (if it throws, only it is undone), and resolves
   * after that commit. For tables kept beside the cheques, such as the x402 charge ledger.
   *
   * @throws ChequeError STORE_FAILURE, STORE_BUSY as the store's own writes.
   */
  async writeBeside(work: (sql: SqlAccess) => void): Promise<void> {
    this.#open();
    return this.#writes.enqueue(() => work(this.#sql));
  }

  /** Runs a read on this store's connection (committed data), retried while another connection holds a lock. */
  async readBeside<T>(work: (sql: SqlAccess) => T): Promise<T> {
    return this.#read(() => work(this.#sql));
  }

  readonly #sql: SqlAccess = { stmt: (sql) => this.#stmt(sql), exec: (sql) => this.#db.exec(sql) };

  #open(): void {
    if (!this.#db.isOpen) throw new ChequeError("STORE_FAILURE", "the cheque database is closed");
  }

  /** Commits the queued writes (waiting for them), then closes the database and releases its lock. */
  async close(): Promise<void> {
    await this.#writes.drained();
    this.#stmts.clear();
    this.#db.close();
  }

  #withChecksums(c: SignedCheque): SignedCheque {
    return { ...c, chequebook: checksum(c.chequebook), beneficiary: checksum(c.beneficiary) };
  }
}

function checksum(address: string): string {
  return getAddress(address);
}

function pending(row: Row): PendingTx {
  return { key: String(row.key), hash: String(row.hash), from: checksum(String(row.sender)), nonce: Number(row.nonce), createdAt: Number(row.created_at) };
}
