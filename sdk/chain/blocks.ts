/**
 * Reading a block's header (height, hash, time) from the node. Asked with a raw `eth_getBlockByNumber` when the
 * provider can send one (JsonRpcProvider, BrowserProvider, Hardhat's): the same request ethers' `getBlock` makes,
 * without building an ethers `Block` (checksummed miner address, frozen properties, every field formatted), which
 * costs more than the request itself on a local node. Other providers are asked through `getBlock`.
 */
import type { Provider } from "ethers";

import { ChequeError } from "../errors.js";

/** What the SDK reads of a block. */
export interface BlockHeader {
  number: number;
  /** `null` for a pending block. */
  hash: string | null;
  /** Unix seconds. */
  timestamp: number;
}

type Send = (method: string, params: unknown[]) => Promise<unknown>;

const HASH = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,15}$/;

/**
 * The header of the block `tag` names ("latest" or a height), or `null` if the node has no such block.
 *
 * @throws ChequeError RPC_ERROR for an answer that is not a block; the provider's own errors (wrap in `rpc`).
 */
export async function readBlock(provider: Provider, tag: "latest" | number): Promise<BlockHeader | null> {
  const send = (provider as unknown as { send?: Send }).send;
  if (typeof send !== "function") {
    const b = await provider.getBlock(tag);
    return b === null ? null : { number: b.number, hash: b.hash, timestamp: b.timestamp };
  }
  const raw = (await send.call(provider, "eth_getBlockByNumber", [tag === "latest" ? tag : `0x${tag.toString(16)}`, false])) as Record<string, unknown> | null;
  if (raw === null) return null;
  const { number, hash, timestamp } = raw;
  if (typeof number !== "string" || !QUANTITY.test(number) || typeof timestamp !== "string" || !QUANTITY.test(timestamp) || (hash !== null && (typeof hash !== "string" || !HASH.test(hash)))) {
    throw new ChequeError("RPC_ERROR", "the node answered eth_getBlockByNumber with something that is not a block", { details: { tag: String(tag) } });
  }
  return { number: Number.parseInt(number, 16), hash: hash === null ? null : hash.toLowerCase(), timestamp: Number.parseInt(timestamp, 16) };
}
