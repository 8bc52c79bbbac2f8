/**
 * State shared by every issuer handle of this process on one store.
 */
import { KeyedMutex } from "../mutex.js";
import type { ChequeStore } from "../store/types.js";
import type { BlockId } from "./chain-funds.js";
import type { ChainFunds } from "./funds.js";

/**
 * What every issuer handle of this process on one store shares, per chequebook:
 * - one lock: the funds check, the signature and the commit of an issue run under it, and so do a withdrawal and a
 *   hard-deposit increase from their check until their transaction is mined, so no interleaving of issues and of
 *   these writes, to any beneficiaries and through any number of handles, promises more than the chequebook holds;
 * - the cached chain reading, named by the block it was read at (reused while that block is the latest, and for
 *   `balanceCacheMs` whatever the block), which any handle's write drops, and a count of the writes, so that a
 *   reading that started before a write and ended after it is never cached.
 */
export interface Shared {
  lock: KeyedMutex;
  snapshots: Map<string, { funds: ChainFunds; at: number; block: BlockId }>;
  writes: Map<string, number>;
  /**
   * The block of the latest write mined through any handle: readings are taken at it or later, since a provider may
   * answer "latest" with a block from before it (ethers reuses identical answers for up to 250 ms).
   */
  minBlock: Map<string, number>;
}

const sharedByStore = new WeakMap<ChequeStore, Shared>();

/** The shared state of the issuer handles on `store`. */
export function sharedFor(store: ChequeStore): Shared {
  let shared = sharedByStore.get(store);
  if (shared === undefined) sharedByStore.set(store, (shared = { lock: new KeyedMutex(), snapshots: new Map(), writes: new Map(), minBlock: new Map() }));
  return shared;
}
