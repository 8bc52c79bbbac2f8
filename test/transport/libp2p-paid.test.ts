/**
 * A store-like request/response protocol charged through SWAP with `paidStreamHandler` and `paidRequest`, over real
 * libp2p nodes: a request for n messages costs n units.
 */
import { lpStream } from "@libp2p/utils";
import { expect } from "chai";

import { isChequeError } from "../../sdk/index.js";
import { paidRequest, paidStreamHandler } from "../../sdk/transport/libp2p/index.js";
import { link, settled, swapNode, waitDisconnected, type SwapNode } from "./libp2p-helpers.js";

const STORE = "/test/store/1.0.0";
const BROKEN_PAGE = 0xff;

/** Serves `n` one-byte messages per request; a request for page 0xff fails after reading it. */
async function serveStore(server: SwapNode): Promise<void> {
  await server.handle(
    STORE,
    paidStreamHandler({
      accounting: () => server.services.swap.accounting,
      protocol: "store",
      handle: async ({ stream, charge }) => {
        const lp = lpStream(stream);
        const n = (await lp.read()).subarray()[0]!;
        await charge(n, async () => {
          if (n === BROKEN_PAGE) throw new Error("no such page");
          for (let i = 0; i < n; i++) await lp.write(Uint8Array.of(i));
        });
        await stream.close();
      },
    }),
  );
}

/** Asks `server` for `n` messages without any accounting on our side. */
async function ask(client: SwapNode, server: SwapNode, n: number): Promise<number> {
  const stream = await client.dialProtocol(server.peerId, STORE);
  const lp = lpStream(stream);
  await lp.write(Uint8Array.of(n));
  let got = 0;
  for (let i = 0; i < n; i++) {
    await lp.read();
    got++;
  }
  await stream.close();
  return got;
}

describe("SWAP over libp2p: charging a request/response protocol", function () {
  let nodes: SwapNode[] = [];
  afterEach(async function () {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("each request reserves, serves and books; the client pays as it goes and the ledgers mirror", async function () {
    const [client, server] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(client, server);
    await serveStore(server);
    await link(client, server);
    let received = 0;
    for (let i = 0; i < 30; i++) {
      received += await paidRequest(client.services.swap.accounting, server.peerId.toString(), "store", 7, () => ask(client, server, 7));
    }
    expect(received).to.equal(210);
    await settled(client, server);
    expect(client.services.swap.accounting.balance(server.peerId.toString())).to.equal(-server.services.swap.accounting.balance(client.peerId.toString()));
    expect(server.services.swap.accounting.peers()[0]!.byProtocol).to.have.property("store");
    expect(server.services.swap.accounting.peers()[0]!.reserved).to.equal(0n);
  });

  it("a request that fails while served books nothing on either side", async function () {
    const [client, server] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(client, server);
    await serveStore(server);
    await link(client, server);
    await paidRequest(client.services.swap.accounting, server.peerId.toString(), "store", 5, () => ask(client, server, 5));
    const failed = await paidRequest(client.services.swap.accounting, server.peerId.toString(), "store", 10, () => ask(client, server, BROKEN_PAGE)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).to.be.instanceOf(Error);
    expect(server.services.swap.accounting.balance(client.peerId.toString())).to.equal(5n);
    expect(client.services.swap.accounting.balance(server.peerId.toString())).to.equal(-5n);
    expect(server.services.swap.accounting.peers()[0]!.reserved).to.equal(0n);
    expect(client.services.swap.accounting.peers()[0]!.reserved).to.equal(0n);
  });

  it("a freeloader is served up to the disconnect threshold, then cut off and cooling down", async function () {
    const [freeloader, server] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(freeloader, server);
    await serveStore(server);
    await link(freeloader, server);
    const gone = waitDisconnected(server, freeloader.peerId);
    let received = 0;
    for (;;) {
      const got = await ask(freeloader, server, 10).catch((e: unknown) => (isChequeError(e) ? Promise.reject(e) : -1));
      if (got < 0) break;
      received += got;
    }
    await gone;
    expect(received).to.equal(150); // exactly the disconnect threshold, not one message more
    expect(server.services.swap.accounting.balance(freeloader.peerId.toString())).to.equal(150n);
    expect(server.services.swap.coolingDown(freeloader.peerId)).to.equal(true);
  });
});
