/**
 * A server taking payments on two chains for one beneficiary with one cheque store. The store keeps one cheque per
 * (chequebook, beneficiary), without its chain, and a chequebook can have the same address on both chains (a
 * factory at the same address, CREATE2). A hostile payer pays ten requests on chain A, then one on chain B with a
 * cheque a little above: it overwrites the chain-A cheque in the store, so the server, which served eleven
 * requests, holds a cheque it can cash for one price at most (the chain-B chequebook need not hold more). The
 * property: a store keeps each cheque the server served on, or the second chain's accounts are refused.
 */
import { expect } from "chai";

import { ChequeError, MemoryChequeStore, recoverChequeSigner } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger } from "../../sdk/x402/index.js";
import { CHAIN, beneficiary, chequebook, issuer, localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;
const OTHER_CHAIN = 100n;

describe("x402 cheque accounts: two chains on one store", function () {
  it("refuses one charge ledger for two chains (with a store per chain)", function () {
    const ledger = new MemoryChargeLedger();
    const a = new ChequeAccounts({ verifier: localVerifier(beneficiary, CHAIN), store: new MemoryChequeStore(), ledger });
    try {
      expect(() => new ChequeAccounts({ verifier: localVerifier(beneficiary, OTHER_CHAIN), store: new MemoryChequeStore(), ledger })).to.throw(ChequeError, /chain/);
    } finally {
      a.close();
    }
  });

  it("never lets a cheque of one chain replace the cheque of another the server served on", async function () {
    const store = new MemoryChequeStore();
    const ledger = new MemoryChargeLedger();
    const a = new ChequeAccounts({ verifier: localVerifier(beneficiary, CHAIN), store, ledger });
    let b: ChequeAccounts | undefined;
    try {
      b = new ChequeAccounts({ verifier: localVerifier(beneficiary, OTHER_CHAIN), store, ledger });
    } catch (error) {
      expect(error).to.be.instanceOf(ChequeError);
      expect((error as ChequeError).code).to.equal("INVALID_ARGUMENT");
    }
    try {
      const reqA = requirementFor(PRICE, beneficiary, CHAIN);
      const onA = await paymentOf(10n * PRICE, reqA, beneficiary, CHAIN);
      expect((await a.verify(onA, reqA)).isValid).to.equal(true);
      expect((await a.settle(onA, reqA)).success).to.equal(true);
      if (b !== undefined) {
        const reqB = requirementFor(PRICE, beneficiary, OTHER_CHAIN);
        const onB = await paymentOf(10n * PRICE + 1n, reqB, beneficiary, OTHER_CHAIN);
        if ((await b.verify(onB, reqB)).isValid) await b.settle(onB, reqB);
      }
      const held = (await store.getReceived(chequebook, beneficiary))!.cheque;
      expect(recoverChequeSigner({ cheque: held, chainId: CHAIN }), "the chain-A cheque the server served on is still held").to.equal(issuer.address);
      expect(held.cumulativePayout).to.equal(10n * PRICE);
    } finally {
      a.close();
      b?.close();
    }
  });
});
