/**
 * A handler may settle for less than the price (x402's `Settlement-Overrides` response header, here "25%" through
 * `@x402/express`): the server charges that amount, and the PAYMENT-RESPONSE says so. The client counts what the
 * server says it charged (never more than the price), so the rest stays credit its next cheques spend; counting
 * the full price would leave the difference with the server for good.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import express from "express";
import { paymentMiddleware } from "@x402/express";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, chequeResourceServer, chequeX402Client } from "../../sdk/x402/index.js";
import { CHAIN, FACTORY, TOKEN, beneficiary, chequebook, issuer, localVerifier } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque scheme: a settlement below the price", function () {
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

  it("is charged as settled, and the client counts that, spending the rest as credit", async function () {
    accounts = new ChequeAccounts({ verifier: localVerifier(), store: new MemoryChequeStore(), ledger: new MemoryChargeLedger() });
    const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: beneficiary, price: PRICE.toString() } } };
    const app = express();
    app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token: TOKEN, trustedFactories: [FACTORY] })));
    app.get("/data", (_req, res) => void res.setHeader("Settlement-Overrides", JSON.stringify({ amount: "25%" })).send("a quarter of it"));
    http = app.listen(0, "127.0.0.1");
    await once(http, "listening");
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/data`;
    const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: CHAIN, token: TOKEN, store: new MemoryChequeStore(), factory: FACTORY });
    const pay = wrapFetchWithPayment(fetch, chequeX402Client(scheme));
    for (let i = 0; i < 8; i++) expect((await pay(url)).status).to.equal(200);
    const server = await accounts.account(chequebook);
    expect(server.charged).to.equal(2n * PRICE);
    const mine = await scheme.position(beneficiary);
    expect(mine.charged, "the client counts what was charged").to.equal(server.charged);
    expect(server.held - server.charged < PRICE, `signed ${server.held} for ${server.charged} charged: no more than a price of credit left`).to.equal(true);
  });
});
