/**
 * `settle` charges a payment the accounts admitted, once, and never more than its admission reserved. x402 lets the
 * handler ask for another settlement amount (the `Settlement-Overrides` response header, made for `upto` schemes),
 * and `settle` is a public method: a settlement above the reservation would charge beyond the cheque held (K > H),
 * one that is not a price at all must still free the reservation (else the payer's credit is locked until a
 * restart), and a second settle of the same payment must not charge it again.
 */
import { expect } from "chai";

import { MemoryChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger } from "../../sdk/x402/index.js";
import { chequebook, localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;

describe("x402 cheque accounts: settle", function () {
  let accounts: ChequeAccounts;
  let ledger: MemoryChargeLedger;
  beforeEach(function () {
    const store = new MemoryChequeStore();
    ledger = new MemoryChargeLedger();
    accounts = new ChequeAccounts({ verifier: localVerifier(), store, ledger });
  });
  afterEach(function () {
    accounts.close();
  });

  async function admitted(value: bigint) {
    const req = requirementFor(PRICE);
    const p = await paymentOf(value, req);
    expect((await accounts.verify(p, req)).isValid).to.equal(true);
    return { req, p };
  }
  const settleOutcome = (promise: Promise<{ success: boolean }>) => promise.then((r) => r.success, () => false);

  it("charges a payment once: a second settle charges nothing", async function () {
    const { req, p } = await admitted(3n * PRICE);
    expect(await settleOutcome(accounts.settle(p, req))).to.equal(true);
    expect(await settleOutcome(accounts.settle(p, req))).to.equal(false);
    expect(await ledger.charged(chequebook)).to.equal(PRICE);
    expect((await accounts.account(chequebook)).reserved).to.equal(0n);
  });

  it("a settle after the payment was released charges nothing", async function () {
    const { req, p } = await admitted(3n * PRICE);
    await accounts.release(p, req);
    expect(await settleOutcome(accounts.settle(p, req))).to.equal(false);
    expect(await ledger.charged(chequebook)).to.equal(0n);
  });

  it("refuses a settlement above the reservation, and frees it", async function () {
    const { p } = await admitted(PRICE);
    expect(await settleOutcome(accounts.settle(p, requirementFor(5n * PRICE)))).to.equal(false);
    const account = await accounts.account(chequebook);
    expect(account.charged, `charged ${account.charged} with ${account.held} held`).to.equal(0n);
    expect(account.reserved).to.equal(0n);
  });

  it("frees the reservation of a settlement whose amount is not a price", async function () {
    const { p, req } = await admitted(PRICE);
    expect(await settleOutcome(accounts.settle(p, { ...req, amount: "0" }))).to.equal(false);
    expect((await accounts.account(chequebook)).reserved).to.equal(0n);
  });

  it("charges a settlement below the price and frees the whole reservation", async function () {
    const { p } = await admitted(PRICE);
    const settled = await accounts.settle(p, requirementFor(PRICE / 4n));
    expect(settled.amount).to.equal((PRICE / 4n).toString());
    const account = await accounts.account(chequebook);
    expect(account.charged).to.equal(PRICE / 4n);
    expect(account.reserved).to.equal(0n);
  });
});
