/** Helpers for the cash-out watcher tests: a scheduler over a sequential executor, cheques held, chain moves. */
import type { Provider } from "ethers";

import {
  CashoutScheduler,
  ChequeCasher,
  sequentialCashout,
  signCheque,
  type CashoutSchedulerOptions,
  type ChequeStore,
  type WatchEvent,
} from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import type { SdkFixture } from "./helpers.js";

export const FAST = { pollMs: 10, droppedAfterMs: 150 };

/** A scheduler for `f.beneficiary` over `store`, cashing one chequebook per transaction; its events in `events`. */
export function watcher(f: SdkFixture, store: ChequeStore, options: Partial<CashoutSchedulerOptions> & { gasCostInToken?: (wei: bigint) => bigint; maxGasShare?: number } = {}) {
  const events: WatchEvent[] = [];
  const waiting: Array<(e: WatchEvent) => void> = [];
  const { gasCostInToken, maxGasShare, ...rest } = options;
  const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: gasCostInToken ?? (() => 0n), maxGasShare: maxGasShare ?? 1, tx: FAST });
  const scheduler = new CashoutScheduler({
    provider: ethers.provider as unknown as Provider,
    store,
    beneficiary: f.beneficiary.address,
    executor: sequentialCashout(casher),
    confirmations: 0,
    ...rest,
    onEvent: (e) => {
      events.push(e);
      for (const w of [...waiting]) w(e);
      rest.onEvent?.(e);
    },
  });
  /** The next event matching `match` (for the loop of start(): wait for the event, never for time). */
  const waitFor = (match: (e: WatchEvent) => boolean) =>
    new Promise<WatchEvent>((resolve) => {
      const w = (e: WatchEvent) => {
        if (!match(e)) return;
        waiting.splice(waiting.indexOf(w), 1);
        resolve(e);
      };
      waiting.push(w);
    });
  return { scheduler, events, casher, waitFor, decisions: () => events.flatMap((e) => (e.type === "decision" ? e.items : [])) };
}

/** Signs and stores a cheque of `f.issuer` (or `signer`) on `chequebook` for the beneficiary. */
export async function hold(f: SdkFixture, store: ChequeStore, cumulativePayout: bigint, chequebook = f.address, signer = f.issuer) {
  const cheque = await signCheque({ signer, chequebook, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
  await store.putReceived(cheque);
  return cheque;
}

/** Transactions the beneficiary has sent: every cash-out costs one. */
export function sent(f: SdkFixture): Promise<number> {
  return ethers.provider.getTransactionCount(f.beneficiary.address);
}

/** Moves chain time forward by `seconds` and mines a block at that time. */
export async function advance(seconds: number | bigint): Promise<void> {
  await networkHelpers.time.increase(seconds);
}

/** The timestamp of the latest block. */
export async function chainNow(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}
