/**
 * The server's account of each payer chequebook, checked locally with the SDK's verifier (no facilitator call per
 * request). It is an x402 `FacilitatorClient`, so an `x402ResourceServer` uses it in place of a remote facilitator.
 *
 * The account of a chequebook is: the best cheque held (H, in the cheque store), what was charged for requests
 * served (K, in the charge ledger) and what is reserved for requests being served (R, in memory). A request priced
 * p is admitted when the cheque it carries is valid and not seen before, and H - K - R >= p after it; then p is
 * reserved. When the handler succeeded, `settle` moves p from R to K and records the cheque's value as used, in one
 * durable ledger write; when it failed, `release` frees it. Values seen are remembered in memory (a window of
 * `replayWindow` per chequebook); after a restart the window starts from the values the ledger recorded.
 * So K <= H always: the server never serves more than the cheques it holds pay for. A cheque above H is verified in
 * full (signature, chequebook, token, cover under the solvency policy) and its write to the store is queued when the
 * request is admitted; it commits while the handler runs, and `settle` charges only once it (or the earlier cheque
 * whose credit the request spends) is durable, and answers only once the charge is. H and K are kept in memory per
 * payer, decisions are taken under the payer's lock, and commits are waited for outside it, so the writes of
 * concurrent requests share one commit (with `SqliteChargeLedger.beside`, cheques and charges too). If a write
 * fails, the payer's H and K are read again from what is durable. A cheque at or below H (one of a client's
 * concurrent requests overtaken by a later one) is checked with the verifier's signature check (the issuer's key, or
 * its wallet through ERC-1271), beneficiary and chain, and must not have been seen before. Decisions for one
 * chequebook are serialised; chequebooks run concurrently. Accounts built on one cheque store object for one beneficiary (two
 * paywalls in a process) share the serialisation, reservations and replay windows, and must share the ledger.
 */
import type { FacilitatorClient } from "@x402/core/server";
import type { Network, PaymentPayload, PaymentRequirements, SettleResponse, SupportedResponse, VerifyResponse } from "@x402/core/types";

import type { ChequeVerifier } from "../beneficiary/verify.js";
import type { SignedCheque } from "../cheque/cheque.js";
import { chequeToJson } from "../cheque/wire.js";
import { ChequeError } from "../errors.js";
import type { KeyedMutex } from "../mutex.js";
import type { ChequeStore } from "../store/types.js";
import type { ChargeLedger } from "./ledger.js";
import { ChequePaymentRefused, priceOf, readChequePayload, refusalOf } from "./payload.js";
import { releaseSharedState, sharedStateFor, type Admitted, type Book, type SharedState, type Window } from "./shared-state.js";
import { CHEQUE_SCHEME, X402_VERSION, eip155Network, type ChequeResync, type ChequeSettlementExtra } from "./types.js";

/** Options of a {@link ChequeAccounts}. */
export interface ChequeAccountsOptions {
  /** The SDK verifier, for our beneficiary, chain, trusted factories, token and solvency policy. */
  verifier: ChequeVerifier;
  /** The cheque store the verifier uses; accepted cheques are committed to it before a request is served. */
  store: ChequeStore;
  /** What was charged per chequebook; as durable as `store`. */
  ledger: ChargeLedger;
  /** How many cheque values below the best one are remembered per chequebook to refuse replays. Default 1,024. */
  replayWindow?: number;
}

/**
 * Local verification and accounting of `cheque` payments for one beneficiary (see the module comment).
 *
 * @example
 * const accounts = new ChequeAccounts({ verifier, store, ledger: SqliteChargeLedger.open("./data/charged.db") })
 * const server = new x402ResourceServer(accounts).register(accounts.network, new ChequeSchemeServer({ accounts, ... }))
 */
export class ChequeAccounts implements FacilitatorClient {
  /** `eip155:<chainId>` of the verifier's chain. */
  readonly network: Network;
  readonly #verifier: ChequeVerifier;
  readonly #store: ChequeStore;
  readonly #ledger: ChargeLedger;
  readonly #replayWindow: number;
  readonly #mutex: KeyedMutex;
  readonly #reserved: Map<string, bigint>;
  readonly #windows: Map<string, Window>;
  readonly #paidOut: Map<string, bigint>;
  readonly #books: Map<string, Book>;
  readonly #writes: Map<string, Promise<void>>;
  readonly #admitted: Map<string, Admitted>;
  readonly #state: SharedState;
  #closed = false;

  /**
   * Accounts built on the same cheque store object for the same beneficiary share their serialisation,
   * reservations and replay windows (two paywalls in one process stay one account per payer).
   *
   * @throws ChequeError INVALID_ARGUMENT if another account uses this store for this beneficiary with another ledger.
   */
  constructor(options: ChequeAccountsOptions) {
    this.#verifier = options.verifier;
    this.#store = options.store;
    this.#ledger = options.ledger;
    this.#replayWindow = options.replayWindow ?? 1024;
    this.network = eip155Network(options.verifier.chainId);
    const state = sharedStateFor(options.store, options.verifier.beneficiary, options.ledger, options.verifier.chainId);
    this.#state = state;
    this.#mutex = state.mutex;
    this.#reserved = state.reserved;
    this.#windows = state.windows;
    this.#paidOut = state.paidOut;
    this.#books = state.books;
    this.#writes = state.writes;
    this.#admitted = state.admitted;
  }

  /**
   * Stops sharing this account's in-memory state (reservations, replay windows) with accounts built later on the same
   * store, as a process exit would, once the payments admitted before are charged or released: they finish against
   * it, and until then accounts built on the store share it (else they would serve the credit those reserved again).
   * Call it when the server stops. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unhold();
  }

  /** A payment being admitted, or admitted and not yet charged or released, keeps the shared state (see `close`). */
  #hold(): void {
    this.#state.users++;
  }

  #unhold(): void {
    releaseSharedState(this.#store, this.#verifier.beneficiary, this.#state);
  }

  /** Our address: the payee announced in requirements. */
  get beneficiary(): string {
    return this.#verifier.beneficiary;
  }

  /**
   * Admits a payment: checks the cheque, queues its commit if it is new (settle waits for it), and reserves the
   * price. Never throws: a refusal is `isValid: false` with a {@link ChequeRefusalCode} as `invalidReason`, and
   * nothing was credited.
   */
  async verify(paymentPayload: PaymentPayload, requirements: PaymentRequirements): Promise<VerifyResponse> {
    this.#hold(); // until it is refused, or charged or released
    try {
      // Closed accounts serve only what they admitted before: accounts built since read the payer's book afresh.
      if (this.#closed) throw new ChequeError("INVALID_ARGUMENT", "these accounts are closed: they admit no payment");
      const price = priceOf(requirements);
      this.#checkRequirements(requirements);
      const { cheque, chainId } = readChequePayload(paymentPayload.payload);
      const { durable } = await this.#mutex.run(cheque.chequebook, () => this.#admit(cheque, chainId, price));
      // The cheque commits while the handler runs (with the other writes of the turn); settle waits for it.
      this.#admitted.set(`${cheque.chequebook}:${cheque.cumulativePayout}`, { price, durable });
      return { isValid: true, payer: cheque.chequebook };
    } catch (error) {
      this.#unhold();
      const { code, message } = refusalOf(error);
      return { isValid: false, invalidReason: code, invalidMessage: message };
    }
  }

  /**
   * Charges an admitted payment (the handler succeeded), once: frees its reservation and charges the requirement's
   * amount (the price, or less when the server settles for less), and resolves once that is durable (committed with
   * the other writes of the same turn).
   *
   * @throws ChequeError INVALID_ARGUMENT if no admitted payment of this cheque waits (charged or released already,
   *   never verified), or the amount is not a price or above what was reserved (then it is released); STORE_FAILURE.
   */
  async settle(paymentPayload: PaymentPayload, requirements: PaymentRequirements): Promise<SettleResponse> {
    const { cheque } = readChequePayload(paymentPayload.payload);
    const book = cheque.chequebook;
    const key = `${book}:${cheque.cumulativePayout}`;
    const admitted = this.#admitted.get(key);
    if (admitted === undefined) {
      throw new ChequeError("INVALID_ARGUMENT", `no admitted payment of the cheque (${cheque.cumulativePayout}) waits to be charged: charged or released already, or never verified`);
    }
    this.#admitted.delete(key);
    try {
      return await this.#charge(book, cheque.cumulativePayout, admitted, requirements);
    } finally {
      this.#unhold(); // its charge settled (durable or failed): accounts built later read it from the ledger
    }
  }

  async #charge(book: string, value: bigint, admitted: Admitted, requirements: PaymentRequirements): Promise<SettleResponse> {
    let price: bigint;
    try {
      price = priceOf(requirements);
      if (price > admitted.price) throw new ChequeError("INVALID_ARGUMENT", `the settlement asks ${price}, above the ${admitted.price} the payment reserved: nothing is charged`);
      await admitted.durable; // the cheque (or the credit) this request was admitted on is durable, or nothing is charged
    } catch (error) {
      await this.#mutex.run(book, () => Promise.resolve(this.#unreserve(book, admitted.price)));
      throw error;
    }
    const { durable, extra } = await this.#mutex.run(book, async () => {
      const account = await this.#book(book);
      this.#unreserve(book, admitted.price);
      account.charged += price;
      const written = this.#write(book, account, this.#ledger.charge(book, price, { value, keep: this.#replayWindow }));
      const held = account.held?.cumulativePayout ?? 0n;
      const paidOut = this.#paidOut.get(book) ?? 0n;
      const extra: ChequeSettlementExtra = {
        chequebook: book,
        cumulative: held.toString(),
        charged: account.charged.toString(),
        credit: (held - account.charged).toString(),
        uncashed: (held > paidOut ? held - paidOut : 0n).toString(),
      };
      return { durable: written, extra };
    });
    await durable;
    return { success: true, transaction: "", network: this.network, payer: book, amount: price.toString(), extra: { ...extra } };
  }

  /** Frees the reservation of an admitted payment whose handler failed: nothing is charged. Once per payment. */
  async release(paymentPayload: PaymentPayload, _requirements: PaymentRequirements): Promise<void> {
    const { cheque } = readChequePayload(paymentPayload.payload);
    const key = `${cheque.chequebook}:${cheque.cumulativePayout}`;
    const admitted = this.#admitted.get(key);
    if (admitted === undefined) return; // charged or released already: freeing it again would free another's
    this.#admitted.delete(key);
    try {
      await this.#mutex.run(cheque.chequebook, () => Promise.resolve(this.#unreserve(cheque.chequebook, admitted.price)));
    } finally {
      this.#unhold();
    }
  }

  /** The kinds this local facilitator handles: the `cheque` scheme on our chain. */
  getSupported(): Promise<SupportedResponse> {
    return Promise.resolve({ kinds: [{ x402Version: X402_VERSION, scheme: CHEQUE_SCHEME, network: this.network }], extensions: [], signers: {} });
  }

  /** The account of `chequebook`: cheque held, charged, reserved (decimal figures as bigints). */
  async account(chequebook: string): Promise<{ held: bigint; charged: bigint; reserved: bigint }> {
    return this.#mutex.run(chequebook, async () => {
      const book = await this.#book(chequebook);
      return { held: book.held?.cumulativePayout ?? 0n, charged: book.charged, reserved: this.#reserved.get(chequebook) ?? 0n };
    });
  }

  /**
   * What a client whose cumulative disagrees with ours needs to continue: the last cheque we accepted from its
   * chequebook (its own signature) and what we charged. Given only to a payload whose cheque the chequebook's issuer
   * signed, so that naming a chequebook does not reveal its account.
   *
   * @returns undefined if the payload is not signed by the issuer, or nothing is held.
   */
  async resyncFor(payload: unknown): Promise<ChequeResync | undefined> {
    try {
      const { cheque } = readChequePayload(payload);
      // Local first: a chequebook we hold nothing from costs no call to the node.
      const book = await this.#mutex.run(cheque.chequebook, () => this.#book(cheque.chequebook));
      const held = book.held;
      if (held === undefined || held.beneficiary !== cheque.beneficiary) return undefined;
      await this.#verifier.checkSignature(cheque); // the issuer's key, or its wallet through ERC-1271
      return { lastAccepted: chequeToJson(held), charged: book.charged.toString() };
    } catch {
      return undefined;
    }
  }

  #checkRequirements(requirements: PaymentRequirements): void {
    if (requirements.network !== this.network) {
      throw new ChequeError("WRONG_CHAIN", `the requirement is for ${requirements.network}, we verify on ${this.network}`);
    }
    if (requirements.payTo.toLowerCase() !== this.beneficiary.toLowerCase()) {
      throw new ChequeError("WRONG_BENEFICIARY", "the requirement names another payee than this server's beneficiary");
    }
  }

  /**
   * Admits a payment under the chequebook's lock, against the book in memory; returns the commit to wait for (the
   * cheque's, or the last write the credit it spends depends on) before the request may be charged and answered.
   */
  async #admit(cheque: SignedCheque, chainId: bigint, price: bigint): Promise<{ durable: Promise<void> }> {
    const book = cheque.chequebook;
    const account = await this.#book(book);
    const held = account.held?.cumulativePayout ?? 0n;
    // Kept only once a payment is admitted, so naming unknown chequebooks costs us no memory. After a restart it
    // starts from the values the ledger recorded as charged: a replay is refused, a cheque never used (overtaken by
    // a later one of the client's concurrent requests) is served from the credit.
    const window = this.#windows.get(book) ?? (await this.#restoredWindow(book));
    const value = cheque.cumulativePayout;
    if (value <= window.floor || window.seen.has(value)) {
      throw new ChequeError("STALE_CHEQUE", `the cheque (${value}) was used already: replayed`, { details: { chequebook: book, offered: value, held } });
    }
    const top = value > held ? value : held;
    if (value <= held) await this.#checkOvertaken(cheque, chainId);
    const charged = account.charged;
    const reserved = this.#reserved.get(book) ?? 0n;
    // The verifier's checks (and their RPC calls) come after this local one only for cheques that do not pay.
    if (top - charged - reserved < price) {
      throw new ChequePaymentRefused("UNDERPAID", `the cheque (${value}) and the credit held do not cover the price ${price} (held ${held}, charged ${charged}, reserved ${reserved})`);
    }
    if (value > held) {
      const verified = await this.#verifier.verify(cheque, { previous: held, chainId });
      // A new payer's book is kept from its first admitted payment (no write of it is pending: we hold its lock).
      if (!this.#books.has(book)) this.#books.set(book, account);
      this.#paidOut.set(book, verified.cover.paidOut);
      account.held = verified.cheque;
      this.#write(book, account, this.#store.putReceived(verified.cheque));
    }
    window.seen.add(value);
    this.#trim(window);
    this.#windows.set(book, window);
    this.#reserved.set(book, reserved + price);
    return { durable: account.last }; // in an object: an async function would wait for a promise it returns
  }

  /**
   * The book of `chequebook` (under its lock): from memory, or read from the store and the ledger once every write
   * queued for it has settled (and kept only if it holds or charged something).
   */
  async #book(chequebook: string): Promise<Book> {
    const known = this.#books.get(chequebook);
    if (known !== undefined) return known;
    await this.#writes.get(chequebook); // every write queued for it has settled (it never fails)
    const [received, charged] = await Promise.all([this.#store.getReceived(chequebook, this.beneficiary), this.#ledger.charged(chequebook)]);
    const book: Book = { held: received?.cheque, charged, last: Promise.resolve() };
    // Kept once we hold or charged something of it (or admit a payment of it): naming unknown chequebooks costs no memory.
    if (book.held !== undefined || book.charged !== 0n) this.#books.set(chequebook, book);
    return book;
  }

  /**
   * Records `write` as the book's last. The book's `last` fails if this write or any earlier one failed (a request
   * admitted against the book waits for it); on a failure the book is dropped, to be read again from what is durable.
   *
   * @returns the outcome of `write` alone.
   */
  #write(chequebook: string, book: Book, write: Promise<unknown>): Promise<void> {
    const own = write.then(() => undefined);
    const last = Promise.all([book.last, own]).then(
      () => undefined,
      (error: unknown) => {
        if (this.#books.get(chequebook) === book) this.#books.delete(chequebook);
        throw error;
      },
    );
    last.catch(() => undefined); // awaited by the requests admitted against the book; a failure is their refusal
    own.catch(() => undefined);
    book.last = last;
    // `last` fails at the first failure, while later writes may still commit: a book is read again only once every
    // write queued for the chequebook has settled, else it would miss a charge that commits after the read.
    const all = Promise.allSettled([this.#writes.get(chequebook), own]).then(() => undefined);
    this.#writes.set(chequebook, all);
    void all.then(() => void (this.#writes.get(chequebook) === all && this.#writes.delete(chequebook)));
    return own;
  }

  /** A cheque at or below the best one held: the beneficiary, chain and the issuer's signature are checked. */
  async #checkOvertaken(cheque: SignedCheque, chainId: bigint): Promise<void> {
    if (cheque.beneficiary !== this.beneficiary) throw new ChequeError("WRONG_BENEFICIARY", "the cheque is made out to someone else");
    if (chainId !== this.#verifier.chainId) throw new ChequeError("WRONG_CHAIN", `the cheque is for chain ${chainId}, we are on chain ${this.#verifier.chainId}`);
    await this.#verifier.checkSignature(cheque); // the issuer's key (local), or its wallet through ERC-1271
  }

  async #restoredWindow(book: string): Promise<Window> {
    const used = await this.#ledger.used(book);
    const window = { floor: used.floor, seen: new Set(used.values) };
    this.#trim(window);
    return window;
  }

  #trim(window: Window): void {
    while (window.seen.size > this.#replayWindow) {
      let lowest: bigint | undefined;
      for (const v of window.seen) if (lowest === undefined || v < lowest) lowest = v;
      window.seen.delete(lowest!);
      window.floor = lowest!;
    }
  }

  #unreserve(book: string, price: bigint): void {
    const reserved = this.#reserved.get(book) ?? 0n;
    const left = reserved > price ? reserved - price : 0n;
    if (left === 0n) this.#reserved.delete(book);
    else this.#reserved.set(book, left);
  }
}
