/**
 * Review of issue 9: what the chequebook has already paid us is on chain, whatever our store remembers. After the
 * store is lost or restored from an older copy (or a second node runs on the same key), an issuer replays cheques it
 * has already paid. Property: a cheque is credited at most what it adds to what the chequebook has paid us; a cheque
 * already paid on chain is credited nothing.
 */
import { expect } from "chai";

import { MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, verifierFor } from "./helpers.js";

describe("SDK verification: what was paid on chain is not credited again", function () {
  it("refuses a replayed cheque already paid on chain, and credits a higher one only beyond what was paid", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const sign = (cumulativePayout: bigint) => signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });
    const old = await sign(500n * UNIT);
    const paid = await sign(600n * UNIT);
    await f.chequebook.connect(f.beneficiary).cashChequeBeneficiary(f.beneficiary.address, paid.cumulativePayout, paid.signature);

    // Our store is gone (or an older copy): it holds nothing from this chequebook.
    const verifier = verifierFor(f, new MemoryChequeStore());
    const replay = await rejection(() => verifier.verify(old));
    expect(replay.code).to.equal("STALE_CHEQUE");
    expect((await rejection(() => verifier.verify(paid))).code).to.equal("STALE_CHEQUE");
    const next = await verifier.verify(await sign(700n * UNIT));
    expect(next.increment).to.equal(100n * UNIT);
  });
});
