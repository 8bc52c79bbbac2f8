/**
 * The chain's side of what an issuer can still promise: the chequebook's figures, all read at one block.
 */
import type { Provider } from "ethers";

import { readBlock } from "../chain/blocks.js";
import { chequebookAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";
import type { ChainFunds } from "./funds.js";

/** A block, as the cache of chain readings names it: a reorg gives the same height another hash. */
export interface BlockId {
  number: number;
  hash: string;
}

/**
 * The latest block the provider knows of. As fresh as the provider's answer: an ethers `JsonRpcProvider` reuses an
 * answer for up to its `cacheTimeout` (250 ms by default).
 *
 * @throws ChequeError RPC_UNAVAILABLE, RPC_ERROR (no block, or one without a hash).
 */
export async function latestBlock(provider: Provider): Promise<BlockId> {
  const block = await rpc("reading the latest block", () => readBlock(provider, "latest"));
  if (block === null || block.hash === null) throw new ChequeError("RPC_ERROR", "the node returned no latest block (or one without a hash)");
  return { number: block.number, hash: block.hash };
}

/**
 * The block at height `number` (one our own transaction was mined in, so the node has it).
 *
 * @throws ChequeError RPC_UNAVAILABLE, RPC_ERROR (no such block, or one without a hash).
 */
export async function blockAt(provider: Provider, number: number): Promise<BlockId> {
  const block = await rpc("reading a block", () => readBlock(provider, number));
  if (block === null || block.hash === null) throw new ChequeError("RPC_ERROR", `the node returned no block ${number} (or one without a hash)`);
  return { number: block.number, hash: block.hash };
}

/**
 * Whether `block` is still on the provider's chain (its height still has its hash): a reading taken at its height
 * belongs to it, and may be kept under its name.
 */
export async function stillCanonical(provider: Provider, block: BlockId): Promise<boolean> {
  const now = await rpc("reading a block", () => readBlock(provider, block.number));
  return now !== null && now.hash === block.hash;
}

/**
 * Reads the chequebook's balance, total paid out and total hard deposit at one block, `at` (a cash-out between two
 * reads would otherwise look like free money). With hard deposits, or when `withAccounts`, also the paid-out and
 * hard deposit of each of `beneficiaries()`, at the same block.
 *
 * @throws ChequeError RPC_UNAVAILABLE, RPC_ERROR.
 */
export async function readChainFunds(args: {
  provider: Provider;
  chequebook: string;
  beneficiaries: () => Promise<string[]>;
  withAccounts: boolean;
  at: BlockId;
}): Promise<ChainFunds> {
  const { provider } = args;
  const book = chequebookAt(args.chequebook, provider);
  const blockTag = args.at.number;
  const read = <T>(name: string, ...rest: unknown[]) => book.getFunction(name)(...rest, { blockTag }) as Promise<T>;
  const [total, totalPaidOut, totalHardDeposit] = await rpc("reading the chequebook balance", () =>
    Promise.all([read<bigint>("balance"), read<bigint>("totalPaidOut"), read<bigint>("totalHardDeposit")]),
  );
  const funds: ChainFunds = { total, totalPaidOut, totalHardDeposit };
  if (totalHardDeposit > 0n || args.withAccounts) {
    const beneficiaries = [...new Set(await args.beneficiaries())];
    const rows = await rpc("reading the beneficiaries' accounts", () =>
      Promise.all(beneficiaries.map((b) => Promise.all([read<bigint>("paidOut", b), read<[bigint]>("hardDeposits", b)]))),
    );
    funds.accounts = new Map(beneficiaries.map((b, i) => [b, { paidOut: rows[i]![0], hardDeposit: rows[i]![1][0] }]));
  }
  return funds;
}
