/**
 * EIP-7702 delegation of a beneficiary's EOA to the {@link https://eips.ethereum.org/EIPS/eip-7702 | batch
 * cash-out delegate}: reading where an account's code points, and pointing it (or clearing it) with a transaction
 * the account sends itself.
 */
import { getAddress, ZeroAddress, type Provider, type Signer, type TransactionReceipt } from "ethers";

import { rpc } from "../chain/contracts.js";
import { sendTransaction, type TxOptions } from "../chain/tx.js";
import { ChequeError } from "../errors.js";
import { toAddress } from "../validate.js";

/** The prefix of a delegated account's code: `0xef0100` then the delegate's 20-byte address. */
const DELEGATION_PREFIX = "0xef0100";

/**
 * The address `account` delegates its code to with EIP-7702, or undefined when it has no code. An account with
 * other code (a contract) is reported as `{ contract: true }`.
 *
 * @throws ChequeError RPC_TIMEOUT, RPC_UNAVAILABLE.
 */
export async function delegationOf(provider: Provider, account: string): Promise<{ delegate?: string; contract: boolean }> {
  const code = (await rpc("reading the account's code", () => provider.getCode(toAddress(account, "account")))).toLowerCase();
  if (code === "0x") return { contract: false };
  if (code.length === 2 + 46 && code.startsWith(DELEGATION_PREFIX)) return { delegate: getAddress(`0x${code.slice(8)}`), contract: false };
  return { contract: true };
}

/**
 * Points `signer`'s account at `delegate` (or clears its code when `delegate` is the zero address) with a type-4
 * transaction it sends itself. The authorisation is signed for the chain and for the nonce after the
 * transaction's own.
 *
 * @param args.signer - a signer holding the key (ethers `Wallet`): a node's account cannot sign authorisations.
 * @returns the receipt.
 * @throws ChequeError BATCH_UNSUPPORTED when the signer cannot sign an authorisation; as {@link sendTransaction}.
 * @example await delegateAccount({ signer: wallet, delegate: cashoutDelegateAddress })
 */
export async function delegateAccount(args: { signer: Signer; delegate: string; tx?: TxOptions }): Promise<TransactionReceipt> {
  const { signer } = args;
  const delegate = args.delegate === ZeroAddress ? ZeroAddress : toAddress(args.delegate, "delegate");
  const provider = signer.provider;
  if (provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
  const from = await signer.getAddress();
  const { chainId } = await rpc("reading the chain id", () => provider.getNetwork());
  const nonce = await rpc("reading the nonce", () => provider.getTransactionCount(from, "pending"));
  let authorization;
  try {
    authorization = await signer.authorize({ address: delegate, nonce: nonce + 1, chainId });
  } catch (error) {
    throw new ChequeError("BATCH_UNSUPPORTED", "this signer cannot sign an EIP-7702 authorisation (use a key, e.g. an ethers Wallet)", { cause: error });
  }
  return sendTransaction(signer, { to: from, type: 4, nonce, authorizationList: [authorization] }, args.tx ?? {});
}
