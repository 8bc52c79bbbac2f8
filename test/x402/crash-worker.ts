/**
 * Child process of the x402 crash test: a `cheque` paywall on 127.0.0.1 on a SQLite cheque store with the charge
 * ledger beside it (one file, one group commit), as a server runs. The chain is modelled by a verifier that checks
 * the issuer's key and counts every chequebook solvent (the test is about what is durable, not about cover). Prints
 * `LISTEN <port>` when it serves; the parent SIGKILLs it while requests are in flight.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { SqliteChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, SqliteChargeLedger, chequePaywall, chequeResourceServer } from "../../sdk/x402/index.js";
import { localVerifier } from "./local.js";

export interface CrashWorkerConfig {
  dir: string;
  chainId: string;
  beneficiary: string;
  issuer: string;
  token: string;
  factory: string;
  price: string;
}

/** Serves until killed. Mocha loads every file under test/, so this runs only as the child's entry point. */
async function main(config: CrashWorkerConfig): Promise<void> {
  const chainId = BigInt(config.chainId);
  const store = SqliteChequeStore.open(join(config.dir, "payee.db"));
  const ledger = await SqliteChargeLedger.beside(store);
  // The issuer's key checked, cover not (the test is about what is durable).
  const verifier = localVerifier(config.beneficiary, chainId, config.issuer, {
    token: config.token,
    chequebookInfo: (chequebook: string) => Promise.resolve({ chequebook, issuer: config.issuer, token: config.token, factory: config.factory, issuerIsContract: false }),
  });
  const accounts = new ChequeAccounts({ verifier, store, ledger });
  const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: config.beneficiary, price: config.price } } };
  const paywall = chequePaywall({ server: chequeResourceServer({ accounts, token: config.token, trustedFactories: [config.factory] }), routes, handler: () => Promise.resolve({ status: 200, body: "ok" }) });
  await paywall.initialize();
  const http = createServer(paywall.listener);
  http.listen(0, "127.0.0.1", () => console.log(`LISTEN ${(http.address() as AddressInfo).port}`));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(JSON.parse(process.argv[2]!) as CrashWorkerConfig);
