/**
 * Chequebooks on tokens that misbehave: one that returns false, one that returns nothing, one that takes a fee.
 */
import { expect } from "chai";

import { DEFAULT_TIMEOUT, deployChequebook } from "./helpers/fixtures.js";
import { ethers, networkHelpers } from "./helpers/setup.js";
import { signCheque } from "./helpers/signing.js";

async function onToken(name: "ReturnsFalseToken" | "NoReturnToken" | "FeeOnTransferToken") {
  const [deployer, issuer, beneficiary] = await ethers.getSigners();
  const token = await ethers.deployContract(name);
  const factory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
  const chequebook = await deployChequebook(factory as never, deployer!, issuer!.address, DEFAULT_TIMEOUT);
  const address = await chequebook.getAddress();
  const { chainId } = await ethers.provider.getNetwork();
  await token.mint(address, 1000n);
  const cheque = (amount: bigint) => signCheque(issuer!, { chequebook: address, beneficiary: beneficiary!.address, cumulativePayout: amount, chainId });
  return { token: token as any, chequebook, address, issuer: issuer!, beneficiary: beneficiary!, cheque };
}

describe("Chequebook on misbehaving tokens", function () {
  describe("a token that returns false", function () {
    const fixture = () => onToken("ReturnsFalseToken");

    it("turns a false transfer into a revert, leaving the accounting untouched", async function () {
      const { token, chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await token.setFailAll(true);
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 10n, await cheque(10n)))
        .to.be.revertedWithCustomError(chequebook, "SafeERC20FailedOperation")
        .withArgs(await token.getAddress());
      expect(await chequebook.paidOut(beneficiary.address)).to.equal(0n);
      expect(await chequebook.totalPaidOut()).to.equal(0n);
    });

    it("reverts a withdrawal whose transfer returns false", async function () {
      const { token, chequebook, issuer } = await networkHelpers.loadFixture(fixture);
      await token.setFailAll(true);
      await expect(chequebook.connect(issuer).withdraw(10n)).to.be.revertedWithCustomError(chequebook, "SafeERC20FailedOperation");
    });

    it("reverts a deposit whose transferFrom returns false", async function () {
      const { chequebook, issuer } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(issuer).deposit(10n)).to.be.revertedWithCustomError(chequebook, "SafeERC20FailedOperation");
    });

    it("works normally while the token behaves", async function () {
      const { token, chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 10n, await cheque(10n));
      expect(await token.balanceOf(beneficiary.address)).to.equal(10n);
    });
  });

  describe("a token that returns nothing", function () {
    const fixture = () => onToken("NoReturnToken");

    it("deposits, cashes and withdraws", async function () {
      const { token, chequebook, address, issuer, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await token.mint(issuer.address, 50n);
      await token.connect(issuer).approve(address, 50n);
      await expect(chequebook.connect(issuer).deposit(50n)).to.emit(chequebook, "Deposited").withArgs(issuer.address, 50n);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 30n, await cheque(30n));
      await chequebook.connect(issuer).withdraw(20n);
      expect(await token.balanceOf(beneficiary.address)).to.equal(30n);
      expect(await token.balanceOf(issuer.address)).to.equal(20n);
      expect(await chequebook.balance()).to.equal(1000n);
    });

    it("reverts when the token reverts", async function () {
      const { chequebook, issuer } = await networkHelpers.loadFixture(fixture);
      await expect(chequebook.connect(issuer).deposit(50n)).to.be.revertedWith("allowance");
    });
  });

  describe("a fee-on-transfer token", function () {
    const fixture = () => onToken("FeeOnTransferToken");

    it("reports the amount actually received on deposit", async function () {
      const { token, chequebook, address, issuer } = await networkHelpers.loadFixture(fixture);
      await token.mint(issuer.address, 1000n);
      await token.connect(issuer).approve(address, 1000n);
      await expect(chequebook.connect(issuer).deposit(1000n)).to.emit(chequebook, "Deposited").withArgs(issuer.address, 990n);
      expect(await chequebook.balance()).to.equal(1990n);
    });

    it("records the gross payout; the beneficiary receives it less the token's fee", async function () {
      const { token, chequebook, beneficiary, cheque } = await networkHelpers.loadFixture(fixture);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 500n, await cheque(500n));
      expect(await chequebook.paidOut(beneficiary.address)).to.equal(500n);
      expect(await token.balanceOf(beneficiary.address)).to.equal(495n);
      expect(await chequebook.balance()).to.equal(500n);
    });
  });
});
