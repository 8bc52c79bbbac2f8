/**
 * The client side of the `cheque` scheme on `@x402/core`'s extension point (`SchemeNetworkClient`), so it works
 * through `@x402/fetch` and the other x402 client wrappers. Each payment is a cheque cumulative for (chequebook,
 * payee): signed and committed to the SDK's store before it leaves, under one lock per chequebook, after the
 * spending caps were checked.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";
import { x402Client } from "@x402/core/client";
import type { Network, PaymentPayloadResult, PaymentRequirements, SchemeClientHooks, SchemeNetworkClient } from "@x402/core/types";

import { BaseWallet, type Provider } from "ethers";

import { checkChequeSignature } from "../beneficiary/signature.js";
import { recoverChequeSigner, signCheque, validateCheque, type SignedCheque } from "../cheque/cheque.js";
import { getChequeTypedData } from "../cheque/typed-data.js";
import { chequeFromJson, chequeToJson, type ChequeJson } from "../cheque/wire.js";
import { ChequeError } from "../errors.js";
import { KeyedMutex } from "../mutex.js";
import type { ChequeStore } from "../store/types.js";
import { toAddress } from "../validate.js";
import { priceOf, readChequePayload } from "./payload.js";
import { CHEQUE_SCHEME, RESYNC_ERRORS, eip155Network, type ChequePayload } from "./types.js";

/** Anything that signs EIP-712 typed data the ethers way (an ethers `Signer`, a `Wallet`). */
export interface EthersTypedDataSigner {
  getAddress(): Promise<string>;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** Anything that signs EIP-712 typed data the viem way (a viem `LocalAccount`). */
export interface ViemTypedDataSigner {
  address: string;
  signTypedData(args: { domain: Record<string, unknown>; types: Record<string, readonly TypedDataField[]>; primaryType: string; message: Record<string, unknown> }): Promise<string>;
}

/** The chequebook issuer's key: an ethers signer or a viem account. */
export type ChequeSigner = EthersTypedDataSigner | ViemTypedDataSigner;

function isEthers(signer: ChequeSigner): signer is EthersTypedDataSigner {
  return typeof (signer as Partial<EthersTypedDataSigner>).getAddress === "function";
}

/** The signer's address, either way. */
function addressOf(signer: ChequeSigner): Promise<string> {
  return isEthers(signer) ? signer.getAddress() : Promise.resolve(signer.address);
}

/** Spending caps, in token base units; checked before anything is signed. */
export interface SpendingCaps {
  /** The most one request may cost. */
  perRequest?: bigint;
  /** The most the cheques to one payee may add up to (cumulative, all time). */
  perPayee?: bigint;
  /** The most all payments may add up to within a sliding period (kept in memory). */
  perPeriod?: { amount: bigint; periodMs: number };
}

/** Options of a {@link ChequeSchemeClient}. */
export interface ChequeSchemeClientOptions {
  /** The chequebook's issuer key. */
  signer: ChequeSigner;
  chequebook: string;
  chainId: bigint;
  /** The chequebook's token: requirements in any other asset are refused. */
  token: string;
  /** Where the cumulative per (chequebook, payee) is kept: the issuer's cheque store. */
  store: ChequeStore;
  /** If given, a requirement must list this factory among its trusted ones. */
  factory?: string;
  caps?: SpendingCaps;
  /** The clock for `caps.perPeriod` (unix ms); tests replace it. Default `Date.now`. */
  now?: () => number;
  /**
   * How a cheque a server offers back in a resync is recognised as ours. Default: signed by `signer`'s key. A contract
   * wallet (ERC-1271) payer passes {@link chainSignatureCheck}, which also asks the chequebook.
   */
  signatureCheck?: ChequeSignatureCheck;
}

/** Whether `cheque` (for `chainId`) is signed by or for `issuer`, as the chequebook would take it. */
export type ChequeSignatureCheck = (args: { cheque: SignedCheque; chainId: bigint; issuer: string }) => Promise<boolean>;

/**
 * A {@link ChequeSignatureCheck} that takes what the chequebook takes: the issuer's key, or its contract wallet's
 * ERC-1271 approval (a cash-out simulated with `eth_call` on `provider`, within `gasLimit`).
 *
 * @example new ChequeSchemeClient({ signer: walletAccount, ..., signatureCheck: chainSignatureCheck({ provider }) })
 */
export function chainSignatureCheck(args: { provider: Provider; gasLimit?: bigint }): ChequeSignatureCheck {
  return async ({ cheque, chainId, issuer }) => (await checkChequeSignature({ cheque, chainId, issuer, provider: args.provider, ...(args.gasLimit === undefined ? {} : { gasLimit: args.gasLimit }) })) !== undefined;
}

const keyCheck: ChequeSignatureCheck = ({ cheque, chainId, issuer }) => Promise.resolve(recoverChequeSigner({ cheque, chainId }).toLowerCase() === issuer.toLowerCase());

/** The amount a settlement says was charged (a decimal string), or undefined when it says none we can read. */
function settledAmount(amount: unknown): bigint | undefined {
  return typeof amount === "string" && /^[0-9]{1,78}$/.test(amount) ? BigInt(amount) : undefined;
}

/**
 * What this client knows of its account with one payee: the last cheque signed (L), what it counts as charged (C:
 * L when first read, plus, for every request answered as paid since, what the settlement says it charged, at most
 * its price), and the requests in flight (F: sent,
 * no answer yet; a request that never gets one stays counted). The next cheque is max(L + 1, C + F + price): it
 * spends the credit of requests that failed (L - C - F) before adding to it.
 */
interface PayeeAccount {
  last: bigint;
  charged: bigint;
  inFlight: Map<bigint, bigint>;
  flying: bigint;
  /** The last write of the store for this payee, settled (it never fails); a cheque leaves after it and its own commit. */
  written: Promise<void>;
}

/**
 * Pays x402 `cheque` requirements with cheques from one chequebook.
 *
 * @example
 * const client = new x402Client().register(eip155Network(chainId), new ChequeSchemeClient({ signer, chequebook, chainId, token, store, caps }))
 * const paidFetch = wrapFetchWithPayment(fetch, client)
 */
export class ChequeSchemeClient implements SchemeNetworkClient {
  readonly scheme = CHEQUE_SCHEME;
  /** Resync after a 402 that carries the server's last accepted cheque (see {@link ChequeSchemeClient.resync}). */
  readonly schemeHooks: SchemeClientHooks = {
    onPaymentResponse: async (ctx) => {
      const sent = this.#sentValue(ctx.paymentPayload.payload, ctx.requirements);
      if (sent !== undefined) await this.#answered(sent.payee, sent.value, ctx.settleResponse?.success === true ? settledAmount(ctx.settleResponse.amount) : 0n);
      const error = ctx.paymentRequired?.error;
      if (ctx.settleResponse !== undefined || error === undefined || !RESYNC_ERRORS.includes(error)) return;
      const offered = ctx.paymentRequired?.accepts.find((r) => r.scheme === CHEQUE_SCHEME && r.network === this.network && r.extra.resync !== undefined);
      if (offered === undefined) return;
      return (await this.resync(offered)) ? { recovered: true } : undefined;
    },
  };
  /** `eip155:<chainId>` of the chequebook. */
  readonly network: Network;
  readonly #o: ChequeSchemeClientOptions;
  readonly #chequebook: string;
  readonly #token: string;
  readonly #mutex = new KeyedMutex();
  readonly #spent: Array<{ at: number; amount: bigint }> = [];
  readonly #accounts = new Map<string, PayeeAccount>();

  constructor(options: ChequeSchemeClientOptions) {
    this.#o = options;
    this.#chequebook = toAddress(options.chequebook, "chequebook");
    this.#token = toAddress(options.token, "token");
    this.network = eip155Network(options.chainId);
  }

  /** The chequebook's token. */
  get token(): string {
    return this.#token;
  }

  /**
   * Signs the next cheque to the requirement's payee, cumulative, after checking chain, asset, factory and caps.
   *
   * @throws ChequeError WRONG_CHAIN, WRONG_TOKEN, UNKNOWN_CHEQUEBOOK (factory not trusted by the server),
   *   INVALID_ARGUMENT (a cap would be exceeded: `details.cap`), STORE_FAILURE.
   */
  async createPaymentPayload(x402Version: number, requirements: PaymentRequirements): Promise<PaymentPayloadResult> {
    const price = priceOf(requirements);
    if (requirements.network !== eip155Network(this.#o.chainId)) {
      throw new ChequeError("WRONG_CHAIN", `the server asks for ${requirements.network}; this chequebook is on ${eip155Network(this.#o.chainId)}`);
    }
    if (toAddress(requirements.asset, "asset") !== this.#token) throw new ChequeError("WRONG_TOKEN", `the server asks for ${requirements.asset}; this chequebook pays in ${this.#token}`);
    if (this.#o.factory !== undefined) {
      const trusted = Array.isArray(requirements.extra.trustedFactories) ? (requirements.extra.trustedFactories as unknown[]).map(String).map((f) => f.toLowerCase()) : [];
      if (!trusted.includes(this.#o.factory.toLowerCase())) throw new ChequeError("UNKNOWN_CHEQUEBOOK", "the server does not trust our chequebook's factory");
    }
    const payee = toAddress(requirements.payTo, "payTo");
    const { cheque, durable } = await this.#mutex.run(this.#chequebook, async () => {
      const account = await this.#account(payee);
      const floor = account.charged + account.flying + price;
      const next = floor > account.last ? floor : account.last + 1n;
      const added = next - account.last;
      this.#checkCaps(price, next, added);
      const message = { chequebook: this.#chequebook, beneficiary: payee, cumulativePayout: next };
      const cheque = await this.#sign(message);
      // Committed before it leaves; the commit is waited for outside the lock, so concurrent payments share it.
      const own = this.#o.store.putIssued(cheque);
      own.catch(() => undefined); // its failure is this payment's, seen through `durable`
      // It leaves once the earlier writes settled and its own committed: an earlier failure refused that payment only.
      const durable = account.written.then(() => own);
      account.written = durable.then(
        () => undefined,
        () => undefined,
      );
      account.last = next;
      account.inFlight.set(next, price);
      account.flying += price;
      this.#spent.push({ at: (this.#o.now ?? Date.now)(), amount: added });
      return { cheque, durable };
    });
    try {
      await durable;
    } catch (error) {
      // Never sent: its price is no longer in flight (the value signed stays as credit the next cheque spends).
      await this.#answered(payee, cheque.cumulativePayout, 0n);
      throw error;
    }
    const payload: ChequePayload = { cheque: chequeToJson(cheque), chainId: this.#o.chainId.toString() };
    return { x402Version, payload: { ...payload } };
  }

  /** Signs with the signer: a key in this process (an ethers `Wallet`) takes the SDK's fast path, as `signCheque`. */
  async #sign(message: { chequebook: string; beneficiary: string; cumulativePayout: bigint }): Promise<SignedCheque> {
    const signer = this.#o.signer;
    if (signer instanceof BaseWallet) return signCheque({ ...message, signer, chainId: this.#o.chainId });
    const data = getChequeTypedData({ ...message, chainId: this.#o.chainId });
    const types = data.types as unknown as Record<string, TypedDataField[]>;
    const value = data.message as unknown as Record<string, unknown>;
    const signature = isEthers(signer)
      ? await signer.signTypedData(data.domain, types, value)
      : await signer.signTypedData({ domain: { ...data.domain }, types, primaryType: data.primaryType, message: value });
    return validateCheque({ ...message, signature });
  }

  /** What this client counts for `payee` (see {@link PayeeAccount}): last signed, charged, in flight. */
  async position(payee: string): Promise<{ last: bigint; charged: bigint; inFlight: bigint }> {
    const account = await this.#mutex.run(this.#chequebook, () => this.#account(toAddress(payee, "payee")));
    return { last: account.last, charged: account.charged, inFlight: account.flying };
  }

  /** The account with `payee` (under the lock), read from the store the first time. */
  async #account(payee: string): Promise<PayeeAccount> {
    let account = this.#accounts.get(payee);
    if (account === undefined) {
      const last = (await this.#o.store.getIssued(this.#chequebook, payee))?.cheque.cumulativePayout ?? 0n;
      account = { last, charged: last, inFlight: new Map(), flying: 0n, written: Promise.resolve() };
      this.#accounts.set(payee, account);
    }
    return account;
  }

  /**
   * The answer to the payment of `value` to `payee` came: `charged` is what the server says it charged (0 if it did
   * not), counted up to the request's price; the price when it does not say.
   */
  async #answered(payee: string, value: bigint, charged: bigint | undefined): Promise<void> {
    await this.#mutex.run(this.#chequebook, async () => {
      const account = await this.#account(payee);
      const price = account.inFlight.get(value);
      if (price === undefined) return; // not ours, or answered already
      account.inFlight.delete(value);
      account.flying -= price;
      account.charged += charged === undefined || charged > price ? price : charged;
    });
  }

  /**
   * Adopts the last cheque a server says it accepted (`requirements.extra.resync.lastAccepted`) as our last cheque to
   * that payee, when it is ours (our chequebook, this payee, signed by our key for our chain) and above the one we
   * hold: we lost state, and the server holds a cheque we signed. We never sign anything here: the next payment adds
   * its price to the adopted cheque, so one request is paid once.
   *
   * @returns whether it was adopted (the request should be paid again from it).
   */
  async resync(requirements: PaymentRequirements): Promise<boolean> {
    const resync = requirements.extra.resync as { lastAccepted?: unknown } | undefined;
    let cheque;
    try {
      cheque = chequeFromJson(resync?.lastAccepted as ChequeJson);
    } catch {
      return false;
    }
    const payee = toAddress(requirements.payTo, "payTo");
    if (cheque.chequebook !== this.#chequebook || cheque.beneficiary !== payee) return false;
    const me = await addressOf(this.#o.signer);
    if (!(await (this.#o.signatureCheck ?? keyCheck)({ cheque, chainId: this.#o.chainId, issuer: me }))) return false;
    const charged = typeof (resync as { charged?: unknown }).charged === "string" && /^[0-9]{1,78}$/.test((resync as { charged: string }).charged) ? BigInt((resync as { charged: string }).charged) : cheque.cumulativePayout;
    return this.#mutex.run(this.#chequebook, async () => {
      const account = await this.#account(payee);
      await account.written;
      const last = (await this.#o.store.getIssued(this.#chequebook, payee))?.cheque.cumulativePayout ?? 0n;
      if (cheque.cumulativePayout <= last || cheque.cumulativePayout <= account.last) return false;
      await this.#o.store.putIssued(cheque);
      account.last = cheque.cumulativePayout;
      // We lost track of this payee: what it says it charged counts, up to the cheque adopted (never above what we
      // signed), and never below what we counted ourselves.
      const claimed = charged < cheque.cumulativePayout ? charged : cheque.cumulativePayout;
      if (claimed > account.charged) account.charged = claimed;
      return true;
    });
  }

  /** The payee and cheque value of a payload this client made, if it is one. */
  #sentValue(payload: unknown, requirements: PaymentRequirements): { payee: string; value: bigint } | undefined {
    if (requirements.scheme !== CHEQUE_SCHEME) return undefined;
    try {
      const { cheque } = readChequePayload(payload);
      return cheque.chequebook === this.#chequebook ? { payee: cheque.beneficiary, value: cheque.cumulativePayout } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Checks the caps for a request priced `price` paid by a cheque of `next`, adding `added` to the last one. */
  #checkCaps(price: bigint, next: bigint, added: bigint): void {
    const caps = this.#o.caps ?? {};
    const refuse = (cap: string, limit: bigint, would: bigint) => {
      throw new ChequeError("INVALID_ARGUMENT", `paying ${price} would exceed the ${cap} cap of ${limit} (${would})`, { details: { cap, limit, would } });
    };
    if (caps.perRequest !== undefined && price > caps.perRequest) refuse("perRequest", caps.perRequest, price);
    if (caps.perPayee !== undefined && next > caps.perPayee) refuse("perPayee", caps.perPayee, next);
    if (caps.perPeriod !== undefined) {
      const since = (this.#o.now ?? Date.now)() - caps.perPeriod.periodMs;
      while (this.#spent.length > 0 && this.#spent[0]!.at <= since) this.#spent.shift();
      const spent = this.#spent.reduce((s, e) => s + e.amount, 0n) + added;
      if (spent > caps.perPeriod.amount) refuse("perPeriod", caps.perPeriod.amount, spent);
    }
  }
}

/**
 * An `x402Client` paying with `scheme`. Its generic spend controls are told about the chequebook's token (they know
 * only USD stablecoins by default); the caps that count are the scheme's own {@link SpendingCaps}.
 *
 * @example const paidFetch = wrapFetchWithPayment(fetch, chequeX402Client(new ChequeSchemeClient({ ... })))
 */
export function chequeX402Client(scheme: ChequeSchemeClient): x402Client {
  return x402Client.fromConfig({ schemes: [{ network: scheme.network, client: scheme }], spendControls: { allowedAssets: [{ network: scheme.network, asset: scheme.token }] } });
}
