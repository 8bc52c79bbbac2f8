/**
 * The beneficiary side: receive a cheque, verify it, and commit it durably before saying yes.
 */
import { validateCheque } from "../cheque/cheque.js";
import { KeyedMutex } from "../mutex.js";
import { isChequeError } from "../errors.js";
import { pairKey } from "../store/rules.js";
import type { ChequeStore, ReceivedCheque } from "../store/types.js";
import type { ChainId } from "../cheque/typed-data.js";
import type { ChequeVerifier, VerifiedCheque } from "./verify.js";

/** Receipts of one cheque retried after another process stored a cheque from its chequebook meanwhile. */
const MAX_ATTEMPTS = 16;
/** Chequebooks whose last stored cheque a receiver remembers (the oldest is forgotten first). */
const MAX_REMEMBERED = 10_000;

/**
 * Receives cheques for one beneficiary. A cheque accepted by {@link ChequeReceiver.receive} is on disk (with a
 * durable store) before the call returns, so it survives a crash the moment it is accepted. Cheques from the same
 * chequebook are handled one at a time; cheques from different chequebooks concurrently. On a store shared by
 * several processes, a receipt that finds another process stored a cheque from the same chequebook meanwhile
 * (`STORE_CONFLICT` from the compare-and-set write) starts again from that cheque.
 *
 * @example
 * const receiver = new ChequeReceiver({ verifier, store })
 * const { increment } = await receiver.receive(decodeBeeCheque(text))
 */
export class ChequeReceiver {
  readonly #verifier: ChequeVerifier;
  readonly #store: ChequeStore;
  readonly #mutex = new KeyedMutex();
  /** The cumulative payout this receiver last stored, per chequebook and beneficiary (a hint, never trusted alone). */
  readonly #held = new Map<string, bigint>();

  constructor(options: { verifier: ChequeVerifier; store: ChequeStore }) {
    this.#verifier = options.verifier;
    this.#store = options.store;
  }

  /**
   * Verifies `cheque` and, if it passes, stores it as the best cheque from its chequebook.
   *
   * @param options.chainId - the chain the sender says the cheque is for, if the wire format carries one.
   * @returns the verification result; `increment` is what to credit the peer with.
   * @throws ChequeError any code of {@link ChequeVerifier.verify}, or STORE_FAILURE (then nothing was accepted);
   *   STORE_CONFLICT if other processes kept storing cheques from the chequebook through 16 attempts.
   */
  async receive(cheque: unknown, options: { chainId?: ChainId } = {}): Promise<VerifiedCheque> {
    const c = validateCheque(cheque);
    // One at a time per chequebook in this process. Across processes sharing the store, the write is a
    // compare-and-set against the cheque this receipt read: if another process stored one meanwhile, the receipt is
    // measured again from that one, so each increment is credited by exactly one receipt.
    return this.#mutex.run(c.chequebook, async () => {
      const key = pairKey(c.chequebook, c.beneficiary);
      for (let attempt = 1; ; attempt++) {
        // What this receiver last stored saves a read; the compare-and-set catches it if another writer moved on.
        let previous = this.#held.get(key);
        if (previous === undefined) previous = (await this.#store.getReceived(c.chequebook, c.beneficiary))?.cheque.cumulativePayout ?? 0n;
        try {
          const verified = await this.#verifier.verify(c, { ...options, previous });
          await this.#store.putReceived(verified.cheque, undefined, { previous });
          this.#remember(key, verified.cheque.cumulativePayout);
          return verified;
        } catch (error) {
          // A remembered value is never above what is held (cheques only rise), so a refusal measured from it stands;
          // a conflict means another writer moved on: read the store again.
          if (!isChequeError(error, "STORE_CONFLICT") || attempt >= MAX_ATTEMPTS) throw error;
          this.#held.delete(key);
        }
      }
    });
  }

  #remember(key: string, cumulative: bigint): void {
    if (this.#held.size >= MAX_REMEMBERED) this.#held.delete(this.#held.keys().next().value!);
    this.#held.set(key, cumulative);
  }

  /** The best cheque held from `chequebook`. */
  best(chequebook: string): Promise<ReceivedCheque | undefined> {
    return this.#store.getReceived(chequebook, this.#verifier.beneficiary);
  }

  /** Every best cheque held, one per chequebook. */
  all(): Promise<ReceivedCheque[]> {
    return this.#store.listReceived(this.#verifier.beneficiary);
  }
}

