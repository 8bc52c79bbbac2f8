/**
 * Restarts and resync over real HTTP: a server restarted on its durable store and ledger goes on where it stopped
 * (replays still refused); a client that lost its state is sent the last cheque the server accepted, checks its own
 * signature on it and continues from it, paying each request once; a hostile server cannot make it adopt a cheque
 * it did not sign.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore, SqliteChequeStore, chequeToJson } from "../../sdk/index.js";
import { ChequeSchemeClient, SqliteChargeLedger, chequeX402Client } from "../../sdk/x402/index.js";
import { sdkFixture, type SdkFixture } from "../sdk/helpers.js";
import { networkHelpers } from "../helpers/setup.js";
import { PRICE, cheque, payRaw, requirementsOf, startServer, type TestServer } from "./helpers.js";

function schemeClient(f: SdkFixture, store = new MemoryChequeStore()) {
  return new ChequeSchemeClient({ signer: f.issuer, chequebook: f.address, chainId: f.chainId, token: f.tokenAddress, store });
}

describe("x402 cheque scheme: restarts and resync", function () {
  this.timeout(60_000);
  let f: SdkFixture;
  let server: TestServer | undefined;
  let dir: string;

  beforeEach(async function () {
    f = await networkHelpers.loadFixture(sdkFixture);
    dir = await mkdtemp(join(tmpdir(), "x402-"));
  });
  afterEach(async function () {
    await server?.stop();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("a server restarted on its SQLite store and ledger goes on, and still refuses replays", async function () {
    const open = () => ({ store: SqliteChequeStore.open(join(dir, "cheques.db")), ledger: SqliteChargeLedger.open(join(dir, "charged.db")) });
    let files = open();
    server = await startServer(f, files);
    const pay = wrapFetchWithPayment(fetch, chequeX402Client(schemeClient(f)));
    for (let i = 0; i < 3; i++) expect((await pay(server.url)).status).to.equal(200);
    const accepted = await requirementsOf(server.url);
    await server.stop();
    await files.store.close();
    await files.ledger.close();

    files = open();
    server = await startServer(f, files);
    expect(await payRaw(server.url, accepted, await cheque(f, 3n * PRICE), f.chainId)).to.include({ status: 402, error: "STALE_CHEQUE" });
    expect((await pay(server.url)).status).to.equal(200);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 4n * PRICE, charged: 4n * PRICE, reserved: 0n });
    await server.stop();
    server = undefined;
    await files.store.close();
    await files.ledger.close();
  });

  it("serves after a restart a client's request whose cheque was overtaken by a later one before the restart (no prepaid credit stuck)", async function () {
    // Two concurrent requests: the cheque for the second (2 prices) reaches the server first, which then restarts;
    // the first (1 price) arrives after the restart. It is the client's own unused cheque, covered by the credit
    // the second left: refusing it makes the client pay that request twice (the credit is never used again).
    const open = () => ({ store: SqliteChequeStore.open(join(dir, "cheques.db")), ledger: SqliteChargeLedger.open(join(dir, "charged.db")) });
    let files = open();
    server = await startServer(f, files);
    const accepted = await requirementsOf(server.url);
    const [first, second] = [await cheque(f, PRICE), await cheque(f, 2n * PRICE)];
    expect((await payRaw(server.url, accepted, second, f.chainId)).status).to.equal(200);
    await server.stop();
    await files.store.close();
    await files.ledger.close();

    files = open();
    server = await startServer(f, files);
    expect((await payRaw(server.url, accepted, first, f.chainId)).status, "the overtaken request").to.equal(200);
    // Replays of a cheque that was charged are still refused after the restart.
    expect(await payRaw(server.url, accepted, second, f.chainId)).to.include({ status: 402 });
    expect(await payRaw(server.url, accepted, first, f.chainId)).to.include({ status: 402 });
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 2n * PRICE, charged: 2n * PRICE, reserved: 0n });
    await server.stop();
    server = undefined;
    await files.store.close();
    await files.ledger.close();
  });

  it("a client that lost its state resyncs from the server's last accepted cheque and pays each request once", async function () {
    server = await startServer(f);
    const before = wrapFetchWithPayment(fetch, chequeX402Client(schemeClient(f)));
    for (let i = 0; i < 3; i++) expect((await before(server.url)).status).to.equal(200);

    const fresh = new MemoryChequeStore(); // the client restarts with nothing
    const after = wrapFetchWithPayment(fetch, chequeX402Client(schemeClient(f, fresh)));
    const res = await after(server.url);
    expect(res.status).to.equal(200);
    expect((await fresh.getIssued(f.address, f.beneficiary.address))?.cheque.cumulativePayout).to.equal(4n * PRICE);
    expect(await server.accounts.account(f.address)).to.deep.equal({ held: 4n * PRICE, charged: 4n * PRICE, reserved: 0n });
  });

  it("the 402 carries the last accepted cheque only to the chequebook's issuer", async function () {
    server = await startServer(f);
    const accepted = await requirementsOf(server.url);
    expect((await payRaw(server.url, accepted, await cheque(f, PRICE), f.chainId)).status).to.equal(200);
    expect((await payRaw(server.url, accepted, await cheque(f, 2n * PRICE), f.chainId)).status).to.equal(200);
    // Credit is 0: a lower cheque not seen before is underpaid, a seen one is stale.
    const a = (await payRaw(server.url, accepted, await cheque(f, PRICE / 2n), f.chainId)).required!;
    const b = (await payRaw(server.url, accepted, await cheque(f, PRICE, { signer: f.other }), f.chainId)).required!;
    const c = (await payRaw(server.url, accepted, await cheque(f, PRICE), f.chainId)).required!;
    expect(a.error).to.equal("UNDERPAID");
    const resync = { lastAccepted: chequeToJson(await cheque(f, 2n * PRICE)), charged: (2n * PRICE).toString() };
    expect(a.accepts[0]!.extra.resync).to.deep.equal(resync);
    expect(b.error).to.equal("STALE_CHEQUE");
    expect(b.accepts[0]!.extra.resync).to.equal(undefined);
    expect(c.error).to.equal("STALE_CHEQUE");
    expect(c.accepts[0]!.extra.resync).to.deep.equal(resync);
  });

  it("never adopts a cheque it did not sign, for another payee, or not above its own", async function () {
    server = await startServer(f);
    const accepted = await requirementsOf(server.url);
    const store = new MemoryChequeStore();
    const client = schemeClient(f, store);
    const offer = async (c: Awaited<ReturnType<typeof cheque>>) => client.resync({ ...accepted, extra: { ...accepted.extra, resync: { lastAccepted: chequeToJson(c), charged: "0" } } });
    expect(await offer(await cheque(f, 5n * PRICE, { signer: f.other }))).to.equal(false);
    expect(await offer(await cheque(f, 5n * PRICE, { beneficiary: f.other.address }))).to.equal(false);
    expect(await offer(await cheque(f, 5n * PRICE, { chainId: 1n }))).to.equal(false);
    expect(await store.getIssued(f.address, f.beneficiary.address)).to.equal(undefined);
    expect(await offer(await cheque(f, 5n * PRICE))).to.equal(true);
    expect(await offer(await cheque(f, 4n * PRICE))).to.equal(false);
    expect((await store.getIssued(f.address, f.beneficiary.address))?.cheque.cumulativePayout).to.equal(5n * PRICE);
  });
});
