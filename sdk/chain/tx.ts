/**
 * Sending a transaction and seeing it through: simulate and estimate (a revert is decoded before anything is
 * spent), sign, remember it in the store, send, replace it with bumped fees at the same nonce while it is stuck,
 * notice when it was dropped, wait for N confirmations with progress, and check that the including block is still
 * on the canonical chain before anything is reported (a reorganisation sends it back to waiting).
 */
import { Transaction, type Provider, type Signer, type TransactionReceipt, type TransactionRequest, type TransactionResponse } from "ethers";

import { toChequeError } from "./contracts.js";
import { guardProvider, rpcDefaults, withDeadline } from "./guard.js";
import { ChequeError, isChequeError } from "../errors.js";
import { KeyedMutex } from "../mutex.js";
import type { ChequeStore, PendingTx } from "../store/types.js";

/** Progress of a transaction, for spinners and logs. */
export type TxProgress =
  | { stage: "sent"; hash: string; nonce: number }
  | { stage: "replaced"; hash: string; previous: string; maxFeePerGas: bigint }
  | { stage: "mined"; hash: string; blockNumber: number }
  | { stage: "confirming"; hash: string; confirmations: number; required: number }
  | { stage: "confirmed"; hash: string; confirmations: number }
  /** The including block left the canonical chain: waiting again (the transaction may be mined anew or dropped). */
  | { stage: "reorged"; hash: string; blockNumber: number }
  | { stage: "dropped"; hash: string };

/** How to see a transaction through. */
export interface TxOptions {
  /** Blocks on top of the including one, counting it. Default 1. */
  confirmations?: number;
  onProgress?: (progress: TxProgress) => void;
  /** Give up (TIMEOUT) after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Replace the transaction with higher fees when it is not mined after this long. Default 60 s. */
  stuckAfterMs?: number;
  /** At most this many replacements. Default 3. */
  maxBumps?: number;
  /** Raise fees by this percentage per replacement (nodes require at least 10). Default 20. */
  bumpPercent?: number;
  /** Treat the transaction as dropped when the node has not known it for this long. Default 30 s. */
  droppedAfterMs?: number;
  /** How often to poll the node. Default 1 s. */
  pollMs?: number;
  /** Remember the pending transaction here under `key`, so a restarted process can resume waiting. */
  store?: ChequeStore;
  key?: string;
  /**
   * Further keys under which the same pending transaction is remembered (a batch: one per item, so that the
   * recovery of each item finds it). Written, replaced and forgotten together with `key`.
   */
  alsoKeys?: readonly string[];
  /**
   * Leave the pending transaction in the store when it is mined (for a caller that settles its own records first
   * and then deletes it, so that a crash in between still finds it). Default false.
   */
  keepPending?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `pending` under its key and each of `alsoKeys`. */
async function putPending(store: ChequeStore | undefined, pending: PendingTx, alsoKeys: readonly string[] = []): Promise<void> {
  await store?.putPendingTx(pending);
  for (const key of alsoKeys) await store?.putPendingTx({ ...pending, key });
}

/** Forgets `key` and each of `alsoKeys`. */
async function deletePending(store: ChequeStore | undefined, key: string, alsoKeys: readonly string[] = []): Promise<void> {
  await store?.deletePendingTx(key);
  for (const k of alsoKeys) await store?.deletePendingTx(k);
}

/** Nonce assignment and sending are serialised per account, so concurrent sends never pick the same nonce. */
const sendMutex = new KeyedMutex();

/**
 * The account's pending nonce, asked of the node directly when the provider can (`send`): ethers' providers cache
 * identical requests for a moment, and a cached count taken before our last send would reuse its nonce.
 */
async function pendingNonce(provider: Provider, from: string): Promise<number> {
  const send = (provider as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send;
  if (typeof send === "function") return Number(BigInt(String(await send.call(provider, "eth_getTransactionCount", [from, "pending"]))));
  return provider.getTransactionCount(from, "pending");
}

/** The signer's provider, guarded: a deadline on every request and the chain id checked ({@link guardProvider}). */
function providerOf(signer: Signer): Provider {
  if (signer.provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
  return guardProvider(signer.provider);
}

/**
 * Signs `tx` locally when the signer can, so that its hash is known, and remembered by `remember`, before anything
 * reaches the node: a process killed right after the send still finds it. Signers that cannot sign without
 * sending (a node's account) send directly and are remembered right after.
 */
async function signAndSend(signer: Signer, provider: Provider, tx: TransactionRequest, remember: (hash: string, nonce: number) => Promise<void>): Promise<{ hash: string; nonce: number }> {
  const deadlineMs = rpcDefaults().deadlineMs;
  let signed: string | undefined;
  try {
    signed = await withDeadline((async () => signer.signTransaction(await signer.populateTransaction(tx)))(), deadlineMs, "signing the transaction");
  } catch {
    signed = undefined; // no local signing: send through the signer below
  }
  if (signed === undefined) {
    let sent: TransactionResponse;
    try {
      sent = await withDeadline(signer.sendTransaction(tx), deadlineMs, "sending the transaction");
    } catch (error) {
      // Unanswered: it may have been sent, under a hash we never learnt.
      if (isChequeError(error, "RPC_TIMEOUT")) error.details.maybeSent = true;
      throw error;
    }
    await remember(sent.hash, sent.nonce);
    return { hash: sent.hash, nonce: sent.nonce };
  }
  const parsed = Transaction.from(signed);
  await remember(parsed.hash!, parsed.nonce);
  await provider.broadcastTransaction(signed);
  return { hash: parsed.hash!, nonce: parsed.nonce };
}

/**
 * Simulates, sends and waits for `request`.
 *
 * @returns the receipt of the mined transaction (the original or a replacement), after the confirmations, its
 *   block checked to be still canonical.
 * @throws ChequeError CONTRACT_REVERT (decoded, before sending), NO_GAS_FUNDS, OUT_OF_GAS, TX_DROPPED, TIMEOUT,
 *   RPC_UNAVAILABLE, RPC_TIMEOUT (`details.maybeSent` when a signer that cannot sign locally did not answer the
 *   send), WRONG_CHAIN.
 */
export async function sendTransaction(signer: Signer, request: TransactionRequest, options: TxOptions = {}): Promise<TransactionReceipt> {
  const provider = providerOf(signer);
  const from = await signer.getAddress();
  const tx: TransactionRequest = { ...request, from };
  try {
    // Simulation: estimateGas runs the call and surfaces its revert before anything is paid.
    tx.gasLimit ??= ((await provider.estimateGas(tx)) * 12n) / 10n;
    const fees = await provider.getFeeData();
    if (fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null && tx.gasPrice == null) {
      tx.maxFeePerGas ??= fees.maxFeePerGas;
      tx.maxPriorityFeePerGas ??= fees.maxPriorityFeePerGas;
    } else if (fees.gasPrice !== null) {
      tx.gasPrice ??= fees.gasPrice;
    }
  } catch (error) {
    throw toChequeError(error, "preparing the transaction");
  }
  const account = from.toLowerCase();
  let pending: PendingTx | undefined;
  const remember = async (hash: string, nonce: number) => {
    pending = { key: options.key ?? `tx:${hash}`, hash, from, nonce, createdAt: Date.now() };
    await putPending(options.store, pending, options.alsoKeys);
  };
  const sent = await sendMutex.run(account, async () => {
    const fixedNonce = tx.nonce != null;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!fixedNonce) tx.nonce = await pendingNonce(provider, from);
        return await signAndSend(signer, provider, tx, remember);
      } catch (error) {
        const e = toChequeError(error, "sending the transaction");
        // No answer to the broadcast: it may have reached the node. It is remembered; wait for it as if sent.
        if (pending !== undefined && e.code === "RPC_TIMEOUT") return { hash: pending.hash, nonce: pending.nonce };
        // Refused: it was not sent, so it is not pending.
        if (pending !== undefined) await deletePending(options.store, pending.key, options.alsoKeys);
        pending = undefined;
        // Another sender took the nonce between our count and our send: count again, once.
        const message = String((error as Error)?.message ?? "").toLowerCase();
        if (!fixedNonce && attempt === 1 && /nonce too low|nonce has already been used|nonce_expired/.test(message)) continue;
        throw e;
      }
    }
  });
  if (pending === undefined) throw new ChequeError("INVALID_ARGUMENT", "internal: a sent transaction was not remembered");
  options.onProgress?.({ stage: "sent", hash: sent.hash, nonce: sent.nonce });
  return waitForTransaction(signer, pending, { ...options, request: tx });
}

/**
 * Waits for a transaction sent earlier (possibly by a previous process), bumping its fees while it is stuck if
 * the original request is known.
 *
 * @throws ChequeError as {@link sendTransaction}.
 */
export async function waitForTransaction(
  signer: Signer,
  pending: PendingTx,
  options: TxOptions & { request?: TransactionRequest } = {},
): Promise<TransactionReceipt> {
  const provider = providerOf(signer);
  const confirmations = options.confirmations ?? 1;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const stuckAfterMs = options.stuckAfterMs ?? 60_000;
  const maxBumps = options.maxBumps ?? 3;
  const bumpPercent = BigInt(Math.max(10, options.bumpPercent ?? 20));
  const droppedAfterMs = options.droppedAfterMs ?? 30_000;
  const pollMs = options.pollMs ?? 1_000;
  const started = Date.now();
  const hashes = [pending.hash];
  let request = options.request;
  let lastSentAt = Date.now();
  let unknownSince: number | undefined;
  let bumps = 0;

  const settle = async () => {
    if (options.keepPending !== true) await deletePending(options.store, pending.key, options.alsoKeys);
  };

  try {
    waiting: for (;;) {
      try {
        if (Date.now() - started > timeoutMs) {
          throw new ChequeError("TIMEOUT", `transaction ${hashes.at(-1)} was not mined within ${timeoutMs} ms; it may still be, check later`, {
            details: { hashes, nonce: pending.nonce },
          });
        }
        // Mined? Any of our hashes may be the one that made it.
        for (const hash of hashes) {
          const receipt = await provider.getTransactionReceipt(hash);
          if (receipt !== null) {
            options.onProgress?.({ stage: "mined", hash, blockNumber: receipt.blockNumber });
            if (!(await waitForConfirmations(provider, receipt, confirmations, pollMs, options.onProgress))) {
              options.onProgress?.({ stage: "reorged", hash, blockNumber: receipt.blockNumber });
              unknownSince = undefined;
              continue waiting;
            }
            await settle();
            if (receipt.status !== 1) throw await explainFailure(provider, receipt, request);
            return receipt;
          }
        }
        // Our nonce used by a transaction that is not ours: replaced from elsewhere, or dropped and reused.
        const latestNonce = await provider.getTransactionCount(pending.from, "latest");
        if (latestNonce > pending.nonce) {
          // A receipt may lag the nonce by a poll; look once more before calling it dropped.
          await sleep(pollMs);
          if ((await Promise.all(hashes.map((h) => provider.getTransactionReceipt(h)))).some((r) => r !== null)) continue;
          await settle();
          options.onProgress?.({ stage: "dropped", hash: hashes.at(-1)! });
          throw new ChequeError("TX_DROPPED", `transaction ${hashes.at(-1)} was dropped: nonce ${pending.nonce} was used by another transaction`, {
            details: { hashes, nonce: pending.nonce },
          });
        }
        // Known to the node at all?
        const known = (await Promise.all(hashes.map((h) => provider.getTransaction(h)))).some((t) => t !== null);
        if (known) unknownSince = undefined;
        else {
          unknownSince ??= Date.now();
          if (Date.now() - unknownSince >= droppedAfterMs) {
            await settle();
            options.onProgress?.({ stage: "dropped", hash: hashes.at(-1)! });
            throw new ChequeError("TX_DROPPED", `transaction ${hashes.at(-1)} was dropped by the node without being mined; send it again`, {
              details: { hashes, nonce: pending.nonce },
            });
          }
        }
        // Stuck: replace at the same nonce with bumped fees.
        if (request !== undefined && known && bumps < maxBumps && Date.now() - lastSentAt >= stuckAfterMs) {
          request = await bumped(provider, request, bumpPercent);
          const previous = hashes.at(-1)!;
          try {
            // Remembered before it is broadcast, like the original: a crash in between still finds it.
            const replacement = await signAndSend(signer, provider, request, async (hash) => {
              hashes.push(hash);
              await putPending(options.store, { ...pending, hash }, options.alsoKeys);
            });
            options.onProgress?.({ stage: "replaced", hash: replacement.hash, previous, maxFeePerGas: request.maxFeePerGas == null ? BigInt(request.gasPrice ?? 0) : BigInt(request.maxFeePerGas) });
          } catch (error) {
            const e = toChequeError(error, "replacing a stuck transaction");
            // Refused (not merely unanswered): the original stays the one remembered.
            if (e.code !== "RPC_TIMEOUT" && hashes.at(-1) !== previous) await putPending(options.store, { ...pending, hash: previous }, options.alsoKeys);
            // The original was mined meanwhile ("nonce too low"): the next poll finds its receipt.
            if (e.code !== "RPC_ERROR") throw e;
          }
          bumps++;
          lastSentAt = Date.now();
        }
      } catch (error) {
        const e = toChequeError(error, "waiting for the transaction");
        // A node that stops answering for a while does not end the wait: the transaction may be mined meanwhile.
        if (!isChequeError(e, "RPC_TIMEOUT", "RPC_UNAVAILABLE") || Date.now() - started > timeoutMs) throw e;
      }
      await sleep(pollMs);
    }
  } catch (error) {
    throw toChequeError(error, "waiting for the transaction");
  }
}

async function bumped(provider: Provider, request: TransactionRequest, percent: bigint): Promise<TransactionRequest> {
  const fees = await provider.getFeeData();
  const up = (old: bigint | null | undefined, now: bigint | null) => {
    const raised = ((BigInt(old ?? 0) * (100n + percent)) / 100n) + 1n;
    return now !== null && now > raised ? now : raised;
  };
  if (request.maxFeePerGas != null) {
    return { ...request, maxFeePerGas: up(BigInt(request.maxFeePerGas), fees.maxFeePerGas), maxPriorityFeePerGas: up(BigInt(request.maxPriorityFeePerGas ?? 0), fees.maxPriorityFeePerGas) };
  }
  return { ...request, gasPrice: up(BigInt(request.gasPrice ?? 0), fees.gasPrice) };
}

/**
 * Whether the block that included `receipt` is still on the node's canonical chain: the block hash at its height
 * is the receipt's. Asked of the node directly when the provider can, past any cache.
 *
 * @throws ChequeError RPC_TIMEOUT, RPC_UNAVAILABLE, WRONG_CHAIN.
 */
export async function isCanonical(provider: Provider, receipt: Pick<TransactionReceipt, "blockNumber" | "blockHash">): Promise<boolean> {
  const guarded = guardProvider(provider);
  try {
    const send = (guarded as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send;
    const hash =
      typeof send === "function"
        ? ((await send.call(guarded, "eth_getBlockByNumber", [`0x${receipt.blockNumber.toString(16)}`, false])) as { hash?: string } | null)?.hash
        : (await guarded.getBlock(receipt.blockNumber))?.hash;
    return typeof hash === "string" && hash.toLowerCase() === receipt.blockHash.toLowerCase();
  } catch (error) {
    throw toChequeError(error, "checking the block is canonical");
  }
}

/** Waits for `required` confirmations; false if the including block left the canonical chain meanwhile. */
async function waitForConfirmations(
  provider: Provider,
  receipt: TransactionReceipt,
  required: number,
  pollMs: number,
  onProgress?: (p: TxProgress) => void,
): Promise<boolean> {
  for (;;) {
    const head = await provider.getBlockNumber();
    const confirmations = head - receipt.blockNumber + 1;
    if (!(await isCanonical(provider, receipt))) return false;
    if (confirmations >= required) {
      onProgress?.({ stage: "confirmed", hash: receipt.hash, confirmations });
      return true;
    }
    onProgress?.({ stage: "confirming", hash: receipt.hash, confirmations, required });
    await sleep(pollMs);
  }
}

/**
 * Why a mined transaction failed. It is replayed with ample gas on the state before its block: a revert then is
 * the real reason (decoded); success means it ran out of gas (possibly inside a sub-call, where the outer frame
 * keeps 1/64 of the gas, so comparing gasUsed with the limit is not enough).
 */
async function explainFailure(provider: Provider, receipt: TransactionReceipt, request: TransactionRequest | undefined): Promise<ChequeError> {
  const tx = await provider.getTransaction(receipt.hash);
  const replay = {
    to: tx?.to ?? request?.to ?? null,
    data: tx?.data ?? request?.data ?? null,
    value: tx?.value ?? 0n,
    from: tx?.from ?? receipt.from,
    blockTag: Math.max(0, receipt.blockNumber - 1),
  };
  try {
    await provider.call(replay);
  } catch (error) {
    return toChequeError(error, `transaction ${receipt.hash}`);
  }
  return new ChequeError("OUT_OF_GAS", `transaction ${receipt.hash} ran out of gas (limit ${tx?.gasLimit ?? "unknown"}, used ${receipt.gasUsed}); send it again with a higher gas limit`, {
    details: { hash: receipt.hash, gasUsed: receipt.gasUsed, gasLimit: tx?.gasLimit },
  });
}
