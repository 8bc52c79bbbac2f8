/**
 * The contract between whoever decides *when* to cash out (a scheduler, the CLI, a dashboard) and whatever does the
 * cashing (one transaction per cheque, or a batch). Both sides import these types from here.
 */

/** What happened to one chequebook's cheque in a cash-out. */
export type CashoutItemStatus = "paid" | "bounced" | "skipped";

/** The outcome for one chequebook of a (batch) cash-out. */
export interface CashoutItemReport {
  chequebook: string;
  beneficiary: string;
  /** The cumulative amount of the cheque that was (or would have been) cashed; 0n if none was held. */
  cumulativePayout: bigint;
  /** `paid`: in full; `bounced`: partly or not at all for lack of funds; `skipped`: left out (see `code`). */
  status: CashoutItemStatus;
  /** Token units that reached the beneficiary through this cash-out. */
  paid: bigint;
  /** A stable code saying why an item bounced or was skipped (e.g. NOTHING_TO_CASH, SIMULATION_FAILED). */
  code?: string;
  /** A human sentence for `code`. */
  reason?: string;
  /** The transaction that carried the item, if one was sent. */
  txHash?: string;
}

/** Cashes the best received cheques of some chequebooks for one beneficiary. */
export interface CashoutExecutor {
  /**
   * Cashes the best held cheque from each of `chequebooks`; resolves with one report per chequebook, in order.
   * A bad item never sinks the others: it is reported, not thrown.
   */
  cashOut(
    chequebooks: readonly string[],
    options?: { onProgress?: (report: CashoutItemReport) => void },
  ): Promise<CashoutItemReport[]>;
}
