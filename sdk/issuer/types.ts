/** The issuer's types: its options, what an issue returns, and the chequebook's money as the issuer sees it. */
import type { Signer } from "ethers";

import type { SignedCheque } from "../cheque/cheque.js";
import type { TxOptions } from "../chain/tx.js";
import type { ChequeStore } from "../store/types.js";

/** The chequebook's money, as the issuer sees it. */
export interface ChequebookBalances {
  /** Tokens held by the chequebook. */
  total: bigint;
  /** Tokens not reserved by hard deposits (what can be withdrawn, at most). */
  liquid: bigint;
  totalHardDeposit: bigint;
  totalPaidOut: bigint;
  /** The sum of the last cheques issued to each beneficiary (from the store). */
  totalIssued: bigint;
  /**
   * Promised and not yet paid: `totalIssued - totalPaidOut`. A cheque cashed in part (it bounced) counts with its
   * unpaid rest, since `paidOut` grows only by what was paid. Exact while this store records every cheque the
   * chequebook's key signs (see {@link ChequebookIssuer}).
   */
  outstanding: bigint;
  /**
   * What can still be withdrawn, or promised to a beneficiary without a hard deposit, leaving every issued cheque
   * payable: `total - outstanding` without hard deposits; with them, the liquid balance minus what the cheques need
   * beyond their beneficiaries' hard deposits (see `./funds.ts`).
   */
  available: bigint;
}

/** The result of {@link ChequebookIssuer.issueCheque}. */
export interface IssueResult {
  cheque: SignedCheque;
  /** The amount this cheque adds. */
  amount: bigint;
  /** What can still be promised after it (to the same beneficiary: with hard deposits, others may get less). */
  availableAfter: bigint;
  /** `availableAfter` is below the configured low-funds threshold. */
  lowFunds: boolean;
}

/** Options of a {@link ChequebookIssuer}. */
export interface IssuerOptions {
  /** The issuer's signer, connected to a provider. */
  signer: Signer;
  chequebook: string;
  store: ChequeStore;
  /** Warn when what can still be promised falls below this. Default 0 (never). */
  lowFundsThreshold?: bigint;
  onLowFunds?: (info: { chequebook: string; available: bigint; threshold: bigint }) => void;
  /** Reuse the on-chain balance for this long (ms) after its block was last seen to be the latest. Default 0. */
  balanceCacheMs?: number;
  tx?: TxOptions;
}
