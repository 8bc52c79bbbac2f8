/**
 * Wire forms of a signed cheque:
 * - Bee's JSON, `{"Chequebook":"0x<lower>","Beneficiary":"0x<lower>","CumulativePayout":<bare number>,
 *   "Signature":"<base64 of 65 bytes>"}`, with amounts beyond 2^53 kept exact (plain JSON.parse loses them);
 * - our JSON, with the amount as a decimal string and the signature as hex;
 * - our binary form: version byte 0x01, chequebook (20), beneficiary (20), cumulative payout (32, big-endian),
 *   signature (65): 138 bytes.
 * Decoders never throw anything but a {@link ChequeError} with code MALFORMED_WIRE.
 */
import { decodeBase64, encodeBase64, getBytes, hexlify, toBeHex } from "ethers";

import { validateCheque, type SignedCheque } from "./cheque.js";
import { ChequeError, isChequeError } from "../errors.js";

/** The length of {@link encodeCheque}'s output. */
export const CHEQUE_BINARY_LENGTH = 138;
const BINARY_VERSION = 1;

function malformed(message: string, cause?: unknown): ChequeError {
  return new ChequeError("MALFORMED_WIRE", message, cause === undefined ? {} : { cause });
}

/** Re-labels a validation failure of decoded fields as a wire error. */
function checked(fields: Record<string, unknown>, format: string): SignedCheque {
  try {
    return validateCheque(fields);
  } catch (e) {
    if (isChequeError(e)) throw malformed(`${format}: ${e.message}`, e);
    throw e;
  }
}

/**
 * Bee's JSON text for a signed cheque.
 *
 * @example encodeBeeCheque(cheque) // '{"Chequebook":"0xab…","Beneficiary":"0xcd…","CumulativePayout":500,"Signature":"…"}'
 */
export function encodeBeeCheque(cheque: SignedCheque): string {
  const c = validateCheque(cheque);
  return (
    `{"Chequebook":${JSON.stringify(c.chequebook.toLowerCase())},` +
    `"Beneficiary":${JSON.stringify(c.beneficiary.toLowerCase())},` +
    `"CumulativePayout":${c.cumulativePayout.toString()},` +
    `"Signature":${JSON.stringify(encodeBase64(c.signature))}}`
  );
}

/**
 * Decodes Bee's JSON text, keeping the cumulative payout exact.
 *
 * @throws ChequeError MALFORMED_WIRE on anything but a well-formed Bee cheque.
 */
export function decodeBeeCheque(text: string): SignedCheque {
  if (typeof text !== "string") throw malformed("Bee cheque: expected JSON text");
  let parsed: unknown;
  try {
    // The reviver's third argument carries each number's source text (ES2025 JSON.parse source text access).
    parsed = JSON.parse(text, function (_key, value, context?: { source?: string }) {
      return typeof value === "number" && context?.source !== undefined ? { $number: context.source } : value;
    });
  } catch (cause) {
    throw malformed("Bee cheque: not valid JSON", cause);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw malformed("Bee cheque: expected a JSON object");
  const o = parsed as Record<string, unknown>;
  const amount = o.CumulativePayout as { $number?: string } | undefined;
  if (typeof amount !== "object" || amount === null || typeof amount.$number !== "string" || !/^(0|[1-9][0-9]*)$/.test(amount.$number)) {
    throw malformed("Bee cheque: CumulativePayout must be a non-negative JSON integer");
  }
  if (typeof o.Signature !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.Signature)) {
    throw malformed("Bee cheque: Signature must be standard base64");
  }
  let signature: string;
  try {
    signature = hexlify(decodeBase64(o.Signature));
  } catch (cause) {
    throw malformed("Bee cheque: Signature is not base64", cause);
  }
  return checked(
    { chequebook: o.Chequebook, beneficiary: o.Beneficiary, cumulativePayout: BigInt(amount.$number), signature },
    "Bee cheque",
  );
}

/** Our JSON form: amount as a decimal string. */
export interface ChequeJson {
  chequebook: string;
  beneficiary: string;
  cumulativePayout: string;
  signature: string;
}

/** A signed cheque as plain JSON-safe data. */
export function chequeToJson(cheque: SignedCheque): ChequeJson {
  const c = validateCheque(cheque);
  return { chequebook: c.chequebook, beneficiary: c.beneficiary, cumulativePayout: c.cumulativePayout.toString(), signature: c.signature };
}

/**
 * A signed cheque from our JSON form (an object, or its text).
 *
 * @throws ChequeError MALFORMED_WIRE if malformed.
 */
export function chequeFromJson(value: ChequeJson | string): SignedCheque {
  let o: unknown = value;
  if (typeof value === "string") {
    try {
      o = JSON.parse(value);
    } catch (cause) {
      throw malformed("cheque JSON: not valid JSON", cause);
    }
  }
  if (typeof o !== "object" || o === null) throw malformed("cheque JSON: expected an object");
  const r = o as Record<string, unknown>;
  if (typeof r.cumulativePayout !== "string") throw malformed("cheque JSON: cumulativePayout must be a decimal string");
  return checked(r, "cheque JSON");
}

/** Our 138-byte binary form of a signed cheque. */
export function encodeCheque(cheque: SignedCheque): Uint8Array {
  const c = validateCheque(cheque);
  const out = new Uint8Array(CHEQUE_BINARY_LENGTH);
  out[0] = BINARY_VERSION;
  out.set(getBytes(c.chequebook), 1);
  out.set(getBytes(c.beneficiary), 21);
  out.set(getBytes(toBeHex(c.cumulativePayout, 32)), 41);
  out.set(getBytes(c.signature), 73);
  return out;
}

/**
 * Decodes our binary form.
 *
 * @throws ChequeError MALFORMED_WIRE on a wrong length, version or field.
 */
export function decodeCheque(bytes: Uint8Array): SignedCheque {
  if (!(bytes instanceof Uint8Array)) throw malformed("binary cheque: expected bytes");
  if (bytes.length !== CHEQUE_BINARY_LENGTH) throw malformed(`binary cheque: expected ${CHEQUE_BINARY_LENGTH} bytes, got ${bytes.length}`);
  if (bytes[0] !== BINARY_VERSION) throw malformed(`binary cheque: unknown version ${bytes[0]}`);
  return checked(
    {
      chequebook: hexlify(bytes.subarray(1, 21)),
      beneficiary: hexlify(bytes.subarray(21, 41)),
      cumulativePayout: BigInt(hexlify(bytes.subarray(41, 73))),
      signature: hexlify(bytes.subarray(73, 138)),
    },
    "binary cheque",
  );
}
