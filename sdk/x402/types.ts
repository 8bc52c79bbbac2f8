/**
 * The `cheque` scheme for x402 v2: its name, the payload it carries and the figures it reports. A payload carries
 * our EIP-712 cheque unchanged (Swarm-compatible), amounts as decimal strings.
 */
import type { ChequeJson } from "../cheque/wire.js";

/** The x402 scheme name. */
export const CHEQUE_SCHEME = "cheque";

/** The x402 protocol version this scheme speaks. */
export const X402_VERSION = 2;

/** `eip155:<chainId>`, the CAIP-2 network id of a chain. */
export function eip155Network(chainId: bigint | number): `eip155:${string}` {
  return `eip155:${BigInt(chainId).toString()}`;
}

/** The scheme's `payload` in a PAYMENT-SIGNATURE header. */
export interface ChequePayload {
  /** The signed cheque, cumulative for (chequebook, payee); our JSON form with a decimal-string amount. */
  cheque: ChequeJson;
  /** The chain id the client signed for, as a decimal string. */
  chainId: string;
}

/** The `extra` of a `cheque` requirement (the 402 announcement). */
export interface ChequeRequirementsExtra {
  /** Factories whose chequebooks the server accepts. */
  trustedFactories: string[];
}

/** What a PAYMENT-RESPONSE of the `cheque` scheme reports in `extra` (decimal strings). */
export interface ChequeSettlementExtra {
  /** The chequebook that paid. */
  chequebook: string;
  /** The highest cheque the server holds from it (cumulative). */
  cumulative: string;
  /** The total charged for requests served (cumulative, this request included). */
  charged: string;
  /** Paid and not yet charged: prepaid credit the next requests consume first. */
  credit: string;
  /** What the held cheque adds to what the chequebook had paid out to the server at the last chain read. */
  uncashed: string;
}

/**
 * Sent in a 402's `cheque` requirement as `extra.resync` when the client's cheque is at or below what the server
 * holds (error `STALE_CHEQUE` or `UNDERPAID`): the last cheque the server accepted from the client's chequebook, as
 * the client signed it, and what the server charged. The client checks its own signature and continues from it.
 */
export interface ChequeResync {
  lastAccepted: ChequeJson;
  /** Decimal string. */
  charged: string;
}

/** The 402 errors after which a `cheque` requirement may carry {@link ChequeResync}. */
export const RESYNC_ERRORS: readonly string[] = ["STALE_CHEQUE", "UNDERPAID"];
