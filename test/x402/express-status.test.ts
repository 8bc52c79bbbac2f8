/**
 * `@x402/express` holds the paid handler's response until `res.end`, then charges when `res.statusCode` is below 400
 * and otherwise cancels and sends what it held. With `expressPaymentGuard()` mounted right after it:
 * - a handler failing through `res.writeHead(503)` (the status was held with the call, `res.statusCode` stayed 200:
 *   the failure was charged) is not charged;
 * - a handler that wrote paid content and then threw (Express's error handler answers 500) is not charged and its
 *   content is not sent (it was, free, with the handler's 200 replayed over the 500);
 * - a response destroyed before it ended (a stream that broke) releases the payment (it stayed reserved for good,
 *   the middleware waiting for `end`).
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import express from "express";
import { paymentMiddleware } from "@x402/express";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, chequeResourceServer, chequeX402Client, expressPaymentGuard } from "../../sdk/x402/index.js";
import { CHAIN, FACTORY, TOKEN, beneficiary, chequebook, issuer, localVerifier } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque scheme behind @x402/express with expressPaymentGuard", function () {
  this.timeout(30_000);
  let http: Server | undefined;
  let accounts: ChequeAccounts | undefined;
  let released: Promise<void>;
  afterEach(async function () {
    http?.closeAllConnections();
    http?.close();
    if (http !== undefined) await once(http, "close");
    accounts?.close();
    http = accounts = undefined;
  });

  /** A paid GET /data served by `handler`; returns the paying fetch's outcome. */
  async function serve(handler: express.RequestHandler): Promise<{ status: number | "no answer"; body: string; paid: boolean }> {
    accounts = new ChequeAccounts({ verifier: localVerifier(), store: new MemoryChequeStore(), ledger: new MemoryChargeLedger() });
    const a = accounts;
    const release = a.release.bind(a);
    released = new Promise((done) => (a.release = (...args) => release(...args).finally(done)));
    const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: beneficiary, price: PRICE.toString() } } };
    const app = express();
    app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token: TOKEN, trustedFactories: [FACTORY] })), expressPaymentGuard());
    app.get("/data", handler);
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send("failed"));
    http = app.listen(0, "127.0.0.1");
    await once(http, "listening");
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/data`;
    const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: CHAIN, token: TOKEN, store: new MemoryChequeStore(), factory: FACTORY });
    try {
      const res = await wrapFetchWithPayment(fetch, chequeX402Client(scheme))(url);
      return { status: res.status, body: await res.text(), paid: res.headers.get("PAYMENT-RESPONSE") !== null };
    } catch {
      return { status: "no answer", body: "", paid: false };
    }
  }

  for (const status of [503, 404, 200, 201]) {
    it(`a res.writeHead(${status}) is ${status < 400 ? "charged" : "not charged"}`, async function () {
      const r = await serve((_req, res) => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end("answer");
      });
      expect(r.status).to.equal(status);
      expect(r.paid).to.equal(status < 400);
      const account = await accounts!.account(chequebook);
      expect(account.charged, `charged for a ${status}`).to.equal(status < 400 ? PRICE : 0n);
      expect(account.reserved).to.equal(0n);
    });
  }

  it("a handler that wrote its content and then threw: a 500 without the content, not charged", async function () {
    const r = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("PAID CONTENT;");
      await Promise.resolve();
      throw new Error("failed half-way");
    });
    expect(r.status).to.equal(500);
    expect(r.body).to.not.include("PAID CONTENT");
    expect(r.paid).to.equal(false);
    expect(await accounts!.account(chequebook)).to.deep.include({ charged: 0n, reserved: 0n });
  });

  it("a response destroyed before it ended releases the payment", async function () {
    const r = await serve((_req, res) => {
      res.write("PAID CONTENT;");
      res.destroy(new Error("the stream broke"));
    });
    expect(r.status).to.equal("no answer");
    await released;
    expect(await accounts!.account(chequebook)).to.deep.include({ charged: 0n, reserved: 0n });
  });
});
