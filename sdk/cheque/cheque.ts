/**
 * Signed cheques: validation, signing, hashing and signer recovery for the three chequebook messages.
 * Signing goes through any ethers `Signer` (wallet, JSON-RPC, hardware); with a private-key wallet the result is
 * deterministic (RFC 6979), low-s, v in {27, 28}: byte-identical to what Swarm's Bee node produces.
 */
import { BaseWallet, Signature, TypedDataEncoder, recoverAddress, type Signer } from "ethers";

import { bytesToHex, chequeDigestBytes, hexToBytes, recoverAddressLower, signDigest } from "./crypto.js";

import { ChequeError } from "../errors.js";
import {
  getBeneficiaryCashoutTypedData,
  getCashoutTypedData,
  getChequeTypedData,
  getCustomDecreaseTimeoutTypedData,
  type BeneficiaryCashoutMessage,
  type CashoutMessage,
  type ChainId,
  type CustomDecreaseTimeoutMessage,
} from "./typed-data.js";
import { checksummed, toAddress, toSignature, toUint256 } from "../validate.js";

/** A cheque with the issuer's signature (0x-hex, 65 bytes). */
export interface SignedCheque {
  chequebook: string;
  beneficiary: string;
  cumulativePayout: bigint;
  signature: string;
}

/** The fields of a cheque to sign. */
export interface ChequeFields {
  chequebook: string;
  beneficiary: string;
  cumulativePayout: bigint;
}

/**
 * The longest text accepted for each cheque field, checked before any conversion so that a hostile field costs its
 * sender more than it costs us: an address is 42 characters, a uint256 at most 78 decimal digits (or 0x and 64 hex
 * digits), a signature 0x and 130 hex digits.
 */
export const CHEQUE_FIELD_MAX_LENGTH = { chequebook: 42, beneficiary: 42, cumulativePayout: 78, signature: 132 } as const;

type ChequeField = keyof typeof CHEQUE_FIELD_MAX_LENGTH;

/**
 * The four fields of an untrusted cheque, read once (a getter or proxy that throws is a malformed cheque), with
 * every string field's length bounded and the amount's type checked before anything converts them.
 */
function boundedFields(cheque: unknown): Record<ChequeField, unknown> {
  if (typeof cheque !== "object" || cheque === null) {
    throw new ChequeError("MALFORMED_CHEQUE", "a cheque must be an object with chequebook, beneficiary, cumulativePayout and signature");
  }
  let read: Record<ChequeField, unknown>;
  try {
    const c = cheque as Record<string, unknown>;
    read = { chequebook: c.chequebook, beneficiary: c.beneficiary, cumulativePayout: c.cumulativePayout, signature: c.signature };
  } catch (cause) {
    throw new ChequeError("MALFORMED_CHEQUE", "a cheque's fields could not be read", { cause });
  }
  for (const field of Object.keys(CHEQUE_FIELD_MAX_LENGTH) as ChequeField[]) {
    const value = read[field];
    const limit = CHEQUE_FIELD_MAX_LENGTH[field];
    if (typeof value === "string" && value.length > limit) {
      throw new ChequeError("MALFORMED_CHEQUE", `${field} is too long: ${value.length} characters, at most ${limit}`, {
        details: { field, length: value.length, limit },
      });
    }
  }
  const amount = read.cumulativePayout;
  if (typeof amount !== "bigint" && typeof amount !== "number" && typeof amount !== "string") {
    throw new ChequeError("MALFORMED_CHEQUE", "cumulativePayout must be an unsigned integer (bigint or decimal string)", {
      details: { field: "cumulativePayout", type: typeof amount },
    });
  }
  return read;
}

/**
 * A well-formed copy of `cheque`: checksummed addresses, uint256 amount, canonical 65-byte signature. Every string
 * field is bounded by {@link CHEQUE_FIELD_MAX_LENGTH} before it is converted.
 *
 * @throws ChequeError MALFORMED_CHEQUE if any field is malformed or too long (`details.field`, `details.limit`).
 * @example const clean = validateCheque(untrusted)
 */
export function validateCheque(cheque: unknown): SignedCheque {
  const c = boundedFields(cheque);
  return {
    chequebook: toAddress(c.chequebook, "chequebook", "MALFORMED_CHEQUE"),
    beneficiary: toAddress(c.beneficiary, "beneficiary", "MALFORMED_CHEQUE"),
    cumulativePayout: toUint256(c.cumulativePayout, "cumulativePayout", { code: "MALFORMED_CHEQUE" }),
    signature: toSignature(c.signature, "signature", "MALFORMED_CHEQUE"),
  };
}

function fields(args: ChequeFields): ChequeFields {
  return {
    chequebook: toAddress(args.chequebook, "chequebook"),
    beneficiary: toAddress(args.beneficiary, "beneficiary"),
    cumulativePayout: toUint256(args.cumulativePayout, "cumulativePayout"),
  };
}

/** Turns whatever a signer returned into the canonical 65-byte form (v 27/28). */
function canonical(signature: string): string {
  try {
    return Signature.from(signature).serialized.toLowerCase();
  } catch (cause) {
    throw new ChequeError("INVALID_SIGNATURE", "the signer returned a malformed signature", { cause });
  }
}

/**
 * The EIP-712 digest of a cheque.
 *
 * @example hashCheque({ chequebook, beneficiary, cumulativePayout: 10n, chainId: 100 })
 */
export function hashCheque(args: ChequeFields & { chainId: ChainId }): string {
  const f = fields(args);
  return bytesToHex(chequeDigestBytes(f.chequebook, f.beneficiary, f.cumulativePayout, BigInt(args.chainId)));
}

/**
 * Signs a cheque as the issuer.
 *
 * @param args.signer - the chequebook issuer's signer.
 * @returns the signed cheque, fields normalised.
 * @throws ChequeError INVALID_ARGUMENT for malformed fields, INVALID_SIGNATURE if the signer returns garbage.
 * @example const cheque = await signCheque({ signer, chequebook, beneficiary, cumulativePayout: 10n ** 16n, chainId })
 */
export async function signCheque(args: ChequeFields & { signer: Signer; chainId: ChainId }): Promise<SignedCheque> {
  const f = fields(args);
  if (args.signer instanceof BaseWallet) {
    // A private key in this process: the fast path (same bytes as signTypedData, see crypto.ts).
    const digest = chequeDigestBytes(f.chequebook, f.beneficiary, f.cumulativePayout, BigInt(args.chainId));
    return { ...f, signature: bytesToHex(signDigest(hexToBytes(args.signer.signingKey.privateKey), digest)) };
  }
  const { domain, types, message } = getChequeTypedData({ ...f, chainId: args.chainId });
  const signature = canonical(await args.signer.signTypedData(domain, types, message));
  return { ...f, signature };
}

/**
 * The address that signed `cheque` (checksummed). It is valid only if this is the chequebook's issuer.
 *
 * @throws ChequeError MALFORMED_CHEQUE if the cheque is malformed.
 */
export function recoverChequeSigner(args: { cheque: SignedCheque; chainId: ChainId }): string {
  const cheque = validateCheque(args.cheque);
  const digest = chequeDigestBytes(cheque.chequebook, cheque.beneficiary, cheque.cumulativePayout, BigInt(args.chainId));
  const signer = recoverAddressLower(digest, hexToBytes(cheque.signature));
  if (signer === undefined) throw new ChequeError("INVALID_SIGNATURE", "the signature does not recover to any address", { details: { cheque } });
  return checksummed(signer);
}

/** The EIP-712 digest of a cash-out authorisation. */
export function hashCashout(args: CashoutMessage & { chainId: ChainId }): string {
  const { domain, types, message } = getCashoutTypedData(cashoutFields(args));
  return TypedDataEncoder.hash(domain, types, message);
}

function cashoutFields(args: CashoutMessage & { chainId: ChainId }): CashoutMessage & { chainId: ChainId } {
  return {
    chequebook: toAddress(args.chequebook, "chequebook"),
    sender: toAddress(args.sender, "sender"),
    requestPayout: toUint256(args.requestPayout, "requestPayout"),
    recipient: toAddress(args.recipient, "recipient"),
    callerPayout: toUint256(args.callerPayout, "callerPayout"),
    chainId: args.chainId,
  };
}

/**
 * Signs a cash-out authorisation as the beneficiary: `sender` may cash the cheque of `requestPayout` and keep
 * `callerPayout`, the rest going to `recipient`. Each authorisation is honoured once.
 *
 * @returns the 65-byte signature as 0x-hex.
 */
export async function signCashout(args: CashoutMessage & { signer: Signer; chainId: ChainId }): Promise<string> {
  const { domain, types, message } = getCashoutTypedData(cashoutFields(args));
  return canonical(await args.signer.signTypedData(domain, types, message));
}

/** The address that signed a cash-out authorisation. */
export function recoverCashoutSigner(args: CashoutMessage & { chainId: ChainId; signature: string }): string {
  return recoverAddress(hashCashout(args), toSignature(args.signature, "signature", "INVALID_ARGUMENT"));
}

function beneficiaryCashoutFields(args: BeneficiaryCashoutMessage & { chainId: ChainId }): BeneficiaryCashoutMessage & { chainId: ChainId } {
  return { ...cashoutFields(args), beneficiary: toAddress(args.beneficiary, "beneficiary") };
}

/** The EIP-712 digest of a contract beneficiary's cash-out authorisation (what its ERC-1271 wallet must approve). */
export function hashBeneficiaryCashout(args: BeneficiaryCashoutMessage & { chainId: ChainId }): string {
  const { domain, types, message } = getBeneficiaryCashoutTypedData(beneficiaryCashoutFields(args));
  return TypedDataEncoder.hash(domain, types, message);
}

/**
 * Signs a contract beneficiary's cash-out authorisation with a key its wallet accepts (for example the wallet's
 * owner). The chequebook checks it through the beneficiary's `isValidSignature`; EOA beneficiaries use
 * {@link signCashout} instead.
 *
 * @returns the 65-byte signature as 0x-hex.
 * @example
 * const sig = await signBeneficiaryCashout({ signer: walletOwner, chainId, chequebook, beneficiary: wallet, sender: relayer, requestPayout, recipient: wallet, callerPayout: fee })
 */
export async function signBeneficiaryCashout(
  args: BeneficiaryCashoutMessage & { signer: Signer; chainId: ChainId },
): Promise<string> {
  const { domain, types, message } = getBeneficiaryCashoutTypedData(beneficiaryCashoutFields(args));
  return canonical(await args.signer.signTypedData(domain, types, message));
}

function timeoutFields(args: CustomDecreaseTimeoutMessage & { chainId: ChainId }) {
  return {
    chequebook: toAddress(args.chequebook, "chequebook"),
    beneficiary: toAddress(args.beneficiary, "beneficiary"),
    decreaseTimeout: toUint256(args.decreaseTimeout, "decreaseTimeout"),
    chainId: args.chainId,
  };
}

/** The EIP-712 digest of a custom decrease-timeout authorisation. */
export function hashCustomDecreaseTimeout(args: CustomDecreaseTimeoutMessage & { chainId: ChainId }): string {
  const { domain, types, message } = getCustomDecreaseTimeoutTypedData(timeoutFields(args));
  return TypedDataEncoder.hash(domain, types, message);
}

/** Signs, as the beneficiary, its agreement to a custom hard-deposit decrease timeout. */
export async function signCustomDecreaseTimeout(
  args: CustomDecreaseTimeoutMessage & { signer: Signer; chainId: ChainId },
): Promise<string> {
  const { domain, types, message } = getCustomDecreaseTimeoutTypedData(timeoutFields(args));
  return canonical(await args.signer.signTypedData(domain, types, message));
}

/** The address that signed a custom decrease-timeout authorisation. */
export function recoverCustomDecreaseTimeoutSigner(
  args: CustomDecreaseTimeoutMessage & { chainId: ChainId; signature: string },
): string {
  return recoverAddress(hashCustomDecreaseTimeout(args), toSignature(args.signature, "signature", "INVALID_ARGUMENT"));
}
