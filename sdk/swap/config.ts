/**
 * The terms and limits of SWAP accounting, their defaults and their checks, and what the host plugs in: hooks, and
 * for the hard phase the issuer, receiver and verifier (any object with the methods the engine calls).
 */
import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeError } from "../errors.js";
import type { ChequeStore, IssuedCheque } from "../store/types.js";
import type { SwapPhase } from "./wire.js";

/** Terms and policy. Amounts are accounting units unless said otherwise. */
export interface SwapConfig {
  phase: SwapPhase;
  /** Announced to peers: past this, a peer is expected to pay us. Also the most a peer may prepay. Default 100. */
  paymentThreshold: bigint;
  /** Past this we stop serving a peer and disconnect it; must exceed the payment threshold. Default 150. */
  disconnectThreshold: bigint;
  /** Refuse peers announcing a lower payment threshold (they would make us pay constantly). Default 10. */
  minPeerPaymentThreshold: bigint;
  /** Pay once our debt reaches this percentage of the peer's payment threshold. Default 50. */
  earlyPaymentPercent: number;
  /** Units per message for protocols without a price of their own. Default 1. */
  defaultPrice: bigint;
  /** Units per message, per protocol. */
  prices: Record<string, bigint>;
  /** Hard phase: token base units per accounting unit. Default 1. */
  tokenPerUnit: bigint;
  /** How long a peer disconnected for debt or abuse may not reconnect (ms). Default 10 minutes. */
  cooldownMs: number;
  /** Wait this long for a payment's acknowledgement before sending it again (ms). Default 30 s. */
  paymentTimeoutMs: number;
  /** How long {@link SwapAccounting.ready} waits for a peer's handshake (ms). Default 10 s. */
  handshakeTimeoutMs: number;
  /**
   * Refused messages (cheques, handshakes, malformed bytes) after which a peer is disconnected and cools down for
   * `cooldownMs`; an accepted cheque resets the count. Default 5.
   */
  maxRefusals: number;
  /**
   * Hard phase: the smallest increment (token base units) a cheque may add; smaller ones are refused before any
   * verification (INCREMENT_TOO_SMALL). Default: one accounting unit (`tokenPerUnit`).
   */
  minChequeIncrement: bigint;
  /**
   * Drop a peer from memory when it disconnects settled (nothing owed either way, nothing in flight), with its
   * metric series; its record stays in the ledger and comes back at its next `connect`. Needs a ledger that can
   * load one peer (`LedgerStore.load`). Default true.
   */
  evictIdlePeers: boolean;
}

export const DEFAULT_SWAP_CONFIG: Omit<SwapConfig, "phase" | "minChequeIncrement"> = {
  paymentThreshold: 100n,
  disconnectThreshold: 150n,
  minPeerPaymentThreshold: 10n,
  earlyPaymentPercent: 50,
  defaultPrice: 1n,
  prices: {},
  tokenPerUnit: 1n,
  cooldownMs: 600_000,
  paymentTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  maxRefusals: 5,
  evictIdlePeers: true,
};

/** What the host implements. */
export interface SwapHooks {
  /** Delivers SWAP bytes to a peer. */
  send(peer: string, bytes: Uint8Array): Promise<void> | void;
  /** Closes the connection to a peer. */
  disconnect(peer: string, reason: string): Promise<void> | void;
  /** Unix milliseconds; `Date.now` by default. */
  now?(): number;
}

/** What the engine needs of our chequebook: {@link ChequebookIssuer} has it. */
export interface SwapIssuer {
  readonly chequebook: string;
  issueCheque(beneficiary: string, amount: bigint): Promise<{ cheque: SignedCheque }>;
  lastIssued(beneficiary: string): Promise<IssuedCheque | undefined>;
}

/** What the engine needs to take a cheque: {@link ChequeReceiver} has it. */
export interface SwapReceiver {
  receive(cheque: unknown, options?: { chainId?: bigint }): Promise<{ increment: bigint }>;
}

/** What the engine needs of the verifier: {@link ChequeVerifier} has it. */
export interface SwapVerifier {
  readonly beneficiary: string;
  readonly chainId: bigint;
  /** Throws a ChequeError (UNKNOWN_CHEQUEBOOK, WRONG_TOKEN, ...) for a chequebook we do not accept. */
  chequebookInfo(chequebook: string): Promise<unknown>;
}

/** What the hard phase pays and gets paid with. */
export interface HardPhaseOptions {
  /** Our chequebook, to pay peers. */
  issuer: SwapIssuer;
  /** Verifies and stores the cheques peers send us. */
  receiver: SwapReceiver;
  verifier: SwapVerifier;
  /** The cheque store both use. */
  store: ChequeStore;
  token: string;
}

/**
 * The full configuration from the caller's partial one.
 *
 * @throws ChequeError INVALID_ARGUMENT for inconsistent terms.
 */
export function resolveConfig(partial: Partial<SwapConfig> & { phase: SwapPhase }, hard: HardPhaseOptions | undefined): SwapConfig {
  const c: SwapConfig = { ...DEFAULT_SWAP_CONFIG, minChequeIncrement: partial.tokenPerUnit ?? DEFAULT_SWAP_CONFIG.tokenPerUnit, ...partial };
  const bad = (message: string) => new ChequeError("INVALID_ARGUMENT", message);
  if (c.disconnectThreshold <= c.paymentThreshold) throw bad("the disconnect threshold must exceed the payment threshold");
  if (c.paymentThreshold <= 0n || c.minPeerPaymentThreshold <= 0n) throw bad("thresholds must be positive");
  if (!(c.earlyPaymentPercent > 0 && c.earlyPaymentPercent <= 100)) throw bad("earlyPaymentPercent must be in (0, 100]");
  if (c.tokenPerUnit <= 0n) throw bad("tokenPerUnit must be positive");
  // A negative price would book serving a peer as if it had served us: we would owe it.
  for (const p of [c.defaultPrice, ...Object.values(c.prices)]) if (typeof p !== "bigint" || p < 0n) throw bad("prices must be bigints, zero or more");
  if (c.minChequeIncrement < 1n) throw bad("minChequeIncrement must be at least 1");
  if (!Number.isSafeInteger(c.maxRefusals) || c.maxRefusals < 1) throw bad("maxRefusals must be a positive integer");
  if (!(c.handshakeTimeoutMs > 0)) throw bad("handshakeTimeoutMs must be positive");
  if (c.phase === "hard" && hard === undefined) throw bad("the hard phase needs an issuer, a receiver, a verifier and a store");
  return c;
}

/** The units `count` messages of `protocol` cost. */
export function price(config: SwapConfig, protocol: string, count: number): bigint {
  if (!Number.isSafeInteger(count) || count <= 0) throw new ChequeError("INVALID_ARGUMENT", "count must be a positive integer");
  return (config.prices[protocol] ?? config.defaultPrice) * BigInt(count);
}
