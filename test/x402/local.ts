/**
 * Accounts without a chain, for tests about accounting alone: a verifier that checks the issuer's key and counts
 * every chequebook solvent (as `crash-worker.ts` does), a payer, and its payments for one requirement.
 */
import { Wallet, getAddress } from "ethers";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";

import { ChequeError, chequeToJson, recoverChequeSigner, signCheque, validateCheque, type ChequeVerifier } from "../../sdk/index.js";
import { eip155Network } from "../../sdk/x402/index.js";

export const CHAIN = 31337n;
export const issuer = new Wallet("0x" + "11".repeat(32));
export const beneficiary = new Wallet("0x" + "22".repeat(32)).address;
export const chequebook = getAddress("0x" + "c4".repeat(20));
/** The token and the trusted factory the local requirements name (nothing is deployed there). */
export const TOKEN = "0x" + "70".repeat(20);
export const FACTORY = "0x" + "fa".repeat(20);

/**
 * The issuer's key checked, cover not: every chequebook counts as solvent. `extra`: more of the verifier's members
 * (a token, `chequebookInfo`) for a server that asks for them.
 */
export function localVerifier(payee = beneficiary, chainId = CHAIN, issuerAddress = issuer.address, extra: Record<string, unknown> = {}): ChequeVerifier {
  const checkSignature = (cheque: unknown) => {
    const c = validateCheque(cheque);
    if (recoverChequeSigner({ cheque: c, chainId }) !== issuerAddress) throw new ChequeError("INVALID_SIGNATURE", "not the issuer's key");
    return Promise.resolve({ revocable: false });
  };
  return {
    ...extra,
    chainId,
    beneficiary: payee,
    checkSignature,
    verify: async (cheque: unknown, options: { previous?: bigint }) => {
      const c = validateCheque(cheque);
      await checkSignature(c);
      const previous = options.previous ?? 0n;
      if (c.cumulativePayout <= previous) throw new ChequeError("STALE_CHEQUE", "not above the last one");
      return { cheque: c, increment: c.cumulativePayout - previous, previous, flagged: false, cashNow: false, cover: { paidOut: 0n } };
    },
  } as unknown as ChequeVerifier;
}

/** A `cheque` requirement of `price` to `payee`. */
export function requirementFor(price: bigint, payee = beneficiary, chainId = CHAIN): PaymentRequirements {
  return { scheme: "cheque", network: eip155Network(chainId), asset: TOKEN, amount: price.toString(), payTo: payee, maxTimeoutSeconds: 60, extra: {} };
}

/** A payment of the issuer's cheque of `value` to `payee`. */
export async function paymentOf(value: bigint, requirements: PaymentRequirements, payee = beneficiary, chainId = CHAIN): Promise<PaymentPayload> {
  const c = await signCheque({ chequebook, beneficiary: payee, cumulativePayout: value, signer: issuer, chainId });
  return { x402Version: 2, accepted: requirements, payload: { cheque: { ...chequeToJson(c) }, chainId: chainId.toString() } };
}
