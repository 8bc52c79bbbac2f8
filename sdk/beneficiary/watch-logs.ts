/**
 * Which of our chequebooks something happened to in a block range: any event the chequebook itself emitted
 * (a prepared decrease, a withdraw, a cash-out by another payee, a deposit) and any transfer of its token into or
 * out of it. Logs only say *where* to look: the watcher then reads the contract's state, so a log's content is never
 * trusted. Logs from any other address are dropped, whatever the node returned.
 */
import { id, zeroPadValue, type Log, type Provider } from "ethers";

import { rpc } from "../chain/contracts.js";

/** topic0 of ERC-20 Transfer(address,address,uint256). */
export const TRANSFER_TOPIC = id("Transfer(address,address,uint256)");

/** One chequebook to follow and the token it pays in. */
export interface FollowedChequebook {
  chequebook: string;
  token: string;
}

/** Addresses per log query: keeps each request's filter small for public nodes. */
const ADDRESSES_PER_QUERY = 100;

function addressFromTopic(topic: string | undefined): string | undefined {
  if (typeof topic !== "string" || !/^0x0{24}[0-9a-fA-F]{40}$/.test(topic)) return undefined;
  return ("0x" + topic.slice(26)).toLowerCase();
}

/**
 * The chequebooks of `followed` touched between `fromBlock` and `toBlock` (inclusive), lower-cased. Makes three log
 * queries per 100 chequebooks; the caller bounds the block range.
 *
 * @throws ChequeError RPC_TIMEOUT, RPC_UNAVAILABLE, RPC_ERROR (some nodes refuse wide ranges: lower the range).
 */
export async function touchedChequebooks(args: { provider: Provider; followed: readonly FollowedChequebook[]; fromBlock: number; toBlock: number }): Promise<Set<string>> {
  const touched = new Set<string>();
  const { provider, fromBlock, toBlock } = args;
  for (let i = 0; i < args.followed.length; i += ADDRESSES_PER_QUERY) {
    const chunk = args.followed.slice(i, i + ADDRESSES_PER_QUERY);
    const tokenOf = new Map(chunk.map((c) => [c.chequebook.toLowerCase(), c.token.toLowerCase()]));
    const books = chunk.map((c) => c.chequebook);
    const tokens = [...new Set(chunk.map((c) => c.token))];
    const asTopics = books.map((b) => zeroPadValue(b, 32));
    const [own, out, into] = await rpc("reading chequebook events", () =>
      Promise.all([
        provider.getLogs({ address: books, fromBlock, toBlock }),
        provider.getLogs({ address: tokens, topics: [TRANSFER_TOPIC, asTopics], fromBlock, toBlock }),
        provider.getLogs({ address: tokens, topics: [TRANSFER_TOPIC, null, asTopics], fromBlock, toBlock }),
      ]),
    );
    const inRange = (log: Log) => typeof log.blockNumber === "number" && log.blockNumber >= fromBlock && log.blockNumber <= toBlock;
    for (const log of own) {
      const address = typeof log.address === "string" ? log.address.toLowerCase() : "";
      if (tokenOf.has(address) && inRange(log)) touched.add(address);
    }
    for (const [log, side] of [...out.map((l) => [l, 1] as const), ...into.map((l) => [l, 2] as const)]) {
      if (!inRange(log) || log.topics?.[0] !== TRANSFER_TOPIC) continue;
      const book = addressFromTopic(log.topics[side]);
      // The transfer must be of the token that chequebook pays in, not of a look-alike contract.
      if (book !== undefined && tokenOf.get(book) === String(log.address).toLowerCase()) touched.add(book);
    }
  }
  return touched;
}
