/**
 * Deterministic deployment of the factory (and, on local chains, a test token) through the CREATE2 deployment
 * proxy at 0x4e59b44847b379578588920ca78fbf26c0b4956c, so the same contracts get the same addresses on every
 * chain: the factory's address depends only on its bytecode and its token.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { AbiCoder, concat, getCreate2Address, id, keccak256, type Provider, type Signer } from "ethers";

/** The deterministic deployment proxy (Arachnid's), present on Ethereum, Sepolia, OP Stack chains and anvil. */
export const CREATE2_PROXY = "0x4e59b44847b379578588920ca78fbf26c0b4956c";
/** Its runtime code: CREATE2(salt = calldata[0:32], initcode = calldata[32:]) and return the 20-byte address. */
const CREATE2_PROXY_RUNTIME = "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

export const FACTORY_SALT = id("swap-chequebook/ChequebookFactory/v1");
export const TEST_TOKEN_SALT = id("swap-chequebook/TestToken/v1");

/** A recorded deployment, as kept in deploy/deployments/<chainId>.json. */
export interface Deployment {
  chainId: string;
  network: string;
  factory: string;
  token: string;
  master: string;
  testToken: boolean;
  deployer: string;
  salt: string;
  deployedAt: string;
}

export interface Artifact {
  abi: readonly unknown[];
  bytecode: string;
}

type RpcProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

/** The code at `address`, asked of the node directly (ethers caches identical requests for a moment). */
async function codeAt(provider: RpcProvider, address: string): Promise<string> {
  return String(await provider.send("eth_getCode", [address, "latest"]));
}

/**
 * Makes sure the CREATE2 proxy is on the chain. On a local development chain (Hardhat or anvil) its code is put in
 * place; elsewhere it must already exist.
 */
export async function ensureCreate2Proxy(provider: RpcProvider): Promise<void> {
  if ((await codeAt(provider, CREATE2_PROXY)) !== "0x") return;
  for (const method of ["hardhat_setCode", "anvil_setCode"]) {
    try {
      await provider.send(method, [CREATE2_PROXY, CREATE2_PROXY_RUNTIME]);
      if ((await codeAt(provider, CREATE2_PROXY)) !== "0x") return;
    } catch {
      // not this kind of development node
    }
  }
  throw new Error(
    `the CREATE2 deployment proxy ${CREATE2_PROXY} is not on this chain; deploy it first with its keyless transaction (see the README)`,
  );
}

/** The address `initcode` gets through the proxy with `salt`. */
export function predictCreate2(salt: string, initcode: string): string {
  return getCreate2Address(CREATE2_PROXY, salt, keccak256(initcode));
}

/** Deploys `initcode` through the proxy unless it is there already; returns its address. */
export async function deployCreate2(signer: Signer, salt: string, initcode: string, log: (line: string) => void = () => undefined): Promise<{ address: string; existed: boolean }> {
  const address = predictCreate2(salt, initcode);
  const provider = signer.provider as RpcProvider;
  if ((await codeAt(provider, address)) !== "0x") {
    log(`  ${address} already deployed`);
    return { address, existed: true };
  }
  const tx = await signer.sendTransaction({ to: CREATE2_PROXY, data: concat([salt, initcode]) });
  log(`  sent ${tx.hash}, waiting for it to be mined...`);
  await tx.wait();
  if ((await codeAt(provider, address)) === "0x") throw new Error(`deployment to ${address} failed (transaction ${tx.hash})`);
  return { address, existed: false };
}

function initcode(artifact: Artifact, types: string[] = [], args: unknown[] = []): string {
  return concat([artifact.bytecode, AbiCoder.defaultAbiCoder().encode(types, args)]);
}

/**
 * Deploys the factory for `token` (or, if `token` is "test", a test token first), deterministically, and returns
 * the deployment to record.
 */
export async function deployChequebookFactory(args: {
  signer: Signer;
  network: string;
  token: string | "test";
  artifacts: { factory: Artifact; testToken: Artifact };
  log?: (line: string) => void;
}): Promise<Deployment> {
  const log = args.log ?? (() => undefined);
  const provider = args.signer.provider as RpcProvider;
  const { chainId } = await provider.getNetwork();
  await ensureCreate2Proxy(provider);
  let token = args.token;
  const testToken = token === "test";
  if (testToken) {
    log("deploying the test token");
    token = (await deployCreate2(args.signer, TEST_TOKEN_SALT, initcode(args.artifacts.testToken), log)).address;
  }
  log("deploying the chequebook factory");
  const factory = await deployCreate2(args.signer, FACTORY_SALT, initcode(args.artifacts.factory, ["address"], [token]), log);
  const master = (await provider.call({ to: factory.address, data: id("master()").slice(0, 10) })).replace(/^0x0{24}/, "0x");
  return {
    chainId: chainId.toString(),
    network: args.network,
    factory: factory.address,
    token,
    master: (await import("ethers")).getAddress(master),
    testToken,
    deployer: CREATE2_PROXY,
    salt: FACTORY_SALT,
    deployedAt: new Date().toISOString(),
  };
}

/** The deployments directory of this repository. */
export const DEPLOYMENTS_DIR = join(import.meta.dirname, "deployments");

/** Records `deployment` as deploy/deployments/<chainId>.json. */
export async function recordDeployment(deployment: Deployment, dir = DEPLOYMENTS_DIR): Promise<string> {
  const path = join(dir, `${deployment.chainId}.json`);
  await writeFile(path, JSON.stringify(deployment, null, 2) + "\n");
  return path;
}

/** The recorded deployment for `chainId`, if any. */
export async function readDeployment(chainId: bigint | string, dir = DEPLOYMENTS_DIR): Promise<Deployment | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `${chainId}.json`), "utf8")) as Deployment;
  } catch {
    return undefined;
  }
}
