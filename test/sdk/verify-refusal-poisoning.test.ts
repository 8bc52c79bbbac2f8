/**
 * Review of issue 9, point 7: the memory of refused chequebooks must not become a way to refuse good ones. A
 * chequebook's address is predictable before it is deployed (CREATE2 from deployer, issuer, timeout and salt); a
 * peer that names it before the deployment is mined (or the honest peer itself, announcing it early) gets "no code"
 * remembered, and the real chequebook's cheques were then refused for the whole refusal TTL (10 minutes).
 * Property: a refusal that can change (no code yet) is remembered only briefly; one that cannot (untrusted factory,
 * wrong token) for the configured TTL.
 */
import { expect } from "chai";

import { MemoryChequeStore, signCheque } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { DEFAULT_TIMEOUT } from "../helpers/fixtures.js";
import { UNIT, rejection, sdkFixture, verifierFor } from "./helpers.js";

describe("SDK verification: a refusal for missing code is not remembered for long", function () {
  it("accepts a chequebook named before its deployment soon after it is deployed", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    let now = 1_000_000;
    const verifier = verifierFor(f, new MemoryChequeStore(), { now: () => now });
    const salt = ethers.id("predicted");
    const factory = f.factory.connect(f.issuer);
    const predicted = await factory.deploySimpleSwap.staticCall(f.issuer.address, DEFAULT_TIMEOUT, salt);
    const cheque = (cumulativePayout: bigint) => signCheque({ signer: f.issuer, chequebook: predicted, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });

    // Someone names the address first: no code there yet.
    expect((await rejection(async () => verifier.verify(await cheque(1n)))).code).to.equal("UNKNOWN_CHEQUEBOOK");
    await (await factory.deploySimpleSwap(f.issuer.address, DEFAULT_TIMEOUT, salt)).wait();
    await f.token.mint(predicted, 100n * UNIT);
    now += 30_000; // half a minute later, well within the 10-minute TTL of permanent refusals
    const r = await verifier.verify(await cheque(10n * UNIT));
    expect(r.increment).to.equal(10n * UNIT);
  });
});
