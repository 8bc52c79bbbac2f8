/**
 * The x402 `cheque` scheme end to end over real HTTP on 127.0.0.1, with the real @x402 packages (core, fetch) on
 * the in-process chain: paid requests, refused cheques (each a 402 with its code, nothing credited), a failing
 * handler (nothing charged), concurrent requests from one client, spending caps.
 */
import { expect } from "chai";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";

import { ChequeError, MemoryChequeStore } from "../../sdk/index.js";
import { ChequeSchemeClient, MemoryChargeLedger, chequeX402Client, type SpendingCaps } from "../../sdk/x402/index.js";
import { UNIT, sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque, payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";

function paidFetch(f: SdkFixture, caps: SpendingCaps = {}, store = new MemoryChequeStore()) {
  const scheme = new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store, factory: f.factoryAddress, caps });
  return wrapFetchWithPayment(fetch, chequeX402Client(scheme));
}

describe("x402 cheque scheme over HTTP", function () {
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

  it("announces payee, token, chain, factory and price in the 402", async function () {
    server = await startServer(f);
    const r = await requirementsOf(server.url);
    expect(r).to.include({ scheme: "cheque", network: `eip155:${f.chainId}`, asset: f.tokenAddress, amount: PRICE.toString(), payTo: f.beneficiary.address });
    expect(r.extra.trustedFactories).to.deep.equal([f.factoryAddress]);
  });

  it("serves paid requests through @x402/fetch and reports charged and uncashed in PAYMENT-RESPONSE", async function () {
    server = await startServer(f);
    const pay = paidFetch(f);
    for (let i = 1n; i <= 3n; i++) {
      const res = await pay(server.url);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal("ok");
      const settled = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
      expect(settled.success).to.equal(true);
      expect(settled.extra).to.include({ chequebook: f.address, cumulative: (i * PRICE).toString(), charged: (i * PRICE).toString(), credit: "0", uncashed: (i * PRICE).toString() });
    }
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 3n * PRICE, charged: 3n * PRICE, reserved: 0n });
  });

  it("signs with a viem-style account ({ address, signTypedData({ domain, types, primaryType, message }) })", async function () {
    server = await startServer(f);
    const calls: string[] = [];
    const account = {
      address: f.issuer.address,
      signTypedData: (args: { domain: Record<string, unknown>; types: Record<string, readonly { name: string; type: string }[]>; primaryType: string; message: Record<string, unknown> }) => {
        calls.push(args.primaryType);
        return f.issuer.signTypedData(args.domain, args.types as Record<string, { name: string; type: string }[]>, args.message);
      },
    };
    const scheme = new ChequeSchemeClient({ signer: account, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store: new MemoryChequeStore() });
    expect((await wrapFetchWithPayment(fetch, chequeX402Client(scheme))(server.url)).status).to.equal(200);
    expect(calls).to.deep.equal(["Cheque"]);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: PRICE, charged: PRICE, reserved: 0n });
  });

  describe("refuses with a 402 and its code, crediting nothing", function () {
    const cases: Array<[string, string, (f: SdkFixture) => Promise<{ cheque: Awaited<ReturnType<typeof cheque>>; chainId: bigint }>]> = [
      ["forged", "INVALID_SIGNATURE", async (f) => ({ cheque: await cheque(f, PRICE, { signer: f.other }), chainId: f.chainId })],
      ["wrong payee", "WRONG_BENEFICIARY", async (f) => ({ cheque: await cheque(f, PRICE, { beneficiary: f.other.address }), chainId: f.chainId })],
      ["wrong chain", "WRONG_CHAIN", async (f) => ({ cheque: await cheque(f, PRICE, { chainId: 1n }), chainId: 1n })],
      ["uncovered", "INSUFFICIENT_COVER", async (f) => ({ cheque: await cheque(f, 2000n * UNIT), chainId: f.chainId })],
      ["underpaid", "UNDERPAID", async (f) => ({ cheque: await cheque(f, PRICE - 1n), chainId: f.chainId })],
    ];
    for (const [name, code, make] of cases) {
      it(`${name}: ${code}`, async function () {
        server = await startServer(f);
        const accepted = await requirementsOf(server.url);
        const { cheque: c, chainId } = await make(f);
        const r = await payRaw(server.url, accepted, c, chainId);
        expect(r).to.include({ status: 402, error: code });
        expect(await server.accounts.account(f.address)).to.deep.equal({ held: 0n, charged: 0n, reserved: 0n });
      });
    }

    it("replayed and stale: STALE_CHEQUE", async function () {
      server = await startServer(f);
      const accepted = await requirementsOf(server.url);
      const first = await cheque(f, PRICE);
      expect((await payRaw(server.url, accepted, first, f.chainId)).status).to.equal(200);
      expect(await payRaw(server.url, accepted, first, f.chainId)).to.include({ status: 402, error: "STALE_CHEQUE" });
      expect((await payRaw(server.url, accepted, await cheque(f, 3n * PRICE), f.chainId)).status).to.equal(200);
      // A lower cheque never used before is served only from credit (here 3p held, 2p charged: one more is paid).
      expect((await payRaw(server.url, accepted, await cheque(f, 2n * PRICE), f.chainId)).status).to.equal(200);
      expect(await payRaw(server.url, accepted, await cheque(f, 2n * PRICE + 1n), f.chainId)).to.include({ status: 402, error: "UNDERPAID" });
      expect(await server.accounts.account(f.address)).to.deep.equal({ held: 3n * PRICE, charged: 3n * PRICE, reserved: 0n });
    });
  });

  it("charges nothing when the handler fails or throws", async function () {
    let mode: "fail" | "throw" | "ok" = "fail";
    server = await startServer(f, {
      handler: () => {
        if (mode === "throw") return Promise.reject(new Error("boom"));
        return Promise.resolve(mode === "fail" ? { status: 503, body: "down" } : { status: 200, body: "ok" });
      },
    });
    const pay = paidFetch(f);
    expect((await pay(server.url)).status).to.equal(503);
    mode = "throw";
    expect((await pay(server.url)).status).to.equal(500);
    // The failed request's cheque stays as credit: the second cheque spends it, adding one base unit (a cheque must
    // be above every earlier one).
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: PRICE + 1n, charged: 0n, reserved: 0n });
    mode = "ok";
    expect((await pay(server.url)).status).to.equal(200);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: PRICE + 2n, charged: PRICE, reserved: 0n });
    expect((await pay(server.url)).status).to.equal(200);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 2n * PRICE, charged: 2n * PRICE, reserved: 0n });
  });

  it("withholds the response and charges nothing when the charge cannot be written", async function () {
    const ledger = new MemoryChargeLedger();
    ledger.charge = () => Promise.reject(new ChequeError("STORE_FAILURE", "disk full"));
    server = await startServer(f, { ledger });
    const res = await paidFetch(f)(server.url);
    expect(res.status).to.not.equal(200);
    expect(await res.text()).to.not.contain("ok");
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: PRICE, charged: 0n, reserved: 0n });
  });

  it("serves concurrent requests from one client: nothing lost, nothing charged twice", async function () {
    server = await startServer(f);
    const pay = paidFetch(f);
    const responses = await Promise.all(Array.from({ length: 12 }, () => pay(server!.url)));
    expect(responses.map((r) => r.status)).to.deep.equal(Array(12).fill(200));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 12n * PRICE, charged: 12n * PRICE, reserved: 0n });
  });

  it("enforces spending caps before signing", async function () {
    server = await startServer(f);
    const store = new MemoryChequeStore();
    await expectRefused(paidFetch(f, { perRequest: PRICE - 1n }, store)(server.url), "perRequest");
    const perPayee = paidFetch(f, { perPayee: 2n * PRICE }, store);
    expect((await perPayee(server.url)).status).to.equal(200);
    expect((await perPayee(server.url)).status).to.equal(200);
    await expectRefused(perPayee(server.url), "perPayee");
    let now = 1_000_000;
    const period = new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store, caps: { perPeriod: { amount: PRICE, periodMs: 60_000 } }, now: () => now });
    const perPeriod = wrapFetchWithPayment(fetch, chequeX402Client(period));
    expect((await perPeriod(server.url)).status).to.equal(200);
    await expectRefused(perPeriod(server.url), "perPeriod");
    now += 60_000;
    expect((await perPeriod(server.url)).status).to.equal(200);
    expect((await store.getIssued(f.address, f.beneficiary.address))?.cheque.cumulativePayout).to.equal(4n * PRICE);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 4n * PRICE, charged: 4n * PRICE, reserved: 0n });
  });
});

async function expectRefused(p: Promise<Response>, cap: string) {
  try {
    await p;
  } catch (e) {
    expect(String((e as Error).message)).to.contain(`the ${cap} cap`);
    return;
  }
  throw new Error(`expected the ${cap} cap to refuse`);
}
