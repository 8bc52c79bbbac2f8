/**
 * Cash-outs against a hostile chain and a process that dies: a reorganisation that takes a confirmed cash-out away,
 * two cash-outs of one chequebook racing, and the recovery of cash-outs a killed process left pending (the
 * SIGKILL version is in crash.test.ts).
 */
import { expect } from "chai";
import { HDNodeWallet, Mnemonic, hexlify, randomBytes } from "ethers";

import { ChequeCasher, MemoryChequeStore, cashoutTxKey, chequebookInterface, signCheque, type ChequeStore, type TxProgress } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, type SdkFixture } from "./helpers.js";

const FAST = { pollMs: 10, droppedAfterMs: 150 };
const free = () => 0n;
const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
};

async function hold(f: SdkFixture, store: ChequeStore, cumulativePayout: bigint) {
  const cheque = await signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
  await store.putReceived(cheque);
  return cheque;
}

/** What a process killed right after sending leaves behind: a pending record and, if it got that far, the pending tx. */
async function interrupted(f: SdkFixture, store: ChequeStore, cumulativePayout: bigint, options: { send: boolean; remember: "hash" | "other-hash" | "nothing" }) {
  const cheque = await hold(f, store, cumulativePayout);
  const record = { id: `${f.address}:${f.beneficiary.address}:${cumulativePayout}:1`, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, status: "pending" as const, updatedAt: 1 };
  await store.putCashout(record);
  const nonce = await ethers.provider.getTransactionCount(f.beneficiary.address, "pending");
  let hash = hexlify(randomBytes(32));
  if (options.send) {
    const data = chequebookInterface.encodeFunctionData("cashChequeBeneficiary", [f.beneficiary.address, cumulativePayout, cheque.signature]);
    hash = (await f.beneficiary.sendTransaction({ to: f.address, data, nonce })).hash;
  }
  if (options.remember !== "nothing") {
    await store.putPendingTx({ key: cashoutTxKey(f.address, f.beneficiary.address), hash: options.remember === "hash" ? hash : hexlify(randomBytes(32)), from: f.beneficiary.address, nonce, createdAt: 1 });
  }
  return record;
}

describe("SDK cash-out: reorganisations, races, recovery", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });
  afterEach(async function () {
    await ethers.provider.send("evm_setAutomine", [true]);
  });

  it("does not record a cash-out as confirmed when its block is reorganised away after the confirmations", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 40n * UNIT);
    const snapshot = await ethers.provider.send("evm_snapshot", []);
    const progress: TxProgress[] = [];
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, confirmations: 3, onProgress: (p) => progress.push(p) } });
    const cashing = casher.cashOut(f.address).then((r) => ({ r }), (e: unknown) => ({ e }));
    await until(() => progress.some((p) => p.stage === "confirming"));
    // The block with the cash-out is replaced by a longer chain without it.
    await ethers.provider.send("evm_revert", [snapshot]);
    for (let i = 0; i < 3; i++) await ethers.provider.send("evm_mine", []);
    const outcome = await cashing;
    const balance = await f.token.balanceOf(f.beneficiary.address);
    const [record] = await store.listCashouts(f.address);
    // Whatever happened, the record and the result tell what the chain did.
    if ("r" in outcome) {
      expect(outcome.r.paid).to.equal(balance);
      expect(record!.status).to.equal("confirmed");
    } else {
      expect(balance).to.equal(0n);
      expect(record!.status, `recorded ${record!.status} while nothing was paid`).to.not.equal("confirmed");
      expect((outcome.e as { code?: string }).code).to.equal("TX_DROPPED");
      expect(progress.some((p) => p.stage === "reorged")).to.equal(true);
    }
    expect(await store.listPendingTx()).to.deep.equal([]);
  });

  it("runs two concurrent cash-outs of one chequebook one after the other: one transaction, then NOTHING_TO_CASH", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 40n * UNIT);
    const progress: TxProgress[] = [];
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, onProgress: (p) => progress.push(p) } });
    const other = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, onProgress: (p) => progress.push(p) } });
    const [a, b] = await Promise.allSettled([casher.cashOut(f.address), other.cashOut(f.address)]);
    expect(progress.filter((p) => p.stage === "sent")).to.have.length(1);
    const results = [a, b].filter((x) => x.status === "fulfilled").map((x) => (x as PromiseFulfilledResult<{ paid: bigint }>).value);
    const errors = [a, b].filter((x) => x.status === "rejected").map((x) => (x as PromiseRejectedResult).reason as { code?: string });
    expect(results.map((r) => r.paid)).to.deep.equal([40n * UNIT]);
    expect(errors.map((e) => e.code)).to.deep.equal(["NOTHING_TO_CASH"]);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(40n * UNIT);
  });

  it("remembers a transaction before broadcasting it: a crash while remembering it sends nothing", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 40n * UNIT);
    // The beneficiary's development key as a local signer; a store that dies while remembering the transaction.
    const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), "m/44'/60'/0'/0/2").connect(ethers.provider);
    expect(wallet.address).to.equal(f.beneficiary.address);
    const dying = new Proxy(store, {
      get(target, property) {
        if (property === "putPendingTx") return () => Promise.reject(new Error("killed while writing"));
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const before = await ethers.provider.getTransactionCount(wallet.address, "pending");
    const casher = new ChequeCasher({ signer: wallet, store: dying, gasCostInToken: free, tx: FAST });
    let failed = false;
    await casher.cashOut(f.address).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(await ethers.provider.getTransactionCount(wallet.address, "pending"), "broadcast before it was remembered").to.equal(before);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(0n);
  });

  describe("recovery at start-up", function () {
    it("settles a cash-out sent and mined before the process died: recorded once, never sent again", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const record = await interrupted(f, store, 40n * UNIT, { send: true, remember: "hash" });
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, onProgress: (p) => progress.push(p) } });
      const recovered = await casher.recover();
      expect(recovered.map((r) => [r.record.id, r.outcome])).to.deep.equal([[record.id, "confirmed"]]);
      expect(recovered[0]!.record).to.deep.include({ paid: 40n * UNIT, stillOwed: 0n, bounced: false });
      expect(await store.listPendingTx()).to.deep.equal([]);
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      expect(progress.filter((p) => p.stage === "sent")).to.deep.equal([]);
      expect(await casher.recover()).to.deep.equal([]);
    });

    it("finds a cash-out mined under a hash it did not remember (a replacement) by its nonce", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const record = await interrupted(f, store, 40n * UNIT, { send: true, remember: "other-hash" });
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      const [r] = await casher.recover();
      expect(r!.outcome).to.equal("confirmed");
      expect(r!.record).to.deep.include({ id: record.id, paid: 40n * UNIT });
      expect(await store.listPendingTx()).to.deep.equal([]);
    });

    it("finds a cash-out sent before its hash was remembered, by its event", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await interrupted(f, store, 40n * UNIT, { send: true, remember: "nothing" });
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      expect((await casher.recover()).map((r) => r.outcome)).to.deep.equal(["confirmed"]);
    });

    it("records as dropped a cash-out that never reached the chain, and the next cash-out sends it", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await interrupted(f, store, 40n * UNIT, { send: false, remember: "hash" });
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      const [r] = await casher.recover();
      expect(r!.outcome).to.equal("dropped");
      expect(await store.listPendingTx()).to.deep.equal([]);
      expect((await casher.cashOut(f.address)).paid).to.equal(40n * UNIT);
    });

    it("a casher already running settles a cash-out another process left pending before it cashes that chequebook again", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      await rejection(() => casher.cashOut(f.address)); // nothing held yet: its one recovery at start-up is behind it
      // Another process sharing the store sent a cash-out, was mined, and died before recording it.
      await interrupted(f, store, 40n * UNIT, { send: true, remember: "hash" });
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      expect((await store.listCashouts(f.address)).map((r) => [r.status, r.paid])).to.deep.equal([["confirmed", 40n * UNIT]]);
      expect(await store.listPendingTx()).to.deep.equal([]);
      // And one that never reached the chain: recorded as dropped, then cashed once, its pending row not overwritten.
      await interrupted(f, store, 70n * UNIT, { send: false, remember: "hash" });
      expect((await casher.cashOut(f.address)).paid).to.equal(30n * UNIT);
      expect((await store.listCashouts(f.address)).map((r) => r.status).sort()).to.deep.equal(["confirmed", "confirmed", "dropped"]);
      expect(await store.listPendingTx()).to.deep.equal([]);
    });

    it("does not record as dropped a cash-out another process sent (hash never learnt) that is still waiting to be mined", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, onProgress: (p) => progress.push(p) } });
      await rejection(() => casher.cashOut(f.address)); // nothing held yet: its one recovery at start-up is behind it
      const nonceBefore = await ethers.provider.getTransactionCount(f.beneficiary.address, "latest");
      // Another process (a signer that sends through the node) got no answer to its send and died: the transaction
      // is in the node's pool, its hash was never learnt.
      await ethers.provider.send("evm_setAutomine", [false]);
      const record = await interrupted(f, store, 40n * UNIT, { send: true, remember: "nothing" });
      // The next cash-out cannot tell yet: it leaves the record pending (TIMEOUT) and sends nothing.
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("TIMEOUT");
      expect(progress.filter((p) => p.stage === "sent")).to.deep.equal([]);
      await ethers.provider.send("evm_mine", []);
      await ethers.provider.send("evm_setAutomine", [true]);
      await rejection(() => casher.cashOut(f.address)); // settles whatever is left pending; nothing more to cash
      // The chain paid 40 once, by the other process's transaction, and sent nothing else.
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(40n * UNIT);
      expect((await ethers.provider.getTransactionCount(f.beneficiary.address, "latest")) - nonceBefore, "a second cash-out was sent").to.equal(1);
      const settled = (await store.listCashouts(f.address)).find((r) => r.id === record.id)!;
      expect([settled.status, settled.paid], "the payment the chain made is not in the store").to.deep.equal(["confirmed", 40n * UNIT]);
      expect(await store.listPendingTx()).to.deep.equal([]);
    });

    it("runs by itself before the first cash-out", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await interrupted(f, store, 40n * UNIT, { send: true, remember: "hash" });
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      expect((await store.listCashouts(f.address)).map((r) => r.status)).to.deep.equal(["confirmed"]);
    });
  });
});
