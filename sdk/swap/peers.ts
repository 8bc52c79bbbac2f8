/**
 * Peer state and the ledger: each peer's durable record plus what only lives while the process runs, the
 * batched write-through to the {@link LedgerStore}, and the bindings of chequebooks and beneficiaries to the one
 * peer that named them first.
 */
import { ChequeError } from "../errors.js";
import { emptyLedger, upgradeLedger, type LedgerStore, type PeerLedger } from "./ledger.js";

/** A peer's ledger plus its runtime state. */
export interface PeerState extends PeerLedger {
  connected: boolean;
  handshaken: boolean;
  reservedProvide: bigint;
  reservedConsume: bigint;
  pastPayment: boolean;
  pastDisconnect: boolean;
  weOwePast: boolean;
  /** Refused messages since the peer last earned one back (durable, see {@link PeerLedger.refusals}). */
  refusals: number;
  /** Handshakes being checked (they may wait for the chain): the state may not leave memory meanwhile. */
  handshaking: number;
  ackWaiters: Array<() => void>;
  readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
  paying?: Promise<void> | undefined;
  /** Cheques from this peer are handled one at a time, in order. */
  receiving$?: Promise<void> | undefined;
}

/** The durable part of `s`, as a fresh object the store may keep. */
export function persistable(s: PeerState): PeerLedger {
  const payouts: PeerLedger["payouts"] = {};
  for (const [b, p] of Object.entries(s.payouts)) payouts[b] = { ...p };
  const l: PeerLedger = {
    peer: s.peer, balance: s.balance, byProtocol: { ...s.byProtocol }, prepaid: s.prepaid, cooldownUntil: s.cooldownUntil,
    payouts, credited: { ...s.credited }, tokenRemainder: s.tokenRemainder,
  };
  if (s.peerPaymentThreshold !== undefined) l.peerPaymentThreshold = s.peerPaymentThreshold;
  if (s.peerBeneficiary !== undefined) l.peerBeneficiary = s.peerBeneficiary;
  if (s.peerChequebook !== undefined) l.peerChequebook = s.peerChequebook;
  if (s.inflight !== undefined) l.inflight = { ...s.inflight };
  if (s.receiving !== undefined) l.receiving = { ...s.receiving };
  if (s.lastPaymentDate !== undefined) l.lastPaymentDate = s.lastPaymentDate;
  if (s.lastMockReceived !== undefined) l.lastMockReceived = { ...s.lastMockReceived };
  if (s.refusals > 0) l.refusals = s.refusals;
  return l;
}

function runtime(l: PeerLedger): PeerState {
  return {
    ...l, connected: false, handshaken: false, reservedProvide: 0n, reservedConsume: 0n,
    pastPayment: false, pastDisconnect: false, weOwePast: false, refusals: l.refusals ?? 0, handshaking: 0, ackWaiters: [], readyWaiters: [],
  };
}

const key = (address: string) => address.toLowerCase();

/**
 * What {@link PeerBook.save} returns when the change was written before it returned (a ledger with `saveNow`): a
 * caller may act on the booking at once instead of after a turn of the event loop.
 */
export const WRITTEN: Promise<void> = Promise.resolve();

/** Every peer's state, written through to the ledger: in batches, or at once for a ledger with `saveNow`. */
export class PeerBook {
  readonly #ledger: LedgerStore;
  readonly #peers = new Map<string, PeerState>();
  readonly #dirty = new Map<string, PeerState>();
  /** Chequebook or beneficiary address (lower case) → the peer it is bound to. */
  readonly #owners = new Map<string, string>();
  /**
   * Payout address (lower case) → the connected peer naming it, before a cheque to it binds it for good: another
   * peer may not name it meanwhile. Released when that peer disconnects or names another address.
   */
  readonly #holds = new Map<string, string>();
  readonly #heldBy = new Map<string, string>();
  readonly #loading = new Map<string, Promise<PeerState>>();
  /** Peers whose last write failed: never evicted (memory is then the only copy). */
  readonly #unsaved = new Set<string>();
  readonly #writes = new Set<Promise<void>>();
  #flush: Promise<void> | undefined;
  /** Closed: nothing is written any more (another engine may have opened the same ledger since). */
  #closed = false;

  constructor(ledger: LedgerStore) {
    this.#ledger = ledger;
  }

  /** Whether peers can be evicted from memory (the ledger can load one peer back). */
  get canEvict(): boolean {
    return this.#ledger.load !== undefined;
  }

  /** The state of `peer`: from memory, or loaded back from the ledger if it was evicted, or new. */
  fetch(peer: string): PeerState | Promise<PeerState> {
    const s = this.#peers.get(peer);
    if (s !== undefined) return s;
    let loading = this.#loading.get(peer);
    if (loading === undefined) {
      loading = (async () => {
        const l = await this.#ledger.load?.(peer);
        const back = this.#peers.get(peer) ?? runtime(l === undefined ? emptyLedger(peer) : upgradeLedger(l));
        this.#peers.set(peer, back);
        return back;
      })().finally(() => this.#loading.delete(peer));
      this.#loading.set(peer, loading);
    }
    return loading;
  }

  /** The load of `peer` in progress, if any. */
  loading(peer: string): Promise<PeerState> | undefined {
    return this.#loading.get(peer);
  }

  /**
   * Drops `s` from memory once its state is on disk, if `idle(s)` still holds then. Its bindings stay (they are
   * addresses, and another peer must still be refused them).
   *
   * @returns whether it was evicted.
   */
  async evict(s: PeerState, idle: (s: PeerState) => boolean): Promise<boolean> {
    if (!this.canEvict) return false;
    for (let w = this.flushing; w !== undefined; w = this.flushing) await w.catch(() => undefined);
    if (this.#dirty.has(s.peer) || this.#unsaved.has(s.peer) || this.#peers.get(s.peer) !== s || !idle(s)) return false;
    this.#peers.delete(s.peer);
    return true;
  }

  /**
   * Loads every peer from the ledger, and their bindings. Should two records name one address (a claim whose undoing
   * was never written), the one holding value for it (something issued to it, or credited from it) keeps it.
   */
  async load(): Promise<void> {
    const empty: Array<[string, string]> = [];
    for (const l of await this.#ledger.loadAll()) {
      const s = runtime(upgradeLedger(l));
      this.#peers.set(s.peer, s);
      for (const [a, p] of Object.entries(s.payouts)) (p.issued > 0n ? this.#owners.set(key(a), s.peer) : empty.push([a, s.peer]));
      for (const [a, c] of Object.entries(s.credited)) (c > 0n ? this.#owners.set(key(a), s.peer) : empty.push([a, s.peer]));
    }
    for (const [a, peer] of empty) if (!this.#owners.has(key(a))) this.#owners.set(key(a), peer);
  }

  get(peer: string): PeerState | undefined {
    return this.#peers.get(peer);
  }

  /** The state of `peer`, created empty if unknown. */
  state(peer: string): PeerState {
    let s = this.#peers.get(peer);
    if (s === undefined) {
      s = runtime(emptyLedger(peer));
      this.#peers.set(peer, s);
    }
    return s;
  }

  values(): IterableIterator<PeerState> {
    return this.#peers.values();
  }

  /** The peer `address` (a chequebook or a beneficiary) is bound to, if any. */
  owner(address: string): string | undefined {
    return this.#owners.get(key(address));
  }

  /** The peer `address` is bound to, or else the connected peer naming it as its payout address, if any. */
  holder(address: string): string | undefined {
    return this.#owners.get(key(address)) ?? this.#holds.get(key(address));
  }

  /** Records that `s`, connected, names `beneficiary` as its payout address (the caller checked nobody else holds it). */
  hold(s: PeerState, beneficiary: string): void {
    this.release(s);
    this.#holds.set(key(beneficiary), s.peer);
    this.#heldBy.set(s.peer, key(beneficiary));
  }

  /** Releases the payout address `s` held on its connection, if any (a binding for good stays). */
  release(s: PeerState): void {
    const held = this.#heldBy.get(s.peer);
    if (held === undefined) return;
    this.#heldBy.delete(s.peer);
    if (this.#holds.get(held) === s.peer) this.#holds.delete(held);
  }

  /**
   * Binds a beneficiary (before the first cheque to it is issued) or a chequebook (by the first cheque on it that
   * `s` delivers) to `s`; the caller checked they are free or already its own.
   */
  bind(s: PeerState, beneficiary: string | undefined, chequebook: string | undefined): void {
    if (beneficiary !== undefined) {
      s.payouts[beneficiary] ??= { issued: 0n, paid: 0n };
      this.#owners.set(key(beneficiary), s.peer);
    }
    if (chequebook !== undefined) {
      s.credited[chequebook] ??= 0n;
      this.#owners.set(key(chequebook), s.peer);
    }
  }

  /**
   * After a restart's recovery: drops the bindings of `s` that hold no value, a chequebook nothing was credited from
   * (a claim cut short by a crash) or a payout address nothing was issued to (bound just before a crash). Bindings
   * are earned by a cheque, never by naming an address.
   *
   * @returns whether `s` changed.
   */
  dropEmptyBindings(s: PeerState): boolean {
    let changed = false;
    for (const [book, credited] of Object.entries(s.credited)) {
      if (credited !== 0n || s.receiving?.chequebook === book) continue;
      this.unbind(s, book);
      changed = true;
    }
    for (const [beneficiary, p] of Object.entries(s.payouts)) {
      if (p.issued !== 0n || p.paid !== 0n) continue;
      delete s.payouts[beneficiary];
      if (this.#owners.get(key(beneficiary)) === s.peer) this.#owners.delete(key(beneficiary));
      changed = true;
    }
    return changed;
  }

  /** Undoes the binding of `chequebook` to `s` (a claim whose cheque was not accepted). */
  unbind(s: PeerState, chequebook: string): void {
    delete s.credited[chequebook];
    if (this.#owners.get(key(chequebook)) === s.peer) this.#owners.delete(key(chequebook));
  }

  /**
   * Writes `s` through to the ledger. Changes made in the same turn of the event loop are written together (one
   * commit); the promise resolves once the write containing this change is durable. A ledger with `saveNow` is
   * written at once, and {@link WRITTEN} returned.
   *
   * A copy that is no longer the peer's live state (it was evicted, and the peer may have been loaded back since)
   * is never written: it would overwrite the live record with an older one. Once closed, nothing is written and
   * the promise rejects (STORE_FAILURE).
   */
  save(s: PeerState): Promise<void> {
    if (this.#closed) {
      // A request that outlived its engine: its stale record would overwrite what a restarted engine wrote since.
      return Promise.reject(new ChequeError("STORE_FAILURE", `the SWAP ledger is closed: nothing is booked for ${s.peer}`, { details: { peer: s.peer, closed: true } }));
    }
    if (this.#peers.get(s.peer) !== s) return Promise.resolve();
    if (this.#ledger.saveNow !== undefined) return this.#saveNow(s);
    this.#dirty.set(s.peer, s);
    // One pending flush per turn, settled by the write that carries every change made until then.
    return (this.#flush ??= new Promise<void>((resolve, reject) => setImmediate(this.#flushNow, resolve, reject)));
  }

  /** Writes `s` at once; a failure leaves the peer unsaved (it stays in memory) and rejects. */
  #saveNow(s: PeerState): Promise<void> {
    try {
      this.#ledger.saveNow!(persistable(s));
    } catch (error) {
      this.#unsaved.add(s.peer);
      return Promise.reject(error);
    }
    this.#unsaved.delete(s.peer);
    return WRITTEN;
  }

  readonly #flushNow = (resolve: () => void, reject: (error: unknown) => void): void => {
    const batch: PeerLedger[] = [];
    try {
      for (const s of this.#dirty.values()) batch.push(persistable(s));
    } catch (error) {
      // Nothing is written: the changes stay dirty for the next flush, and the callers learn it failed.
      this.#flush = undefined;
      reject(error);
      return;
    }
    this.#dirty.clear();
    this.#flush = undefined;
    const write = this.#write(batch);
    this.#writes.add(write);
    write.then(
      () => {
        this.#writes.delete(write);
        resolve();
      },
      (error: unknown) => {
        this.#writes.delete(write);
        reject(error);
      },
    );
  };

  async #write(batch: PeerLedger[]): Promise<void> {
    try {
      if (this.#ledger.saveMany !== undefined) await this.#ledger.saveMany(batch);
      else await Promise.all(batch.map((l) => this.#ledger.save(l)));
      for (const l of batch) this.#unsaved.delete(l.peer);
    } catch (error) {
      for (const l of batch) this.#unsaved.add(l.peer);
      throw error;
    }
  }

  /** A write waiting or in progress, if any. */
  get flushing(): Promise<void> | undefined {
    return this.#flush ?? this.#writes.values().next().value;
  }

  /** Closes the ledger; the caller waited for every write ({@link flushing}). */
  close(): Promise<void> {
    this.#closed = true;
    return this.#ledger.close();
  }
}
