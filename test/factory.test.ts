import { expect } from "chai";

import { DEFAULT_TIMEOUT, deployBase } from "./helpers/fixtures.js";
import { ethers, networkHelpers } from "./helpers/setup.js";

const MAX_UINT64 = 2n ** 64n - 1n;

describe("ChequebookFactory", function () {
  it("refuses a token that is not a contract", async function () {
    const { issuer } = await networkHelpers.loadFixture(deployBase);
    const Factory = await ethers.getContractFactory("ChequebookFactory");
    await expect(Factory.deploy(issuer.address))
      .to.be.revertedWithCustomError(Factory, "ChequebookFactoryInvalidToken")
      .withArgs(issuer.address);
    await expect(Factory.deploy(ethers.ZeroAddress))
      .to.be.revertedWithCustomError(Factory, "ChequebookFactoryInvalidToken")
      .withArgs(ethers.ZeroAddress);
  });

  it("exposes its token and its logic contract", async function () {
    const { factory, token } = await networkHelpers.loadFixture(deployBase);
    expect(await factory.ERC20Address()).to.equal(await token.getAddress());
    const master = await ethers.getContractAt("Chequebook", await factory.master());
    expect(await master.token()).to.equal(await token.getAddress());
  });

  it("deploys a chequebook at the predicted address and records it", async function () {
    const { factory, issuer, deployer, token } = await networkHelpers.loadFixture(deployBase);
    const salt = ethers.id("salt");
    const predicted = await factory.predictSimpleSwapAddress(deployer.address, issuer.address, DEFAULT_TIMEOUT, salt);
    expect(await factory.deployedContracts(predicted)).to.equal(false);
    await expect(factory.connect(deployer).deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, salt))
      .to.emit(factory, "SimpleSwapDeployed")
      .withArgs(predicted);
    expect(await factory.deployedContracts(predicted)).to.equal(true);
    const chequebook = await ethers.getContractAt("Chequebook", predicted);
    expect(await chequebook.issuer()).to.equal(issuer.address);
    expect(await chequebook.token()).to.equal(await token.getAddress());
    expect(await chequebook.defaultHardDepositTimeout()).to.equal(DEFAULT_TIMEOUT);
  });

  it("binds the address to the deployer, so nobody can take another's address", async function () {
    const { factory, issuer, deployer, other } = await networkHelpers.loadFixture(deployBase);
    const salt = ethers.id("salt");
    const mine = await factory.predictSimpleSwapAddress(deployer.address, issuer.address, DEFAULT_TIMEOUT, salt);
    await factory.connect(other).deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, salt);
    expect(await ethers.provider.getCode(mine)).to.equal("0x");
    await factory.connect(deployer).deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, salt);
    expect(await factory.deployedContracts(mine)).to.equal(true);
  });

  it("reverts a second deployment with the same deployer, salt and arguments", async function () {
    const { factory, issuer } = await networkHelpers.loadFixture(deployBase);
    await factory.deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, ethers.ZeroHash);
    await expect(factory.deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, ethers.ZeroHash)).to.be.revertedWithCustomError(
      factory,
      "FailedDeployment",
    );
  });

  it("refuses a zero issuer and a timeout beyond 64 bits", async function () {
    const { factory, issuer, deployer } = await networkHelpers.loadFixture(deployBase);
    await expect(factory.deploySimpleSwap(ethers.ZeroAddress, DEFAULT_TIMEOUT, ethers.ZeroHash))
      .to.be.revertedWithCustomError(factory, "ChequebookFactoryInvalidIssuer")
      .withArgs(ethers.ZeroAddress);
    await expect(factory.deploySimpleSwap(issuer.address, MAX_UINT64 + 1n, ethers.ZeroHash))
      .to.be.revertedWithCustomError(factory, "ChequebookFactoryTimeoutTooLarge")
      .withArgs(MAX_UINT64 + 1n);
    await expect(factory.predictSimpleSwapAddress(deployer.address, ethers.ZeroAddress, 0n, ethers.ZeroHash))
      .to.be.revertedWithCustomError(factory, "ChequebookFactoryInvalidIssuer");
    // The largest timeout that fits is accepted and read back intact.
    const address = await factory.deploySimpleSwap.staticCall(issuer.address, MAX_UINT64, ethers.ZeroHash);
    await factory.deploySimpleSwap(issuer.address, MAX_UINT64, ethers.ZeroHash);
    expect(await (await ethers.getContractAt("Chequebook", address)).defaultHardDepositTimeout()).to.equal(MAX_UINT64);
  });

  it("does not count accounts, the token, its own logic contract, or another factory's chequebooks", async function () {
    const { factory, token, issuer, deployer } = await networkHelpers.loadFixture(deployBase);
    const otherFactory = await ethers.deployContract("ChequebookFactory", [await token.getAddress()]);
    const foreign = await otherFactory.deploySimpleSwap.staticCall(issuer.address, DEFAULT_TIMEOUT, ethers.ZeroHash);
    await otherFactory.deploySimpleSwap(issuer.address, DEFAULT_TIMEOUT, ethers.ZeroHash);
    expect(await otherFactory.deployedContracts(foreign)).to.equal(true);
    expect(await factory.deployedContracts(foreign)).to.equal(false);
    expect(await factory.deployedContracts(issuer.address)).to.equal(false);
    expect(await factory.deployedContracts(await token.getAddress())).to.equal(false);
    expect(await factory.deployedContracts(await factory.master())).to.equal(false);
    expect(await factory.deployedContracts(await factory.getAddress())).to.equal(false);
    void deployer;
  });
});
