/**
 * Starts a real JSON-RPC node (`hardhat node`) as a child process on 127.0.0.1 and stops it.
 */
import { spawn, type ChildProcess } from "node:child_process";
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
