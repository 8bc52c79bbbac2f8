/**
 * Attacks found in a hostile review of the hardened contracts (after issue 10). Each test names the attacker and
 * the property it broke; each failed on the contracts before its fix.
 */
import { expect } from "chai";

import { DEFAULT_TIMEOUT, UNIT, fundedChequebookFixture } from "../helpers/fixtures.js";
import { networkHelpers } from "../helpers/setup.js";
import { signCheque } from "../helpers/signing.js";

const MAX_UINT128 = 2n ** 128n - 1n;

describe("Chequebook under a hostile review", function () {
  describe("an issuer that runs 2^128 units through its own chequebook", function () {
    /**
     * The beneficiary holds a cheque for 100 that its 100 hard deposit covers. The issuer borrows 2^128 - 1 units
     * (here minted; OpenZeppelin's ERC20FlashMint lends up to 2^256 - 1 - totalSupply at no fee by default, so any
     * issuer of such a token does it in one transaction), deposits them and cashes them back to itself, which
     * needs no signature. It costs the issuer nothing, and totalPaidOut is then at the top of its 128 bits.
     */
    async function cycledFixture() {
      const f = await fundedChequebookFixture();
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 100n * UNIT);
      const cheque = await signCheque(f.issuer, { chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 100n * UNIT, chainId: f.chainId });

      await f.token.mint(f.issuer.address, MAX_UINT128);
      await f.token.connect(f.issuer).approve(f.address, MAX_UINT128);
      await f.chequebook.connect(f.issuer).deposit(MAX_UINT128);
      await f.chequebook.connect(f.issuer).cashChequeBeneficiary(f.issuer.address, MAX_UINT128, "0x");
      expect(await f.token.balanceOf(f.issuer.address)).to.equal(MAX_UINT128); // the loan can be repaid
      return { ...f, cheque };
    }

    it("a cheque covered by a hard deposit is still paid (property: no cover disappears while a cheque relies on it)", async function () {
      const { chequebook, token, beneficiary, cheque } = await networkHelpers.loadFixture(cycledFixture);
      // Before the fix this reverted with SafeCastOverflowedUintDowncast: the total paid out no longer fit in its
      // 128 bits, so every cash-out of every beneficiary reverted, and the issuer could take the hard deposit back
      // after the timeout (prepareDecreaseHardDeposit, decreaseHardDeposit, withdraw).
      await expect(chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 100n * UNIT, cheque))
        .to.emit(chequebook, "ChequeCashed")
        .withArgs(beneficiary.address, beneficiary.address, beneficiary.address, 100n * UNIT, 100n * UNIT, 0n);
      expect(await token.balanceOf(beneficiary.address)).to.equal(100n * UNIT);
    });

    it("the issuer cannot wait out the timeout and withdraw the cover while the cheque is refused", async function () {
      const { chequebook, issuer, beneficiary, cheque } = await networkHelpers.loadFixture(cycledFixture);
      await chequebook.connect(issuer).prepareDecreaseHardDeposit(beneficiary.address, 100n * UNIT);
      // The beneficiary cashes within the timeout, as a hard deposit promises it may.
      await networkHelpers.time.increase(DEFAULT_TIMEOUT / 2n);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 100n * UNIT, cheque);
      await networkHelpers.time.increase(DEFAULT_TIMEOUT);
      await chequebook.decreaseHardDeposit(beneficiary.address);
      expect(await chequebook.liquidBalance()).to.equal(900n * UNIT);
    });

    it("totalPaidOut stays exact beyond 2^128 and is the sum of paidOut", async function () {
      const { chequebook, issuer, beneficiary, cheque } = await networkHelpers.loadFixture(cycledFixture);
      await chequebook.connect(beneficiary).cashChequeBeneficiary(beneficiary.address, 100n * UNIT, cheque);
      const sum = (await chequebook.paidOut(issuer.address)) + (await chequebook.paidOut(beneficiary.address));
      expect(sum).to.equal(MAX_UINT128 + 100n * UNIT);
      expect(await chequebook.totalPaidOut()).to.equal(sum);
    });
  });
});
