/**
 * `chequePaywall` sends the handler's response only after the payment was charged. A response Node cannot send
 * (a header value with a line break, say a file name taken from the query string; a status outside 100..999) must be
 * found before the charge: else the client is charged and gets a 500 without PAYMENT-RESPONSE, so it counts the
 * request as free, and the server holds a charge the client never saw answered.
 */
import { expect } from "chai";

import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque, payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";
import type { PaidResponse } from "../../sdk/x402/index.js";

describe("x402 chequePaywall: a response that cannot be sent is not charged", function () {
  this.timeout(60_000);
  let f: SdkFixture;
  let server: TestServer | undefined;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
  });
  afterEach(async function () {
    await server?.stop();
    server = undefined;
  });

  const unsendable: Array<[string, PaidResponse]> = [
    ["a header value with a line break", { status: 200, headers: { "content-disposition": 'attachment; filename="a\r\nb"' }, body: "paid content" }],
    ["a header name that is not a token", { status: 200, headers: { "x bad": "1" }, body: "paid content" }],
    ["a status below 100", { status: 42, body: "paid content" }],
  ];
  for (const [what, response] of unsendable) {
    it(`${what}: a 500, nothing charged, nothing reserved`, async function () {
      server = await startServer(f, { handler: () => Promise.resolve(response) });
      const accepted = await requirementsOf(server.url);
      const r = await payRaw(server.url, accepted, await cheque(f, PRICE), f.chainId);
      expect(r.status).to.equal(500);
      const account = await server.accounts.account(f.address);
      expect(account.charged, "charged for a response the client never got as paid").to.equal(0n);
      expect(account.reserved).to.equal(0n);
      expect(account.held).to.equal(PRICE);
    });
  }
});
