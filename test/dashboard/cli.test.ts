/**
 * `chequebook dashboard` as an operator runs it: spawned against a real node and a cheque database, its address and
 * token read from what it prints, its API read and used, stopped by SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, NonceManager } from "ethers";
import { artifacts } from "hardhat";

import { deployChequebookFactory } from "../../deploy/lib.js";
import { ChequeCasher, SqliteChequeStore } from "../../sdk/index.js";
import { TOKEN_HEADER } from "../../sdk/dashboard/index.js";
import { mint, startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";

describe("chequebook dashboard (CLI)", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let dir: string;
  const children = new Set<ChildProcess>();

  function start(args: string[], key: string): ChildProcess {
    const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", "sdk/cli/main.ts", "--rpc", node.url, ...args], {
      env: { ...process.env, CHEQUEBOOK_PRIVATE_KEY: key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  }

  async function cli(args: string[], key: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = start(args, key);
    let stdout = "", stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c));
    child.stderr!.on("data", (c: Buffer) => (stderr += c));
    const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  }

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "dashboard-cli-"));
  });
  after(async function () {
    for (const child of children) child.kill("SIGKILL");
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the cheques of a database, cashes out with the printed token, and stops on SIGTERM", async function () {
    const provider = new JsonRpcProvider(node.url);
    const deployer = new NonceManager(node.wallet(0, provider));
    const { token } = await deployChequebookFactory({
      signer: deployer, network: "test", token: "test",
      artifacts: { factory: await artifacts.readArtifact("ChequebookFactory"), testToken: await artifacts.readArtifact("TestToken") },
    });
    const issuer = node.wallet(5, provider), peer = node.wallet(6, provider);
    await mint(token, deployer, issuer.address, 100n * 10n ** 16n);
    const issuerDb = ["--db", join(dir, "issuer.db")], peerDb = ["--db", join(dir, "peer.db")], cheque = join(dir, "cheque.json");
    for (const args of [["deploy", ...issuerDb], ["deposit", "10", ...issuerDb], ["issue", peer.address, "2.5", "--out", cheque, ...issuerDb]]) {
      const r = await cli(args, issuer.privateKey);
      expect(r.code, r.stderr).to.equal(0);
    }
    const received = await cli(["receive", cheque, ...peerDb], peer.privateKey);
    expect(received.code, received.stderr).to.equal(0);

    const child = start(["dashboard", "--port", "0", ...peerDb], peer.privateKey);
    let printed = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (c: Buffer) => {
        printed += c;
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]+)/.exec(printed);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`dashboard exited with ${code}`)));
    });
    const operatorToken = /#token=([A-Za-z0-9_-]+)/.exec(printed)![1]!;
    const state: any = await (await fetch(`${url}/api/state`)).json();
    const [held] = state.held.chequebooks;
    expect(held).to.include({ beneficiary: peer.address, held: (25n * 10n ** 15n).toString(), uncashed: (25n * 10n ** 15n).toString() });
    expect(state.own).to.equal(undefined); // the peer has no chequebook of its own
    expect(state.actions).to.deep.equal({ cashout: true, deposit: false });

    const post = (headers: Record<string, string>) =>
      fetch(`${url}/api/cashout`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ chequebook: held.chequebook }) });
    expect((await post({})).status).to.equal(401);
    const paid = await post({ [TOKEN_HEADER]: operatorToken });
    expect(paid.status).to.equal(200);
    expect(((await paid.json()) as any).reports[0]).to.include({ status: "paid", paid: (25n * 10n ** 15n).toString() });

    child.kill("SIGTERM");
    expect(await new Promise((resolve) => child.once("exit", resolve))).to.equal(0);
    // what the dashboard cashed is in the database, for the SDK to see
    const store = SqliteChequeStore.open(join(dir, "peer.db"));
    try {
      const status = await new ChequeCasher({ signer: peer, store, gasCostInToken: () => 0n }).status(held.chequebook);
      expect(status.uncashed).to.equal(0n);
      expect((await store.listCashouts())[0]!.status).to.equal("confirmed");
    } finally {
      await store.close();
      provider.destroy();
    }
  });
});
