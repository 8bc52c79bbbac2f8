/**
 * Encoding and decoding of SWAP messages (`swap.proto`, compiled by protobufjs into `swap.pb.js`) into plain
 * typed values: amounts as bigints, addresses checksummed, signed cheques validated. Anything that is not a
 * well-formed message is a {@link ChequeError} with code MALFORMED_WIRE, never a crash.
 */
import { getAddress } from "ethers";

import { validateCheque, type SignedCheque } from "../cheque/cheque.js";
import { ChequeError, isChequeError } from "../errors.js";
import { swap } from "./swap.pb.js";

/** The phase a node runs in. */
export type SwapPhase = "soft" | "mock" | "hard";

const PHASES: SwapPhase[] = ["soft", "mock", "hard"];

/** A handshake: our terms, and in the hard phase how to pay us. */
export interface SwapHandshake {
  type: "handshake";
  /** Accounting units past which the sender expects to be paid. */
  paymentThreshold: bigint;
  phase: SwapPhase;
  beneficiary?: string;
  chequebook?: string;
  chainId?: bigint;
  token?: string;
}

/** A payment: a mock promise (amount only) or, in the hard phase, a signed cheque. */
export interface SwapCheque {
  type: "cheque";
  beneficiary?: string;
  /** Unix seconds. */
  date: number;
  /** Accounting units this cheque pays. */
  amount: number;
  /** The signed EIP-712 cheque (hard phase). */
  signed?: SignedCheque;
  chainId?: bigint;
}

/** The answer to a cheque. */
export interface SwapAck {
  type: "ack";
  accepted: boolean;
  /** Accounting units credited. */
  amount: number;
  cumulativePayout?: bigint;
  /** The ChequeError code of a refusal. */
  reason?: string;
  /** Mock phase: the date of the cheque answered. */
  date?: number;
}

export type SwapMessage = SwapHandshake | SwapCheque | SwapAck;

const MAX_UINT32 = 0xffffffff;

function malformed(message: string, cause?: unknown): ChequeError {
  return new ChequeError("MALFORMED_WIRE", `SWAP message: ${message}`, cause === undefined ? {} : { cause });
}

/** Hex digits (no 0x, even length) to bytes. */
const hexBytes = (hex: string): Uint8Array => Buffer.from(hex, "hex");

/** Bytes to lowercase 0x-hex. */
const bytesHex = (bytes: Uint8Array): string => "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** A non-negative integer as minimal big-endian bytes (none for 0). */
function uintBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array();
  const hex = value.toString(16);
  return hexBytes(hex.length % 2 === 0 ? hex : "0" + hex);
}

/**
 * `getAddress(text)`, remembered: a peer's messages name the same few addresses again and again, and each checksum
 * is a keccak hash. Only valid addresses are remembered (an invalid one throws, as before); the memory is dropped
 * whole when it is full, so a peer naming many addresses costs no more than before.
 */
const checksums = new Map<string, string>();
const MAX_CHECKSUMS = 1024;

function checksummed(text: string): string {
  let out = checksums.get(text);
  if (out === undefined) {
    out = getAddress(text);
    if (checksums.size >= MAX_CHECKSUMS) checksums.clear();
    checksums.set(text, out);
  }
  return out;
}

function addressBytes(address: string | undefined): Uint8Array {
  // checksummed() refuses anything but an address (and a wrong checksum): the hex digits are then 40.
  return address === undefined ? new Uint8Array() : hexBytes(checksummed(address).slice(2));
}

function readAddress(bytes: Uint8Array | null | undefined, field: string): string | undefined {
  if (bytes === null || bytes === undefined || bytes.length === 0) return undefined;
  if (bytes.length !== 20) throw malformed(`${field} must be 20 bytes, not ${bytes.length}`);
  return checksummed(bytesHex(bytes));
}

function readUint(bytes: Uint8Array | null | undefined, field: string, maxBytes = 32): bigint {
  if (bytes === null || bytes === undefined || bytes.length === 0) return 0n;
  if (bytes.length > maxBytes) throw malformed(`${field} is longer than ${maxBytes} bytes`);
  return BigInt(bytesHex(bytes));
}

function readUint64(value: number | { toString(): string } | null | undefined): bigint | undefined {
  if (value === null || value === undefined) return undefined;
  const n = BigInt(value.toString());
  return n === 0n ? undefined : n;
}

function uint32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) throw new ChequeError("INVALID_ARGUMENT", `${field} must fit in 32 bits`);
  return value;
}

/**
 * Encodes a SWAP message in its envelope.
 *
 * @throws ChequeError INVALID_ARGUMENT if a field is out of range.
 * @example send(peer, encodeSwapMessage({ type: "handshake", paymentThreshold: 100n, phase: "mock" }))
 */
export function encodeSwapMessage(message: SwapMessage): Uint8Array {
  let envelope: swap.SwapMessage.$Properties;
  switch (message.type) {
    case "handshake":
      envelope = {
        handshake: {
          paymentThreshold: uintBytes(message.paymentThreshold),
          phase: PHASES.indexOf(message.phase),
          beneficiary: addressBytes(message.beneficiary),
          chequebook: addressBytes(message.chequebook),
          chainId: Number(message.chainId ?? 0n),
          token: addressBytes(message.token),
        },
      };
      break;
    case "cheque": {
      const signed = message.signed === undefined ? undefined : validateCheque(message.signed);
      envelope = {
        cheque: {
          beneficiary: addressBytes(signed?.beneficiary ?? message.beneficiary),
          date: uint32(message.date, "date"),
          amount: uint32(message.amount, "amount"),
          chequebook: addressBytes(signed?.chequebook),
          cumulativePayout: signed === undefined ? new Uint8Array() : uintBytes(signed.cumulativePayout),
          // validateCheque gave 65 bytes of lowercase 0x-hex.
          signature: signed === undefined ? new Uint8Array() : hexBytes(signed.signature.slice(2)),
          chainId: Number(message.chainId ?? 0n),
        },
      };
      break;
    }
    case "ack":
      envelope = {
        ack: {
          accepted: message.accepted,
          amount: uint32(message.amount, "amount"),
          cumulativePayout: uintBytes(message.cumulativePayout ?? 0n),
          reason: message.reason ?? "",
          date: uint32(message.date ?? 0, "date"),
        },
      };
      break;
  }
  return swap.SwapMessage.encode(envelope).finish();
}

/**
 * Decodes a SWAP message from its envelope.
 *
 * @throws ChequeError MALFORMED_WIRE on anything but a well-formed message.
 */
export function decodeSwapMessage(bytes: Uint8Array): SwapMessage {
  if (!(bytes instanceof Uint8Array)) throw malformed("expected bytes");
  let envelope: swap.SwapMessage;
  try {
    envelope = swap.SwapMessage.decode(bytes);
  } catch (cause) {
    throw malformed("not a protobuf SwapMessage", cause);
  }
  try {
    switch (envelope.payload) {
      case "handshake": {
        const h = envelope.handshake!;
        const phase = PHASES[h.phase ?? 0];
        if (phase === undefined) throw malformed(`unknown phase ${h.phase}`);
        const out: SwapHandshake = { type: "handshake", paymentThreshold: readUint(h.paymentThreshold, "payment_threshold"), phase };
        const beneficiary = readAddress(h.beneficiary, "beneficiary");
        const chequebook = readAddress(h.chequebook, "chequebook");
        const token = readAddress(h.token, "token");
        const chainId = readUint64(h.chainId);
        if (beneficiary !== undefined) out.beneficiary = beneficiary;
        if (chequebook !== undefined) out.chequebook = chequebook;
        if (token !== undefined) out.token = token;
        if (chainId !== undefined) out.chainId = chainId;
        return out;
      }
      case "cheque": {
        const c = envelope.cheque!;
        const out: SwapCheque = { type: "cheque", date: c.date ?? 0, amount: c.amount ?? 0 };
        const beneficiary = readAddress(c.beneficiary, "beneficiary");
        if (beneficiary !== undefined) out.beneficiary = beneficiary;
        const chainId = readUint64(c.chainId);
        if (chainId !== undefined) out.chainId = chainId;
        if ((c.signature?.length ?? 0) > 0 || (c.chequebook?.length ?? 0) > 0) {
          out.signed = validateCheque({
            chequebook: readAddress(c.chequebook, "chequebook"),
            beneficiary,
            cumulativePayout: readUint(c.cumulativePayout, "cumulative_payout"),
            signature: bytesHex(c.signature ?? new Uint8Array()),
          });
        }
        return out;
      }
      case "ack": {
        const a = envelope.ack!;
        const out: SwapAck = { type: "ack", accepted: a.accepted ?? false, amount: a.amount ?? 0 };
        if ((a.cumulativePayout?.length ?? 0) > 0) out.cumulativePayout = readUint(a.cumulativePayout, "cumulative_payout");
        if (a.reason) out.reason = a.reason;
        if (a.date) out.date = a.date;
        return out;
      }
      default:
        throw malformed("the envelope holds no message");
    }
  } catch (error) {
    if (isChequeError(error, "MALFORMED_WIRE")) throw error;
    throw malformed(isChequeError(error) ? error.message : "a field is malformed", error);
  }
}
