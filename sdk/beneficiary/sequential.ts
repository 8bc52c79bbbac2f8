/**
 * A {@link CashoutExecutor} that cashes one chequebook per transaction through a {@link ChequeCasher}: the fallback
 * for chains or accounts where batching is not available, and the reference a batch executor must agree with.
 */
import { isChequeError } from "../errors.js";
import type { ChequeCasher } from "./cashout.js";
import type { CashoutExecutor, CashoutItemReport } from "./executor.js";

/**
 * Wraps `casher` as a {@link CashoutExecutor}: one `cashChequeBeneficiary` transaction per chequebook, in order. A
 * chequebook that cannot be cashed (nothing held, unprofitable, a revert) is reported as `skipped` with the
 * casher's error code; the others go on.
 *
 * @param options.force - cash even when gas exceeds the casher's share of the payout.
 * @example const executor = sequentialCashout(new ChequeCasher({ signer, store, gasCostInToken }))
 */
export function sequentialCashout(casher: ChequeCasher, options: { force?: boolean } = {}): CashoutExecutor {
  return {
    async cashOut(chequebooks, run = {}) {
      const reports: CashoutItemReport[] = [];
      for (const chequebook of chequebooks) {
        const report = await cashOne(casher, chequebook, options.force ?? false);
        reports.push(report);
        run.onProgress?.(report);
      }
      return reports;
    },
  };
}

async function cashOne(casher: ChequeCasher, chequebook: string, force: boolean): Promise<CashoutItemReport> {
  let held = 0n;
  let beneficiary = "";
  try {
    const status = await casher.status(chequebook);
    held = status.held;
    beneficiary = status.beneficiary;
    const result = await casher.cashOut(status.chequebook, { force });
    return {
      chequebook: result.chequebook,
      beneficiary,
      cumulativePayout: held,
      status: result.bounced ? "bounced" : "paid",
      paid: result.paid - result.callerPayout,
      txHash: result.txHash,
    };
  } catch (e) {
    const code = isChequeError(e) ? e.code : "UNKNOWN";
    return { chequebook, beneficiary, cumulativePayout: held, status: "skipped", paid: 0n, code, reason: e instanceof Error ? e.message : String(e) };
  }
}
