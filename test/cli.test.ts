/**
 * The `chequebook` CLI as an operator uses it: spawned against a real node, read through its tables, its --json and
 * its exit codes, including on bad input.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { JsonRpcProvider, NonceManager, Wallet, encryptKeystoreJsonSync } from "ethers";
import { artifacts } from "hardhat";

import { deployChequebookFactory, readDeployment } from "../deploy/lib.js";
import { mint, startHardhatNode, type LocalNode } from "../scripts/lib/local-node.js";
import { freshDatabase } from "./sdk/postgres-server.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

describe("chequebook CLI", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let dir: string;
  let issuerKey: string;
  let peerKey: string;
  let peer: string;
  let token: string;

  function cli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", "sdk/cli/main.ts", "--rpc", node.url, ...args], {
        cwd: process.cwd(),
        env: { ...process.env, CHEQUEBOOK_PRIVATE_KEY: issuerKey, CHEQUEBOOK_PASSWORD: undefined, ...env },
      });
      let stdout = "", stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c));
      child.stderr.on("data", (c: Buffer) => (stderr += c));
      if (input !== undefined) child.stdin.end(input);
      else child.stdin.end();
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

  before(async function () {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cheque-cli-"));
    const provider = new JsonRpcProvider(node.url);
    const deployer = new NonceManager(node.wallet(0, provider));
    const deployment = await deployChequebookFactory({
      signer: deployer, network: "test", token: "test",
      artifacts: { factory: await artifacts.readArtifact("ChequebookFactory"), testToken: await artifacts.readArtifact("TestToken") },
    });
    // The deployment is deterministic: the addresses recorded for chain 31337 are the ones just deployed.
    expect(deployment.factory).to.equal((await readDeployment(31337n))!.factory);
    token = deployment.token;
    issuerKey = node.wallet(3, provider).privateKey;
    const peerWallet = node.wallet(4, provider);
    peerKey = peerWallet.privateKey;
    peer = peerWallet.address;
    await mint(token, deployer, new Wallet(issuerKey).address, 1_000n * 10n ** 16n);
    provider.destroy();
  });
  after(async function () {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const issuerDb = () => ["--db", join(dir, "issuer.db")];
  const peerDb = () => ["--db", join(dir, "peer.db")];

  it("deploys, deposits, shows balances, issues, receives, cashes out: tables, --json and exit codes", async function () {
    const deployed = await cli(["deploy", "--json", ...issuerDb()]);
    expect(deployed.code, deployed.stderr).to.equal(0);
    const chequebook = deployed.json.chequebook as string;
    expect(deployed.stderr).to.match(/confirmed/); // progress while waiting

    const deposited = await cli(["deposit", "100", "--json", ...issuerDb()]);
    expect(deposited.code, deposited.stderr).to.equal(0);
    expect(deposited.json.balance).to.equal((100n * 10n ** 16n).toString());

    const balance = await cli(["balance", ...issuerDb()]);
    expect(balance.code).to.equal(0);
    expect(balance.stdout).to.match(/available\s+100\.0\s+1000000000000000000/);

    const chequeFile = join(dir, "cheque.json");
    const issued = await cli(["issue", peer, "12.5", "--out", chequeFile, "--json", ...issuerDb()]);
    expect(issued.code, issued.stderr).to.equal(0);
    expect(issued.json.cheque.cumulativePayout).to.equal((125n * 10n ** 15n).toString());
    expect(issued.json.bee.Chequebook).to.equal(chequebook.toLowerCase());
    const human = await cli(["issue", peer, "1", ...issuerDb()]);
    expect(human.stdout).to.match(/^cheque for 13\.5 in total/);
    expect(human.stdout).to.match(/Bee JSON: \{"Chequebook":"0x[0-9a-f]{40}"/);
    const beeText = human.stdout.match(/Bee JSON: (.*)/)![1]!;

    // the peer verifies (our JSON from a file), then receives (Bee's JSON from standard input)
    const verified = await cli(["verify", chequeFile, "--json", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.json.valid).to.equal(true);
    expect(verified.json.cashNow).to.equal(false);
    // the verifier's options: the token is always checked (default: the factory's), limits and policies apply
    const asPeer = { CHEQUEBOOK_PRIVATE_KEY: peerKey };
    const wrongToken = await cli(["verify", chequeFile, "--json", "--token", peer, ...peerDb()], asPeer);
    expect([wrongToken.code, wrongToken.json.error.code]).to.deep.equal([3, "WRONG_TOKEN"]);
    const tooSmall = await cli(["verify", chequeFile, "--json", "--min-increment", "100", ...peerDb()], asPeer);
    expect([tooSmall.code, tooSmall.json.error.code]).to.deep.equal([3, "INCREMENT_TOO_SMALL"]);
    const noDeposit = await cli(["verify", chequeFile, "--json", "--policy", "hard-deposit", ...peerDb()], asPeer);
    expect([noDeposit.code, noDeposit.json.error.code]).to.deep.equal([3, "INSUFFICIENT_COVER"]);
    expect((await cli(["verify", chequeFile, "--policy", "maybe", ...peerDb()], asPeer)).code).to.equal(2);
    const received = await cli(["receive", "-", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey }, beeText);
    expect(received.code, received.stderr).to.equal(0);
    expect(received.stdout).to.match(/received and stored/);
    const again = await cli(["receive", chequeFile, "--json", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(again.code).to.equal(3);
    expect(again.json.error.code).to.equal("STALE_CHEQUE");

    const status = await cli(["status", "--json", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(status.json.total).to.equal((135n * 10n ** 15n).toString());
    const listed = await cli(["cheques", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(listed.stdout).to.match(/received\s+0x/);

    const cashed = await cli(["cashout", "--all", "--json", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(cashed.code, cashed.stderr).to.equal(0);
    expect(cashed.json[0].paid).to.equal((135n * 10n ** 15n).toString());
    const nothing = await cli(["cashout", chequebook, ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(nothing.code).to.equal(4);
    expect(nothing.stderr).to.match(/NOTHING_TO_CASH/);

    // the issuer may not withdraw what issued cheques need, unless forced
    const greedy = await cli(["withdraw", "90", ...issuerDb()]);
    expect(greedy.code).to.equal(4);
    expect(greedy.stderr).to.match(/INSUFFICIENT_FUNDS.*force/);

    // hard deposits
    const increased = await cli(["hard-deposit", "increase", peer, "5", ...issuerDb()]);
    expect(increased.code, increased.stderr).to.equal(0);
    expect(increased.stdout).to.match(/HardDepositAmountChanged/);
    const shown = await cli(["hard-deposit", "show", peer, "--json", ...issuerDb()]);
    expect(shown.json.amount).to.equal((5n * 10n ** 16n).toString());
  });

  it("refuses a forged cheque with exit code 3", async function () {
    const issued = await cli(["issue", peer, "1", "--json", ...issuerDb()]);
    const forged = { ...issued.json.cheque, cumulativePayout: (BigInt(issued.json.cheque.cumulativePayout) * 2n).toString() };
    const file = join(dir, "forged.json");
    await writeFile(file, JSON.stringify(forged));
    const r = await cli(["verify", file, "--json", ...peerDb()], { CHEQUEBOOK_PRIVATE_KEY: peerKey });
    expect(r.code).to.equal(3);
    expect(r.json.error.code).to.equal("INVALID_SIGNATURE");
  });

  it("takes a key from an encrypted keystore, and says what is wrong with a bad one", async function () {
    const wallet = new Wallet(issuerKey);
    const keystore = join(dir, "key.json");
    await writeFile(keystore, encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, "s3cret", { scrypt: { N: 1024 } }));
    const ok = await cli(["balance", "--keystore", keystore, "--json", ...issuerDb()], { CHEQUEBOOK_PRIVATE_KEY: undefined, CHEQUEBOOK_PASSWORD: "s3cret" });
    expect(ok.code, ok.stderr).to.equal(0);
    const wrong = await cli(["balance", "--keystore", keystore, ...issuerDb()], { CHEQUEBOOK_PRIVATE_KEY: undefined, CHEQUEBOOK_PASSWORD: "nope" });
    expect(wrong.code).to.equal(7);
    expect(wrong.stderr).to.match(/wrong password/);
    const noPassword = await cli(["balance", "--keystore", keystore, ...issuerDb()], { CHEQUEBOOK_PRIVATE_KEY: undefined });
    expect(noPassword.code).to.equal(7);
    expect(noPassword.stderr).to.match(/CHEQUEBOOK_PASSWORD/);
    expect(await readFile(keystore, "utf8")).to.not.include(wallet.privateKey.slice(2));
  });

  it("refuses keys on the command line, missing and malformed keys", async function () {
    const onArgv = await cli(["balance", "--private-key", issuerKey, ...issuerDb()]);
    expect(onArgv.code).to.equal(2);
    expect(onArgv.stderr).to.match(/never taken from the command line/);
    expect((await cli(["balance", ...issuerDb()], { CHEQUEBOOK_PRIVATE_KEY: undefined })).code).to.equal(7);
    const bad = await cli(["balance", ...issuerDb()], { CHEQUEBOOK_PRIVATE_KEY: "0x1234" });
    expect(bad.code).to.equal(7);
    expect(bad.stderr).to.match(/not a valid private key/);
  });

  it("reports an unknown chequebook, an unreachable node and bad usage", async function () {
    const unknown = await cli(["balance", "--chequebook", Wallet.createRandom().address, "--json", ...issuerDb()]);
    expect(unknown.json.error.code).to.equal("UNKNOWN_CHEQUEBOOK");
    expect(unknown.code).to.equal(3);
    const down = await cli(["balance", "--rpc", "http://127.0.0.1:1", ...issuerDb()]);
    expect(down.code).to.equal(5);
    expect(down.stderr).to.match(/cannot reach the JSON-RPC node/);
    expect((await cli(["frobnicate", ...issuerDb()])).code).to.equal(2);
    const badAmount = await cli(["deposit", "lots", ...issuerDb()]);
    expect(badAmount.code).to.equal(2);
    expect(badAmount.stderr).to.match(/positive number of tokens/);
    const help = await cli(["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/Exit codes/);
  });

  it("says the database is in use, naming it, while a running node owns it (exit code 8)", async function () {
    const db = join(dir, "owned.db");
    // A node process holding the file (the store lock test's worker opens a cheque store and stays up).
    const node = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("test", "sdk", "store-lock-worker.ts"), db], { cwd: process.cwd() });
    try {
      const [first] = (await once(node.stdout, "data")) as [Buffer];
      expect(first.toString()).to.equal("open\n");
      const human = await cli(["status", "--db", db]);
      expect(human.code).to.equal(8);
      expect(human.stderr).to.include(db);
      expect(human.stderr).to.match(/STORE_LOCKED.*in use by another process \(a running node owns it\)/);
      const json = await cli(["status", "--json", "--db", db]);
      expect(json.code).to.equal(8);
      expect(json.json.error.code).to.equal("STORE_LOCKED");
    } finally {
      const exited = once(node, "exit");
      node.kill("SIGKILL");
      await exited;
    }
    // Once the node is gone the CLI opens the file.
    expect((await cli(["status", "--json", "--db", db])).code).to.equal(0);
  });

  it("takes a postgres:// URL as --db: two CLI processes issuing at once share the books", async function () {
    const db = await freshDatabase("cli");
    const [a, b] = await Promise.all([cli(["issue", peer, "1", "--json", "--db", db]), cli(["issue", peer, "1", "--json", "--db", db])]);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const amounts = [a.json.cheque.cumulativePayout, b.json.cheque.cumulativePayout].sort();
    expect(amounts).to.deep.equal([(10n ** 16n).toString(), (2n * 10n ** 16n).toString()]);
    const listed = await cli(["cheques", "--json", "--db", db]);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(JSON.stringify(listed.json)).to.include((2n * 10n ** 16n).toString());
  });
});
