/**
 * Pay-per-request HTTP on an embedded chain with the x402 `cheque` scheme: an API on 127.0.0.1 sells a resource per
 * call; a client (through @x402/fetch) pays 1,000 calls with cheques; the server restarts once in the middle, on
 * its SQLite store and charge ledger; at the end it cashes once. Prints calls served, cheques received, the one
 * cash-out transaction and balances before and after.
 *
 *   npm run demo:http
 *
 * Exits non-zero if any check fails.
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { formatUnits } from "ethers";
import { network } from "hardhat";
import { wrapFetchWithPayment } from "@x402/fetch";

import { ChequeCasher, ChequeVerifier, MemoryChequeStore, SqliteChequeStore } from "../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, SqliteChargeLedger, chequePaywall, chequeResourceServer, chequeX402Client } from "../sdk/x402/index.js";

const CALLS = 1000;
const CONCURRENCY = 8;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`demo check failed: ${message}`);
}

const { ethers } = await network.getOrCreate();
const [, issuer, payee] = await ethers.getSigners();
if (!issuer || !payee) throw new Error("the embedded chain has too few accounts");
const { chainId } = await ethers.provider.getNetwork();
const unit = 10n ** 16n;
const price = unit / 1000n;
const fmt = (v: bigint) => formatUnits(v, 16);
const dir = await mkdtemp(join(tmpdir(), "x402-demo-"));

try {
  const token = await ethers.deployContract("TestToken");
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const [tokenAddress, factoryAddress] = [await token.getAddress(), await factory.getAddress()];
  const chequebook = await factory.connect(issuer).deploySimpleSwap.staticCall(issuer.address, 86_400n, ethers.ZeroHash);
  await (await factory.connect(issuer).deploySimpleSwap(issuer.address, 86_400n, ethers.ZeroHash)).wait();
  await (await token.mint(chequebook, 10n * unit)).wait();
  console.log(`chain ${chainId}: token ${tokenAddress}, chequebook ${chequebook} holding ${fmt(10n * unit)}, price ${fmt(price)} per call`);

  let received = 0;
  let served = 0;
  const start = async () => {
    const store = SqliteChequeStore.open(join(dir, "cheques.db"));
    const ledger = await SqliteChargeLedger.beside(store); // one file, one group commit for cheques and charges
    const verifier = new ChequeVerifier({ provider: ethers.provider, chainId, beneficiary: payee.address, trustedFactories: [factoryAddress], token: tokenAddress, store, solvency: { cacheMs: 60_000 } });
    const accounts = new ChequeAccounts({ verifier, store, ledger });
    const routes = { "GET /quote": { accepts: { scheme: "cheque", network: accounts.network, payTo: payee.address, price: price.toString() } } };
    const paywall = chequePaywall({ server: chequeResourceServer({ accounts, token: tokenAddress, trustedFactories: [factoryAddress] }), routes, handler: async () => {
      served++;
      return { status: 200, body: "a quote" };
    } });
    await paywall.initialize();
    const http: Server = createServer((req, res) => {
      if (req.headers["payment-signature"] !== undefined) received++;
      paywall.listener(req, res);
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/quote`;
    const stop = async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
      await store.close();
      await ledger.close();
    };
    return { url, accounts, store, stop };
  };

  const clientStore = new MemoryChequeStore();
  const paidFetch = wrapFetchWithPayment(fetch, chequeX402Client(new ChequeSchemeClient({ signer: issuer, chequebook, chainId, token: tokenAddress, store: clientStore, factory: factoryAddress })));
  let server = await start();
  let ok = 0;
  const t0 = performance.now();
  const run = async (calls: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        next++;
        const res = await paidFetch(server.url);
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      }
    }));
  };
  await run(CALLS / 2);
  console.log(`${ok} calls paid; restarting the server on its store and ledger`);
  await server.stop();
  server = await start();
  await run(CALLS / 2);
  const seconds = (performance.now() - t0) / 1000;
  const account = await server.accounts.account(chequebook);
  await server.stop();
  console.log(`${ok} calls served and paid in ${seconds.toFixed(1)} s (${(ok / seconds).toFixed(0)} per second), ${received} cheques received`);
  console.log(`server account: held ${fmt(account.held)}, charged ${fmt(account.charged)}`);

  const casherStore = SqliteChequeStore.open(join(dir, "cheques.db"));
  const before = [await token.balanceOf(payee.address), await token.balanceOf(chequebook)];
  const casher = new ChequeCasher({ signer: payee, store: casherStore, gasCostInToken: () => 0n, tx: { pollMs: 20 } });
  const cashout = await casher.cashOut(chequebook);
  const after = [await token.balanceOf(payee.address), await token.balanceOf(chequebook)];
  await casherStore.close();
  console.log(`one cash-out: tx ${cashout.txHash}, ${fmt(cashout.paid)} paid, gas ${cashout.gasUsed}`);
  console.log(`payee balance ${fmt(before[0]!)} -> ${fmt(after[0]!)}; chequebook ${fmt(before[1]!)} -> ${fmt(after[1]!)}`);

  check(ok === CALLS && served === CALLS, `served ${served} and paid ${ok} of ${CALLS} calls`);
  check(account.held === BigInt(CALLS) * price && account.charged === account.held, "the server holds and charged exactly the price of each call");
  check(cashout.paid === account.held && after[0]! - before[0]! === account.held, "the cash-out paid exactly what was held");
  console.log("all checks passed");
} finally {
  await rm(dir, { recursive: true, force: true });
}
