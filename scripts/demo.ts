/**
 * The network demo (`npm run demo`): a local chain, the factory, funded chequebooks, and SWAP nodes in their own
 * processes: libp2p nodes (TCP on 127.0.0.1, Noise, Yamux) with the SWAP service. A client fetches history from a store server in the soft, mock and hard
 * phases; in the hard phase a freeloader that never pays is cut off. A line per round shows the balance against
 * the thresholds; at the end the server cashes its cheques and the on-chain balances are shown.
 *
 * Exits 0 only if every phase behaved as SWAP says. DEMO_JSON=1 adds a JSON summary.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { JsonRpcProvider, NonceManager, formatUnits } from "ethers";
import hre from "hardhat";

import { deployChequebookFactory } from "../deploy/lib.js";
import { ChequeCasher, ChequebookIssuer, MemoryChequeStore, SqliteChequeStore, erc20At, type SwapPhase } from "../sdk/index.js";
import type { NodeConfig } from "./demo/node.js";
import { mint, startHardhatNode } from "./lib/local-node.js";

const json = process.env.DEMO_JSON === "1";
const say = (line: string) => {
  if (!json) console.log(line);
};
type Event = Record<string, any>;
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  say(`      ${ok ? "ok  " : "FAIL"} ${what}`);
};

/** Starts a node process; its JSON events go to `onEvent`. */
function startNode(config: NodeConfig, onEvent: (e: Event) => void) {
  const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("scripts", "demo", "node.ts"), JSON.stringify(config)], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let buffer = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.trim() !== "") onEvent(JSON.parse(line) as Event);
    }
  });
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  return { child, exited, stderr: () => stderr };
}

const started = Date.now();
const dir = await mkdtemp(join(tmpdir(), "swap-demo-"));
const chain = await startHardhatNode();
try {
  say("[1/6] a local chain (hardhat node on 127.0.0.1), the factory and a test token, deployed deterministically");
  const provider = new JsonRpcProvider(chain.url, undefined, { cacheTimeout: -1 });
  const { chainId } = await provider.getNetwork();
  const deployer = new NonceManager(chain.wallet(0, provider));
  const deployment = await deployChequebookFactory({
    signer: deployer, network: "demo", token: "test",
    artifacts: { factory: await hre.artifacts.readArtifact("ChequebookFactory"), testToken: await hre.artifacts.readArtifact("TestToken") },
  });
  say(`      factory ${deployment.factory}, token ${deployment.token}`);

  say("[2/6] chequebooks for the store server S, the client A and the freeloader F; A deposits 50 tokens");
  const keys = { S: chain.wallet(1, provider), A: chain.wallet(2, provider), F: chain.wallet(3, provider) };
  const books: Record<string, string> = {};
  for (const [id, wallet] of Object.entries(keys)) {
    books[id] = (await ChequebookIssuer.deploy({ signer: wallet, factory: deployment.factory, store: new MemoryChequeStore(), tx: { pollMs: 50 } })).chequebook;
    await mint(deployment.token, deployer, wallet.address, 100n * 10n ** 16n);
  }
  for (const id of ["A", "F"]) {
    const issuer = await ChequebookIssuer.connect({ signer: keys[id as "A"], chequebook: books[id]!, store: new MemoryChequeStore(), tx: { pollMs: 50 } });
    await issuer.deposit((id === "A" ? 50n : 1n) * 10n ** 16n);
  }
  say(`      S ${books.S}\n      A ${books.A}\n      F ${books.F}`);

  const summary: Record<string, unknown> = {};
  let serverDb = "";
  const phases: SwapPhase[] = ["soft", "mock", "hard"];
  for (const [n, phase] of phases.entries()) {
    say(`[${3 + n}/6] ${phase} phase: A fetches 12 × 10 history messages from S${phase === "hard" ? "; F fetches and never pays" : ""}`);
    say("      thresholds: A pays S from 50 (early payment at 50% of 100); S cuts a peer off past 150");
    const events: Event[] = [];
    const onEvent = (e: Event) => {
      events.push(e);
      // A's own books for A; the server's books for F, which keeps none.
      if ((e.event === "round" && e.id === "A") || (e.event === "served" && e.peer === "F")) {
        const who = e.event === "round" ? "A" : "F";
        const owes = e.event === "round" ? -BigInt(e.balance) : BigInt(e.balance);
        const bar = "#".repeat(Math.max(0, Number(owes) / 5)).padEnd(30, ".");
        say(`      ${phase.padEnd(4)} ${who} ${e.event === "round" ? `round ${String(e.round).padStart(2)}` : "(served)"}  owes S ${String(owes).padStart(4)}  [${bar}] |100 pay |150 cut${e.inflight ? `  (payment of ${e.inflight} in flight)` : ""}`);
      } else if (e.event === "refused") {
        say(`      ${phase.padEnd(4)} S refused ${e.peer}: ${e.code} (it owes ${e.balance})`);
      } else if (e.event === "disconnect") {
        say(`      ${phase.padEnd(4)} S disconnected ${e.peer} owing ${e.balance}`);
      } else if (e.event === "fatal") {
        say(`      ${phase.padEnd(4)} ${e.id} failed: ${e.error}`);
      }
    };
    const db = (id: string) => join(dir, `${phase}-${id}.db`);
    const base = { phase, rpc: chain.url, chainId: chainId.toString(), factory: deployment.factory, token: deployment.token };
    let listening!: (addr: string) => void;
    const isListening = new Promise<string>((resolve) => (listening = resolve));
    const server = startNode({ ...base, id: "S", role: "server", rounds: 0, batch: 0, db: db("S"), key: keys.S.privateKey, chequebook: books.S! }, (e) => {
      onEvent(e);
      if (e.event === "listening") listening(String(e.addr));
    });
    const serverAddr = await Promise.race([isListening, server.exited.then(() => Promise.reject(new Error(`the server died: ${server.stderr()}`)))]);
    const clients = [startNode({ ...base, id: "A", role: "client", serverAddr, serverId: "S", rounds: 12, batch: 10, db: db("A"), key: keys.A.privateKey, chequebook: books.A! }, onEvent)];
    if (phase === "hard") {
      clients.push(startNode({ ...base, id: "F", role: "freeloader", serverAddr, serverId: "S", rounds: 30, batch: 10, db: db("F"), key: keys.F.privateKey, chequebook: books.F! }, onEvent));
    }
    const codes = await Promise.all(clients.map((c) => c.exited));
    server.child.stdin!.end();
    await server.exited;

    const done = (id: string) => events.find((e) => e.event === "done" && e.id === id)!;
    const count = (id: string, name: string) => events.filter((e) => e.event === "log" && e.id === id && e.logEvent === name).length;
    const a = done("A");
    say(`      result: A received ${a.received} messages and owes S ${-BigInt(a.balance)}; A sent ${count("A", "cheque_sent")} cheque(s), S accepted ${count("S", "cheque_received")}, refused ${count("S", "cheque_rejected")}`);
    check(codes.every((c) => c === 0) && !events.some((e) => e.event === "fatal"), `${phase}: every node finished cleanly`);
    check(a.received === 120, `${phase}: A was served all 120 messages`);
    if (phase === "soft") {
      check(BigInt(a.balance) === -120n, "soft: A owes S all 120 units (accounting only)");
      check(count("A", "cheque_sent") === 0 && !events.some((e) => e.event === "disconnect"), "soft: no payment and no disconnect");
      check(count("S", "out_of_bounds") > 0 && count("A", "out_of_bounds") > 0, "soft: both sides logged the out-of-bounds balance");
    } else {
      check(count("A", "cheque_sent") >= 2 && count("S", "cheque_received") === count("A", "cheque_sent"), `${phase}: A paid with cheques, S accepted every one`);
      check(-BigInt(a.balance) <= 100n, `${phase}: A never owed S past its payment threshold`);
      check(!events.some((e) => e.event === "disconnect" && e.peer === "A"), `${phase}: A was never disconnected`);
    }
    if (phase === "hard") {
      const f = done("F");
      check(f.received === 150 && events.some((e) => e.event === "disconnect" && e.peer === "F" && e.balance === "150"), "hard: F was cut off exactly past 150 units, after 150 messages");
      serverDb = db("S");
    }
    summary[phase] = { A: { received: a.received, balance: a.balance, chequesSent: count("A", "cheque_sent") }, chequesAccepted: count("S", "cheque_received") };
  }

  say("[6/6] S cashes the cheques it holds from A; on-chain balances");
  const token = erc20At(deployment.token, provider);
  const balanceOf = async (address: string) => (await token.getFunction("balanceOf")(address)) as bigint;
  const before = { S: await balanceOf(keys.S.address), A: await balanceOf(books.A!) };
  const sStore = SqliteChequeStore.open(serverDb);
  const casher = new ChequeCasher({ signer: keys.S, store: sStore, gasCostInToken: () => 0n, tx: { pollMs: 50 } });
  const held = (await sStore.getReceived(books.A!, keys.S.address))!.cheque.cumulativePayout;
  const { paid, txHash } = await casher.cashOut(books.A!);
  await sStore.close();
  const after = { S: await balanceOf(keys.S.address), A: await balanceOf(books.A!) };
  const fmt = (v: bigint) => formatUnits(v, 16);
  say(`      cashed ${fmt(paid)} tokens (tx ${txHash})`);
  say(`      account          before      after`);
  say(`      S (server)   ${fmt(before.S).padStart(10)} ${fmt(after.S).padStart(10)}`);
  say(`      A chequebook ${fmt(before.A).padStart(10)} ${fmt(after.A).padStart(10)}`);
  check(paid === held && paid > 0n && after.S - before.S === paid && before.A - after.A === paid, "hard: S cashed exactly the cheques it accepted from A");
  summary.cashed = paid;

  const seconds = (Date.now() - started) / 1000;
  say(`demo ${failures.length === 0 ? "succeeded" : "FAILED"} in ${seconds.toFixed(1)} s`);
  if (json) console.log(JSON.stringify({ ok: failures.length === 0, failures, seconds, ...summary }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  provider.destroy();
} finally {
  await chain.stop();
  await rm(dir, { recursive: true, force: true });
}
if (failures.length > 0) process.exitCode = 1;
