import { expect } from "chai";

import { SWAP_PROTOCOL } from "../../sdk/transport/libp2p/index.js";
import { exchange, link, netHandles, nextTurn, sdkTimers, settled, swapNode, waitDisconnected, type SwapNode } from "./libp2p-helpers.js";

async function sent(node: SwapNode): Promise<number> {
  const m = await node.services.swap.accounting.metrics.registry.getSingleMetric("swap_cheques_sent_total")!.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

describe("SWAP over libp2p", function () {
  let nodes: SwapNode[] = [];
  afterEach(async function () {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("registers the Waku SWAP protocol id", async function () {
    const a = await swapNode();
    nodes.push(a);
    expect(a.getProtocols()).to.include(SWAP_PROTOCOL);
    expect(SWAP_PROTOCOL).to.equal("/vac/waku/swap/2.0.0-beta1");
  });

  it("mock phase between two nodes: the consumer pays over the stream and both ledgers mirror each other", async function () {
    const [a, b] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(a, b);
    await link(a, b);
    for (let i = 0; i < 40; i++) await exchange(a, b, 7);
    await settled(a, b);
    const owed = b.services.swap.accounting.balance(a.peerId.toString());
    expect(a.services.swap.accounting.balance(b.peerId.toString())).to.equal(-owed);
    expect(await sent(a)).to.be.greaterThan(0); // 280 units served: A had to pay several times
    expect(owed).to.be.lessThan(TERMS_PAYMENT); // and its debt stays under B's threshold
    // the peer is named by its PeerId
    expect(b.services.swap.accounting.peers().map((p) => p.peer)).to.deep.equal([a.peerId.toString()]);
  });

  it("three nodes: one server, two paying clients; every pair mirrored", async function () {
    const [a, b, c] = await Promise.all([swapNode(), swapNode(), swapNode()]);
    nodes.push(a, b, c);
    await Promise.all([link(a, b), link(c, b)]);
    await Promise.all([
      (async () => { for (let i = 0; i < 30; i++) await exchange(a, b, 5); })(),
      (async () => { for (let i = 0; i < 30; i++) await exchange(c, b, 9); })(),
    ]);
    await Promise.all([settled(a, b), settled(c, b)]);
    for (const client of [a, c]) {
      expect(client.services.swap.accounting.balance(b.peerId.toString())).to.equal(-b.services.swap.accounting.balance(client.peerId.toString()));
      expect(await sent(client)).to.be.greaterThan(0);
    }
  });

  it("a closed connection reaches the engine as a disconnect, and a redial as a new handshake", async function () {
    const [a, b] = await Promise.all([swapNode(), swapNode()]);
    nodes.push(a, b);
    await link(a, b);
    await exchange(a, b, 20);
    const gone = waitDisconnected(b, a.peerId);
    await a.hangUp(b.peerId);
    await gone;
    expect(b.services.swap.accounting.peers()[0]).to.deep.include({ connected: false, balance: 20n });
    await link(a, b);
    expect(b.services.swap.accounting.peers()[0]).to.deep.include({ connected: true, ready: true, balance: 20n });
  });

  it("stops cleanly: no stream, socket, listener or SDK timer left after stop", async function () {
    const before = netHandles();
    const timers = sdkTimers();
    after(() => timers.restore());
    const [a, b, c] = await Promise.all([swapNode(), swapNode(), swapNode()]);
    await Promise.all([link(a, b), link(c, b)]);
    for (let i = 0; i < 10; i++) await Promise.all([exchange(a, b, 9), exchange(c, b, 9)]);
    const streams = [a, b, c].flatMap((n) => n.services.swap.openStreams());
    expect(streams.length).to.be.greaterThan(0);
    await Promise.all([a, b, c].map((n) => n.stop()));
    expect(streams.filter((s) => s.status === "open")).to.deep.equal([]);
    for (const n of [a, b, c]) {
      expect(n.services.swap.openStreams()).to.deep.equal([]);
      expect(() => n.services.swap.accounting).to.throw("not started");
    }
    await nextTurn();
    expect(netHandles()).to.equal(before);
    expect(timers.live()).to.deep.equal([]);
  });
});

const TERMS_PAYMENT = 100n;
