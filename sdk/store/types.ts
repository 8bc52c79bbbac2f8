/**
 * What a node keeps about cheques: the best cheque received from each chequebook, the last cheque issued to each
 * beneficiary with the running total, cash-out attempts and results, pending transactions, and the immutable
 * facts learnt about chequebooks. Every write resolves only once it is durable.
 */
import type { SignedCheque } from "../cheque/cheque.js";

/** A cheque received and accepted. */
export interface ReceivedCheque {
  cheque: SignedCheque;
  /** Unix milliseconds. */
  receivedAt: number;
}

/** Options of {@link ChequeStore.putReceived}. */
export interface PutReceivedOptions {
  /** The cumulative payout the caller saw held (0n: none); the write happens only if it is still so. */
  previous?: bigint;
}

/** A cheque issued (signed and committed before it was handed out). */
export interface IssuedCheque {
  cheque: SignedCheque;
  /** Unix milliseconds. */
  issuedAt: number;
}

/** The state of a cash-out attempt. */
export type CashoutState = "pending" | "confirmed" | "failed" | "dropped";

/** One cash-out attempt and, once known, its result. */
export interface CashoutRecord {
  id: string;
  chequebook: string;
  beneficiary: string;
  cumulativePayout: bigint;
  status: CashoutState;
  txHash?: string;
  /** Tokens that left the chequebook (including a caller fee). */
  paid?: bigint;
  bounced?: boolean;
  /** What the cheque still owes after this cash-out. */
  stillOwed?: bigint;
  gasUsed?: bigint;
  /** Why it failed, when it did. */
  error?: string;
  /** Unix milliseconds. */
  updatedAt: number;
}

/** A transaction sent and not yet settled, so a restarted process can find it again. */
export interface PendingTx {
  /** What the transaction is for, e.g. `deploy:<address>` or `cashout:<chequebook>`. */
  key: string;
  hash: string;
  from: string;
  nonce: number;
  /** Unix milliseconds. */
  createdAt: number;
}

/** Facts about a chequebook that never change, learnt once from the chain. */
export interface ChequebookInfo {
  chequebook: string;
  issuer: string;
  token: string;
  /** The trusted factory that deployed it. */
  factory: string;
  /** Whether the issuer is a contract (ERC-1271) rather than a key. */
  issuerIsContract: boolean;
}

/**
 * Storage for cheques. Implementations: {@link MemoryChequeStore} (tests, ephemeral nodes), {@link SqliteChequeStore}
 * (durable, one process) and {@link PostgresChequeStore} (durable, shared by several processes).
 */
export interface ChequeStore {
  /** The best cheque received from `chequebook` for `beneficiary`. */
  getReceived(chequebook: string, beneficiary: string): Promise<ReceivedCheque | undefined>;
  /**
   * Records an accepted cheque; durable when it resolves.
   *
   * @param options.previous - write only if the cumulative payout held is still exactly this (0n: none held), in
   *   the same atomic step: a compare-and-set, so that an increment measured from `previous` is credited once even
   *   when other processes write meanwhile.
   * @throws ChequeError STALE_CHEQUE if a cheque at least as high is held already (so concurrent writers cannot
   * lower it); STORE_CONFLICT if `previous` is given and another cheque (lower than this one) is held instead.
   */
  putReceived(cheque: SignedCheque, receivedAt?: number, options?: PutReceivedOptions): Promise<void>;
  /** Every best received cheque, optionally for one beneficiary. */
  listReceived(beneficiary?: string): Promise<ReceivedCheque[]>;

  /** The last cheque issued from `chequebook` to `beneficiary`. */
  getIssued(chequebook: string, beneficiary: string): Promise<IssuedCheque | undefined>;
  /**
   * Records an issued cheque and raises the chequebook's total issued; durable when it resolves.
   *
   * @throws ChequeError STALE_CHEQUE if it is not above the last cheque issued to that beneficiary.
   */
  putIssued(cheque: SignedCheque, issuedAt?: number): Promise<void>;
  /** Every last-issued cheque, optionally from one chequebook. */
  listIssued(chequebook?: string): Promise<IssuedCheque[]>;
  /** The sum of the last cheques issued from `chequebook` to each beneficiary. */
  totalIssued(chequebook: string): Promise<bigint>;

  /** Inserts or replaces a cash-out record (by id). */
  putCashout(record: CashoutRecord): Promise<void>;
  /** Cash-out records, newest first, optionally for one chequebook. */
  listCashouts(chequebook?: string): Promise<CashoutRecord[]>;

  putPendingTx(tx: PendingTx): Promise<void>;
  getPendingTx(key: string): Promise<PendingTx | undefined>;
  deletePendingTx(key: string): Promise<void>;
  listPendingTx(): Promise<PendingTx[]>;

  getChequebookInfo(chequebook: string): Promise<ChequebookInfo | undefined>;
  putChequebookInfo(info: ChequebookInfo): Promise<void>;

  /**
   * A small named value kept beside the cheques (e.g. a watcher's last processed block); undefined if never set.
   * Keys and values are the caller's own strings; no peer input belongs here.
   */
  getMeta(key: string): Promise<string | undefined>;
  /** Sets (or replaces) a named value; durable when it resolves. */
  putMeta(key: string, value: string): Promise<void>;

  /**
   * Optional, for stores shared by several processes ({@link PostgresChequeStore}): runs `work` while holding the
   * lock named `key`, which one caller at a time holds across every process using the same database. The SDK wraps
   * in it what must not interleave across processes: an issue's funds check, signature and commit
   * (`issue:<chequebook>`) and a cash-out (`cashout:<chequebook>:<beneficiary>`). Receipts need no lock: they
   * compare-and-set (`putReceived` with `previous`). Stores owned by one process (memory, SQLite) leave it out: the SDK's
   * in-process locks are enough there, and cost nothing more. Given several keys (a batch cash-out), it holds them all,
   * taken in sorted order so that two holders of overlapping sets never deadlock.
   *
   * @throws ChequeError STORE_BUSY if a lock is not free in time; anything `work` throws.
   */
  exclusive?<T>(key: string | readonly string[], work: () => Promise<T>): Promise<T>;

  /** Releases the store; further calls fail. */
  close(): Promise<void>;
}

/** Runs `work` under `store`'s cross-process lock(s) `key` if it has them ({@link ChequeStore.exclusive}), else as is. */
export function acrossProcesses<T>(store: ChequeStore, key: string | readonly string[], work: () => Promise<T>): Promise<T> {
  if (store.exclusive === undefined) return work();
  return store.exclusive(typeof key === "string" ? key.toLowerCase() : key.map((k) => k.toLowerCase()), work);
}
