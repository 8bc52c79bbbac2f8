/**
 * Crash safety: a child process receives and issues cheques against a real node and is killed (SIGKILL) at random
 * points. After each kill the SQLite file must hold every cheque the child reported accepted or issued, and over
 * all runs no cheque may be issued twice: the amounts issued to each payee only ever go up.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager, Wallet, type Signer } from "ethers";

import { SqliteChequeStore } from "../../sdk/index.js";
import { deployArtifact, mint, startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";

const RUNS = 5;

async function chequebookFor(factory: string, issuer: string, signer: Signer): Promise<string> {
  const f = new Contract(factory, ["function deploySimpleSwap(address,uint256,bytes32) returns (address)", "function predictSimpleSwapAddress(address,address,uint256,bytes32) view returns (address)"], signer);
  const address = (await f.getFunction("predictSimpleSwapAddress")(await signer.getAddress(), issuer, 86_400n, issuer.padEnd(66, "0").slice(0, 66))) as string;
  await (await f.getFunction("deploySimpleSwap")(issuer, 86_400n, issuer.padEnd(66, "0").slice(0, 66))).wait();
  return address;
}

/** Runs the worker until it has printed at least `minLines` lines, then kills it after a random delay. */
function runAndKill(config: object, minLines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("test", "sdk", "crash-worker.ts"), JSON.stringify(config)], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let scheduled = false;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (!scheduled && out.split("\n").length > minLines) {
        scheduled = true;
        setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * 400));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("exit", (code, signal) => {
      clearTimeout(guard);
      if (signal !== "SIGKILL") return reject(new Error(`worker exited by itself (${code}):\n${err}`));
      const lines = out.split("\n");
      lines.pop(); // a line cut by the kill is not a report
      resolve(lines);
    });
  });
}

describe("SDK crash safety", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-crash-"));
  });
  after(async function () {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no accepted cheque and never issues one twice, across random kills", async function () {
    const provider = new JsonRpcProvider(node.url);
    const deployer = new NonceManager(node.wallet(0, provider));
    const peerKey = node.wallet(1, provider);
    const me = node.wallet(2, provider);
    const { chainId } = await provider.getNetwork();
    const token = await deployArtifact("TestToken", [], deployer);
    const factory = await deployArtifact("ChequebookFactory", [token], deployer);
    const peerChequebook = await chequebookFor(factory, peerKey.address, deployer);
    const myChequebook = await chequebookFor(factory, me.address, deployer);
    await mint(token, deployer, peerChequebook, 10n ** 24n);
    await mint(token, deployer, myChequebook, 10n ** 24n);
    const payees = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];
    const db = join(dir, "node.db");
    const config = { url: node.url, chainId: chainId.toString(), db, factory, token, peerKey: peerKey.privateKey, peerChequebook, myKey: me.privateKey, myChequebook, payees };

    const received: bigint[] = [];
    const issued = new Map<string, Array<{ amount: bigint; signature: string }>>(payees.map((p) => [p, []]));
    for (let run = 0; run < RUNS; run++) {
      const lines = await runAndKill(config, 6 + Math.floor(Math.random() * 20));
      for (const l of lines) {
        const [kind, a, b, c] = l.split(" ");
        if (kind === "R") received.push(BigInt(a!));
        else if (kind === "I") issued.get(a!)!.push({ amount: BigInt(b!), signature: c! });
      }
      // Everything reported before the kill is in the database.
      const store = SqliteChequeStore.open(db);
      const held = (await store.getReceived(peerChequebook, me.address))?.cheque.cumulativePayout ?? 0n;
      expect(held >= (received.at(-1) ?? 0n), `run ${run}: accepted cheque ${received.at(-1)} lost (held ${held})`).to.equal(true);
      for (const [payee, list] of issued) {
        const last = list.at(-1);
        if (last === undefined) continue;
        const stored = (await store.getIssued(myChequebook, payee))!.cheque;
        expect(stored.cumulativePayout >= last.amount, `run ${run}: issued cheque ${last.amount} to ${payee} lost`).to.equal(true);
        if (stored.cumulativePayout === last.amount) expect(stored.signature).to.equal(last.signature);
      }
      await store.close();
    }

    expect(received.length, "the worker made progress").to.be.greaterThan(RUNS * 3);
    // Accepted cheques only go up; issued amounts per payee only go up: nothing was issued twice.
    for (let i = 1; i < received.length; i++) expect(received[i]! > received[i - 1]!).to.equal(true);
    for (const list of issued.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i]!.amount > list[i - 1]!.amount, "a cheque was issued twice").to.equal(true);
    }
    provider.destroy();
  });
});
