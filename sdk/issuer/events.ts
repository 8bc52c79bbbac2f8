/**
 * The result of an issuer's write: the mined receipt and the chequebook events it emitted, decoded.
 */
import type { TransactionReceipt } from "ethers";

import { chequebookInterface } from "../chain/contracts.js";

/** A write that was mined and confirmed, with the chequebook events it emitted. */
export interface WriteResult {
  hash: string;
  receipt: TransactionReceipt;
  events: Array<{ name: string; args: Record<string, unknown> }>;
}

/** The chequebook events in `receipt`, decoded. */
export function decodeEvents(receipt: TransactionReceipt, chequebook: string): WriteResult["events"] {
  const events: WriteResult["events"] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== chequebook.toLowerCase()) continue;
    const parsed = chequebookInterface.parseLog(log);
    if (parsed !== null) events.push({ name: parsed.name, args: parsed.args.toObject() });
  }
  return events;
}
