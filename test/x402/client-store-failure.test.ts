/**
 * The client commits each cheque to its store before it leaves, and a cheque whose write failed is never sent. A
 * failed write must cost that one payment only: the next payment (its own write committed) goes out.
 */
import { expect } from "chai";

import { ChequeError, MemoryChequeStore, type ChequeStore, type SignedCheque } from "../../sdk/index.js";
import { ChequeSchemeClient, readChequePayload } from "../../sdk/x402/index.js";
import { CHAIN, chequebook, issuer, requirementFor } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque client: a failed write to its store", function () {
  it("refuses that payment only; the next one is signed, committed and sent", async function () {
    const inner = new MemoryChequeStore();
    let failNext = true;
    const store = new Proxy(inner, {
      get(target, key, receiver) {
        if (key === "putIssued")
          return (c: SignedCheque) => {
            if (failNext) {
              failNext = false;
              return Promise.reject(new ChequeError("STORE_FAILURE", "disk full"));
            }
            return inner.putIssued(c);
          };
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as ChequeStore;
    const req = requirementFor(PRICE);
    const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: CHAIN, token: req.asset, store });
    let refused: unknown;
    await scheme.createPaymentPayload(2, req).catch((e: unknown) => (refused = e));
    expect((refused as ChequeError).code).to.equal("STORE_FAILURE");
    const paid = await scheme.createPaymentPayload(2, req);
    const sent = readChequePayload(paid.payload).cheque.cumulativePayout;
    expect(sent >= PRICE).to.equal(true);
    expect((await inner.getIssued(chequebook, req.payTo))?.cheque.cumulativePayout, "committed before it leaves").to.equal(sent);
  });
});
