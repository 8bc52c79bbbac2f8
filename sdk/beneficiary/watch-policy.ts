/**
 * The decisions of the cash-out watcher, as pure functions of what the chain says about a chequebook and what we
 * hold from it: is our cover about to go (a hard-deposit decrease coming due, liquidity below what we are owed),
 * has the uncashed amount passed a threshold. Reading that state from the chain is here too, as one snapshot at
 * one block.
 */
import type { Provider } from "ethers";

import { chequebookAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";

/** What a chequebook's contract says about us at one block. */
export interface ChequebookState {
  chequebook: string;
  /** The block the state was read at. */
  block: number;
  /** The chequebook's token balance. */
  balance: bigint;
  totalHardDeposit: bigint;
  /** Our hard deposit. */
  hardDeposit: bigint;
  /** The decrease of our hard deposit that is prepared (0 if none). */
  decreaseAmount: bigint;
  /** When the prepared decrease can be applied (unix seconds; 0 if none). */
  canBeDecreasedAt: bigint;
  /** What the chequebook has paid us so far. */
  paidOut: bigint;
  /** What a cash-out could pay us now. */
  liquidFor: bigint;
}

/** Why the watcher cashes a chequebook (or would, were anything payable). */
export type WatchReason =
  /** A prepared decrease of our hard deposit comes due within the safety margin and leaves less than we are owed. */
  | "COVER_DECREASE_DUE"
  /** What the chequebook can pay us now is less than what we are owed (a withdraw, others' cash-outs, a bounce). */
  | "COVER_LIQUIDITY_SHORT"
  /** The uncashed amount reached the threshold. */
  | "THRESHOLD"
  /** The period elapsed. */
  | "PERIOD"
  /** The payout beats the gas by the configured margin. */
  | "PROFITABLE";

/** Reads `chequebook`'s state for `beneficiary` at block `block`, every value at that one block. */
export async function readChequebookState(provider: Provider, chequebook: string, beneficiary: string, block: number): Promise<ChequebookState> {
  const book = chequebookAt(chequebook, provider);
  const at = { blockTag: block };
  const [balance, totalHardDeposit, deposit, paidOut, liquidFor] = await rpc("reading the chequebook's cover", () =>
    Promise.all([
      book.getFunction("balance")(at) as Promise<bigint>,
      book.getFunction("totalHardDeposit")(at) as Promise<bigint>,
      book.getFunction("hardDeposits")(beneficiary, at) as Promise<bigint[]>,
      book.getFunction("paidOut")(beneficiary, at) as Promise<bigint>,
      book.getFunction("liquidBalanceFor")(beneficiary, at) as Promise<bigint>,
    ]),
  );
  const [hardDeposit, decreaseAmount, , canBeDecreasedAt] = deposit;
  if (hardDeposit === undefined || decreaseAmount === undefined || canBeDecreasedAt === undefined) {
    throw new ChequeError("RPC_ERROR", `${chequebook} answered hardDeposits() with too few values: is it a chequebook?`, { details: { chequebook } });
  }
  return { chequebook, block, balance, totalHardDeposit, hardDeposit, decreaseAmount, canBeDecreasedAt, paidOut, liquidFor };
}

/** What we are owed by a chequebook and what a cash-out would pay now. */
export function owedAndPayable(state: ChequebookState, held: bigint): { owed: bigint; payable: bigint } {
  const owed = held > state.paidOut ? held - state.paidOut : 0n;
  return { owed, payable: owed < state.liquidFor ? owed : state.liquidFor };
}

/**
 * The hard deposit left to us once the prepared decrease is applied: all the cover that stays guaranteed (the
 * liquid rest can be withdrawn by the issuer in the same block as the decrease).
 */
export function hardDepositAfterDecrease(state: ChequebookState): bigint {
  const cut = state.decreaseAmount < state.hardDeposit ? state.decreaseAmount : state.hardDeposit;
  return state.hardDeposit - cut;
}

/**
 * Whether our cover of what we are owed is about to go, and why: a decrease due within `marginSeconds` of `now`
 * (chain time) that leaves a hard deposit below what we are owed, or a chequebook that cannot pay all we are owed
 * right now. Undefined when nothing is owed or the cover holds.
 */
export function coverRisk(args: { state: ChequebookState; held: bigint; now: bigint; marginSeconds: bigint }): WatchReason | undefined {
  const { state } = args;
  const { owed } = owedAndPayable(state, args.held);
  if (owed === 0n) return undefined;
  if (owed > state.liquidFor) return "COVER_LIQUIDITY_SHORT";
  if (state.decreaseAmount > 0n && args.now + args.marginSeconds >= state.canBeDecreasedAt && owed > hardDepositAfterDecrease(state)) {
    return "COVER_DECREASE_DUE";
  }
  return undefined;
}

/**
 * A key that changes whenever anything a decision depends on changes (the state read and the cheque held), so a
 * chequebook that could not be cashed is not tried again until something moved.
 */
export function fingerprint(state: ChequebookState, held: bigint): string {
  return [held, state.paidOut, state.liquidFor, state.hardDeposit, state.decreaseAmount, state.canBeDecreasedAt, state.balance, state.totalHardDeposit].join(":");
}
