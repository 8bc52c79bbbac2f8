import { expect } from "chai";
import { TypedDataEncoder, id } from "ethers";

import { getChequebookDomain } from "../../sdk/cheque/typed-data.js";
import { DEFAULT_TIMEOUT, UNIT, deployBase, deployChequebook, fundedChequebookFixture } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signCheque } from "../helpers/signing.js";
import { shouldBehaveLikeAChequebook, type IssuerContext } from "./issuer.behavior.js";

async function eoaIssuerFixture(): Promise<IssuerContext> {
  const f = await fundedChequebookFixture();
  return {
    ...f,
    issuerAddress: f.issuer.address,
    signAsIssuer: (args) => signCheque(f.issuer, args),
    sendAsIssuer: (data) => f.issuer.sendTransaction({ to: f.address, data }) as never,
  };
}

async function walletIssuerFixture(): Promise<IssuerContext> {
  const base = await deployBase();
  const wallet = await ethers.deployContract("ERC1271Wallet", [base.issuer.address]);
  const walletAddress = await wallet.getAddress();
  const chequebook = await deployChequebook(base.factory, base.deployer, walletAddress);
  const address = await chequebook.getAddress();
  await base.token.mint(address, 1000n * UNIT);
  return {
    ...base,
    chequebook,
    address,
    issuerAddress: walletAddress,
    // The wallet's owner signs the EIP-712 digest; the wallet vouches for it through ERC-1271.
    signAsIssuer: (args) => signCheque(base.issuer, args),
    sendAsIssuer: (data) => wallet.connect(base.issuer).execute(address, data),
  };
}

describe("Chequebook", function () {
  describe("with an EOA issuer", function () {
    shouldBehaveLikeAChequebook(eoaIssuerFixture);
  });

  describe("with an ERC-1271 wallet issuer", function () {
    shouldBehaveLikeAChequebook(walletIssuerFixture);

    it("rejects a cheque the wallet's owner did not sign even if it is a valid ECDSA signature", async function () {
      const ctx = await networkHelpers.loadFixture(walletIssuerFixture);
      const sig = await signCheque(ctx.other, {
        chequebook: ctx.address,
        beneficiary: ctx.beneficiary.address,
        cumulativePayout: UNIT,
        chainId: ctx.chainId,
      });
      await expect(
        ctx.chequebook.connect(ctx.beneficiary).cashChequeBeneficiary(ctx.beneficiary.address, UNIT, sig),
      ).to.be.revertedWithCustomError(ctx.chequebook, "ChequebookInvalidIssuerSignature");
    });
  });

  describe("views", function () {
    it("exposes the token, the default timeout and zeroed accounting", async function () {
      const { chequebook, token, beneficiary } = await networkHelpers.loadFixture(fundedChequebookFixture);
      expect(await chequebook.token()).to.equal(await token.getAddress());
      expect(await chequebook.defaultHardDepositTimeout()).to.equal(DEFAULT_TIMEOUT);
      expect(await chequebook.balance()).to.equal(1000n * UNIT);
      expect(await chequebook.liquidBalance()).to.equal(1000n * UNIT);
      expect(await chequebook.liquidBalanceFor(beneficiary.address)).to.equal(1000n * UNIT);
      expect(await chequebook.totalPaidOut()).to.equal(0n);
      expect(await chequebook.totalHardDeposit()).to.equal(0n);
      expect(await chequebook.bounced()).to.equal(false);
      expect(await chequebook.lastCashoutPayout(beneficiary.address)).to.equal(0n);
      expect(await chequebook.hardDeposits(beneficiary.address)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("exposes typehashes equal to the keccak of their type strings", async function () {
      const { chequebook } = await networkHelpers.loadFixture(fundedChequebookFixture);
      expect(await chequebook.EIP712DOMAIN_TYPEHASH()).to.equal(
        id("EIP712Domain(string name,string version,uint256 chainId)"),
      );
      expect(await chequebook.CHEQUE_TYPEHASH()).to.equal(
        id("Cheque(address chequebook,address beneficiary,uint256 cumulativePayout)"),
      );
      expect(await chequebook.CASHOUT_TYPEHASH()).to.equal(
        id("Cashout(address chequebook,address sender,uint256 requestPayout,address recipient,uint256 callerPayout)"),
      );
      expect(await chequebook.CUSTOMDECREASETIMEOUT_TYPEHASH()).to.equal(
        id("CustomDecreaseTimeout(address chequebook,address beneficiary,uint256 decreaseTimeout)"),
      );
    });

    it("has the domain separator the SDK's typed data hashes to", async function () {
      const { chequebook, chainId } = await networkHelpers.loadFixture(fundedChequebookFixture);
      expect(await chequebook.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(getChequebookDomain(chainId)));
    });
  });

  describe("init", function () {
    it("reverts on a chequebook: it was initialised at creation", async function () {
      const { chequebook, issuer, token } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await expect(
        chequebook.init(issuer.address, await token.getAddress(), 1n),
      ).to.be.revertedWithCustomError(chequebook, "ChequebookAlreadyInitialized");
    });

    it("reverts on the logic contract, which stays inert", async function () {
      const { factory, issuer, token } = await networkHelpers.loadFixture(fundedChequebookFixture);
      const master = await ethers.getContractAt("Chequebook", await factory.master());
      await expect(
        master.connect(issuer).init(issuer.address, await token.getAddress(), 1n),
      ).to.be.revertedWithCustomError(master, "ChequebookAlreadyInitialized");
      expect(await master.issuer()).to.equal(ethers.ZeroAddress);
      expect(await master.defaultHardDepositTimeout()).to.equal(0n);
      await expect(master.connect(issuer).withdraw(1n))
        .to.be.revertedWithCustomError(master, "ChequebookUnauthorized")
        .withArgs(issuer.address);
    });
  });

  describe("deposit", function () {
    it("pulls approved tokens and reports them", async function () {
      const { chequebook, token, other, address } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await token.mint(other.address, 5n * UNIT);
      await token.connect(other).approve(address, 5n * UNIT);
      await expect(chequebook.connect(other).deposit(5n * UNIT))
        .to.emit(chequebook, "Deposited")
        .withArgs(other.address, 5n * UNIT);
      expect(await chequebook.balance()).to.equal(1005n * UNIT);
    });

    it("reverts on a zero amount", async function () {
      const { chequebook, other } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await expect(chequebook.connect(other).deposit(0n)).to.be.revertedWithCustomError(
        chequebook,
        "ChequebookZeroAmount",
      );
    });

    it("reverts without an allowance, with the token's error", async function () {
      const { chequebook, token, other } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await token.mint(other.address, UNIT);
      await expect(chequebook.connect(other).deposit(UNIT)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientAllowance",
      );
    });

    it("counts plain transfers as deposits", async function () {
      const { chequebook, token, address } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await token.mint(address, 7n);
      expect(await chequebook.balance()).to.equal(1000n * UNIT + 7n);
      expect(await chequebook.liquidBalance()).to.equal(1000n * UNIT + 7n);
    });
  });

  describe("depositWithPermit", function () {
    async function permit(f: Awaited<ReturnType<typeof fundedChequebookFixture>>, amount: bigint, deadline: bigint) {
      const domain = { name: "Test BZZ", version: "1", chainId: f.chainId, verifyingContract: await f.token.getAddress() };
      const types = { Permit: [
        { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
      ] };
      const nonce = await f.token.nonces(f.other.address);
      return ethers.Signature.from(await f.other.signTypedData(domain, types, { owner: f.other.address, spender: f.address, value: amount, nonce, deadline }));
    }

    it("deposits in one transaction with an EIP-2612 permit", async function () {
      const f = await networkHelpers.loadFixture(fundedChequebookFixture);
      await f.token.mint(f.other.address, 5n * UNIT);
      const sig = await permit(f, 5n * UNIT, ethers.MaxUint256);
      await expect(f.chequebook.connect(f.other).depositWithPermit(5n * UNIT, ethers.MaxUint256, sig.v, sig.r, sig.s))
        .to.emit(f.chequebook, "Deposited")
        .withArgs(f.other.address, 5n * UNIT);
      expect(await f.chequebook.balance()).to.equal(1005n * UNIT);
    });

    it("still deposits when someone front-ran the permit", async function () {
      const f = await networkHelpers.loadFixture(fundedChequebookFixture);
      await f.token.mint(f.other.address, 5n * UNIT);
      const sig = await permit(f, 5n * UNIT, ethers.MaxUint256);
      await f.token.connect(f.caller).permit(f.other.address, f.address, 5n * UNIT, ethers.MaxUint256, sig.v, sig.r, sig.s);
      await expect(f.chequebook.connect(f.other).depositWithPermit(5n * UNIT, ethers.MaxUint256, sig.v, sig.r, sig.s))
        .to.emit(f.chequebook, "Deposited")
        .withArgs(f.other.address, 5n * UNIT);
    });

    it("reverts with the token's allowance error when the permit is invalid", async function () {
      const f = await networkHelpers.loadFixture(fundedChequebookFixture);
      await f.token.mint(f.other.address, 5n * UNIT);
      const sig = await permit(f, 4n * UNIT, ethers.MaxUint256); // signed for less
      await expect(f.chequebook.connect(f.other).depositWithPermit(5n * UNIT, ethers.MaxUint256, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
    });
  });

  describe("withdraw", function () {
    it("reverts on a zero amount", async function () {
      const { chequebook, issuer } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await expect(chequebook.connect(issuer).withdraw(0n)).to.be.revertedWithCustomError(
        chequebook,
        "ChequebookZeroAmount",
      );
    });

    it("cannot touch hard deposits", async function () {
      const { chequebook, issuer, beneficiary } = await networkHelpers.loadFixture(fundedChequebookFixture);
      await chequebook.connect(issuer).increaseHardDeposit(beneficiary.address, 600n * UNIT);
      await expect(chequebook.connect(issuer).withdraw(401n * UNIT))
        .to.be.revertedWithCustomError(chequebook, "ChequebookInsufficientLiquidity")
        .withArgs(400n * UNIT, 401n * UNIT);
      await expect(chequebook.connect(issuer).withdraw(400n * UNIT))
        .to.emit(chequebook, "Withdraw")
        .withArgs(400n * UNIT);
      expect(await chequebook.balance()).to.equal(600n * UNIT);
      expect(await chequebook.liquidBalance()).to.equal(0n);
    });
  });
});
