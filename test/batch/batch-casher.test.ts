/**
 * BatchCasher on the in-process chain: mixed batches where every good item is paid and every bad one reported, a
 * hostile look-alike that attacks only the real transaction, the store records and the recovery of a batch whose
 * process died between the send and the receipt, and the shared per-(chequebook, beneficiary) lock.
 */
import { expect } from "chai";

import { BatchCasher, ChequeCasher, MemoryChequeStore, cashoutTxKey, signCheque, type ChequeStore, type TxProgress } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { rejection } from "../sdk/helpers.js";
import { FAST, UNIT, batchFixture, devWallet } from "./helpers.js";

const free = () => 0n;

async function mixedFixture() {
  const f = await batchFixture(6);
  const me = f.wallet.address;
  const [covered, bouncing, cashed, forged, drained, noneHeld] = await Promise.all(f.books.map((b) => b.getAddress()));
  // cashed: 5 already paid, the cheque held is that one.
  await (await f.books[2]!.connect(f.beneficiarySigner).cashChequeBeneficiary(me, 5n * UNIT, await f.cheque(f.issuer, cashed!, me, 5n * UNIT))).wait();
  await (await f.books[4]!.connect(f.issuer).withdraw(100n * UNIT)).wait();
  // A chequebook of another factory, in another token.
  const otherToken = await ethers.deployContract("TestToken");
  const otherFactory = await ethers.deployContract("ChequebookFactory", [await otherToken.getAddress()]);
  const foreign = await deployChequebook(otherFactory, f.issuer, f.issuer.address);
  await otherToken.mint(await foreign.getAddress(), 100n * UNIT);
  // An ERC-1271 issuer that approved the cheque, then revoked its approval.
  const wallet1271 = await ethers.deployContract("MaliciousERC1271Wallet");
  const revoked = await deployChequebook(f.factory, f.issuer, await wallet1271.getAddress(), 86_400n, ethers.id("1271"));
  await f.token.mint(await revoked.getAddress(), 100n * UNIT);
  await wallet1271.setMode(4); // ApprovesAll
  const held = [
    { chequebook: covered!, amount: 10n * UNIT, signer: f.issuer },
    { chequebook: bouncing!, amount: 150n * UNIT, signer: f.issuer },
    { chequebook: cashed!, amount: 5n * UNIT, signer: f.issuer },
    { chequebook: forged!, amount: 7n * UNIT, signer: f.other },
    { chequebook: drained!, amount: 3n * UNIT, signer: f.issuer },
    { chequebook: await foreign.getAddress(), amount: 4n * UNIT, signer: f.issuer },
    { chequebook: await revoked.getAddress(), amount: 6n * UNIT, signer: f.issuer },
  ];
  return { ...f, me, covered: covered!, bouncing: bouncing!, cashed: cashed!, forged: forged!, drained: drained!, noneHeld: noneHeld!, foreign: await foreign.getAddress(), revoked: await revoked.getAddress(), wallet1271, otherToken, held };
}

async function storeWith(f: Awaited<ReturnType<typeof mixedFixture>>, store: ChequeStore = new MemoryChequeStore()) {
  for (const h of f.held) {
    await store.putReceived(await signCheque({ signer: h.signer, chequebook: h.chequebook, beneficiary: f.me, cumulativePayout: h.amount, chainId: f.chainId }));
  }
  return store;
}

const casherFor = async (f: Awaited<ReturnType<typeof mixedFixture>>, store: ChequeStore, extra: Partial<ConstructorParameters<typeof BatchCasher>[0]> = {}) =>
  new BatchCasher({ signer: f.wallet, store, delegate: await f.delegate.getAddress(), gasCostInToken: free, token: await f.token.getAddress(), tx: FAST, ...extra });

describe("BatchCasher", function () {
  it("pays every good item of a mixed batch in one transaction and reports every bad one with its reason", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    await f.wallet1271.setMode(0); // revoked: WrongMagic from now on
    const batch = await casherFor(f, store);
    expect(await batch.supported()).to.equal(true);
    const before = await f.token.balanceOf(f.me);
    const progress: string[] = [];
    const order = [f.covered, f.bouncing, f.cashed, f.forged, f.drained, f.foreign, f.revoked, f.noneHeld, f.covered];
    const reports = await batch.cashOut(order, { onProgress: (r) => progress.push(r.chequebook) });
    const brief = reports.map((r) => [r.status, r.code ?? "", r.paid]);
    expect(brief).to.deep.equal([
      ["paid", "", 10n * UNIT],
      ["bounced", "", 100n * UNIT],
      ["skipped", "NOTHING_TO_CASH", 0n],
      ["skipped", "SIMULATION_FAILED", 0n],
      ["skipped", "NOTHING_TO_CASH", 0n],
      ["skipped", "WRONG_TOKEN", 0n],
      ["skipped", "SIMULATION_FAILED", 0n],
      ["skipped", "NOTHING_TO_CASH", 0n],
      ["skipped", "DUPLICATE", 0n],
    ]);
    expect(reports[3]!.reason).to.match(/ChequebookInvalidIssuerSignature/);
    expect(reports[6]!.reason).to.match(/ChequebookInvalidIssuerSignature/);
    expect(reports[0]!.txHash).to.be.a("string").and.equal(reports[1]!.txHash);
    expect(progress).to.have.members(order);
    expect((await f.token.balanceOf(f.me)) - before).to.equal(110n * UNIT);
    expect(await f.otherToken.balanceOf(f.me)).to.equal(0n);
    // Recorded as ChequeCasher records: confirmed with what was paid and what is still owed; nothing left pending.
    const records = await store.listCashouts();
    expect(records.map((r) => [r.chequebook, r.status, r.paid, r.bounced, r.stillOwed])).to.have.deep.members([
      [f.covered, "confirmed", 10n * UNIT, false, 0n],
      [f.bouncing, "confirmed", 100n * UNIT, true, 50n * UNIT],
    ]);
    expect(await store.listPendingTx()).to.deep.equal([]);
    // Nothing is paid twice: a second run finds nothing to cash.
    const again = await batch.cashOut([f.covered, f.bouncing]);
    expect(again.map((r) => [r.status, r.code])).to.deep.equal([["skipped", "NOTHING_TO_CASH"], ["skipped", "NOTHING_TO_CASH"]]);
  });

  it("agrees with the sequential executor on what it pays", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const order = [f.covered, f.bouncing, f.cashed, f.forged, f.drained, f.revoked];
    const sequential = await (await import("../../sdk/index.js")).sequentialCashout(new ChequeCasher({ signer: f.wallet, store: await storeWith(f), gasCostInToken: free, tx: FAST })).cashOut(order);
    await networkHelpers.loadFixture(mixedFixture);
    const batched = await (await casherFor(f, await storeWith(f))).cashOut(order);
    expect(batched.map((r) => [r.status, r.paid])).to.deep.equal(sequential.map((r) => [r.status, r.paid]));
  });

  it("leaves out an unprofitable item unless forced", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const dear = await casherFor(f, store, { gasCostInToken: () => 1000n * UNIT });
    const [r] = await dear.cashOut([f.covered]);
    expect([r!.status, r!.code]).to.deep.equal(["skipped", "UNPROFITABLE_CASHOUT"]);
    const [forced] = await dear.cashOut([f.covered], { force: true });
    expect([forced!.status, forced!.paid]).to.deep.equal(["paid", 10n * UNIT]);
  });

  it("splits a batch by maxItemsPerTx", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const reports = await (await casherFor(f, store, { maxItemsPerTx: 1 })).cashOut([f.covered, f.bouncing]);
    expect(reports.map((r) => r.status)).to.deep.equal(["paid", "bounced"]);
    expect(reports[0]!.txHash).to.not.equal(reports[1]!.txHash);
  });

  it("refuses to run for an account that is not delegated, and validates its options", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const undelegated = new BatchCasher({ signer: devWallet(5), store, delegate: await f.delegate.getAddress(), gasCostInToken: free, tx: FAST });
    expect(await undelegated.supported()).to.equal(false);
    expect((await rejection(() => undelegated.cashOut([f.covered]))).code).to.equal("BATCH_UNSUPPORTED");
    expect(() => new BatchCasher({ signer: f.wallet, store, delegate: f.me, gasCostInToken: free, maxItemsPerTx: 0 })).to.throw(/maxItemsPerTx/);
    expect(() => new BatchCasher({ signer: f.wallet, store, delegate: f.me, gasCostInToken: free, maxGasPerTx: 1000n })).to.throw(/maxGasPerTx/);
    const [bad] = await (await casherFor(f, store)).cashOut(["not an address"]);
    expect([bad!.status, bad!.code]).to.deep.equal(["skipped", "INVALID_ARGUMENT"]);
  });

  for (const [mode, name] of [[0, "burns its gas"], [3, "pulls the account's tokens"]] as const) {
    it(`survives a look-alike that passes the simulation and ${name} in the transaction`, async function () {
      const f = await networkHelpers.loadFixture(mixedFixture);
      const store = await storeWith(f);
      const hostile = await ethers.deployContract("HostileChequebook", [await f.token.getAddress()]);
      const hostileAddress = await hostile.getAddress();
      await store.putReceived({ chequebook: hostileAddress, beneficiary: f.me, cumulativePayout: 50n * UNIT, signature: `0x${"11".repeat(65)}` });
      await f.token.mint(f.me, 20n * UNIT);
      // Honest in a simulation with the block's gas, hostile with the cap a batch gives it.
      await hostile.arm(mode, 1_000_000n, "0x");
      const batch = await casherFor(f, store);
      const reports = await batch.cashOut([f.covered, hostileAddress, f.bouncing]);
      expect(reports.map((r) => [r.status, r.code ?? "", r.paid])).to.deep.equal([
        ["paid", "", 10n * UNIT],
        ["skipped", "ITEM_REVERTED", 0n],
        ["bounced", "", 100n * UNIT],
      ]);
      expect(await f.token.balanceOf(f.me)).to.equal(135n * UNIT); // 20 minted, 5 cashed in the fixture, 110 now
      expect(await f.token.balanceOf(hostileAddress)).to.equal(0n);
      const record = (await store.listCashouts(hostileAddress))[0]!;
      expect(record.status).to.equal("failed");
    });
  }

  it("survives a crash between the send and the receipt: the recovery records each item once, nothing is cashed twice", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    let dead = false;
    const dying = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => (dead ? Promise.reject(new Error("killed")) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
    const onProgress = (p: TxProgress) => {
      if (p.stage === "sent") dead = true;
    };
    await ethers.provider.send("evm_setAutomine", [false]);
    try {
      const first = await casherFor(f, dying, { tx: { ...FAST, onProgress } });
      const cashing = first.cashOut([f.covered, f.bouncing, f.forged]).then(() => "finished", (e: Error) => e.message);
      while (!dead) await new Promise((r) => setTimeout(r, 5));
      // The process is gone; what it left: two pending records, the transaction remembered under each item's key.
      expect((await store.listCashouts()).map((r) => r.status)).to.deep.equal(["pending", "pending"]);
      const rows = await store.listPendingTx();
      expect(rows.map((r) => r.key).sort()).to.deep.equal([cashoutTxKey(f.covered, f.me), cashoutTxKey(f.bouncing, f.me)].sort());
      expect(new Set(rows.map((r) => r.hash)).size).to.equal(1);
      await ethers.provider.send("evm_mine", []);
      expect(await cashing).to.equal("killed");
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }
    const restarted = await casherFor(f, store);
    const recovered = await restarted.recover();
    expect(recovered.map((r) => [r.record.chequebook, r.outcome, r.record.paid])).to.have.deep.members([
      [f.covered, "confirmed", 10n * UNIT],
      [f.bouncing, "confirmed", 100n * UNIT],
    ]);
    expect(await store.listPendingTx()).to.deep.equal([]);
    const again = await restarted.cashOut([f.covered, f.bouncing]);
    expect(again.map((r) => r.paid)).to.deep.equal([0n, 0n]);
    expect(await f.token.balanceOf(f.me)).to.equal(115n * UNIT); // 5 were cashed in the fixture
  });

  it("settles an item's cash-out another process left pending before batching it: recorded once, not sent again", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const batch = await casherFor(f, store);
    expect((await batch.cashOut([f.noneHeld]))[0]!.code).to.equal("NOTHING_TO_CASH"); // its start-up recovery is done
    // Another process sharing the store cashed `covered` one by one, was mined, and died before recording it.
    const record = { id: `${f.covered}:${f.me}:${10n * UNIT}:1`, chequebook: f.covered, beneficiary: f.me, cumulativePayout: 10n * UNIT, status: "pending" as const, updatedAt: 1 };
    await store.putCashout(record);
    const held = (await store.getReceived(f.covered, f.me))!;
    const nonce = await ethers.provider.getTransactionCount(f.me, "pending");
    const sent = await f.books[0]!.connect(f.wallet).cashChequeBeneficiary(f.me, 10n * UNIT, held.cheque.signature, { nonce });
    await store.putPendingTx({ key: cashoutTxKey(f.covered, f.me), hash: sent.hash, from: f.me, nonce, createdAt: 1 });
    const [r] = await batch.cashOut([f.covered]);
    expect(r).to.deep.include({ status: "skipped", code: "NOTHING_TO_CASH", paid: 0n });
    expect((await store.listCashouts(f.covered)).map((c) => [c.id, c.status, c.paid])).to.deep.equal([[record.id, "confirmed", 10n * UNIT]]);
    expect(await store.listPendingTx()).to.deep.equal([]);
  });

  it("leaves a batch whose block is reorganised away after its confirmations pending; the recovery finds it dropped, the next batch pays", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const snapshot = await ethers.provider.send("evm_snapshot", []);
    let reverted: Promise<unknown> | undefined;
    // Right after the confirmations, before the batch is recorded, the chain goes back to before it (and forgets it).
    const onProgress = (p: TxProgress) => {
      if (p.stage === "confirmed") reverted ??= ethers.provider.send("evm_revert", [snapshot]);
    };
    const batch = await casherFor(f, store, { tx: { ...FAST, droppedAfterMs: 100, onProgress } });
    const reports = await batch.cashOut([f.covered, f.bouncing]);
    await reverted;
    expect(reports.map((r) => [r.status, r.paid])).to.deep.equal([["skipped", 0n], ["skipped", 0n]]);
    expect(reports[0]!.reason).to.match(/left pending/);
    expect((await store.listCashouts()).map((r) => r.status)).to.deep.equal(["pending", "pending"]);
    expect(await store.listPendingTx()).to.have.length(2);
    const recovered = await batch.recover();
    expect(recovered.map((r) => r.outcome)).to.deep.equal(["dropped", "dropped"]);
    expect(await store.listPendingTx()).to.deep.equal([]);
    const again = await batch.cashOut([f.covered, f.bouncing]);
    expect(again.map((r) => [r.status, r.paid])).to.deep.equal([["paid", 10n * UNIT], ["bounced", 100n * UNIT]]);
  });

  it("shares the per-(chequebook, beneficiary) lock with ChequeCasher: a concurrent single cash-out waits and finds nothing", async function () {
    const f = await networkHelpers.loadFixture(mixedFixture);
    const store = await storeWith(f);
    const batch = await casherFor(f, store);
    const single = new ChequeCasher({ signer: f.wallet, store, gasCostInToken: free, tx: FAST });
    const [reports, alone] = await Promise.all([batch.cashOut([f.covered]), single.cashOut(f.covered).then(() => "paid", (e: { code?: string }) => e.code)]);
    // Whichever takes the lock first cashes; the other, once it has the lock, finds nothing left.
    expect([reports[0]!.code ?? reports[0]!.status, alone].sort()).to.deep.equal(["NOTHING_TO_CASH", "paid"]);
    expect(await f.token.balanceOf(f.me)).to.equal(15n * UNIT); // 5 were cashed in the fixture
  });
});
