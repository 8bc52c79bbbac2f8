/**
 * Review of issue 9: the cover figures of a cheque must come from one block. A node answers each call of a batch at
 * its own "latest"; when our own cash-out is mined between the read of `liquidBalanceFor` and that of `paidOut`, the
 * money it paid is counted twice: once as still in the chequebook, once as already paid. A hostile issuer who sees
 * our cash-out in the mempool sends a cheque beyond its cover at that moment.
 * Property: under "reject", a cheque accepted is payable at the moment it is accepted.
 */
import { expect } from "chai";

import { MemoryChequeStore, chequebookInterface, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, verifierFor } from "./helpers.js";

describe("SDK verification: cover read at one block", function () {
  it("refuses a cheque beyond the cover when our cash-out is mined between the reads of one batch", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture); // the chequebook holds 1,000
    const store = new MemoryChequeStore();
    const verifier = verifierFor(f, store);
    const sign = (cumulativePayout: bigint) => signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
    const held = await sign(600n * UNIT);
    await verifier.verify(held);
    await store.putReceived(held);
    await networkHelpers.mine(); // a new block: the cover is read again, not reused from the block of the first

    // The node answers liquidBalanceFor, then our cash-out of the 600 is mined, then it answers paidOut.
    const provider = ethers.provider as unknown as { call: (tx: { data?: string }) => Promise<string> };
    const call = provider.call;
    const liquidSel = chequebookInterface.getFunction("liquidBalanceFor")!.selector;
    const paidSel = chequebookInterface.getFunction("paidOut")!.selector;
    let liquidRead: Promise<string> | undefined;
    let cashed = false;
    provider.call = function (tx) {
      if (tx.data?.startsWith(liquidSel)) return (liquidRead = call.call(ethers.provider, tx));
      if (tx.data?.startsWith(paidSel) && !cashed) {
        cashed = true;
        return (async () => {
          await liquidRead;
          await (await f.chequebook.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, held.cumulativePayout, held.signature)).wait();
          return call.call(ethers.provider, tx);
        })();
      }
      return call.call(ethers.provider, tx);
    };
    const beyond = await sign(1500n * UNIT); // needs 1,500 against 1,000 before the cash-out, 900 against 400 after
    try {
      const e = await rejection(() => verifier.verify(beyond, { previous: held.cumulativePayout }));
      expect(e.code).to.equal("INSUFFICIENT_COVER");
    } finally {
      provider.call = call;
    }
    expect(cashed, "the cash-out happened during the read").to.equal(true);
  });
});
