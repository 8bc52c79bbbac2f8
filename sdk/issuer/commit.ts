/** Committing an issued cheque when the store's answer may be lost. */
import type { SignedCheque } from "../cheque/cheque.js";
import { isChequeError } from "../errors.js";
import type { ChequeStore } from "../store/types.js";

/**
 * Records `cheque` as issued. A STORE_FAILURE may hide a commit that happened unheard (a shared database's connection
 * broke at the commit): if the store holds this very cheque, it was issued, and reporting it failed would make the
 * caller issue the same payment again on top of it.
 *
 * @throws ChequeError as {@link ChequeStore.putIssued}; STORE_FAILURE only if the cheque is not held (or the store
 *   cannot be read back).
 */
export async function commitIssued(store: ChequeStore, cheque: SignedCheque): Promise<void> {
  try {
    await store.putIssued(cheque);
  } catch (error) {
    if (!isChequeError(error, "STORE_FAILURE")) throw error;
    const held = await store.getIssued(cheque.chequebook, cheque.beneficiary).catch(() => undefined);
    if (held?.cheque.signature !== cheque.signature) throw error;
  }
}
