/**
 * The in-process chain the benches share: a test token, a factory, an issuer key, and chequebooks funded on
 * demand; and the hard phase of the libp2p bench on it (each node pays from its own chequebook and verifies the
 * other's cheques).
 */
import { Wallet } from "ethers";
import type hre from "hardhat";

import { ChequeReceiver, ChequeVerifier, ChequebookIssuer, MemoryChequeStore, type HardPhaseOptions } from "../../sdk/index.js";

type Ethers = Awaited<ReturnType<typeof hre.network.getOrCreate>>["ethers"];

/** Deploys the token and the factory; `newChequebook` deploys and funds one chequebook for `issuer`. */
export async function benchChain(ethers: Ethers) {
  const [deployer, , beneficiarySigner] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const factoryAddress = await factory.getAddress();
  const tokenAddress = await token.getAddress();
  const issuerKey = Wallet.createRandom();
  const beneficiary = beneficiarySigner!.address;
  async function newChequebook(salt: string, issuer = issuerKey.address): Promise<string> {
    const f = factory.connect(deployer!);
    const address = await f.deploySimpleSwap.staticCall(issuer, 86_400n, salt);
    await (await f.deploySimpleSwap(issuer, 86_400n, salt)).wait();
    await token.mint(address, 10n ** 30n);
    return address;
  }
  return { ethers, chainId, token, factory, factoryAddress, tokenAddress, issuerKey, beneficiary, newChequebook };
}

/** The `hard` factory of {@link measureLibp2pOverhead}: both nodes' chequebooks, issuers, verifiers and stores. */
export function libp2pHardPhase(chain: Awaited<ReturnType<typeof benchChain>>) {
  const { ethers, chainId, factoryAddress, tokenAddress, issuerKey, beneficiary, newChequebook } = chain;
  return async () => {
    const tokenPerUnit = 10n ** 12n;
    const side = async (key: ReturnType<typeof Wallet.createRandom>, book: string, beneficiaryAddress: string): Promise<HardPhaseOptions> => {
      const store = new MemoryChequeStore();
      const verifier = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary: beneficiaryAddress, trustedFactories: [factoryAddress], token: tokenAddress, store });
      const issuer = await ChequebookIssuer.connect({ signer: key.connect(ethers.provider), chequebook: book, store });
      return { issuer, receiver: new ChequeReceiver({ verifier, store }), verifier, store, token: tokenAddress };
    };
    const serverKey = Wallet.createRandom();
    const serverBook = await newChequebook(ethers.id("bench libp2p server"), serverKey.address);
    const clientBook = await newChequebook(ethers.id("bench libp2p client"));
    return { client: await side(issuerKey, clientBook, issuerKey.address), server: await side(serverKey, serverBook, beneficiary), tokenPerUnit };
  };
}
