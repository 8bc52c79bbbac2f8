/**
 * A hostile client names a new chequebook in every request (a well-formed cheque, any signature, too small to pay:
 * refused locally as UNDERPAID, without a call to the node). Refusing it must cost no memory that outlives the
 * request: the accounts keep a payer's book only once they hold or charged something of it, or admitted a payment.
 */
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { expect } from "chai";
import { getAddress } from "ethers";
import type { PaymentPayload } from "@x402/core/types";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger } from "../../sdk/x402/index.js";
import { localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;
const REQUESTS = 40_000;
const randomBook = () => getAddress("0x" + randomBytes(20).toString("hex"));

setFlagsFromString("--expose_gc");
const gc = runInNewContext("gc") as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe("x402 cheque accounts: requests naming unknown chequebooks", function () {
  this.timeout(120_000);

  it(`refuses ${REQUESTS} of them, each for another chequebook, and keeps nothing of them`, async function () {
    const accounts = new ChequeAccounts({ verifier: localVerifier(), store: new MemoryChequeStore(), ledger: new MemoryChargeLedger() });
    const req = requirementFor(PRICE);
    const template = await paymentOf(1n, req);
    const cheque = (template.payload as { cheque: Record<string, string> }).cheque;
    const books = Array.from({ length: REQUESTS }, () => randomBook());
    const payload = (book: string): PaymentPayload => ({ ...template, payload: { cheque: { ...cheque, chequebook: book }, chainId: "31337" } });
    // Warm-up, as many again: code paths compiled, caches and tables grown to their working size.
    for (let i = 0; i < REQUESTS; i++) await accounts.verify(payload(randomBook()), req);
    const before = heap();
    let underpaid = 0;
    for (const book of books) if ((await accounts.verify(payload(book), req)).invalidReason === "UNDERPAID") underpaid++;
    const grown = heap() - before;
    expect(underpaid).to.equal(REQUESTS);
    expect(grown / REQUESTS, `${grown} bytes kept for ${REQUESTS} refused requests`).to.be.below(16);
    accounts.close();
  });
});
