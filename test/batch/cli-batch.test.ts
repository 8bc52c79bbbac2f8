/**
 * `chequebook cashout --all` against a real node: one transaction per chequebook until the account delegates to
 * the cash-out delegate (`chequebook delegate`), then one batch; the table and --json show each chequebook's
 * outcome, and a chequebook that cannot be cashed makes the run exit 6 without stopping the others; `watch` batches
 * through the same delegate.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager } from "ethers";

import { SqliteChequeStore, signCheque } from "../../sdk/index.js";
import { startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";
import { deployBooks } from "./external.js";

const UNIT = 10n ** 16n;

describe("chequebook cashout --all (batches)", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let dir: string;
  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-batch-cli-"));
  });
  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  function cli(args: string[], key: string): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", "sdk/cli/main.ts", "--rpc", node.url, "--db", join(dir, "peer.db"), ...args], {
        cwd: process.cwd(),
        env: { ...process.env, CHEQUEBOOK_PRIVATE_KEY: key, CHEQUEBOOK_PASSWORD: undefined, CHEQUEBOOK_DELEGATE: undefined },
      });
      let stdout = "", stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c));
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      child.stdin.end();
      child.on("exit", (code) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    });
  }

  /** Runs `watch` until its first cash-out event, stops it with SIGINT and returns that event's items. */
  function watchUntilCashout(args: string[], key: string): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", "sdk/cli/main.ts", "--rpc", node.url, "--db", join(dir, "peer.db"), "watch", ...args], {
        cwd: process.cwd(),
        env: { ...process.env, CHEQUEBOOK_PRIVATE_KEY: key, CHEQUEBOOK_PASSWORD: undefined, CHEQUEBOOK_DELEGATE: undefined },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const lines: string[] = [];
      let stderr = "";
      let items: any[] | undefined;
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      createInterface({ input: child.stdout }).on("line", (line) => {
        lines.push(line);
        const event = JSON.parse(line);
        if (event.type === "cashout" && items === undefined) {
          items = event.items;
          child.kill("SIGINT");
        }
      });
      child.on("exit", (code) => {
        if (items !== undefined && code === 0) resolve(items);
        else reject(new Error(`watch exited with ${code} (cash-out seen: ${items !== undefined}):\n${lines.join("\n")}\n${stderr}`));
      });
    });
  }

  it("cashes one by one, then delegates and cashes in one batch, reporting every chequebook", async function () {
    const provider = new JsonRpcProvider(node.url, undefined, { cacheTimeout: -1 });
    const deployer = new NonceManager(node.wallet(0, provider));
    const issuer = node.wallet(1, provider);
    const peer = node.wallet(3, provider);
    const { token, delegate, books } = await deployBooks({ deployer, issuer: issuer.address, count: 3, funding: 50n * UNIT });
    const { chainId } = await provider.getNetwork();
    const hold = async (amounts: bigint[], forgedIndex?: number) => {
      const store = SqliteChequeStore.open(join(dir, "peer.db"));
      for (const [i, chequebook] of books.entries()) {
        const signer = i === forgedIndex ? deployer : issuer;
        await store.putReceived(await signCheque({ signer, chequebook, beneficiary: peer.address, cumulativePayout: amounts[i]!, chainId }));
      }
      await store.close();
    };
    const peerKey = peer.privateKey;

    // Not delegated: one transaction per chequebook, even with --delegate.
    await hold([UNIT, 2n * UNIT, 3n * UNIT]);
    const sequential = await cli(["cashout", "--all", "--json", "--delegate", delegate], peerKey);
    expect(sequential.code, sequential.stderr).to.equal(0);
    expect(sequential.json.map((r: any) => [r.status, r.paid, r.via])).to.have.deep.members([
      ["paid", UNIT.toString(), "sequential"], ["paid", (2n * UNIT).toString(), "sequential"], ["paid", (3n * UNIT).toString(), "sequential"],
    ]);
    expect(new Set(sequential.json.map((r: any) => r.txHash)).size).to.equal(3);

    const delegated = await cli(["delegate", delegate, "--json"], peerKey);
    expect(delegated.code, delegated.stderr).to.equal(0);
    const shown = await cli(["delegate", "--json"], peerKey);
    expect(shown.json.delegate).to.equal(delegate);
    expect((await cli(["delegate", issuer.address], peerKey)).code).to.equal(2); // no code there

    // Delegated: one batch; a forged cheque is reported and makes the run exit 6, the others are paid.
    await hold([4n * UNIT, 5n * UNIT, 6n * UNIT], 1);
    const batched = await cli(["cashout", "--all", "--delegate", delegate], peerKey);
    expect(batched.code, batched.stderr).to.equal(6);
    expect(batched.stderr).to.match(/batched through the EIP-7702 delegate/);
    const lines = batched.stdout.trim().split("\n");
    expect(lines[0]).to.match(/^chequebook\s+outcome\s+paid\s+why\s+tx/);
    const outcome = new Map(lines.slice(2).map((l) => [l.split(/\s+/)[0]!, l]));
    expect(outcome.get(books[0]!)).to.match(/\spaid\s+3\.0\s/);
    expect(outcome.get(books[1]!)).to.match(/\sskipped\s.*SIMULATION_FAILED: ChequebookInvalidIssuerSignature/);
    expect(outcome.get(books[2]!)).to.match(/\spaid\s+3\.0\s/);
    const balance = await new Contract(token, ["function balanceOf(address) view returns (uint256)"], provider).getFunction("balanceOf")(peer.address);
    expect(balance).to.equal(12n * UNIT); // 6 one by one, then 3 + 3 in the batch

    // The watcher batches too: three chequebooks pass the threshold at once and are cashed in one transaction.
    await hold([7n * UNIT, 8n * UNIT, 9n * UNIT]);
    const items = await watchUntilCashout(["--json", "--threshold", "1", "--confirmations", "0", "--poll", "20", "--delegate", delegate], peerKey);
    expect(items.map((i: any) => [i.chequebook, i.status, i.paid])).to.have.deep.members([
      [books[0], "paid", (3n * UNIT).toString()], [books[1], "paid", (6n * UNIT).toString()], [books[2], "paid", (3n * UNIT).toString()],
    ]);
    expect(new Set(items.map((i: any) => i.txHash)).size).to.equal(1);
    expect(await new Contract(token, ["function balanceOf(address) view returns (uint256)"], provider).getFunction("balanceOf")(peer.address)).to.equal(24n * UNIT);

    const revoked = await cli(["delegate", "--revoke"], peerKey);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.match(/no longer delegates/);
    provider.destroy();
  });
});
