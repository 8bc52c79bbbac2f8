/**
 * One error class for everything the SDK refuses or fails at, with a stable string `code` that callers switch
 * on, a short message that says what to do, structured `details`, and the underlying `cause`.
 */

/** Every code a {@link ChequeError} can carry. Stable: new codes may be added, existing ones never change. */
export const ChequeErrorCode = {
  /** An argument is malformed: not an address, a negative or too large amount, and the like. */
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  /** A cheque's fields are malformed (address, 65-byte signature, uint256 range). */
  MALFORMED_CHEQUE: "MALFORMED_CHEQUE",
  /** Wire bytes or text could not be decoded into a cheque. */
  MALFORMED_WIRE: "MALFORMED_WIRE",
  /** The cheque is for another beneficiary. */
  WRONG_BENEFICIARY: "WRONG_BENEFICIARY",
  /** The cheque or the provider is for another chain than expected. */
  WRONG_CHAIN: "WRONG_CHAIN",
  /** The signature is not the chequebook issuer's (or not the expected signer's). */
  INVALID_SIGNATURE: "INVALID_SIGNATURE",
  /** The chequebook has no code or was not deployed by a trusted factory. */
  UNKNOWN_CHEQUEBOOK: "UNKNOWN_CHEQUEBOOK",
  /** The chequebook pays in a token we do not accept. */
  WRONG_TOKEN: "WRONG_TOKEN",
  /** The cheque is not above the last one held from that chequebook (replayed or lower). */
  STALE_CHEQUE: "STALE_CHEQUE",
  /**
   * The chequebook cannot currently cover the cheque (solvency policy "reject" or "hard-deposit"); under
   * "hard-deposit", `details.reason` says why cover was not counted ("timeout-too-short", "decrease-pending").
   */
  INSUFFICIENT_COVER: "INSUFFICIENT_COVER",
  /**
   * The cheque adds less than the smallest increment accepted (the verifier's `limits.minIncrement`, the SWAP
   * engine's `minChequeIncrement`); checked before any RPC call.
   */
  INCREMENT_TOO_SMALL: "INCREMENT_TOO_SMALL",
  /** The issuer's signature holds only through ERC-1271, which the issuer can revoke; the policy refuses such cheques. */
  REVOCABLE_ISSUER: "REVOCABLE_ISSUER",
  /** Our own chequebook cannot pay what is asked (issue, withdraw). */
  INSUFFICIENT_FUNDS: "INSUFFICIENT_FUNDS",
  /** No cheque is held for that chequebook, or it is fully cashed. */
  NOTHING_TO_CASH: "NOTHING_TO_CASH",
  /** The estimated gas cost of a cash-out exceeds the configured share of its payout. */
  UNPROFITABLE_CASHOUT: "UNPROFITABLE_CASHOUT",
  /** The JSON-RPC endpoint cannot be reached or keeps failing. */
  RPC_UNAVAILABLE: "RPC_UNAVAILABLE",
  /** The JSON-RPC node accepted the request but did not answer within the deadline (see `configureRpc`). */
  RPC_TIMEOUT: "RPC_TIMEOUT",
  /** The JSON-RPC node answered with an error that is not a revert (bad request, unsupported method, ...). */
  RPC_ERROR: "RPC_ERROR",
  /** A contract call reverted; `details.errorName` and `details.args` hold the decoded custom error. */
  CONTRACT_REVERT: "CONTRACT_REVERT",
  /** The transaction ran out of gas. */
  OUT_OF_GAS: "OUT_OF_GAS",
  /** The sending account has too little native currency to pay for gas. */
  NO_GAS_FUNDS: "NO_GAS_FUNDS",
  /** A sent transaction disappeared from the node without being mined or replaced. */
  TX_DROPPED: "TX_DROPPED",
  /** Waiting for a transaction or confirmations took longer than allowed. */
  TIMEOUT: "TIMEOUT",
  /** The durable store failed to read or write. */
  STORE_FAILURE: "STORE_FAILURE",
  /** The database file is open in another process (or already by this kind of store in this process); `details.path`. */
  STORE_LOCKED: "STORE_LOCKED",
  /** Another connection held the database's lock for longer than the store's `busyTimeoutMs`; `details.path`. */
  STORE_BUSY: "STORE_BUSY",
  /**
   * A shared database (PostgreSQL) changed under a write: another process wrote the same record since this one read
   * it (`details.key`). Nothing was written; reload and try again.
   */
  STORE_CONFLICT: "STORE_CONFLICT",
  /**
   * The database was migrated by a newer version of the SDK (`details.found`, `details.supported`): this code
   * cannot read it safely, so it refuses to open it. Upgrade the SDK.
   */
  STORE_SCHEMA_NEWER: "STORE_SCHEMA_NEWER",
  /** SWAP: the peer's terms are unacceptable (threshold below our minimum, another chain, token or phase). */
  PEER_REFUSED: "PEER_REFUSED",
  /** SWAP: serving the peer would take its debt past our disconnect threshold; it was disconnected. */
  OUT_OF_BOUNDS: "OUT_OF_BOUNDS",
  /** SWAP: consuming would take our debt past the peer's payment threshold before our payment was accepted. */
  OVERDRAFT: "OVERDRAFT",
  /** SWAP: the peer was disconnected for debt or repeated abuse and may not reconnect before its cool-down ends. */
  PEER_COOLING_DOWN: "PEER_COOLING_DOWN",
  /** SWAP: the peer is not connected, or has not sent its handshake yet. */
  NOT_CONNECTED: "NOT_CONNECTED",
  /** Transport: a frame is longer than the configured maximum (`details.length`, `details.max`); refused before it is read. */
  FRAME_TOO_LARGE: "FRAME_TOO_LARGE",
  /**
   * Transport: a message could not be delivered to the peer in time (`details.reason`: "backlog" when too many
   * frames wait for it, "timeout", "closed"); it was dropped, not retried.
   */
  UNDELIVERABLE: "UNDELIVERABLE",
  /**
   * Batch cash-out: the account cannot run batches (it is not delegated to the cash-out delegate with EIP-7702,
   * or the signer cannot sign an authorisation); use one transaction per cheque instead.
   */
  BATCH_UNSUPPORTED: "BATCH_UNSUPPORTED",
} as const;

/** A {@link ChequeError} code. */
export type ChequeErrorCode = (typeof ChequeErrorCode)[keyof typeof ChequeErrorCode];

/** Options of a {@link ChequeError}. */
export interface ChequeErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The SDK's error: `code` is stable, `message` is short and says what to do, `details` has the values.
 *
 * @example
 * try { await receiver.receive(cheque) } catch (e) { if (isChequeError(e, "STALE_CHEQUE")) ... }
 */
export class ChequeError extends Error {
  override readonly name = "ChequeError";
  readonly code: ChequeErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ChequeErrorCode, message: string, options: ChequeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/**
 * Whether `value` is a {@link ChequeError}, optionally with one of the given codes.
 *
 * @param value - anything caught.
 * @param codes - if given, the error's code must be one of them.
 */
export function isChequeError(value: unknown, ...codes: ChequeErrorCode[]): value is ChequeError {
  return value instanceof ChequeError && (codes.length === 0 || codes.includes(value.code));
}
