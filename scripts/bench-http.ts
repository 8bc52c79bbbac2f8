/**
 * `npm run bench:http`: pay-per-request HTTP, the x402 `cheque` scheme against x402 `exact` (official `@x402/evm`,
 * EIP-3009) through the same paywall (sdk/x402/node-http.ts) on 127.0.0.1 and the same client (`@x402/fetch`), on
 * the in-process chain. Measures paid requests per second, latency per paid request (p50, p99; each includes the
 * 402 round trip that x402 clients make first) and on-chain gas per 1,000 paid requests: for `cheque` one cash-out
 * per 1,000 requests, for `exact` the facilitator's `transferWithAuthorization` per request.
 *
 * Runs, each after a warm-up:
 * - cheque, durable: payee store with the charge ledger beside it (one file, one group commit), and client store on
 *   SQLite (WAL, synchronous=FULL), as a server must run; solvency read from the chain, cached for a minute. These are the headline `cheque*` figures.
 * - cheque, in memory: the same with memory stores, to show what the fsyncs cost.
 * - exact, instant mining: a local facilitator in process (no HTTP hop: the most favourable case for `exact`)
 *   verifies with eth_call and settles with one transaction per request, answered when mined; the chain mines each
 *   transaction at once. These are the headline `exact*` figures.
 * - floor: the same paywall and client with a scheme that checks, writes and settles nothing (scripts/lib/x402-floor.ts):
 *   what any x402 scheme costs here before its own work; no scheme can exceed it.
 * - exact, 2 s blocks: the same with a block every 2 s (the block time of Base and other OP Stack chains).
 * `exact` runs fewer requests (each waits for its transaction); its gas per 1,000 is extrapolated from them (every
 * settlement is one transaction of the same shape).
 *
 * Prints a table, writes bench-results/bench-http.json; with --json the last line is the JSON.
 * Options: --profile (only the cheque runs, for `node --cpu-prof`), --cheque N (default 1000), --exact N (200), --blocks N (exact requests with 2 s blocks, 24), --concurrency N (4).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Wallet } from "ethers";
import hre from "hardhat";
import type { Network } from "@x402/core/types";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";

import { ChequeCasher, ChequeVerifier, MemoryChequeStore, SqliteChequeStore, type ChequeStore } from "../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, SqliteChargeLedger, chequePaywall, chequeResourceServer, chequeX402Client, type ChargeLedger, type PaidHandler } from "../sdk/x402/index.js";
import { alignedTable } from "./lib/table.js";
import { FREE_SCHEME, freeResourceServer, freeX402Client } from "./lib/x402-floor.js";
import { exactPrice, exactResourceServer, exactTimeoutSeconds, exactX402Client, listenOnLoopback, localExactFacilitator } from "./lib/x402-exact.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? NaN : Number(process.argv[i + 1]);
  return Number.isSafeInteger(v) && v > 0 ? v : fallback;
};
const jsonOut = process.argv.includes("--json");
/** `--profile`: only the two cheque runs, for `node --cpu-prof` (no report). */
const profileOnly = process.argv.includes("--profile");
const CHEQUE_REQUESTS = arg("cheque", 1000);
const EXACT_REQUESTS = arg("exact", 200);
const BLOCK_REQUESTS = arg("blocks", 24);
const CONCURRENCY = arg("concurrency", 4);
const WARMUP = 20;
const BLOCK_MS = 2000;

interface Run {
  requests: number;
  seconds: number;
  perSec: number;
  p50: number;
  p99: number;
}

/** Runs `total` paid requests `concurrency` at a time; every one must be a settled 200. */
async function drive(pay: typeof fetch, url: string, total: number, concurrency: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const start = performance.now();
        const res = await pay(url);
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`a paid request got ${res.status}`);
        if (!decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!).success) throw new Error("a paid request was not settled");
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { requests: total, seconds, perSec: total / seconds, p50: at(50), p99: at(99) };
}

const { ethers } = await hre.network.getOrCreate();
const signers = await ethers.getSigners();
const [deployer, payee, facilitatorSigner] = [signers[0]!, signers[2]!, signers[3]!];
// Payers sign with a key in this process, as a program or agent paying for an API does (the SDK's fast path for
// cheques; ethers for EIP-3009). They send no transaction.
const exactPayer = Wallet.createRandom();
const { chainId } = await ethers.provider.getNetwork();
const network = `eip155:${chainId}` as Network;
const handler: PaidHandler = () => Promise.resolve({ status: 200, headers: { "content-type": "text/plain" }, body: "a quote" });
const dir = await mkdtemp(join(tmpdir(), "bench-http-"));

const token = await ethers.deployContract("TestToken");
const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
const [tokenAddress, factoryAddress] = [await token.getAddress(), await factory.getAddress()];
const chequePrice = 10n ** 13n; // 0.001 of a 16-decimal token

/**
 * `CHEQUE_REQUESTS` paid with cheques from a fresh chequebook of a fresh key (after a warm-up), then one cash-out
 * of all of them. `durable` puts every store on SQLite in `dir`.
 */
async function chequeRun(name: string, durable: boolean): Promise<Run & { paid: bigint; cashoutGas: bigint }> {
  const issuer = Wallet.createRandom();
  const chequebook = await factory.connect(deployer).deploySimpleSwap.staticCall(issuer.address, 86_400n, ethers.ZeroHash);
  await (await factory.connect(deployer).deploySimpleSwap(issuer.address, 86_400n, ethers.ZeroHash)).wait();
  await (await token.mint(chequebook, chequePrice * BigInt(CHEQUE_REQUESTS + WARMUP) * 2n)).wait();
  const file = (kind: string) => join(dir, `${name}-${kind}.db`);
  const store: ChequeStore = durable ? SqliteChequeStore.open(file("payee")) : new MemoryChequeStore();
  // The charge ledger in the payee store's file: cheques and charges of concurrent requests share one commit.
  const ledger: ChargeLedger = store instanceof SqliteChequeStore ? await SqliteChargeLedger.beside(store) : new MemoryChargeLedger();
  const clientStore: ChequeStore = durable ? SqliteChequeStore.open(file("client")) : new MemoryChequeStore();
  try {
    const verifier = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary: payee.address, trustedFactories: [factoryAddress], token: tokenAddress, store, solvency: { cacheMs: 60_000 } });
    const accounts = new ChequeAccounts({ verifier, store, ledger });
    const routes = { "GET /quote": { accepts: { scheme: "cheque", network: accounts.network, payTo: payee.address, price: chequePrice.toString() } } };
    const paywall = chequePaywall({ server: chequeResourceServer({ accounts, token: tokenAddress, trustedFactories: [factoryAddress] }), routes, handler });
    await paywall.initialize();
    const http = await listenOnLoopback(paywall.listener);
    const pay = wrapFetchWithPayment(fetch, chequeX402Client(new ChequeSchemeClient({ signer: issuer, chequebook, chainId, token: tokenAddress, store: clientStore, factory: factoryAddress })));
    let run: Run;
    try {
      await drive(pay, `${http.origin}/quote`, WARMUP, CONCURRENCY);
      run = await drive(pay, `${http.origin}/quote`, CHEQUE_REQUESTS, CONCURRENCY);
    } finally {
      await http.stop();
    }
    const paid = BigInt(CHEQUE_REQUESTS + WARMUP);
    const held = (await accounts.account(chequebook)).held;
    if (held !== paid * chequePrice) throw new Error(`the payee holds ${held}, not the price of ${paid} requests`);
    const cashout = await new ChequeCasher({ signer: payee, store, gasCostInToken: () => 0n, tx: { pollMs: 20 } }).cashOut(chequebook);
    if (cashout.paid !== held) throw new Error(`the cash-out paid ${cashout.paid}, not ${held}`);
    return { ...run, paid, cashoutGas: cashout.gasUsed };
  } finally {
    await Promise.all([store.close(), ledger.close(), clientStore.close()]);
  }
}

/** `requests` paid with `exact` (after a warm-up), each settled on chain by the local facilitator. */
async function exactRun(requests: number, warmup: number): Promise<Run & { paid: bigint; gas: bigint }> {
  const usd = await ethers.deployContract("Eip3009Token");
  const usdAddress = await usd.getAddress();
  const price = 1_000n; // 0.001 of a 6-decimal token
  await (await usd.mint(exactPayer.address, price * BigInt(requests + warmup) * 2n)).wait();
  const facilitator = localExactFacilitator({ signer: facilitatorSigner, provider: ethers.provider, network });
  const routes = { "GET /quote": { accepts: { scheme: "exact", network, payTo: payee.address, price: exactPrice(usdAddress, price), maxTimeoutSeconds: await exactTimeoutSeconds(ethers.provider) } } };
  const paywall = chequePaywall({ server: exactResourceServer(facilitator, network), routes, handler });
  await paywall.initialize();
  const http = await listenOnLoopback(paywall.listener);
  const pay = wrapFetchWithPayment(fetch, exactX402Client({ signer: exactPayer, network, token: usdAddress, maxAmountPerPayment: price }));
  let run: Run;
  try {
    await drive(pay, `${http.origin}/quote`, warmup, CONCURRENCY);
    run = await drive(pay, `${http.origin}/quote`, requests, CONCURRENCY);
  } finally {
    await http.stop();
  }
  const paid = BigInt(requests + warmup);
  if (facilitator.settled.length !== Number(paid)) throw new Error(`the facilitator settled ${facilitator.settled.length} of ${paid} requests`);
  if ((await usd.balanceOf(payee.address)) !== paid * price) throw new Error("the payee did not receive each exact payment");
  let gas = 0n;
  for (const hash of facilitator.settled) gas += (await ethers.provider.getTransactionReceipt(hash))!.gasUsed;
  return { ...run, paid, gas };
}

/** The floor: the same paywall and client with a scheme that checks, writes and settles nothing. */
async function floorRun(requests: number): Promise<Run> {
  const asset = tokenAddress;
  const routes = { "GET /quote": { accepts: { scheme: FREE_SCHEME, network, payTo: payee.address, price: "1" } } };
  const paywall = chequePaywall({ server: freeResourceServer(network, asset), routes, handler });
  await paywall.initialize();
  const http = await listenOnLoopback(paywall.listener);
  const pay = wrapFetchWithPayment(fetch, freeX402Client(network, asset));
  try {
    await drive(pay, `${http.origin}/quote`, WARMUP, CONCURRENCY);
    return await drive(pay, `${http.origin}/quote`, requests, CONCURRENCY);
  } finally {
    await http.stop();
  }
}

try {
  console.log(`cheque, durable: ${CHEQUE_REQUESTS} paid requests, ${CONCURRENCY} at a time ...`);
  const cheque = await chequeRun("durable", true);
  console.log(`cheque, in memory: ${CHEQUE_REQUESTS} paid requests ...`);
  const chequeMemory = await chequeRun("memory", false);
  console.log(`floor (x402 with a scheme that does nothing): ${CHEQUE_REQUESTS} paid requests ...`);
  const floor = await floorRun(CHEQUE_REQUESTS);
  if (profileOnly) {
    console.log(`cheque durable ${cheque.perSec.toFixed(1)} req/s, in memory ${chequeMemory.perSec.toFixed(1)} req/s`);
    process.exit(0);
  }
  console.log(`exact, instant mining: ${EXACT_REQUESTS} paid requests ...`);
  const exact = await exactRun(EXACT_REQUESTS, WARMUP);
  console.log(`exact, ${BLOCK_MS / 1000} s blocks: ${BLOCK_REQUESTS} paid requests ...`);
  await ethers.provider.send("evm_setAutomine", [false]);
  await ethers.provider.send("evm_setIntervalMining", [BLOCK_MS]);
  const exactBlocks = await exactRun(BLOCK_REQUESTS, CONCURRENCY);
  await ethers.provider.send("evm_setIntervalMining", [0]);
  await ethers.provider.send("evm_setAutomine", [true]);

  // One cash-out per 1,000 requests (a cash-out's gas does not depend on the amount; fewer than 1,000 requests
  // are scaled up, so the figure never benefits from a longer run).
  const perThousand = (gas: bigint, paid: bigint) => Number((gas * 1000n) / (paid < 1000n ? paid : 1000n));
  const r = (x: number, digits = 2) => Number(x.toFixed(digits));
  const report = {
    chequeRequestsPerSec: r(cheque.perSec, 1),
    exactRequestsPerSec: r(exact.perSec, 1),
    chequeGasPer1000: perThousand(cheque.cashoutGas, cheque.paid),
    exactGasPer1000: Number((exact.gas * 1000n) / exact.paid),
    chequeP50Ms: r(cheque.p50),
    chequeP99Ms: r(cheque.p99),
    exactP50Ms: r(exact.p50),
    exactP99Ms: r(exact.p99),
    chequeMemoryRequestsPerSec: r(chequeMemory.perSec, 1),
    chequeMemoryP50Ms: r(chequeMemory.p50),
    chequeMemoryP99Ms: r(chequeMemory.p99),
    floorRequestsPerSec: r(floor.perSec, 1),
    floorP50Ms: r(floor.p50),
    exactBlocks2sRequestsPerSec: r(exactBlocks.perSec, 1),
    exactBlocks2sP50Ms: r(exactBlocks.p50),
    exactBlocks2sP99Ms: r(exactBlocks.p99),
    chequeCashoutGas: Number(cheque.cashoutGas),
    exactGasPerRequest: Number(exact.gas / exact.paid),
    requests: { cheque: CHEQUE_REQUESTS, chequeMemory: CHEQUE_REQUESTS, exact: EXACT_REQUESTS, exactBlocks2s: BLOCK_REQUESTS, concurrency: CONCURRENCY },
  };

  const x = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  const row = (label: string, run: Run, baseline: Run) => [label, run.perSec.toFixed(1), run.p50.toFixed(2), run.p99.toFixed(2), x(run.perSec, baseline.perSec), x(run.perSec, exactBlocks.perSec)];
  console.log("");
  console.log(
    alignedTable(
      ["paid requests, same paywall and @x402/fetch client", "req/s", "p50 ms", "p99 ms", "vs exact (instant)", "vs exact (2 s blocks)"],
      [
        row("cheque, durable stores (headline)", cheque, exact),
        row("cheque, memory stores", chequeMemory, exact),
        row("floor: x402 with a scheme that does nothing", floor, exact),
        row("exact, instant mining (headline)", exact, exact),
        row(`exact, ${BLOCK_MS / 1000} s blocks`, exactBlocks, exact),
      ],
    ),
  );
  const gasRatio = report.exactGasPer1000 / report.chequeGasPer1000;
  console.log("");
  console.log(
    alignedTable(
      ["on-chain gas", "per 1,000 paid requests", "vs exact"],
      [
        ["cheque: one cash-out per 1,000", report.chequeGasPer1000.toLocaleString("en-US"), `1/${gasRatio.toFixed(0)}`],
        [`exact: one transferWithAuthorization each (${exact.paid} measured)`, report.exactGasPer1000.toLocaleString("en-US"), "1"],
      ],
    ),
  );
  const speedup = cheque.perSec / exact.perSec;
  console.log("");
  console.log(`floor: x402 itself (two HTTP round trips and its headers, no payment work) runs at ${floor.perSec.toFixed(1)} req/s here, ${(floor.perSec / exact.perSec).toFixed(1)}× exact; cheque (durable) reaches ${((cheque.perSec / floor.perSec) * 100).toFixed(0)} % of it.`);
  console.log(`targets: ≥ 20× the requests/s of exact: ${speedup >= 20 ? "met" : "NOT met"} (${speedup.toFixed(1)}× durable, ${(chequeMemory.perSec / exact.perSec).toFixed(1)}× in memory, against instant mining; ${(cheque.perSec / exactBlocks.perSec).toFixed(1)}× against 2 s blocks); ≤ 1/100 of its gas: ${gasRatio >= 100 ? "met" : "NOT met"} (1/${gasRatio.toFixed(0)}).`);

  await mkdir("bench-results", { recursive: true });
  await writeFile("bench-results/bench-http.json", JSON.stringify(report, null, 2) + "\n");
  if (jsonOut) console.log(JSON.stringify(report));
} finally {
  await rm(dir, { recursive: true, force: true });
}
