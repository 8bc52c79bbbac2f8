/** Setup shared by the batch tests that run against a node in its own process (anvil, `hardhat node`). */
import { Contract, type Signer } from "ethers";

import { deployArtifact, mint } from "../../scripts/lib/local-node.js";

/**
 * Deploys a token, a factory and the cash-out delegate with `deployer`, then `count` chequebooks of `issuer`
 * (salts 1..count, a day's decrease timeout), each funded with `funding` tokens.
 */
export async function deployBooks(args: { deployer: Signer; issuer: string; count: number; funding: bigint }) {
  const { deployer, issuer } = args;
  const token = await deployArtifact("TestToken", [], deployer);
  const factoryAddress = await deployArtifact("ChequebookFactory", [token], deployer);
  const delegate = await deployArtifact("CashoutDelegate", [], deployer);
  const factory = new Contract(factoryAddress, ["function deploySimpleSwap(address issuer, uint256 timeout, bytes32 salt) returns (address)"], deployer);
  const books: string[] = [];
  for (let i = 1; i <= args.count; i++) {
    const salt = `0x${i.toString(16).padStart(64, "0")}`;
    const address = (await factory.getFunction("deploySimpleSwap").staticCall(issuer, 86_400n, salt)) as string;
    await (await factory.getFunction("deploySimpleSwap")(issuer, 86_400n, salt)).wait();
    await mint(token, deployer, address, args.funding);
    books.push(address);
  }
  return { token, factory: factoryAddress, delegate, books };
}
