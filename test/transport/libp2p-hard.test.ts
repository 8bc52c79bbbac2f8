/**
 * The hard phase over real libp2p nodes on the in-process chain: the client pays with signed cheques on its
 * chequebook, the server verifies, stores and credits them, and cashes them on chain.
 */
import { expect } from "chai";
import type { Signer } from "ethers";

import { ChequeCasher, ChequeReceiver, ChequeVerifier, ChequebookIssuer, MemoryChequeStore } from "../../sdk/index.js";
import { deployBase, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { exchange, link, settled, swapNode, TERMS, type SwapNode } from "./libp2p-helpers.js";

const UNIT = 10n ** 16n;
const TOKEN_PER_UNIT = 10n ** 14n;

async function chainFixture() {
  const base = await deployBase();
  const books: Record<string, string> = {};
  for (const [name, signer] of [["A", base.issuer], ["B", base.beneficiary]] as const) {
    const book = await deployChequebook(base.factory, base.deployer, signer.address, 86_400n, ethers.id(name));
    books[name] = await book.getAddress();
    await base.token.mint(books[name]!, 100n * UNIT);
  }
  return { ...base, books, factoryAddress: await base.factory.getAddress(), tokenAddress: await base.token.getAddress() };
}
type Chain = Awaited<ReturnType<typeof chainFixture>>;

async function hardNode(chain: Chain, id: "A" | "B", signer: Signer) {
  const store = new MemoryChequeStore();
  const verifier = new ChequeVerifier({
    provider: ethers.provider, chainId: chain.chainId, beneficiary: await signer.getAddress(), trustedFactories: [chain.factoryAddress], token: chain.tokenAddress, store,
  });
  const receiver = new ChequeReceiver({ verifier, store });
  const issuer = await ChequebookIssuer.connect({ signer, chequebook: chain.books[id]!, store });
  const node = await swapNode({ config: { ...TERMS, phase: "hard", tokenPerUnit: TOKEN_PER_UNIT }, hard: { issuer, receiver, verifier, store, token: chain.tokenAddress } });
  return { node, store };
}

describe("SWAP over libp2p: hard phase", function () {
  let nodes: SwapNode[] = [];
  afterEach(async function () {
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("signed cheques over the stream: verified, stored, credited, mirrored, and cashed on chain", async function () {
    const chain = await networkHelpers.loadFixture(chainFixture);
    const a = await hardNode(chain, "A", chain.issuer);
    const b = await hardNode(chain, "B", chain.beneficiary);
    nodes.push(a.node, b.node);
    await link(a.node, b.node);
    for (let i = 0; i < 20; i++) await exchange(a.node, b.node, 9);
    await settled(a.node, b.node);
    const owed = b.node.services.swap.accounting.balance(a.node.peerId.toString());
    expect(a.node.services.swap.accounting.balance(b.node.peerId.toString())).to.equal(-owed);
    const held = (await b.store.getReceived(chain.books.A!, chain.beneficiary.address))!.cheque;
    expect(held.cumulativePayout).to.equal((180n - owed) * TOKEN_PER_UNIT);
    expect(held.cumulativePayout > 0n).to.equal(true);
    const casher = new ChequeCasher({ signer: chain.beneficiary, store: b.store, gasCostInToken: () => 0n, tx: { pollMs: 10 } });
    const before = await chain.token.balanceOf(chain.beneficiary.address);
    const { paid } = await casher.cashOut(chain.books.A!);
    expect(paid).to.equal(held.cumulativePayout);
    expect((await chain.token.balanceOf(chain.beneficiary.address)) - before).to.equal(held.cumulativePayout);
  });
});
