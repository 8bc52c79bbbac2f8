/**
 * The hard phase of the libp2p bench alone (what `npm run bench` reports as `libp2pSwapOverheadPercentHard`), on
 * the same in-process chain, chequebooks and flow, for profiling:
 *   npx hardhat compile && node --cpu-prof --import tsx scripts/bench-libp2p-hard.ts [rounds]
 * Prints the hard-phase figures as JSON.
 */
import { Wallet } from "ethers";
import hre from "hardhat";

import { ChequeReceiver, ChequeVerifier, ChequebookIssuer, MemoryChequeStore, cryptoBackend, type HardPhaseOptions } from "../sdk/index.js";
import { measureLibp2pOverhead } from "./lib/libp2p-bench.js";

const { ethers } = await hre.network.getOrCreate();
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

// As scripts/bench.ts builds it: each node pays from its own chequebook and verifies the other's cheques.
const hard = async () => {
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

const rounds = Number(process.argv[2] ?? 11);
const o = await measureLibp2pOverhead({ hard, hardOnly: process.env.BOTH !== "1", rounds });
console.log(JSON.stringify({ crypto: cryptoBackend(), rounds, ...o.hard }));
if (process.env.BOTH === "1") console.log(JSON.stringify({ mockPlain: o.plainPerSec, mock: o.swap, serial: o.serial }));
