/**
 * The `cheque` scheme behind the official x402 middleware for Express (`@x402/express`) and Hono (`@x402/hono`):
 * `paymentMiddleware(routes, chequeResourceServer(...))` with our guard after it, over real HTTP on 127.0.0.1, paid
 * through `@x402/fetch`.
 * The property, for any sequence of handler outcomes (fast-check): a request is charged only when its handler
 * succeeded (a status below 400); a handler that answers 4xx or 5xx, or throws, is not charged, and its cheque stays
 * as credit that the client's next request spends (no request is ever refused for want of payment).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import express from "express";
import fc from "fast-check";
import { Hono } from "hono";
import { paymentMiddleware as expressPaymentMiddleware } from "@x402/express";
import { paymentMiddleware as honoPaymentMiddleware } from "@x402/hono";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, chequeResourceServer, chequeX402Client, expressPaymentGuard, honoPaymentGuard } from "../../sdk/x402/index.js";
import { sdkFixture, verifierFor, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE } from "./helpers.js";

type Outcome = "ok" | "created" | "teapot" | "fail" | "throw";
const outcome: fc.Arbitrary<Outcome> = fc.constantFrom("ok", "created", "teapot", "fail", "throw");
const SUCCEEDS: ReadonlySet<Outcome> = new Set(["ok", "created"]);

/** Node's http → a Hono app's `fetch` (what @hono/node-server does, for tests). */
function honoListener(app: Hono): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    void Promise.resolve(app.fetch(new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method ?? "GET", headers }))).then(async (r: Response) => {
      res.writeHead(r.status, Object.fromEntries(r.headers.entries()));
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  };
}

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const http: Server = createServer(listener);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/data`,
    stop: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
    },
  };
}

/** A server of `kind` whose paid handler takes its outcomes from `next`. */
async function start(f: SdkFixture, kind: "express" | "hono", next: Outcome[]) {
  const store = new MemoryChequeStore();
  const accounts = new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger: new MemoryChargeLedger() });
  const server = chequeResourceServer({ accounts, token: f.tokenAddress, trustedFactories: [f.factoryAddress] });
  const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: f.beneficiary.address, price: PRICE.toString() } } };
  let listener: (req: IncomingMessage, res: ServerResponse) => void;
  if (kind === "express") {
    const app = express();
    app.use(expressPaymentMiddleware(routes, server), expressPaymentGuard());
    app.get("/data", async (_req, res) => {
      const o = next.shift()!;
      if (o === "throw") throw new Error("boom");
      res.status(o === "ok" ? 200 : o === "created" ? 201 : o === "teapot" ? 418 : 500).send(o);
    });
    // Express 5 hands a rejected handler to its error handler (a 500), which the middleware sees.
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send("failed"));
    listener = app;
  } else {
    const app = new Hono();
    app.use(honoPaymentMiddleware(routes, server), honoPaymentGuard());
    app.get("/data", (c) => {
      const o = next.shift()!;
      if (o === "throw") throw new Error("boom");
      return c.text(o, o === "ok" ? 200 : o === "created" ? 201 : o === "teapot" ? 418 : 500);
    });
    app.onError((_err, c) => c.text("failed", 500)); // a throw becomes a 500, which the middleware sees
    listener = honoListener(app);
  }
  const http = await listen(listener);
  return { url: http.url, accounts, stop: async () => (await http.stop(), accounts.close()) };
}

for (const kind of ["express", "hono"] as const) {
  describe(`x402 cheque scheme behind @x402/${kind}'s paymentMiddleware`, function () {
    this.timeout(120_000);
    let f: SdkFixture;
    before(async function () {
      f = await networkHelpers.loadFixture(sdkFixture);
    });

    it("charges a request only when its handler succeeded; a 4xx, a 5xx or a throw is free and leaves credit the next request spends (fast-check)", async function () {
      await fc.assert(
        fc.asyncProperty(fc.array(outcome, { minLength: 1, maxLength: 8 }), async (outcomes) => {
          const next = [...outcomes];
          const server = await start(f, kind, next);
          try {
            const scheme = new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store: new MemoryChequeStore(), factory: f.factoryAddress });
            const pay = wrapFetchWithPayment(fetch, chequeX402Client(scheme));
            const start0 = await server.accounts.account(f.address);
            let served = 0n;
            for (const o of outcomes) {
              const res = await pay(server.url);
              await res.arrayBuffer();
              const settled = res.headers.get("PAYMENT-RESPONSE");
              if (SUCCEEDS.has(o)) {
                expect(res.status, o).to.be.below(400);
                expect(decodePaymentResponseHeader(settled!).success).to.equal(true);
                served++;
              } else {
                expect(res.status, o).to.be.at.least(400).and.not.equal(402);
                expect(settled, "no settlement for a failed handler").to.equal(null);
              }
            }
            const end = await server.accounts.account(f.address);
            expect(end.charged - start0.charged, "charged only what succeeded").to.equal(served * PRICE);
            expect(end.reserved).to.equal(0n);
            expect(end.held - start0.held <= served * PRICE + PRICE + BigInt(outcomes.length), "the client spent the failed requests' credit").to.equal(true);
          } finally {
            await server.stop();
          }
        }),
        { numRuns: 10, seed: 1717 },
      );
    });
  });
}
