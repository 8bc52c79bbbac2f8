/**
 * The in-memory state `ChequeAccounts` share per cheque store and beneficiary (reservations, books, replay windows,
 * admitted payments), and the process-wide guards on what one store and one charge ledger may serve: one chain per
 * beneficiary on a store, one beneficiary and chain per ledger.
 */
import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeError } from "../errors.js";
import { KeyedMutex } from "../mutex.js";
import type { ChequeStore } from "../store/types.js";
import { chargeLedgerScope, type ChargeLedger } from "./ledger.js";

export interface Window {
  /** Every cheque at or below it is refused as replayed. */
  floor: bigint;
  /** Cheques above the floor already used. */
  seen: Set<bigint>;
}

/** What accounts must share when they front one cheque store for one beneficiary (see {@link ChequeAccounts}). */
export interface SharedState {
  /** How many open accounts, and payments being admitted or admitted and not yet charged or released, use it; it is forgotten when none is left. */
  users: number;
  ledger: ChargeLedger;
  mutex: KeyedMutex;
  reserved: Map<string, bigint>;
  windows: Map<string, Window>;
  paidOut: Map<string, bigint>;
  books: Map<string, Book>;
  /** Per chequebook, every write queued, settled (kept after a failure dropped the book, to wait for it before reading). */
  writes: Map<string, Promise<void>>;
  /** Per admitted payment (`chequebook:value`), what it reserved and the writes it depends on; until charged or released. */
  admitted: Map<string, Admitted>;
}

/**
 * A payer's account as this process sees it: the best cheque (H) and the total charged (K), each including writes
 * queued and not yet committed, and the last of those writes. Changed only under the chequebook's lock; a request
 * is answered only after `last` committed. If a write fails, the book is dropped and read again from the store and
 * the ledger once every write queued for it has settled.
 */
export interface Book {
  held: SignedCheque | undefined;
  charged: bigint;
  last: Promise<void>;
}

/** A payment admitted and not yet charged or released: the price it reserved, the writes to wait for before charging it. */
export interface Admitted {
  price: bigint;
  durable: Promise<void>;
}

/** Per cheque store, per beneficiary (lowercase): the state every account on them shares. */
const shared = new WeakMap<ChequeStore, Map<string, SharedState>>();

/**
 * Per charge ledger (its {@link chargeLedgerScope}), the beneficiary and chain whose charges it keeps, for as long
 * as the process runs (its rows outlive the accounts).
 */
const ledgerPayees = new WeakMap<object, string>();

/**
 * Per cheque store, per beneficiary, the chain its accounts take cheques on, for as long as the process runs: the
 * store keeps one cheque per (chequebook, beneficiary) without its chain, and a chequebook may have the same address
 * on two chains, so a cheque of one chain would replace the other's the server served on.
 */
const storeChains = new WeakMap<ChequeStore, Map<string, bigint>>();

export function sharedStateFor(store: ChequeStore, beneficiary: string, ledger: ChargeLedger, chainId: bigint): SharedState {
  const key = beneficiary.toLowerCase();
  let chains = storeChains.get(store);
  if (chains === undefined) storeChains.set(store, (chains = new Map()));
  const chain = chains.get(key);
  if (chain !== undefined && chain !== chainId) {
    throw new ChequeError("INVALID_ARGUMENT", `this cheque store takes ${beneficiary}'s cheques on chain ${chain}: it keeps one cheque per chequebook without its chain, so a cheque of chain ${chainId} could replace one of chain ${chain}; use a store (or a beneficiary) per chain`, {
      details: { beneficiary, chainId, storeChainId: chain },
    });
  }
  const scope = chargeLedgerScope(ledger);
  const payee = ledgerPayees.get(scope);
  const account = `${key} on chain ${chainId}`;
  if (payee !== undefined && payee !== account) {
    throw new ChequeError(
      "INVALID_ARGUMENT",
      `this charge ledger keeps the charges of ${payee}: its totals and used cheque values are per chequebook, so another beneficiary's (or chain's) would count as that one's (refused or charged twice); give each beneficiary and chain a ledger of its own`,
      { details: { beneficiary, chainId, ledgerAccount: payee } },
    );
  }
  let byPayee = shared.get(store);
  if (byPayee === undefined) shared.set(store, (byPayee = new Map()));
  let state = byPayee.get(key);
  if (state === undefined) {
    state = { users: 0, ledger, mutex: new KeyedMutex(), reserved: new Map(), windows: new Map(), paidOut: new Map(), books: new Map(), writes: new Map(), admitted: new Map() };
    byPayee.set(key, state);
  } else if (chargeLedgerScope(state.ledger) !== scope) {
    throw new ChequeError("INVALID_ARGUMENT", "another ChequeAccounts uses this cheque store for this beneficiary with another charge ledger: what one charges the other would serve again");
  }
  state.users++;
  ledgerPayees.set(scope, account);
  chains.set(key, chainId);
  return state;
}

export function releaseSharedState(store: ChequeStore, beneficiary: string, state: SharedState): void {
  if (--state.users > 0) return;
  const byPayee = shared.get(store);
  const key = beneficiary.toLowerCase();
  if (byPayee?.get(key) !== state) return;
  byPayee.delete(key);
  if (byPayee.size === 0) shared.delete(store);
}
