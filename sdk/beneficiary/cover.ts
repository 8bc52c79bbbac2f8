/**
 * The chain's side of a cheque's cover: what a chequebook could pay us, read at one block and reused while that
 * block is the latest (figures at one block never change; a reorg gives the same height another hash).
 */
import type { Provider } from "ethers";

import { readBlock } from "../chain/blocks.js";
import { chequebookAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";
import type { CoverFigures } from "./solvency.js";

/** A cover reading: the figures, the block they were read at, and when (our clock). */
export interface CoverSnapshot extends CoverFigures {
  /** Chain time (unix seconds) of the block read. */
  chainTime: bigint;
  /** Our clock (unix ms) when first read. */
  at: number;
  /**
   * Our clock (unix ms) when its block was last seen to be the latest: just before the head was asked, for the first
   * read or a later check that found the same block. The figures are as fresh as that check.
   */
  seenAt: number;
  block: { number: number; hash: string };
}

/**
 * The cover figures of `chequebook` for `beneficiary`: `cached` while its block was seen to be the latest less than
 * `maxAgeMs` ago, or while its block is still the latest (that check renews `seenAt`); otherwise read afresh, all at
 * the latest block. A node answers each call of a batch at its own "latest", and our own cash-out mined between the
 * liquid balance and paidOut would count its money twice: so two round trips, the block, then the figures at it (one
 * batch: ethers batches calls issued together).
 *
 * @param defaultTimeouts - each chequebook's default decrease timeout (immutable): read once, filled in here.
 * @throws ChequeError RPC_UNAVAILABLE, RPC_ERROR.
 */
export async function readCover(args: {
  provider: Provider;
  chequebook: string;
  beneficiary: string;
  cached: CoverSnapshot | undefined;
  maxAgeMs: number;
  now: () => number;
  defaultTimeouts: Map<string, bigint>;
}): Promise<CoverSnapshot> {
  const { cached, provider } = args;
  const asked = args.now();
  if (cached !== undefined && asked - cached.seenAt < args.maxAgeMs) return cached;
  const block = await rpc("reading the latest block", () => readBlock(provider, "latest"));
  if (block === null || block.hash === null) throw new ChequeError("RPC_ERROR", "the node returned no latest block");
  if (cached !== undefined && cached.block.hash === block.hash && cached.block.number === block.number) return { ...cached, seenAt: asked };
  const book = chequebookAt(args.chequebook, provider);
  const knownDefault = args.defaultTimeouts.get(args.chequebook);
  const overrides = { blockTag: block.number };
  const [liquidBalanceFor, paidOut, hardDeposits, defaultTimeout] = await rpc("reading the chequebook's cover", () =>
    Promise.all([
      book.getFunction("liquidBalanceFor")(args.beneficiary, overrides) as Promise<bigint>,
      book.getFunction("paidOut")(args.beneficiary, overrides) as Promise<bigint>,
      book.getFunction("hardDeposits")(args.beneficiary, overrides) as Promise<[bigint, bigint, bigint, bigint]>,
      knownDefault ?? (book.getFunction("defaultHardDepositTimeout")() as Promise<bigint>),
    ]),
  );
  args.defaultTimeouts.set(args.chequebook, defaultTimeout);
  const [hardDeposit, decreaseAmount, timeout, canBeDecreasedAt] = hardDeposits;
  // Named by the block only if its height still has that hash (a reorg meanwhile: the figures may be of another).
  const again = await rpc("reading a block", () => readBlock(provider, block.number));
  const hash = again !== null && again.hash === block.hash ? block.hash : "";
  return {
    liquidBalanceFor,
    paidOut,
    hardDeposit,
    decreaseAmount,
    canBeDecreasedAt,
    effectiveTimeout: timeout !== 0n ? timeout : defaultTimeout,
    chainTime: BigInt(block.timestamp),
    at: args.now(),
    // A reading whose block could not be confirmed (a reorg meanwhile) is not reused by age either.
    seenAt: hash === "" ? Number.NEGATIVE_INFINITY : asked,
    block: { number: block.number, hash },
  };
}
