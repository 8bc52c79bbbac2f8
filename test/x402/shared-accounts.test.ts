/**
 * A hostile client against two `ChequeAccounts` built on one cheque store and charge ledger (say two paywalls, or
 * two route groups, in one process, for one beneficiary). Each account's reservations and replay window are its own
 * unless they share them, so the client spreads its cheques (all its own, all valid) over both and is served more
 * than the best cheque held pays for. The property: served x price <= best cheque held (K <= H), however many
 * accounts front one store.
 */
import { expect } from "chai";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";

import { ChequeError, MemoryChequeStore, chequeToJson, type SignedCheque } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger } from "../../sdk/x402/index.js";
import { sdkFixture, verifierFor, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque } from "./helpers.js";

describe("x402 cheque accounts sharing one store", function () {
  this.timeout(60_000);
  let f: SdkFixture;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });

  function requirements(accounts: ChequeAccounts): PaymentRequirements {
    return { scheme: "cheque", network: accounts.network, asset: f.tokenAddress, amount: PRICE.toString(), payTo: f.beneficiary.address, maxTimeoutSeconds: 60, extra: {} };
  }
  function payload(req: PaymentRequirements, c: SignedCheque): PaymentPayload {
    return { x402Version: 2, accepted: req, payload: { cheque: { ...chequeToJson(c) }, chainId: f.chainId.toString() } };
  }

  it("never admits more than the best cheque held pays for, spread over two accounts", async function () {
    const store = new MemoryChequeStore();
    const ledger = new MemoryChargeLedger();
    const a = new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger });
    const b = new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger });
    const req = requirements(a);
    const admitted: Array<{ at: ChequeAccounts; p: PaymentPayload }> = [];
    const offer = async (at: ChequeAccounts, value: bigint) => {
      const p = payload(req, await cheque(f, value));
      if ((await at.verify(p, req)).isValid) admitted.push({ at, p });
    };
    await offer(b, PRICE); // B's window starts below everything that follows
    await b.settle(admitted[0]!.p, req);
    await offer(a, 3n * PRICE); // A holds 3 prices, charged 1, reserves 1
    await offer(b, 2n * PRICE); // overtaken at B: B sees no reservation of A's
    await offer(a, 2n * PRICE + PRICE / 2n); // overtaken at A
    for (const { at, p } of admitted.slice(1)) await at.settle(p, req);
    const held = (await store.getReceived(f.address, f.beneficiary.address))!.cheque.cumulativePayout;
    const charged = await ledger.charged(f.address);
    expect(BigInt(admitted.length) * PRICE, "served x price").to.equal(charged);
    expect(charged <= held, `charged ${charged} <= held ${held}`).to.equal(true);
  });

  it("refuses a second account on the same store with another charge ledger", function () {
    const store = new MemoryChequeStore();
    new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger: new MemoryChargeLedger() });
    let error: unknown;
    try {
      new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger: new MemoryChargeLedger() });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ChequeError);
    expect((error as ChequeError).code).to.equal("INVALID_ARGUMENT");
  });

  it("forgets the shared state when the last account on the store closes (a restart starts with no memory)", function () {
    const store = new MemoryChequeStore();
    const first = new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger: new MemoryChargeLedger() });
    first.close();
    first.close();
    expect(() => new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger: new MemoryChargeLedger() })).to.not.throw();
  });
});
