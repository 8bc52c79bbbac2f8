/**
 * Payers whose chequebook's issuer is a contract wallet (ERC-1271; the repo's `ERC1271Wallet` mock, which approves
 * what its owner's key signed). The client's address is the wallet, the signature its owner's: recovering the key
 * does not give the issuer, so the verifier's check (the chequebook asked through a simulated cash-out) decides:
 * - the client resyncs from the server's last accepted cheque with `chainSignatureCheck`, and never adopts a cheque
 *   the wallet does not approve;
 * - the server serves such a payer's overtaken cheque (one of its concurrent requests) and gives it the resync;
 * - `checkChequeSignature` tells a key's signature, a wallet's approval, and neither.
 */
import { expect } from "chai";
import type { TypedDataField } from "ethers";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore, checkChequeSignature, chequeToJson, signCheque } from "../../sdk/index.js";
import { ChequeSchemeClient, chainSignatureCheck, chequeX402Client, eip155Network, type ChequeSignatureCheck, type ViemTypedDataSigner } from "../../sdk/x402/index.js";
import { UNIT, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { sdkFixture } from "../sdk/helpers.js";
import { PRICE, payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";

async function walletFixture() {
  const f = await sdkFixture();
  const wallet = await ethers.deployContract("ERC1271Wallet", [f.issuer.address]);
  const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress());
  await f.token.mint(await book.getAddress(), 100n * UNIT);
  return { ...f, wallet: await wallet.getAddress(), walletBook: await book.getAddress() };
}
type WalletFixture = Awaited<ReturnType<typeof walletFixture>>;

/** The wallet as a viem-style account: its address, its owner's signatures. */
function walletAccount(f: WalletFixture): ViemTypedDataSigner {
  return {
    address: f.wallet,
    signTypedData: ({ domain, types, message }) => f.issuer.signTypedData(domain, types as Record<string, TypedDataField[]>, message),
  };
}

function walletClient(f: WalletFixture, store: MemoryChequeStore, signatureCheck?: ChequeSignatureCheck) {
  return new ChequeSchemeClient({ signer: walletAccount(f), chequebook: f.walletBook, chainId: f.chainId, token: f.tokenAddress, store, factory: f.factoryAddress, ...(signatureCheck === undefined ? {} : { signatureCheck }) });
}

const ownerCheque = (f: WalletFixture, value: bigint, signer = f.issuer) => signCheque({ chequebook: f.walletBook, beneficiary: f.beneficiary.address, cumulativePayout: value, signer, chainId: f.chainId });

describe("x402 cheque scheme: contract-wallet (ERC-1271) payers", function () {
  this.timeout(60_000);
  let f: WalletFixture;
  let server: TestServer | undefined;
  beforeEach(async function () {
    f = await networkHelpers.loadFixture(walletFixture);
  });
  afterEach(async function () {
    await server?.stop();
    server = undefined;
  });

  it("checkChequeSignature: a key's signature, a wallet's approval, or neither", async function () {
    expect(await checkChequeSignature({ cheque: await signCheque({ chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 1n, signer: f.issuer, chainId: f.chainId }), chainId: f.chainId, issuer: f.issuer.address })).to.equal("key");
    expect(await checkChequeSignature({ cheque: await ownerCheque(f, 1n), chainId: f.chainId, issuer: f.wallet })).to.equal(undefined, "no provider: the key alone");
    expect(await checkChequeSignature({ cheque: await ownerCheque(f, 1n), chainId: f.chainId, issuer: f.wallet, provider: ethers.provider })).to.equal("erc1271");
    expect(await checkChequeSignature({ cheque: await ownerCheque(f, 1n, f.other), chainId: f.chainId, issuer: f.wallet, provider: ethers.provider })).to.equal(undefined);
  });

  it("a wallet payer that lost its state resyncs with chainSignatureCheck and pays each request once (without it, it cannot)", async function () {
    server = await startServer(f);
    const pay = wrapFetchWithPayment(fetch, chequeX402Client(walletClient(f, new MemoryChequeStore())));
    for (let i = 0; i < 3; i++) expect((await pay(server.url)).status).to.equal(200);

    const keyOnly = new MemoryChequeStore();
    expect((await wrapFetchWithPayment(fetch, chequeX402Client(walletClient(f, keyOnly)))(server.url)).status, "the key check does not know the wallet").to.equal(402);

    const fresh = new MemoryChequeStore();
    const res = await wrapFetchWithPayment(fetch, chequeX402Client(walletClient(f, fresh, chainSignatureCheck({ provider: ethers.provider }))))(server.url);
    expect(res.status).to.equal(200);
    expect((await fresh.getIssued(f.walletBook, f.beneficiary.address))?.cheque.cumulativePayout).to.equal(4n * PRICE);
    expect(await server.accounts.account(f.walletBook)).to.deep.equal({ held: 4n * PRICE, charged: 4n * PRICE, reserved: 0n });
  });

  it("never adopts a resync cheque the wallet does not approve", async function () {
    const store = new MemoryChequeStore();
    const client = walletClient(f, store, chainSignatureCheck({ provider: ethers.provider }));
    const req = (lastAccepted: Awaited<ReturnType<typeof ownerCheque>>) => ({ scheme: "cheque", network: eip155Network(f.chainId), asset: f.tokenAddress, amount: PRICE.toString(), payTo: f.beneficiary.address, maxTimeoutSeconds: 60, extra: { resync: { lastAccepted: chequeToJson(lastAccepted), charged: "0" } } });
    expect(await client.resync(req(await ownerCheque(f, 50n * PRICE, f.other)))).to.equal(false);
    expect(await store.getIssued(f.walletBook, f.beneficiary.address)).to.equal(undefined);
    expect(await client.resync(req(await ownerCheque(f, 5n * PRICE)))).to.equal(true);
    expect((await store.getIssued(f.walletBook, f.beneficiary.address))?.cheque.cumulativePayout).to.equal(5n * PRICE);
  });

  it("the server serves a wallet payer's overtaken cheque (checked through the wallet) and refuses one the wallet does not approve", async function () {
    server = await startServer(f);
    const accepted = await requirementsOf(server.url);
    expect((await payRaw(server.url, accepted, await ownerCheque(f, 2n * PRICE), f.chainId)).status).to.equal(200);
    expect((await payRaw(server.url, accepted, await ownerCheque(f, PRICE), f.chainId)).status, "overtaken, from the credit").to.equal(200);
    expect(await payRaw(server.url, accepted, await ownerCheque(f, PRICE + 1n, f.other), f.chainId)).to.include({ status: 402, error: "INVALID_SIGNATURE" });
    expect(await server.accounts.account(f.walletBook)).to.deep.equal({ held: 2n * PRICE, charged: 2n * PRICE, reserved: 0n });
  });
});
