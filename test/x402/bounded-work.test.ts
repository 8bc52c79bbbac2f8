/**
 * A hostile client that costs the server work: cheques that do not pay, each naming a chequebook never seen. The
 * property: a payment refused by the local checks costs no RPC call (it costs the sender a signature; it must not
 * cost us a round trip to the node per request).
 */
import { expect } from "chai";
import { Wallet } from "ethers";

import { signCheque } from "../../sdk/index.js";
import { countCalls, sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";

describe("x402 cheque scheme: work a refused payment costs the server", function () {
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

  it("refuses underpaying cheques from unknown chequebooks without a call to the node", async function () {
    server = await startServer(f);
    const accepted = await requirementsOf(server.url);
    const s = server;
    const codes: string[] = [];
    const counts = await countCalls(async () => {
      for (let i = 0; i < 10; i++) {
        const c = await signCheque({ chequebook: Wallet.createRandom().address, beneficiary: f.beneficiary.address, cumulativePayout: 1n, signer: f.other, chainId: f.chainId });
        codes.push((await payRaw(s.url, accepted, c, f.chainId)).error ?? "none");
      }
    });
    expect(codes).to.deep.equal(new Array(10).fill("UNDERPAID"));
    expect(counts.getCode + counts.call, "calls to the node").to.equal(0);
  });
});
