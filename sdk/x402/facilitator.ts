/**
 * The facilitator side of the `cheque` scheme on `@x402/core`'s extension point (`SchemeNetworkFacilitator`), so an
 * operator can run a facilitator for it (`x402Facilitator.register(network, new ChequeFacilitator(...))`):
 * - `verify`: the cheque is well-formed, made out to the requirement's payee, from a trusted chequebook in the
 *   token, signed by the issuer, covered under the solvency policy, and what it adds to what the chequebook already
 *   paid the payee covers the price. A facilitator does not see the payee's account: it cannot tell a cheque the
 *   payee already holds from a new one, so a resource server keeps its accounts with {@link ChequeAccounts} and
 *   needs no facilitator per request;
 * - `settle`: cashes the cheque on chain: as a relayer when the payload carries the beneficiary's cash-out
 *   authorisation (`payload.cashout`: `{ authorisation, recipient, callerPayout }`, callerPayout a decimal
 *   string), taking `callerPayout`; else directly, when the facilitator's signer is the beneficiary. It checks
 *   again, serialised per chequebook with the cash-out, that what the cheque adds to what the chequebook has paid
 *   out covers the price: two payments verified together (the second adding less than the price to the first)
 *   are not both settled;
 * - `supported`: the scheme on our chain, with the trusted factories in `extra`.
 */
import type { Signer, Provider } from "ethers";
import type { Network, PaymentPayload, PaymentRequirements, SchemeNetworkFacilitator, SettleResponse, VerifyResponse } from "@x402/core/types";

import { ChequeCasher } from "../beneficiary/cashout.js";
import type { SignedCheque } from "../cheque/cheque.js";
import { ChequeVerifier, type SolvencyOptions, type VerifierLimits } from "../beneficiary/verify.js";
import { ChequeError } from "../errors.js";
import { KeyedMutex } from "../mutex.js";
import type { ChequeStore } from "../store/types.js";
import { toAddress, toUint256 } from "../validate.js";
import { ChequePaymentRefused, priceOf, readChequePayload, refusalOf } from "./payload.js";
import { CHEQUE_SCHEME, eip155Network } from "./types.js";

/** Options of a {@link ChequeFacilitator}. */
export interface ChequeFacilitatorOptions {
  provider: Provider;
  chainId: bigint;
  trustedFactories: readonly string[];
  token: string;
  /** Learnt chequebook facts, and the cheques and cash-outs of `settle`. */
  store: ChequeStore;
  /** Sends cash-outs: the beneficiary itself, or a relayer paid by `callerPayout`. Without it, `settle` refuses. */
  signer?: Signer;
  /** The gas of a cash-out in token units, to refuse unprofitable ones (see {@link ChequeCasher}). Default: free. */
  gasCostInToken?: (costWei: bigint) => bigint | Promise<bigint>;
  solvency?: SolvencyOptions;
  limits?: VerifierLimits;
  /** At most this many payees get a verifier kept in memory. Default 256. */
  maxPayees?: number;
}

/**
 * A facilitator for the `cheque` scheme (see the module comment).
 *
 * @example new x402Facilitator().register(eip155Network(chainId), new ChequeFacilitator({ provider, chainId, trustedFactories, token, store, signer }))
 */
export class ChequeFacilitator implements SchemeNetworkFacilitator {
  readonly scheme = CHEQUE_SCHEME;
  readonly caipFamily = "eip155:*";
  readonly network: Network;
  readonly #o: ChequeFacilitatorOptions;
  readonly #factories: string[];
  readonly #verifiers = new Map<string, ChequeVerifier>();
  readonly #settling = new KeyedMutex();
  #signerAddress: string | undefined;

  constructor(options: ChequeFacilitatorOptions) {
    this.#o = options;
    this.network = eip155Network(options.chainId);
    this.#factories = options.trustedFactories.map((f, i) => toAddress(f, `trustedFactories[${i}]`));
  }

  getExtra(_network: Network): Record<string, unknown> {
    return { trustedFactories: [...this.#factories] };
  }

  getSigners(_network: string): string[] {
    return this.#signerAddress === undefined ? [] : [this.#signerAddress];
  }

  /** Never throws: a refusal is `isValid: false` with a refusal code as `invalidReason`. */
  async verify(payload: PaymentPayload, requirements: PaymentRequirements): Promise<VerifyResponse> {
    try {
      const { cheque, chainId, price } = this.#read(payload, requirements);
      const verified = await this.#verifierFor(requirements.payTo).verify(cheque, { previous: 0n, chainId });
      if (verified.increment < price) {
        throw new ChequePaymentRefused("UNDERPAID", `the cheque adds ${verified.increment} to what the chequebook paid out, less than the price ${price}`);
      }
      return { isValid: true, payer: cheque.chequebook };
    } catch (error) {
      const { code, message } = refusalOf(error);
      return { isValid: false, invalidReason: code, invalidMessage: message };
    }
  }

  /** Cashes the cheque (see the module comment). Never throws: a failure is `success: false` with its code. */
  async settle(payload: PaymentPayload, requirements: PaymentRequirements): Promise<SettleResponse> {
    try {
      const { cheque, chainId, price } = this.#read(payload, requirements);
      const signer = this.#o.signer;
      if (signer === undefined) throw new ChequeError("INVALID_ARGUMENT", "this facilitator has no signer: it verifies only");
      return await this.#settling.run(cheque.chequebook, () => this.#settle(payload, requirements, signer, cheque, chainId, price));
    } catch (error) {
      const { code, message } = refusalOf(error);
      return { success: false, errorReason: code, errorMessage: message, transaction: "", network: this.network };
    }
  }

  async #settle(payload: PaymentPayload, requirements: PaymentRequirements, signer: Signer, cheque: SignedCheque, chainId: bigint, price: bigint): Promise<SettleResponse> {
    const verified = await this.#verifierFor(requirements.payTo).verify(cheque, { previous: 0n, chainId });
    if (verified.increment < price) {
      throw new ChequePaymentRefused("UNDERPAID", `the cheque adds ${verified.increment} to what the chequebook paid out, less than the price ${price}`);
    }
    const casher = new ChequeCasher({ signer, store: this.#o.store, beneficiary: cheque.beneficiary, gasCostInToken: this.#o.gasCostInToken ?? (() => 0n) });
    const relay = (payload.payload as { cashout?: { authorisation?: unknown; recipient?: unknown; callerPayout?: unknown } }).cashout;
    let result;
    if (relay !== undefined) {
      result = await casher.cashOutFor({
        cheque: verified.cheque,
        authorisation: String(relay.authorisation),
        recipient: toAddress(relay.recipient, "cashout.recipient"),
        callerPayout: toUint256(relay.callerPayout, "cashout.callerPayout"),
      });
    } else {
      if (toAddress(await signer.getAddress(), "signer") !== cheque.beneficiary) {
        throw new ChequeError("INVALID_ARGUMENT", "only the beneficiary cashes without a cash-out authorisation");
      }
      const held = await this.#o.store.getReceived(cheque.chequebook, cheque.beneficiary);
      if (held === undefined || held.cheque.cumulativePayout < cheque.cumulativePayout) await this.#o.store.putReceived(verified.cheque);
      result = await casher.cashOut(cheque.chequebook);
    }
    return { success: true, transaction: result.txHash, network: this.network, payer: cheque.chequebook, amount: result.paid.toString(), extra: { bounced: result.bounced, stillOwed: result.stillOwed.toString(), callerPayout: result.callerPayout.toString() } };
  }

  /** Learns the signer's address for `getSigners`; call once after construction if a signer is set. */
  async init(): Promise<this> {
    if (this.#o.signer !== undefined) this.#signerAddress = toAddress(await this.#o.signer.getAddress(), "signer");
    return this;
  }

  #read(payload: PaymentPayload, requirements: PaymentRequirements) {
    const price = priceOf(requirements);
    if (requirements.network !== this.network) throw new ChequeError("WRONG_CHAIN", `the requirement is for ${requirements.network}, this facilitator is on ${this.network}`);
    return { ...readChequePayload(payload.payload), price };
  }

  #verifierFor(payTo: string): ChequeVerifier {
    const payee = toAddress(payTo, "payTo");
    let verifier = this.#verifiers.get(payee);
    if (verifier === undefined) {
      if (this.#verifiers.size >= (this.#o.maxPayees ?? 256)) this.#verifiers.delete(this.#verifiers.keys().next().value!);
      const { provider, chainId, token, store, solvency, limits } = this.#o;
      verifier = new ChequeVerifier({ provider, chainId, beneficiary: payee, trustedFactories: this.#factories, token, store, ...(solvency ? { solvency } : {}), ...(limits ? { limits } : {}) });
      this.#verifiers.set(payee, verifier);
    }
    return verifier;
  }
}
