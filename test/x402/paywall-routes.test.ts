/**
 * A hostile client against the node:http paywall: it asks for the paid resource by another method or path than the
 * route names. The property: nothing is served without a matching charge (served x price == charged), whatever the
 * request line says.
 */
import { expect } from "chai";

import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { startServer, type TestServer } from "./helpers.js";

describe("x402 cheque paywall: requests outside the paid routes", function () {
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

  it("answers 404 to a method or path no route prices instead of running the paid handler for free", async function () {
    server = await startServer(f);
    const base = new URL(server.url);
    const attempts: Array<{ method: string; path: string }> = [
      { method: "POST", path: "/data" },
      { method: "PUT", path: "/data" },
      { method: "DELETE", path: "/data" },
      { method: "GET", path: "/data.json" },
      { method: "GET", path: "/" },
      { method: "GET", path: "/other" },
    ];
    for (const a of attempts) {
      const res = await fetch(new URL(a.path, base), { method: a.method });
      const body = await res.text();
      expect(res.status, `${a.method} ${a.path}`).to.equal(404);
      expect(body, `${a.method} ${a.path}`).to.not.equal("ok");
    }
    expect(await server.ledger.charged(f.address)).to.equal(0n);
  });
});
