/**
 * An in-memory {@link ChequeStore}: same rules as the SQLite one, nothing survives the process.
 */
import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeError } from "../errors.js";
import { pairKey, requireHigher, requirePrevious } from "./rules.js";
import type { CashoutRecord, ChequeStore, ChequebookInfo, IssuedCheque, PendingTx, PutReceivedOptions, ReceivedCheque } from "./types.js";

const copy = <T>(value: T): T => structuredClone(value);
/** A cheque's four fields (strings and a bigint): copied field by field, the hot path of every payment. */
const copyCheque = (c: SignedCheque): SignedCheque => ({ chequebook: c.chequebook, beneficiary: c.beneficiary, cumulativePayout: c.cumulativePayout, signature: c.signature });

export class MemoryChequeStore implements ChequeStore {
  #received = new Map<string, ReceivedCheque>();
  #issued = new Map<string, IssuedCheque>();
  #totals = new Map<string, bigint>();
  #cashouts = new Map<string, CashoutRecord>();
  #pending = new Map<string, PendingTx>();
  #info = new Map<string, ChequebookInfo>();
  #meta = new Map<string, string>();
  #closed = false;

  #open(): void {
    if (this.#closed) throw new ChequeError("STORE_FAILURE", "the store is closed");
  }

  async getReceived(chequebook: string, beneficiary: string) {
    this.#open();
    const r = this.#received.get(pairKey(chequebook, beneficiary));
    return r && { cheque: copyCheque(r.cheque), receivedAt: r.receivedAt };
  }

  async putReceived(cheque: SignedCheque, receivedAt = Date.now(), options: PutReceivedOptions = {}) {
    this.#open();
    const key = pairKey(cheque.chequebook, cheque.beneficiary);
    requirePrevious(this.#received.get(key)?.cheque, cheque, options.previous);
    this.#received.set(key, { cheque: copyCheque(cheque), receivedAt });
  }

  async listReceived(beneficiary?: string) {
    this.#open();
    return [...this.#received.values()]
      .filter((r) => beneficiary === undefined || r.cheque.beneficiary.toLowerCase() === beneficiary.toLowerCase())
      .map(copy);
  }

  async getIssued(chequebook: string, beneficiary: string) {
    this.#open();
    const r = this.#issued.get(pairKey(chequebook, beneficiary));
    return r && { cheque: copyCheque(r.cheque), issuedAt: r.issuedAt };
  }

  async putIssued(cheque: SignedCheque, issuedAt = Date.now()) {
    this.#open();
    const key = pairKey(cheque.chequebook, cheque.beneficiary);
    const held = this.#issued.get(key)?.cheque;
    requireHigher(held, cheque, "issued");
    const book = cheque.chequebook.toLowerCase();
    this.#totals.set(book, (this.#totals.get(book) ?? 0n) + cheque.cumulativePayout - (held?.cumulativePayout ?? 0n));
    this.#issued.set(key, { cheque: copyCheque(cheque), issuedAt });
  }

  async listIssued(chequebook?: string) {
    this.#open();
    return [...this.#issued.values()]
      .filter((r) => chequebook === undefined || r.cheque.chequebook.toLowerCase() === chequebook.toLowerCase())
      .map(copy);
  }

  async totalIssued(chequebook: string) {
    this.#open();
    return this.#totals.get(chequebook.toLowerCase()) ?? 0n;
  }

  async putCashout(record: CashoutRecord) {
    this.#open();
    this.#cashouts.set(record.id, copy(record));
  }

  async listCashouts(chequebook?: string) {
    this.#open();
    return [...this.#cashouts.values()]
      .filter((r) => chequebook === undefined || r.chequebook.toLowerCase() === chequebook.toLowerCase())
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map(copy);
  }

  async putPendingTx(tx: PendingTx) {
    this.#open();
    this.#pending.set(tx.key, copy(tx));
  }

  async getPendingTx(key: string) {
    this.#open();
    const t = this.#pending.get(key);
    return t && copy(t);
  }

  async deletePendingTx(key: string) {
    this.#open();
    this.#pending.delete(key);
  }

  async listPendingTx() {
    this.#open();
    return [...this.#pending.values()].map(copy);
  }

  async getChequebookInfo(chequebook: string) {
    this.#open();
    const i = this.#info.get(chequebook.toLowerCase());
    return i && copy(i);
  }

  async putChequebookInfo(info: ChequebookInfo) {
    this.#open();
    this.#info.set(info.chequebook.toLowerCase(), copy(info));
  }

  async getMeta(key: string) {
    this.#open();
    return this.#meta.get(key);
  }

  async putMeta(key: string, value: string) {
    this.#open();
    this.#meta.set(key, value);
  }

  async close() {
    this.#closed = true;
  }
}
