/**
 * Boundary checks for values that come from callers or peers, before anything is signed or sent.
 */
import { getAddress, isHexString } from "ethers";

import { ChequeError, type ChequeErrorCode } from "./errors.js";

/** 2^256 - 1. */
export const MAX_UINT256 = (1n << 256n) - 1n;
/** The secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N >> 1n;

/** Checksummed forms of recently seen addresses: cheques repeat the same few, and each checksum is a keccak. */
const checksums = new Map<string, string>();
const CHECKSUM_CACHE_SIZE = 10_000;

/** The EIP-55 checksummed form of a 0x-address (throws on a wrong checksum), cached. */
export function checksummed(value: string): string {
  let out = checksums.get(value);
  if (out === undefined) {
    out = getAddress(value);
    if (checksums.size >= CHECKSUM_CACHE_SIZE) checksums.delete(checksums.keys().next().value!);
    checksums.set(value, out);
  }
  return out;
}

/**
 * A checksummed address, or a {@link ChequeError} with `code`.
 *
 * @throws ChequeError `code` (INVALID_ARGUMENT by default) if `value` is not a 20-byte hex address.
 */
export function toAddress(value: unknown, field: string, code: ChequeErrorCode = "INVALID_ARGUMENT"): string {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new ChequeError(code, `${field} must be a 0x-prefixed 20-byte hex address`, { details: { field, value } });
  }
  try {
    return checksummed(value);
  } catch (cause) {
    // A mixed-case address with a wrong checksum is a typo, not an address.
    throw new ChequeError(code, `${field} has an invalid checksum`, { details: { field, value }, cause });
  }
}

/**
 * A uint256 as a bigint, or a {@link ChequeError}.
 *
 * @param options.positive - also refuse zero.
 * @throws ChequeError `code` (INVALID_ARGUMENT by default) if out of range or not an integer.
 */
export function toUint256(
  value: unknown,
  field: string,
  options: { positive?: boolean; code?: ChequeErrorCode } = {},
): bigint {
  const code = options.code ?? "INVALID_ARGUMENT";
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value)) n = BigInt(value);
  else throw new ChequeError(code, `${field} must be an unsigned integer (bigint or decimal string)`, { details: { field, value: String(value) } });
  if (n < 0n || n > MAX_UINT256) {
    throw new ChequeError(code, `${field} must be between 0 and 2^256 - 1`, { details: { field, value: n.toString() } });
  }
  if (options.positive && n === 0n) throw new ChequeError(code, `${field} must be positive`, { details: { field } });
  return n;
}

/**
 * A 65-byte signature as lowercase 0x-hex, checked for the form chequebooks accept: low s, v in {27, 28}.
 *
 * @throws ChequeError `code` (MALFORMED_CHEQUE by default) otherwise.
 */
export function toSignature(value: unknown, field = "signature", code: ChequeErrorCode = "MALFORMED_CHEQUE"): string {
  if (typeof value !== "string" || !isHexString(value, 65)) {
    throw new ChequeError(code, `${field} must be 65 bytes of 0x-hex (r, s, v)`, { details: { field } });
  }
  const hex = value.toLowerCase();
  const s = BigInt("0x" + hex.slice(66, 130));
  const v = parseInt(hex.slice(130, 132), 16);
  if (v !== 27 && v !== 28) throw new ChequeError(code, `${field} must have v = 27 or 28`, { details: { field, v } });
  if (s === 0n || s > HALF_N) throw new ChequeError(code, `${field} must have a low s value`, { details: { field } });
  return hex;
}
