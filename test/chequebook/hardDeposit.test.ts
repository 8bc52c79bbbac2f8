import { expect } from "chai";

import { DEFAULT_TIMEOUT, UNIT, fundedChequebookFixture } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signCheque, signCustomDecreaseTimeout } from "../helpers/signing.js";

const MAX_UINT64 = 2n ** 64n - 1n;

async function withHardDepositFixture() {
  const f = await fundedChequebookFixture();
  await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 100n * UNIT);
  const timeoutSig = (decreaseTimeout: bigint, signer = f.beneficiary) =>
    signCustomDecreaseTimeout(signer, { chequebook: f.address, beneficiary: f.beneficiary.address, decreaseTimeout, chainId: f.chainId });
  return { ...f, timeoutSig };
}

describe("Chequebook hard deposits", function () {
  describe("increaseHardDeposit", function () {
    it("raises the deposit and the total", async function () {
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, 50n * UNIT))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 150n * UNIT)
        .and.to.not.emit(chequebook, "HardDepositDecreaseCancelled");
      expect(await chequebook.totalHardDeposit()).to.equal(150n * UNIT);
      expect(await chequebook.liquidBalance()).to.equal(850n * UNIT);
    });

    it("reverts for anyone but the issuer", async function () {
      const { chequebook, other, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(other).increaseHardDeposit(beneficiary.address, 1n))
        .to.be.revertedWithCustomError(chequebook, "ChequebookUnauthorized")
        .withArgs(other.address);
    });

    it("reverts beyond the balance", async function () {
      const { chequebook, issuer, other } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).increaseHardDeposit(other.address, 901n * UNIT))
        .to.be.revertedWithCustomError(chequebook, "ChequebookHardDepositExceedsBalance")
        .withArgs(1000n * UNIT, 1001n * UNIT);
    });

    it("reverts for the zero address and a zero amount", async function () {
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).increaseHardDeposit(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidAddress")
        .withArgs(ethers.ZeroAddress);
      await expect(chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, 0n)).to.be.revertedWithCustomError(
        chequebook,
        "ChequebookZeroAmount",
      );
    });

    it("reverts with SafeCast's error on a hard deposit beyond 128 bits", async function () {
      const { chequebook, token, address, issuer, other } = await networkHelpers.loadFixture(withHardDepositFixture);
      await token.mint(address, 2n ** 129n);
      await expect(chequebook.connect(issuer).increaseHardDeposit(other.address, 2n ** 128n))
        .to.be.revertedWithCustomError(chequebook, "SafeCastOverflowedUintDowncast")
        .withArgs(128, 2n ** 128n);
    });

    it("cancels a pending decrease and says so", async function () {
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 40n * UNIT);
      await expect(chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, UNIT))
        .to.emit(chequebook, "HardDepositDecreaseCancelled")
        .withArgs(beneficiary.address, 40n * UNIT)
        .and.to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 101n * UNIT);
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([101n * UNIT, 0n, 0n, 0n]);
      await expect(chequebook.decreaseHardDeposit(beneficiary.address))
        .to.be.revertedWithCustomError(chequebook, "ChequebookNoDecreasePrepared")
        .withArgs(beneficiary.address);
    });
  });

  describe("prepareDecreaseHardDeposit and decreaseHardDeposit", function () {
    it("announces a decrease due after the default timeout, applicable by anyone", async function () {
      const { chequebook, issuer, beneficiary, other } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 40n * UNIT))
        .to.emit(chequebook, "HardDepositDecreasePrepared")
        .withArgs(beneficiary.address, 40n * UNIT);
      const preparedAt = BigInt(await networkHelpers.time.latest());
      const due = preparedAt + DEFAULT_TIMEOUT;
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([100n * UNIT, 40n * UNIT, 0n, due]);

      await networkHelpers.time.setNextBlockTimestamp(due - 1n);
      await expect(chequebook.connect(other).decreaseHardDeposit(beneficiary.address))
        .to.be.revertedWithCustomError(chequebook, "ChequebookDecreaseNotDue")
        .withArgs(due);

      await networkHelpers.time.setNextBlockTimestamp(due);
      await expect(chequebook.connect(other).decreaseHardDeposit(beneficiary.address))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 60n * UNIT);
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([60n * UNIT, 0n, 0n, 0n]);
      expect(await chequebook.totalHardDeposit()).to.equal(60n * UNIT);
    });

    it("still works when cash-outs used part of the deposit after the decrease was prepared", async function () {
      const { chequebook, issuer, beneficiary, address, chainId } = await networkHelpers.loadFixture(withHardDepositFixture);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 80n * UNIT);
      const sig = await signCheque(issuer, { chequebook: address, beneficiary: beneficiary.address, cumulativePayout: 70n * UNIT, chainId });
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 70n * UNIT, sig);
      expect((await chequebook.hardDeposits(beneficiary.address)).amount).to.equal(30n * UNIT);

      await networkHelpers.time.increase(DEFAULT_TIMEOUT);
      await expect(chequebook.decreaseHardDeposit(beneficiary.address))
        .to.emit(chequebook, "HardDepositAmountChanged")
        .withArgs(beneficiary.address, 0n);
      expect(await chequebook.totalHardDeposit()).to.equal(0n);
    });

    it("reverts when nothing was prepared", async function () {
      const { chequebook, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.decreaseHardDeposit(beneficiary.address))
        .to.be.revertedWithCustomError(chequebook, "ChequebookNoDecreasePrepared")
        .withArgs(beneficiary.address);
    });

    it("reverts a decrease above the deposit, a zero decrease, and a caller other than the issuer", async function () {
      const { chequebook, issuer, beneficiary, other } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 101n * UNIT))
        .to.be.revertedWithCustomError(chequebook, "ChequebookDecreaseExceedsHardDeposit")
        .withArgs(100n * UNIT, 101n * UNIT);
      await expect(chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 0n)).to.be.revertedWithCustomError(
        chequebook,
        "ChequebookZeroAmount",
      );
      await expect(chequebook.connect(other).prepareDecreaseHardDeposit(beneficiary.address, 1n))
        .to.be.revertedWithCustomError(chequebook, "ChequebookUnauthorized")
        .withArgs(other.address);
    });

    it("restarts the timeout when a decrease is prepared again", async function () {
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(withHardDepositFixture);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 10n * UNIT);
      await networkHelpers.time.increase(1000n);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 20n * UNIT);
      const due = BigInt(await networkHelpers.time.latest()) + DEFAULT_TIMEOUT;
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([100n * UNIT, 20n * UNIT, 0n, due]);
    });
  });

  describe("setCustomHardDepositTimeout", function () {
    it("sets the timeout the beneficiary signed, and prepared decreases use it", async function () {
      const { chequebook, issuer, beneficiary, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 7n * 86_400n, await timeoutSig(7n * 86_400n)))
        .to.emit(chequebook, "HardDepositTimeoutChanged")
        .withArgs(beneficiary.address, 7n * 86_400n);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, UNIT);
      const due = BigInt(await networkHelpers.time.latest()) + 7n * 86_400n;
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([100n * UNIT, UNIT, 7n * 86_400n, due]);
    });

    it("cannot replay an old authorisation to undo a later change", async function () {
      const { chequebook, issuer, beneficiary, address, chainId, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      const short = await timeoutSig(60n);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 60n, short);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 30n * 86_400n, await timeoutSig(30n * 86_400n));
      const digest = ethers.TypedDataEncoder.hash(
        { name: "Chequebook", version: "1.0", chainId },
        { CustomDecreaseTimeout: [{ name: "chequebook", type: "address" }, { name: "beneficiary", type: "address" }, { name: "decreaseTimeout", type: "uint256" }] },
        { chequebook: address, beneficiary: beneficiary.address, decreaseTimeout: 60n },
      );
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 60n, short))
        .to.be.revertedWithCustomError(chequebook, "ChequebookTimeoutAuthorisationUsed")
        .withArgs(digest);
      expect((await chequebook.hardDeposits(beneficiary.address)).timeout).to.equal(30n * 86_400n);
    });

    it("rejects a signature not by the beneficiary", async function () {
      const { chequebook, issuer, beneficiary, other, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(
        chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 60n, await timeoutSig(60n, other)),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
      // a signature on another value
      await expect(
        chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 61n, await timeoutSig(60n)),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("reverts for anyone but the issuer", async function () {
      const { chequebook, beneficiary, other, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(other).setCustomHardDepositTimeout(beneficiary.address, 60n, await timeoutSig(60n)))
        .to.be.revertedWithCustomError(chequebook, "ChequebookUnauthorized")
        .withArgs(other.address);
    });

    it("reverts on a timeout beyond 64 bits", async function () {
      const { chequebook, issuer, beneficiary, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, MAX_UINT64 + 1n, await timeoutSig(MAX_UINT64 + 1n)))
        .to.be.revertedWithCustomError(chequebook, "SafeCastOverflowedUintDowncast")
        .withArgs(64, MAX_UINT64 + 1n);
    });

    it("restarts a prepared decrease's notice when the timeout changes, so a shorter one cannot make it due at once", async function () {
      // The attack: prepare under the default timeout (a watcher sees a day's notice), wait out a short timeout the
      // beneficiary once signed, then set it, decrease and withdraw in one block. The notice must run from the change.
      const { chequebook, issuer, beneficiary, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      const short = await timeoutSig(7_200n);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 100n * UNIT);
      await networkHelpers.time.increase(7_200);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, 7_200n, short);
      const changedAt = BigInt(await networkHelpers.time.latest());
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([100n * UNIT, 100n * UNIT, 7_200n, changedAt + 7_200n]);
      await expect(chequebook.decreaseHardDeposit(beneficiary.address))
        .to.be.revertedWithCustomError(chequebook, "ChequebookDecreaseNotDue")
        .withArgs(changedAt + 7_200n);
      await networkHelpers.time.increaseTo(changedAt + 7_200n);
      await expect(chequebook.decreaseHardDeposit(beneficiary.address)).to.emit(chequebook, "HardDepositAmountChanged").withArgs(beneficiary.address, 0n);
    });

    it("saturates the due time of a decrease under a near-infinite timeout instead of reverting", async function () {
      const { chequebook, issuer, beneficiary, timeoutSig } = await networkHelpers.loadFixture(withHardDepositFixture);
      await chequebook.connect(issuer).setCustomHardDepositTimeout(beneficiary.address, MAX_UINT64, await timeoutSig(MAX_UINT64));
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, UNIT);
      expect((await chequebook.hardDeposits(beneficiary.address)).canBeDecreasedAt).to.equal(MAX_UINT64);
    });
  });
});
