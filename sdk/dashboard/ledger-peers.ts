/**
 * Peers from ledger records, for a dashboard without a running engine (`chequebook dashboard --ledger`): every peer
 * shows as offline (or cooling down), with the balance and payments its record holds.
 */
import { upgradeLedger, type LedgerStore } from "../swap/ledger.js";
import { summarizePeer, type PeerSummary } from "../swap/summary.js";

/** A `peers` source for {@link startDashboard} reading `ledger` at each refresh. */
export function ledgerPeers(ledger: LedgerStore): () => Promise<PeerSummary[]> {
  return async () => (await ledger.loadAll()).map((record) => summarizePeer(upgradeLedger(record)));
}
