/**
 * EIP-2612 permits, so a deposit takes one transaction when the token supports them.
 */
import { Signature, type Signer } from "ethers";

import { erc20At } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";

/**
 * Signs a permit letting `spender` take `value` of `owner`'s `token`, valid for an hour.
 *
 * @returns the deadline and the split signature, for `depositWithPermit`.
 * @throws if the token has no `nonces` or `eip712Domain` (no EIP-2612): callers fall back to approve.
 */
export async function signPermit(args: { signer: Signer; token: string; owner: string; spender: string; value: bigint }) {
  const provider = args.signer.provider;
  if (provider === null) throw new ChequeError("INVALID_ARGUMENT", "the signer must be connected to a provider");
  const token = erc20At(args.token, provider);
  const [nonce, domain] = await Promise.all([
    token.getFunction("nonces")(args.owner) as Promise<bigint>,
    token.getFunction("eip712Domain")() as Promise<[string, string, string, bigint, string]>,
  ]);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const signature = await args.signer.signTypedData(
    { name: domain[1], version: domain[2], chainId: domain[3], verifyingContract: domain[4] },
    {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    { owner: args.owner, spender: args.spender, value: args.value, nonce, deadline },
  );
  const { v, r, s } = Signature.from(signature);
  return { deadline, v, r, s };
}
