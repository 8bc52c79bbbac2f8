/**
 * The x402 example (scripts/examples/: an Express API behind `@x402/express` with the `cheque` scheme, and a client
 * through `@x402/fetch`) run against each other on 127.0.0.1: successful calls are served and charged, a failing one
 * is answered with its error and not charged, and its credit is spent by the next call.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { runExampleClient } from "../../scripts/examples/x402-client.js";
import { startExampleServer } from "../../scripts/examples/x402-server.js";
import { sdkFixture } from "../sdk/helpers.js";
import { ethers, networkHelpers } from "../helpers/setup.js";

describe("x402 example server and client", function () {
  this.timeout(60_000);

  it("serve and pay each other on 127.0.0.1: four calls charged, the failing one free", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const dir = await mkdtemp(join(tmpdir(), "x402-example-test-"));
    const price = 10n ** 13n;
    const server = await startExampleServer({ provider: ethers.provider, chainId: f.chainId, payee: f.beneficiary.address, token: f.tokenAddress, factory: f.factoryAddress, price, dbPath: join(dir, "payee.db") });
    try {
      const { calls, scheme } = await runExampleClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, factory: f.factoryAddress, provider: ethers.provider }, server.url, ["Zurich", "atlantis", "Lima", "Osaka", "Lagos"]);
      expect(calls.map((c) => c.status)).to.deep.equal([200, 404, 200, 200, 200]);
      expect(calls[0]!.body).to.deep.include({ city: "Zurich" });
      expect(calls[1]!.charged).to.equal(undefined);
      expect(calls.map((c) => c.charged)).to.deep.equal([price, undefined, 2n * price, 3n * price, 4n * price].map((v) => v?.toString()));
      const account = await server.accounts.account(f.address);
      expect(account.charged).to.equal(4n * price);
      expect(account.held, "the failed call's credit was spent").to.equal(4n * price);
      expect((await scheme.position(f.beneficiary.address)).last).to.equal(4n * price);
      // Express (and Hono) answer HEAD with the GET handler: an unpriced HEAD would run it free, headers and all.
      expect((await fetch(server.url, { method: "HEAD" })).status, "HEAD is priced as GET").to.equal(402);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
