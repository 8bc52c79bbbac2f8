/** The options of the cash-out watcher ({@link CashoutScheduler}): what it watches, when it cashes, how it paces itself. */
import type { Provider } from "ethers";

import type { ChequeStore } from "../store/types.js";
import type { CashoutExecutor } from "./executor.js";
import type { CashoutScheduler } from "./scheduler.js";
import type { WatchEvent } from "./watch-report.js";

/** Options of a {@link CashoutScheduler}. */
export interface CashoutSchedulerOptions {
  provider: Provider;
  store: ChequeStore;
  /** Whose cheques are watched (the executor's beneficiary). */
  beneficiary: string;
  /** Does the cashing: {@link sequentialCashout} or a batch executor. */
  executor: CashoutExecutor;
  /** Blocks behind the head before a block counts as processed (the cursor never passes head - confirmations). Default 2. */
  confirmations?: number;
  /** The most blocks one log query covers. Default 1,000. */
  maxBlockRange?: number;
  /** Where to start when the store has no cursor (default: the head minus the confirmations). */
  fromBlock?: number;
  /** Follow cover (decreases, liquidity) and cash before it goes. Default true. */
  cover?: boolean;
  /** Cash a decreasing chequebook this long before the decrease comes due (seconds of chain time). Default 3,600. */
  safetySeconds?: number;
  /** And this many blocks more (times `blockTimeSeconds`). Default 0. */
  safetyBlocks?: number;
  /** Seconds per block, to turn `safetyBlocks` into time. Default 12. */
  blockTimeSeconds?: number;
  /** Cash a chequebook once what we are owed reaches this (token base units). */
  threshold?: bigint;
  /** Cash everything payable every this many seconds of chain time. */
  periodSeconds?: number;
  /** Cash when the payout is at least `margin` times the gas cost (in tokens), as `quote` prices it. */
  profit?: { quote: (chequebook: string) => Promise<{ payable: bigint; costInToken: bigint }>; margin?: number };
  /**
   * Never ask for a cash-out paying less than this (token base units). Default 1. It bounds what a hostile issuer
   * can make us spend: each cash-out we send pays us at least this much.
   */
  minPayout?: bigint;
  /** Re-read every chequebook's state this often (blocks), whatever the logs say; 0 never. Default 1,000. */
  fullRefreshBlocks?: number;
  /** The loop's wait between steps once caught up (ms). Default 4,000. */
  pollMs?: number;
  /** The loop's back-off after a failed step: `baseMs` doubling up to `maxMs`. Defaults 1,000 and 60,000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Receives every event ({@link watchEventJson} makes a JSON line of it). */
  onEvent?: (event: WatchEvent) => void;
}
