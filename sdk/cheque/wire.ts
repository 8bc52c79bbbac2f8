/**
 * Wire forms of a signed cheque:
 * - Bee's JSON, `{"Chequebook":"0x<lower>","Beneficiary":"0x<lower>","CumulativePayout":<bare number>,
 *   "Signature":"<base64 of 65 bytes>"}`, with amounts beyond 2^53 kept exact (plain JSON.parse loses them);
 * - our JSON, with the amount as a decimal string and the signature as hex;
 * - our binary form: version byte 0x01, chequebook (20), beneficiary (20), cumulative payout (32, big-endian),
 *   signature (65): 138 bytes.
 * Decoders never throw anything but a {@link ChequeError} with code MALFORMED_WIRE, and bound their work by our
 * limits rather than by the input: a text longer than {@link CHEQUE_TEXT_MAX_LENGTH}, a field longer than
 * {@link CHEQUE_FIELD_MAX_LENGTH} allows, or bytes of the wrong length are refused before anything is parsed,
 * decoded or converted.
 */
import { decodeBase64, encodeBase64, getBytes, hexlify, toBeHex } from "ethers";

import { CHEQUE_FIELD_MAX_LENGTH, validateCheque, type SignedCheque } from "./cheque.js";
import { ChequeError, isChequeError } from "../errors.js";

/** The length of {@link encodeCheque}'s output. */
export const CHEQUE_BINARY_LENGTH = 138;
const BINARY_VERSION = 1;

/**
 * The longest cheque text (Bee's JSON or ours) the decoders read. A cheque is about 330 characters; the rest is room
 * for whitespace and key order.
 */
export const CHEQUE_TEXT_MAX_LENGTH = 2048;

/** Bee's base64 of a 65-byte signature: 88 characters with padding (87 without). */
const BEE_SIGNATURE_MAX_LENGTH = 88;

function malformed(message: string, cause?: unknown, details?: Record<string, unknown>): ChequeError {
  return new ChequeError("MALFORMED_WIRE", message, { ...(cause === undefined ? {} : { cause }), ...(details === undefined ? {} : { details }) });
}

function tooLong(what: string, length: number, limit: number, field?: string): ChequeError {
  return malformed(`${what} is too long: ${length} characters, at most ${limit}`, undefined, { ...(field === undefined ? {} : { field }), length, limit });
}

/** Re-labels a validation failure of decoded fields as a wire error (keeping its details). */
function checked(fields: unknown, format: string): SignedCheque {
  try {
    return validateCheque(fields);
  } catch (e) {
    if (isChequeError(e)) throw malformed(`${format}: ${e.message}`, e, e.details);
    throw malformed(`${format}: ${e instanceof Error ? e.message : "invalid"}`, e);
  }
}

/** Parses bounded JSON text. */
function parseText(text: unknown, format: string, reviver?: (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown): unknown {
  if (typeof text !== "string") throw malformed(`${format}: expected JSON text`);
  if (text.length > CHEQUE_TEXT_MAX_LENGTH) throw tooLong(format, text.length, CHEQUE_TEXT_MAX_LENGTH);
  try {
    return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
  } catch (cause) {
    throw malformed(`${format}: not valid JSON`, cause);
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
 * Decodes Bee's JSON text (at most {@link CHEQUE_TEXT_MAX_LENGTH} characters), keeping the cumulative payout exact.
 *
 * @throws ChequeError MALFORMED_WIRE on anything but a well-formed Bee cheque; on a text or field too long, before
 * parsing or converting it (`details.length`, `details.limit`).
 */
export function decodeBeeCheque(text: string): SignedCheque {
  // The reviver's third argument carries each number's source text (ES2025 JSON.parse source text access).
  const parsed = parseText(text, "Bee cheque", function (_key, value, context) {
    return typeof value === "number" && context?.source !== undefined ? { $number: context.source } : value;
  });
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw malformed("Bee cheque: expected a JSON object");
  const o = parsed as Record<string, unknown>;
  const amount = o.CumulativePayout as { $number?: string } | undefined;
  if (typeof amount !== "object" || amount === null || typeof amount.$number !== "string") {
    throw malformed("Bee cheque: CumulativePayout must be a non-negative JSON integer");
  }
  const digits = amount.$number;
  if (digits.length > CHEQUE_FIELD_MAX_LENGTH.cumulativePayout) {
    throw tooLong("Bee cheque: CumulativePayout", digits.length, CHEQUE_FIELD_MAX_LENGTH.cumulativePayout, "CumulativePayout");
  }
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) throw malformed("Bee cheque: CumulativePayout must be a non-negative JSON integer");
  if (typeof o.Signature !== "string") throw malformed("Bee cheque: Signature must be standard base64");
  if (o.Signature.length > BEE_SIGNATURE_MAX_LENGTH) throw tooLong("Bee cheque: Signature", o.Signature.length, BEE_SIGNATURE_MAX_LENGTH, "Signature");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(o.Signature)) throw malformed("Bee cheque: Signature must be standard base64");
  let signature: string;
  try {
    signature = hexlify(decodeBase64(o.Signature));
  } catch (cause) {
    throw malformed("Bee cheque: Signature is not base64", cause);
  }
  return checked({ chequebook: o.Chequebook, beneficiary: o.Beneficiary, cumulativePayout: BigInt(digits), signature }, "Bee cheque");
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
 * A signed cheque from our JSON form (an object, or its text of at most {@link CHEQUE_TEXT_MAX_LENGTH} characters).
 *
 * @throws ChequeError MALFORMED_WIRE if malformed or too long (`details.limit`).
 */
export function chequeFromJson(value: ChequeJson | string): SignedCheque {
  const o = typeof value === "string" ? parseText(value, "cheque JSON") : value;
  if (typeof o !== "object" || o === null) throw malformed("cheque JSON: expected an object");
  let amount: unknown;
  try {
    amount = (o as Record<string, unknown>).cumulativePayout;
  } catch (cause) {
    throw malformed("cheque JSON: its fields could not be read", cause);
  }
  if (typeof amount !== "string") throw malformed("cheque JSON: cumulativePayout must be a decimal string");
  return checked(o, "cheque JSON");
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
  if (bytes.length !== CHEQUE_BINARY_LENGTH) {
    throw malformed(`binary cheque: expected ${CHEQUE_BINARY_LENGTH} bytes, got ${bytes.length}`, undefined, { length: bytes.length, limit: CHEQUE_BINARY_LENGTH });
  }
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
