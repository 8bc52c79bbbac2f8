/**
 * Several processes sharing one PostgreSQL store (a fleet of nodes), against a real JSON-RPC node:
 *
 * - three processes issuing from one chequebook to overlapping payees never promise more than it holds, and never
 *   give one payee two cheques with the same cumulative amount;
 * - three processes receiving the same cheques from the same chequebooks credit every token once;
 * - one of them killed (SIGKILL) in the middle: the others carry on, nothing accepted is lost, nothing is credited
 *   twice;
 * - a cash-out left half-done by a killed process is recovered once, by one of two processes starting together.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

import { expect } from "chai";
import { Contract, JsonRpcProvider, NonceManager, Wallet, type Signer } from "ethers";

import { PostgresChequeStore, signCheque, type SignedCheque } from "../../sdk/index.js";
import { deployArtifact, mint, startHardhatNode, type LocalNode } from "../../scripts/lib/local-node.js";
import type { FleetConfig } from "./fleet-worker.js";
import { freshDatabase } from "./postgres-server.js";

interface Worker {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the worker's lines once it exits (by itself with 0, or killed). */
  done: Promise<string[]>;
}

function start(config: FleetConfig, onLine?: (line: string, w: Worker) => void): Worker {
  const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("test", "sdk", "fleet-worker.ts"), JSON.stringify(config)], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const w = { child, lines: [] as string[] } as Worker;
  let partial = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const l of parts) {
      w.lines.push(l);
      onLine?.(l, w);
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
  w.done = new Promise((resolve, reject) =>
    child.once("exit", (code, signal) => {
      clearTimeout(guard);
      if (signal === "SIGKILL" || code === 0) resolve(w.lines);
      else reject(new Error(`worker failed (${code ?? signal}):\n${err}`));
    }),
  );
  return w;
}

async function chequebookFor(factory: string, issuer: string, salt: string, signer: Signer): Promise<string> {
  const f = new Contract(factory, ["function deploySimpleSwap(address,uint256,bytes32) returns (address)", "function predictSimpleSwapAddress(address,address,uint256,bytes32) view returns (address)"], signer);
  const address = (await f.getFunction("predictSimpleSwapAddress")(await signer.getAddress(), issuer, 86_400n, salt)) as string;
  await (await f.getFunction("deploySimpleSwap")(issuer, 86_400n, salt)).wait();
  return address;
}

/** A shuffled copy, from a seed (a small LCG: reproducible). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const wire = (c: SignedCheque) => ({ ...c, cumulativePayout: c.cumulativePayout.toString() });

describe("SDK fleet: processes sharing one PostgreSQL store", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let provider: JsonRpcProvider;
  let base: Pick<FleetConfig, "rpc" | "chainId" | "factory" | "token">;
  let deployer: NonceManager;
  let payer: Wallet;
  let beneficiary: Wallet;
  let books: string[];

  before(async function () {
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url);
    deployer = new NonceManager(node.wallet(0, provider));
    payer = new Wallet(node.wallet(1, provider).privateKey);
    beneficiary = new Wallet(node.wallet(2, provider).privateKey);
    const { chainId } = await provider.getNetwork();
    const token = await deployArtifact("TestToken", [], deployer);
    const factory = await deployArtifact("ChequebookFactory", [token], deployer);
    books = [];
    for (const salt of ["0x" + "01".repeat(32), "0x" + "02".repeat(32)]) {
      const book = await chequebookFor(factory, payer.address, salt, deployer);
      await mint(token, deployer, book, 10n ** 24n);
      books.push(book);
    }
    base = { rpc: node.url, chainId: chainId.toString(), factory, token };
  });
  after(async function () {
    provider?.destroy();
    await node?.stop();
  });

  it("three processes issuing from one chequebook never promise more than it holds, nor one amount twice", async function () {
    const db = await freshDatabase("fleet_issue");
    const issuer = node.wallet(3, provider);
    const book = await chequebookFor(base.factory, issuer.address, "0x" + "03".repeat(32), deployer);
    const FUNDS = 120n;
    await mint(base.token, deployer, book, FUNDS);
    const payees = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];
    const workers = [0, 1, 2].map((i) => start({ ...base, mode: "issue", db, key: issuer.privateKey, chequebook: book, payees: shuffled(payees, i + 1), seed: i + 7 }));
    const outputs = await Promise.all(workers.map((w) => w.done));
    const byPayee = new Map<string, Map<bigint, string>>(payees.map((p) => [p, new Map()]));
    let count = 0;
    for (const lines of outputs) {
      expect(lines.at(-1)).to.equal("DONE");
      for (const l of lines.filter((x) => x.startsWith("I "))) {
        const [, payee, cumulative, signature] = l.split(" ");
        const seen = byPayee.get(payee!)!;
        expect(seen.has(BigInt(cumulative!)), `two cheques to ${payee} for ${cumulative}`).to.equal(false);
        seen.set(BigInt(cumulative!), signature!);
        count++;
      }
    }
    const promised = [...byPayee.values()].reduce((sum, m) => sum + [...m.keys()].reduce((a, b) => (b > a ? b : a), 0n), 0n);
    expect(promised, "promised more than the chequebook holds").to.be.at.most(FUNDS);
    expect(promised, "stopped early").to.be.greaterThan(FUNDS - 5n);
    expect(outputs.every((lines) => lines.length > 1), "every process issued").to.equal(true);
    const store = await PostgresChequeStore.open(db);
    expect(await store.totalIssued(book)).to.equal(promised);
    for (const [payee, m] of byPayee) {
      const last = [...m.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1))[0];
      if (last !== undefined) expect((await store.getIssued(book, payee))!.cheque.signature).to.equal(last[1]);
    }
    await store.close();
    expect(count).to.be.greaterThan(10);
  });

  /** Cheques from both chequebooks with rising random amounts, to the beneficiary. */
  async function chequeList(perBook: number): Promise<SignedCheque[]> {
    const out: SignedCheque[] = [];
    const { chainId } = base;
    for (const [k, book] of books.entries()) {
      let cumulative = 0n;
      for (let i = 0; i < perBook; i++) {
        cumulative += BigInt(1 + ((i * 7 + k * 3) % 11));
        out.push(await signCheque({ signer: payer, chequebook: book, beneficiary: beneficiary.address, cumulativePayout: cumulative, chainId: BigInt(chainId) }));
      }
    }
    return out;
  }

  /** Sums each process's reported increments per chequebook. */
  function credited(outputs: string[][]): Map<string, bigint> {
    const sums = new Map<string, bigint>();
    for (const lines of outputs) {
      for (const l of lines.filter((x) => x.startsWith("R "))) {
        const [, book, , increment] = l.split(" ");
        sums.set(book!.toLowerCase(), (sums.get(book!.toLowerCase()) ?? 0n) + BigInt(increment!));
      }
    }
    return sums;
  }

  it("three processes receiving the same cheques credit every token once", async function () {
    const db = await freshDatabase("fleet_receive");
    const list = await chequeList(20);
    const workers = [0, 1, 2].map((i) => start({ ...base, mode: "receive", db, key: beneficiary.privateKey, cheques: shuffled(list, i + 11).map(wire) }));
    const outputs = await Promise.all(workers.map((w) => w.done));
    for (const lines of outputs) expect(lines.at(-1)).to.equal("DONE");
    const sums = credited(outputs);
    const store = await PostgresChequeStore.open(db);
    for (const book of books) {
      const max = list.filter((c) => c.chequebook === book).at(-1)!.cumulativePayout;
      expect((await store.getReceived(book, beneficiary.address))!.cheque.cumulativePayout).to.equal(max);
      expect(sums.get(book.toLowerCase()), `credited from ${book}`).to.equal(max);
    }
    await store.close();
  });

  it("one receiving process killed mid-way: the others carry on, nothing accepted is lost or credited twice", async function () {
    const db = await freshDatabase("fleet_kill");
    const list = await chequeList(30);
    // The first process starts alone; once it has accepted a cheque the two others start, and it stops after its
    // fifth cheque (most of its list still to go) and is killed there.
    const config = (i: number): FleetConfig => ({ ...base, mode: "receive", db, key: beneficiary.privateKey, cheques: shuffled(list, i + 21).map(wire) });
    let othersStarted!: (workers: Worker[]) => void;
    const others = new Promise<Worker[]>((resolve) => (othersStarted = resolve));
    const first = start({ ...config(0), pauseAfter: 5 }, (l, w) => {
      if (l.startsWith("R ") && w.lines.filter((x) => x.startsWith("R ")).length === 1) othersStarted([start(config(1)), start(config(2))]);
      if (l === "PAUSED") w.child.kill("SIGKILL");
    });
    const workers = [first, ...(await others)];
    const outputs = await Promise.all(workers.map((w) => w.done));
    expect(outputs[0]!.at(-1), "the first was killed mid-way").to.equal("PAUSED");
    expect(outputs.slice(1).map((lines) => lines.at(-1)), "the two others finished").to.deep.equal(["DONE", "DONE"]);
    const sums = credited(outputs);
    const store = await PostgresChequeStore.open(db);
    for (const book of books) {
      const max = list.filter((c) => c.chequebook === book).at(-1)!.cumulativePayout;
      const held = (await store.getReceived(book, beneficiary.address))!.cheque.cumulativePayout;
      expect(held, "the survivors took the chequebook to its last cheque").to.equal(max);
      // Every acceptance reported (by the killed process too) was kept; no token was reported credited twice.
      for (const lines of outputs) for (const l of lines.filter((x) => x.startsWith(`R ${book} `))) expect(BigInt(l.split(" ")[2]!) <= held).to.equal(true);
      // Every acceptance was reported before the kill, so every token is credited exactly once across the three.
      expect(sums.get(book.toLowerCase()), `credited from ${book}`).to.equal(max);
    }
    await store.close();
  });

  it("a cash-out left half-done by a killed process is recovered once, by one of two processes starting together", async function () {
    const db = await freshDatabase("fleet_cashout");
    const cashier = node.wallet(4, provider);
    const store = await PostgresChequeStore.open(db);
    await store.putReceived(await signCheque({ signer: payer, chequebook: books[0]!, beneficiary: cashier.address, cumulativePayout: 1_000n, chainId: BigInt(base.chainId) }));
    await provider.send("evm_setAutomine", [false]);
    let sentHash: string | undefined;
    try {
      // Sent, never mined while it lives: killed before it could record anything.
      const first = start({ ...base, mode: "cashout", db, key: cashier.privateKey, chequebook: books[0]! }, (l, w) => {
        if (l.startsWith("S ")) {
          sentHash = l.split(" ")[1];
          w.child.kill("SIGKILL");
        }
      });
      await first.done;
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    expect(sentHash, "the cash-out was sent").to.be.a("string");
    await provider.send("evm_mine", []);
    expect((await store.listCashouts(books[0]!)).map((r) => r.status)).to.deep.equal(["pending"]);
    const recoverers = [0, 1].map(() => start({ ...base, mode: "cashout", db, key: cashier.privateKey, chequebook: books[0]!, recoverOnly: true }));
    const outputs = await Promise.all(recoverers.map((w) => w.done));
    expect(outputs.map((lines) => lines.at(-1)).sort()).to.deep.equal(["RECOVERED 0", "RECOVERED 1"]);
    const records = await store.listCashouts(books[0]!);
    expect(records.map((r) => [r.status, r.txHash?.toLowerCase(), r.paid])).to.deep.equal([["confirmed", sentHash!.toLowerCase(), 1_000n]]);
    expect(await store.listPendingTx()).to.deep.equal([]);
    await store.close();
  });
});
