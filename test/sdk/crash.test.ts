/**
 * Crash safety: a child process works against a real node and is killed (SIGKILL) at random points.
 *
 * - Receiving and issuing: after each kill the SQLite file holds every cheque the child reported accepted or
 *   issued, and over all runs no cheque is issued twice (the amounts issued to each payee only go up).
 * - Cashing out, killed right after a send: after a restart every payment is recorded once, confirmed, with what
 *   the chain paid; no transaction is left pending and none was sent twice (the account's nonce equals the
 *   number of recorded cash-outs, and none failed on-chain).
 * - Deploying, killed right after a send: a restart resumes; every chequebook exists and was deployed by exactly
 *   one transaction.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager, Wallet, toBeHex, zeroPadValue, type Signer } from "ethers";

import { ChequebookIssuer, SqliteChequeStore } from "../../sdk/index.js";
import { deployArtifact, mint, startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";
import type { WorkerConfig } from "./crash-worker.js";

const RUNS = 5;

async function chequebookFor(factory: string, issuer: string, signer: Signer): Promise<string> {
  const f = new Contract(factory, ["function deploySimpleSwap(address,uint256,bytes32) returns (address)", "function predictSimpleSwapAddress(address,address,uint256,bytes32) view returns (address)"], signer);
  const address = (await f.getFunction("predictSimpleSwapAddress")(await signer.getAddress(), issuer, 86_400n, issuer.padEnd(66, "0").slice(0, 66))) as string;
  await (await f.getFunction("deploySimpleSwap")(issuer, 86_400n, issuer.padEnd(66, "0").slice(0, 66))).wait();
  return address;
}

/** Runs the worker until `killWhen` says so of its output, then kills it after a random delay below `maxDelayMs`. */
function runAndKill(config: WorkerConfig, killWhen: (lines: string[]) => boolean, maxDelayMs: number): Promise<string[]> {
  return run(config, { killWhen, maxDelayMs });
}

/** Runs the worker to its end (a recovery-only run); it must exit by itself with 0. */
function runToEnd(config: WorkerConfig): Promise<string[]> {
  return run(config, {});
}

function run(config: WorkerConfig, kill: { killWhen?: (lines: string[]) => boolean; maxDelayMs?: number }): Promise<string[]> {
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
      if (!scheduled && kill.killWhen?.(out.split("\n").slice(0, -1)) === true) {
        scheduled = true;
        setTimeout(() => child.kill("SIGKILL"), Math.floor(Math.random() * (kill.maxDelayMs ?? 0)));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("exit", (code, signal) => {
      clearTimeout(guard);
      if (kill.killWhen === undefined) {
        if (code !== 0) return reject(new Error(`worker failed (${code ?? signal}):\n${err}`));
        return resolve(out.split("\n").slice(0, -1));
      }
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
  let provider: JsonRpcProvider;
  let base: Omit<WorkerConfig, "mode" | "db">;

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-crash-"));
    provider = new JsonRpcProvider(node.url);
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
    base = { url: node.url, chainId: chainId.toString(), factory, token, peerKey: peerKey.privateKey, peerChequebook, myKey: me.privateKey, myChequebook, payees };
  });
  after(async function () {
    provider?.destroy();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no accepted cheque and never issues one twice, across random kills", async function () {
    const { peerChequebook, myChequebook, payees } = base;
    const me = new Wallet(base.myKey);
    const db = join(dir, "node.db");
    const config: WorkerConfig = { ...base, mode: "cheques", db };

    const received: bigint[] = [];
    const issued = new Map<string, Array<{ amount: bigint; signature: string }>>(payees.map((p) => [p, []]));
    for (let run = 0; run < RUNS; run++) {
      const minLines = 6 + Math.floor(Math.random() * 20);
      const lines = await runAndKill(config, (l) => l.length >= minLines, 400);
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
  });

  it("records every cash-out once and never sends one twice, killed right after sending", async function () {
    const me = node.wallet(3, provider);
    const db = join(dir, "cashout.db");
    const config: WorkerConfig = { ...base, mode: "cashout", db, myKey: me.privateKey };
    const cashed: string[] = [];
    const sent: string[] = [];
    for (let runNo = 0; runNo < RUNS; runNo++) {
      const after = 1 + Math.floor(Math.random() * 3); // killed after its 1st, 2nd or 3rd send
      const lines = await runAndKill(config, (l) => l.filter((x) => x.startsWith("S ")).length >= after, 40);
      for (const l of lines) {
        const [kind, hash] = l.split(" ");
        if (kind === "S") sent.push(hash!);
        if (kind === "C") cashed.push(hash!);
      }
    }
    await runToEnd({ ...config, recoverOnly: true });

    const store = SqliteChequeStore.open(db);
    try {
      const records = await store.listCashouts(base.peerChequebook);
      expect(records.filter((r) => r.status === "pending"), "cash-outs left pending after a restart").to.deep.equal([]);
      expect(await store.listPendingTx(), "pending transactions leaked").to.deep.equal([]);
      expect(records.filter((r) => r.status === "failed"), "a cash-out failed on-chain: sent twice?").to.deep.equal([]);
      const confirmed = records.filter((r) => r.status === "confirmed");
      const hashes = confirmed.map((r) => r.txHash!.toLowerCase());
      expect(new Set(hashes).size, "a payment recorded twice").to.equal(hashes.length);
      // Every transaction the account sent is one recorded cash-out: nothing was sent twice, nothing is unrecorded.
      expect(await provider.getTransactionCount(me.address, "latest")).to.equal(confirmed.length);
      const token = new Contract(base.token, ["function balanceOf(address) view returns (uint256)"], provider);
      expect(await token.getFunction("balanceOf")(me.address)).to.equal(confirmed.reduce((sum, r) => sum + r.paid!, 0n));
      for (const hash of cashed) expect(hashes, `reported cash-out ${hash} not recorded`).to.include(hash.toLowerCase());
      for (const hash of sent) {
        if ((await provider.getTransactionReceipt(hash)) !== null) expect(hashes, `mined cash-out ${hash} not recorded`).to.include(hash.toLowerCase());
      }
      expect(sent.length, "the worker made progress").to.be.greaterThanOrEqual(RUNS);
    } finally {
      await store.close();
    }
  });

  it("resumes a deployment killed right after sending, and deploys each chequebook with one transaction", async function () {
    const me = node.wallet(4, provider);
    const db = join(dir, "deploy.db");
    const config: WorkerConfig = { ...base, mode: "deploy", db, myKey: me.privateKey };
    let salts = 0;
    for (let runNo = 0; runNo < RUNS; runNo++) {
      const lines = await runAndKill(config, (l) => l.some((x) => x.startsWith("S ")), 40);
      salts = Math.max(salts, lines.filter((l) => l.startsWith("D ")).length + 1);
    }
    // The survivor resumes every salt the worker reached.
    const store = SqliteChequeStore.open(db);
    try {
      const signer = new Wallet(me.privateKey, new JsonRpcProvider(node.url, BigInt(base.chainId), { staticNetwork: true }));
      const chequebooks = new Set<string>();
      for (let i = 1; i <= salts; i++) {
        const { chequebook } = await ChequebookIssuer.deploy({ signer, factory: base.factory, store, salt: zeroPadValue(toBeHex(i), 32), tx: { pollMs: 20, droppedAfterMs: 2_000 } });
        expect(await provider.getCode(chequebook), `salt ${i}`).to.not.equal("0x");
        chequebooks.add(chequebook);
      }
      (signer.provider as JsonRpcProvider).destroy();
      expect(chequebooks.size).to.equal(salts);
      expect(await provider.getTransactionCount(me.address, "latest"), "a deployment sent twice").to.equal(salts);
      expect(await store.listPendingTx()).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });
});
