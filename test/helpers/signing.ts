/**
 * The one place tests build and sign chequebook typed data; it reuses the SDK's definitions so the contract
 * tests also prove the SDK's domain and types match what the contract verifies.
 */
import { Signature, type Signer } from "ethers";

import {
  getBeneficiaryCashoutTypedData,
  getCashoutTypedData,
  getChequeTypedData,
  getCustomDecreaseTimeoutTypedData,
} from "../../sdk/cheque/typed-data.js";

export interface ChequeArgs {
  chequebook: string;
  beneficiary: string;
  cumulativePayout: bigint;
  chainId: bigint;
}

export async function signCheque(signer: Signer, args: ChequeArgs): Promise<string> {
  const { domain, types, message } = getChequeTypedData(args);
  return signer.signTypedData(domain, types, message);
}

export async function signCashout(
  signer: Signer,
  args: {
    chequebook: string;
    sender: string;
    requestPayout: bigint;
    recipient: string;
    callerPayout: bigint;
    chainId: bigint;
  },
): Promise<string> {
  const { domain, types, message } = getCashoutTypedData(args);
  return signer.signTypedData(domain, types, message);
}

/** The cash-out an ERC-1271 beneficiary's wallet approves (the SDK's BeneficiaryCashout typed data). */
export async function signBeneficiaryCashout(
  signer: Signer,
  args: {
    chequebook: string;
    beneficiary: string;
    sender: string;
    requestPayout: bigint;
    recipient: string;
    callerPayout: bigint;
    chainId: bigint;
  },
): Promise<string> {
  const { domain, types, message } = getBeneficiaryCashoutTypedData(args);
  return signer.signTypedData(domain, types, message);
}

export async function signCustomDecreaseTimeout(
  signer: Signer,
  args: { chequebook: string; beneficiary: string; decreaseTimeout: bigint; chainId: bigint },
): Promise<string> {
  const { domain, types, message } = getCustomDecreaseTimeoutTypedData(args);
  return signer.signTypedData(domain, types, message);
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signature with s replaced by n - s and v flipped: valid for ecrecover, rejected as high-s. */
export function toHighS(signature: string): string {
  const sig = Signature.from(signature);
  const highS = SECP256K1_N - BigInt(sig.s);
  const v = sig.v === 27 ? 28 : 27;
  return "0x" + sig.r.slice(2) + highS.toString(16).padStart(64, "0") + v.toString(16);
}

/** The same signature with v written as 0 or 1 instead of 27 or 28. */
export function withRawV(signature: string): string {
  const v = parseInt(signature.slice(-2), 16);
  return signature.slice(0, -2) + (v - 27).toString(16).padStart(2, "0");
}
