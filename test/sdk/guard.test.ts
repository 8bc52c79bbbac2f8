/**
 * The node as an adversary: an endpoint that accepts connections and never answers (every SDK call must give up
 * with RPC_TIMEOUT within its deadline, releasing the locks it holds), and an endpoint switched to another chain
 * behind a provider built with `staticNetwork` (refused with WRONG_CHAIN, asked with eth_chainId itself).
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";

import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";

import {
  ChequeCasher,
  ChequeReceiver,
  MemoryChequeStore,
  configureRpc,
  guardProvider,
  sendTransaction,
  signCheque,
  type ChequeStore,
  type TxProgress,
} from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

/** A TCP server on 127.0.0.1 that accepts every connection and never writes a byte. */
async function silentNode(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A JSON-RPC endpoint on 127.0.0.1 in front of the in-process chain whose eth_chainId answer can be switched, as a
 * load balancer or a misconfigured operator would; `failNext` makes the next request fail with HTTP 502.
 */
async function switchableNode(chainId: bigint) {
  const state = { chainId, failNext: false, chainIdAsked: 0, silent: false };
  const answer = async (request: { id: unknown; method: string; params?: unknown[] }) => {
    if (request.method === "eth_chainId") {
      state.chainIdAsked++;
      return { jsonrpc: "2.0", id: request.id, result: `0x${state.chainId.toString(16)}` };
    }
    try {
      return { jsonrpc: "2.0", id: request.id, result: await ethers.provider.send(request.method, request.params ?? []) };
    } catch (e) {
      const error = e as { message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: request.id, error: { code: -32000, message: error.message ?? "error", data: error.data } };
    }
  };
  const server: HttpServer = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (state.silent) return; // accepted, never answered (closed at stop)
      if (state.failNext) {
        state.failNext = false;
        res.writeHead(502).end();
        return;
      }
      const payload = JSON.parse(body) as Parameters<typeof answer>[0] | Array<Parameters<typeof answer>[0]>;
      void (Array.isArray(payload) ? Promise.all(payload.map(answer)) : answer(payload)).then((out) => {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out, (_, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cheque = (f: SdkFixture, cumulativePayout: bigint) =>
  signCheque({ signer: f.issuer, chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout, chainId: f.chainId });

describe("SDK against a hostile node", function () {
  let store: ChequeStore;
  let restore: ReturnType<typeof configureRpc> | undefined;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });
  afterEach(function () {
    if (restore !== undefined) configureRpc(restore);
    restore = undefined;
  });

  describe("a node that accepts connections and never answers", function () {
    let node: Awaited<ReturnType<typeof silentNode>>;
    let provider: JsonRpcProvider;
    beforeEach(async function () {
      node = await silentNode();
    });
    afterEach(async function () {
      provider?.destroy();
      await node.stop();
    });

    it("receiving a cheque gives up with RPC_TIMEOUT, and the chequebook's lock is released for the next one", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      restore = configureRpc({ deadlineMs: 150 });
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true });
      const receiver = new ChequeReceiver({ verifier: verifierFor(f, store, { provider }), store });
      expect((await rejection(async () => receiver.receive(await cheque(f, UNIT)))).code).to.equal("RPC_TIMEOUT");
      const second = await rejection(async () => receiver.receive(await cheque(f, 2n * UNIT)));
      expect(second.code).to.equal("RPC_TIMEOUT");
      expect(second.details).to.deep.include({ deadlineMs: 150 });
      expect(await store.listReceived()).to.deep.equal([]);
    });

    it("cash-out status, quotes and sending give up with RPC_TIMEOUT", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      await store.putReceived(await cheque(f, UNIT));
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true });
      guardProvider(provider, { deadlineMs: 150 });
      restore = configureRpc({ deadlineMs: 150 });
      const signer = Wallet.createRandom().connect(provider);
      const casher = new ChequeCasher({ signer, beneficiary: f.beneficiary.address, store, gasCostInToken: () => 0n });
      expect((await rejection(() => casher.status(f.address))).code).to.equal("RPC_TIMEOUT");
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("RPC_TIMEOUT");
      expect((await rejection(() => sendTransaction(signer, { to: f.address, data: "0x" }))).code).to.equal("RPC_TIMEOUT");
    });

    it("a guarded provider has its own deadline on every request", async function () {
      provider = new JsonRpcProvider(node.url, 1n, { staticNetwork: true });
      const guarded = guardProvider(provider, { chainId: 1n, deadlineMs: 100 });
      expect((await rejection(() => guarded.getBlockNumber())).code).to.equal("RPC_TIMEOUT");
      expect(guardProvider(provider)).to.equal(guarded);
      expect(() => guardProvider(provider, { deadlineMs: -1 })).to.throw(/deadlineMs/);
      expect(() => configureRpc({ chainCheckMs: Number.NaN })).to.throw(/chainCheckMs/);
    });
  });

  describe("an endpoint switched to another chain", function () {
    let node: Awaited<ReturnType<typeof switchableNode>>;
    let provider: JsonRpcProvider;
    afterEach(async function () {
      provider?.destroy();
      await node.stop();
    });

    it("is refused with WRONG_CHAIN when receiving, although the provider has a static network", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      node = await switchableNode(f.chainId);
      restore = configureRpc({ chainCheckMs: 0 });
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true });
      const receiver = new ChequeReceiver({ verifier: verifierFor(f, store, { provider }), store });
      await receiver.receive(await cheque(f, UNIT));
      node.state.chainId = 31_338n;
      const e = await rejection(async () => receiver.receive(await cheque(f, 2n * UNIT)));
      expect(e.code).to.equal("WRONG_CHAIN");
      expect(e.details).to.deep.equal({ chainId: 31_338n, expected: f.chainId });
      expect((await store.getReceived(f.address, f.beneficiary.address))!.cheque.cumulativePayout).to.equal(UNIT);
    });

    it("is refused before a cash-out is sent", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      node = await switchableNode(f.chainId);
      await store.putReceived(await cheque(f, UNIT));
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true });
      guardProvider(provider, { chainId: f.chainId, chainCheckMs: 0 });
      node.state.chainId = 5n;
      const progress: TxProgress[] = [];
      const signer = new Wallet("0x" + "11".repeat(32), provider);
      const casher = new ChequeCasher({ signer, beneficiary: f.beneficiary.address, store, gasCostInToken: () => 0n, tx: { onProgress: (p) => progress.push(p) } });
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("WRONG_CHAIN");
      expect(progress).to.deep.equal([]);
    });

    it("a node that stops answering right after a cash-out was sent: kept pending, settled by the next cash-out, sent once", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      node = await switchableNode(f.chainId);
      await store.putReceived(await cheque(f, 40n * UNIT));
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true, cacheTimeout: -1 });
      // Generous deadlines while the node answers (the machine may be loaded), short ones while it is silent.
      const deadlines = (deadlineMs: number) => {
        guardProvider(provider, { deadlineMs });
        restore ??= configureRpc({ deadlineMs });
        configureRpc({ deadlineMs });
      };
      deadlines(30_000);
      // The beneficiary's development key (the fixture's third account), as a local signer.
      const signer = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), "m/44'/60'/0'/0/2").connect(provider);
      expect(signer.address).to.equal(f.beneficiary.address);
      const progress: TxProgress[] = [];
      const casher = new ChequeCasher({
        signer, store, gasCostInToken: () => 0n,
        tx: { pollMs: 10, droppedAfterMs: 150, timeoutMs: 400, onProgress: (p) => {
          progress.push(p);
          if (p.stage !== "sent") return;
          node.state.silent = true;
          deadlines(150);
        } },
      });
      const e = await rejection(() => casher.cashOut(f.address));
      expect(e.code).to.be.oneOf(["RPC_TIMEOUT", "TIMEOUT"]);
      expect((await store.listCashouts(f.address)).map((r) => r.status)).to.deep.equal(["pending"]);
      expect(await store.listPendingTx()).to.have.length(1);
      node.state.silent = false;
      deadlines(30_000);
      expect((await rejection(() => casher.cashOut(f.address))).code).to.equal("NOTHING_TO_CASH");
      const [record] = await store.listCashouts(f.address);
      expect(record).to.deep.include({ status: "confirmed", paid: 40n * UNIT });
      expect(await store.listPendingTx()).to.deep.equal([]);
      expect(progress.filter((p) => p.stage === "sent")).to.have.length(1);
      expect(await f.token.balanceOf(f.beneficiary.address)).to.equal(40n * UNIT);
    });

    it("is asked again after a failed request, and periodically", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      node = await switchableNode(f.chainId);
      provider = new JsonRpcProvider(node.url, f.chainId, { staticNetwork: true, cacheTimeout: -1 });
      const guarded = guardProvider(provider, { chainCheckMs: 3_600_000 });
      await guarded.getBlockNumber();
      const asked = node.state.chainIdAsked;
      await guarded.getBlockNumber();
      expect(node.state.chainIdAsked, "not asked again within chainCheckMs").to.equal(asked);
      // The endpoint fails once and comes back on another chain.
      node.state.failNext = true;
      node.state.chainId = 7n;
      let failed = false;
      await guarded.getBlockNumber().catch(() => (failed = true));
      expect(failed, "the request the endpoint failed").to.equal(true);
      expect((await rejection(() => guarded.getBlockNumber())).code).to.equal("WRONG_CHAIN");
      // Back on our chain: a check every time with chainCheckMs 0.
      node.state.chainId = f.chainId;
      guardProvider(provider, { chainCheckMs: 0 });
      await guarded.getBlockNumber();
      const before = node.state.chainIdAsked;
      await guarded.getBlockNumber();
      expect(node.state.chainIdAsked).to.be.greaterThan(before);
    });
  });
});
