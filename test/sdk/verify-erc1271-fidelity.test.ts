/**
 * Review of issue 9: the verifier must ask an ERC-1271 issuer the question the chequebook asks, and read the answer
 * as the chequebook reads it. Property: a cheque accepted (under "reject", covered) is payable at the moment it is
 * accepted; a signature the chequebook refuses is never accepted.
 */
import { expect } from "chai";

import { MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { networkHelpers } from "../helpers/setup.js";
import { ethers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, verifierFor } from "./helpers.js";

async function deceptiveFixture() {
  const f = await sdkFixture();
  const wallet = await ethers.deployContract("DeceptiveERC1271Wallet");
  const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress());
  await f.token.mint(await book.getAddress(), 100n * UNIT);
  return { ...f, wallet, book, bookAddress: await book.getAddress() };
}

describe("SDK verification: ERC-1271 answers read as the chequebook reads them", function () {
  for (const [mode, name] of [
    [0, "the magic value followed by non-zero bytes"],
    [1, "approval only to callers without code (the chequebook is refused)"],
    [2, "approval only when tx.origin is the caller (never in a real cash-out)"],
  ] as const) {
    it(`refuses a cheque whose issuer wallet answers with ${name}: the chequebook would not pay it`, async function () {
      const f = await networkHelpers.loadFixture(deceptiveFixture);
      await f.wallet.setMode(mode);
      // Any bytes will do as the "signature": the wallet decides.
      const cheque = await signCheque({ signer: f.other, chequebook: f.bookAddress, beneficiary: f.beneficiary.address, cumulativePayout: 10n * UNIT, chainId: f.chainId });
      // The chequebook itself refuses the cheque...
      await expect(f.book.connect(f.beneficiary).cashChequeBeneficiary.staticCall(f.beneficiary.address, cheque.cumulativePayout, cheque.signature)).to.be.revertedWithCustomError(
        f.book,
        "ChequebookInvalidIssuerSignature",
      );
      // ...so the verifier must too (default "reject" policy: "payable when accepted").
      const e = await rejection(() => verifierFor(f, new MemoryChequeStore()).verify(cheque));
      expect(e.code).to.equal("INVALID_SIGNATURE");
      expect(e.details.reason).to.equal("erc1271-failed");
    });
  }
});
