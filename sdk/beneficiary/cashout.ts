/**
 * Cashing received cheques: the best cheque held for a chequebook, directly as the beneficiary or through a third
 * party with a Cashout authorisation. Before sending: simulate, compute what is uncashed and what would be paid,
 * and refuse when gas would eat more than the configured share of the payout. After: check the including block is
 * still canonical, decode the result, record it, and only then forget the pending transaction, so that a process
 * killed at any point finds the cash-out again at start-up ({@link ChequeCasher.recover}). Cash-outs of one
 * chequebook for one beneficiary run one at a time.
 */
import type { Signer, TransactionReceipt } from "ethers";

import { type SignedCheque, validateCheque } from "../cheque/cheque.js";
import { chequebookAt, chequebookInterface, rpc, toChequeError } from "../chain/contracts.js";
import { guardProvider } from "../chain/guard.js";
import { ChequeError, isChequeError } from "../errors.js";
import { acrossProcesses, type CashoutRecord, type ChequeStore, type PendingTx } from "../store/types.js";
import { cashoutLocks, lockKey } from "./cashout-locks.js";
import { isCanonical, sendTransaction, waitForTransaction, type TxOptions } from "../chain/tx.js";
import { toAddress, toSignature, toUint256 } from "../validate.js";
import { decodeCashout, findCashoutTransaction } from "./cashout-logs.js";
import type { CashoutQuote, CashoutResult, CashoutStatus, CasherOptions, RecoveredCashout } from "./cashout-types.js";

export { decodeCashout, findCashoutTransaction, type DecodedCashout } from "./cashout-logs.js";

export type { CashoutQuote, CashoutResult, CashoutStatus, CasherOptions, RecoveredCashout } from "./cashout-types.js";

const SHARE_SCALE = 1_000_000n;

/** The store key of the pending transaction of a cash-out. */
export function cashoutTxKey(chequebook: string, beneficiary: string): string {
  return `cashout:${chequebook}:${beneficiary}`;
}


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
   * identical requests briefly) is corrected by taking the larger, while that block is on the chain. */
  readonly #knownPaidOut = new Map<string, { paidOut: bigint; block: number; hash: string }>();
  readonly #lookback: number;
  #recovery: Promise<RecoveredCashout[]> | undefined;

  constructor(options: CasherOptions) {
    this.#signer = options.signer;
    this.#store = options.store;
    this.#beneficiary = options.beneficiary === undefined ? undefined : toAddress(options.beneficiary, "beneficiary");
    this.#gasCostInToken = options.gasCostInToken;
    const share = options.maxGasShare ?? 0.25;
    if (!(share > 0 && share <= 1)) throw new ChequeError("INVALID_ARGUMENT", "maxGasShare must be in (0, 1]");
    this.#share = BigInt(Math.round(share * Number(SHARE_SCALE)));
    this.#tx = options.tx ?? {};
    this.#lookback = options.recoveryLookbackBlocks ?? 10_000;
    if (!(Number.isSafeInteger(this.#lookback) && this.#lookback >= 0)) throw new ChequeError("INVALID_ARGUMENT", "recoveryLookbackBlocks must be a non-negative integer");
  }

  async #me(): Promise<string> {
    return this.#beneficiary ?? (await this.#signer.getAddress());
  }

  #provider() {
    if (this.#signer.provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    return guardProvider(this.#signer.provider);
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
    const paidOut = await this.#notOlderThanOurs(`${address}:${me}`, readPaidOut);
    const uncashed = held > paidOut ? held - paidOut : 0n;
    const [last] = await this.#store.listCashouts(address);
    const status: CashoutStatus = { chequebook: address, beneficiary: me, held, paidOut, uncashed, payable: uncashed < liquidFor ? uncashed : liquidFor };
    if (last !== undefined) status.last = last;
    return status;
  }

  /**
   * `read`, or the larger paid-out amount seen at our own latest cash-out while its block is still on the chain: a
   * reorganisation deeper than the confirmations may take that cash-out away, and what it paid is owed again.
   */
  async #notOlderThanOurs(key: string, read: bigint): Promise<bigint> {
    const known = this.#knownPaidOut.get(key);
    if (known === undefined || read >= known.paidOut) return read;
    const block = await rpc("reading a block", () => this.#provider().getBlock(known.block));
    // No block at that height (yet): the node cannot tell, keep ours.
    if (block === null || block.hash === known.hash) return known.paidOut;
    this.#knownPaidOut.delete(key);
    return read;
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
   * @throws ChequeError NOTHING_TO_CASH; CONTRACT_REVERT if the simulation reverts; RPC_UNAVAILABLE, RPC_TIMEOUT, WRONG_CHAIN.
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
   *   TX_DROPPED, TIMEOUT, RPC_UNAVAILABLE, RPC_TIMEOUT, WRONG_CHAIN. Every attempt is recorded in the store; one
   *   the node stopped answering about after it may have been sent stays `pending` and is settled (as by
   *   {@link ChequeCasher.recover}) before the next cash-out of that chequebook, in this process or another sharing
   *   the store. Runs after any earlier cash-out of the same chequebook and beneficiary has finished.
   */
  async cashOut(chequebook: string, options: { recipient?: string; force?: boolean } = {}): Promise<CashoutResult> {
    await this.#recovered();
    const address = toAddress(chequebook, "chequebook");
    const me = await this.#me();
    return this.#locked(lockKey(address, me), async () => {
      await this.settlePendingLocked(address, me);
      const quote = await this.quote(address, options);
      if (!quote.worthIt && !options.force) throw unprofitable(quote);
      return this.#send(quote.chequebook, quote.cheque, quote.data, 0n);
    });
  }

  /**
   * Cashes `cheque` for its beneficiary as a third party, with the beneficiary's Cashout `authorisation` for
   * this signer, `recipient` and `callerPayout`. The fee must be worth the gas.
   *
   * @throws ChequeError as {@link ChequeCasher.cashOut}; UNPROFITABLE_CASHOUT weighs the gas against the fee.
   */
  async cashOutFor(args: { cheque: SignedCheque; authorisation: string; recipient: string; callerPayout: bigint; force?: boolean }): Promise<CashoutResult> {
    const cheque = validateCheque(args.cheque);
    await this.#recovered();
    return this.#locked(lockKey(cheque.chequebook, cheque.beneficiary), async () => {
      await this.settlePendingLocked(cheque.chequebook, cheque.beneficiary);
      return this.#cashFor(cheque, args);
    });
  }

  async #cashFor(cheque: SignedCheque, args: { authorisation: string; recipient: string; callerPayout: bigint; force?: boolean }): Promise<CashoutResult> {
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
    const key = cashoutTxKey(chequebook, cheque.beneficiary);
    let result: CashoutResult;
    try {
      const receipt = await sendTransaction(this.#signer, { to: chequebook, data }, { ...this.#tx, store: this.#store, key, keepPending: true });
      result = await this.#record(record, receipt);
    } catch (error) {
      const e = isChequeError(error) ? error : toChequeError(error, "cash-out");
      await this.#fail(record, e);
      throw e;
    }
    return { ...result, callerPayout };
  }

  /** Records a failed cash-out, unless the node could not tell (the pending transaction is kept for recovery). */
  async #fail(record: CashoutRecord, e: ChequeError): Promise<void> {
    if (e.code === "RPC_TIMEOUT" || e.code === "RPC_UNAVAILABLE" || e.code === "TIMEOUT" || e.code === "WRONG_CHAIN") {
      // Possibly sent and mined: recover() settles it once the node answers again, before the next cash-out.
      const remembered = (await this.#store.getPendingTx(cashoutTxKey(record.chequebook, record.beneficiary))) !== undefined;
      if (remembered || e.details.maybeSent === true) {
        this.#recovery = undefined;
        return;
      }
    }
    await this.#store.putCashout({ ...record, status: e.code === "TX_DROPPED" ? "dropped" : "failed", error: `${e.code}: ${e.message}`, updatedAt: Date.now() });
    await this.#store.deletePendingTx(cashoutTxKey(record.chequebook, record.beneficiary));
  }

  /**
   * Reads what a mined cash-out did, checks its block is still canonical (waiting again if a reorganisation took it
   * out), records it as confirmed and forgets its pending transaction.
   *
   * @throws ChequeError TX_DROPPED if the transaction did not come back after a reorganisation, and as
   *   {@link waitForTransaction}.
   */
  async #record(record: CashoutRecord, mined: TransactionReceipt): Promise<CashoutResult> {
    const provider = this.#provider();
    const key = cashoutTxKey(record.chequebook, record.beneficiary);
    let receipt = mined;
    for (;;) {
      const { paid, bounced, callerPayout } = decodeCashout(receipt, record.chequebook, record.beneficiary);
      // What the cheque still owes, read at the cash-out's own block so later cash-outs do not blur it.
      const paidOut = (await rpc("reading the paid-out amount", () =>
        chequebookAt(record.chequebook, provider).getFunction("paidOut")(record.beneficiary, { blockTag: receipt.blockNumber }),
      )) as bigint;
      // The same canonical check as after the confirmations, now that everything recorded has been read.
      if (await isCanonical(provider, receipt)) {
        const known = this.#knownPaidOut.get(`${record.chequebook}:${record.beneficiary}`)?.paidOut ?? 0n;
        if (paidOut > known) this.#knownPaidOut.set(`${record.chequebook}:${record.beneficiary}`, { paidOut, block: receipt.blockNumber, hash: receipt.blockHash });
        const result = { chequebook: record.chequebook, paid, bounced, callerPayout, stillOwed: record.cumulativePayout - paidOut, txHash: receipt.hash, gasUsed: receipt.gasUsed };
        await this.#store.putCashout({
          ...record, status: "confirmed", txHash: result.txHash, paid, bounced, stillOwed: result.stillOwed, gasUsed: result.gasUsed, updatedAt: Date.now(),
        });
        await this.#store.deletePendingTx(key);
        return result;
      }
      const pending: PendingTx = (await this.#store.getPendingTx(key)) ?? { key, hash: receipt.hash, from: receipt.from, nonce: await nonceOf(provider, receipt.hash), createdAt: Date.now() };
      receipt = await waitForTransaction(this.#signer, pending, { ...this.#tx, store: this.#store, keepPending: true });
    }
  }

  /**
   * Runs `work` under the cash-out lock of a chequebook and beneficiary: in this process, and on a store shared by
   * several processes across all of them, so one process at a time cashes (or recovers) it.
   */
  #locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    return cashoutLocks.run(key, () => acrossProcesses(this.#store, `cashout:${key}`, work));
  }

  #recovered(): Promise<RecoveredCashout[]> {
    this.#recovery ??= this.recover().catch((error: unknown) => {
      this.#recovery = undefined; // try again with the next cash-out
      throw error;
    });
    return this.#recovery;
  }

  /**
   * Settles the cash-outs a previous process left pending (killed, or the node stopped answering): waits for each
   * remembered transaction, re-checks the chain for one that was replaced or whose hash was never stored, and
   * records each outcome once, forgetting its pending transaction. Runs by itself before the first cash-out of this
   * casher; call it at start-up to settle earlier. It does not send: a cash-out found dropped is cashed again by
   * the next `cashOut`, which re-reads what is still owed.
   *
   * @returns what happened to each pending record.
   * @throws ChequeError RPC_TIMEOUT, RPC_UNAVAILABLE, WRONG_CHAIN (nothing is recorded for a cash-out the node
   *   could not tell about; it stays pending for the next call).
   */
  async recover(): Promise<RecoveredCashout[]> {
    const me = (await this.#signer.getAddress()).toLowerCase();
    const records = await this.#store.listCashouts();
    const recorded = new Set(records.flatMap((r) => (r.txHash === undefined ? [] : [r.txHash.toLowerCase()])));
    const claimed = new Set<string>();
    const out: RecoveredCashout[] = [];
    // Newest first: the remembered transaction of a chequebook belongs to its newest pending record.
    for (const record of records.filter((r) => r.status === "pending")) {
      const key = cashoutTxKey(record.chequebook, record.beneficiary);
      const settled = await this.#locked(lockKey(record.chequebook, record.beneficiary), async () => {
        // Another process sharing the store may have settled it while we waited for the lock.
        if ((await this.#latest(record)).status !== "pending") return undefined;
        const row = claimed.has(key) ? undefined : await this.#store.getPendingTx(key);
        claimed.add(key);
        // Sent by another account sharing this store: its own casher settles it.
        if (row !== undefined && row.from.toLowerCase() !== me) return undefined;
        return this.#recoverOne(record, row, me, recorded);
      });
      if (settled !== undefined) out.push({ record: settled, outcome: settled.status });
    }
    return out;
  }

  /**
   * Under the pair's lock, before a new cash-out: settles what an earlier one of this chequebook and beneficiary
   * left pending (another process sharing the store that died after sending, or a call of ours the node stopped
   * answering about), so a transaction already sent is recorded, not sent twice, and its remembered transaction is
   * not overwritten. One sent by another account sharing the store is left to it.
   *
   * @internal For executors of this package only ({@link BatchCasher}): the caller must hold the cash-out lock of
   *   the pair, in the process and across processes, as {@link ChequeCasher.cashOut} does.
   */
  async settlePendingLocked(chequebook: string, beneficiary: string): Promise<void> {
    const all = await this.#store.listCashouts(chequebook);
    const pending = all.filter((r) => r.status === "pending" && r.beneficiary.toLowerCase() === beneficiary.toLowerCase());
    if (pending.length === 0) return;
    const me = (await this.#signer.getAddress()).toLowerCase();
    const recorded = new Set(all.flatMap((r) => (r.txHash === undefined ? [] : [r.txHash.toLowerCase()])));
    // Newest first: the remembered transaction belongs to the newest pending record, as in recover().
    let row = await this.#store.getPendingTx(cashoutTxKey(pending[0]!.chequebook, pending[0]!.beneficiary));
    if (row !== undefined && row.from.toLowerCase() !== me) return;
    for (const record of pending) {
      await this.#recoverOne(record, row, me, recorded);
      row = undefined;
    }
  }

  async #recoverOne(record: CashoutRecord, row: PendingTx | undefined, me: string, recorded: Set<string>): Promise<CashoutRecord> {
    const provider = this.#provider();
    const find = (match: { nonce: number } | { cumulativePayout: bigint }) =>
      findCashoutTransaction({ provider, chequebook: record.chequebook, beneficiary: record.beneficiary, sender: me, match, lookbackBlocks: this.#lookback, exclude: recorded });
    let hash: string | undefined;
    if (row !== undefined) {
      try {
        await this.#record(record, await waitForTransaction(this.#signer, row, { ...this.#tx, store: this.#store, keepPending: true }));
        return this.#latest(record);
      } catch (error) {
        if (!isChequeError(error, "TX_DROPPED")) {
          const e = isChequeError(error) ? error : toChequeError(error, "recovering a cash-out");
          await this.#fail(record, e);
          if (isChequeError(e, "RPC_TIMEOUT", "RPC_UNAVAILABLE", "TIMEOUT", "WRONG_CHAIN")) throw e;
          return this.#latest(record);
        }
        // Its nonce was used by a transaction we did not remember (a replacement sent just before the crash)?
        hash = await find({ nonce: row.nonce });
      }
    } else {
      // The process stopped before the transaction was remembered; if it was sent anyway, its event tells.
      hash = await find({ cumulativePayout: record.cumulativePayout });
    }
    if (hash !== undefined) {
      const receipt = await rpc("reading a cash-out receipt", () => provider.getTransactionReceipt(hash));
      if (receipt !== null) {
        recorded.add(hash.toLowerCase());
        await this.#record(record, receipt);
        return this.#latest(record);
      }
    }
    // Sent under a hash never learnt (a send the node did not answer) and still in the pool: not dropped, not yet.
    if (row === undefined) {
      const [inPool, mined] = await rpc("reading the account's nonces", () => Promise.all([provider.getTransactionCount(me, "pending"), provider.getTransactionCount(me, "latest")]));
      if (inPool > mined) throw new ChequeError("TIMEOUT", `a transaction of ${me} is still waiting to be mined: cash-out ${record.id} is settled once it is`, { details: { chequebook: record.chequebook } });
    }
    const reason = row === undefined ? "the process stopped before the transaction was sent" : `transaction ${row.hash} was dropped`;
    await this.#fail(record, new ChequeError("TX_DROPPED", `${reason}; nothing was paid by it: cash out again`));
    return this.#latest(record);
  }

  async #latest(record: CashoutRecord): Promise<CashoutRecord> {
    return (await this.#store.listCashouts(record.chequebook)).find((r) => r.id === record.id) ?? record;
  }
}

async function nonceOf(provider: ReturnType<typeof guardProvider>, hash: string): Promise<number> {
  const tx = await rpc("reading the transaction", () => provider.getTransaction(hash));
  if (tx === null) throw new ChequeError("TX_DROPPED", `transaction ${hash} left the chain in a reorganisation and the node no longer knows it: cash out again`, { details: { hash } });
  return tx.nonce;
}

function unprofitable(quote: CashoutQuote): ChequeError {
  return new ChequeError("UNPROFITABLE_CASHOUT", `cashing ${quote.chequebook} would cost ${quote.costInToken} in gas for ${quote.payable}: wait for more to accumulate, or force it`, {
    details: { ...quote },
  });
}
