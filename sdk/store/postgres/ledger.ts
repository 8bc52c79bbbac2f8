/**
 * The SWAP ledger ({@link LedgerStore}) in PostgreSQL, beside a {@link PostgresChequeStore} in the same database.
 *
 * Each peer's record carries a version. A save names the version this store last read or wrote, and is refused
 * with STORE_CONFLICT if another process wrote the record since: a process working from an old copy of a peer's
 * books can never overwrite newer ones (no lost update); it must reload. Writes go through the group commit. A save
 * reported failed whose commit happened unheard (the connection broke at the commit) is recognised as this store's
 * own at the next save of that peer, rather than refused as another process's.
 * Saves of one peer from this store run in order, one after the other.
 *
 * @example const ledger = await PostgresLedgerStore.open("postgres://swap@db.internal/swap")
 */
import { ChequeError, isChequeError } from "../../errors.js";
import { KeyedMutex } from "../../mutex.js";
import { ledgerFromJson, ledgerToJson, type LedgerStore, type PeerLedger } from "../../swap/ledger.js";
import { PostgresDatabase, type PostgresStoreOptions } from "./database.js";
import { literal } from "./group-commit.js";

export class PostgresLedgerStore implements LedgerStore {
  readonly #db: PostgresDatabase;
  /** The version of each peer's record as this store last read or wrote it. */
  readonly #versions = new Map<string, number>();
  readonly #order = new KeyedMutex();
  /**
   * Per peer, the save that failed with STORE_FAILURE, whose commit may have happened unheard (the connection broke
   * at the commit): the record and version it would have made. If the database holds exactly that, it is ours.
   */
  readonly #unknown = new Map<string, { record: string; version: number }>();

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Connects to the database at `url` and migrates it.
   *
   * @throws ChequeError STORE_SCHEMA_NEWER, STORE_FAILURE.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresLedgerStore> {
    return new PostgresLedgerStore(await PostgresDatabase.open(url, options));
  }

  async loadAll(): Promise<PeerLedger[]> {
    const { rows } = await this.#db.query<{ peer: string; record: string; version: string }>("ledger-all", "SELECT peer, record, version FROM swap_ledger");
    return rows.map((r) => this.#seen(r));
  }

  async load(peer: string): Promise<PeerLedger | undefined> {
    const { rows } = await this.#db.query<{ peer: string; record: string; version: string }>("ledger-one", "SELECT peer, record, version FROM swap_ledger WHERE peer = $1", [peer]);
    return rows[0] && this.#seen(rows[0]);
  }

  #seen(row: { peer: string; record: string; version: string }): PeerLedger {
    this.#versions.set(row.peer, Number(row.version));
    return ledgerFromJson(row.record);
  }

  save(ledger: PeerLedger): Promise<void> {
    return this.saveMany([ledger]);
  }

  /**
   * Writes the records (in the same group commit when called together).
   *
   * @throws ChequeError STORE_CONFLICT (for a record another process wrote since this store read it; the others are
   *   written), STORE_FAILURE.
   */
  async saveMany(ledgers: PeerLedger[]): Promise<void> {
    this.#db.assertOpen();
    const results = await Promise.allSettled(ledgers.map((l) => this.#order.run(l.peer, () => this.#save(l))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  async #save(ledger: PeerLedger): Promise<void> {
    await this.#settleUnknown(ledger.peer);
    const expected = this.#versions.get(ledger.peer);
    const record = ledgerToJson(ledger);
    const [peer, json] = [literal(ledger.peer), literal(record)];
    const write = this.#db.write({
      sql: expected === undefined
        ? `INSERT INTO swap_ledger (peer, record, version) VALUES (${peer}, ${json}, 1) ON CONFLICT (peer) DO NOTHING`
        : `UPDATE swap_ledger SET record = ${json}, version = version + 1 WHERE peer = ${peer} AND version = ${literal(expected)}`,
      settle: (changed) => {
        if (changed === 1) return;
        throw new ChequeError("STORE_CONFLICT", `the ledger of ${ledger.peer.slice(0, 64)} was written by another process since this one read it: reload it`, {
          details: { key: ledger.peer, expectedVersion: expected ?? 0 },
        });
      },
    });
    try {
      await write;
    } catch (error) {
      if (isChequeError(error, "STORE_FAILURE")) this.#unknown.set(ledger.peer, { record, version: (expected ?? 0) + 1 });
      throw error;
    }
    this.#versions.set(ledger.peer, (expected ?? 0) + 1);
  }

  /** Adopts the version of a save whose outcome was unknown, if the database holds exactly what it wrote. */
  async #settleUnknown(peer: string): Promise<void> {
    const unknown = this.#unknown.get(peer);
    if (unknown === undefined) return;
    const { rows } = await this.#db.query<{ record: string; version: string }>("ledger-one", "SELECT peer, record, version FROM swap_ledger WHERE peer = $1", [peer]);
    const row = rows[0];
    if (row !== undefined && Number(row.version) === unknown.version && row.record === unknown.record) this.#versions.set(peer, unknown.version);
    this.#unknown.delete(peer);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
