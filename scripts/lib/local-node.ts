/**
 * Starts a real JSON-RPC node (`hardhat node`) as a child process on 127.0.0.1 and stops it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { access } from "node:fs/promises";
import { promisify } from "node:util";
import { createServer } from "node:net";
import { join } from "node:path";

import { Contract, ContractFactory, HDNodeWallet, JsonRpcProvider, Mnemonic, type Signer } from "ethers";
import { artifacts } from "hardhat";

/** Hardhat's CLI (its package does not export the path, so it is found from the project root). */
const HARDHAT_CLI = join(process.cwd(), "node_modules", "hardhat", "dist", "src", "cli.js");
/** The development accounts every Hardhat node funds. */
const MNEMONIC = "test test test test test test test test test test test junk";

export interface LocalNode {
  url: string;
  stop(): Promise<void>;
  /** A funded development wallet, connected to `provider`. */
  wallet(index: number, provider: JsonRpcProvider): HDNodeWallet;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startHardhatNode(timeoutMs = 60_000): Promise<LocalNode> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Started HTTP and WebSocket JSON-RPC server")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.removeAllListeners("data");
  child.stdout!.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    wallet: (index, provider) => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${index}`).connect(provider),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** Deploys a compiled contract of this project to an external node; returns its address. */
export async function deployArtifact(name: string, args: unknown[], signer: Signer): Promise<string> {
  const artifact = await artifacts.readArtifact(name);
  const contract = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract.getAddress();
}

/** Mints test tokens (TestToken lets anyone mint). */
export async function mint(token: string, signer: Signer, to: string, amount: bigint): Promise<void> {
  await (await new Contract(token, ["function mint(address to, uint256 amount)"], signer).getFunction("mint")(to, amount)).wait();
}

const ANVIL_VERSION = "1.7.1";
const ANVIL_PREFIX = join(process.cwd(), ".tools", "anvil");
const ANVIL_BIN = join(ANVIL_PREFIX, "node_modules", ".bin", "anvil");

/**
 * Installs the pinned anvil (npm `@foundry-rs/anvil`) into .tools/anvil when it is not there. It lives outside
 * the project's lockfile: the registry these machines use serves its binary for Linux x64 only, which a
 * cross-platform lockfile cannot pin.
 */
export async function ensureAnvil(): Promise<string> {
  try {
    await access(ANVIL_BIN);
  } catch {
    await promisify(execFile)("npm", ["install", "--prefix", ANVIL_PREFIX, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `@foundry-rs/anvil@${ANVIL_VERSION}`]);
  }
  return ANVIL_BIN;
}

/** Starts anvil on 127.0.0.1 (the same development accounts as Hardhat's) and stops it. */
export async function startAnvil(timeoutMs = 60_000): Promise<LocalNode> {
  const bin = await ensureAnvil();
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ["--host", "127.0.0.1", "--port", String(port), "--mnemonic", MNEMONIC], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    wallet: (index, provider) => HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${index}`).connect(provider),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
