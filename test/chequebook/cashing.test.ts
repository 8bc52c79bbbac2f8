import { expect } from "chai";

import { UNIT, fundedChequebookFixture } from "../helpers/fixtures.js";
import { networkHelpers } from "../helpers/setup.js";
import { signCashout, signCheque } from "../helpers/signing.js";

async function fixture() {
  const f = await fundedChequebookFixture();
  const cheque = (cumulativePayout: bigint, beneficiary = f.beneficiary.address) =>
    signCheque(f.issuer, { chequebook: f.address, beneficiary, cumulativePayout, chainId: f.chainId });
  const cashout = (args: { requestPayout: bigint; callerPayout: bigint; sender?: string; recipient?: string }) =>
    signCashout(f.beneficiary, {
      chequebook: f.address,
      sender: args.sender ?? f.caller.address,
      requestPayout: args.requestPayout,
      recipient: args.recipient ?? f.recipient.address,
      callerPayout: args.callerPayout,
      chainId: f.chainId,
    });
  return { ...f, cheque, cashout };
}

describe("Chequebook cashing", function () {
  describe("cashChequeBeneficiary", function () {
    it("reverts on a cheque equal to what was paid out", async function () {
      const { chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      const sig = await cheque(10n * UNIT);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 10n * UNIT, sig);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 10n * UNIT, sig))
        .to.be.revertedWithCustomError(chequebook, "ChequebookChequeAlreadyCashed")
        .withArgs(10n * UNIT, 10n * UNIT);
    });

    it("reverts on a cheque lower than what was paid out", async function () {
      const { chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 10n * UNIT, await cheque(10n * UNIT));
      await expect(
        chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 4n * UNIT, await cheque(4n * UNIT)),
      )
        .to.be.revertedWithCustomError(chequebook, "ChequebookChequeAlreadyCashed")
        .withArgs(4n * UNIT, 10n * UNIT);
    });

    it("reverts on a zero cheque", async function () {
      const { chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 0n, await cheque(0n)))
        .to.be.revertedWithCustomError(chequebook, "ChequebookChequeAlreadyCashed")
        .withArgs(0n, 0n);
    });

    it("reverts when nothing is liquid rather than paying zero", async function () {
      const { chequebook, issuer, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).withdraw(1000n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, UNIT, await cheque(UNIT)))
        .to.be.revertedWithCustomError(chequebook, "ChequebookNoLiquidity")
        .withArgs(UNIT);
    });

    it("reverts on a zero recipient", async function () {
      const { chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary("0x" + "00".repeat(20), UNIT, await cheque(UNIT)))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidAddress")
        .withArgs("0x" + "00".repeat(20));
    });

    it("bounces a cheque above the liquid balance, pays what there is, and pays the rest later", async function () {
      const { chequebook, token, issuer, beneficiary, address, cheque } = await networkHelpers.loadFixture(fixture);
      const sig = await cheque(1500n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 1500n * UNIT, sig))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 1000n * UNIT, 1500n * UNIT, 0n)
        .and.to.emit(chequebook, "ChequeBounced");
      expect(await chequebook.bounced()).to.equal(true);
      expect(await chequebook.paidOut(beneficiary.address)).to.equal(1000n * UNIT);

      await token.mint(issuer.address, 800n * UNIT);
      await token.connect(issuer).transfer(address, 800n * UNIT);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 1500n * UNIT, sig))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 500n * UNIT, 1500n * UNIT, 0n)
        .and.to.not.emit(chequebook, "ChequeBounced");
      expect(await token.balanceOf(beneficiary.address)).to.equal(1500n * UNIT);
      expect(await chequebook.balance()).to.equal(300n * UNIT);
    });

    it("does not pay one beneficiary out of another's hard deposit", async function () {
      const { chequebook, issuer, beneficiary, other, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).increaseHardDeposit(other.address, 900n * UNIT);
      expect(await chequebook.liquidBalanceFor(beneficiary.address)).to.equal(100n * UNIT);
      expect(await chequebook.liquidBalanceFor(other.address)).to.equal(1000n * UNIT);
      await expect(
        chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 200n * UNIT, await cheque(200n * UNIT)),
      )
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 100n * UNIT, 200n * UNIT, 0n)
        .and.to.emit(chequebook, "ChequeBounced");
      expect(await chequebook.totalHardDeposit()).to.equal(900n * UNIT);
      expect(await chequebook.balance()).to.equal(900n * UNIT);
    });

    it("uses the hard deposit first, then the liquid balance", async function () {
      const { chequebook, issuer, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, 100n * UNIT);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 150n * UNIT, await cheque(150n * UNIT));
      expect((await chequebook.hardDeposits(beneficiary.address)).amount).to.equal(0n);
      expect(await chequebook.totalHardDeposit()).to.equal(0n);
      expect(await chequebook.liquidBalance()).to.equal(850n * UNIT);
    });

    it("lets the issuer cash without a signature of its own, as ERC20SimpleSwap does", async function () {
      const { chequebook, issuer } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(issuer).cashChequeBeneficiary(issuer.address, 5n * UNIT, "0x"))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(issuer.address, issuer.address, issuer.address, 5n * UNIT, 5n * UNIT, 0n);
    });

    it("caps the payable amount at the balance when the balance fell below the hard deposits", async function () {
      // A token may shrink balances on its own (rebasing). The views saturate instead of underflowing.
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, 1000n * UNIT);
      expect(await chequebook.liquidBalance()).to.equal(0n);
      expect(await chequebook.liquidBalanceFor(beneficiary.address)).to.equal(1000n * UNIT);
    });
    it("reverts with SafeCast's error on a payout beyond 128 bits instead of truncating it", async function () {
      const { chequebook, token, address, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      const huge = 2n ** 128n;
      await token.mint(address, huge);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, huge, await cheque(huge)))
        .to.be.revertedWithCustomError(chequebook, "SafeCastOverflowedUintDowncast")
        .withArgs(128, huge);
      expect(await chequebook.paidOut(beneficiary.address)).to.equal(0n);
    });
  });

  describe("cashCheque", function () {
    it("reverts when the fee exceeds the payout", async function () {
      const { chequebook, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      const sig = await cashout({ requestPayout: 10n * UNIT, callerPayout: 11n * UNIT });
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, 11n * UNIT, await cheque(10n * UNIT)),
      )
        .to.be.revertedWithCustomError(chequebook, "ChequebookCallerPayoutTooHigh")
        .withArgs(11n * UNIT, 10n * UNIT);
    });

    it("pays everything to the caller when the fee is the whole payout", async function () {
      const { chequebook, token, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      const sig = await cashout({ requestPayout: 10n * UNIT, callerPayout: 10n * UNIT });
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, 10n * UNIT, await cheque(10n * UNIT));
      expect(await token.balanceOf(caller.address)).to.equal(10n * UNIT);
      expect(await token.balanceOf(recipient.address)).to.equal(0n);
    });

    it("rejects a Cashout signed by someone other than the beneficiary", async function () {
      const { chequebook, beneficiary, recipient, caller, other, address, chainId, cheque } = await networkHelpers.loadFixture(fixture);
      const sig = await signCashout(other, {
        chequebook: address, sender: caller.address, requestPayout: 10n * UNIT, recipient: recipient.address, callerPayout: UNIT, chainId,
      });
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, UNIT, await cheque(10n * UNIT)),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("binds the Cashout to its sender, recipient and fee", async function () {
      const { chequebook, beneficiary, recipient, caller, other, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      const issuerSig = await cheque(10n * UNIT);
      const sig = await cashout({ requestPayout: 10n * UNIT, callerPayout: UNIT });
      // another sender
      await expect(
        chequebook.connect(other).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, UNIT, issuerSig),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
      // another recipient
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, other.address, 10n * UNIT, sig, UNIT, issuerSig),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
      // a higher fee
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, 2n * UNIT, issuerSig),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("rejects a valid Cashout with a forged cheque", async function () {
      const { chequebook, address, chainId, beneficiary, recipient, caller, cashout } = await networkHelpers.loadFixture(fixture);
      const sig = await cashout({ requestPayout: 10n * UNIT, callerPayout: UNIT });
      const forged = await signCheque(caller, {
        chequebook: address, beneficiary: beneficiary.address, cumulativePayout: 10n * UNIT, chainId,
      });
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, UNIT, forged),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
    });

    it("does not pay the caller fee twice: a Cashout is used once, even for the rest of a bounced cheque", async function () {
      const { chequebook, token, address, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      const issuerSig = await cheque(1500n * UNIT);
      // The beneficiary's own cash-out bounces: 1,000 paid, 500 still owed.
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 1500n * UNIT, issuerSig)).to.emit(chequebook, "ChequeBounced");
      await token.mint(address, 1000n * UNIT);
      const sig = await cashout({ requestPayout: 1500n * UNIT, callerPayout: 10n * UNIT });
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 1500n * UNIT, sig, 10n * UNIT, issuerSig),
      )
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, recipient.address, caller.address, 500n * UNIT, 1500n * UNIT, 10n * UNIT);
      expect(await chequebook.lastCashoutPayout(beneficiary.address)).to.equal(1500n * UNIT);
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 1500n * UNIT, sig, 10n * UNIT, issuerSig),
      )
        .to.be.revertedWithCustomError(chequebook, "ChequebookCashoutAlreadyUsed")
        .withArgs(1500n * UNIT, 1500n * UNIT);
      expect(await token.balanceOf(caller.address)).to.equal(10n * UNIT);
    });

    it("rejects a replayed Cashout after a full payment", async function () {
      const { chequebook, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      const issuerSig = await cheque(10n * UNIT);
      const sig = await cashout({ requestPayout: 10n * UNIT, callerPayout: UNIT });
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, UNIT, issuerSig);
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, sig, UNIT, issuerSig),
      )
        .to.be.revertedWithCustomError(chequebook, "ChequebookCashoutAlreadyUsed")
        .withArgs(10n * UNIT, 10n * UNIT);
    });

    it("accepts a Cashout for a later cheque after an earlier one", async function () {
      const { chequebook, token, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 10n * UNIT, await cashout({ requestPayout: 10n * UNIT, callerPayout: UNIT }), UNIT, await cheque(10n * UNIT));
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 30n * UNIT, await cashout({ requestPayout: 30n * UNIT, callerPayout: UNIT }), UNIT, await cheque(30n * UNIT));
      expect(await token.balanceOf(recipient.address)).to.equal(28n * UNIT);
      expect(await token.balanceOf(caller.address)).to.equal(2n * UNIT);
      expect(await chequebook.paidOut(beneficiary.address)).to.equal(30n * UNIT);
    });

    it("rejects a Cashout below the last one honoured", async function () {
      const { chequebook, beneficiary, recipient, caller, cheque, cashout } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 30n * UNIT, await cashout({ requestPayout: 30n * UNIT, callerPayout: 0n }), 0n, await cheque(30n * UNIT));
      await expect(
        chequebook.connect(caller).cashCheque(beneficiary.address, recipient.address, 20n * UNIT, await cashout({ requestPayout: 20n * UNIT, callerPayout: 0n }), 0n, await cheque(20n * UNIT)),
      )
        .to.be.revertedWithCustomError(chequebook, "ChequebookCashoutAlreadyUsed")
        .withArgs(20n * UNIT, 30n * UNIT);
    });
  });
});
