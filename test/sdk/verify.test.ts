import { expect } from "chai";

import { ChequeReceiver, MemoryChequeStore, signCheque, verifyCheque, type ChequeStore } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { ethers, networkHelpers } from "../helpers/setup.js";
import { UNIT, countCalls, rejection, sdkFixture, verifierFor, type SdkFixture } from "./helpers.js";

async function chequeFor(f: SdkFixture, cumulativePayout: bigint, overrides: { signer?: typeof f.issuer; chainId?: bigint; chequebook?: string; beneficiary?: string } = {}) {
  return signCheque({
    signer: overrides.signer ?? f.issuer,
    chequebook: overrides.chequebook ?? f.address,
    beneficiary: overrides.beneficiary ?? f.beneficiary.address,
    cumulativePayout,
    chainId: overrides.chainId ?? f.chainId,
  });
}

describe("SDK verification", function () {
  let store: ChequeStore;
  beforeEach(function () {
    store = new MemoryChequeStore();
  });

  it("accepts a good cheque and reports the increment over the last one held", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const verifier = verifierFor(f, store);
    const first = await verifyCheque({ verifier, cheque: await chequeFor(f, 10n * UNIT) });
    expect(first).to.deep.include({ increment: 10n * UNIT, previous: 0n, flagged: false });
    expect(first.cover).to.deep.equal({
      liquidBalanceFor: 1000n * UNIT, paidOut: 0n, hardDeposit: 0n, decreaseAmount: 0n, canBeDecreasedAt: 0n, effectiveTimeout: 86_400n,
      required: 10n * UNIT, covered: 1000n * UNIT, coveredUntil: 0n, issuerCanRevoke: false,
    });
    expect(first.cashNow).to.equal(false);
    const second = await verifyCheque({ verifier, cheque: await chequeFor(f, 25n * UNIT), previous: 10n * UNIT });
    expect(second.increment).to.equal(15n * UNIT);
  });

  it("accepts a cheque signed with a plain ethers Wallet.signTypedData", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const signature = await f.issuer.signTypedData(
      { name: "Chequebook", version: "1.0", chainId: f.chainId },
      { Cheque: [{ name: "chequebook", type: "address" }, { name: "beneficiary", type: "address" }, { name: "cumulativePayout", type: "uint256" }] },
      { chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 3n },
    );
    const { increment } = await verifierFor(f, store).verify({ chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 3n, signature });
    expect(increment).to.equal(3n);
  });

  it("makes no RPC call for checks 1-5 once a chequebook is known, and only the cover read for check 6", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    const verifier = verifierFor(f, store);
    await verifier.verify(await chequeFor(f, 1n));
    const c2 = await chequeFor(f, 2n);
    await networkHelpers.mine(); // a new block: the cover is read again (within one block it is reused)
    const steady = await countCalls(() => verifier.verify(c2));
    expect(steady.getCode).to.equal(0);
    expect(steady.call).to.equal(3); // liquidBalanceFor, paidOut, hardDeposits: one batch on a JSON-RPC provider
    const cached = verifierFor(f, store, { solvency: { cacheMs: 60_000 } });
    await cached.verify(await chequeFor(f, 3n));
    const c4 = await chequeFor(f, 4n);
    const none = await countCalls(() => cached.verify(c4));
    expect(none).to.deep.include({ call: 0, getCode: 0 });
  });

  it("learns chequebook facts once and keeps them in the store, so a new verifier needs no lookups", async function () {
    const f = await networkHelpers.loadFixture(sdkFixture);
    await verifierFor(f, store).verify(await chequeFor(f, 1n));
    expect((await store.getChequebookInfo(f.address))!.issuer).to.equal(f.issuer.address);
    const fresh = verifierFor(f, store, { solvency: { policy: "flag" } });
    const c = await chequeFor(f, 2n);
    const counts = await countCalls(() => fresh.verify(c));
    expect(counts.getCode).to.equal(0);
  });

  describe("refusals", function () {
    it("MALFORMED_CHEQUE for a malformed cheque", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const e = await rejection(() => verifierFor(f, store).verify({ chequebook: f.address, beneficiary: f.beneficiary.address, cumulativePayout: 1n, signature: "0x12" }));
      expect(e.code).to.equal("MALFORMED_CHEQUE");
    });

    it("WRONG_BENEFICIARY for a cheque made out to someone else", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const e = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, 1n, { beneficiary: f.other.address })));
      expect(e.code).to.equal("WRONG_BENEFICIARY");
    });

    it("WRONG_CHAIN when the sender says another chain, or the provider is on another chain", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const c = await chequeFor(f, 1n);
      expect((await rejection(() => verifierFor(f, store).verify(c, { chainId: 1n }))).code).to.equal("WRONG_CHAIN");
      expect((await rejection(() => verifierFor(f, store, { chainId: 5n }).verify(c))).code).to.equal("WRONG_CHAIN");
    });

    it("INVALID_SIGNATURE for a forged cheque and for one signed for another chain", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const forged = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, 1n, { signer: f.other })));
      expect(forged.code).to.equal("INVALID_SIGNATURE");
      expect(forged.details.issuer).to.equal(f.issuer.address);
      const otherChain = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, 1n, { chainId: f.chainId + 1n })));
      expect(otherChain.code).to.equal("INVALID_SIGNATURE");
    });

    it("UNKNOWN_CHEQUEBOOK for an address without code and for a chequebook of an untrusted factory", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const noCode = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, 1n, { chequebook: f.other.address })));
      expect(noCode.code).to.equal("UNKNOWN_CHEQUEBOOK");
      const rogueFactory = await ethers.deployContract("ChequebookFactory", [f.tokenAddress]);
      const rogue = await deployChequebook(rogueFactory as never, f.issuer, f.issuer.address);
      const e = await rejection(async () => verifierFor(f, store).verify(await chequeFor(f, 1n, { chequebook: await rogue.getAddress() })));
      expect(e.code).to.equal("UNKNOWN_CHEQUEBOOK");
    });

    it("WRONG_TOKEN for a chequebook paying in another token", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const e = await rejection(async () => verifierFor(f, store, { token: f.other.address }).verify(await chequeFor(f, 1n)));
      expect(e.code).to.equal("WRONG_TOKEN");
    });

    it("STALE_CHEQUE for a replayed or lower cheque", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const verifier = verifierFor(f, store);
      const c = await chequeFor(f, 5n);
      expect((await rejection(() => verifier.verify(c, { previous: 5n }))).code).to.equal("STALE_CHEQUE");
      expect((await rejection(() => verifier.verify(c, { previous: 6n }))).code).to.equal("STALE_CHEQUE");
    });

    it("INSUFFICIENT_COVER beyond the liquid balance (reject), or beyond the hard deposit (hard-deposit)", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const big = await chequeFor(f, 1001n * UNIT);
      const e = await rejection(() => verifierFor(f, store).verify(big));
      expect(e.code).to.equal("INSUFFICIENT_COVER");
      expect(e.details.required).to.equal(1001n * UNIT);
      await f.chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 5n * UNIT);
      const hd = verifierFor(f, store, { solvency: { policy: "hard-deposit" } });
      expect((await hd.verify(await chequeFor(f, 5n * UNIT))).flagged).to.equal(false);
      expect((await rejection(async () => hd.verify(await chequeFor(f, 6n * UNIT)))).code).to.equal("INSUFFICIENT_COVER");
    });

    it("accepts and flags an uncovered cheque under the flag policy", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const r = await verifierFor(f, store, { solvency: { policy: "flag" } }).verify(await chequeFor(f, 2000n * UNIT));
      expect(r.flagged).to.equal(true);
    });

    it("RPC_UNAVAILABLE when the node cannot be reached", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const down = new ethers.JsonRpcProvider("http://127.0.0.1:1", f.chainId, { staticNetwork: true });
      const e = await rejection(async () => verifierFor(f, store, { provider: down }).verify(await chequeFor(f, 1n)));
      expect(e.code).to.equal("RPC_UNAVAILABLE");
      down.destroy();
    });
  });

  describe("ERC-1271 issuers", function () {
    async function walletFixture() {
      const f = await sdkFixture();
      const wallet = await ethers.deployContract("ERC1271Wallet", [f.issuer.address]);
      const book = await deployChequebook(f.factory, f.deployer, await wallet.getAddress());
      await f.token.mint(await book.getAddress(), 100n * UNIT);
      return { ...f, walletBook: await book.getAddress() };
    }

    it("accepts a cheque the wallet approves and refuses one it does not", async function () {
      const f = await networkHelpers.loadFixture(walletFixture);
      const verifier = verifierFor(f, store);
      const good = await chequeFor(f, 1n, { chequebook: f.walletBook });
      expect((await verifier.verify(good)).increment).to.equal(1n);
      expect((await store.getChequebookInfo(f.walletBook))!.issuerIsContract).to.equal(true);
      const e = await rejection(async () => verifier.verify(await chequeFor(f, 2n, { chequebook: f.walletBook, signer: f.other })));
      expect(e.code).to.equal("INVALID_SIGNATURE");
    });
  });

  describe("ChequeReceiver", function () {
    it("stores an accepted cheque before returning, and never a refused one", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const receiver = new ChequeReceiver({ verifier: verifierFor(f, store), store });
      await receiver.receive(await chequeFor(f, 7n));
      expect((await store.getReceived(f.address, f.beneficiary.address))!.cheque.cumulativePayout).to.equal(7n);
      await rejection(async () => receiver.receive(await chequeFor(f, 9n, { signer: f.other })));
      await rejection(async () => receiver.receive(await chequeFor(f, 7n)));
      expect((await receiver.best(f.address))!.cheque.cumulativePayout).to.equal(7n);
      expect((await receiver.all()).length).to.equal(1);
    });

    it("handles concurrent cheques from one chequebook one at a time: the result is the highest, each credited once", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const receiver = new ChequeReceiver({ verifier: verifierFor(f, store), store });
      const cheques = await Promise.all([1n, 2n, 3n, 4n, 5n].map((n) => chequeFor(f, n * UNIT)));
      const results = await Promise.allSettled(cheques.map((c) => receiver.receive(c)));
      const credited = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.increment] : []));
      expect(credited.reduce((a, b) => a + b, 0n)).to.equal(5n * UNIT);
      expect((await receiver.best(f.address))!.cheque.cumulativePayout).to.equal(5n * UNIT);
    });
  });
});
