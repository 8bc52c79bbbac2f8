/**
 * The `cheque` scheme's facilitator side through @x402/core's x402Facilitator on the in-process chain: supported,
 * verify (refusals carry their code), settle as the beneficiary and as a relayer taking callerPayout.
 */
import { expect } from "chai";
import { x402Facilitator } from "@x402/core/facilitator";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";

import { MemoryChequeStore, chequeToJson, signCashout, type SignedCheque } from "../../sdk/index.js";
import { ChequeFacilitator, eip155Network } from "../../sdk/x402/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { PRICE, cheque } from "./helpers.js";

describe("x402 cheque scheme: facilitator", function () {
  this.timeout(60_000);
  let f: SdkFixture;
  let requirements: PaymentRequirements;

  beforeEach(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
    requirements = { scheme: "cheque", network: eip155Network(f.chainId), asset: f.tokenAddress, amount: PRICE.toString(), payTo: f.beneficiary.address, maxTimeoutSeconds: 60, extra: { trustedFactories: [f.factoryAddress] } };
  });

  async function facilitatorFor(signer: SdkFixture["beneficiary"]) {
    const scheme = await new ChequeFacilitator({ provider: ethers.provider, chainId: f.chainId, trustedFactories: [f.factoryAddress], token: f.tokenAddress, store: new MemoryChequeStore(), signer }).init();
    return new x402Facilitator().register(eip155Network(f.chainId), scheme);
  }
  const payloadOf = (c: SignedCheque, extra: Record<string, unknown> = {}): PaymentPayload => ({ x402Version: 2, accepted: requirements, payload: { cheque: { ...chequeToJson(c) }, chainId: f.chainId.toString(), ...extra } });

  it("announces the scheme on our chain with its factories and signer", async function () {
    const supported = (await facilitatorFor(f.beneficiary)).getSupported();
    expect(supported.kinds).to.deep.include({ x402Version: 2, scheme: "cheque", network: eip155Network(f.chainId), extra: { trustedFactories: [f.factoryAddress] } });
    expect(JSON.stringify(supported.signers)).to.contain(f.beneficiary.address);
  });

  it("verifies a good cheque and refuses forged, underpaid and wrong-payee ones with their codes", async function () {
    const facilitator = await facilitatorFor(f.beneficiary);
    expect(await facilitator.verify(payloadOf(await cheque(f, PRICE)), requirements)).to.include({ isValid: true, payer: f.address });
    expect(await facilitator.verify(payloadOf(await cheque(f, PRICE, { signer: f.other })), requirements)).to.include({ isValid: false, invalidReason: "INVALID_SIGNATURE" });
    expect(await facilitator.verify(payloadOf(await cheque(f, PRICE - 1n)), requirements)).to.include({ isValid: false, invalidReason: "UNDERPAID" });
    expect(await facilitator.verify(payloadOf(await cheque(f, PRICE, { beneficiary: f.other.address })), requirements)).to.include({ isValid: false, invalidReason: "WRONG_BENEFICIARY" });
  });

  it("settles by cashing the cheque as the beneficiary", async function () {
    const facilitator = await facilitatorFor(f.beneficiary);
    const before = await f.token.balanceOf(f.beneficiary.address);
    const settled = await facilitator.settle(payloadOf(await cheque(f, 3n * PRICE)), requirements);
    expect(settled).to.include({ success: true, amount: (3n * PRICE).toString(), payer: f.address });
    expect(settled.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(before + 3n * PRICE);
    // Cashed: the same cheque no longer verifies.
    expect(await facilitator.verify(payloadOf(await cheque(f, 3n * PRICE)), requirements)).to.include({ isValid: false, invalidReason: "STALE_CHEQUE" });
  });

  it("settles as a relayer with the beneficiary's authorisation, taking callerPayout", async function () {
    const facilitator = await facilitatorFor(f.caller);
    const c = await cheque(f, 3n * PRICE);
    const fee = PRICE / 10n;
    const authorisation = await signCashout({ chequebook: f.address, sender: f.caller.address, requestPayout: c.cumulativePayout, recipient: f.recipient.address, callerPayout: fee, signer: f.beneficiary, chainId: f.chainId });
    const [recipientBefore, callerBefore] = [await f.token.balanceOf(f.recipient.address), await f.token.balanceOf(f.caller.address)];
    const settled = await facilitator.settle(payloadOf(c, { cashout: { authorisation, recipient: f.recipient.address, callerPayout: fee.toString() } }), requirements);
    expect(settled).to.include({ success: true });
    expect(await f.token.balanceOf(f.recipient.address)).to.equal(recipientBefore + 3n * PRICE - fee);
    expect(await f.token.balanceOf(f.caller.address)).to.equal(callerBefore + fee);
  });

  it("settles only what covers the price when it settles: two payments verified together are not both settled for one price and a wei", async function () {
    // The x402 flow verifies before the handler and settles after it; a hostile client verifies two requests at once,
    // the second with a cheque adding one wei to the first. Property: prices of the settled payments <= cashed.
    const facilitator = await facilitatorFor(f.beneficiary);
    const before = await f.token.balanceOf(f.beneficiary.address);
    const first = payloadOf(await cheque(f, PRICE));
    const second = payloadOf(await cheque(f, PRICE + 1n));
    expect(await facilitator.verify(first, requirements)).to.include({ isValid: true });
    expect(await facilitator.verify(second, requirements)).to.include({ isValid: true });
    let settledPrices = 0n;
    for (const p of [first, second]) if ((await facilitator.settle(p, requirements)).success) settledPrices += PRICE;
    const cashed = (await f.token.balanceOf(f.beneficiary.address)) - before;
    expect(settledPrices <= cashed, `settled ${settledPrices} <= cashed ${cashed}`).to.equal(true);
  });

  it("settles concurrent payments for no more prices than it cashed", async function () {
    const facilitator = await facilitatorFor(f.beneficiary);
    const before = await f.token.balanceOf(f.beneficiary.address);
    const payloads = [payloadOf(await cheque(f, PRICE)), payloadOf(await cheque(f, PRICE + 1n)), payloadOf(await cheque(f, 2n * PRICE))];
    const results = await Promise.all(payloads.map((p) => facilitator.settle(p, requirements)));
    const settledPrices = BigInt(results.filter((r) => r.success).length) * PRICE;
    const cashed = (await f.token.balanceOf(f.beneficiary.address)) - before;
    expect(settledPrices <= cashed, `settled ${settledPrices} <= cashed ${cashed}`).to.equal(true);
  });

  it("refuses to settle without an authorisation when it is not the beneficiary", async function () {
    const facilitator = await facilitatorFor(f.caller);
    expect(await facilitator.settle(payloadOf(await cheque(f, PRICE)), requirements)).to.include({ success: false, errorReason: "INVALID_ARGUMENT" });
  });
});
