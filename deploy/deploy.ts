/**
 * Deploys the chequebook factory (and a test token where the parameters say "test") to the network Hardhat is
 * connected to, at the same address as on every other chain with the same token, and records it in
 * deploy/deployments/<chainId>.json for the SDK and the CLI.
 *
 *   npx hardhat run deploy/deploy.ts                        the in-process chain (nothing is recorded)
 *   npx hardhat run deploy/deploy.ts --network localhost    a hardhat node or anvil on 127.0.0.1:8545
 *   npx hardhat run deploy/deploy.ts --network sepolia      (and opSepolia, baseSepolia)
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import hre from "hardhat";

import { deployChequebookFactory, recordDeployment } from "./lib.js";

const connection = await hre.network.getOrCreate();
const name = connection.networkName;
const parameters = JSON.parse(
  await readFile(join(import.meta.dirname, "parameters", `${name}.json`), "utf8").catch(() => readFile(join(import.meta.dirname, "parameters", "default.json"), "utf8")),
) as { token: string };
const [signer] = await connection.ethers.getSigners();
if (signer === undefined) throw new Error(`no deployer account for ${name}: set DEPLOYER_PRIVATE_KEY (npx hardhat keystore set DEPLOYER_PRIVATE_KEY)`);
console.log(`deploying from ${signer.address} to ${name}`);
const deployment = await deployChequebookFactory({
  signer,
  network: name,
  token: parameters.token,
  artifacts: { factory: await hre.artifacts.readArtifact("ChequebookFactory"), testToken: await hre.artifacts.readArtifact("TestToken") },
  log: (line) => console.log(line),
});
console.table([{ chainId: deployment.chainId, factory: deployment.factory, token: deployment.token, master: deployment.master }]);
if (connection.networkConfig.type === "edr-simulated") {
  console.log("the in-process chain vanishes with this process: nothing recorded");
} else {
  console.log(`recorded in ${await recordDeployment(deployment)}`);
}
