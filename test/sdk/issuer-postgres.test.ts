/**
 * Issuers in several processes on one PostgreSQL store (two stores on one database here, each with its own pools:
 * what two processes have). The adversary is a withdrawal made by another process of the fleet, under the shared
 * issue lock: what one process cached of the chain must not outlive it.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import pg from "pg";

import { ChequebookIssuer, PostgresChequeStore } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, rejection, sdkFixture } from "./helpers.js";
import { cuttingProxy } from "./cutting-proxy.js";
import { freshDatabase } from "./postgres-server.js";

describe("SDK issuer: processes sharing a PostgreSQL store", function () {
  this.timeout(120_000);

  it("a withdrawal by another process is seen by this process's cached reading (balanceCacheMs)", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const url = await freshDatabase("issuer_cache");
    const [storeA, storeB] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
    try {
      const a = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: storeA, balanceCacheMs: 3_600_000 });
      const b = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: storeB });
      await a.issueCheque(Wallet.createRandom().address, 100n * UNIT); // a caches the chain's figures: 1,000
      await b.withdraw(900n * UNIT); // leaves exactly what the first cheque needs
      const e = await rejection(() => a.issueCheque(Wallet.createRandom().address, 900n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      expect(e.details).to.deep.include({ available: 0n });
    } finally {
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });

  it("a node answering \"latest\" with a block from before another process's withdrawal cannot make this one over-promise", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const url = await freshDatabase("issuer_floor");
    const [storeA, storeB] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
    const provider = f.issuer.provider!;
    const original = provider.getBlock.bind(provider);
    try {
      const a = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: storeA });
      const b = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: storeB });
      await a.issueCheque(Wallet.createRandom().address, 400n * UNIT); // a's reading, at the latest block
      const stale = await ethers.provider.getBlock("latest");
      await b.withdraw(600n * UNIT);
      // As ethers does for up to 250 ms: a's node gives the same answer to "latest", from before b's withdrawal.
      (provider as { getBlock: typeof provider.getBlock }).getBlock = ((tag, prefetch) => (tag === "latest" ? Promise.resolve(stale) : original(tag, prefetch))) as typeof provider.getBlock;
      const e = await rejection(() => a.issueCheque(Wallet.createRandom().address, 1n * UNIT));
      expect(e.code).to.equal("INSUFFICIENT_FUNDS");
      expect(e.details).to.deep.include({ available: 0n });
    } finally {
      (provider as { getBlock: typeof provider.getBlock }).getBlock = original;
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });

  it("an issue whose process lost the issue lock mid-way (its lock session ended) is not committed: no over-promise", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const url = await freshDatabase("issuer_lost_lock");
    const [storeA, storeB] = await Promise.all([PostgresChequeStore.open(url), PostgresChequeStore.open(url)]);
    // a's signature is held back until released (its issue lock held meanwhile), after a read what was issued.
    let dispatched!: () => void, release!: () => void;
    const signing = new Promise<void>((r) => (dispatched = r));
    const released = new Promise<void>((r) => (release = r));
    const signTypedData = async (...args: Parameters<typeof f.issuer.signTypedData>) => (dispatched(), await released, f.issuer.signTypedData(...args));
    const signer = new Proxy(f.issuer, {
      get: (target, prop) => {
        if (prop === "signTypedData") return signTypedData;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const a = await ChequebookIssuer.connect({ signer, chequebook: f.address, store: storeA });
    const b = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store: storeB });
    try {
      const issueA = a.issueCheque(Wallet.createRandom().address, 800n * UNIT).then(() => "issued", (e: { code?: string }) => e.code);
      await signing;
      // The server ends a's lock session (failover, network, an operator): the lock goes, b takes it and issues.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted");
      await admin.end();
      await b.issueCheque(Wallet.createRandom().address, 800n * UNIT);
      release();
      expect(await issueA).to.equal("STORE_FAILURE");
      expect(await storeB.totalIssued(f.address), "promised more than the 1,000 held").to.equal(800n * UNIT);
    } finally {
      release();
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });

  it("an issue committed but not heard (the connection broke at the commit) is returned, not reported failed and issued again", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const url = await freshDatabase("issuer_unknown");
    const proxy = await cuttingProxy(new URL(url));
    const store = await PostgresChequeStore.open(proxy.url);
    try {
      const issuer = await ChequebookIssuer.connect({ signer: f.issuer, chequebook: f.address, store });
      const payee = Wallet.createRandom().address;
      const cut = proxy.arm("INSERT 0 1");
      // Reported failed, the caller (the SWAP engine) would issue the same payment again: 200 promised for 100 owed.
      const { cheque } = await issuer.issueCheque(payee, 100n * UNIT);
      await cut;
      expect(cheque.cumulativePayout).to.equal(100n * UNIT);
      expect((await store.getIssued(f.address, payee))!.cheque).to.deep.equal(cheque);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
