/**
 * The issuer side: deploy a chequebook, fund it, manage hard deposits, and issue cheques that the chequebook can
 * pay. An issued cheque is committed to the store, with its signature, before it is handed out: after a crash the
 * same signed cheque can be sent again, and a lower one is never issued.
 */
import { ZeroHash, type Signer } from "ethers";

import { signCheque } from "../cheque/cheque.js";
import { chequebookAt, chequebookInterface, erc20At, factoryAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";
import { acrossProcesses, type ChequeStore, type IssuedCheque } from "../store/types.js";
import { sendTransaction, waitForTransaction, type TxOptions } from "../chain/tx.js";
import { toAddress, toUint256 } from "../validate.js";
import { signPermit } from "./permit.js";
import { commitIssued } from "./commit.js";
import { blockAt, latestBlock, readChainFunds, stillCanonical } from "./chain-funds.js";
import { decodeEvents, type WriteResult } from "./events.js";
import { fleetMark, markFleetWrite, sharedFor, type Shared } from "./shared.js";
import { availableFunds, hardDepositRoom, type ChainFunds, type IssuedTotals } from "./funds.js";

import type { ChequebookBalances, IssueResult, IssuerOptions } from "./types.js";

export { decodeEvents, type WriteResult } from "./events.js";
export type { ChequebookBalances, IssueResult, IssuerOptions } from "./types.js";

/**
 * What is promised and not yet paid. Each beneficiary's `paidOut` only grows by what was actually paid (a bounced
 * cheque leaves its unpaid rest outstanding) and never exceeds the last cheque issued to it, so the difference of
 * the totals is the sum of the per-beneficiary rests. Payouts the store does not know of (cheques signed outside
 * it) would make the chain's total larger: never below zero, then.
 */
function outstandingOf(totalIssued: bigint, totalPaidOut: bigint): bigint {
  return totalIssued > totalPaidOut ? totalIssued - totalPaidOut : 0n;
}

/**
 * An issuer's handle on its chequebook.
 *
 * Issues are serialised per chequebook (not per beneficiary): each one checks what is still free, signs and commits
 * under one lock, so concurrent issues never promise more than the chequebook holds. The check counts every cheque
 * in the store not yet paid; it relies on this store being the only one that records cheques of this chequebook
 * (two stores issuing from one chequebook cannot see each other's promises). Several processes may issue from one
 * chequebook when they share one PostgreSQL store: the lock is then taken across processes too.
 *
 * @example
 * const issuer = await ChequebookIssuer.connect({ signer, chequebook, store })
 * const { cheque } = await issuer.issueCheque(peer, 10n ** 15n)
 */
export class ChequebookIssuer {
  readonly chequebook: string;
  readonly chainId: bigint;
  readonly #signer: Signer;
  readonly #store: ChequeStore;
  readonly #threshold: bigint;
  readonly #onLowFunds: IssuerOptions["onLowFunds"];
  readonly #cacheMs: number;
  readonly #tx: TxOptions;
  readonly #shared: Shared;

  private constructor(options: IssuerOptions, chainId: bigint) {
    this.chequebook = toAddress(options.chequebook, "chequebook");
    this.chainId = chainId;
    this.#signer = options.signer;
    this.#store = options.store;
    this.#threshold = options.lowFundsThreshold ?? 0n;
    this.#onLowFunds = options.onLowFunds;
    this.#cacheMs = options.balanceCacheMs ?? 0;
    this.#tx = options.tx ?? {};
    this.#shared = sharedFor(options.store);
  }

  /**
   * Connects to an existing chequebook, checking that the signer is its issuer.
   *
   * @throws ChequeError UNKNOWN_CHEQUEBOOK if there is no chequebook at the address; INVALID_ARGUMENT if the
   *   signer is not its issuer; RPC_UNAVAILABLE.
   */
  static async connect(options: IssuerOptions): Promise<ChequebookIssuer> {
    const address = toAddress(options.chequebook, "chequebook");
    const provider = options.signer.provider;
    if (provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    const [network, me] = await rpc("connecting to the chequebook", () => Promise.all([provider.getNetwork(), options.signer.getAddress()]));
    // issuer() rather than getCode: a provider may still hold a cached "no code" from just before a deployment.
    const issuer = await rpc("reading the issuer", async () => {
      try {
        return (await chequebookAt(address, provider).getFunction("issuer")()) as string;
      } catch (error) {
        if ((error as { code?: string }).code === "BAD_DATA" || (error as { code?: string }).code === "CALL_EXCEPTION") return undefined;
        throw error;
      }
    });
    if (issuer === undefined) {
      throw new ChequeError("UNKNOWN_CHEQUEBOOK", `no chequebook at ${address} on chain ${network.chainId}`, { details: { chequebook: address } });
    }
    if (issuer !== me) {
      throw new ChequeError("INVALID_ARGUMENT", `the signer ${me} is not the issuer (${issuer}) of ${address}: use the issuer's key`, {
        details: { signer: me, issuer },
      });
    }
    return new ChequebookIssuer({ ...options, chequebook: address }, network.chainId);
  }

  /**
   * Deploys a chequebook through `factory` at its predicted address, or resumes an interrupted deployment: if a
   * deployment transaction is remembered in the store it is awaited, and if the node dropped it a new one is sent.
   *
   * @returns the chequebook address and whether it already existed.
   * @throws ChequeError CONTRACT_REVERT, NO_GAS_FUNDS, TX_DROPPED (after a resend failed), RPC_UNAVAILABLE.
   */
  static async deploy(args: {
    signer: Signer;
    factory: string;
    store: ChequeStore;
    issuer?: string;
    defaultHardDepositTimeout?: bigint;
    salt?: string;
    tx?: TxOptions;
  }): Promise<{ chequebook: string; existed: boolean; hash?: string }> {
    const provider = args.signer.provider;
    if (provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    const me = await args.signer.getAddress();
    const issuer = toAddress(args.issuer ?? me, "issuer");
    const timeout = toUint256(args.defaultHardDepositTimeout ?? 86_400n, "defaultHardDepositTimeout");
    const salt = args.salt ?? ZeroHash;
    const factory = factoryAt(toAddress(args.factory, "factory"), args.signer);
    const predicted = (await rpc("predicting the chequebook address", () =>
      factory.getFunction("predictSimpleSwapAddress")(me, issuer, timeout, salt),
    )) as string;
    const key = `deploy:${predicted}`;
    const options: TxOptions = { ...args.tx, store: args.store, key };

    const pending = await args.store.getPendingTx(key);
    if (pending !== undefined) {
      try {
        const receipt = await waitForTransaction(args.signer, pending, options);
        return { chequebook: predicted, existed: false, hash: receipt.hash };
      } catch (error) {
        // Dropped or failed: fall through; the code check below decides whether to send again.
        if (!(error instanceof ChequeError) || (error.code !== "TX_DROPPED" && error.code !== "CONTRACT_REVERT")) throw error;
      }
    }
    if ((await rpc("reading the chequebook's code", () => provider.getCode(predicted))) !== "0x") {
      await args.store.deletePendingTx(key);
      return { chequebook: predicted, existed: true };
    }
    const data = factory.interface.encodeFunctionData("deploySimpleSwap", [issuer, timeout, salt]);
    const receipt = await sendTransaction(args.signer, { to: await factory.getAddress(), data }, options);
    return { chequebook: predicted, existed: false, hash: receipt.hash };
  }

  /** The chequebook's balances, combining the chain (read at one block) and the store. */
  async balances(): Promise<ChequebookBalances> {
    const book = chequebookAt(this.chequebook, this.#provider());
    const [liquid, chain] = await Promise.all([
      rpc("reading balances", () => book.getFunction("liquidBalance")() as Promise<bigint>),
      this.#chainFunds(true),
    ]);
    const { total, totalHardDeposit, totalPaidOut } = chain;
    const totalIssued = await this.#store.totalIssued(this.chequebook);
    const outstanding = outstandingOf(totalIssued, totalPaidOut);
    const available = availableFunds({ chain, issued: await this.#issuedTotals(chain), totalIssued });
    return { total, liquid, totalHardDeposit, totalPaidOut, totalIssued, outstanding, available };
  }

  /**
   * Signs a cheque that adds `amount` to what `beneficiary` was promised, commits it, and returns it for sending.
   * Issues from one chequebook are serialised (whatever the beneficiary): what is still free is computed, the
   * cheque signed and committed under one lock, so concurrent issues never promise more than the chequebook holds.
   *
   * @throws ChequeError INVALID_ARGUMENT; INSUFFICIENT_FUNDS (with `details.available`) if the chequebook could
   *   not pay it; STORE_FAILURE (then nothing was issued, unless the store could not even be read back).
   */
  async issueCheque(beneficiary: string, amount: bigint): Promise<IssueResult> {
    const to = toAddress(beneficiary, "beneficiary");
    const add = toUint256(amount, "amount", { positive: true });
    return this.#locked(async () => {
      const available = await this.#available(to);
      if (add > available) {
        throw new ChequeError("INSUFFICIENT_FUNDS", `the chequebook can promise only ${available} more; deposit before issuing ${add}`, {
          details: { chequebook: this.chequebook, available, requested: add },
        });
      }
      const last = await this.#store.getIssued(this.chequebook, to);
      const cheque = await signCheque({
        signer: this.#signer,
        chequebook: this.chequebook,
        beneficiary: to,
        cumulativePayout: (last?.cheque.cumulativePayout ?? 0n) + add,
        chainId: this.chainId,
      });
      await commitIssued(this.#store, cheque);
      const availableAfter = available - add;
      const lowFunds = availableAfter < this.#threshold;
      if (lowFunds) this.#onLowFunds?.({ chequebook: this.chequebook, available: availableAfter, threshold: this.#threshold });
      return { cheque, amount: add, availableAfter, lowFunds };
    });
  }

  /** The last cheque issued to `beneficiary`: send it again after a crash. */
  async lastIssued(beneficiary: string): Promise<IssuedCheque | undefined> {
    return this.#store.getIssued(this.chequebook, toAddress(beneficiary, "beneficiary"));
  }

  /** What can still be promised to `beneficiary`; called under the issue lock, so the store cannot move meanwhile. */
  async #available(beneficiary: string): Promise<bigint> {
    const chain = await this.#chainFunds(false, beneficiary);
    const totalIssued = await this.#store.totalIssued(this.chequebook);
    return availableFunds({ chain, issued: await this.#issuedTotals(chain), totalIssued, beneficiary });
  }

  /** The last cumulative payout per beneficiary, when hard deposits make it matter. */
  async #issuedTotals(chain: ChainFunds): Promise<IssuedTotals> {
    if (chain.accounts === undefined) return new Map();
    return new Map((await this.#store.listIssued(this.chequebook)).map((i) => [i.cheque.beneficiary, i.cheque.cumulativePayout]));
  }

  /**
   * The chain's figures, all at one block (a cash-out between two reads would otherwise look like free money). A
   * reading is reused while its block is still the latest (same height and hash: a reorg is a new block), since
   * figures at one block never change; and, unless `fresh`, for `balanceCacheMs` after its block was last seen to be
   * the latest, whatever the block now. With hard deposits, the paid-out and deposit of each beneficiary with
   * cheques, and of `beneficiary`, too.
   */
  async #chainFunds(fresh: boolean, beneficiary?: string, withAccounts = false): Promise<ChainFunds> {
    // Another process's withdrawal is seen only through the store: readings from before it are not reused.
    const fleet = await fleetMark(this.#store, this.chequebook);
    const cached = this.#shared.snapshots.get(this.chequebook);
    const snap = cached?.mark === fleet.mark ? cached : undefined;
    const covers = (f: ChainFunds) =>
      f.accounts === undefined ? !withAccounts : beneficiary === undefined || f.accounts.has(beneficiary);
    const asked = Date.now();
    if (!fresh && snap !== undefined && asked - snap.at < this.#cacheMs && covers(snap.funds)) return snap.funds;
    const provider = this.#provider();
    const latest = await latestBlock(provider);
    // Never a block from before our own latest write: that reading would not see a withdrawal just mined.
    const floor = Math.max(this.#shared.minBlock.get(this.chequebook) ?? 0, fleet.block);
    const block = latest.number < floor ? await blockAt(provider, floor) : latest;
    // A reading still lacks accounts when none were needed then: reused only where they are not needed now.
    const same = snap !== undefined && snap.block.hash === block.hash && snap.block.number === block.number;
    if (same && covers(snap.funds)) {
      // Its block is the latest again: `balanceCacheMs` counts from now (unless a write dropped the reading meanwhile).
      if (block === latest && this.#shared.snapshots.get(this.chequebook) === cached) this.#shared.snapshots.set(this.chequebook, { ...snap, at: asked });
      return snap.funds;
    }
    const writes = this.#shared.writes.get(this.chequebook) ?? 0;
    const funds = await readChainFunds({
      provider,
      chequebook: this.chequebook,
      beneficiaries: async () => [...(await this.#store.listIssued(this.chequebook)).map((i) => i.cheque.beneficiary), ...(beneficiary === undefined ? [] : [beneficiary])],
      withAccounts,
      at: block,
    });
    // A write that ended meanwhile may or may not be in this reading, and a reorg may have replaced the block at its
    // height: use it now, but do not keep it.
    const canonical = await stillCanonical(provider, block);
    if (canonical && (this.#shared.writes.get(this.chequebook) ?? 0) === writes) this.#shared.snapshots.set(this.chequebook, { funds, at: asked, block, mark: fleet.mark });
    return funds;
  }

  /**
   * Deposits `amount` from the issuer: in one transaction with an EIP-2612 permit if the token supports it,
   * otherwise approve (when needed) then deposit.
   *
   * @throws ChequeError CONTRACT_REVERT (e.g. balance too low), NO_GAS_FUNDS, RPC_UNAVAILABLE.
   */
  async deposit(amount: bigint, options: { permit?: boolean } = {}): Promise<WriteResult> {
    const value = toUint256(amount, "amount", { positive: true });
    const provider = this.#provider();
    const tokenAddress = (await rpc("reading the token", () => chequebookAt(this.chequebook, provider).getFunction("token")())) as string;
    const token = erc20At(tokenAddress, this.#signer);
    const me = await this.#signer.getAddress();
    if (options.permit !== false) {
      const permit = await signPermit({ signer: this.#signer, token: tokenAddress, owner: me, spender: this.chequebook, value }).catch(() => undefined);
      if (permit !== undefined) {
        return this.#write("depositWithPermit", [value, permit.deadline, permit.v, permit.r, permit.s]);
      }
    }
    const allowance = (await rpc("reading the allowance", () => token.getFunction("allowance")(me, this.chequebook))) as bigint;
    if (allowance < value) {
      await sendTransaction(this.#signer, { to: tokenAddress, data: token.interface.encodeFunctionData("approve", [this.chequebook, value]) }, this.#tx);
    }
    return this.#write("deposit", [value]);
  }

  /**
   * Withdraws `amount` to the issuer. Refuses to leave less than the cheques already issued need, unless forced.
   * Holds the issue lock from the check until the transaction is mined, so no cheque is issued meanwhile against
   * the money leaving.
   *
   * @throws ChequeError INSUFFICIENT_FUNDS (with `details.available`) without `force`; CONTRACT_REVERT beyond the
   *   liquid balance.
   */
  withdraw(amount: bigint, options: { force?: boolean } = {}): Promise<WriteResult> {
    const value = toUint256(amount, "amount", { positive: true });
    return this.#locked(async () => {
      if (!options.force) {
        const { available } = await this.balances();
        if (value > available) {
          throw new ChequeError("INSUFFICIENT_FUNDS", `withdrawing ${value} would leave issued cheques uncovered (only ${available} is free); pass force to do it anyway`, {
            details: { available, requested: value },
          });
        }
      }
      return this.#write("withdraw", [value], true);
    });
  }

  /**
   * Raises the hard deposit of `beneficiary`. The money comes out of the liquid balance, so unless forced it refuses
   * to take what other beneficiaries' issued cheques need (see `hardDepositRoom` in `./funds.ts`); like a
   * withdrawal, it holds the issue lock until mined.
   *
   * @throws ChequeError INSUFFICIENT_FUNDS (with `details.available`) without `force`; CONTRACT_REVERT beyond the
   *   balance.
   */
  increaseHardDeposit(beneficiary: string, amount: bigint, options: { force?: boolean } = {}): Promise<WriteResult> {
    const to = toAddress(beneficiary, "beneficiary");
    const value = toUint256(amount, "amount", { positive: true });
    return this.#locked(async () => {
      if (!options.force) {
        const chain = await this.#chainFunds(true, to, true);
        const available = hardDepositRoom({ chain, issued: await this.#issuedTotals(chain), beneficiary: to });
        if (value > available) {
          throw new ChequeError("INSUFFICIENT_FUNDS", `a hard deposit of ${value} more for ${to} would take money that issued cheques need (only ${available} can move); pass force to do it anyway`, {
            details: { chequebook: this.chequebook, beneficiary: to, available, requested: value },
          });
        }
      }
      return this.#write("increaseHardDeposit", [to, value], true);
    });
  }

  /** Announces a decrease of the hard deposit of `beneficiary`. */
  prepareDecreaseHardDeposit(beneficiary: string, amount: bigint): Promise<WriteResult> {
    return this.#write("prepareDecreaseHardDeposit", [toAddress(beneficiary, "beneficiary"), toUint256(amount, "amount", { positive: true })]);
  }

  /** Applies a due decrease of the hard deposit of `beneficiary`. */
  decreaseHardDeposit(beneficiary: string): Promise<WriteResult> {
    return this.#write("decreaseHardDeposit", [toAddress(beneficiary, "beneficiary")]);
  }

  /** Sets the decrease timeout `beneficiary` agreed to with `beneficiarySignature`. */
  setCustomHardDepositTimeout(beneficiary: string, timeout: bigint, beneficiarySignature: string): Promise<WriteResult> {
    return this.#write("setCustomHardDepositTimeout", [toAddress(beneficiary, "beneficiary"), toUint256(timeout, "timeout"), beneficiarySignature]);
  }

  /**
   * Sends a chequebook transaction. `reduces` (a withdrawal or hard-deposit increase, sent under the issue lock): the
   * other processes sharing the store are told before it is sent (so a crash cannot hide it) and once it is mined.
   */
  async #write(method: string, args: unknown[], reduces = false): Promise<WriteResult> {
    const data = chequebookInterface.encodeFunctionData(method, args);
    try {
      if (reduces) await markFleetWrite(this.#store, this.chequebook, this.#shared.minBlock.get(this.chequebook) ?? 0);
      const receipt = await sendTransaction(this.#signer, { to: this.chequebook, data }, this.#tx);
      const floor = this.#shared.minBlock.get(this.chequebook) ?? 0;
      if (receipt.blockNumber > floor) this.#shared.minBlock.set(this.chequebook, receipt.blockNumber);
      if (reduces) await markFleetWrite(this.#store, this.chequebook, receipt.blockNumber).catch(() => undefined); // the mark sent before stands
      return { hash: receipt.hash, receipt, events: decodeEvents(receipt, this.chequebook) };
    } finally {
      // Mined, failed or unknown: any handle's cached reading, or one under way, may be out of date.
      this.#shared.writes.set(this.chequebook, (this.#shared.writes.get(this.chequebook) ?? 0) + 1);
      this.#shared.snapshots.delete(this.chequebook);
    }
  }

  /**
   * Runs `work` under the chequebook's issue lock (see {@link Shared}), and on a store shared by several processes
   * under its cross-process lock as well, so that issues from every process are serialised per chequebook.
   */
  #locked<T>(work: () => Promise<T>): Promise<T> {
    return this.#shared.lock.run(this.chequebook, () => acrossProcesses(this.#store, `issue:${this.chequebook}`, work));
  }

  #provider() {
    const provider = this.#signer.provider;
    if (provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
    return provider;
  }
}

