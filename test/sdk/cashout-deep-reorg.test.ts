/**
 * A cash-out recorded after its confirmations can still leave the chain in a deeper reorganisation. What it paid is
 * then owed again, and the casher must cash it again: the paid-out amount it remembers from its own cash-outs
 * (which guards against a node's cached, older answers) must not outlive the block it was read at.
 */
import { expect } from "chai";

import { ChequeCasher, MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture } from "./helpers.js";

describe("SDK cash-out: a reorganisation deeper than the confirmations", function () {
  it("cashes again a cheque whose recorded cash-out left the chain", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const store = new MemoryChequeStore();
    await store.putReceived(await signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 40n * UNIT, chainId: f.chainId }));
    const casher = new ChequeCasher({ signer: f.beneficiary, store, gasCostInToken: () => 0n, tx: { pollMs: 10, confirmations: 1 } });
    const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
    expect((await casher.cashOut(f.address)).paid).to.equal(40n * UNIT);
    // The chain goes back to before the cash-out and grows longer without it.
    await ethers.provider.send("evm_revert", [snapshot]);
    await networkHelpers.mine(5);
    expect(await f.chequebook.paidOut(f.beneficiary.address)).to.equal(0n);
    const status = await casher.status(f.address);
    expect(status.uncashed).to.equal(40n * UNIT);
    expect((await casher.cashOut(f.address)).paid).to.equal(40n * UNIT);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(40n * UNIT);
  });
});
