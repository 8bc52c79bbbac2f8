/**
 * Off-chain verification of received cheques, cheapest checks first, so a bad cheque costs the sender more than us:
 * 1. well-formed (addresses, 65-byte low-s signature, uint256 amount);
 * 2. the beneficiary is us, and the cheque (if it says) is for our chain;
 * 3. above the last cheque held from that chequebook, by at least the minimum increment (local: no RPC call);
 * 4. the provider is on our chain (once), the chequebook was deployed by a trusted factory and pays in the accepted
 *    token (learnt once; refusals remembered for a while);
 * 5. the signature is the issuer's (for an ERC-1271 issuer, the chequebook itself is asked: a simulated cash-out
 *    within a gas cap);
 * 6. solvency: the chequebook can cover what the cheque needs, under the configured policy (see ./solvency.ts); a
 *    cheque not above what the chequebook already paid us is stale, whatever the store holds.
 * Facts about a chequebook (issuer, factory, token) never change, so they are learnt once and cached, in memory
 * and in the store: steady-state verification of an EOA-issued cheque makes no RPC call for checks 1-5 and, for
 * check 6, two requests (the latest block, then the figures at that block in one batch), or none within
 * `solvency.cacheMs`. An ERC-1271 issuer costs one eth_call more, within the gas cap.
 */
import { type Provider } from "ethers";

import { chequeDigestBytes, hexToBytes, recoverAddressLower } from "../cheque/crypto.js";

import { validateCheque, type SignedCheque } from "../cheque/cheque.js";
import { chequebookAt, factoryAt, rpc } from "../chain/contracts.js";
import { guardProvider } from "../chain/guard.js";
import { ChequeError, isChequeError } from "../errors.js";
import type { ChequeStore, ChequebookInfo } from "../store/types.js";
import type { ChainId } from "../cheque/typed-data.js";
import { toAddress, toUint256 } from "../validate.js";
import { readCover, type CoverSnapshot } from "./cover.js";
import { DEFAULT_ERC1271_GAS_LIMIT, chequebookAcceptsSignature } from "./signature.js";
import { RefusalCache, type RefusalCacheOptions } from "./refusal-cache.js";
import {
  DEFAULT_MIN_HARD_DEPOSIT_TIMEOUT,
  applySolvencyPolicy,
  hardDepositCover,
  type Cover,
  type RevocableIssuerPolicy,
  type SolvencyOptions,
  type SolvencyPolicy,
} from "./solvency.js";

export * from "./solvency.js";
export * from "./signature.js";
export type { RefusalCacheOptions } from "./refusal-cache.js";

/** Limits that keep a hostile sender from making us work for nothing. */
export interface VerifierLimits {
  /** The least a cheque must add to the last one held; checked before any RPC call. Default 1 (any increase). */
  minIncrement?: bigint;
  /**
   * The gas the eth_call checking an ERC-1271 signature may use: a simulated cash-out of the cheque, the wallet's
   * `isValidSignature` included; beyond it the signature is refused. Default 300,000.
   */
  erc1271GasLimit?: bigint;
  /** The memory of refused chequebooks (unknown, untrusted factory, wrong token). */
  unknownChequebooks?: RefusalCacheOptions;
}


/** Options of a {@link ChequeVerifier}. */
export interface ChequeVerifierOptions {
  provider: Provider;
  /** The chain we are on; the provider must be on it too. */
  chainId: ChainId;
  /** Our address: cheques must be made out to it. */
  beneficiary: string;
  /** Factories whose chequebooks we accept. */
  trustedFactories: readonly string[];
  /**
   * The token we accept. Required: every chequebook's real token (read from the chain once, cached) must equal it,
   * so a trusted factory paying in another token can never be credited. Read it from your factory
   * (`ERC20Address()`) or your own chequebook if in doubt.
   */
  token: string;
  /** Where the last accepted cheques and learnt chequebook facts live. */
  store: ChequeStore;
  solvency?: SolvencyOptions;
  limits?: VerifierLimits;
  /** The clock (unix ms): cache expiry, and a floor for "now" under "hard-deposit"; tests replace it. Default `Date.now`. */
  now?: () => number;
}

/** The outcome of a successful verification. */
export interface VerifiedCheque {
  cheque: SignedCheque;
  /**
   * The amount to credit: what this cheque adds to the last one held, or to what the chequebook has paid us on
   * chain if that is more (a store that lost or never had the last cheques).
   */
  increment: bigint;
  /** The cumulative payout of the last cheque held (0 if none). */
  previous: bigint;
  /** Set when the solvency policy is "flag" and the chequebook cannot currently cover the cheque. */
  flagged: boolean;
  /**
   * Cash this cheque out at once: its signature holds only through ERC-1271 and the issuer can revoke it
   * (accepted under `revocableIssuer: "cash-now"`).
   */
  cashNow: boolean;
  /** The on-chain figures the solvency check used, what the policy counted as cover, and until when. */
  cover: Cover;
}


/**
 * Verifies cheques for one beneficiary, caching what it learns about chequebooks.
 *
 * @example
 * const verifier = new ChequeVerifier({ provider, chainId, beneficiary, trustedFactories: [factory], token, store })
 * const { increment } = await verifier.verify(cheque)
 */
export class ChequeVerifier {
  readonly beneficiary: string;
  readonly chainId: bigint;
  /** The token accepted. */
  readonly token: string;
  readonly #provider: Provider;
  readonly #factories: string[];
  readonly #store: ChequeStore;
  readonly #policy: SolvencyPolicy;
  readonly #cacheMs: number;
  readonly #minTimeout: bigint;
  readonly #revocable: RevocableIssuerPolicy;
  readonly #minIncrement: bigint;
  readonly #gasLimit: bigint;
  readonly #now: () => number;
  readonly #refused: RefusalCache;
  #info = new Map<string, ChequebookInfo>();
  #loading = new Map<string, Promise<ChequebookInfo>>();
  #cover = new Map<string, CoverSnapshot>();
  /** Each chequebook's default decrease timeout: immutable, read once. */
  #defaultTimeout = new Map<string, bigint>();
  #networkChecked: Promise<void> | undefined;

  /**
   * @throws ChequeError INVALID_ARGUMENT for a missing token or factory, a bad address or limit.
   */
  constructor(options: ChequeVerifierOptions) {
    this.chainId = BigInt(options.chainId);
    // Every read gets the RPC deadline and the node's chain id is asked again after failures and periodically.
    this.#provider = guardProvider(options.provider, { chainId: this.chainId });
    this.beneficiary = toAddress(options.beneficiary, "beneficiary");
    if (options.trustedFactories.length === 0) throw new ChequeError("INVALID_ARGUMENT", "trust at least one chequebook factory");
    this.#factories = options.trustedFactories.map((f, i) => toAddress(f, `trustedFactories[${i}]`));
    if ((options.token as string | undefined) === undefined) {
      throw new ChequeError("INVALID_ARGUMENT", "name the token you accept (e.g. your factory's ERC20Address()): every chequebook's token is checked against it");
    }
    this.token = toAddress(options.token, "token");
    this.#store = options.store;
    const solvency = options.solvency ?? {};
    this.#policy = solvency.policy ?? "reject";
    this.#cacheMs = solvency.cacheMs ?? 0;
    this.#minTimeout = toUint256(solvency.minHardDepositTimeout ?? DEFAULT_MIN_HARD_DEPOSIT_TIMEOUT, "solvency.minHardDepositTimeout");
    this.#revocable = solvency.revocableIssuer ?? (this.#policy === "hard-deposit" ? "refuse" : "cash-now");
    const limits = options.limits ?? {};
    this.#minIncrement = toUint256(limits.minIncrement ?? 1n, "limits.minIncrement", { positive: true });
    this.#gasLimit = toUint256(limits.erc1271GasLimit ?? DEFAULT_ERC1271_GAS_LIMIT, "limits.erc1271GasLimit", { positive: true });
    this.#now = options.now ?? Date.now;
    this.#refused = new RefusalCache({ ...limits.unknownChequebooks, now: this.#now });
  }

  /**
   * Verifies `cheque`.
   *
   * @param options.previous - the cumulative payout of the last cheque held from this chequebook; read from the
   *   store if not given.
   * @param options.chainId - the chain the sender says the cheque is for (from the wire), if any.
   * @returns the verified cheque and the increment to credit.
   * @throws ChequeError MALFORMED_CHEQUE, WRONG_BENEFICIARY, WRONG_CHAIN, STALE_CHEQUE, INCREMENT_TOO_SMALL,
   *   UNKNOWN_CHEQUEBOOK, WRONG_TOKEN, INVALID_SIGNATURE, REVOCABLE_ISSUER, INSUFFICIENT_COVER, RPC_UNAVAILABLE.
   */
  async verify(cheque: unknown, options: { previous?: bigint; chainId?: ChainId } = {}): Promise<VerifiedCheque> {
    // 1. well-formed
    const c = validateCheque(cheque);
    // 2. ours, on our chain
    if (c.beneficiary !== this.beneficiary) {
      throw new ChequeError("WRONG_BENEFICIARY", `the cheque is made out to ${c.beneficiary}, not to us (${this.beneficiary})`, {
        details: { beneficiary: c.beneficiary, expected: this.beneficiary },
      });
    }
    if (options.chainId !== undefined && BigInt(options.chainId) !== this.chainId) {
      throw new ChequeError("WRONG_CHAIN", `the cheque is for chain ${options.chainId}, we are on chain ${this.chainId}`, {
        details: { chainId: BigInt(options.chainId), expected: this.chainId },
      });
    }
    // 3. above what we hold, by enough to be worth our work
    const previous = options.previous ?? (await this.#store.getReceived(c.chequebook, c.beneficiary))?.cheque.cumulativePayout ?? 0n;
    if (c.cumulativePayout <= previous) {
      throw new ChequeError("STALE_CHEQUE", `the cheque (${c.cumulativePayout}) is not above the one we hold (${previous}): replayed or lower`, {
        details: { chequebook: c.chequebook, offered: c.cumulativePayout, held: previous },
      });
    }
    const increment = c.cumulativePayout - previous;
    if (increment < this.#minIncrement) {
      throw new ChequeError("INCREMENT_TOO_SMALL", `the cheque adds ${increment}, less than the ${this.#minIncrement} we accept per cheque`, {
        details: { chequebook: c.chequebook, increment, minIncrement: this.#minIncrement },
      });
    }
    // 4. our chain, a trusted chequebook, the accepted token
    await this.#checkNetwork();
    const info = await this.chequebookInfo(c.chequebook);
    // 5. the issuer's signature
    const { revocable } = await this.#checkSignature(c, info);
    // 6. solvency
    const { cover, shortfall } = await this.#coverFor(c, revocable);
    // What the chequebook paid us is on chain, whatever the store remembers (lost, restored from an older copy, or
    // shared by two nodes): a cheque already paid is worth nothing, and a higher one only what it adds to it.
    if (c.cumulativePayout <= cover.paidOut) {
      throw new ChequeError("STALE_CHEQUE", `the cheque (${c.cumulativePayout}) is not above what the chequebook has already paid us (${cover.paidOut})`, {
        details: { chequebook: c.chequebook, offered: c.cumulativePayout, held: previous, paidOut: cover.paidOut },
      });
    }
    const flagged = applySolvencyPolicy({ chequebook: c.chequebook, policy: this.#policy, cover, minTimeout: this.#minTimeout, ...(shortfall === undefined ? {} : { shortfall }) });
    const credit = cover.paidOut > previous ? c.cumulativePayout - cover.paidOut : increment;
    return { cheque: c, increment: credit, previous, flagged, cashNow: revocable, cover };
  }

  /**
   * The immutable facts about a chequebook, learnt from the chain once and cached. A refusal is remembered (see
   * {@link VerifierLimits.unknownChequebooks}) and thrown again, with `details.cached`, without an RPC call.
   *
   * @throws ChequeError UNKNOWN_CHEQUEBOOK if it has no code or no trusted factory deployed it; WRONG_TOKEN.
   */
  async chequebookInfo(chequebook: string): Promise<ChequebookInfo> {
    const address = toAddress(chequebook, "chequebook");
    const cached = this.#info.get(address);
    if (cached !== undefined) return cached;
    this.#refused.check(address);
    let loading = this.#loading.get(address);
    if (loading === undefined) {
      loading = this.#loadInfo(address)
        .catch((error: unknown) => {
          if (isChequeError(error, "UNKNOWN_CHEQUEBOOK", "WRONG_TOKEN")) {
            // No code yet can change at the next block (a predictable address named before its deployment).
            this.#refused.remember(address, error, error.details.reason === "no-code" ? this.#refused.shortTtl : undefined);
          }
          throw error;
        })
        .finally(() => this.#loading.delete(address));
      this.#loading.set(address, loading);
    }
    return loading;
  }
  async #loadInfo(chequebook: string): Promise<ChequebookInfo> {
    let info = await this.#store.getChequebookInfo(chequebook);
    if (info === undefined || !this.#factories.includes(info.factory)) {
      const code = await rpc("reading the chequebook's code", () => this.#provider.getCode(chequebook));
      if (code === "0x") {
        throw new ChequeError("UNKNOWN_CHEQUEBOOK", `${chequebook} has no code on chain ${this.chainId}: not a chequebook`, { details: { chequebook, reason: "no-code" } });
      }
      const trusted = await rpc("asking the trusted factories", () =>
        Promise.all(this.#factories.map((f) => factoryAt(f, this.#provider).getFunction("deployedContracts")(chequebook) as Promise<boolean>)),
      );
      const factory = this.#factories[trusted.indexOf(true)];
      if (factory === undefined) {
        throw new ChequeError("UNKNOWN_CHEQUEBOOK", `${chequebook} was not deployed by a factory we trust: refuse its cheques`, {
          details: { chequebook, trustedFactories: this.#factories },
        });
      }
      const book = chequebookAt(chequebook, this.#provider);
      const [issuer, token] = await rpc("reading the chequebook's issuer and token", () =>
        Promise.all([book.getFunction("issuer")() as Promise<string>, book.getFunction("token")() as Promise<string>]),
      );
      const issuerCode = await rpc("reading the issuer's code", () => this.#provider.getCode(issuer));
      info = { chequebook, issuer, token, factory, issuerIsContract: issuerCode !== "0x" };
      await this.#store.putChequebookInfo(info);
    }
    if (info.token !== this.token) {
      throw new ChequeError("WRONG_TOKEN", `${chequebook} pays in ${info.token}, we accept only ${this.token}`, {
        details: { chequebook, token: info.token, expected: this.token },
      });
    }
    this.#info.set(chequebook, info);
    return info;
  }

  /**
   * The verifier's signature check alone, for a cheque at or below one already verified (a payer's earlier cheque
   * presented late, or offered back in a resync): it is made out to us, and signed by its chequebook's issuer, by key
   * or, for a contract issuer, through ERC-1271 (one eth_call within the gas cap).
   *
   * @returns whether the signature holds only through ERC-1271 (revocable by the issuer contract).
   * @throws ChequeError MALFORMED_CHEQUE, WRONG_BENEFICIARY, UNKNOWN_CHEQUEBOOK, WRONG_TOKEN, INVALID_SIGNATURE,
   *   REVOCABLE_ISSUER, RPC_UNAVAILABLE.
   */
  async checkSignature(cheque: unknown): Promise<{ revocable: boolean }> {
    const c = validateCheque(cheque);
    if (c.beneficiary !== this.beneficiary) throw new ChequeError("WRONG_BENEFICIARY", `the cheque is made out to ${c.beneficiary}, not to us (${this.beneficiary})`);
    return this.#checkSignature(c, await this.chequebookInfo(c.chequebook));
  }

  #checkNetwork(): Promise<void> {
    this.#networkChecked ??= rpc("reading the provider's chain id", () => this.#provider.getNetwork()).then(
      (network) => {
        if (network.chainId !== this.chainId) {
          throw new ChequeError("WRONG_CHAIN", `the provider is on chain ${network.chainId}, not on chain ${this.chainId}`, {
            details: { chainId: network.chainId, expected: this.chainId },
          });
        }
      },
      (error) => {
        this.#networkChecked = undefined; // try again next time: the node may come back
        throw error;
      },
    );
    return this.#networkChecked;
  }

  /**
   * Checks the issuer's signature: ECDSA first (local; the chequebook tries it first too, so such a signature
   * cannot be revoked), then, for a contract issuer, a simulated cash-out within the gas cap (the chequebook asks
   * the wallet and reads its answer), unless revocable signatures are refused anyway (REVOCABLE_ISSUER, without
   * the call). Any failure of the wallet's answer is a refusal; only an unreachable node is an outage.
   *
   * @returns whether the signature holds only through ERC-1271 (revocable by the issuer contract).
   */
  async #checkSignature(c: SignedCheque, info: ChequebookInfo): Promise<{ revocable: boolean }> {
    const digestBytes = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, this.chainId);
    const signer = recoverAddressLower(digestBytes, hexToBytes(c.signature));
    if (signer === info.issuer.toLowerCase()) return { revocable: false };
    if (info.issuerIsContract && this.#revocable === "refuse") {
      // Whatever the wallet would answer, we refuse: no need to pay for its eth_call.
      throw new ChequeError("REVOCABLE_ISSUER", `the issuer ${info.issuer} is a contract and the cheque is not signed by a key: an ERC-1271 signature can be revoked at will, and we refuse them`, {
        details: { chequebook: c.chequebook, issuer: info.issuer },
      });
    }
    if (info.issuerIsContract && (await this.#chequebookAccepts(c))) return { revocable: true };
    const reason = info.issuerIsContract ? "erc1271-failed" : "not-the-issuer";
    throw new ChequeError("INVALID_SIGNATURE", `the cheque is not signed by the chequebook's issuer ${info.issuer}: forged, or for another chain`, {
      details: { chequebook: c.chequebook, issuer: info.issuer, recovered: signer, reason },
    });
  }

  /**
   * Whether the chequebook itself takes `c`'s signature: a cash-out of it simulated exactly as we would send it
   * (from us, to the chequebook), within the gas cap. The wallet is asked by the chequebook, with us as tx.origin,
   * and its answer read by the chequebook's own code: a wallet that answers an eth_call differently (by caller,
   * origin, or a bytes4 padded with junk) gains nothing. A revert after the signature check (already cashed, nothing
   * liquid) still proves the signature; any other failure refuses it. Only an unreachable node is an outage.
   */
  async #chequebookAccepts(c: SignedCheque): Promise<boolean> {
    return chequebookAcceptsSignature({ provider: this.#provider, cheque: { ...c, beneficiary: this.beneficiary }, gasLimit: this.#gasLimit });
  }

  async #coverFor(c: SignedCheque, revocable: boolean): Promise<{ cover: Cover; shortfall?: "timeout-too-short" | "decrease-pending" }> {
    const hard = this.#policy === "hard-deposit";
    const snap = await readCover({
      provider: this.#provider,
      chequebook: c.chequebook,
      beneficiary: this.beneficiary,
      cached: this.#cover.get(c.chequebook),
      maxAgeMs: this.#cacheMs,
      now: this.#now,
      defaultTimeouts: this.#defaultTimeout,
    });
    this.#cover.set(c.chequebook, snap);
    const { at, chainTime, block: _block, seenAt: _seenAt, ...figures } = snap;
    const required = c.cumulativePayout > figures.paidOut ? c.cumulativePayout - figures.paidOut : 0n;
    if (!hard) return { cover: { ...figures, required, covered: figures.liquidBalanceFor, coveredUntil: 0n, issuerCanRevoke: revocable } };
    // Now, estimated from above (a later "now" only makes a pending decrease count sooner): the chain time of the
    // read plus what passed since (a cached snapshot ages), or our clock if it is ahead.
    const aged = chainTime + BigInt(Math.max(0, Math.ceil((this.#now() - at) / 1000)));
    const clock = BigInt(Math.floor(this.#now() / 1000));
    const now = clock > aged ? clock : aged;
    const { covered, coveredUntil, shortfall } = hardDepositCover({ figures, readAt: chainTime, now, minTimeout: this.#minTimeout });
    // A revocable signature holds for no time: the issuer can take it back at the next block.
    const cover: Cover = { ...figures, required, covered, coveredUntil: revocable ? 0n : coveredUntil, issuerCanRevoke: revocable };
    return shortfall === undefined ? { cover } : { cover, shortfall };
  }
}

/**
 * Verifies one cheque with a {@link ChequeVerifier}; see {@link ChequeVerifier.verify}.
 *
 * @example const { increment } = await verifyCheque({ verifier, cheque })
 */
export function verifyCheque(args: { verifier: ChequeVerifier; cheque: unknown; previous?: bigint; chainId?: ChainId }): Promise<VerifiedCheque> {
  const options: { previous?: bigint; chainId?: ChainId } = {};
  if (args.previous !== undefined) options.previous = args.previous;
  if (args.chainId !== undefined) options.chainId = args.chainId;
  return args.verifier.verify(args.cheque, options);
}
