/**
 * EIP-712 typed data for chequebook messages, exactly as Swarm's ERC20SimpleSwap and Bee sign them: the domain
 * is `EIP712Domain(string name,string version,uint256 chainId)` with name "Chequebook" and version "1.0" (no
 * verifyingContract, no salt), and the chequebook address is a field of each struct.
 *
 * Every builder returns `{ domain, types, primaryType, message }` with no `EIP712Domain` entry in `types`, ready
 * for ethers' `signer.signTypedData(domain, types, message)` and `TypedDataEncoder.hash`.
 */
import type { TypedDataDomain, TypedDataField } from "ethers";

/** The EIP-712 domain name of chequebooks. */
export const CHEQUEBOOK_DOMAIN_NAME = "Chequebook";
/** The EIP-712 domain version of chequebooks. */
export const CHEQUEBOOK_DOMAIN_VERSION = "1.0";

/** The domain fields, for computing the domain typehash. */
export const EIP712_DOMAIN_TYPE: readonly TypedDataField[] = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
];

/** `Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)`, signed by the issuer. */
export const CHEQUE_TYPES = {
  Cheque: [
    { name: "chequebook", type: "address" },
    { name: "beneficiary", type: "address" },
    { name: "cumulativePayout", type: "uint256" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/**
 * `Cashout(address chequebook,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)`,
 * signed by the beneficiary to let `sender` cash its cheque; `requestPayout` is the cheque's cumulative payout.
 */
export const CASHOUT_TYPES = {
  Cashout: [
    { name: "chequebook", type: "address" },
    { name: "sender", type: "address" },
    { name: "requestPayout", type: "uint256" },
    { name: "recipient", type: "address" },
    { name: "callerPayout", type: "uint256" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/**
 * `BeneficiaryCashout(address chequebook,address beneficiary,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)`:
 * the cash-out authorisation a contract (ERC-1271) beneficiary approves. It names the beneficiary, so an approval
 * given by one wallet cannot be used for another identity that accepts the same key. EOA beneficiaries keep
 * signing Swarm's {@link CASHOUT_TYPES}; the chequebook accepts only this type through ERC-1271.
 */
export const BENEFICIARY_CASHOUT_TYPES = {
  BeneficiaryCashout: [
    { name: "chequebook", type: "address" },
    { name: "beneficiary", type: "address" },
    { name: "sender", type: "address" },
    { name: "requestPayout", type: "uint256" },
    { name: "recipient", type: "address" },
    { name: "callerPayout", type: "uint256" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** `CustomDecreaseTimeout(address chequebook,address beneficiary,uint256 decreaseTimeout)`, signed by the beneficiary. */
export const CUSTOM_DECREASE_TIMEOUT_TYPES = {
  CustomDecreaseTimeout: [
    { name: "chequebook", type: "address" },
    { name: "beneficiary", type: "address" },
    { name: "decreaseTimeout", type: "uint256" },
  ],
} as const satisfies Record<string, readonly TypedDataField[]>;

/** A chain id as a number or a bigint. */
export type ChainId = number | bigint;

/** Typed data ready for signing: `signer.signTypedData(domain, types, message)`. */
export interface TypedData<P extends string, M> {
  domain: TypedDataDomain;
  types: Record<P, TypedDataField[]>;
  primaryType: P;
  message: M;
}

/** The fields of a cheque. */
export interface ChequeMessage {
  chequebook: string;
  beneficiary: string;
  cumulativePayout: bigint;
}

/** The fields of a cash-out authorisation. */
export interface CashoutMessage {
  chequebook: string;
  sender: string;
  requestPayout: bigint;
  recipient: string;
  callerPayout: bigint;
}

/** The fields of a contract beneficiary's cash-out authorisation: a {@link CashoutMessage} naming its beneficiary. */
export interface BeneficiaryCashoutMessage extends CashoutMessage {
  beneficiary: string;
}

/** The fields of a custom decrease-timeout authorisation. */
export interface CustomDecreaseTimeoutMessage {
  chequebook: string;
  beneficiary: string;
  decreaseTimeout: bigint;
}

/**
 * The chequebook EIP-712 domain for a chain.
 *
 * @param chainId - the chain the chequebook lives on.
 * @returns `{ name: "Chequebook", version: "1.0", chainId }`.
 * @example getChequebookDomain(11155111n)
 */
export function getChequebookDomain(chainId: ChainId): TypedDataDomain {
  return { name: CHEQUEBOOK_DOMAIN_NAME, version: CHEQUEBOOK_DOMAIN_VERSION, chainId: BigInt(chainId) };
}

function copyTypes<P extends string>(types: Record<P, readonly TypedDataField[]>): Record<P, TypedDataField[]> {
  const out = {} as Record<P, TypedDataField[]>;
  for (const key of Object.keys(types) as P[]) out[key] = types[key].map((field) => ({ ...field }));
  return out;
}

/**
 * Typed data of a cheque.
 *
 * @param args.chequebook - the chequebook the cheque is drawn on.
 * @param args.beneficiary - who is paid.
 * @param args.cumulativePayout - the total promised to the beneficiary so far.
 * @param args.chainId - the chequebook's chain.
 * @returns `{ domain, types, primaryType: "Cheque", message }`.
 * @example await signer.signTypedData(...Object.values(getChequeTypedData({ ... })))
 */
export function getChequeTypedData(args: ChequeMessage & { chainId: ChainId }): TypedData<"Cheque", ChequeMessage> {
  return {
    domain: getChequebookDomain(args.chainId),
    types: copyTypes(CHEQUE_TYPES),
    primaryType: "Cheque",
    message: {
      chequebook: args.chequebook,
      beneficiary: args.beneficiary,
      cumulativePayout: BigInt(args.cumulativePayout),
    },
  };
}

/**
 * Typed data of a cash-out authorisation.
 *
 * @param args.sender - the address that will call `cashCheque`.
 * @param args.requestPayout - the cumulative payout of the cheque to cash.
 * @param args.recipient - where the payout (less the caller's fee) goes.
 * @param args.callerPayout - the caller's fee.
 * @returns `{ domain, types, primaryType: "Cashout", message }`.
 */
export function getCashoutTypedData(
  args: CashoutMessage & { chainId: ChainId },
): TypedData<"Cashout", CashoutMessage> {
  return {
    domain: getChequebookDomain(args.chainId),
    types: copyTypes(CASHOUT_TYPES),
    primaryType: "Cashout",
    message: {
      chequebook: args.chequebook,
      sender: args.sender,
      requestPayout: BigInt(args.requestPayout),
      recipient: args.recipient,
      callerPayout: BigInt(args.callerPayout),
    },
  };
}

/**
 * Typed data of the cash-out authorisation of a contract (ERC-1271) beneficiary: Swarm's Cashout plus the
 * beneficiary it is for.
 *
 * @returns `{ domain, types, primaryType: "BeneficiaryCashout", message }`.
 */
export function getBeneficiaryCashoutTypedData(
  args: BeneficiaryCashoutMessage & { chainId: ChainId },
): TypedData<"BeneficiaryCashout", BeneficiaryCashoutMessage> {
  return {
    domain: getChequebookDomain(args.chainId),
    types: copyTypes(BENEFICIARY_CASHOUT_TYPES),
    primaryType: "BeneficiaryCashout",
    message: {
      chequebook: args.chequebook,
      beneficiary: args.beneficiary,
      sender: args.sender,
      requestPayout: BigInt(args.requestPayout),
      recipient: args.recipient,
      callerPayout: BigInt(args.callerPayout),
    },
  };
}

/**
 * Typed data of a custom hard-deposit decrease timeout authorisation.
 *
 * @param args.decreaseTimeout - the timeout in seconds.
 * @returns `{ domain, types, primaryType: "CustomDecreaseTimeout", message }`.
 */
export function getCustomDecreaseTimeoutTypedData(
  args: CustomDecreaseTimeoutMessage & { chainId: ChainId },
): TypedData<"CustomDecreaseTimeout", CustomDecreaseTimeoutMessage> {
  return {
    domain: getChequebookDomain(args.chainId),
    types: copyTypes(CUSTOM_DECREASE_TIMEOUT_TYPES),
    primaryType: "CustomDecreaseTimeout",
    message: {
      chequebook: args.chequebook,
      beneficiary: args.beneficiary,
      decreaseTimeout: BigInt(args.decreaseTimeout),
    },
  };
}
