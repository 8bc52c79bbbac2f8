/**
 * Batch cash-out for an EOA beneficiary delegated with EIP-7702 to the cash-out delegate (contracts/
 * CashoutDelegate.sol): the account sends itself one transaction that cashes the best held cheque of many
 * chequebooks, each as `cashChequeBeneficiary` with the beneficiary as `msg.sender`. Each item is simulated first
 * and left out if it would fail; in the transaction each runs with its own gas cap and a failure is reported by an
 * event, so one item cannot sink the others.
 *
 * Records as {@link ChequeCasher} does: a pending cash-out record per item before sending, the transaction
 * remembered under every item's pending-transaction key before it reaches the node, each item's result recorded
 * before its key is forgotten. A process killed in between is settled by {@link ChequeCasher.recover} (the same
 * store keys), which {@link BatchCasher.recover} runs.
 */
import { Interface, type Signer, type TransactionReceipt } from "ethers";

import { CASHOUT_DELEGATE_ABI } from "../chain/abi.js";
import { chequebookAt, chequebookInterface, rpc, toChequeError } from "../chain/contracts.js";
import { guardProvider } from "../chain/guard.js";
import { isCanonical, sendTransaction, type TxOptions } from "../chain/tx.js";
import { ChequeError, isChequeError } from "../errors.js";
import { acrossProcesses, type CashoutRecord, type ChequeStore } from "../store/types.js";
import { toAddress } from "../validate.js";
import { ChequeCasher, cashoutTxKey, type CasherOptions, type RecoveredCashout } from "./cashout.js";
import { decodeCashout } from "./cashout-logs.js";
import { lockKey, withLocks } from "./cashout-locks.js";
import { delegationOf } from "./delegation.js";
import type { CashoutExecutor, CashoutItemReport } from "./executor.js";

/** The parsed ABI of the cash-out delegate: encodes a batch, decodes its CashoutItemFailed events and errors. */
export const cashoutDelegateInterface = new Interface(CASHOUT_DELEGATE_ABI);

/** Options of a {@link BatchCasher}. */
export interface BatchCasherOptions {
  /** The beneficiary's key (its account is the one delegated and the one paid). */
  signer: Signer;
  store: ChequeStore;
  /** The CashoutDelegate the account delegates to. */
  delegate: string;
  /** The gas cost of an item, converted into token base units (as for {@link ChequeCasher}). */
  gasCostInToken: CasherOptions["gasCostInToken"];
  /** Leave out an item whose gas exceeds this share of its payout. Default 0.25. */
  maxGasShare?: number;
  /** Only cash chequebooks paying in this token; others are skipped with WRONG_TOKEN. */
  token?: string;
  /** At most this many items per transaction. Default 200. */
  maxItemsPerTx?: number;
  /** At most this much gas per transaction (Osaka caps a transaction at 2^24). Default 15,000,000. */
  maxGasPerTx?: bigint;
  tx?: TxOptions;
}

/** One item that passed its simulation. */
interface Planned {
  chequebook: string;
  cumulativePayout: bigint;
  issuerSig: string;
  /** The item's gas cap in the batch: its standalone estimate, which includes 21,000 of slack for the cold call. */
  gasLimit: bigint;
}

const SHARE_SCALE = 1_000_000n;
/** Per item besides its cap: the 1/64 the EVM withholds, {CappedCall}'s overhead, the loop, the event of a failure. */
const itemBudget = (gasLimit: bigint) => gasLimit + gasLimit / 63n + 5_000n + 6_000n;
/** The transaction's own cost besides its items (21,000 intrinsic, the call into the delegate, the array). */
const TX_BASE = 60_000n;

/**
 * Cashes many chequebooks' cheques in one transaction per batch.
 *
 * @example
 * const batch = new BatchCasher({ signer: wallet, store, delegate, gasCostInToken: (wei) => wei * tokenPerWei })
 * if (await batch.supported()) for (const r of await batch.cashOut(chequebooks)) console.log(r.chequebook, r.status)
 */
export class BatchCasher implements CashoutExecutor {
  readonly #signer: Signer;
  readonly #store: ChequeStore;
  readonly #delegate: string;
  readonly #casher: ChequeCasher;
  readonly #gasCostInToken: CasherOptions["gasCostInToken"];
  readonly #share: bigint;
  readonly #token: string | undefined;
  readonly #maxItems: number;
  readonly #maxGas: bigint;
  readonly #tx: TxOptions;
  #recovery: Promise<RecoveredCashout[]> | undefined;

  constructor(options: BatchCasherOptions) {
    this.#signer = options.signer;
    this.#store = options.store;
    this.#delegate = toAddress(options.delegate, "delegate");
    this.#gasCostInToken = options.gasCostInToken;
    const share = options.maxGasShare ?? 0.25;
    this.#casher = new ChequeCasher({ signer: options.signer, store: options.store, gasCostInToken: options.gasCostInToken, maxGasShare: share, ...(options.tx ? { tx: options.tx } : {}) });
    this.#share = BigInt(Math.round(share * Number(SHARE_SCALE)));
    this.#token = options.token === undefined ? undefined : toAddress(options.token, "token");
    this.#maxItems = options.maxItemsPerTx ?? 200;
    if (!(Number.isSafeInteger(this.#maxItems) && this.#maxItems > 0)) throw new ChequeError("INVALID_ARGUMENT", "maxItemsPerTx must be a positive integer");
    this.#maxGas = options.maxGasPerTx ?? 15_000_000n;
    if (this.#maxGas < TX_BASE + itemBudget(100_000n)) throw new ChequeError("INVALID_ARGUMENT", "maxGasPerTx is too small for one item");
    this.#tx = options.tx ?? {};
  }

  #provider() {
    if (this.#signer.provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    return guardProvider(this.#signer.provider);
  }

  /** Whether the signer's account is delegated to this casher's delegate (so batches can run). */
  async supported(): Promise<boolean> {
    const { delegate } = await delegationOf(this.#provider(), await this.#signer.getAddress());
    return delegate !== undefined && delegate.toLowerCase() === this.#delegate.toLowerCase();
  }

  /**
   * Settles cash-outs (batched or not) that a previous process left pending: {@link ChequeCasher.recover}. Runs by
   * itself before the first batch.
   */
  recover(): Promise<RecoveredCashout[]> {
    return this.#casher.recover();
  }

  #recovered(): Promise<RecoveredCashout[]> {
    this.#recovery ??= this.recover().catch((error: unknown) => {
      this.#recovery = undefined;
      throw error;
    });
    return this.#recovery;
  }

  /**
   * Cashes the best held cheque of each of `chequebooks`, in as few transactions as the limits allow, holding the
   * cash-out lock of every (chequebook, beneficiary) meanwhile (across processes too, on a store shared by several:
   * the lock {@link ChequeCasher} takes). Resolves with one report per input, in order.
   *
   * Left out (`skipped`, with the code): NOTHING_TO_CASH (none held, fully cashed, nothing liquid), WRONG_TOKEN,
   * SIMULATION_FAILED (the call would revert: `reason` names the error), UNPROFITABLE_CASHOUT (unless `force`),
   * DUPLICATE (the same chequebook twice), and any code of a transaction that failed as a whole. An item that
   * failed inside the batch is `skipped` with ITEM_REVERTED, or `bounced` with NO_LIQUIDITY when its cover went
   * between the simulation and the block. When the node cannot tell what became of a sent batch (no answer, or
   * its block left the chain before it was recorded: TX_REORGED), its items are `skipped` with that code and stay
   * pending in the store, settled by {@link BatchCasher.recover} (which runs before the next batch).
   *
   * @throws ChequeError BATCH_UNSUPPORTED if the account is not delegated to the delegate; STORE_BUSY if another
   *   process held a cash-out lock too long (nothing sent); RPC_TIMEOUT,
   *   RPC_UNAVAILABLE, WRONG_CHAIN from the recovery that runs first.
   */
  async cashOut(chequebooks: readonly string[], options: { onProgress?: (report: CashoutItemReport) => void; force?: boolean } = {}): Promise<CashoutItemReport[]> {
    await this.#recovered();
    if (!(await this.supported())) {
      throw new ChequeError("BATCH_UNSUPPORTED", `the account is not delegated to the cash-out delegate ${this.#delegate}: delegate it first, or cash out one by one`);
    }
    const me = await this.#signer.getAddress();
    const reports = new Map<number, CashoutItemReport>();
    const report = (index: number, r: CashoutItemReport) => {
      reports.set(index, r);
      options.onProgress?.(r);
    };
    const firstIndex = new Map<string, number>();
    chequebooks.forEach((raw, index) => {
      let address: string;
      try {
        address = toAddress(raw, "chequebook");
      } catch (e) {
        return report(index, skip(raw, me, 0n, isChequeError(e) ? e.code : "INVALID_ARGUMENT", String((e as Error).message)));
      }
      if (firstIndex.has(address)) return report(index, skip(address, me, 0n, "DUPLICATE", "listed twice: cashed once"));
      firstIndex.set(address, index);
    });
    // The cash-out lock of each item, in this process and, on a store shared by several, across processes too.
    const keys = [...firstIndex.keys()].map((c) => lockKey(c, me));
    await withLocks(keys, () => acrossProcesses(this.#store, keys.map((k) => `cashout:${k}`), async () => {
      const price = await this.#price();
      const planned: Array<Planned & { index: number }> = [];
      for (const [chequebook, index] of firstIndex) {
        // A cash-out of this item another process (or call) left pending is settled first: recorded, not sent again.
        // If the node cannot tell what became of it, the item waits (left out), the others go on.
        try {
          await this.#casher.settlePendingLocked(chequebook, me);
        } catch (e) {
          const code = isChequeError(e) ? e.code : "RPC_ERROR";
          report(index, skip(chequebook, me, 0n, code, `an earlier cash-out of it is still pending: ${(e as Error).message}`));
          continue;
        }
        const plan = await this.#plan(chequebook, me, price, options.force ?? false);
        if ("status" in plan) report(index, plan);
        else planned.push({ ...plan, index });
      }
      for (const chunk of this.#chunks(planned)) {
        const results = await this.#send(chunk, me);
        chunk.forEach((item, i) => report(item.index, results[i]!));
      }
    }));
    return chequebooks.map((_, index) => reports.get(index)!);
  }

  async #price(): Promise<bigint> {
    const fees = await rpc("reading gas prices", () => this.#provider().getFeeData());
    return fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
  }

  /** Simulates cashing `chequebook`'s best cheque; a report if it is left out, else the item. */
  async #plan(chequebook: string, me: string, price: bigint, force: boolean): Promise<Planned | CashoutItemReport> {
    const best = await this.#store.getReceived(chequebook, me);
    const held = best?.cheque.cumulativePayout ?? 0n;
    if (best === undefined) return skip(chequebook, me, 0n, "NOTHING_TO_CASH", `no cheque from ${chequebook} is held`);
    try {
      if (this.#token !== undefined) {
        const token = toAddress((await rpc("reading the chequebook's token", () => chequebookAt(chequebook, this.#provider()).getFunction("token")())) as string, "token");
        if (token !== this.#token) return skip(chequebook, me, held, "WRONG_TOKEN", `${chequebook} pays in ${token}, not ${this.#token}`);
      }
      const status = await this.#casher.status(chequebook);
      if (status.uncashed === 0n) return skip(chequebook, me, held, "NOTHING_TO_CASH", `the cheque from ${chequebook} is fully cashed already`);
      if (status.payable === 0n) return skip(chequebook, me, held, "NOTHING_TO_CASH", `${chequebook} owes ${status.uncashed} but has nothing liquid: wait for a deposit`);
      const data = chequebookInterface.encodeFunctionData("cashChequeBeneficiary", [me, held, best.cheque.signature]);
      let gas: bigint;
      try {
        gas = await this.#provider().estimateGas({ from: me, to: chequebook, data });
      } catch (error) {
        const e = toChequeError(error, `simulating the cash-out of ${chequebook}`);
        const name = typeof e.details.errorName === "string" ? `${e.details.errorName}: ` : "";
        return skip(chequebook, me, held, "SIMULATION_FAILED", `${name}${e.message}`);
      }
      // In a batch an item costs its execution without the transaction's 21,000, plus a cold call.
      const costInToken = await this.#gasCostInToken((gas - 21_000n + 2_600n) * price);
      if (!force && costInToken * SHARE_SCALE > status.payable * this.#share) {
        return skip(chequebook, me, held, "UNPROFITABLE_CASHOUT", `cashing ${chequebook} would cost ${costInToken} in gas for ${status.payable}: wait for more to accumulate, or force it`);
      }
      return { chequebook, cumulativePayout: held, issuerSig: best.cheque.signature, gasLimit: gas };
    } catch (error) {
      const e = isChequeError(error) ? error : toChequeError(error, `reading ${chequebook}`);
      return skip(chequebook, me, held, e.code, e.message);
    }
  }

  /** Splits `items` into transactions of at most maxItemsPerTx items and maxGasPerTx gas. */
  *#chunks<T extends Planned>(items: T[]): Generator<T[]> {
    let chunk: T[] = [];
    let gas = TX_BASE;
    for (const item of items) {
      const need = itemBudget(item.gasLimit);
      if (chunk.length > 0 && (chunk.length >= this.#maxItems || gas + need > this.#maxGas)) {
        yield chunk;
        chunk = [];
        gas = TX_BASE;
      }
      chunk.push(item);
      gas += need;
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Sends one batch and records each item; the reports in the order of `items`. */
  async #send(items: Planned[], me: string): Promise<CashoutItemReport[]> {
    const now = Date.now();
    const records: CashoutRecord[] = items.map((item, i) => ({
      id: `${item.chequebook}:${me}:${item.cumulativePayout}:${now}:${i}`,
      chequebook: item.chequebook, beneficiary: me, cumulativePayout: item.cumulativePayout, status: "pending", updatedAt: now,
    }));
    for (const record of records) await this.#store.putCashout(record);
    const keys = items.map((item) => cashoutTxKey(item.chequebook, me));
    const data = cashoutDelegateInterface.encodeFunctionData("cashChequesBeneficiary", [items.map(({ chequebook, cumulativePayout, gasLimit, issuerSig }) => ({ chequebook, cumulativePayout, gasLimit, issuerSig }))]);
    // The limit covers every item's full cap, so an item that burns its cap cannot starve the ones after it.
    const gasLimit = TX_BASE + BigInt((data.length - 2) / 2) * 16n + items.reduce((sum, item) => sum + itemBudget(item.gasLimit), 0n);
    let receipt: TransactionReceipt;
    try {
      await rpc("simulating the batch", () => this.#provider().call({ from: me, to: me, data, gasLimit }));
      receipt = await sendTransaction(this.#signer, { to: me, data, gasLimit }, { ...this.#tx, store: this.#store, key: keys[0]!, alsoKeys: keys.slice(1), keepPending: true });
    } catch (error) {
      const e = isChequeError(error) ? error : toChequeError(error, "batch cash-out");
      return this.#failAll(records, keys, e);
    }
    return this.#settle(records, keys, receipt);
  }

  /** The whole transaction failed: each item is recorded so (or left pending when the node could not tell). */
  async #failAll(records: CashoutRecord[], keys: string[], e: ChequeError): Promise<CashoutItemReport[]> {
    const maybeSent = isChequeError(e, "RPC_TIMEOUT", "RPC_UNAVAILABLE", "TIMEOUT", "WRONG_CHAIN") && ((await this.#store.getPendingTx(keys[0]!)) !== undefined || e.details.maybeSent === true);
    for (const [i, record] of records.entries()) {
      if (maybeSent) continue;
      await this.#store.putCashout({ ...record, status: e.code === "TX_DROPPED" ? "dropped" : "failed", error: `${e.code}: ${e.message}`, updatedAt: Date.now() });
      await this.#store.deletePendingTx(keys[i]!);
    }
    if (maybeSent) this.#recovery = undefined; // settled by the recovery before the next batch
    return records.map((r) => skip(r.chequebook, r.beneficiary, r.cumulativePayout, e.code, maybeSent ? `${e.message} (left pending: recovered before the next cash-out)` : e.message));
  }

  /** Reads each item's outcome from the receipt, records it, then forgets its pending transaction. */
  async #settle(records: CashoutRecord[], keys: string[], receipt: TransactionReceipt): Promise<CashoutItemReport[]> {
    const provider = this.#provider();
    const failures = new Map<number, string>();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== receipt.from.toLowerCase()) continue;
      const parsed = cashoutDelegateInterface.parseLog(log);
      if (parsed?.name === "CashoutItemFailed") failures.set(Number(parsed.args.index), parsed.args.reason as string);
    }
    const outcomes = [];
    const leftPending = (code: string, why: string) => {
      this.#recovery = undefined; // settled by the recovery before the next cash-out; not here, under our own locks
      return records.map((r) => skip(r.chequebook, r.beneficiary, r.cumulativePayout, code, `${why}: left pending, settled by recover() before the next cash-out`));
    };
    try {
      for (const [i, record] of records.entries()) {
        const paidOut = (await rpc("reading the paid-out amount", () =>
          chequebookAt(record.chequebook, provider).getFunction("paidOut")(record.beneficiary, { blockTag: receipt.blockNumber }),
        )) as bigint;
        let cashed;
        try {
          cashed = failures.has(i) ? undefined : decodeCashout(receipt, record.chequebook, record.beneficiary);
        } catch {
          cashed = undefined;
        }
        outcomes.push({ record, key: keys[i]!, cashed, paidOut, reason: failures.get(i) });
      }
      // A reorganisation took the block out meanwhile: everything stays pending (records and remembered transaction).
      if (!(await isCanonical(provider, receipt))) return leftPending("TX_REORGED", `block ${receipt.blockNumber} left the chain before the batch was recorded`);
    } catch (error) {
      const e = isChequeError(error) ? error : toChequeError(error, "reading the batch's outcome");
      return leftPending(e.code, `the outcome of ${receipt.hash} could not be read (${e.message})`);
    }
    const gasShare = receipt.gasUsed / BigInt(records.length);
    const reports: CashoutItemReport[] = [];
    for (const { record, key, cashed, paidOut, reason } of outcomes) {
      const base = { chequebook: record.chequebook, beneficiary: record.beneficiary, cumulativePayout: record.cumulativePayout, txHash: receipt.hash };
      if (cashed !== undefined) {
        await this.#store.putCashout({
          ...record, status: "confirmed", txHash: receipt.hash, paid: cashed.paid, bounced: cashed.bounced, stillOwed: record.cumulativePayout - paidOut, gasUsed: gasShare, updatedAt: Date.now(),
        });
        reports.push({ ...base, status: cashed.bounced ? "bounced" : "paid", paid: cashed.paid });
      } else {
        const why = explain(reason);
        await this.#store.putCashout({ ...record, status: "failed", txHash: receipt.hash, error: `${why.code}: ${why.reason}`, updatedAt: Date.now() });
        reports.push({ ...base, status: why.code === "NO_LIQUIDITY" ? "bounced" : "skipped", paid: 0n, ...why });
      }
      await this.#store.deletePendingTx(key);
    }
    return reports;
  }
}

/** A decoded item failure. */
function explain(reason: string | undefined): { code: string; reason: string } {
  if (reason === undefined) return { code: "ITEM_REVERTED", reason: "the call emitted no ChequeCashed event: not a chequebook?" };
  const decoded = (() => {
    try {
      return chequebookInterface.parseError(reason) ?? cashoutDelegateInterface.parseError(reason);
    } catch {
      return null;
    }
  })();
  if (decoded?.name === "ChequebookNoLiquidity") return { code: "NO_LIQUIDITY", reason: "the chequebook's liquidity went between the simulation and the block" };
  if (decoded !== null) return { code: "ITEM_REVERTED", reason: `${decoded.name}(${decoded.args.map(String).join(", ")})` };
  return { code: "ITEM_REVERTED", reason: reason === "0x" ? "reverted without data (out of gas?)" : `reverted with ${reason}` };
}

function skip(chequebook: string, beneficiary: string, held: bigint, code: string, reason: string): CashoutItemReport {
  return { chequebook, beneficiary, cumulativePayout: held, status: "skipped", paid: 0n, code, reason };
}
