/**
 * The x402 example, server and client against each other on 127.0.0.1 and the embedded chain:
 *
 *   npm run example:x402
 *
 * Deploys a token, a factory and a funded chequebook, starts the Express API (./x402-server.ts), pays five calls
 * with the client (./x402-client.ts), one of them failing (not charged), and prints what each call answered and
 * what the server charged. Exits non-zero if the server charged anything but the calls that succeeded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { network } from "hardhat";

import { runExampleClient } from "./x402-client.js";
import { startExampleServer } from "./x402-server.js";

const { ethers } = await network.getOrCreate();
const [deployer, issuer, payee] = await ethers.getSigners();
if (!deployer || !issuer || !payee) throw new Error("the embedded chain has too few accounts");
const { chainId } = await ethers.provider.getNetwork();
const price = 10n ** 13n;
const dir = await mkdtemp(join(tmpdir(), "x402-example-"));
try {
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const [tokenAddress, factoryAddress] = [await token.getAddress(), await factory.getAddress()];
  const chequebook = await factory.getFunction("deploySimpleSwap").staticCall(issuer.address, 86_400n, ethers.ZeroHash);
  await (await factory.getFunction("deploySimpleSwap")(issuer.address, 86_400n, ethers.ZeroHash)).wait();
  await (await token.getFunction("mint")(chequebook, 10n ** 16n)).wait();

  const server = await startExampleServer({ provider: ethers.provider, chainId, payee: payee.address, token: tokenAddress, factory: factoryAddress, price, dbPath: join(dir, "payee.db") });
  try {
    const { calls } = await runExampleClient({ signer: issuer, chequebook, chainId, token: tokenAddress, factory: factoryAddress, provider: ethers.provider }, server.url, ["Zurich", "Lagos", "atlantis", "Lima", "Osaka"]);
    for (const c of calls) console.log(`${c.city}: ${c.status} ${JSON.stringify(c.body)}${c.charged === undefined ? " (not charged)" : ` (charged so far ${c.charged})`}`);
    const account = await server.accounts.account(chequebook);
    const succeeded = BigInt(calls.filter((c) => c.status === 200).length);
    console.log(`server: holds a cheque of ${account.held}, charged ${account.charged} for ${succeeded} calls at ${price}`);
    if (account.charged !== succeeded * price) throw new Error("the server charged something else than the calls that succeeded");
  } finally {
    await server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
