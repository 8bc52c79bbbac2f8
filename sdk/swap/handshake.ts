/**
 * The terms of a peer's handshake: what we accept, and the binding of its beneficiary and chequebook.
 *
 * Rules (hard phase):
 * - Same phase, a payment threshold at least our minimum, our chain, our token, a beneficiary and a chequebook
 *   (the chequebook from a trusted factory, asked of the verifier after the free checks).
 * - Binding, persisted and for good: a beneficiary is bound to the peer we first issue a cheque to it for, a
 *   chequebook to the peer that first delivers a verified cheque on it (only its issuer can sign one). Announcing
 *   an address binds nothing for good, so nobody can lock an honest peer out for free; a payout address is held by
 *   the connected peer naming it, for as long as its connection lasts (so a connected peer cannot be robbed of it). A peer announcing an address bound
 *   to another peer is refused (`beneficiary_taken`, `chequebook_taken`), and so is a peer announcing our own
 *   addresses. So a peer can never be credited with another peer's cheques, and every cheque we issue to an
 *   address is promised to exactly one peer.
 * - A peer may change its own terms (a new payout address, a new chequebook) at any handshake. What it was paid
 *   and credited stays recorded per address, so a change pays nothing twice; an honest change is paid normally.
 */
import { isChequeError } from "../errors.js";
import type { EngineContext } from "./context.js";
import type { PeerState } from "./peers.js";
import type { SwapHandshake } from "./wire.js";

/** Why a handshake is refused: a reason from our vocabulary (a metric label) and a message. */
export interface Refusal {
  reason: string;
  message: string;
}

/** The terms a peer announced, as one comparable string. */
const terms = (s: PeerState) => `${s.peerPaymentThreshold}|${s.peerBeneficiary}|${s.peerChequebook}`;

/**
 * Checks `h` from `s`, cheapest checks first; on success holds its payout address for `s` and records its terms,
 * and writes them if they changed (in the same run as the change: a later handshake finishing first, or a write of
 * the same turn, must not stand in for it). If the connection closed while the chain was asked, nothing is taken.
 *
 * @returns the refusal, or undefined if the handshake is accepted or the connection closed meanwhile (the caller
 *   checks `s.connected`).
 * @throws ChequeError RPC_UNAVAILABLE when the chain cannot be asked (nothing was decided).
 */
export async function acceptHandshake(ctx: EngineContext, s: PeerState, h: SwapHandshake): Promise<Refusal | undefined> {
  const { config } = ctx;
  const refuse = (reason: string, message: string): Refusal => ({ reason, message: `${s.peer}: ${message}` });
  // The terms as they are when this handshake takes its own (after the chain was asked, in the hard phase).
  let before = terms(s);
  if (config.phase !== "soft") {
    if (h.phase !== config.phase) return refuse("phase_mismatch", `runs the ${h.phase} phase, we run ${config.phase}`);
    if (h.paymentThreshold < config.minPeerPaymentThreshold) {
      return refuse("threshold_too_low", `announced a payment threshold of ${h.paymentThreshold}, below our minimum ${config.minPeerPaymentThreshold}`);
    }
  }
  if (config.phase === "hard") {
    const hard = ctx.hard!;
    if (h.beneficiary === undefined || h.chequebook === undefined) return refuse("no_chequebook", "announced no beneficiary or chequebook");
    if (h.chainId !== hard.verifier.chainId) return refuse("wrong_chain", `is on chain ${h.chainId}, we are on ${hard.verifier.chainId}`);
    if (h.token?.toLowerCase() !== hard.token.toLowerCase()) return refuse("wrong_token", `pays in ${h.token}, we accept ${hard.token}`);
    const ours = [hard.verifier.beneficiary.toLowerCase(), hard.issuer.chequebook.toLowerCase()];
    if (ours.includes(h.beneficiary.toLowerCase()) || ours.includes(h.chequebook.toLowerCase())) return refuse("own_address", "announced one of our own addresses");
    const beneficiaryTaken = () => {
      const holder = ctx.peers.holder(h.beneficiary!);
      return holder !== undefined && holder !== s.peer;
    };
    if (beneficiaryTaken()) return refuse("beneficiary_taken", `announced beneficiary ${h.beneficiary}, bound to or named by another peer`);
    const chequebookOwner = ctx.peers.owner(h.chequebook);
    if (chequebookOwner !== undefined && chequebookOwner !== s.peer) return refuse("chequebook_taken", `announced chequebook ${h.chequebook}, bound to another peer`);
    if (chequebookOwner === undefined) {
      try {
        await hard.verifier.chequebookInfo(h.chequebook);
      } catch (error) {
        if (!isChequeError(error) || error.code === "RPC_UNAVAILABLE") throw error;
        return refuse(error.code.toLowerCase(), `chequebook ${h.chequebook}: ${error.message}`);
      }
      // Another handshake may have bound it while we asked the chain.
      const now = ctx.peers.owner(h.chequebook);
      if (now !== undefined && now !== s.peer) return refuse("chequebook_taken", `announced chequebook ${h.chequebook}, bound to another peer`);
      if (beneficiaryTaken()) return refuse("beneficiary_taken", `announced beneficiary ${h.beneficiary}, bound to or named by another peer`);
    }
    // The connection closed while the chain was asked: nothing is taken (the caller sees it is not connected).
    if (!s.connected) return undefined;
    before = terms(s);
    if ((s.peerBeneficiary !== undefined && s.peerBeneficiary !== h.beneficiary) || (s.peerChequebook !== undefined && s.peerChequebook !== h.chequebook)) {
      ctx.log({ level: "info", event: "terms_changed", peer: s.peer, beneficiary: h.beneficiary, chequebook: h.chequebook });
    }
    // Nothing is bound for good here: a payout address is bound by the first cheque we issue to it, a chequebook by
    // the first cheque on it the peer delivers (see pay.ts and receive.ts). Until then the payout address is only
    // held while this connection lasts.
    ctx.peers.hold(s, h.beneficiary);
    s.peerBeneficiary = h.beneficiary;
    s.peerChequebook = h.chequebook;
  }
  s.peerPaymentThreshold = h.paymentThreshold;
  // A repeated handshake with the same terms writes nothing: it costs us no more than it costs the sender.
  if (terms(s) !== before) await ctx.peers.save(s);
  return undefined;
}
