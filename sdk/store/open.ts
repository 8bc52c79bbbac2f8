/**
 * Opening a store by name: a PostgreSQL connection URL (`postgres://…` or `postgresql://…`) or a SQLite file path.
 * The PostgreSQL client is loaded only when a URL is given.
 */
import type { LedgerStore } from "../swap/ledger.js";
import { SqliteLedgerStore } from "../swap/ledger.js";
import type { PostgresStoreOptions } from "./postgres/database.js";
import { isPostgresUrl } from "./postgres/url.js";
import { SqliteChequeStore, type SqliteStoreOptions } from "./sqlite.js";
import type { ChequeStore } from "./types.js";

/** Options of {@link openChequeStore} and {@link openLedgerStore}: each applies to its kind of database. */
export interface OpenStoreOptions {
  sqlite?: SqliteStoreOptions;
  postgres?: PostgresStoreOptions;
}

/**
 * Opens the cheque store named by `urlOrPath`: {@link PostgresChequeStore} for a `postgres://` URL (several processes
 * may share it), otherwise {@link SqliteChequeStore} on that file (one process owns it).
 *
 * @throws ChequeError STORE_LOCKED, STORE_BUSY (SQLite); STORE_SCHEMA_NEWER, STORE_FAILURE.
 * @example const store = await openChequeStore(process.env.CHEQUE_DB ?? "./node-data/cheques.db")
 */
export async function openChequeStore(urlOrPath: string, options: OpenStoreOptions = {}): Promise<ChequeStore> {
  if (isPostgresUrl(urlOrPath)) {
    const { PostgresChequeStore } = await import("./postgres/cheques.js");
    return PostgresChequeStore.open(urlOrPath, options.postgres);
  }
  return SqliteChequeStore.open(urlOrPath, options.sqlite);
}

/**
 * Opens the SWAP ledger named by `urlOrPath`, as {@link openChequeStore} does (give both the same name).
 *
 * @throws ChequeError as {@link openChequeStore}.
 */
export async function openLedgerStore(urlOrPath: string, options: OpenStoreOptions = {}): Promise<LedgerStore> {
  if (isPostgresUrl(urlOrPath)) {
    const { PostgresLedgerStore } = await import("./postgres/ledger.js");
    return PostgresLedgerStore.open(urlOrPath, options.postgres);
  }
  return SqliteLedgerStore.open(urlOrPath, options.sqlite);
}
