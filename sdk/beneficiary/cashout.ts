/**
 * Cashing received cheques: the best cheque held for a chequebook, directly as the beneficiary or through a third
 * party with a Cashout authorisation. Before sending: simulate, compute what is uncashed and what would be paid,
 * and refuse when gas would eat more than the configured share of the payout. After: decode the result, record it.
 */
import type { Signer, TransactionReceipt } from "ethers";

import { type SignedCheque, validateCheque } from "../cheque/cheque.js";
import { chequebookAt, chequebookInterface, rpc, toChequeError } from "../chain/contracts.js";
import { ChequeError, isChequeError } from "../errors.js";
import type { CashoutRecord, ChequeStore } from "../store/types.js";
import { sendTransaction, type TxOptions } from "../chain/tx.js";
import { toAddress, toSignature, toUint256 } from "../validate.js";

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
}

const SHARE_SCALE = 1_000_000n;

/**
 * Cashes cheques held in the store.
 *
 * @example
 * const casher = new ChequeCasher({ signer, store, gasCostInToken: (wei) => wei * tokenPerWei })
 * const { paid, stillOwed } = await casher.cashOut(chequebook)
 */
export class ChequeCasher {
  readonly #signer: Signer;
  readonly #store: ChequeStore;
  readonly #beneficiary: string | undefined;
  readonly #gasCostInToken: CasherOptions["gasCostInToken"];
  readonly #share: bigint;
  readonly #tx: TxOptions;
  /** paidOut seen at our own cash-outs' blocks. It only grows, so a read older than it (a provider may cache
   * identical requests briefly) is corrected by taking the larger. */
  readonly #knownPaidOut = new Map<string, bigint>();

  constructor(options: CasherOptions) {
    this.#signer = options.signer;
    this.#store = options.store;
    this.#beneficiary = options.beneficiary === undefined ? undefined : toAddress(options.beneficiary, "beneficiary");
    this.#gasCostInToken = options.gasCostInToken;
    const share = options.maxGasShare ?? 0.25;
    if (!(share > 0 && share <= 1)) throw new ChequeError("INVALID_ARGUMENT", "maxGasShare must be in (0, 1]");
    this.#share = BigInt(Math.round(share * Number(SHARE_SCALE)));
    this.#tx = options.tx ?? {};
  }

  async #me(): Promise<string> {
    return this.#beneficiary ?? (await this.#signer.getAddress());
  }

  #provider() {
    if (this.#signer.provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    return this.#signer.provider;
  }

  /** Where `chequebook` stands: held, paid out, uncashed, payable now, and the last cash-out. */
  async status(chequebook: string): Promise<CashoutStatus> {
    const address = toAddress(chequebook, "chequebook");
    const me = await this.#me();
    const held = (await this.#store.getReceived(address, me))?.cheque.cumulativePayout ?? 0n;
    const book = chequebookAt(address, this.#provider());
    const [readPaidOut, liquidFor] = await rpc("reading the chequebook", () =>
      Promise.all([book.getFunction("paidOut")(me) as Promise<bigint>, book.getFunction("liquidBalanceFor")(me) as Promise<bigint>]),
    );
    const known = this.#knownPaidOut.get(`${address}:${me}`) ?? 0n;
    const paidOut = readPaidOut > known ? readPaidOut : known;
    const uncashed = held > paidOut ? held - paidOut : 0n;
    const [last] = await this.#store.listCashouts(address);
    const status: CashoutStatus = { chequebook: address, held, paidOut, uncashed, payable: uncashed < liquidFor ? uncashed : liquidFor };
    if (last !== undefined) status.last = last;
    return status;
  }

  /** The uncashed total across every chequebook we hold cheques from, and each one's status. */
  async totalUncashed(): Promise<{ total: bigint; chequebooks: CashoutStatus[] }> {
    const held = await this.#store.listReceived(await this.#me());
    const chequebooks = await Promise.all(held.map((r) => this.status(r.cheque.chequebook)));
    return { total: chequebooks.reduce((sum, s) => sum + s.uncashed, 0n), chequebooks };
  }

  /**
   * What cashing the best cheque from `chequebook` would pay and cost, simulating the call.
   *
   * @throws ChequeError NOTHING_TO_CASH; CONTRACT_REVERT if the simulation reverts; RPC_UNAVAILABLE.
   */
  async quote(chequebook: string, options: { recipient?: string } = {}): Promise<CashoutQuote & { cheque: SignedCheque; data: string }> {
    const address = toAddress(chequebook, "chequebook");
    const me = await this.#me();
    const best = await this.#store.getReceived(address, me);
    if (best === undefined) throw new ChequeError("NOTHING_TO_CASH", `no cheque from ${address} is held`, { details: { chequebook: address } });
    const { payable, uncashed } = await this.status(address);
    if (uncashed === 0n) throw new ChequeError("NOTHING_TO_CASH", `the cheque from ${address} is fully cashed already`, { details: { chequebook: address } });
    if (payable === 0n) throw new ChequeError("NOTHING_TO_CASH", `${address} owes ${uncashed} but has nothing liquid: wait for a deposit`, { details: { chequebook: address, uncashed } });
    const recipient = toAddress(options.recipient ?? me, "recipient");
    const data = chequebookInterface.encodeFunctionData("cashChequeBeneficiary", [recipient, best.cheque.cumulativePayout, best.cheque.signature]);
    return { ...(await this.#price(address, data, payable, payable)), cheque: best.cheque, data };
  }

  async #price(chequebook: string, data: string, payable: bigint, reward: bigint): Promise<CashoutQuote> {
    const provider = this.#provider();
    const from = await this.#signer.getAddress();
    const [gas, fees] = await Promise.all([
      provider.estimateGas({ from, to: chequebook, data }).catch((e: unknown) => {
        throw toChequeError(e, "simulating the cash-out");
      }),
      rpc("reading gas prices", () => provider.getFeeData()),
    ]);
    const price = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
    const costWei = gas * price;
    const costInToken = await this.#gasCostInToken(costWei);
    return { chequebook, payable, gas, costWei, costInToken, worthIt: costInToken * SHARE_SCALE <= reward * this.#share };
  }

  /**
   * Cashes the best cheque held from `chequebook`, as the beneficiary.
   *
   * @param options.recipient - where the tokens go; the beneficiary by default.
   * @param options.force - cash even if gas exceeds the configured share of the payout.
   * @throws ChequeError NOTHING_TO_CASH, UNPROFITABLE_CASHOUT, CONTRACT_REVERT, NO_GAS_FUNDS, OUT_OF_GAS,
   *   TX_DROPPED, TIMEOUT, RPC_UNAVAILABLE. Every attempt, failed or not, is recorded in the store.
   */
  async cashOut(chequebook: string, options: { recipient?: string; force?: boolean } = {}): Promise<CashoutResult> {
    const quote = await this.quote(chequebook, options);
    if (!quote.worthIt && !options.force) throw unprofitable(quote);
    return this.#send(quote.chequebook, quote.cheque, quote.data, 0n);
  }

  /**
   * Cashes `cheque` for its beneficiary as a third party, with the beneficiary's Cashout `authorisation` for
   * this signer, `recipient` and `callerPayout`. The fee must be worth the gas.
   *
   * @throws ChequeError as {@link ChequeCasher.cashOut}; UNPROFITABLE_CASHOUT weighs the gas against the fee.
   */
  async cashOutFor(args: { cheque: SignedCheque; authorisation: string; recipient: string; callerPayout: bigint; force?: boolean }): Promise<CashoutResult> {
    const cheque = validateCheque(args.cheque);
    const recipient = toAddress(args.recipient, "recipient");
    const fee = toUint256(args.callerPayout, "callerPayout");
    const data = chequebookInterface.encodeFunctionData("cashCheque", [
      cheque.beneficiary, recipient, cheque.cumulativePayout, toSignature(args.authorisation, "authorisation", "INVALID_ARGUMENT"), fee, cheque.signature,
    ]);
    const book = chequebookAt(cheque.chequebook, this.#provider());
    const [paidOut, liquidFor] = await rpc("reading the chequebook", () =>
      Promise.all([book.getFunction("paidOut")(cheque.beneficiary) as Promise<bigint>, book.getFunction("liquidBalanceFor")(cheque.beneficiary) as Promise<bigint>]),
    );
    const uncashed = cheque.cumulativePayout > paidOut ? cheque.cumulativePayout - paidOut : 0n;
    if (uncashed === 0n) throw new ChequeError("NOTHING_TO_CASH", "the cheque is fully cashed already", { details: { chequebook: cheque.chequebook } });
    const quote = await this.#price(cheque.chequebook, data, uncashed < liquidFor ? uncashed : liquidFor, fee);
    if (!quote.worthIt && !args.force) throw unprofitable(quote);
    return this.#send(cheque.chequebook, cheque, data, fee);
  }

  async #send(chequebook: string, cheque: SignedCheque, data: string, callerPayout: bigint): Promise<CashoutResult> {
    const record: CashoutRecord = {
      id: `${chequebook}:${cheque.beneficiary}:${cheque.cumulativePayout}:${Date.now()}`,
      chequebook,
      beneficiary: cheque.beneficiary,
      cumulativePayout: cheque.cumulativePayout,
      status: "pending",
      updatedAt: Date.now(),
    };
    await this.#store.putCashout(record);
    let receipt: TransactionReceipt;
    try {
      receipt = await sendTransaction(this.#signer, { to: chequebook, data }, { ...this.#tx, store: this.#store, key: `cashout:${chequebook}:${cheque.beneficiary}` });
    } catch (error) {
      const e = isChequeError(error) ? error : toChequeError(error, "cash-out");
      await this.#store.putCashout({ ...record, status: e.code === "TX_DROPPED" ? "dropped" : "failed", error: `${e.code}: ${e.message}`, updatedAt: Date.now() });
      throw e;
    }
    const { paid, bounced } = decodeCashout(receipt, chequebook, cheque.beneficiary);
    // What the cheque still owes, read at the cash-out's own block so later cash-outs do not blur it.
    const paidOut = (await rpc("reading the paid-out amount", () =>
      chequebookAt(chequebook, this.#provider()).getFunction("paidOut")(cheque.beneficiary, { blockTag: receipt.blockNumber }),
    )) as bigint;
    this.#knownPaidOut.set(`${chequebook}:${cheque.beneficiary}`, paidOut);
    const result = { chequebook, paid, bounced, stillOwed: cheque.cumulativePayout - paidOut, txHash: receipt.hash, gasUsed: receipt.gasUsed };
    await this.#store.putCashout({
      ...record, status: "confirmed", txHash: result.txHash, paid: result.paid, bounced: result.bounced,
      stillOwed: result.stillOwed, gasUsed: result.gasUsed, updatedAt: Date.now(),
    });
    return { ...result, callerPayout };
  }
}

function unprofitable(quote: CashoutQuote): ChequeError {
  return new ChequeError("UNPROFITABLE_CASHOUT", `cashing ${quote.chequebook} would cost ${quote.costInToken} in gas for ${quote.payable}: wait for more to accumulate, or force it`, {
    details: { ...quote },
  });
}

/** Reads the ChequeCashed and ChequeBounced events of a cash-out receipt for `beneficiary`. */
export function decodeCashout(receipt: TransactionReceipt, chequebook: string, beneficiary: string): { paid: bigint; bounced: boolean } {
  let paid: bigint | undefined;
  let bounced = false;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== chequebook.toLowerCase()) continue;
    const parsed = chequebookInterface.parseLog(log);
    if (parsed?.name === "ChequeCashed" && (parsed.args.beneficiary as string).toLowerCase() === beneficiary.toLowerCase()) {
      paid = parsed.args.totalPayout as bigint;
    }
    if (parsed?.name === "ChequeBounced") bounced = true;
  }
  if (paid === undefined) {
    throw new ChequeError("CONTRACT_REVERT", `transaction ${receipt.hash} emitted no ChequeCashed event: is ${chequebook} a chequebook?`, { details: { hash: receipt.hash } });
  }
  return { paid, bounced };
}
