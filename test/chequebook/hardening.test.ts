/**
 * The promises a hard deposit and the single-use rules make, each with the party that would break them:
 * an issuer that times its moves, a relayer that waits for low liquidity, a token whose balances shrink, and two
 * identities that share a key.
 */
import { expect } from "chai";

import { DEFAULT_TIMEOUT, UNIT, deployChequebook, fundedChequebookFixture } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signBeneficiaryCashout, signCashout, signCheque, signCustomDecreaseTimeout } from "../helpers/signing.js";

const DAY = 86_400n;

async function fixture() {
  const f = await fundedChequebookFixture();
  await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 100n * UNIT);
  const cheque = (cumulativePayout: bigint, beneficiary = f.beneficiary.address) =>
    signCheque(f.issuer, { chequebook: f.address, beneficiary, cumulativePayout, chainId: f.chainId });
  const timeoutSig = (decreaseTimeout: bigint) =>
    signCustomDecreaseTimeout(f.beneficiary, { chequebook: f.address, beneficiary: f.beneficiary.address, decreaseTimeout, chainId: f.chainId });
  const timeoutDigest = (decreaseTimeout: bigint) =>
    ethers.TypedDataEncoder.hash(
      { name: "Chequebook", version: "1.0", chainId: f.chainId },
      { CustomDecreaseTimeout: [{ name: "chequebook", type: "address" }, { name: "beneficiary", type: "address" }, { name: "decreaseTimeout", type: "uint256" }] },
      { chequebook: f.address, beneficiary: f.beneficiary.address, decreaseTimeout },
    );
  return { ...f, cheque, timeoutSig, timeoutDigest };
}

describe("Chequebook hardening", function () {
  describe("a prepared decrease never comes due before the timeout in force", function () {
    it("waits for a longer timeout agreed after the decrease was prepared", async function () {
      const { chequebook, issuer, beneficiary, other, timeoutSig } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 100n * UNIT);
      const preparedAt = BigInt(await networkHelpers.time.latest());
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 30n * DAY, await timeoutSig(30n * DAY));
      const changedAt = BigInt(await networkHelpers.time.latest());

      await networkHelpers.time.setNextBlockTimestamp(preparedAt + DEFAULT_TIMEOUT);
      await expect(chequebook.connect(other).decreaseHardDeposit(beneficiary.address))
        .to.be.revertedWithCustomError(chequebook, "ChequebookDecreaseNotDue")
        .withArgs(changedAt + 30n * DAY);
      expect((await chequebook.hardDeposits(beneficiary.address)).canBeDecreasedAt).to.equal(changedAt + 30n * DAY);

      await networkHelpers.time.setNextBlockTimestamp(changedAt + 30n * DAY);
      await expect(chequebook.connect(other).decreaseHardDeposit(beneficiary.address))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 0n);
    });

    it("effectiveHardDepositTimeout tells a verifier the timeout in force and when a pending decrease comes due", async function () {
      const { chequebook, issuer, beneficiary, other, timeoutSig } = await networkHelpers.loadFixture(fixture);
      expect(await chequebook.effectiveHardDepositTimeout(beneficiary.address)).to.deep.equal([DEFAULT_TIMEOUT, 0n, 0n]);
      expect(await chequebook.effectiveHardDepositTimeout(other.address)).to.deep.equal([DEFAULT_TIMEOUT, 0n, 0n]);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, UNIT);
      const preparedAt = BigInt(await networkHelpers.time.latest());
      expect(await chequebook.effectiveHardDepositTimeout(beneficiary.address)).to.deep.equal([DEFAULT_TIMEOUT, preparedAt, preparedAt + DEFAULT_TIMEOUT]);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 3600n, await timeoutSig(3600n));
      // The beneficiary agreed to a shorter timeout: the pending decrease's notice starts again under it.
      const changedAt = BigInt(await networkHelpers.time.latest());
      expect(await chequebook.effectiveHardDepositTimeout(beneficiary.address)).to.deep.equal([3600n, changedAt, changedAt + 3600n]);
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([100n * UNIT, UNIT, 3600n, changedAt + 3600n]);
    });

    it("with a default timeout of 0 a hard deposit protects nothing, and the view says so", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const book = await deployChequebook(f.factory, f.deployer, f.issuer.address, 0n, ethers.id("zero"));
      await f.token.mint(await book.getAddress(), 10n * UNIT);
      await book.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 10n * UNIT);
      expect((await book.effectiveHardDepositTimeout(f.beneficiary.address)).timeout).to.equal(0n);
      await book.connect(f.issuer).prepareDecreaseHardDeposit(f.beneficiary.address, 10n * UNIT);
      await expect(book.decreaseHardDeposit(f.beneficiary.address)).to.emit(book, "HardDepositAmountChanged").withArgs(f.beneficiary.address, 0n);
    });
  });

  describe("cancelCustomHardDepositTimeout", function () {
    it("lets the beneficiary cancel an unused short-timeout authorisation the issuer was holding back", async function () {
      const { chequebook, issuer, beneficiary, timeoutSig, timeoutDigest } = await networkHelpers.loadFixture(fixture);
      const short = await timeoutSig(60n);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 30n * DAY, await timeoutSig(30n * DAY));
      expect(await chequebook.customHardDepositTimeoutUsed(beneficiary.address, 60n)).to.equal(false);
      await expect(chequebook.connect(beneficiary).cancelCustomHardDepositTimeout(60n))
        .to.emit(chequebook, "CustomHardDepositTimeoutCancelled")
        .withArgs(beneficiary.address, 60n);
      expect(await chequebook.customHardDepositTimeoutUsed(beneficiary.address, 60n)).to.equal(true);
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 60n, short))
        .to.be.revertedWithCustomError(chequebook, "ChequebookTimeoutAuthorisationUsed")
        .withArgs(timeoutDigest(60n));
      expect((await chequebook.effectiveHardDepositTimeout(beneficiary.address)).timeout).to.equal(30n * DAY);
    });

    it("reverts on an authorisation already used or cancelled", async function () {
      const { chequebook, issuer, beneficiary, timeoutSig, timeoutDigest } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 7n * DAY, await timeoutSig(7n * DAY));
      expect(await chequebook.customHardDepositTimeoutUsed(beneficiary.address, 7n * DAY)).to.equal(true);
      await expect(chequebook.connect(beneficiary).cancelCustomHardDepositTimeout(7n * DAY))
        .to.be.revertedWithCustomError(chequebook, "ChequebookTimeoutAuthorisationUsed")
        .withArgs(timeoutDigest(7n * DAY));
      await chequebook.connect(beneficiary).cancelCustomHardDepositTimeout(60n);
      await expect(chequebook.connect(beneficiary).cancelCustomHardDepositTimeout(60n))
        .to.be.revertedWithCustomError(chequebook, "ChequebookTimeoutAuthorisationUsed")
        .withArgs(timeoutDigest(60n));
    });

    it("cancels only the caller's own authorisations", async function () {
      const { chequebook, issuer, beneficiary, other, timeoutSig } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(other).cancelCustomHardDepositTimeout(60n);
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 60n, await timeoutSig(60n)))
        .to.emit(chequebook, "HardDepositTimeoutChanged")
        .withArgs(beneficiary.address, 60n);
    });
  });

  describe("a shrinking balance", function () {
    async function shrinkingFixture() {
      const [deployer, issuer, beneficiary, caller] = await ethers.getSigners();
      const token = await ethers.deployContract("ShrinkingToken");
      const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
      const chequebook = await deployChequebook(factory as never, deployer!, issuer!.address);
      const address = await chequebook.getAddress();
      const { chainId } = await ethers.provider.getNetwork();
      await token.mint(address, 1000n * UNIT);
      await chequebook.connect(issuer).increaseHardDeposit(beneficiary!.address, 900n * UNIT);
      await token.slash(address, 300n * UNIT); // a negative rebase: 700 left for a 900 hard deposit
      const cheque = await signCheque(issuer!, { chequebook: address, beneficiary: beneficiary!.address, cumulativePayout: 900n * UNIT, chainId });
      return { token, chequebook, address, chainId, issuer: issuer!, beneficiary: beneficiary!, caller: caller!, cheque };
    }

    it("pays what is there, within the hard deposit, instead of reverting", async function () {
      const { chequebook, token, beneficiary, cheque } = await networkHelpers.loadFixture(shrinkingFixture);
      expect(await chequebook.liquidBalanceFor(beneficiary.address)).to.equal(700n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 900n * UNIT, cheque))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 700n * UNIT, 900n * UNIT, 0n)
        .and.to.emit(chequebook, "ChequeBounced")
        .and.to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 200n * UNIT);
      expect(await token.balanceOf(beneficiary.address)).to.equal(700n * UNIT);
    });

    it("refuses a relayed cash-out that would bounce, with the amounts", async function () {
      const { chequebook, address, chainId, beneficiary, caller, cheque } = await networkHelpers.loadFixture(shrinkingFixture);
      const cashout = await signCashout(beneficiary, { chequebook: address, sender: caller.address, requestPayout: 900n * UNIT, recipient: beneficiary.address, callerPayout: UNIT, chainId });
      await expect(chequebook.connect(caller).cashCheque(beneficiary.address, beneficiary.address, 900n * UNIT, cashout, UNIT, cheque))
        .to.be.revertedWithCustomError(chequebook, "ChequebookCashoutWouldBounce")
        .withArgs(900n * UNIT, 700n * UNIT);
    });
  });

  describe("a relayed cash-out that would bounce", function () {
    it("is refused, takes no fee, and leaves the authorisation usable once liquidity returns", async function () {
      const { chequebook, token, address, chainId, beneficiary, caller, recipient, cheque } = await networkHelpers.loadFixture(fixture);
      const issuerSig = await cheque(1500n * UNIT);
      const sig = await signCashout(beneficiary, { chequebook: address, sender: caller.address, requestPayout: 1500n * UNIT, recipient: recipient.address, callerPayout: 10n * UNIT, chainId });
      await expect(chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 1500n * UNIT, sig, 10n * UNIT, issuerSig))
        .to.be.revertedWithCustomError(chequebook, "ChequebookCashoutWouldBounce")
        .withArgs(1500n * UNIT, 1000n * UNIT);
      expect(await chequebook.lastCashoutPayout(beneficiary.address)).to.equal(0n);

      await token.mint(address, 500n * UNIT);
      await expect(chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 1500n * UNIT, sig, 10n * UNIT, issuerSig))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, recipient.address, caller.address, 1500n * UNIT, 1500n * UNIT, 10n * UNIT)
        .and.to.not.emit(chequebook, "ChequeBounced");
      expect(await token.balanceOf(caller.address)).to.equal(10n * UNIT);
      expect(await token.balanceOf(recipient.address)).to.equal(1490n * UNIT);
    });
  });

  describe("the chequebook as recipient", function () {
    it("is refused on both cash-out paths", async function () {
      const { chequebook, address, chainId, beneficiary, caller, cheque } = await networkHelpers.loadFixture(fixture);
      const issuerSig = await cheque(10n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(address, 10n * UNIT, issuerSig))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidAddress")
        .withArgs(address);
      const sig = await signCashout(beneficiary, { chequebook: address, sender: caller.address, requestPayout: 10n * UNIT, recipient: address, callerPayout: 0n, chainId });
      await expect(chequebook.connect(caller).cashCheque(beneficiary.address, address, 10n * UNIT, sig, 0n, issuerSig))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidAddress")
        .withArgs(address);
    });
  });

  describe("events", function () {
    it("a cash-out that uses a hard deposit emits HardDepositAmountChanged with what is left", async function () {
      const { chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 30n * UNIT, await cheque(30n * UNIT)))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 70n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 150n * UNIT, await cheque(150n * UNIT)))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 0n);
    });

    it("a cash-out without a hard deposit emits none", async function () {
      const { chequebook, other, cheque } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(other).cashChequeBeneficiary(other.address, 30n * UNIT, await cheque(30n * UNIT, other.address)))
        .to.emit(chequebook, "ChequeCashed")
        .and.to.not.emit(chequebook, "HardDepositAmountChanged");
    });
  });

  describe("a Cashout names its beneficiary on the ERC-1271 path", function () {
    async function sharedKeyFixture() {
      const f = await fixture();
      // A wallet owned by the beneficiary's key: the EOA and the wallet are two beneficiaries with one key.
      const wallet = await ethers.deployContract("ERC1271Wallet", [f.beneficiary.address]);
      const walletAddress = await wallet.getAddress();
      const walletCheque = await f.cheque(10n * UNIT, walletAddress);
      const eoaCheque = await f.cheque(10n * UNIT);
      const args = { chequebook: f.address, sender: f.caller.address, requestPayout: 10n * UNIT, recipient: f.recipient.address, callerPayout: UNIT, chainId: f.chainId };
      return { ...f, walletAddress, walletCheque, eoaCheque, args };
    }

    it("the EOA's Cashout does not authorise a cash-out of the wallet's cheque", async function () {
      const { chequebook, caller, recipient, beneficiary, walletAddress, walletCheque, args } = await networkHelpers.loadFixture(sharedKeyFixture);
      const eoaCashout = await signCashout(beneficiary, args);
      await expect(chequebook.connect(caller).cashCheque(walletAddress, recipient.address, 10n * UNIT, eoaCashout, UNIT, walletCheque))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("the wallet's Cashout does not authorise a cash-out of the EOA's cheque", async function () {
      const { chequebook, caller, recipient, beneficiary, walletAddress, eoaCheque, args } = await networkHelpers.loadFixture(sharedKeyFixture);
      const walletCashout = await signBeneficiaryCashout(beneficiary, { ...args, beneficiary: walletAddress });
      await expect(chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, walletCashout, UNIT, eoaCheque))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("each authorises its own, and the EOA path is Swarm's unchanged", async function () {
      const { chequebook, token, caller, recipient, beneficiary, walletAddress, walletCheque, eoaCheque, args } = await networkHelpers.loadFixture(sharedKeyFixture);
      const walletCashout = await signBeneficiaryCashout(beneficiary, { ...args, beneficiary: walletAddress });
      await chequebook.connect(caller).cashCheque(walletAddress, recipient.address, 10n * UNIT, walletCashout, UNIT, walletCheque);
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, await signCashout(beneficiary, args), UNIT, eoaCheque);
      expect(await token.balanceOf(recipient.address)).to.equal(18n * UNIT);
      expect(await token.balanceOf(caller.address)).to.equal(2n * UNIT);
    });

    it("exposes the typehash of the bound type", async function () {
      const { chequebook } = await networkHelpers.loadFixture(fixture);
      expect(await chequebook.BENEFICIARY_CASHOUT_TYPEHASH()).to.equal(
        ethers.id("BeneficiaryCashout(address chequebook,address beneficiary,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"),
      );
    });
  });
});
