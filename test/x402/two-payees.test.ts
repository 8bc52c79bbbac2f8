/**
 * One cheque store serving two beneficiaries (the README's advice: a beneficiary per service) with one charge
 * ledger: the ledger's totals and used values are per chequebook, not per (chequebook, beneficiary). In memory each
 * beneficiary's account counts its own charges; after a restart each reads the other's charges as its own, and an
 * honest client of one payee is refused (UNDERPAID: charged for the other payee's requests), for good, since its
 * own count is right. The property: a client paying two payees through one store and ledger is still served by
 * each after a restart, or the configuration is refused when the second account is built.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";

import { ChequeError, MemoryChequeStore, SqliteChequeStore, type ChequeStore } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger, SqliteChargeLedger, type ChargeLedger } from "../../sdk/x402/index.js";
import { beneficiary, chequebook, localVerifier, paymentOf, requirementFor } from "./local.js";

const PRICE = 1000n;
const other = new Wallet("0x" + "33".repeat(32)).address;

/** Builds the accounts of both payees, or the INVALID_ARGUMENT refusing the second. */
function build(store: ChequeStore, ledger: ChargeLedger, otherLedger = ledger): [ChequeAccounts, ChequeAccounts] | ChequeError {
  const first = new ChequeAccounts({ verifier: localVerifier(beneficiary), store, ledger });
  try {
    return [first, new ChequeAccounts({ verifier: localVerifier(other), store, ledger: otherLedger })];
  } catch (error) {
    first.close();
    if (error instanceof ChequeError && error.code === "INVALID_ARGUMENT") return error;
    throw error;
  }
}

async function pay(accounts: ChequeAccounts, payee: string, value: bigint): Promise<string> {
  const req = requirementFor(PRICE, payee);
  const p = await paymentOf(value, req, payee);
  const verdict = await accounts.verify(p, req);
  if (!verdict.isValid) return verdict.invalidReason!;
  return (await accounts.settle(p, req)).success ? "served" : "failed";
}

/** Each payee serves one request; a restart; the first payee's next honest payment. */
async function scenario(store: ChequeStore, ledger: ChargeLedger, otherLedger = ledger): Promise<"refused" | "served"> {
  const built = build(store, ledger, otherLedger);
  if (built instanceof ChequeError) return "refused"; // nothing can mix
  const [a, b] = built;
  expect(await pay(a, beneficiary, PRICE)).to.equal("served");
  expect(await pay(b, other, PRICE)).to.equal("served");
  a.close();
  b.close();
  const again = build(store, ledger, otherLedger);
  if (again instanceof ChequeError) return "refused";
  const [a2, b2] = again;
  try {
    expect(await pay(a2, beneficiary, 2n * PRICE), "the first payee's second request, paid by one more price").to.equal("served");
    expect(await pay(b2, other, 2n * PRICE), "the second payee's second request, paid by one more price").to.equal("served");
    expect((await a2.account(chequebook)).charged).to.equal(2n * PRICE);
  } finally {
    a2.close();
    b2.close();
  }
  return "served";
}

describe("x402 cheque accounts: two beneficiaries on one store and one charge ledger", function () {
  it("in memory", async function () {
    await scenario(new MemoryChequeStore(), new MemoryChargeLedger());
  });

  it("a ledger per beneficiary: each serves its payer's next request after a restart", async function () {
    expect(await scenario(new MemoryChequeStore(), new MemoryChargeLedger(), new MemoryChargeLedger())).to.equal("served");
  });

  it("SQLite, each account with the ledger beside the store", async function () {
    const dir = await mkdtemp(join(tmpdir(), "x402-payees-"));
    const store = SqliteChequeStore.open(join(dir, "payee.db"));
    try {
      const first = await SqliteChargeLedger.beside(store);
      const second = await SqliteChargeLedger.beside(store);
      const a = new ChequeAccounts({ verifier: localVerifier(beneficiary), store, ledger: first });
      let refused = false;
      let b: ChequeAccounts | undefined;
      try {
        b = new ChequeAccounts({ verifier: localVerifier(other), store, ledger: second });
      } catch (error) {
        refused = error instanceof ChequeError && error.code === "INVALID_ARGUMENT";
      }
      a.close();
      b?.close();
      if (!refused) await scenario(store, first); // the same tables either way
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
