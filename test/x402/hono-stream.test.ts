/**
 * `@x402/hono` reads the paid handler's body before it settles. A streamed body that breaks while it is read was
 * answered with a bare 402 and the payment never cancelled: the payer's price stayed reserved until a restart (its
 * credit locked). With `honoPaymentGuard()` mounted right after the middleware, the broken body is the handler's
 * failure: the payment is released, nothing is charged and none of the streamed content is sent.
 */
import { expect } from "chai";
import { Hono } from "hono";
import { paymentMiddleware } from "@x402/hono";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, ChequeSchemeClient, MemoryChargeLedger, chequeResourceServer, chequeX402Client, honoPaymentGuard } from "../../sdk/x402/index.js";
import { CHAIN, FACTORY, TOKEN, beneficiary, chequebook, issuer, localVerifier } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque scheme behind @x402/hono with honoPaymentGuard", function () {
  this.timeout(30_000);

  for (const broken of [true, false]) {
    it(broken ? "a streamed body that breaks: released, not charged, nothing of it sent" : "a streamed body that completes: charged and sent", async function () {
      const accounts = new ChequeAccounts({ verifier: localVerifier(), store: new MemoryChequeStore(), ledger: new MemoryChargeLedger() });
      try {
        const a = accounts;
        const release = a.release.bind(a);
        let released = false;
        a.release = (...args) => release(...args).finally(() => (released = true));
        const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: beneficiary, price: PRICE.toString() } } };
        const app = new Hono();
        app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token: TOKEN, trustedFactories: [FACTORY] })), honoPaymentGuard());
        app.get("/data", (c) => {
          const stream = new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("PAID CONTENT;"));
              if (broken) controller.error(new Error("the stream broke"));
              else controller.close();
            },
          });
          return c.body(stream, 200, { "content-type": "text/plain" });
        });
        app.onError((_err, c) => c.text("failed", 500));
        const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: CHAIN, token: TOKEN, store: new MemoryChequeStore(), factory: FACTORY });
        const local = (input: string | URL | Request, init?: RequestInit) => Promise.resolve(app.fetch(new Request(input, init)));
        const res = await wrapFetchWithPayment(local, chequeX402Client(scheme))("http://127.0.0.1/data");
        const body = await res.text();
        const account = await accounts.account(chequebook);
        if (broken) {
          expect(res.status).to.equal(500);
          expect(body).to.not.include("PAID CONTENT");
          expect(released, "the payment was released").to.equal(true);
          expect(account).to.deep.include({ charged: 0n, reserved: 0n });
        } else {
          expect(res.status).to.equal(200);
          expect(body).to.equal("PAID CONTENT;");
          expect(res.headers.get("PAYMENT-RESPONSE")).to.not.equal(null);
          expect(account).to.deep.include({ charged: PRICE, reserved: 0n });
        }
      } finally {
        accounts.close();
      }
    });
  }
});
