/**
 * The hard phase on a local chain: nodes pay each other with signed cheques drawn on their chequebooks; the
 * receiver verifies, stores, credits and later cashes them; forged, stale and bouncing cheques are never credited.
 */
import { expect } from "chai";
import type { Signer } from "ethers";

import {
  ChequeCasher,
  ChequeReceiver,
  ChequeVerifier,
  ChequebookIssuer,
  MemoryChequeStore,
  MemoryLedgerStore,
  encodeSwapMessage,
  signCheque,
  type ChequeError,
  type ChequeStore,
  type PeerLedger,
} from "../../sdk/index.js";
import { deployBase, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { SimNetwork } from "./sim.js";

const UNIT = 10n ** 16n;
const TOKEN_PER_UNIT = 10n ** 14n; // one accounting unit is 0.01 token
const TERMS = { phase: "hard" as const, paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50, tokenPerUnit: TOKEN_PER_UNIT };

async function chainFixture() {
  const base = await deployBase();
  const books: Record<string, string> = {};
  for (const [name, signer] of [["A", base.issuer], ["B", base.beneficiary], ["M", base.other]] as const) {
    const book = await deployChequebook(base.factory, base.deployer, signer.address, 86_400n, ethers.id(name));
    books[name] = await book.getAddress();
    await base.token.mint(books[name]!, 100n * UNIT);
  }
  return { ...base, books, factoryAddress: await base.factory.getAddress(), tokenAddress: await base.token.getAddress() };
}
type Chain = Awaited<ReturnType<typeof chainFixture>>;

async function hardNode(net: SimNetwork, chain: Chain, id: "A" | "B" | "M", signer: Signer, store: ChequeStore = new MemoryChequeStore(), ledger = new MemoryLedgerStore()) {
  const verifier = new ChequeVerifier({
    provider: ethers.provider, chainId: chain.chainId, beneficiary: await signer.getAddress(), trustedFactories: [chain.factoryAddress], token: chain.tokenAddress, store,
  });
  const receiver = new ChequeReceiver({ verifier, store });
  const issuer = await ChequebookIssuer.connect({ signer, chequebook: chain.books[id]!, store });
  const node = await net.add(id, TERMS, { hard: { issuer, receiver, verifier, store, token: chain.tokenAddress } }, ledger);
  return { node, store, issuer, verifier };
}

describe("SWAP hard phase", function () {
  it("pays with signed cheques that the server verifies, stores, credits and cashes on chain", async function () {
    const chain = await networkHelpers.loadFixture(chainFixture);
    const net = new SimNetwork();
    const a = await hardNode(net, chain, "A", chain.issuer);
    const b = await hardNode(net, chain, "B", chain.beneficiary);
    await net.connect("A", "B");
    for (let i = 0; i < 20; i++) {
      await net.history("A", "B", 9);
      await net.settle();
      expect(a.node.swap.balance("B")).to.equal(-b.node.swap.balance("A"));
    }
    expect(a.node.errors).to.deep.equal([]);
    expect(b.node.errors).to.deep.equal([]);
    expect(await b.node.swap.metrics.registry.getSingleMetric("swap_cheques_received_total")!.get().then((m) => m.values.find((v) => v.labels.kind === "real")?.value)).to.be.greaterThan(2);
    // What B holds is what A paid: 180 units served, minus what A still owes.
    const held = (await b.store.getReceived(chain.books.A!, chain.beneficiary.address))!.cheque;
    const owed = b.node.swap.balance("A");
    expect(held.cumulativePayout).to.equal((180n - owed) * TOKEN_PER_UNIT);
    // B cashes on chain.
    const casher = new ChequeCasher({ signer: chain.beneficiary, store: b.store, gasCostInToken: () => 0n, tx: { pollMs: 10 } });
    const before = await chain.token.balanceOf(chain.beneficiary.address);
    const { paid } = await casher.cashOut(chain.books.A!);
    expect(paid).to.equal(held.cumulativePayout);
    expect((await chain.token.balanceOf(chain.beneficiary.address)) - before).to.equal(held.cumulativePayout);
  });

  describe("a peer paying with bad cheques is never credited", function () {
    async function withMallory() {
      const chain = await networkHelpers.loadFixture(chainFixture);
      const net = new SimNetwork();
      const b = await hardNode(net, chain, "B", chain.beneficiary);
      const m = await hardNode(net, chain, "M", chain.other);
      await net.connect("M", "B");
      const r = await b.node.swap.reserveProvide("M", "store", 60);
      await r.apply();
      const pay = async (signer: Signer, cumulativePayout: bigint) => {
        const signed = await signCheque({ signer, chequebook: chain.books.M!, beneficiary: chain.beneficiary.address, cumulativePayout, chainId: chain.chainId });
        await b.node.swap.handle("M", encodeSwapMessage({ type: "cheque", date: 0, amount: 60, signed, chainId: chain.chainId }));
      };
      return { chain, net, b, m, pay };
    }

    async function rejected(b: Awaited<ReturnType<typeof hardNode>>, reason: string) {
      const m = await b.node.swap.metrics.registry.getSingleMetric("swap_cheques_rejected_total")!.get();
      return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    }

    it("a forged cheque", async function () {
      const { b, chain, pay } = await withMallory();
      await pay(chain.deployer, 60n * TOKEN_PER_UNIT); // not M's issuer key
      expect(b.node.swap.balance("M")).to.equal(60n);
      expect(await rejected(b, "INVALID_SIGNATURE")).to.equal(1);
      expect(await b.store.getReceived(chain.books.M!, chain.beneficiary.address)).to.equal(undefined);
    });

    it("a replayed cheque: an older one is refused as stale, the latest one is acknowledged but not credited again", async function () {
      const { b, chain, pay } = await withMallory();
      await pay(chain.other, 30n * TOKEN_PER_UNIT);
      await pay(chain.other, 40n * TOKEN_PER_UNIT);
      expect(b.node.swap.balance("M")).to.equal(20n);
      await pay(chain.other, 30n * TOKEN_PER_UNIT);
      expect(await rejected(b, "STALE_CHEQUE")).to.equal(1);
      await pay(chain.other, 40n * TOKEN_PER_UNIT);
      expect(b.node.swap.balance("M")).to.equal(20n);
      expect(b.node.logs.filter((e) => e.event === "duplicate_cheque_acknowledged").length).to.equal(1);
    });

    it("a bouncing cheque on an emptied chequebook", async function () {
      const { b, chain, pay } = await withMallory();
      const book = await ethers.getContractAt("Chequebook", chain.books.M!);
      await book.connect(chain.other).withdraw(await book.liquidBalance());
      await pay(chain.other, 60n * TOKEN_PER_UNIT);
      expect(b.node.swap.balance("M")).to.equal(60n);
      expect(await rejected(b, "INSUFFICIENT_COVER")).to.equal(1);
    });

    it("a cheque drawn on a chequebook other than the one announced", async function () {
      const { b, chain } = await withMallory();
      const signed = await signCheque({ signer: chain.issuer, chequebook: chain.books.A!, beneficiary: chain.beneficiary.address, cumulativePayout: 10n, chainId: chain.chainId });
      await b.node.swap.handle("M", encodeSwapMessage({ type: "cheque", date: 0, amount: 1, signed }));
      expect(await rejected(b, "UNKNOWN_CHEQUEBOOK")).to.equal(1);
      expect(b.node.swap.balance("M")).to.equal(60n);
    });
  });

  it("refuses a peer whose chequebook is not from a trusted factory", async function () {
    const chain = await networkHelpers.loadFixture(chainFixture);
    const rogueFactory = await ethers.deployContract("ChequebookFactory", [chain.tokenAddress]);
    const rogue = await deployChequebook(rogueFactory as never, chain.deployer, chain.other.address);
    const withRogue = { ...chain, books: { ...chain.books, M: await rogue.getAddress() } };
    const net = new SimNetwork();
    const b = await hardNode(net, withRogue, "B", chain.beneficiary);
    await hardNode(net, withRogue, "M", chain.other);
    await net.connect("M", "B");
    expect(b.node.errors.map((e) => (e as ChequeError).code)).to.include("PEER_REFUSED");
    expect(net.connected("M", "B")).to.equal(false);
  });

  it("credits a stored cheque that a crash kept out of the ledger, and re-sends an unacknowledged payment", async function () {
    const chain = await networkHelpers.loadFixture(chainFixture);
    const net = new SimNetwork();
    const bLedger = new MemoryLedgerStore();
    const a = await hardNode(net, chain, "A", chain.issuer);
    const b = await hardNode(net, chain, "B", chain.beneficiary, new MemoryChequeStore(), bLedger);
    await net.connect("A", "B");
    await net.history("A", "B", 60);
    await net.settle();
    expect(a.node.swap.balance("B")).to.equal(0n); // paid early, at 50% of B's threshold

    // B crashes right after storing A's next cheque, before booking it: ledger writes fail from now on.
    // (A memory ledger is written through `saveNow`, at once.)
    const saveNow = bLedger.saveNow.bind(bLedger);
    bLedger.saveNow = (l: PeerLedger) => {
      if ((l.credited[chain.books.A!] ?? 0n) > 60n * TOKEN_PER_UNIT) throw new Error("crash");
      saveNow(l);
    };
    await net.history("A", "B", 60);
    await net.settle();
    expect(b.node.errors.map((e) => e.message)).to.include("crash");
    expect((await b.store.getReceived(chain.books.A!, chain.beneficiary.address))!.cheque.cumulativePayout).to.equal(120n * TOKEN_PER_UNIT);
    expect(a.node.swap.peers()[0]!.paymentInFlight).to.equal(60n); // A never got an answer

    // B restarts on the same store and ledger: the stored cheque is credited.
    bLedger.saveNow = saveNow;
    const restarted = await hardNode(net, chain, "B", chain.beneficiary, b.store, bLedger);
    expect(restarted.node.swap.balance("A")).to.equal(0n);
    expect(restarted.node.logs.some((e) => e.event === "recovered_credit")).to.equal(true);
    // A reconnects and re-sends its unanswered payment; B recognises the cheque it holds and answers without
    // crediting it again. Both books agree.
    await net.connect("A", "B");
    await net.settle();
    expect(restarted.node.swap.balance("A")).to.equal(0n);
    expect(a.node.swap.balance("B")).to.equal(0n);
    expect(a.node.swap.peers()[0]!.paymentInFlight).to.equal(undefined);
    expect(restarted.node.logs.some((e) => e.event === "duplicate_cheque_acknowledged")).to.equal(true);
  });
});
