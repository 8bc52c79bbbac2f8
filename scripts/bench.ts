/**
 * `npm run bench`: SDK and accounting throughput, memory per peer, and gas, each next to a baseline measured in
 * the same process. Prints a table, writes bench-results/bench.json; with --json the last line is the JSON.
 *
 * Rates are operations per second on one core (the loop runs on the main thread), the median of three runs.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { verifyTypedData } from "ethers";
import hre from "hardhat";

import {
  ChequeReceiver,
  ChequeVerifier,
  MemoryChequeStore,
  MemoryLedgerStore,
  SqliteChequeStore,
  SqliteLedgerStore,
  SwapAccounting,
  cryptoBackend,
  getChequeTypedData,
  nativeAvailable,
  recoverChequeSigner,
  setCryptoBackend,
  encodeSwapMessage,
  signCheque,
  type LedgerStore,
  type SignedCheque,
  type ChequeStore,
  PostgresChequeStore,
} from "../sdk/index.js";
import { gasTable, measureGas } from "./lib/gas.js";
import { benchChain } from "./lib/bench-chain.js";
import type { Libp2pOverhead } from "./lib/libp2p-bench.js";
import { alignedTable } from "./lib/table.js";
import { receivePostgresProcesses } from "./lib/bench-pg.js";
import { startPostgres } from "./lib/postgres-server.js";

const jsonOut = process.argv.includes("--json");
const log = (line: string) => process.stderr.write(line + "\n");
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function median3(run: () => Promise<number>): Promise<number> {
  const results = [await run(), await run(), await run()].sort((a, b) => a - b);
  return results[1]!;
}

/** ops/s of an async operation, after a warm-up. */
async function rateAsync(op: (i: number) => Promise<unknown>, ms = 700): Promise<number> {
  let i = 0;
  const warm = performance.now() + 150;
  while (performance.now() < warm) await op(i++);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await op(i++);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** ops/s of a synchronous operation. */
function rateSync(op: (i: number) => unknown, ms = 700): number {
  let i = 0;
  const warm = performance.now() + 150;
  while (performance.now() < warm) for (let k = 0; k < 100; k++) op(i++);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let k = 0; k < 1000; k++) op(i++);
    n += 1000;
  }
  return n / ((performance.now() - start) / 1000);
}

const { ethers } = await hre.network.getOrCreate();
const chain = await benchChain(ethers);
const { chainId, factoryAddress, tokenAddress, issuerKey, beneficiary, newChequebook } = chain;
const chequebook = await newChequebook(ethers.id("bench"));

/** Cheques with increasing cumulative payouts, pre-signed. */
async function cheques(book: string, n: number, from = 1n): Promise<SignedCheque[]> {
  const out: SignedCheque[] = [];
  for (let i = 0; i < n; i++) out.push(await signCheque({ signer: issuerKey, chequebook: book, beneficiary, cumulativePayout: from + BigInt(i), chainId }));
  return out;
}

const results: Record<string, number | boolean | string> = {};
const rows: Array<{ metric: string; sdk: number; baseline?: number; baselineName?: string; target?: number; unit: string }> = [];

// ---- signing -------------------------------------------------------------------------------------------------
log("signing...");
const fastPath = nativeAvailable();
const signOnce = (i: number) => signCheque({ signer: issuerKey, chequebook, beneficiary, cumulativePayout: BigInt(i + 1), chainId });
const td = (i: number) => getChequeTypedData({ chequebook, beneficiary, cumulativePayout: BigInt(i + 1), chainId });
results.signPerSec = await median3(() => rateAsync(signOnce));
results.signBaselinePerSec = await median3(() =>
  rateAsync((i) => {
    const { domain, types, message } = td(i);
    return issuerKey.signTypedData(domain, types, message);
  }, 500),
);
if (fastPath) {
  setCryptoBackend("js");
  results.signJsPerSec = await median3(() => rateAsync(signOnce, 500));
  setCryptoBackend("native");
}
rows.push({ metric: "sign a cheque (SDK signCheque)", sdk: results.signPerSec as number, baseline: results.signBaselinePerSec as number, baselineName: "ethers Wallet.signTypedData", target: 10_000, unit: "/s" });

// ---- offline verification -----------------------------------------------------------------------------------
log("offline verification...");
const pool = await cheques(chequebook, 256);
results.verifyOfflinePerSec = await median3(async () => rateSync((i) => recoverChequeSigner({ cheque: pool[i & 255]!, chainId })));
results.verifyOfflineBaselinePerSec = await median3(async () =>
  rateSync((i) => {
    const c = pool[i & 255]!;
    const { domain, types, message } = getChequeTypedData({ ...c, chainId });
    return verifyTypedData(domain, types, message, c.signature);
  }, 500),
);
if (fastPath) {
  setCryptoBackend("js");
  results.verifyOfflineJsPerSec = await median3(async () => rateSync((i) => recoverChequeSigner({ cheque: pool[i & 255]!, chainId }), 500));
  setCryptoBackend("native");
}
rows.push({ metric: "verify a cheque offline (recover signer)", sdk: results.verifyOfflinePerSec as number, baseline: results.verifyOfflineBaselinePerSec as number, baselineName: "ethers verifyTypedData", target: 8_000, unit: "/s" });

// ---- full verification, known chequebook, warm caches --------------------------------------------------------
log("full verification...");
const verifier = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary, trustedFactories: [factoryAddress], token: tokenAddress, store: new MemoryChequeStore(), solvency: { cacheMs: 3_600_000 } });
await verifier.verify(pool[0]!);
results.verifyFullPerSec = await median3(() => rateAsync((i) => verifier.verify(pool[i & 255]!)));
rows.push({ metric: "verifyCheque, known chequebook, warm caches", sdk: results.verifyFullPerSec as number, baseline: results.verifyOfflineBaselinePerSec as number, baselineName: "ethers verifyTypedData (offline only)", unit: "/s" });

// ---- durable receive -------------------------------------------------------------------------------------------
log("durable receive...");
const dir = await mkdtemp(join(tmpdir(), "swap-bench-"));
try {
  const CONCURRENT = 16;
  const books = [chequebook];
  for (let k = 1; k < CONCURRENT; k++) books.push(await newChequebook(ethers.id(`bench-${k}`)));
  const perBook = 1_500;
  const signed = await Promise.all(books.map((b) => cheques(b, perBook)));
  let run = 0;
  const receiveRun = async (concurrency: number, open: () => Promise<ChequeStore> = async () => SqliteChequeStore.open(join(dir, `receive-${run++}.db`))) => {
    const store = await open();
    const v = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary, trustedFactories: [factoryAddress], token: tokenAddress, store, solvency: { cacheMs: 3_600_000 } });
    const receiver = new ChequeReceiver({ verifier: v, store });
    for (let k = 0; k < concurrency; k++) await receiver.receive(signed[k]![0]!); // learn the chequebooks
    const start = performance.now();
    let n = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, k) => {
        for (let i = 1; i < perBook && performance.now() - start < 1_000; i++) {
          await receiver.receive(signed[k]![i]!);
          n++;
        }
      }),
    );
    const rate = n / ((performance.now() - start) / 1000);
    await store.close();
    return rate;
  };
  results.receiveDurableSerialPerSec = await median3(() => receiveRun(1));
  results.receiveDurablePerSec = await median3(() => receiveRun(CONCURRENT));
  rows.push({ metric: "receive durably, one chequebook (verify + SQLite commit)", sdk: results.receiveDurableSerialPerSec as number, unit: "/s" });
  rows.push({ metric: `receive durably, ${CONCURRENT} chequebooks concurrently (group commit)`, sdk: results.receiveDurablePerSec as number, target: 2_000, unit: "/s" });

  // ---- durable receive on PostgreSQL: one process, then three sharing the database -------------------------------
  log("durable receive on PostgreSQL...");
  const server = await startPostgres();
  try {
    results.receiveDurablePostgresPerSec = await median3(async () => {
      const url = await server.createDatabase(`receive_${run++}`);
      return receiveRun(CONCURRENT, () => PostgresChequeStore.open(url));
    });
    results.receiveDurablePostgres3ProcPerSec = await receivePostgresProcesses({
      server, processes: 3, provider: ethers.provider, chainId, factory: factoryAddress, token: tokenAddress, issuerKey: issuerKey.privateKey, books: books.slice(0, CONCURRENT),
    });
  } finally {
    await server.stop();
  }
  rows.push({
    metric: `receive durably on PostgreSQL, ${CONCURRENT} chequebooks concurrently, one process`,
    sdk: results.receiveDurablePostgresPerSec as number, baseline: results.receiveDurablePerSec as number, baselineName: "the same on SQLite", unit: "/s",
  });
  rows.push({
    metric: `receive durably on PostgreSQL, three processes (${CONCURRENT} chequebooks each), together`,
    sdk: results.receiveDurablePostgres3ProcPerSec as number, baseline: results.receiveDurablePostgresPerSec as number, baselineName: "one process", unit: "/s",
  });

  // ---- accounting -----------------------------------------------------------------------------------------------
  log("accounting...");
  const PEERS = 1_000;
  const terms = { phase: "soft" as const, paymentThreshold: 10n ** 30n, disconnectThreshold: 10n ** 31n };
  const engineWith = async (ledger: LedgerStore) => {
    const engine = await SwapAccounting.open({ config: terms, hooks: { send: () => undefined, disconnect: () => undefined }, ledger });
    for (let p = 0; p < PEERS; p++) await engine.connect(`peer-${p}`);
    return engine;
  };
  const peerIds = Array.from({ length: PEERS }, (_, p) => `peer-${p}`);
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % PEERS);
  {
    const engine = await engineWith(new MemoryLedgerStore());
    results.accountingPerSec = await median3(async () => {
      const r = rateSync((i) => (i & 1 ? engine.provided(peerIds[random()]!, "store", 1) : engine.consumed(peerIds[random()]!, "store", 1)));
      await engine.idle();
      return r;
    });
    await engine.close();
  }
  {
    const engine = await engineWith(SqliteLedgerStore.open(join(dir, "ledger.db")));
    // Bookings in a burst share one commit; each promise resolves only after its commit.
    results.accountingDurablePerSec = await median3(async () => {
      const start = performance.now();
      let n = 0;
      while (performance.now() - start < 700) {
        let last: Promise<void> = Promise.resolve();
        for (let k = 0; k < 2_000; k++) last = n++ & 1 ? engine.provided(peerIds[random()]!, "store", 1) : engine.consumed(peerIds[random()]!, "store", 1);
        await last;
      }
      return n / ((performance.now() - start) / 1000);
    });
    results.accountingDurableSerialPerSec = await median3(() => rateAsync((i) => engine.provided(peerIds[i % PEERS]!, "store", 1), 500));
    await engine.close();
  }
  rows.push({ metric: "accounting updates, in memory", sdk: results.accountingPerSec as number, target: 1_000_000, unit: "/s" });
  rows.push({ metric: "accounting updates, durable ledger, bursts of 2,000 (group commit)", sdk: results.accountingDurablePerSec as number, unit: "/s" });
  rows.push({ metric: "accounting updates, durable ledger, one at a time", sdk: results.accountingDurableSerialPerSec as number, unit: "/s" });

  // ---- memory per idle peer --------------------------------------------------------------------------------------
  log("memory per peer...");
  for (const n of [10_000, 100_000]) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const engine = await SwapAccounting.open({ config: terms, hooks: { send: () => undefined, disconnect: () => undefined }, ledger: new MemoryLedgerStore() });
    for (let p = 0; p < n; p++) await engine.connect(`0x${p.toString(16).padStart(40, "0")}`);
    gc();
    const bytes = (process.memoryUsage().heapUsed - before) / n;
    results[`bytesPerIdlePeer${n / 1000}k`] = Math.round(bytes);
    void engine.peers().length; // keep the engine alive until measured
  }
  results.bytesPerIdlePeer = Math.max(results.bytesPerIdlePeer10k as number, results.bytesPerIdlePeer100k as number);
  rows.push({ metric: "memory per idle peer (10k peers)", sdk: results.bytesPerIdlePeer10k as number, target: 1024, unit: " B" });
  rows.push({ metric: "memory per idle peer (100k peers)", sdk: results.bytesPerIdlePeer100k as number, target: 1024, unit: " B" });

  // Peers as a node sees them: each connected, handshake accepted (mock phase, so its per-peer metric series
  // exist), served and consuming (two durable bookings that leave it settled). Then every one disconnects: settled
  // peers leave memory (and their series) and stay in the SQLite ledger. Both figures are JS heap per peer.
  for (const n of [10_000, 100_000]) {
    const k = n / 1000;
    const engine = await SwapAccounting.open({
      config: { phase: "mock", paymentThreshold: 100n, disconnectThreshold: 150n },
      hooks: { send: () => undefined, disconnect: () => undefined },
      ledger: SqliteLedgerStore.open(join(dir, `peers-${k}k.db`)),
    });
    const handshake = encodeSwapMessage({ type: "handshake", paymentThreshold: 100n, phase: "mock" });
    const id = (p: number) => `0x${p.toString(16).padStart(40, "0")}`;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let from = 0; from < n; from += 1_000) {
      await Promise.all(
        Array.from({ length: 1_000 }, async (_, j) => {
          const peer = id(from + j);
          await engine.connect(peer);
          await engine.handle(peer, handshake);
          await engine.provided(peer, "retrieve", 5);
          await engine.consumed(peer, "retrieve", 5);
        }),
      );
    }
    await engine.idle();
    gc();
    results[`bytesPerActivePeer${k}k`] = Math.round((process.memoryUsage().heapUsed - before) / n);
    if (engine.peers().filter((p) => p.ready && p.balance === 0n).length !== n) throw new Error("the active peers did not all settle");
    for (let p = 0; p < n; p++) engine.disconnected(id(p));
    await engine.idle();
    gc();
    results[`bytesPerEvictedPeer${k}k`] = Math.round((process.memoryUsage().heapUsed - before) / n);
    if (engine.peers().length !== 0) throw new Error("settled peers were not evicted");
    await engine.close();
  }
  results.bytesPerActivePeer = Math.max(results.bytesPerActivePeer10k as number, results.bytesPerActivePeer100k as number);
  results.bytesPerEvictedPeer = Math.max(results.bytesPerEvictedPeer10k as number, results.bytesPerEvictedPeer100k as number);
  for (const k of [10, 100]) {
    rows.push({ metric: `memory per active peer: handshake + traffic, connected (${k}k peers)`, sdk: results[`bytesPerActivePeer${k}k`] as number, unit: " B" });
  }
  for (const k of [10, 100]) {
    rows.push({ metric: `memory per peer that settled and left, evicted (${k}k peers)`, sdk: results[`bytesPerEvictedPeer${k}k`] as number, target: 1024, unit: " B" });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Runs scripts/bench-libp2p.ts in a child process (the same Node and loader as this one) and reads its JSON line. */
async function libp2pInOwnProcess(): Promise<Libp2pOverhead> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, join("scripts", "bench-libp2p.ts")], { maxBuffer: 1 << 20 });
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as Libp2pOverhead;
}

// ---- SWAP over libp2p ----------------------------------------------------------------------------------------------
log("SWAP over libp2p...");
{
  // In a process of its own (scripts/bench-libp2p.ts): the mock phase, then the hard phase, where each node pays from
  // its own chequebook on that process's in-process chain and verifies the other's cheques.
  const o = await libp2pInOwnProcess();
  results.libp2pRounds = o.rounds;
  results.libp2pPlainPerSec = o.plainPerSec;
  results.libp2pSwapPerSec = o.swap.perSec;
  results.libp2pSwapOverheadPercent = o.swap.overheadPercent;
  results.libp2pSwapCpuOverheadPercent = o.swap.cpuOverheadPercent;
  results.libp2pSwapSerialPerSec = o.serial.perSec;
  results.libp2pSwapOverheadPercentSerial = o.serial.overheadPercent;
  results.libp2pSwapCpuOverheadPercentSerial = o.serial.cpuOverheadPercent;
  results.libp2pPlainPerSecHard = o.hard!.plainPerSec;
  results.libp2pSwapPerSecHard = o.hard!.perSec;
  results.libp2pSwapOverheadPercentHard = o.hard!.overheadPercent;
  results.libp2pSwapCpuOverheadPercentHard = o.hard!.cpuOverheadPercent;
  const note = (f: { overheadPercent: number; cpuOverheadPercent: number }) => `overhead ${f.overheadPercent.toFixed(1)} % (CPU per message ${f.cpuOverheadPercent.toFixed(1)} %)`;
  rows.push({ metric: `paid messages over libp2p, mock phase, bookings in the background: ${note(o.swap)}`, sdk: o.swap.perSec, baseline: o.plainPerSec, baselineName: "same flow, no SWAP", unit: "/s" });
  rows.push({ metric: `paid messages over libp2p, mock phase, each booking awaited: ${note(o.serial)}`, sdk: o.serial.perSec, baseline: o.plainPerSec, baselineName: "same flow, no SWAP", unit: "/s" });
  rows.push({ metric: `paid messages over libp2p, hard phase (cheques), bookings in the background: ${note(o.hard!)}`, sdk: o.hard!.perSec, baseline: o.hard!.plainPerSec, baselineName: "same flow, no SWAP", unit: "/s" });
}

// ---- gas -----------------------------------------------------------------------------------------------------------
log("gas...");
const gas = await measureGas(ethers);
results.fastPath = fastPath;
results.cryptoBackend = cryptoBackend();

// ---- report --------------------------------------------------------------------------------------------------------
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const table = rows.map((r) => {
  const lowerIsBetter = r.unit === " B";
  const met = r.target === undefined ? "" : (lowerIsBetter ? r.sdk <= r.target : r.sdk >= r.target) ? "met" : "MISSED";
  return [
    r.metric,
    fmt(r.sdk) + r.unit,
    r.baseline === undefined ? "" : `${fmt(r.baseline)}${r.unit} (${r.baselineName})`,
    r.baseline === undefined ? "" : `${(r.sdk / r.baseline).toFixed(1)}x`,
    r.target === undefined ? "" : `${lowerIsBetter ? "<=" : ">="} ${fmt(r.target)} ${met}`,
  ];
});
const header = ["measure", "SDK", "baseline (same process)", "ratio", "target"];
const out = [
  `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown cpu"}), crypto: ${cryptoBackend()}${fastPath ? "" : " (native binding unavailable)"}`,
  "",
  alignedTable(header, table),
  "",
  fastPath
    ? `pure-JS fallback (@noble/curves): sign ${fmt(results.signJsPerSec as number)}/s, verify offline ${fmt(results.verifyOfflineJsPerSec as number)}/s`
    : "",
  "",
  gasTable(gas.rows, gas.transferExisting, gas.transferFresh),
].join("\n");
console.log(out);
const report = { ...results, gas: Object.fromEntries(gas.rows.map((r) => [r.key, Number(r.gas)])), node: process.version, cores: cpus().length };
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/bench.json", JSON.stringify(report, null, 2) + "\n");
if (jsonOut) console.log(JSON.stringify(report));
process.exit(0);
