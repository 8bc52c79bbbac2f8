/**
 * The server side of the `cheque` scheme on `@x402/core`'s extension point (`SchemeNetworkServer`): how a price
 * becomes a requirement (payee, token, chain, trusted factories), and the "authorization" flow (verify before the
 * handler, settle after it), so a request is charged only when its handler succeeded.
 */
import { x402ResourceServer } from "@x402/core/server";
import type {
  AssetAmount,
  Network,
  PaymentFlowConfig,
  PaymentRequirements,
  Price,
  SchemeNetworkServer,
  SchemePaymentRequiredContext,
  SchemeServerHooks,
  SupportedKind,
} from "@x402/core/types";

import { ChequeError } from "../errors.js";
import { toAddress, toUint256 } from "../validate.js";
import type { ChequeAccounts } from "./account.js";
import { CHEQUE_SCHEME, RESYNC_ERRORS } from "./types.js";

/** Options of a {@link ChequeSchemeServer}. */
export interface ChequeSchemeServerOptions {
  /** The accounts that verify and charge; their cancellations are released through them. */
  accounts: ChequeAccounts;
  /** The token prices are in (the verifier's token). */
  token: string;
  /** Factories whose chequebooks we accept, announced to clients. */
  trustedFactories: readonly string[];
}

/**
 * The `cheque` scheme for an `x402ResourceServer`. Prices are token base units: a decimal string (`"1000"`), a
 * safe integer, or `{ asset, amount }` naming our token; USD strings (`"$0.01"`) are refused.
 *
 * @example server.register(accounts.network, new ChequeSchemeServer({ accounts, token, trustedFactories: [factory] }))
 */
export class ChequeSchemeServer implements SchemeNetworkServer {
  readonly scheme = CHEQUE_SCHEME;
  readonly defaultAssetTransferMethod = "default";
  readonly paymentFlows: Readonly<Record<string, PaymentFlowConfig>> = { default: { supported: ["authorization"], default: "authorization" } };
  readonly schemeHooks: SchemeServerHooks;
  readonly #token: string;
  readonly #factories: string[];
  readonly #accounts: ChequeAccounts;

  constructor(options: ChequeSchemeServerOptions) {
    this.#token = toAddress(options.token, "token");
    this.#factories = options.trustedFactories.map((f, i) => toAddress(f, `trustedFactories[${i}]`));
    const accounts = options.accounts;
    this.#accounts = accounts;
    // A verified payment whose handler threw or failed is released: nothing is charged.
    this.schemeHooks = { onVerifiedPaymentCanceled: (ctx) => accounts.release(ctx.paymentPayload as never, ctx.requirements as PaymentRequirements) };
  }

  /**
   * @throws ChequeError INVALID_ARGUMENT for a USD price, another asset, or an amount that is not a positive uint256.
   */
  parsePrice(price: Price, _network: Network): Promise<AssetAmount> {
    let amount: unknown = price;
    if (typeof price === "object") {
      if (toAddress(price.asset, "price.asset") !== this.#token) throw new ChequeError("INVALID_ARGUMENT", `prices of the cheque scheme are in ${this.#token}`);
      amount = price.amount;
    }
    if (typeof amount === "string" && !/^[0-9]+$/.test(amount)) {
      throw new ChequeError("INVALID_ARGUMENT", `a cheque price is token base units as a decimal string, not ${JSON.stringify(amount)}`);
    }
    return Promise.resolve({ asset: this.#token, amount: toUint256(amount, "price", { positive: true }).toString() });
  }

  /**
   * Resync: a 402 for a cheque at or below what we hold (`STALE_CHEQUE`, `UNDERPAID`) carries, in the `cheque`
   * requirement's `extra.resync`, the last cheque we accepted from that chequebook and what we charged (see
   * {@link ChequeAccounts.resyncFor}), so a client that lost its state continues from it.
   */
  async enrichPaymentRequiredResponse(ctx: SchemePaymentRequiredContext): Promise<PaymentRequirements[] | void> {
    if (ctx.error === undefined || !RESYNC_ERRORS.includes(ctx.error) || ctx.paymentPayload === undefined) return;
    const resync = await this.#accounts.resyncFor(ctx.paymentPayload.payload);
    if (resync === undefined) return;
    return ctx.requirements.map((r) => (r.scheme === CHEQUE_SCHEME && r.network === this.#accounts.network ? { ...r, extra: { ...r.extra, resync: { ...resync } } } : r));
  }

  /** Adds the trusted factories to the requirement's `extra`. */
  enhancePaymentRequirements(requirements: PaymentRequirements, _kind: SupportedKind, _extensions: string[]): Promise<PaymentRequirements> {
    return Promise.resolve({ ...requirements, extra: { ...requirements.extra, trustedFactories: [...this.#factories] } });
  }
}

/**
 * An `x402ResourceServer` that takes `cheque` payments, verified and charged locally by `accounts` (no remote
 * facilitator). Call `initialize()` on it (or on the HTTP server built on it) before serving.
 *
 * @example const server = chequeResourceServer({ accounts, token, trustedFactories: [factory] })
 */
export function chequeResourceServer(options: ChequeSchemeServerOptions): x402ResourceServer {
  return new x402ResourceServer(options.accounts).register(options.accounts.network, new ChequeSchemeServer(options));
}
