/**
 * `@x402/express` holds the handler's response and decides from `res.statusCode` whether it failed (cancel) or
 * succeeded (settle). It buffers `res.writeHead` too, so a handler that answers with `res.writeHead(503)` (Node's
 * own API, which Express leaves in place) leaves `res.statusCode` at 200 until the buffered call is replayed: the
 * failure was settled, and the payer charged for a 503. `writeHeadStatus()`, mounted after the middleware, sets
 * the status as the call is made.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import express from "express";
import { paymentMiddleware } from "@x402/express";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, chequeResourceServer, chequeX402Client, writeHeadStatus } from "../../sdk/x402/index.js";
import { CHAIN, beneficiary, chequebook, issuer, localVerifier } from "./local.js";

const PRICE = 1000n;
const TOKEN = "0x" + "70".repeat(20);
const FACTORY = "0x" + "fa".repeat(20);

describe("x402 cheque scheme behind @x402/express: a handler failing through res.writeHead", function () {
  this.timeout(30_000);
  let http: Server | undefined;
  let accounts: ChequeAccounts | undefined;
  afterEach(async function () {
    http?.closeAllConnections();
    http?.close();
    if (http !== undefined) await once(http, "close");
    accounts?.close();
    http = accounts = undefined;
  });

  for (const status of [503, 404, 200, 201]) {
    it(`a res.writeHead(${status}) is ${status < 400 ? "charged" : "not charged"} (writeHeadStatus mounted after the middleware)`, async function () {
      const store = new MemoryChequeStore();
      accounts = new ChequeAccounts({ verifier: localVerifier(), store, ledger: new MemoryChargeLedger() });
      const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: beneficiary, price: PRICE.toString() } } };
      const app = express();
      app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token: TOKEN, trustedFactories: [FACTORY] })), writeHeadStatus());
      app.get("/data", (_req, res) => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end("answer");
      });
      http = app.listen(0, "127.0.0.1");
      await once(http, "listening");
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/data`;
      const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: CHAIN, token: TOKEN, store: new MemoryChequeStore(), factory: FACTORY });
      const res = await wrapFetchWithPayment(fetch, chequeX402Client(scheme))(url);
      await res.arrayBuffer();
      expect(res.status).to.equal(status);
      const account = await accounts.account(chequebook);
      expect(account.charged, `charged for a ${status}`).to.equal(status < 400 ? PRICE : 0n);
      expect(account.reserved).to.equal(0n);
      expect(res.headers.get("PAYMENT-RESPONSE") !== null).to.equal(status < 400);
    });
  }
});
