/**
 * Whether a cheque's signature is its chequebook's issuer's, as the chequebook itself would decide: ECDSA first (the
 * issuer's key; local, and such a signature cannot be revoked), then, for a contract issuer (ERC-1271, a Safe), a
 * cash-out of the cheque simulated with `eth_call` within a gas cap, so that the chequebook asks the wallet and reads
 * its answer with its own code. Shared by the verifier (a payee) and the x402 client (a payer checking a cheque a
 * server says it holds from it).
 */
import type { Provider } from "ethers";

import { chequebookInterface, toChequeError } from "../chain/contracts.js";
import { validateCheque } from "../cheque/cheque.js";
import { chequeDigestBytes, hexToBytes, recoverAddressLower } from "../cheque/crypto.js";
import type { ChainId } from "../cheque/typed-data.js";
import { toAddress } from "../validate.js";

/** Reverts of a simulated cash-out that come after the chequebook checked the signature: the signature held. */
const AFTER_SIGNATURE_CHECK = new Set(["ChequebookChequeAlreadyCashed", "ChequebookNoLiquidity"]);

/** The default gas an ERC-1271 check may use (the simulated cash-out, the wallet's `isValidSignature` included). */
export const DEFAULT_ERC1271_GAS_LIMIT = 300_000n;

/**
 * Whether the chequebook takes `cheque`'s signature: a cash-out of it simulated from its beneficiary, within
 * `gasLimit`. A revert after the signature check (already cashed, nothing liquid) still proves the signature; any
 * other failure refuses it.
 *
 * @throws ChequeError RPC_UNAVAILABLE if the node cannot be reached (an outage, not a refusal).
 */
export async function chequebookAcceptsSignature(args: { provider: Provider; cheque: { chequebook: string; beneficiary: string; cumulativePayout: bigint; signature: string }; gasLimit?: bigint }): Promise<boolean> {
  const { provider, cheque: c } = args;
  const data = chequebookInterface.encodeFunctionData("cashChequeBeneficiary", [c.beneficiary, c.cumulativePayout, c.signature]);
  try {
    await provider.call({ from: c.beneficiary, to: c.chequebook, data, gasLimit: args.gasLimit ?? DEFAULT_ERC1271_GAS_LIMIT });
    return true;
  } catch (error) {
    const e = toChequeError(error, "simulating a cash-out of the cheque");
    if (e.code === "RPC_UNAVAILABLE") throw e;
    return e.code === "CONTRACT_REVERT" && AFTER_SIGNATURE_CHECK.has(String(e.details.errorName));
  }
}

/** How a cheque's signature holds: by the issuer's key (`"key"`, irrevocable) or through ERC-1271 (`"erc1271"`). */
export type ChequeSignatureKind = "key" | "erc1271";

/**
 * Checks that `cheque` is signed for `chainId` by `issuer`'s key, or, if no key matches and a `provider` is given,
 * that its chequebook accepts the signature through ERC-1271 (see {@link chequebookAcceptsSignature}).
 *
 * @returns how the signature holds, or `undefined` if it does not.
 * @throws ChequeError MALFORMED_CHEQUE for a malformed cheque; RPC_UNAVAILABLE if the node cannot be reached.
 * @example if ((await checkChequeSignature({ cheque, chainId, issuer: wallet, provider })) === undefined) refuse()
 */
export async function checkChequeSignature(args: { cheque: unknown; chainId: ChainId; issuer: string; provider?: Provider; gasLimit?: bigint }): Promise<ChequeSignatureKind | undefined> {
  const c = validateCheque(args.cheque);
  const digest = chequeDigestBytes(c.chequebook, c.beneficiary, c.cumulativePayout, BigInt(args.chainId));
  if (recoverAddressLower(digest, hexToBytes(c.signature)) === toAddress(args.issuer, "issuer").toLowerCase()) return "key";
  if (args.provider === undefined) return undefined;
  const accepted = await chequebookAcceptsSignature({ provider: args.provider, cheque: c, ...(args.gasLimit === undefined ? {} : { gasLimit: args.gasLimit }) });
  return accepted ? "erc1271" : undefined;
}
