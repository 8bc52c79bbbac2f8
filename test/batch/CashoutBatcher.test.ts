/**
 * The owner-only relay of `cashCheque`: Cashout authorisations name the batcher, so only its owner can spend them
 * and the fees accrue to it; every revert path; hostile items cannot sink the batch or take the fees.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { UNIT, deployBase, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { signBeneficiaryCashout, signCashout, signCheque } from "../helpers/signing.js";

const { loadFixture } = networkHelpers;
const GAS = 250_000n;

async function fixture() {
  const base = await deployBase();
  const books: Awaited<ReturnType<typeof deployChequebook>>[] = [];
  for (let i = 0; i < 3; i++) {
    const book = await deployChequebook(base.factory, base.issuer, base.issuer.address, 86_400n, ethers.zeroPadValue(ethers.toBeHex(i + 1), 32));
    await base.token.mint(await book.getAddress(), 100n * UNIT);
    books.push(book);
  }
  const batcher = await ethers.deployContract("CashoutBatcher", [base.caller.address]);
  const batcherAddress = await batcher.getAddress();
  // A contract beneficiary (a one-owner wallet) that cannot delegate with EIP-7702.
  const wallet = await ethers.deployContract("ERC1271Wallet", [base.other.address]);
  const walletAddress = await wallet.getAddress();
  const item = async (book: (typeof books)[number], beneficiary: "eoa" | "wallet", cumulativePayout: bigint, callerPayout: bigint) => {
    const chequebook = await book.getAddress();
    const who = beneficiary === "eoa" ? base.beneficiary.address : walletAddress;
    const common = { chequebook, sender: batcherAddress, requestPayout: cumulativePayout, recipient: who, callerPayout, chainId: base.chainId };
    const beneficiarySig =
      beneficiary === "eoa" ? await signCashout(base.beneficiary, common) : await signBeneficiaryCashout(base.other, { ...common, beneficiary: who });
    return {
      chequebook, beneficiary: who, recipient: who, cumulativePayout, callerPayout, gasLimit: GAS, beneficiarySig,
      issuerSig: await signCheque(base.issuer, { chequebook, beneficiary: who, cumulativePayout, chainId: base.chainId }),
    };
  };
  return { ...base, books, batcher, batcherAddress, wallet, walletAddress, item };
}

describe("CashoutBatcher", function () {
  it("relays cash-outs of an EOA and of a contract beneficiary in one transaction; fees accrue to it until swept", async function () {
    const f = await loadFixture(fixture);
    const items = [await f.item(f.books[0]!, "eoa", 10n * UNIT, UNIT), await f.item(f.books[1]!, "wallet", 20n * UNIT, 2n * UNIT)];
    await (await f.batcher.connect(f.caller).cashCheques(items, { gasLimit: 1_000_000n })).wait();
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(9n * UNIT);
    expect(await f.token.balanceOf(f.walletAddress)).to.equal(18n * UNIT);
    expect(await f.token.balanceOf(f.batcherAddress)).to.equal(3n * UNIT);
    await expect(f.batcher.connect(f.caller).sweep(await f.token.getAddress(), f.recipient.address, 3n * UNIT))
      .to.emit(f.batcher, "FeesSwept")
      .withArgs(await f.token.getAddress(), f.recipient.address, 3n * UNIT);
    expect(await f.token.balanceOf(f.recipient.address)).to.equal(3n * UNIT);
  });

  it("lets nobody but the owner run a batch or sweep; the authorisations are useless to anyone else", async function () {
    const f = await loadFixture(fixture);
    const items = [await f.item(f.books[0]!, "eoa", 10n * UNIT, UNIT)];
    await expect(f.batcher.connect(f.other).cashCheques(items)).to.be.revertedWithCustomError(f.batcher, "OwnableUnauthorizedAccount").withArgs(f.other.address);
    await expect(f.batcher.connect(f.other).sweep(await f.token.getAddress(), f.other.address, 1n))
      .to.be.revertedWithCustomError(f.batcher, "OwnableUnauthorizedAccount")
      .withArgs(f.other.address);
    const i = items[0]!;
    // Submitted straight to the chequebook by someone else, the authorisation does not name them.
    await expect(f.books[0]!.connect(f.other).cashCheque(i.beneficiary, i.recipient, i.cumulativePayout, i.beneficiarySig, i.callerPayout, i.issuerSig))
      .to.be.revertedWithCustomError(f.books[0]!, "ChequebookInvalidBeneficiarySignature");
  });

  it("refuses to sweep to the zero address, and moves ownership in two steps", async function () {
    const f = await loadFixture(fixture);
    await expect(f.batcher.connect(f.caller).sweep(await f.token.getAddress(), ZeroAddress, 1n))
      .to.be.revertedWithCustomError(f.batcher, "CashoutBatcherInvalidRecipient")
      .withArgs(ZeroAddress);
    await f.batcher.connect(f.caller).transferOwnership(f.other.address);
    expect(await f.batcher.owner()).to.equal(f.caller.address);
    await f.batcher.connect(f.other).acceptOwnership();
    expect(await f.batcher.owner()).to.equal(f.other.address);
  });

  it("reverts a sweep the token refuses (returns false), moving nothing", async function () {
    const f = await loadFixture(fixture);
    const token = await ethers.deployContract("ReturnsFalseToken");
    await token.mint(f.batcherAddress, 10n);
    await token.setFailAll(true);
    await expect(f.batcher.connect(f.caller).sweep(await token.getAddress(), f.recipient.address, 10n))
      .to.be.revertedWithCustomError(f.batcher, "SafeERC20FailedOperation")
      .withArgs(await token.getAddress());
  });

  it("reports a bouncing, a replayed and a hostile item and pays the rest; nothing reaches the hostile book", async function () {
    const f = await loadFixture(fixture);
    const hostile = await ethers.deployContract("HostileChequebook", [await f.token.getAddress()]);
    // Fees held by the batcher are the prize: the hostile book tries to pull them, then to re-enter the batch.
    await f.token.mint(f.batcherAddress, 5n * UNIT);
    const good = await f.item(f.books[0]!, "eoa", 10n * UNIT, UNIT);
    await (await f.batcher.connect(f.caller).cashCheques([good], { gasLimit: 1_000_000n })).wait();
    const replayed = good; // the same authorisation again
    const bouncing = await f.item(f.books[1]!, "eoa", 500n * UNIT, UNIT); // only 100 there: a relayed cash-out never bounces
    const hostileItem = { ...(await f.item(f.books[2]!, "eoa", 5n * UNIT, 0n)), chequebook: await hostile.getAddress() };
    const fine = await f.item(f.books[2]!, "wallet", 7n * UNIT, 0n);
    for (const mode of [0, 1, 2, 3]) {
      await hostile.arm(mode, ethers.MaxUint256, f.batcher.interface.encodeFunctionData("sweep", [await f.token.getAddress(), await hostile.getAddress(), 5n * UNIT]));
      const snapshot = await networkHelpers.takeSnapshot();
      const receipt = await (await f.batcher.connect(f.caller).cashCheques([replayed, bouncing, hostileItem, fine], { gasLimit: 2_000_000n })).wait();
      const failed = receipt!.logs.flatMap((l) => {
        const p = f.batcher.interface.parseLog(l);
        return p?.name === "CashoutItemFailed" ? [Number(p.args.index)] : [];
      });
      expect(failed).to.deep.equal(mode === 2 ? [0, 1] : [0, 1, 2]);
      expect(await f.token.balanceOf(f.walletAddress)).to.equal(7n * UNIT);
      expect(await f.token.balanceOf(await hostile.getAddress())).to.equal(0n);
      expect(await f.token.balanceOf(f.batcherAddress)).to.equal(6n * UNIT);
      expect(await hostile.callbackSucceeded()).to.equal(false);
      await snapshot.restore();
    }
  });
});
