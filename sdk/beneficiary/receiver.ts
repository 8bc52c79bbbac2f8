/**
 * The beneficiary side: receive a cheque, verify it, and commit it durably before saying yes.
 */
import { validateCheque } from "../cheque/cheque.js";
import { KeyedMutex } from "../mutex.js";
import { acrossProcesses, type ChequeStore, type ReceivedCheque } from "../store/types.js";
import type { ChainId } from "../cheque/typed-data.js";
import type { ChequeVerifier, VerifiedCheque } from "./verify.js";

/**
 * Receives cheques for one beneficiary. A cheque accepted by {@link ChequeReceiver.receive} is on disk (with a
 * durable store) before the call returns, so it survives a crash the moment it is accepted. Cheques from the same
 * chequebook are handled one at a time (across processes too, on a store shared by several, see
 * {@link ChequeStore.exclusive}); cheques from different chequebooks concurrently.
 *
 * @example
 * const receiver = new ChequeReceiver({ verifier, store })
 * const { increment } = await receiver.receive(decodeBeeCheque(text))
 */
export class ChequeReceiver {
  readonly #verifier: ChequeVerifier;
  readonly #store: ChequeStore;
  readonly #mutex = new KeyedMutex();

  constructor(options: { verifier: ChequeVerifier; store: ChequeStore }) {
    this.#verifier = options.verifier;
    this.#store = options.store;
  }

  /**
   * Verifies `cheque` and, if it passes, stores it as the best cheque from its chequebook.
   *
   * @param options.chainId - the chain the sender says the cheque is for, if the wire format carries one.
   * @returns the verification result; `increment` is what to credit the peer with.
   * @throws ChequeError any code of {@link ChequeVerifier.verify}, or STORE_FAILURE (then nothing was accepted).
   */
  async receive(cheque: unknown, options: { chainId?: ChainId } = {}): Promise<VerifiedCheque> {
    const c = validateCheque(cheque);
    // One at a time per chequebook in this process, and (with a shared store) across processes: the increment is
    // measured from the cheque held when this one is written.
    return this.#mutex.run(c.chequebook, () =>
      acrossProcesses(this.#store, `receive:${c.chequebook}:${c.beneficiary}`, async () => {
        const held = await this.#store.getReceived(c.chequebook, c.beneficiary);
        const verified = await this.#verifier.verify(c, { ...options, previous: held?.cheque.cumulativePayout ?? 0n });
        await this.#store.putReceived(verified.cheque);
        return verified;
      }),
    );
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

