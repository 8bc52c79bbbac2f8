/**
 * Off-chain verification of received cheques, cheapest checks first:
 * 1. well-formed (addresses, 65-byte low-s signature, uint256 amount);
 * 2. the beneficiary is us, and the cheque (if it says) and the provider are on our chain;
 * 3. above the last cheque held from that chequebook (a local comparison);
 * 4. the chequebook was deployed by a trusted factory and pays in the accepted token;
 * 5. the signature is the issuer's (ERC-1271 issuers are asked on-chain);
 * 6. solvency: the chequebook can cover what the cheque adds, under the configured policy.
 * Facts about a chequebook (issuer, factory, token) never change, so they are learnt once and cached, in memory
 * and in the store: steady-state verification of an EOA-issued cheque makes no RPC call for checks 1-5 and at most
 * one batched request (or none, within `solvency.cacheMs`) for check 6.
 */
import { type Provider } from "ethers";

import { bytesToHex, chequeDigestBytes, hexToBytes, recoverAddressLower } from "../cheque/crypto.js";

import { validateCheque, type SignedCheque } from "../cheque/cheque.js";
import { chequebookAt, erc1271At, factoryAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";
import type { ChequeStore, ChequebookInfo } from "../store/types.js";
import type { ChainId } from "../cheque/typed-data.js";
import { toAddress } from "../validate.js";

/** What to do with a cheque the chequebook cannot currently cover. */
export type SolvencyPolicy =
  /** refuse it (INSUFFICIENT_COVER) */
  | "reject"
  /** accept it and set `flagged` on the result */
  | "flag"
  /** accept only what the beneficiary's hard deposit covers */
  | "hard-deposit";

/** Options of a {@link ChequeVerifier}. */
export interface ChequeVerifierOptions {
  provider: Provider;
  /** The chain we are on; the provider must be on it too. */
  chainId: ChainId;
  /** Our address: cheques must be made out to it. */
  beneficiary: string;
  /** Factories whose chequebooks we accept. */
  trustedFactories: readonly string[];
  /** The token we accept; by default whatever the trusted factory's chequebooks pay in. */
  token?: string;
  /** Where the last accepted cheques and learnt chequebook facts live. */
  store: ChequeStore;
  solvency?: {
    policy?: SolvencyPolicy;
    /** Reuse a chequebook's on-chain balance snapshot for this long (ms). Default 0: fetch for every cheque. */
    cacheMs?: number;
  };
}

/** The outcome of a successful verification. */
export interface VerifiedCheque {
  cheque: SignedCheque;
  /** What this cheque adds to the last one held: the amount to credit. */
  increment: bigint;
  /** The cumulative payout of the last cheque held (0 if none). */
  previous: bigint;
  /** Set when the solvency policy is "flag" and the chequebook cannot currently cover the cheque. */
  flagged: boolean;
  /** The on-chain figures the solvency check used. */
  cover: { liquidBalanceFor: bigint; paidOut: bigint; hardDeposit: bigint; required: bigint };
}

interface CoverSnapshot {
  liquidBalanceFor: bigint;
  paidOut: bigint;
  hardDeposit: bigint;
  at: number;
}

const ERC1271_MAGIC = "0x1626ba7e";

/**
 * Verifies cheques for one beneficiary, caching what it learns about chequebooks.
 *
 * @example
 * const verifier = new ChequeVerifier({ provider, chainId, beneficiary, trustedFactories: [factory], store })
 * const { increment } = await verifier.verify(cheque)
 */
export class ChequeVerifier {
  readonly beneficiary: string;
  readonly chainId: bigint;
  readonly #provider: Provider;
  readonly #factories: string[];
  readonly #token: string | undefined;
  readonly #store: ChequeStore;
  readonly #policy: SolvencyPolicy;
  readonly #cacheMs: number;
  #info = new Map<string, ChequebookInfo>();
  #loading = new Map<string, Promise<ChequebookInfo>>();
  #cover = new Map<string, CoverSnapshot>();
  #networkChecked: Promise<void> | undefined;

  constructor(options: ChequeVerifierOptions) {
    this.#provider = options.provider;
    this.chainId = BigInt(options.chainId);
    this.beneficiary = toAddress(options.beneficiary, "beneficiary");
    if (options.trustedFactories.length === 0) throw new ChequeError("INVALID_ARGUMENT", "trust at least one chequebook factory");
    this.#factories = options.trustedFactories.map((f, i) => toAddress(f, `trustedFactories[${i}]`));
    this.#token = options.token === undefined ? undefined : toAddress(options.token, "token");
    this.#store = options.store;
    this.#policy = options.solvency?.policy ?? "reject";
    this.#cacheMs = options.solvency?.cacheMs ?? 0;
  }

  /**
   * Verifies `cheque`.
   *
   * @param options.previous - the cumulative payout of the last cheque held from this chequebook; read from the
   *   store if not given.
   * @param options.chainId - the chain the sender says the cheque is for (from the wire), if any.
   * @returns the verified cheque and the increment to credit.
   * @throws ChequeError MALFORMED_CHEQUE, WRONG_BENEFICIARY, WRONG_CHAIN, STALE_CHEQUE, UNKNOWN_CHEQUEBOOK,
   *   WRONG_TOKEN, INVALID_SIGNATURE, INSUFFICIENT_COVER, RPC_UNAVAILABLE.
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
    await this.#checkNetwork();
    // 3. above what we hold
    const previous = options.previous ?? (await this.#store.getReceived(c.chequebook, c.beneficiary))?.cheque.cumulativePayout ?? 0n;
    if (c.cumulativePayout <= previous) {
      throw new ChequeError("STALE_CHEQUE", `the cheque (${c.cumulativePayout}) is not above the one we hold (${previous}): replayed or lower`, {
        details: { chequebook: c.chequebook, offered: c.cumulativePayout, held: previous },
      });
    }
    // 4. trusted chequebook, accepted token
    const info = await this.chequebookInfo(c.chequebook);
    // 5. the issuer's signature
    await this.#checkSignature(c, info);
    // 6. solvency
    const cover = await this.#coverFor(c);
    const flagged = this.#applyPolicy(c, cover);
    return { cheque: c, increment: c.cumulativePayout - previous, previous, flagged, cover };
  }

  /**
   * The immutable facts about a chequebook, learnt from the chain once and cached.
   *
   * @throws ChequeError UNKNOWN_CHEQUEBOOK if it has no code or no trusted factory deployed it; WRONG_TOKEN.
   */
  async chequebookInfo(chequebook: string): Promise<ChequebookInfo> {
    const address = toAddress(chequebook, "chequebook");
    const cached = this.#info.get(address);
    if (cached !== undefined) return cached;
    let loading = this.#loading.get(address);
    if (loading === undefined) {
      loading = this.#loadInfo(address).finally(() => this.#loading.delete(address));
      this.#loading.set(address, loading);
    }
    return loading;
  }

  async #loadInfo(chequebook: string): Promise<ChequebookInfo> {
    let info = await this.#store.getChequebookInfo(chequebook);
    if (info === undefined || !this.#factories.includes(info.factory)) {
      const code = await rpc("reading the chequebook's code", () => this.#provider.getCode(chequebook));
      if (code === "0x") {
        throw new ChequeError("UNKNOWN_CHEQUEBOOK", `${chequebook} has no code on chain ${this.chainId}: not a chequebook`, { details: { chequebook } });
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
    if (this.#token !== undefined && info.token !== this.#token) {
      throw new ChequeError("WRONG_TOKEN", `${chequebook} pays in ${info.token}, we accept only ${this.#token}`, {
        details: { chequebook, token: info.token, expected: this.#token },
      });
    }
    this.#info.set(chequebook, info);
    return info;
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

  async #checkSignature(c: SignedCheque, info: ChequebookInfo): Promise<void> {
    const digestBytes = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, this.chainId);
    const signer = recoverAddressLower(digestBytes, hexToBytes(c.signature));
    if (signer === info.issuer.toLowerCase()) return;
    if (info.issuerIsContract) {
      const digest = bytesToHex(digestBytes);
      const answer = await rpc("asking the issuer contract (ERC-1271)", () =>
        (erc1271At(info.issuer, this.#provider).getFunction("isValidSignature")(digest, c.signature) as Promise<string>).catch((e: unknown) => {
          // A reverting wallet is a refusal, not an outage.
          if (typeof e === "object" && e !== null && (e as { code?: string }).code === "CALL_EXCEPTION") return "0x";
          throw e;
        }),
      );
      if (answer === ERC1271_MAGIC) return;
    }
    throw new ChequeError("INVALID_SIGNATURE", `the cheque is not signed by the chequebook's issuer ${info.issuer}: forged, or for another chain`, {
      details: { chequebook: c.chequebook, issuer: info.issuer, recovered: signer },
    });
  }

  async #coverFor(c: SignedCheque): Promise<VerifiedCheque["cover"]> {
    let snap = this.#cover.get(c.chequebook);
    if (snap === undefined || Date.now() - snap.at >= this.#cacheMs) {
      const book = chequebookAt(c.chequebook, this.#provider);
      // One round trip: ethers batches calls issued together into one JSON-RPC request.
      const [liquidBalanceFor, paidOut, hardDeposits] = await rpc("reading the chequebook's cover", () =>
        Promise.all([
          book.getFunction("liquidBalanceFor")(this.beneficiary) as Promise<bigint>,
          book.getFunction("paidOut")(this.beneficiary) as Promise<bigint>,
          book.getFunction("hardDeposits")(this.beneficiary) as Promise<[bigint, bigint, bigint, bigint]>,
        ]),
      );
      snap = { liquidBalanceFor, paidOut, hardDeposit: hardDeposits[0], at: Date.now() };
      this.#cover.set(c.chequebook, snap);
    }
    const required = c.cumulativePayout > snap.paidOut ? c.cumulativePayout - snap.paidOut : 0n;
    return { liquidBalanceFor: snap.liquidBalanceFor, paidOut: snap.paidOut, hardDeposit: snap.hardDeposit, required };
  }

  #applyPolicy(c: SignedCheque, cover: VerifiedCheque["cover"]): boolean {
    const covered = this.#policy === "hard-deposit" ? cover.hardDeposit : cover.liquidBalanceFor;
    if (covered >= cover.required) return false;
    if (this.#policy === "flag") return true;
    const what = this.#policy === "hard-deposit" ? "hard deposit" : "liquid balance";
    throw new ChequeError("INSUFFICIENT_COVER", `the chequebook's ${what} for us (${covered}) does not cover the ${cover.required} this cheque needs`, {
      details: { chequebook: c.chequebook, policy: this.#policy, covered, required: cover.required },
    });
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
