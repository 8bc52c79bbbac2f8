/**
 * `close()` ends the sharing of a store's in-memory state (reservations, books, replay windows) with accounts built
 * later on the same store object: a paywall rebuilt in the same process (a configuration reload, a restart of the
 * HTTP server alone) starts from what is durable. Requests admitted before the close finish against the old state,
 * and unlike after a process exit they are charged: the new accounts must see them, else the credit they reserved
 * is served a second time (charged on disk > best cheque held).
 */
import { expect } from "chai";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger } from "../../sdk/x402/index.js";
import { beneficiary, chequebook, localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque accounts: closed while a request is in flight", function () {
  it("accounts built after the close do not serve the credit an admitted request reserved", async function () {
    const store = new MemoryChequeStore();
    const ledger = new MemoryChargeLedger();
    const req = requirementFor(PRICE);
    const old = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
    const first = await paymentOf(PRICE, req);
    expect((await old.verify(first, req)).isValid).to.equal(true); // its handler runs
    old.close(); // the paywall is rebuilt meanwhile
    const rebuilt = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
    // An overtaken cheque (below the one held) asks for the same credit.
    const second = await paymentOf(PRICE - 1n, req);
    let served = 0n;
    if ((await rebuilt.verify(second, req)).isValid && (await rebuilt.settle(second, req)).success) served++;
    if ((await old.settle(first, req)).success) served++;
    const held = (await store.getReceived(chequebook, beneficiary))!.cheque.cumulativePayout;
    const charged = await ledger.charged(chequebook);
    expect(charged).to.equal(served * PRICE);
    expect(charged <= held, `charged ${charged} <= held ${held}`).to.equal(true);
    rebuilt.close();
  });

  it("closed accounts admit no payment (a request reaching the old paywall after the rebuild)", async function () {
    const store = new MemoryChequeStore();
    const ledger = new MemoryChargeLedger();
    const req = requirementFor(PRICE);
    const old = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
    const first = await paymentOf(2n * PRICE, req);
    expect((await old.verify(first, req)).isValid).to.equal(true);
    expect((await old.settle(first, req)).success).to.equal(true); // one price of credit left
    old.close();
    const rebuilt = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
    let served = 1n;
    for (const [at, value] of [[rebuilt, 2n * PRICE - 1n], [old, 2n * PRICE - 2n]] as const) {
      const p = await paymentOf(value, req);
      if ((await at.verify(p, req)).isValid && (await at.settle(p, req)).success) served++;
    }
    const held = (await store.getReceived(chequebook, beneficiary))!.cheque.cumulativePayout;
    const charged = await ledger.charged(chequebook);
    expect(charged).to.equal(served * PRICE);
    expect(charged <= held, `charged ${charged} <= held ${held}`).to.equal(true);
    rebuilt.close();
  });
});
