/**
 * Reading a `cheque` payment payload at the boundary: bounded, typed, and mapped to our own vocabulary of refusal
 * codes before anything a client names reaches a response or a log.
 */
import type { PaymentRequirements } from "@x402/core/types";

import type { SignedCheque } from "../cheque/cheque.js";
import { chequeFromJson, type ChequeJson } from "../cheque/wire.js";
import { ChequeError, ChequeErrorCode, isChequeError } from "../errors.js";
import { toUint256 } from "../validate.js";
import { CHEQUE_SCHEME } from "./types.js";

/**
 * Why a `cheque` payment was refused: a {@link ChequeErrorCode}, `UNDERPAID` (the cheque and the payer's credit do
 * not cover the price), or `INTERNAL` (anything else: we failed, not the client). Sent as the 402's `error`.
 */
export type ChequeRefusalCode = ChequeErrorCode | "UNDERPAID" | "INTERNAL";

/** A refusal of a payment, with its {@link ChequeRefusalCode}. */
export class ChequePaymentRefused extends Error {
  override readonly name = "ChequePaymentRefused";
  constructor(
    readonly code: ChequeRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps anything thrown while verifying to our finite vocabulary. */
export function refusalOf(error: unknown): { code: ChequeRefusalCode; message: string } {
  if (error instanceof ChequePaymentRefused) return { code: error.code, message: error.message };
  if (isChequeError(error) && Object.hasOwn(ChequeErrorCode, error.code)) return { code: error.code, message: error.message };
  return { code: "INTERNAL", message: "the payment could not be checked" };
}

/**
 * The cheque and chain id of a payload's `payload` field.
 *
 * @throws ChequeError MALFORMED_WIRE if it is not a `cheque` payload; MALFORMED_CHEQUE for bad fields.
 */
export function readChequePayload(payload: unknown): { cheque: SignedCheque; chainId: bigint } {
  if (typeof payload !== "object" || payload === null) throw new ChequeError("MALFORMED_WIRE", "cheque payload: expected an object");
  const { cheque, chainId } = payload as { cheque?: unknown; chainId?: unknown };
  if (typeof chainId !== "string" || !/^[0-9]{1,20}$/.test(chainId)) throw new ChequeError("MALFORMED_WIRE", "cheque payload: chainId must be a decimal string");
  return { cheque: chequeFromJson(cheque as ChequeJson), chainId: BigInt(chainId) };
}

/**
 * The price of a `cheque` requirement, in token base units.
 *
 * @throws ChequeError INVALID_ARGUMENT for another scheme or a malformed amount.
 */
export function priceOf(requirements: Pick<PaymentRequirements, "scheme" | "amount">): bigint {
  if (requirements.scheme !== CHEQUE_SCHEME) throw new ChequeError("INVALID_ARGUMENT", `not a ${CHEQUE_SCHEME} requirement: ${requirements.scheme}`);
  if (typeof requirements.amount !== "string" || !/^[0-9]{1,78}$/.test(requirements.amount)) {
    throw new ChequeError("INVALID_ARGUMENT", "the amount must be a decimal string of token base units");
  }
  return toUint256(BigInt(requirements.amount), "amount", { positive: true });
}
