/**
 * The x402 `exact` scheme (official `@x402/evm`, EIP-3009) on the same paywall as the `cheque` scheme
 * (sdk/x402/node-http.ts), over real HTTP on 127.0.0.1, settled on the in-process chain by a local facilitator:
 * the baseline that `npm run bench:http` compares the `cheque` scheme against is a working payment, not a mock.
 */
import { expect } from "chai";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";
import type { Network } from "@x402/core/types";

import { chequePaywall, type PaidHandler } from "../../sdk/x402/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { exactPrice, exactResourceServer, exactTimeoutSeconds, exactX402Client, listenOnLoopback, localExactFacilitator } from "../../scripts/lib/x402-exact.js";

const PRICE = 10_000n; // 0.01 of a 6-decimal token

async function exactFixture() {
  const [, payer, payee, facilitatorSigner] = await ethers.getSigners();
  const token = await ethers.deployContract("Eip3009Token");
  await (await token.mint(payer!.address, 1_000_000n)).wait();
  const { chainId } = await ethers.provider.getNetwork();
  return { payer: payer!, payee: payee!, facilitatorSigner: facilitatorSigner!, token, tokenAddress: await token.getAddress(), network: `eip155:${chainId}` as Network };
}

describe("x402 exact scheme over HTTP (baseline of bench:http)", function () {
  this.timeout(60_000);
  let stop: (() => Promise<void>) | undefined;

  afterEach(async function () {
    await stop?.();
    stop = undefined;
  });

  async function start(f: Awaited<ReturnType<typeof exactFixture>>, handler: PaidHandler = () => Promise.resolve({ status: 200, body: "ok" })) {
    const facilitator = localExactFacilitator({ signer: f.facilitatorSigner, provider: ethers.provider, network: f.network });
    const maxTimeoutSeconds = await exactTimeoutSeconds(ethers.provider);
    const routes = { "GET /data": { accepts: { scheme: "exact", network: f.network, payTo: f.payee.address, price: exactPrice(f.tokenAddress, PRICE), maxTimeoutSeconds } } };
    const paywall = chequePaywall({ server: exactResourceServer(facilitator, f.network), routes, handler });
    await paywall.initialize();
    const http = await listenOnLoopback(paywall.listener);
    stop = http.stop;
    return { url: `${http.origin}/data`, facilitator };
  }

  it("pays a request with one on-chain transferWithAuthorization per request, settled by the facilitator", async function () {
    const f = await networkHelpers.loadFixture(exactFixture);
    const { url, facilitator } = await start(f);
    const unpaid = await fetch(url);
    await unpaid.arrayBuffer();
    expect(unpaid.status).to.equal(402);

    const pay = wrapFetchWithPayment(fetch, exactX402Client({ signer: f.payer, network: f.network, token: f.tokenAddress, maxAmountPerPayment: PRICE }));
    for (let i = 1n; i <= 2n; i++) {
      const res = await pay(url);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal("ok");
      const settled = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
      expect(settled).to.include({ success: true, network: f.network, payer: f.payer.address });
      const receipt = await ethers.provider.getTransactionReceipt(settled.transaction);
      expect(receipt?.status).to.equal(1);
      expect(receipt!.gasUsed > 0n).to.equal(true);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(i * PRICE);
    }
    expect(facilitator.settled).to.have.length(2);
    expect(await f.token.balanceOf(f.payer.address)).to.equal(1_000_000n - 2n * PRICE);
  });

  it("refuses a replayed payment: the authorization's nonce is spent, nothing more moves", async function () {
    const f = await networkHelpers.loadFixture(exactFixture);
    const { url, facilitator } = await start(f);
    let header: string | undefined;
    const recording: typeof fetch = (input, init) => {
      const h = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get("PAYMENT-SIGNATURE");
      if (h !== null) header = h;
      return fetch(input, init);
    };
    expect((await wrapFetchWithPayment(recording, exactX402Client({ signer: f.payer, network: f.network, token: f.tokenAddress, maxAmountPerPayment: PRICE }))(url)).status).to.equal(200);
    expect(header).to.be.a("string");
    const replay = await fetch(url, { headers: { "PAYMENT-SIGNATURE": header! } });
    await replay.arrayBuffer();
    expect(replay.status).to.equal(402);
    expect(facilitator.settled).to.have.length(1);
    expect(await f.token.balanceOf(f.payee.address)).to.equal(PRICE);
  });

  it("settles nothing when the handler fails", async function () {
    const f = await networkHelpers.loadFixture(exactFixture);
    const { url, facilitator } = await start(f, () => Promise.resolve({ status: 503, body: "down" }));
    const res = await wrapFetchWithPayment(fetch, exactX402Client({ signer: f.payer, network: f.network, token: f.tokenAddress, maxAmountPerPayment: PRICE }))(url);
    expect(res.status).to.equal(503);
    await res.arrayBuffer();
    expect(facilitator.settled).to.have.length(0);
    expect(await f.token.balanceOf(f.payee.address)).to.equal(0n);
  });
});
