/**
 * The durable part of SWAP accounting: per peer, the balance (and its split by protocol), the peer's announced
 * terms, the cool-down after a disconnect, the payment in flight, what was paid per beneficiary and credited per
 * chequebook, and the write-ahead record of a cheque being received. Written through on every change, so a restart
 * forgives no debt and pays nothing twice.
 */

import { ChequeError, isChequeError } from "../errors.js";
import { SqliteFile, isSqliteBusy, type SqliteBusyOptions } from "../store/sqlite-file.js";

/** A payment sent and not yet acknowledged. */
export interface InflightPayment {
  /** Accounting units it pays. */
  units: bigint;
  /** Hard phase: the beneficiary the cheque is made out to, and its cumulative payout. */
  beneficiary?: string;
  cumulativePayout?: bigint;
  /** Mock phase: the cheque's date (unix seconds), which identifies the payment. */
  date?: number;
  /** Unix milliseconds. */
  sentAt: number;
}

/**
 * Hard phase: what our chequebook promised one beneficiary the peer named, in token base units. Cheques are
 * cumulative per beneficiary, so this is kept per beneficiary, never per peer.
 */
export interface Payout {
  /** The cumulative payout of the last cheque issued to it (sent or not). */
  issued: bigint;
  /** The cumulative payout of the last cheque the peer acknowledged as accepted. */
  paid: bigint;
}

/** A cheque being verified: written before the cheque is handed to the receiver (write-ahead). */
export interface ReceivingCheque {
  chequebook: string;
  cumulativePayout: bigint;
}

/** Everything kept about one peer. Balances are in accounting units; positive means the peer owes us. */
export interface PeerLedger {
  peer: string;
  balance: bigint;
  byProtocol: Record<string, bigint>;
  /**
   * The part of a negative balance that the peer paid in advance (at most our payment threshold): it is used up
   * by serving the peer, and is never paid back.
   */
  prepaid: bigint;
  /** The payment threshold the peer announced. */
  peerPaymentThreshold?: bigint;
  /** Hard phase: whom we pay now, and the chequebook the peer pays us from now. */
  peerBeneficiary?: string;
  peerChequebook?: string;
  /** Unix milliseconds before which the peer may not reconnect. */
  cooldownUntil: number;
  inflight?: InflightPayment | undefined;
  /** Hard phase: per beneficiary the peer ever named (bound to it), what we issued and what it acknowledged. */
  payouts: Record<string, Payout>;
  /** Hard phase: per chequebook the peer ever paid with (bound to it), the cumulative payout we credited. */
  credited: Record<string, bigint>;
  /** Hard phase: the cheque being received, if any (the write-ahead record crash recovery reads). */
  receiving?: ReceivingCheque | undefined;
  /** Token base units received but not yet worth a whole accounting unit. */
  tokenRemainder: bigint;
  /** Mock phase: the date of our last payment; each new one is later, so the peer can tell a re-send. */
  lastPaymentDate?: number;
  /** Mock phase: the last payment credited from the peer, to acknowledge a re-send without crediting it twice. */
  lastMockReceived?: { date: number; amount: number };
  /**
   * Messages refused since the peer last earned one back (see `maxRefusals`). Kept with the record so that leaving,
   * being evicted from memory or a restart does not give a peer a fresh allowance.
   */
  refusals?: number;
}

/** Where {@link PeerLedger}s live. */
export interface LedgerStore {
  /** Every peer's ledger. */
  loadAll(): Promise<PeerLedger[]>;
  /** One peer's ledger; lets the engine evict idle settled peers from memory and bring them back. */
  load?(peer: string): Promise<PeerLedger | undefined>;
  /** Writes one peer's ledger; durable when it resolves. */
  save(ledger: PeerLedger): Promise<void>;
  /** Writes several peers' ledgers at once (one commit); durable when it resolves. */
  saveMany?(ledgers: PeerLedger[]): Promise<void>;
  /**
   * Writes one peer's ledger before it returns, as durable as the store gets (a store in memory). When a store has
   * it, the engine writes each change as it is made, and a booking is durable when its call returns; otherwise
   * changes made in one turn of the event loop are written together. Throws if the write failed.
   */
  saveNow?(ledger: PeerLedger): void;
  close(): Promise<void>;
}

/** A new, empty ledger for `peer`. */
export function emptyLedger(peer: string): PeerLedger {
  return { peer, balance: 0n, byProtocol: {}, prepaid: 0n, cooldownUntil: 0, payouts: {}, credited: {}, tokenRemainder: 0n };
}

/**
 * Brings a ledger written by an earlier version up to date: `paidCumulative`/`creditedCumulative` per peer become
 * the per-beneficiary and per-chequebook records they always meant.
 */
export function upgradeLedger(l: PeerLedger & { paidCumulative?: bigint; creditedCumulative?: bigint }): PeerLedger {
  const { paidCumulative, creditedCumulative, ...rest } = l;
  const out: PeerLedger = { ...rest, prepaid: l.prepaid ?? 0n, payouts: l.payouts ?? {}, credited: l.credited ?? {} };
  if (l.payouts === undefined && l.peerBeneficiary !== undefined && paidCumulative !== undefined) {
    out.payouts[l.peerBeneficiary] = { issued: paidCumulative, paid: paidCumulative };
  }
  if (l.credited === undefined && l.peerChequebook !== undefined && creditedCumulative !== undefined) {
    out.credited[l.peerChequebook] = creditedCumulative;
  }
  return out;
}

/** A ledger as JSON text (bigints tagged), as the durable stores keep it. */
export function ledgerToJson(l: PeerLedger): string {
  return JSON.stringify(l, (_k, v) => (typeof v === "bigint" ? { $big: v.toString() } : v));
}

/** The inverse of {@link ledgerToJson}. */
export function ledgerFromJson(text: string): PeerLedger {
  return JSON.parse(text, (_k, v) => (v !== null && typeof v === "object" && typeof v.$big === "string" ? BigInt(v.$big) : v)) as PeerLedger;
}

/**
 * Ledgers in memory: nothing survives the process. The engine hands it fresh copies, so it keeps them as they are;
 * it writes through {@link saveNow}, at once.
 */
export class MemoryLedgerStore implements LedgerStore {
  #rows = new Map<string, PeerLedger>();
  async loadAll() {
    return [...this.#rows.values()].map((l) => structuredClone(l));
  }
  async load(peer: string) {
    const l = this.#rows.get(peer);
    return l && structuredClone(l);
  }
  async save(ledger: PeerLedger) {
    this.saveNow(ledger);
  }
  saveNow(ledger: PeerLedger): void {
    this.#rows.set(ledger.peer, ledger);
  }
  async close() {}
}

/**
 * Ledgers in a SQLite file, normally the cheque store's own file (`swap_ledger` table), in WAL mode with
 * `synchronous = FULL`. The file is owned by this process (see {@link SqliteFile}): a second process, or a second
 * ledger in this one, is refused; waits for another connection's lock keep the event loop running.
 */
export class SqliteLedgerStore implements LedgerStore {
  #db: SqliteFile;

  private constructor(path: string, options: SqliteBusyOptions) {
    this.#db = SqliteFile.open(path, { ...options, owner: "SWAP ledger" });
    try {
      this.#db.exec("CREATE TABLE IF NOT EXISTS swap_ledger (peer TEXT PRIMARY KEY, record TEXT NOT NULL)");
    } catch (cause) {
      this.#db.close();
      if (isSqliteBusy(cause)) throw new ChequeError("STORE_BUSY", `cannot create the ledger table in ${path}: another connection holds the lock`, { details: { path }, cause });
      throw new ChequeError("STORE_FAILURE", `cannot open the ledger in ${path}: ${(cause as Error).message}`, { details: { path }, cause });
    }
  }

  /**
   * Opens the ledger table in the database at `path` (share the cheque store's file).
   *
   * @throws ChequeError STORE_LOCKED if another process (or another ledger in this one) has the file open;
   *   STORE_BUSY, STORE_FAILURE.
   */
  static open(path: string, options: SqliteBusyOptions = {}): SqliteLedgerStore {
    return new SqliteLedgerStore(path, options);
  }

  async loadAll(): Promise<PeerLedger[]> {
    try {
      const rows = await this.#db.retry(() => this.#db.prepare("SELECT record FROM swap_ledger").all() as Array<{ record: string }>);
      return rows.map((r) => ledgerFromJson(r.record));
    } catch (cause) {
      if (isChequeError(cause)) throw cause;
      throw new ChequeError("STORE_FAILURE", `reading the ledger failed: ${(cause as Error).message}`, { cause });
    }
  }

  async load(peer: string): Promise<PeerLedger | undefined> {
    try {
      const row = await this.#db.retry(() => this.#db.prepare("SELECT record FROM swap_ledger WHERE peer = ?").get(peer) as { record: string } | undefined);
      return row === undefined ? undefined : ledgerFromJson(row.record);
    } catch (cause) {
      if (isChequeError(cause)) throw cause;
      throw new ChequeError("STORE_FAILURE", `reading the ledger failed: ${(cause as Error).message}`, { cause });
    }
  }

  async save(ledger: PeerLedger): Promise<void> {
    return this.saveMany([ledger]);
  }

  /** Writes the records in one transaction; waits for another connection's lock without blocking. */
  async saveMany(ledgers: PeerLedger[]): Promise<void> {
    try {
      await this.#db.write(() => {
        const statement = this.#db.prepare("INSERT INTO swap_ledger (peer, record) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET record = excluded.record");
        for (const ledger of ledgers) statement.run(ledger.peer, ledgerToJson(ledger));
      });
    } catch (cause) {
      if (isChequeError(cause)) throw cause;
      throw new ChequeError("STORE_FAILURE", `writing the ledger failed: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
