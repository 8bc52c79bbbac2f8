import { expect } from "chai";

import {
  ChequeCasher,
  MemoryChequeStore,
  chequebookInterface,
  sendTransaction,
  signCashout,
  signCheque,
  type ChequeStore,
  type TxProgress,
} from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, type SdkFixture } from "./helpers.js";

const FAST = { pollMs: 10, droppedAfterMs: 150 };
const free = () => 0n; // gas costs nothing in token terms
const costly = () => 10n ** 30n;

async function hold(f: SdkFixture, store: ChequeStore, cumulativePayout: bigint, signer = f.issuer) {
  const cheque = await signCheque({ signer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
  await store.putReceived(cheque);
  return cheque;
}

describe("SDK cash-out", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });
  afterEach(async function () {
    await ethers.provider.send("evm_setAutomine", [true]);
  });

  it("cashes the best cheque held, reports the result and records it", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 40n * UNIT);
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
    expect(await casher.status(f.address)).to.deep.equal({ chequebook: f.address, beneficiary: f.beneficiary.address, held: 40n * UNIT, paidOut: 0n, uncashed: 40n * UNIT, payable: 40n * UNIT });
    const r = await casher.cashOut(f.address);
    expect(r).to.deep.include({ chequebook: f.address, paid: 40n * UNIT, callerPayout: 0n, bounced: false, stillOwed: 0n });
    expect(r.gasUsed > 0n).to.equal(true);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(40n * UNIT);
    const [record] = await store.listCashouts(f.address);
    expect(record).to.deep.include({ status: "confirmed", txHash: r.txHash, paid: 40n * UNIT, bounced: false, stillOwed: 0n });
    expect((await casher.status(f.address)).last!.status).to.equal("confirmed");
  });

  it("reports a bounce and what is still owed, and collects the rest later", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 1500n * UNIT);
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
    const first = await casher.cashOut(f.address);
    expect(first).to.deep.include({ paid: 1000n * UNIT, bounced: true, stillOwed: 500n * UNIT });
    await f.token.mint(f.address, 600n * UNIT);
    expect(await casher.cashOut(f.address)).to.deep.include({ paid: 500n * UNIT, bounced: false, stillOwed: 0n });
  });

  it("sums what is uncashed across chequebooks", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await hold(f, store, 30n * UNIT);
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
    expect((await casher.totalUncashed()).total).to.equal(30n * UNIT);
    await casher.cashOut(f.address);
    expect((await casher.totalUncashed()).total).to.equal(0n);
  });

  describe("refusals", function () {
    it("NOTHING_TO_CASH without a cheque, after a full cash-out, and with nothing liquid", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      await hold(f, store, UNIT);
      await casher.cashOut(f.address);
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      await hold(f, store, 2n * UNIT);
      await f.chequebook.connect(f.issuer).withdraw(await f.chequebook.liquidBalance());
      const e = await rejection(() => casher.cashOut(f.address));
      expect(e.code).to.equal("NOTHING_TO_CASH");
      expect(e.details.uncashed).to.equal(UNIT);
    });

    it("UNPROFITABLE_CASHOUT when gas outweighs the configured share of the payout, unless forced", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, UNIT);
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: costly, tx: FAST });
      const e = await rejection(() => casher.cashOut(f.address));
      expect(e.code).to.equal("UNPROFITABLE_CASHOUT");
      expect(e.details.costInToken).to.equal(10n ** 30n);
      expect((await casher.cashOut(f.address, { force: true })).paid).to.equal(UNIT);
    });

    it("CONTRACT_REVERT with the decoded error when the simulation fails (a forged cheque in the store)", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, UNIT, f.other);
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: FAST });
      const e = await rejection(() => casher.cashOut(f.address));
      expect(e.code).to.equal("CONTRACT_REVERT");
      expect(e.details.errorName).to.equal("ChequebookInvalidIssuerSignature");
      expect(e.message).to.match(/not the issuer's/);
    });

    it("RPC_UNAVAILABLE when the node is down", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, UNIT);
      const down = new ethers.JsonRpcProvider("http://127.0.0.1:1", f.chainId, { staticNetwork: true });
      const casher = new ChequeCasher({ signer: ethers.Wallet.createRandom().connect(down), beneficiary: f.beneficiary.address, store, gasCostInToken: free });
      expect((await rejection(() => casher.status(f.address))).code).to.equal("RPC_UNAVAILABLE");
      down.destroy();
    });

    it("INVALID_ARGUMENT for a gas share outside (0, 1]", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      expect(() => new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, maxGasShare: 0 })).to.throw(/maxGasShare/);
    });
  });

  it("lets a third party cash with the beneficiary's authorisation and earn its fee", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const cheque = await hold(f, store, 20n * UNIT);
    const authorisation = await signCashout({
      signer: f.beneficiary, chequebook: f.address, sender: f.caller.address, requestPayout: 20n * UNIT, recipient: f.beneficiary.address, callerPayout: UNIT, chainId: f.chainId,
    });
    const relayer = new ChequeCasher({ signer: f.caller, store: new MemoryChequeStore(), gasCostInToken: free, tx: FAST });
    const r = await relayer.cashOutFor({ cheque, authorisation, recipient: f.beneficiary.address, callerPayout: UNIT });
    expect(r).to.deep.include({ paid: 20n * UNIT, callerPayout: UNIT, bounced: false, stillOwed: 0n });
    expect(await f.token.balanceOf(f.caller.address)).to.equal(UNIT);
    // A fee not worth the gas is refused.
    const stingy = new ChequeCasher({ signer: f.caller, store: new MemoryChequeStore(), gasCostInToken: costly, tx: FAST });
    const later = await hold(f, store, 30n * UNIT);
    const auth2 = await signCashout({ signer: f.beneficiary, chequebook: f.address, sender: f.caller.address, requestPayout: 30n * UNIT, recipient: f.beneficiary.address, callerPayout: 1n, chainId: f.chainId });
    expect((await rejection(() => stingy.cashOutFor({ cheque: later, authorisation: auth2, recipient: f.beneficiary.address, callerPayout: 1n }))).code).to.equal("UNPROFITABLE_CASHOUT");
  });

  describe("transactions", function () {
    it("replaces a stuck cash-out with bumped fees at the same nonce", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, 5n * UNIT);
      await ethers.provider.send("evm_setAutomine", [false]);
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, stuckAfterMs: 40, onProgress: (p) => progress.push(p) } });
      const cashing = casher.cashOut(f.address);
      while (!progress.some((p) => p.stage === "replaced")) await new Promise((r) => setTimeout(r, 10));
      await ethers.provider.send("evm_mine", []);
      const result = await cashing;
      const replaced = progress.find((p) => p.stage === "replaced") as Extract<TxProgress, { stage: "replaced" }>;
      expect(result.txHash).to.equal(replaced.hash);
      const original = progress.find((p) => p.stage === "sent") as Extract<TxProgress, { stage: "sent" }>;
      const mined = await ethers.provider.getTransaction(result.txHash);
      expect(mined!.nonce).to.equal(original.nonce);
      expect(result.paid).to.equal(5n * UNIT);
    });

    it("reports a dropped cash-out as TX_DROPPED and records it", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, 5n * UNIT);
      await ethers.provider.send("evm_setAutomine", [false]);
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, onProgress: (p) => progress.push(p) } });
      const cashing = rejection(() => casher.cashOut(f.address));
      while (!progress.some((p) => p.stage === "sent")) await new Promise((r) => setTimeout(r, 5));
      const sent = progress[0] as Extract<TxProgress, { stage: "sent" }>;
      await ethers.provider.send("hardhat_dropTransaction", [sent.hash]);
      const e = await cashing;
      expect(e.code).to.equal("TX_DROPPED");
      const [record] = await store.listCashouts(f.address);
      expect(record!.status).to.equal("dropped");
      expect(record!.error).to.match(/^TX_DROPPED/);
      expect(await store.listPendingTx()).to.deep.equal([]);
    });

    it("reports a transaction that ran out of gas as OUT_OF_GAS", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const cheque = await hold(f, store, UNIT);
      const data = chequebookInterface.encodeFunctionData("cashChequeBeneficiary", [f.beneficiary.address, UNIT, cheque.signature]);
      // As on a public node: the transaction is accepted, mined, and fails there.
      await ethers.provider.send("evm_setAutomine", [false]);
      const progress: TxProgress[] = [];
      const sending = rejection(() => sendTransaction(f.beneficiary, { to: f.address, data, gasLimit: 40_000n }, { ...FAST, onProgress: (p) => progress.push(p) }));
      while (progress.length === 0) await new Promise((r) => setTimeout(r, 5));
      await ethers.provider.send("evm_mine", []);
      const e = await sending;
      expect(e.code).to.equal("OUT_OF_GAS");
      expect(e.details.gasLimit).to.equal(40_000n);
    });

    it("waits for the requested confirmations, reporting each", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await hold(f, store, UNIT);
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: free, tx: { ...FAST, confirmations: 3, onProgress: (p) => progress.push(p) } });
      const cashing = casher.cashOut(f.address);
      while (!progress.some((p) => p.stage === "confirming")) await new Promise((r) => setTimeout(r, 5));
      await ethers.provider.send("evm_mine", []);
      await ethers.provider.send("evm_mine", []);
      await cashing;
      expect(progress.filter((p) => p.stage === "confirmed")).to.deep.equal([{ stage: "confirmed", hash: (progress[0] as { hash: string }).hash, confirmations: 3 }]);
    });
  });
});
