/**
 * State shared by every issuer handle of this process on one store.
 */
import { randomUUID } from "node:crypto";

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
  /**
   * `at`: our clock when the reading's block was last seen to be the latest (its read, or a later check finding the
   * same block); `mark`: the fleet's write mark (see {@link fleetMark}) the reading was taken under.
   */
  snapshots: Map<string, { funds: ChainFunds; at: number; block: BlockId; mark: string }>;
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

/**
 * On a store shared by several processes (one with `exclusive`), the mark of the latest fund-reducing write
 * (withdrawal, hard-deposit increase) any process made to `chequebook`: a fresh random token with the block it was
 * mined in (or the floor known before it was sent). Another process's cached reading is reused only under the mark it
 * was taken under, and no reading comes from before that block: in-process state cannot see another process's writes.
 * For a store of one process, the empty mark at block 0 (nothing read).
 */
export async function fleetMark(store: ChequeStore, chequebook: string): Promise<{ mark: string; block: number }> {
  if (store.exclusive === undefined) return { mark: "", block: 0 };
  const mark = (await store.getMeta(fleetMarkKey(chequebook))) ?? "";
  const block = Number(mark.split(":")[0]);
  return { mark, block: Number.isSafeInteger(block) && block > 0 ? block : 0 };
}

/** Records a fund-reducing write to `chequebook` for the other processes sharing `store` (under the issue lock). */
export async function markFleetWrite(store: ChequeStore, chequebook: string, block: number): Promise<void> {
  if (store.exclusive === undefined) return;
  await store.putMeta(fleetMarkKey(chequebook), `${block}:${randomUUID()}`);
}

const fleetMarkKey = (chequebook: string) => `issuer:write:${chequebook.toLowerCase()}`;
