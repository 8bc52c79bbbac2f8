/** The types of cash-outs: their outcome, a chequebook's standing, a quote, and the casher's options. */
import type { Signer } from "ethers";

import type { TxOptions } from "../chain/tx.js";
import type { CashoutRecord, ChequeStore } from "../store/types.js";

/** The outcome of a cash-out. */
export interface CashoutResult {
  chequebook: string;
  /** Tokens that left the chequebook for this cheque (the caller's fee included). */
  paid: bigint;
  /** The caller's fee, for third-party cash-outs. */
  callerPayout: bigint;
  /** The chequebook could not pay in full; the rest stays claimable. */
  bounced: boolean;
  /** What the cheque still owes after this cash-out. */
  stillOwed: bigint;
  txHash: string;
  gasUsed: bigint;
}

/** Where a chequebook stands for us. */
export interface CashoutStatus {
  chequebook: string;
  /** Whose cheques (the casher's beneficiary). */
  beneficiary: string;
  /** The cumulative payout of the best cheque held. */
  held: bigint;
  paidOut: bigint;
  /** `held - paidOut`. */
  uncashed: bigint;
  /** What a cash-out would pay now: the uncashed amount capped by the liquid balance for us. */
  payable: bigint;
  last?: CashoutRecord;
}

/** What a cash-out would cost and pay. */
export interface CashoutQuote {
  chequebook: string;
  payable: bigint;
  gas: bigint;
  /** Gas cost in wei at current fees. */
  costWei: bigint;
  /** Gas cost in token base units, by `gasCostInToken`. */
  costInToken: bigint;
  /** Whether the cost is within `maxGasShare` of the payout (or of the fee, for a third party). */
  worthIt: boolean;
}

/** Options of a {@link ChequeCasher}. */
export interface CasherOptions {
  /** Who sends the transactions: the beneficiary, or a third party. */
  signer: Signer;
  store: ChequeStore;
  /** Whose cheques: by default the signer. */
  beneficiary?: string;
  /** The gas cost of a cash-out, converted into token base units (for example with a price feed). */
  gasCostInToken: (costWei: bigint) => bigint | Promise<bigint>;
  /** Refuse when gas exceeds this share of the payout. Default 0.25. */
  maxGasShare?: number;
  tx?: TxOptions;
  /**
   * How far back {@link ChequeCasher.recover} looks for the transaction of an interrupted cash-out whose hash is not
   * known (in blocks). Default 10,000.
   */
  recoveryLookbackBlocks?: number;
}

/** What {@link ChequeCasher.recover} did with each cash-out it found pending. */
export interface RecoveredCashout {
  record: CashoutRecord;
  /** `confirmed`: mined and recorded; `failed`/`dropped`: recorded so; `pending`: the node could not tell yet. */
  outcome: CashoutRecord["status"];
}
