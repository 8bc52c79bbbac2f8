/**
 * Fixtures: a token, a factory and chequebooks for an EOA issuer and for an ERC-1271 wallet issuer.
 */
import type { Signer } from "ethers";

import { ethers } from "./setup.js";

export const DEFAULT_TIMEOUT = 86_400n; // one day
export const UNIT = 10n ** 16n; // one token with 16 decimals

export async function deployChequebook(
  factory: Awaited<ReturnType<typeof deployBase>>["factory"],
  deployer: Signer,
  issuer: string,
  timeout = DEFAULT_TIMEOUT,
  salt = ethers.ZeroHash,
) {
  const factoryAsDeployer = factory.connect(deployer);
  const address = await factoryAsDeployer.deploySimpleSwap.staticCall(issuer, timeout, salt);
  await (await factoryAsDeployer.deploySimpleSwap(issuer, timeout, salt)).wait();
  return ethers.getContractAt("Chequebook", address);
}

export async function deployBase() {
  const [deployer, issuer, beneficiary, caller, recipient, other] = await ethers.getSigners();
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const { chainId } = await ethers.provider.getNetwork();
  return { deployer, issuer, beneficiary, caller, recipient, other, token, factory, chainId };
}

/** A chequebook of an EOA issuer holding 1,000 tokens. */
export async function fundedChequebookFixture() {
  const base = await deployBase();
  const chequebook = await deployChequebook(base.factory, base.issuer, base.issuer.address);
  await base.token.mint(await chequebook.getAddress(), 1000n * UNIT);
  return { ...base, chequebook, address: await chequebook.getAddress() };
}
