/**
 * A {@link ChequeStore} in PostgreSQL, for several processes (or machines) sharing one set of books.
 *
 * What holds across processes, whatever they do at the same time:
 * - a received or issued cheque only rises: `putReceived`/`putIssued` are single conditional upserts (a lower or
 *   equal cheque is refused with STALE_CHEQUE, atomically), and a trigger refuses any other writer's lowering too;
 * - `totalIssued` is the sum of the issued rows, so it never misses a concurrent issue;
 * - {@link PostgresChequeStore.exclusive} serialises work across processes (the issuer's funds check, a receipt's
 *   read-verify-write, a cash-out): an advisory lock the server drops if the holder dies.
 *
 * @example const store = await PostgresChequeStore.open("postgres://swap@db.internal/swap")
 */
import { randomUUID } from "node:crypto";

import { getAddress } from "ethers";

import type { SignedCheque } from "../../cheque/cheque.js";
import { ChequeError, isChequeError } from "../../errors.js";
import { requireHigher, requirePrevious } from "../rules.js";
import type { CashoutRecord, CashoutState, ChequeStore, ChequebookInfo, IssuedCheque, PendingTx, PutReceivedOptions, ReceivedCheque } from "../types.js";
import { PostgresDatabase, type PostgresStoreOptions } from "./database.js";
import { literal } from "./group-commit.js";

type Row = Record<string, unknown>;

const lower = (a: string) => a.toLowerCase();
const text = (v: unknown) => String(v);
const big = (v: unknown) => BigInt(String(v));

export class PostgresChequeStore implements ChequeStore {
  readonly #db: PostgresDatabase;

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Connects to the database at `url` and migrates it to this version's schema.
   *
   * @throws ChequeError STORE_SCHEMA_NEWER if newer code migrated it; STORE_FAILURE if it cannot be reached.
   * @example const store = await PostgresChequeStore.open(process.env.DATABASE_URL!)
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresChequeStore> {
    return new PostgresChequeStore(await PostgresDatabase.open(url, options));
  }

  /** Runs `work` holding the cross-process lock(s) `key` (see {@link PostgresDatabase.exclusive}). */
  exclusive<T>(key: string | readonly string[], work: () => Promise<T>): Promise<T> {
    return this.#db.exclusive((typeof key === "string" ? [key] : key).map((k) => `cheques:${k}`), work);
  }

  async getReceived(chequebook: string, beneficiary: string): Promise<ReceivedCheque | undefined> {
    const { rows } = await this.#db.query("get-received", "SELECT * FROM received WHERE chequebook = $1 AND beneficiary = $2", [lower(chequebook), lower(beneficiary)]);
    return rows[0] && received(rows[0]);
  }

  putReceived(cheque: SignedCheque, receivedAt = Date.now(), options: PutReceivedOptions = {}): Promise<void> {
    const writer = randomUUID();
    return this.#putReceived(cheque, receivedAt, options.previous, writer).catch((error: unknown) => this.#unheard(error, cheque, writer));
  }

  /**
   * A receipt that failed with STORE_FAILURE may have committed unheard (the connection broke at the commit): if the
   * cheque held carries this write's token, it did, and reporting it failed would lose an accepted payment (the
   * peer's re-send of it is stale by then). Anything else stays failed.
   */
  async #unheard(error: unknown, cheque: SignedCheque, writer: string): Promise<void> {
    if (!isChequeError(error, "STORE_FAILURE")) throw error;
    const held = await this.#db
      .query("received-writer", "SELECT writer FROM received WHERE chequebook = $1 AND beneficiary = $2", [lower(cheque.chequebook), lower(cheque.beneficiary)])
      .catch(() => undefined);
    if (held?.rows[0]?.writer !== writer) throw error;
  }

  #putReceived(cheque: SignedCheque, receivedAt: number, previous: bigint | undefined, writer: string): Promise<void> {
    if (previous === undefined) return this.#raise("received", cheque, receivedAt, writer);
    this.#db.assertOpen();
    const [book, to, amount, signature, at, token] = [lower(cheque.chequebook), lower(cheque.beneficiary), cheque.cumulativePayout, cheque.signature, receivedAt, writer].map(literal);
    // Compare-and-set: insert where none is held, or replace exactly the cheque the caller saw.
    const sql = previous === 0n
      ? `INSERT INTO received (chequebook, beneficiary, cumulative, signature, received_at, writer) VALUES (${book}, ${to}, ${amount}, ${signature}, ${at}, ${token}) ON CONFLICT (chequebook, beneficiary) DO NOTHING`
      : `UPDATE received SET cumulative = ${amount}, signature = ${signature}, received_at = ${at}, writer = ${token} WHERE chequebook = ${book} AND beneficiary = ${to} AND cumulative = ${literal(previous)} AND cumulative < ${amount}`;
    return this.#db.write({
      sql,
      settle: async (changed) => {
        if (changed === 1) return;
        const held = await this.getReceived(cheque.chequebook, cheque.beneficiary);
        requirePrevious(held?.cheque, cheque, previous);
        // Not written, yet nothing explains why (cheques only rise): never report it written.
        throw new ChequeError("STORE_CONFLICT", "the received cheque changed while it was written: read it again", { details: { chequebook: cheque.chequebook } });
      },
    });
  }

  async listReceived(beneficiary?: string): Promise<ReceivedCheque[]> {
    const { rows } = beneficiary === undefined
      ? await this.#db.query("list-received", "SELECT * FROM received ORDER BY chequebook, beneficiary")
      : await this.#db.query("list-received-for", "SELECT * FROM received WHERE beneficiary = $1 ORDER BY chequebook", [lower(beneficiary)]);
    return rows.map(received);
  }

  async getIssued(chequebook: string, beneficiary: string): Promise<IssuedCheque | undefined> {
    const { rows } = await this.#db.query("get-issued", "SELECT * FROM issued WHERE chequebook = $1 AND beneficiary = $2", [lower(chequebook), lower(beneficiary)]);
    return rows[0] && issued(rows[0]);
  }

  putIssued(cheque: SignedCheque, issuedAt = Date.now()): Promise<void> {
    return this.#raise("issued", cheque, issuedAt);
  }

  async listIssued(chequebook?: string): Promise<IssuedCheque[]> {
    const { rows } = chequebook === undefined
      ? await this.#db.query("list-issued", "SELECT * FROM issued ORDER BY chequebook, beneficiary")
      : await this.#db.query("list-issued-from", "SELECT * FROM issued WHERE chequebook = $1 ORDER BY beneficiary", [lower(chequebook)]);
    return rows.map(issued);
  }

  async totalIssued(chequebook: string): Promise<bigint> {
    const { rows } = await this.#db.query("total-issued", "SELECT coalesce(sum(cumulative), 0) AS total FROM issued WHERE chequebook = $1", [lower(chequebook)]);
    return big(rows[0]!.total);
  }

  /**
   * Writes `cheque` into `table` if it is above the row held, in one statement: of two processes racing, the
   * lower cheque is refused whichever commits first.
   */
  #raise(table: "received" | "issued", cheque: SignedCheque, at: number, writer?: string): Promise<void> {
    this.#db.assertOpen();
    // Received cheques carry the token of the write that stored them (see #unheard).
    const column = table === "received" ? "received_at, writer" : "issued_at";
    const set = table === "received" ? "received_at = excluded.received_at, writer = excluded.writer" : "issued_at = excluded.issued_at";
    const fields = [lower(cheque.chequebook), lower(cheque.beneficiary), cheque.cumulativePayout, cheque.signature, at];
    const values = (table === "received" ? [...fields, writer ?? null] : fields).map(literal).join(", ");
    return this.#db.write({
      sql:
        `INSERT INTO ${table} AS t (chequebook, beneficiary, cumulative, signature, ${column}) VALUES (${values}) ` +
        `ON CONFLICT (chequebook, beneficiary) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, ${set} ` +
        "WHERE t.cumulative < excluded.cumulative",
      settle: async (changed) => {
        if (changed === 1) return;
        const held = table === "received" ? await this.getReceived(cheque.chequebook, cheque.beneficiary) : await this.getIssued(cheque.chequebook, cheque.beneficiary);
        requireHigher(held?.cheque, cheque, table);
        throw new ChequeError("STORE_CONFLICT", `the ${table} cheque changed while it was written: read it again`, { details: { chequebook: cheque.chequebook } });
      },
    });
  }

  putCashout(r: CashoutRecord): Promise<void> {
    this.#db.assertOpen();
    return this.#write(
      "put-cashout",
      "INSERT INTO cashouts (id, chequebook, beneficiary, cumulative, status, tx_hash, paid, bounced, still_owed, gas_used, error, updated_at) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET chequebook = excluded.chequebook, " +
        "beneficiary = excluded.beneficiary, cumulative = excluded.cumulative, status = excluded.status, tx_hash = excluded.tx_hash, paid = excluded.paid, " +
        "bounced = excluded.bounced, still_owed = excluded.still_owed, gas_used = excluded.gas_used, error = excluded.error, updated_at = excluded.updated_at",
      [
        r.id, lower(r.chequebook), lower(r.beneficiary), r.cumulativePayout, r.status, r.txHash ?? null, r.paid ?? null,
        r.bounced ?? null, r.stillOwed ?? null, r.gasUsed ?? null, r.error ?? null, r.updatedAt,
      ],
    );
  }

  async listCashouts(chequebook?: string): Promise<CashoutRecord[]> {
    const { rows } = chequebook === undefined
      ? await this.#db.query("list-cashouts", "SELECT * FROM cashouts ORDER BY updated_at DESC, id DESC")
      : await this.#db.query("list-cashouts-of", "SELECT * FROM cashouts WHERE chequebook = $1 ORDER BY updated_at DESC, id DESC", [lower(chequebook)]);
    return rows.map(cashout);
  }

  putPendingTx(tx: PendingTx): Promise<void> {
    this.#db.assertOpen();
    return this.#write(
      "put-pending",
      "INSERT INTO pending_txs (key, hash, sender, nonce, created_at) VALUES ($1, $2, $3, $4, $5) " +
        "ON CONFLICT (key) DO UPDATE SET hash = excluded.hash, sender = excluded.sender, nonce = excluded.nonce, created_at = excluded.created_at",
      [tx.key, tx.hash, tx.from, tx.nonce, tx.createdAt],
    );
  }

  async getPendingTx(key: string): Promise<PendingTx | undefined> {
    const { rows } = await this.#db.query("get-pending", "SELECT * FROM pending_txs WHERE key = $1", [key]);
    return rows[0] && pending(rows[0]);
  }

  deletePendingTx(key: string): Promise<void> {
    this.#db.assertOpen();
    return this.#write("delete-pending", "DELETE FROM pending_txs WHERE key = $1", [key]);
  }

  async listPendingTx(): Promise<PendingTx[]> {
    return (await this.#db.query("list-pending", "SELECT * FROM pending_txs ORDER BY created_at, key")).rows.map(pending);
  }

  async getChequebookInfo(chequebook: string): Promise<ChequebookInfo | undefined> {
    const { rows } = await this.#db.query("get-info", "SELECT * FROM chequebooks WHERE chequebook = $1", [lower(chequebook)]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      chequebook: getAddress(text(row.chequebook)),
      issuer: getAddress(text(row.issuer)),
      token: getAddress(text(row.token)),
      factory: getAddress(text(row.factory)),
      issuerIsContract: row.issuer_is_contract === true,
    };
  }

  putChequebookInfo(info: ChequebookInfo): Promise<void> {
    this.#db.assertOpen();
    return this.#write(
      "put-info",
      "INSERT INTO chequebooks (chequebook, issuer, token, factory, issuer_is_contract) VALUES ($1, $2, $3, $4, $5) " +
        "ON CONFLICT (chequebook) DO UPDATE SET issuer = excluded.issuer, token = excluded.token, factory = excluded.factory, issuer_is_contract = excluded.issuer_is_contract",
      [lower(info.chequebook), lower(info.issuer), lower(info.token), lower(info.factory), info.issuerIsContract],
    );
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.#db.query("get-meta", "SELECT value FROM meta WHERE key = $1", [key]);
    return rows[0] === undefined ? undefined : text(rows[0].value);
  }

  putMeta(key: string, value: string): Promise<void> {
    this.#db.assertOpen();
    return this.#write("put-meta", "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
  }

  /** A plain write: `sql` with `$n` placeholders, the values inlined as literals. */
  #write(_name: string, sql: string, values: Array<string | number | bigint | boolean | null>): Promise<void> {
    return this.#db.write({ sql: sql.replace(/\$(\d+)/g, (_m, n: string) => literal(values[Number(n) - 1])) });
  }

  /** Commits the queued writes (waiting for them), then closes the connections. */
  close(): Promise<void> {
    return this.#db.close();
  }
}

function chequeOf(row: Row): SignedCheque {
  return { chequebook: getAddress(text(row.chequebook)), beneficiary: getAddress(text(row.beneficiary)), cumulativePayout: big(row.cumulative), signature: text(row.signature) };
}

function received(row: Row): ReceivedCheque {
  return { cheque: chequeOf(row), receivedAt: Number(row.received_at) };
}

function issued(row: Row): IssuedCheque {
  return { cheque: chequeOf(row), issuedAt: Number(row.issued_at) };
}

function pending(row: Row): PendingTx {
  return { key: text(row.key), hash: text(row.hash), from: getAddress(text(row.sender)), nonce: Number(row.nonce), createdAt: Number(row.created_at) };
}

function cashout(row: Row): CashoutRecord {
  const r: CashoutRecord = {
    id: text(row.id),
    chequebook: getAddress(text(row.chequebook)),
    beneficiary: getAddress(text(row.beneficiary)),
    cumulativePayout: big(row.cumulative),
    status: text(row.status) as CashoutState,
    updatedAt: Number(row.updated_at),
  };
  if (row.tx_hash !== null) r.txHash = text(row.tx_hash);
  if (row.paid !== null) r.paid = big(row.paid);
  if (row.bounced !== null) r.bounced = row.bounced === true;
  if (row.still_owed !== null) r.stillOwed = big(row.still_owed);
  if (row.gas_used !== null) r.gasUsed = big(row.gas_used);
  if (row.error !== null) r.error = text(row.error);
  return r;
}
