import { expect } from "chai";
import { Wallet, ZeroHash } from "ethers";

import {
  ChequebookIssuer,
  MemoryChequeStore,
  recoverChequeSigner,
  signCustomDecreaseTimeout,
  type ChequeStore,
  type TxProgress,
} from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture } from "./helpers.js";

const FAST = { pollMs: 10, droppedAfterMs: 150, stuckAfterMs: 60_000 };

describe("SDK issuer", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });
  afterEach(async function () {
    await ethers.provider.send("evm_setAutomine", [true]);
  });

  describe("deploy", function () {
    it("deploys at the predicted address, and reports an existing one on a second call", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const progress: TxProgress[] = [];
      const first = await ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("a"), tx: { ...FAST, onProgress: (p) => progress.push(p) } });
      expect(first.existed).to.equal(false);
      expect(await f.factory.deployedContracts(first.chequebook)).to.equal(true);
      expect(progress.map((p) => p.stage)).to.deep.equal(["sent", "mined", "confirmed"]);
      const again = await ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("a") });
      expect(again).to.deep.equal({ chequebook: first.chequebook, existed: true });
      expect(await store.listPendingTx()).to.deep.equal([]);
    });

    it("resumes an interrupted deployment, noticing that its transaction was dropped and sending it again", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await ethers.provider.send("evm_setAutomine", [false]);
      // The first attempt is interrupted (here: times out) while its transaction waits in the mempool.
      const interrupted = await rejection(() =>
        ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("b"), tx: { ...FAST, timeoutMs: 100 } }),
      );
      expect(interrupted.code).to.equal("TIMEOUT");
      const [pending] = await store.listPendingTx();
      expect(pending!.key).to.match(/^deploy:/);
      await ethers.provider.send("hardhat_dropTransaction", [pending!.hash]);
      await ethers.provider.send("evm_setAutomine", [true]);

      const progress: TxProgress[] = [];
      const resumed = await ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("b"), tx: { ...FAST, onProgress: (p) => progress.push(p) } });
      expect(progress[0]).to.deep.equal({ stage: "dropped", hash: pending!.hash });
      // Sent again after the drop (same nonce, data and fees: possibly the very same signed bytes and hash).
      expect(progress.map((p) => p.stage)).to.deep.equal(["dropped", "sent", "mined", "confirmed"]);
      expect(resumed.existed).to.equal(false);
      expect(await f.factory.deployedContracts(resumed.chequebook)).to.equal(true);
    });

    it("resumes by waiting for a deployment that is still pending", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await ethers.provider.send("evm_setAutomine", [false]);
      await rejection(() => ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("c"), tx: { ...FAST, timeoutMs: 100 } }));
      const [pending] = await store.listPendingTx();
      const resuming = ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, salt: ethers.id("c"), tx: FAST });
      await new Promise((r) => setTimeout(r, 50));
      await ethers.provider.send("evm_mine", []);
      const resumed = await resuming;
      expect(resumed.hash).to.equal(pending!.hash);
    });
  });

  describe("connect", function () {
    it("refuses an address without a chequebook and a signer that is not the issuer", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      expect((await rejection(() => ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.other.address, store }))).code).to.equal("UNKNOWN_CHEQUEBOOK");
      const e = await rejection(() => ChequebookIssuer.connect({ signer: f.other, chequebook: f.address, store }));
      expect(e.code).to.equal("INVALID_ARGUMENT");
      expect(e.details.issuer).to.equal(f.issuer.address);
    });
  });

  describe("issueCheque", function () {
    it("issues cumulative cheques signed by the issuer and commits each before returning it", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const a = await issuer.issueCheque(f.beneficiary.address, 10n * UNIT);
      expect(a.cheque.cumulativePayout).to.equal(10n * UNIT);
      expect(a.availableAfter).to.equal(990n * UNIT);
      expect((await store.getIssued(f.address, f.beneficiary.address))!.cheque).to.deep.equal(a.cheque);
      const b = await issuer.issueCheque(f.beneficiary.address, 5n * UNIT);
      expect(b.cheque.cumulativePayout).to.equal(15n * UNIT);
      expect(recoverChequeSigner({ cheque: b.cheque, chainId: f.chainId })).to.equal(f.issuer.address);
      expect((await issuer.lastIssued(f.beneficiary.address))!.cheque).to.deep.equal(b.cheque);
      expect(await store.totalIssued(f.address)).to.equal(15n * UNIT);
    });

    it("serialises concurrent issues to one beneficiary: every cumulative amount is issued exactly once", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const results = await Promise.all(Array.from({ length: 10 }, () => issuer.issueCheque(f.beneficiary.address, UNIT)));
      expect(results.map((r) => r.cheque.cumulativePayout).sort((x, y) => (x < y ? -1 : 1))).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => BigInt(i + 1) * UNIT),
      );
    });

    it("refuses a cheque the chequebook could not pay, and says how much is left", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      await issuer.issueCheque(f.beneficiary.address, 600n * UNIT);
      const e = await rejection(() => issuer.issueCheque(f.other.address, 401n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      expect(e.details).to.deep.include({ available: 400n * UNIT, requested: 401n * UNIT });
      expect(await store.getIssued(f.address, f.other.address)).to.equal(undefined);
    });

    it("warns below the low-funds threshold", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const warnings: bigint[] = [];
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store, lowFundsThreshold: 100n * UNIT, onLowFunds: (i) => warnings.push(i.available) });
      expect((await issuer.issueCheque(f.beneficiary.address, 800n * UNIT)).lowFunds).to.equal(false);
      expect((await issuer.issueCheque(f.beneficiary.address, 150n * UNIT)).lowFunds).to.equal(true);
      expect(warnings).to.deep.equal([50n * UNIT]);
    });

    it("refuses a zero amount and a bad beneficiary with INVALID_ARGUMENT", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      expect((await rejection(() => issuer.issueCheque(f.beneficiary.address, 0n))).code).to.equal("INVALID_ARGUMENT");
      expect((await rejection(() => issuer.issueCheque("0x1", 1n))).code).to.equal("INVALID_ARGUMENT");
    });
  });

  describe("funds", function () {
    it("deposits with a permit in one transaction when the token supports EIP-2612", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await f.token.mint(f.issuer.address, 50n * UNIT);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const before = await ethers.provider.getTransactionCount(f.issuer.address);
      const { events } = await issuer.deposit(50n * UNIT);
      expect(await ethers.provider.getTransactionCount(f.issuer.address)).to.equal(before + 1);
      expect(events).to.deep.equal([{ name: "Deposited", args: { from: f.issuer.address, amount: 50n * UNIT } }]);
    });

    it("deposits with approve then deposit when asked not to use a permit", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await f.token.mint(f.issuer.address, 50n * UNIT);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const before = await ethers.provider.getTransactionCount(f.issuer.address);
      await issuer.deposit(50n * UNIT, { permit: false });
      expect(await ethers.provider.getTransactionCount(f.issuer.address)).to.equal(before + 2);
      expect((await issuer.balances()).total).to.equal(1050n * UNIT);
    });

    it("explains a deposit beyond the issuer's tokens with the decoded token error", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const e = await rejection(() => issuer.deposit(UNIT));
      expect(e.code).to.equal("CONTRACT_REVERT");
      expect(e.details.errorName).to.equal("ERC20InsufficientBalance");
    });

    it("refuses to withdraw below what issued cheques need, unless forced", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      await issuer.issueCheque(f.beneficiary.address, 700n * UNIT);
      const balances = await issuer.balances();
      expect(balances).to.deep.equal({ total: 1000n * UNIT, liquid: 1000n * UNIT, totalHardDeposit: 0n, totalPaidOut: 0n, totalIssued: 700n * UNIT, outstanding: 700n * UNIT, available: 300n * UNIT });
      const e = await rejection(() => issuer.withdraw(301n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      const { events } = await issuer.withdraw(301n * UNIT, { force: true });
      expect(events[0]).to.deep.equal({ name: "Withdraw", args: { amount: 301n * UNIT } });
    });

    it("reports a signer without gas money as NO_GAS_FUNDS", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const poor = Wallet.createRandom().connect(ethers.provider);
      const deployed = await ChequebookIssuer.deploy({ signer: f.other, factory: f.factoryAddress, store, issuer: poor.address, salt: ZeroHash });
      await f.token.mint(deployed.chequebook, UNIT);
      const issuer = await ChequebookIssuer.connect({ signer: poor, chequebook: deployed.chequebook, store });
      const e = await rejection(() => issuer.withdraw(UNIT));
      expect(e.code).to.equal("NO_GAS_FUNDS");
    });
  });

  describe("hard deposits", function () {
    it("increases, prepares, applies and sets a custom timeout, returning the decoded events", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      expect((await issuer.increaseHardDeposit(f.beneficiary.address, 10n * UNIT)).events).to.deep.equal([
        { name: "HardDepositAmountChanged", args: { beneficiary: f.beneficiary.address, amount: 10n * UNIT } },
      ]);
      const sig = await signCustomDecreaseTimeout({ signer: f.beneficiary, chequebook: f.address, beneficiary: f.beneficiary.address, decreaseTimeout: 60n, chainId: f.chainId });
      expect((await issuer.setCustomHardDepositTimeout(f.beneficiary.address, 60n, sig)).events[0]!.name).to.equal("HardDepositTimeoutChanged");
      expect((await issuer.prepareDecreaseHardDeposit(f.beneficiary.address, 4n * UNIT)).events[0]!.name).to.equal("HardDepositDecreasePrepared");
      const early = await rejection(() => issuer.decreaseHardDeposit(f.beneficiary.address));
      expect(early.code).to.equal("CONTRACT_REVERT");
      expect(early.details.errorName).to.equal("ChequebookDecreaseNotDue");
      await networkHelpers.time.increase(61);
      expect((await issuer.decreaseHardDeposit(f.beneficiary.address)).events).to.deep.equal([
        { name: "HardDepositAmountChanged", args: { beneficiary: f.beneficiary.address, amount: 6n * UNIT } },
      ]);
    });
  });
});
