/**
 * Reading cash-outs back from the chain: the ChequeCashed and ChequeBounced events of a receipt, and, for the
 * recovery of an interrupted cash-out, finding the transaction that cashed a cheque when its hash is not known
 * (a replacement sent just before a crash, or a send whose hash was never stored).
 */
import type { Provider, TransactionReceipt } from "ethers";

import { chequebookInterface, rpc } from "../chain/contracts.js";
import { ChequeError, isChequeError } from "../errors.js";

/** The most blocks one log query of {@link findCashoutTransaction} covers. */
const LOG_PAGE_BLOCKS = 1000;

/** What a cash-out receipt says happened. */
export interface DecodedCashout {
  /** Tokens that left the chequebook for the beneficiary's cheque (the caller's fee included). */
  paid: bigint;
  /** The chequebook could not pay in full. */
  bounced: boolean;
  /** The caller's fee. */
  callerPayout: bigint;
  /** The cumulative payout of the cheque that was cashed. */
  cumulativePayout: bigint;
}

/**
 * Reads the ChequeCashed and ChequeBounced events of a cash-out receipt for `beneficiary`.
 *
 * @throws ChequeError CONTRACT_REVERT if the receipt has no ChequeCashed event of `chequebook` for `beneficiary`.
 */
export function decodeCashout(receipt: TransactionReceipt, chequebook: string, beneficiary: string): DecodedCashout {
  let cashed: DecodedCashout | undefined;
  let bounced = false;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== chequebook.toLowerCase()) continue;
    const parsed = chequebookInterface.parseLog(log);
    if (parsed?.name === "ChequeCashed" && (parsed.args.beneficiary as string).toLowerCase() === beneficiary.toLowerCase()) {
      cashed = {
        paid: parsed.args.totalPayout as bigint, bounced: false,
        callerPayout: parsed.args.callerPayout as bigint, cumulativePayout: parsed.args.cumulativePayout as bigint,
      };
    }
    if (parsed?.name === "ChequeBounced") bounced = true;
  }
  if (cashed === undefined) {
    throw new ChequeError("CONTRACT_REVERT", `transaction ${receipt.hash} emitted no ChequeCashed event: is ${chequebook} a chequebook?`, { details: { hash: receipt.hash } });
  }
  return { ...cashed, bounced };
}

/**
 * The transaction, sent by `sender`, that cashed a cheque of `beneficiary` on `chequebook` within the last
 * `lookbackBlocks` blocks and matches `match` (a nonce, or a cumulative payout), newest first; undefined if none.
 * Transactions in `exclude` (hashes already recorded) are skipped.
 *
 * The look-back is read newest first in pages of at most 1,000 blocks, halved while the node refuses them.
 *
 * @throws ChequeError RPC_TIMEOUT, RPC_UNAVAILABLE, RPC_ERROR.
 */
export async function findCashoutTransaction(args: {
  provider: Provider;
  chequebook: string;
  beneficiary: string;
  sender: string;
  match: { nonce: number } | { cumulativePayout: bigint };
  lookbackBlocks: number;
  exclude?: ReadonlySet<string>;
}): Promise<string | undefined> {
  const { provider } = args;
  const head = await rpc("reading the block number", () => provider.getBlockNumber());
  const event = chequebookInterface.getEvent("ChequeCashed")!;
  const topics = chequebookInterface.encodeFilterTopics(event, [args.beneficiary]);
  const floor = Math.max(0, head - args.lookbackBlocks);
  // Newest first, in pages a node answers: many refuse one query over more than 1,000 to 10,000 blocks, some over
  // fewer (a refused page is halved and asked again).
  let page = LOG_PAGE_BLOCKS;
  for (let toBlock = head; toBlock >= floor; ) {
    const fromBlock = Math.max(floor, toBlock - page + 1);
    let logs;
    try {
      logs = await rpc("reading cash-out events", () => provider.getLogs({ address: args.chequebook, topics, fromBlock, toBlock }));
    } catch (error) {
      if (!isChequeError(error, "RPC_ERROR") || toBlock === fromBlock) throw error;
      page = Math.ceil((toBlock - fromBlock + 1) / 2);
      continue;
    }
    toBlock = fromBlock - 1;
    for (const log of [...logs].reverse()) {
      if (args.exclude?.has(log.transactionHash.toLowerCase())) continue;
      const parsed = chequebookInterface.parseLog(log);
      if (parsed === null) continue;
      if ("cumulativePayout" in args.match && parsed.args.cumulativePayout !== args.match.cumulativePayout) continue;
      const tx = await rpc("reading a cash-out transaction", () => provider.getTransaction(log.transactionHash));
      if (tx === null || tx.from.toLowerCase() !== args.sender.toLowerCase()) continue;
      if ("nonce" in args.match && tx.nonce !== args.match.nonce) continue;
      return log.transactionHash;
    }
  }
  return undefined;
}
