/**
 * A node for dashboard tests: two SWAP nodes in the hard phase on the in-process chain (A pays B, B pays A), B's
 * dashboard embedded in the test's process, serving on 127.0.0.1.
 */
import type { Signer } from "ethers";

import { ChequeCasher, ChequeReceiver, ChequeVerifier, ChequebookIssuer, MemoryChequeStore, MemoryLedgerStore, type ChequeStore } from "../../sdk/index.js";
import { DashboardEvents, startDashboard, type DashboardOptions } from "../../sdk/dashboard/index.js";
import { deployBase, deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { SimNetwork } from "../swap/sim.js";

export const UNIT = 10n ** 16n;
export const TOKEN_PER_UNIT = 10n ** 14n;
const TERMS = { phase: "hard" as const, paymentThreshold: 100n, disconnectThreshold: 150n, minPeerPaymentThreshold: 10n, earlyPaymentPercent: 50, tokenPerUnit: TOKEN_PER_UNIT };
/** A peer id a hostile peer could choose: it must show up as text. */
export const XSS_PEER = `<img src=x onerror="window.__pwned=1">`;

async function chainFixture() {
  const base = await deployBase();
  const books: Record<string, string> = {};
  for (const [name, signer] of [["A", base.issuer], ["B", base.beneficiary], ["X", base.other]] as const) {
    const book = await deployChequebook(base.factory, base.deployer, signer.address, 86_400n, ethers.id(name));
    books[name] = await book.getAddress();
    await base.token.mint(books[name]!, 100n * UNIT);
  }
  return { ...base, books, factoryAddress: await base.factory.getAddress(), tokenAddress: await base.token.getAddress() };
}
export type Chain = Awaited<ReturnType<typeof chainFixture>>;

async function hardNode(net: SimNetwork, chain: Chain, id: string, book: string, signer: Signer, events?: DashboardEvents) {
  const store: ChequeStore = new MemoryChequeStore();
  const verifier = new ChequeVerifier({
    provider: ethers.provider, chainId: chain.chainId, beneficiary: await signer.getAddress(), trustedFactories: [chain.factoryAddress], token: chain.tokenAddress, store,
  });
  const receiver = new ChequeReceiver({ verifier, store });
  const issuer = await ChequebookIssuer.connect({ signer, chequebook: book, store });
  const extra = { hard: { issuer, receiver, verifier, store, token: chain.tokenAddress }, ...(events === undefined ? {} : { logger: events.logger() }) };
  const node = await net.add(id, TERMS, extra, new MemoryLedgerStore());
  return { node, store, issuer };
}

/** A and B (B runs the dashboard), connected; the hostile peer X too when `withXss`. */
export async function dashboardFixture(options: Partial<DashboardOptions> & { withXss?: boolean } = {}) {
  const chain = await networkHelpers.loadFixture(chainFixture);
  const net = new SimNetwork();
  // The engine's clock follows the chain's time, as the cool-downs the page shows do.
  net.clock.ms = Date.now();
  const events = new DashboardEvents();
  const a = await hardNode(net, chain, "A", chain.books.A!, chain.issuer);
  const b = await hardNode(net, chain, "B", chain.books.B!, chain.beneficiary, events);
  await net.connect("A", "B");
  if (options.withXss === true) {
    await hardNode(net, chain, XSS_PEER, chain.books.X!, chain.other);
    await net.connect(XSS_PEER, "B");
  }
  const casher = new ChequeCasher({ signer: chain.beneficiary, store: b.store, gasCostInToken: () => 0n, tx: { pollMs: 10 } });
  const dashboard = await startDashboard({ provider: ethers.provider, store: b.store, casher, issuer: b.issuer, swap: b.node.swap, events, log: () => undefined, ...options });
  /** `client` buys `rounds` × 9 messages from `server`; payments flow as the thresholds say. */
  const traffic = async (client: string, server: string, rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      await net.history(client, server, 9);
      await net.settle();
    }
  };
  return { chain, net, a, b, casher, events, dashboard, traffic };
}
export type DashboardFixture = Awaited<ReturnType<typeof dashboardFixture>>;

/** The dashboard's /api/state, parsed. */
export async function apiState(url: string): Promise<any> {
  const response = await fetch(`${url}/api/state`);
  if (!response.ok) throw new Error(`GET /api/state: ${response.status} ${await response.text()}`);
  return response.json();
}
