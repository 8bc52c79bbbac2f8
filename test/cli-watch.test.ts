/**
 * `chequebook watch` as an operator runs it: a long-running process against a real node, printing JSON lines (or
 * text), cashing when the issuer drains liquidity below what it owes us, stopping cleanly on SIGINT and SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { artifacts } from "hardhat";

import { deployChequebookFactory } from "../deploy/lib.js";
import { mint, startHardhatNode, type LocalNode } from "../scripts/lib/local-node.js";

const UNIT = 10n ** 16n;

describe("chequebook watch (CLI)", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let dir: string;
  let issuerKey: string;
  let peerKey: string;
  let peer: string;

  const env = (key: string) => ({ ...process.env, CHEQUEBOOK_PRIVATE_KEY: key, CHEQUEBOOK_PASSWORD: undefined });
  const args = (db: string, rest: string[]) => ["--no-warnings", "--import", "tsx", "sdk/cli/main.ts", "--rpc", node.url, "--db", join(dir, db), ...rest];

  function run(key: string, db: string, rest: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args(db, rest), { env: env(key), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "", stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c));
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** A running `watch`: its lines as they come, and a wait for the line you need. */
  function watch(rest: string[]) {
    const child: ChildProcess = spawn(process.execPath, args("peer.db", ["watch", ...rest]), { env: env(peerKey), stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let stderr = "";
    const waiting: Array<(line: string) => boolean> = [];
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      for (const w of [...waiting]) if (w(line)) waiting.splice(waiting.indexOf(w), 1);
    });
    child.stderr!.on("data", (c: Buffer) => (stderr += c));
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
    const line = (match: (line: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        void exited.then((code) => reject(new Error(`watch exited with ${code} before the line came:\n${lines.join("\n")}\n${stderr}`)));
        waiting.push((l) => match(l) && (resolve(l), true));
      });
    return { child, lines, line, exited, stderr: () => stderr };
  }

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-watch-cli-"));
    const provider = new JsonRpcProvider(node.url);
    const deployer = new NonceManager(node.wallet(0, provider));
    const deployment = await deployChequebookFactory({
      signer: deployer, network: "test", token: "test",
      artifacts: { factory: await artifacts.readArtifact("ChequebookFactory"), testToken: await artifacts.readArtifact("TestToken") },
    });
    issuerKey = node.wallet(5, provider).privateKey;
    const peerWallet = node.wallet(6, provider);
    peerKey = peerWallet.privateKey;
    peer = peerWallet.address;
    await mint(deployment.token, deployer, new Wallet(issuerKey).address, 1_000n * UNIT);
    provider.destroy();
  });
  after(async function () {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints JSON lines, cashes what remains when the issuer drains liquidity, and stops on SIGINT", async function () {
    expect((await run(issuerKey, "issuer.db", ["deploy"])).code).to.equal(0);
    expect((await run(issuerKey, "issuer.db", ["deposit", "100"])).code).to.equal(0);
    const file = join(dir, "cheque.json");
    expect((await run(issuerKey, "issuer.db", ["issue", peer, "30", "--out", file])).code).to.equal(0);
    const received = await run(peerKey, "peer.db", ["receive", file]);
    expect(received.code, received.stderr).to.equal(0);

    const w = watch(["--json", "--confirmations", "0", "--poll", "20"]);
    await w.line((l) => JSON.parse(l).type === "progress");
    const started = JSON.parse(w.lines[0]!);
    expect(started).to.deep.include({ type: "started", chequebooks: 1, resumed: false });
    const withdrawn = await run(issuerKey, "issuer.db", ["withdraw", "80", "--force"]);
    expect(withdrawn.code, withdrawn.stderr).to.equal(0);
    const cashout = JSON.parse(await w.line((l) => JSON.parse(l).type === "cashout"));
    expect(cashout.items.map((i: { status: string; paid: string }) => [i.status, i.paid])).to.deep.equal([["bounced", (20n * UNIT).toString()]]);
    const decision = w.lines.map((l) => JSON.parse(l)).find((e) => e.type === "decision");
    expect(decision.items[0]).to.deep.include({ reason: "COVER_LIQUIDITY_SHORT", owed: (30n * UNIT).toString(), payable: (20n * UNIT).toString() });
    w.child.kill("SIGINT");
    expect(await w.exited).to.equal(0);
    expect(JSON.parse(w.lines.at(-1)!)).to.deep.include({ type: "stopped" });
    for (const l of w.lines) expect(() => JSON.parse(l)).to.not.throw();
  });

  it("prints text by default, resumes from its cursor, and stops on SIGTERM; bad flags are usage errors", async function () {
    const w = watch(["--poll", "20"]);
    await w.line((l) => l.startsWith("watching"));
    expect(w.lines[0]).to.match(/watching 1 chequebook\(s\) from block \d+ \(head \d+, resumed\)/);
    w.child.kill("SIGTERM");
    expect(await w.exited).to.equal(0);
    expect(w.lines.at(-1)).to.match(/^stopped at block \d+/);
    const bad = await run(peerKey, "peer.db", ["watch", "--threshold", "lots"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--threshold must be a positive whole number/);
    const noPrice = await run(peerKey, "peer.db", ["watch", "--profit-margin", "2"]);
    expect(noPrice.code).to.equal(2);
    expect(noPrice.stderr).to.match(/needs --token-per-native/);
  });
});
