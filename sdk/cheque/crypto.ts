/**
 * The fast path for cheque digests, signing and signer recovery.
 *
 * - The EIP-712 digest is encoded by hand (the struct is fixed) and hashed with @noble/hashes' keccak, with the
 *   domain separator cached per chain id: no typed-data machinery per cheque.
 * - Signing and recovery use the native libsecp256k1 binding of the npm `secp256k1` package (an optional
 *   dependency shipping prebuilt binaries) when it loads, and @noble/curves otherwise. Both are deterministic
 *   (RFC 6979) and low-s, so they produce the same bytes; tests hold them to it.
 *
 * Set SWAP_CHEQUEBOOK_NATIVE=0 to force the pure-JS path.
 */
import { createRequire } from "node:module";

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

interface NativeSecp256k1 {
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed?: boolean): Uint8Array;
}

function loadNative(): NativeSecp256k1 | undefined {
  if (process.env.SWAP_CHEQUEBOOK_NATIVE === "0") return undefined;
  try {
    return createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

const native = loadNative();
let useNative = native !== undefined;

/** Which implementation signs and recovers: "native" (libsecp256k1) or "js" (@noble/curves). */
export function cryptoBackend(): "native" | "js" {
  return useNative ? "native" : "js";
}

/** Whether the native binding loaded. */
export function nativeAvailable(): boolean {
  return native !== undefined;
}

/**
 * Chooses the implementation (tests and benchmarks compare both). Choosing "native" when it did not load throws.
 */
export function setCryptoBackend(backend: "native" | "js"): void {
  if (backend === "native" && native === undefined) throw new Error("the native secp256k1 binding is not available");
  useNative = backend === "native";
}

const encoder = new TextEncoder();
const keccak = (data: Uint8Array) => keccak_256(data);

const CHEQUE_TYPEHASH = keccak(encoder.encode("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)"));
const DOMAIN_TYPEHASH = keccak(encoder.encode("EIP712Domain(string name,string version,uint256 chainId)"));
const NAME_HASH = keccak(encoder.encode("Chequebook"));
const VERSION_HASH = keccak(encoder.encode("1.0"));

function writeUint256(target: Uint8Array, offset: number, value: bigint): void {
  for (let i = 31; i >= 0; i--) {
    target[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function writeAddress(target: Uint8Array, offset: number, address: string): void {
  // offset is the start of the 32-byte word; the address fills its last 20 bytes
  target.set(Buffer.from(address.slice(2), "hex"), offset + 12);
}

const domains = new Map<bigint, Uint8Array>();

/** The chequebook EIP-712 domain separator for `chainId`, computed once per chain. */
export function domainSeparatorBytes(chainId: bigint): Uint8Array {
  let d = domains.get(chainId);
  if (d === undefined) {
    const buf = new Uint8Array(128);
    buf.set(DOMAIN_TYPEHASH, 0);
    buf.set(NAME_HASH, 32);
    buf.set(VERSION_HASH, 64);
    writeUint256(buf, 96, chainId);
    d = keccak(buf);
    domains.set(chainId, d);
  }
  return d;
}

/** The EIP-712 digest of a cheque, as bytes. Addresses must be 0x-hex (any case); the amount a uint256. */
export function chequeDigestBytes(chequebook: string, beneficiary: string, cumulativePayout: bigint, chainId: bigint): Uint8Array {
  const struct = new Uint8Array(128);
  struct.set(CHEQUE_TYPEHASH, 0);
  writeAddress(struct, 32, chequebook);
  writeAddress(struct, 64, beneficiary);
  writeUint256(struct, 96, cumulativePayout);
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(domainSeparatorBytes(chainId), 2);
  message.set(keccak(struct), 34);
  return keccak(message);
}

/** Signs a 32-byte digest: 65 bytes r ‖ s ‖ v with v in {27, 28}, low s, deterministic. */
export function signDigest(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(65);
  if (useNative) {
    const { signature, recid } = native!.ecdsaSign(digest, privateKey);
    out.set(signature, 0);
    out[64] = 27 + recid;
    return out;
  }
  // noble's "recovered" format is recovery byte first, then r and s
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: "recovered" });
  out.set(recovered.subarray(1, 65), 0);
  out[64] = 27 + recovered[0]!;
  return out;
}

/**
 * The lowercase 0x address that signed `digest`, or undefined if the signature does not recover. Expects 65 bytes
 * with v in {27, 28} (check the form first: this does not reject high s).
 */
export function recoverAddressLower(digest: Uint8Array, signature: Uint8Array): string | undefined {
  const v = signature[64]!;
  if (signature.length !== 65 || (v !== 27 && v !== 28)) return undefined;
  let publicKey: Uint8Array;
  try {
    if (useNative) {
      publicKey = native!.ecdsaRecover(signature.subarray(0, 64), v - 27, digest, false);
    } else {
      const recovered = new Uint8Array(65);
      recovered[0] = v - 27;
      recovered.set(signature.subarray(0, 64), 1);
      publicKey = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
      if (publicKey.length === 33) publicKey = secp256k1.Point.fromBytes(publicKey).toBytes(false);
    }
  } catch {
    return undefined;
  }
  const hash = keccak(publicKey.subarray(1));
  return "0x" + Buffer.from(hash.buffer, hash.byteOffset + 12, 20).toString("hex");
}

/** Hex (0x…) to bytes. */
export function hexToBytes(hex: string): Uint8Array {
  return Buffer.from(hex.slice(2), "hex");
}

/** Bytes to lowercase 0x-hex. */
export function bytesToHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
