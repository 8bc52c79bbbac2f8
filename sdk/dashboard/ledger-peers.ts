/**
 * Peers from ledger records, for a dashboard without a running engine (`chequebook dashboard --ledger`): every peer
 * shows as offline (or cooling down), with the balance and payments its record holds.
 */
import type { PeerSummary } from "../swap/engine.js";
import { upgradeLedger, type LedgerStore } from "../swap/ledger.js";

/** A `peers` source for {@link startDashboard} reading `ledger` at each refresh. */
export function ledgerPeers(ledger: LedgerStore): () => Promise<PeerSummary[]> {
  return async () =>
    (await ledger.loadAll()).map((record) => {
      const l = upgradeLedger(record);
      const p: PeerSummary = {
        peer: l.peer, connected: false, ready: false, balance: l.balance, prepaid: l.prepaid, byProtocol: { ...l.byProtocol }, reserved: 0n,
        cooldownUntil: l.cooldownUntil, sent: Object.values(l.payouts).reduce((t, x) => t + x.issued, 0n), received: Object.values(l.credited).reduce((t, c) => t + c, 0n),
      };
      if (l.peerPaymentThreshold !== undefined) p.peerPaymentThreshold = l.peerPaymentThreshold;
      if (l.inflight !== undefined) p.paymentInFlight = l.inflight.units;
      if (l.peerBeneficiary !== undefined) p.beneficiary = l.peerBeneficiary;
      if (l.peerChequebook !== undefined) p.chequebook = l.peerChequebook;
      return p;
    });
}
