import { expect } from "chai";
import { Signature } from "ethers";

import { UNIT, deployBase, deployChequebook, fundedChequebookFixture } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signBeneficiaryCashout, signCheque, signCustomDecreaseTimeout, toHighS, withRawV } from "../helpers/signing.js";

async function fixture() {
  const f = await fundedChequebookFixture();
  const sig = await signCheque(f.issuer, { chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: UNIT, chainId: f.chainId });
  const cash = (signature: string) => f.chequebook.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, UNIT, signature);
  return { ...f, sig, cash };
}

describe("Chequebook signatures", function () {
  it("accepts a cheque signed with a plain ethers Wallet.signTypedData", async function () {
    const base = await networkHelpers.loadFixture(deployBase);
    const { beneficiary, chainId } = base;
    // An issuer key that exists only off-chain, signing with the standard typed-data API and hand-written types.
    const wallet = ethers.Wallet.createRandom();
    const own = await deployChequebook(base.factory, base.deployer, wallet.address);
    await base.token.mint(await own.getAddress(), 10n * UNIT);
    const signature = await wallet.signTypedData(
      { name: "Chequebook", version: "1.0", chainId },
      { Cheque: [{ name: "chequebook", type: "address" }, { name: "beneficiary", type: "address" }, { name: "cumulativePayout", type: "uint256" }] },
      { chequebook: await own.getAddress(), beneficiary: beneficiary.address, cumulativePayout: 3n * UNIT },
    );
    await expect(own.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 3n * UNIT, signature))
      .to.emit(own, "ChequeCashed")
      .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 3n * UNIT, 3n * UNIT, 0n);
    expect(await base.token.balanceOf(beneficiary.address)).to.equal(3n * UNIT);
  });

  it("rejects the high-s twin of a valid signature", async function () {
    const { chequebook, sig, cash } = await networkHelpers.loadFixture(fixture);
    await expect(cash(toHighS(sig))).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
  });

  it("rejects v written as 0/1 instead of 27/28", async function () {
    const { chequebook, sig, cash } = await networkHelpers.loadFixture(fixture);
    await expect(cash(withRawV(sig))).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
  });

  it("rejects the 64-byte compact form and other lengths", async function () {
    const { chequebook, sig, cash } = await networkHelpers.loadFixture(fixture);
    await expect(cash(Signature.from(sig).compactSerialized)).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
    await expect(cash("0x")).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
    await expect(cash(sig + "00")).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
  });

  it("accepts the valid signature after all those rejections", async function () {
    const { chequebook, sig, cash, beneficiary } = await networkHelpers.loadFixture(fixture);
    await expect(cash(sig)).to.emit(chequebook, "ChequeCashed").withArgs(beneficiary.address, beneficiary.address, beneficiary.address, UNIT, UNIT, 0n);
  });

  describe("an ERC-1271 wallet as beneficiary", function () {
    async function walletBeneficiaryFixture() {
      const f = await fundedChequebookFixture();
      const wallet = await ethers.deployContract("ERC1271Wallet", [f.beneficiary.address]);
      const walletAddress = await wallet.getAddress();
      const cheque = await signCheque(f.issuer, { chequebook: f.address, beneficiary: walletAddress, cumulativePayout: 10n * UNIT, chainId: f.chainId });
      return { ...f, wallet, walletAddress, cheque };
    }

    it("cashes its own cheque through the wallet", async function () {
      const { chequebook, token, wallet, walletAddress, beneficiary, cheque } = await networkHelpers.loadFixture(walletBeneficiaryFixture);
      const data = chequebook.interface.encodeFunctionData("cashChequeBeneficiary", [walletAddress, 10n * UNIT, cheque]);
      await expect(wallet.connect(beneficiary).execute(await chequebook.getAddress(), data))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(walletAddress, walletAddress, walletAddress, 10n * UNIT, 10n * UNIT, 0n);
      expect(await token.balanceOf(walletAddress)).to.equal(10n * UNIT);
    });

    it("authorises a third-party cash-out with a BeneficiaryCashout its owner signed", async function () {
      const { chequebook, token, walletAddress, beneficiary, caller, recipient, address, chainId, cheque } = await networkHelpers.loadFixture(walletBeneficiaryFixture);
      const cashoutSig = await signBeneficiaryCashout(beneficiary, { chequebook: address, beneficiary: walletAddress, sender: caller.address, requestPayout: 10n * UNIT, recipient: recipient.address, callerPayout: UNIT, chainId });
      await chequebook.connect(caller).cashCheque(walletAddress, recipient.address, 10n * UNIT, cashoutSig, UNIT, cheque);
      expect(await token.balanceOf(recipient.address)).to.equal(9n * UNIT);
    });

    it("rejects a Cashout signed by a key that is not the wallet's owner", async function () {
      const { chequebook, walletAddress, other, caller, recipient, address, chainId, cheque } = await networkHelpers.loadFixture(walletBeneficiaryFixture);
      const cashoutSig = await signBeneficiaryCashout(other, { chequebook: address, beneficiary: walletAddress, sender: caller.address, requestPayout: 10n * UNIT, recipient: recipient.address, callerPayout: UNIT, chainId });
      await expect(chequebook.connect(caller).cashCheque(walletAddress, recipient.address, 10n * UNIT, cashoutSig, UNIT, cheque))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInvalidBeneficiarySignature");
    });

    it("agrees to a custom decrease timeout through ERC-1271", async function () {
      const { chequebook, issuer, walletAddress, beneficiary, address, chainId } = await networkHelpers.loadFixture(walletBeneficiaryFixture);
      const sig = await signCustomDecreaseTimeout(beneficiary, { chequebook: address, beneficiary: walletAddress, decreaseTimeout: 3600n, chainId });
      await expect(chequebook.connect(issuer).setCustomHardDepositTimeout(walletAddress, 3600n, sig))
        .to.emit(chequebook, "HardDepositTimeoutChanged")
        .withArgs(walletAddress, 3600n);
    });
  });

  describe("a hostile ERC-1271 issuer", function () {
    async function maliciousIssuerFixture() {
      const base = await deployBase();
      const wallet = await ethers.deployContract("MaliciousERC1271Wallet");
      const walletAddress = await wallet.getAddress();
      const chequebook = await deployChequebook(base.factory, base.deployer, walletAddress);
      const address = await chequebook.getAddress();
      await base.token.mint(address, 100n * UNIT);
      const cash = (amount: bigint) =>
        chequebook.connect(base.beneficiary).cashChequeBeneficiary(base.beneficiary.address, amount, "0x" + "11".repeat(65), { gasLimit: 5_000_000 });
      return { ...base, wallet, walletAddress, chequebook, address, cash };
    }

    const refusals: Array<[string, number]> = [
      ["returns a wrong magic value", 0],
      ["reverts", 1],
      ["returns fewer than 32 bytes", 2],
      ["burns all the gas it is given", 3],
    ];
    for (const [behaviour, mode] of refusals) {
      it(`is a refusal when the wallet ${behaviour}`, async function () {
        const { wallet, chequebook, cash } = await networkHelpers.loadFixture(maliciousIssuerFixture);
        await wallet.setMode(mode);
        await expect(cash(UNIT)).to.be.revertedWithCustomError(chequebook, "ChequebookInvalidIssuerSignature");
      });
    }

    it("cannot make the chequebook pay more than its liquid balance even if it approves everything", async function () {
      const { wallet, chequebook, cash, beneficiary } = await networkHelpers.loadFixture(maliciousIssuerFixture);
      await wallet.setMode(4);
      await expect(cash(1_000n * UNIT))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 100n * UNIT, 1_000n * UNIT, 0n)
        .and.to.emit(chequebook, "ChequeBounced");
      expect(await chequebook.balance()).to.equal(0n);
    });
  });
});
