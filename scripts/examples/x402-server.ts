/**
 * Example: an Express API that sells `GET /weather` per call, paid with SWAP cheques through the official x402
 * middleware (`@x402/express`'s `paymentMiddleware` with our `cheque` scheme). Cheques are verified locally (no
 * facilitator per request), kept with the charges in one SQLite file, and a request is charged only when its
 * handler succeeded (status below 400). Run it with the client: `npm run example:x402` (scripts/examples/x402.ts).
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Provider } from "ethers";
import express from "express";
import { paymentMiddleware } from "@x402/express";

import { ChequeVerifier, SqliteChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, SqliteChargeLedger, chequeResourceServer, expressPaymentGuard } from "../../sdk/x402/index.js";

export interface ExampleServerOptions {
  provider: Provider;
  chainId: bigint;
  /** Our address: cheques are made out to it. */
  payee: string;
  token: string;
  factory: string;
  /** Token base units per call. */
  price: bigint;
  /** The SQLite file of cheques and charges. */
  dbPath: string;
}

/** Starts the API on 127.0.0.1 (a free port); `stop` closes it and its store. */
export async function startExampleServer(o: ExampleServerOptions): Promise<{ url: string; accounts: ChequeAccounts; stop(): Promise<void> }> {
  const store = SqliteChequeStore.open(o.dbPath);
  const ledger = await SqliteChargeLedger.beside(store);
  const verifier = new ChequeVerifier({ provider: o.provider, chainId: o.chainId, beneficiary: o.payee, trustedFactories: [o.factory], token: o.token, store, solvency: { cacheMs: 60_000 } });
  const accounts = new ChequeAccounts({ verifier, store, ledger });
  const accepts = { scheme: "cheque", network: accounts.network, payTo: o.payee, price: o.price.toString() };
  // Express runs a GET handler for HEAD too: HEAD is priced like GET, else it would run the handler free.
  const routes = { "GET /weather": { accepts }, "HEAD /weather": { accepts } };

  const app = express();
  // expressPaymentGuard: a res.writeHead status counts, a handler failing after it wrote is not sent, a broken response is released.
  app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token: o.token, trustedFactories: [o.factory] })), expressPaymentGuard());
  app.get("/weather", (req, res) => {
    // A failing call (here: an unknown city) is not charged; its cheque stays as the payer's credit.
    if (req.query.city === "atlantis") return void res.status(404).json({ error: "no such city" });
    res.json({ city: req.query.city ?? "Zurich", forecast: "sunny", celsius: 21 });
  });

  const http: Server = app.listen(0, "127.0.0.1");
  await once(http, "listening");
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/weather`,
    accounts,
    stop: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
      accounts.close();
      await ledger.close();
      await store.close();
    },
  };
}
