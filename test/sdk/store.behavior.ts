/** What every ChequeStore must do, whatever keeps the data. */
import { expect } from "chai";
import { Wallet } from "ethers";

import { isChequeError, signCheque, type ChequeStore, type SignedCheque } from "../../sdk/index.js";

const issuer = new Wallet("0x" + "33".repeat(32));
export const BOOK_A = "0x" + "0a".repeat(20);
export const BOOK_B = "0x" + "0b".repeat(20);
export const PEER_1 = "0x" + "01".repeat(20);
export const PEER_2 = "0x" + "02".repeat(20);

export function cheque(chequebook: string, beneficiary: string, cumulativePayout: bigint): Promise<SignedCheque> {
  return signCheque({ signer: issuer, chequebook, beneficiary, cumulativePayout, chainId: 1n });
}

export async function expectStale(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    expect(isChequeError(e, "STALE_CHEQUE"), String(e)).to.equal(true);
    return;
  }
  throw new Error("expected STALE_CHEQUE");
}

export function shouldBehaveLikeAChequeStore(open: () => Promise<ChequeStore>) {
  let store: ChequeStore;
  beforeEach(async function () {
    store = await open();
  });
  afterEach(async function () {
    await store.close();
  });

  it("keeps the best received cheque per chequebook and beneficiary", async function () {
    const c = await cheque(BOOK_A, PEER_1, 10n);
    await store.putReceived(c, 1234);
    expect(await store.getReceived(BOOK_A, PEER_1)).to.deep.equal({ cheque: c, receivedAt: 1234 });
    expect(await store.getReceived(BOOK_A.toUpperCase().replace("0X", "0x"), PEER_1)).to.deep.equal({ cheque: c, receivedAt: 1234 });
    expect(await store.getReceived(BOOK_B, PEER_1)).to.equal(undefined);
  });

  it("refuses a received cheque that is not above the one held", async function () {
    await store.putReceived(await cheque(BOOK_A, PEER_1, 10n));
    await expectStale(store.putReceived(await cheque(BOOK_A, PEER_1, 10n)));
    await expectStale(store.putReceived(await cheque(BOOK_A, PEER_1, 9n)));
    await store.putReceived(await cheque(BOOK_A, PEER_1, 11n));
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(11n);
  });

  it("lists received cheques, optionally for one beneficiary", async function () {
    await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    await store.putReceived(await cheque(BOOK_B, PEER_1, 2n));
    await store.putReceived(await cheque(BOOK_A, PEER_2, 3n));
    expect((await store.listReceived()).length).to.equal(3);
    expect((await store.listReceived(PEER_1)).map((r) => r.cheque.cumulativePayout).sort()).to.deep.equal([1n, 2n]);
  });

  it("keeps issued cheques with a running total per chequebook, and refuses lower ones", async function () {
    await store.putIssued(await cheque(BOOK_A, PEER_1, 10n));
    await store.putIssued(await cheque(BOOK_A, PEER_2, 5n));
    await store.putIssued(await cheque(BOOK_A, PEER_1, 25n));
    await store.putIssued(await cheque(BOOK_B, PEER_1, 7n));
    expect(await store.totalIssued(BOOK_A)).to.equal(30n);
    expect(await store.totalIssued(BOOK_B)).to.equal(7n);
    expect(await store.totalIssued(PEER_2)).to.equal(0n);
    await expectStale(store.putIssued(await cheque(BOOK_A, PEER_1, 20n)));
    expect(await store.totalIssued(BOOK_A)).to.equal(30n);
    expect((await store.getIssued(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(25n);
    expect((await store.listIssued(BOOK_A)).length).to.equal(2);
    expect((await store.listIssued()).length).to.equal(3);
  });

  it("keeps amounts beyond 64 bits exactly", async function () {
    const big = 2n ** 255n + 1n;
    await store.putReceived(await cheque(BOOK_A, PEER_1, big));
    await store.putIssued(await cheque(BOOK_A, PEER_1, big));
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(big);
    expect(await store.totalIssued(BOOK_A)).to.equal(big);
  });

  it("records cash-out attempts and their results, newest first", async function () {
    await store.putCashout({ id: "1", chequebook: BOOK_A, beneficiary: PEER_1, cumulativePayout: 5n, status: "pending", updatedAt: 1 });
    await store.putCashout({ id: "1", chequebook: BOOK_A, beneficiary: PEER_1, cumulativePayout: 5n, status: "confirmed", txHash: "0x" + "ee".repeat(32), paid: 5n, bounced: false, stillOwed: 0n, gasUsed: 60_000n, updatedAt: 2 });
    await store.putCashout({ id: "2", chequebook: BOOK_B, beneficiary: PEER_1, cumulativePayout: 9n, status: "failed", error: "RPC_UNAVAILABLE: down", updatedAt: 3 });
    const all = await store.listCashouts();
    expect(all.map((r) => r.id)).to.deep.equal(["2", "1"]);
    const [a] = await store.listCashouts(BOOK_A);
    expect(a).to.deep.include({ status: "confirmed", paid: 5n, bounced: false, stillOwed: 0n, gasUsed: 60_000n, txHash: "0x" + "ee".repeat(32) });
    expect(all[0]!.error).to.equal("RPC_UNAVAILABLE: down");
  });

  it("remembers and forgets pending transactions", async function () {
    const tx = { key: "deploy:x", hash: "0x" + "aa".repeat(32), from: "0x" + "0C".repeat(20).toLowerCase(), nonce: 7, createdAt: 5 };
    await store.putPendingTx(tx);
    expect((await store.getPendingTx("deploy:x"))!.nonce).to.equal(7);
    expect((await store.listPendingTx()).length).to.equal(1);
    await store.deletePendingTx("deploy:x");
    expect(await store.getPendingTx("deploy:x")).to.equal(undefined);
  });

  it("caches chequebook facts", async function () {
    const info = { chequebook: "0x" + "0A".repeat(20).toLowerCase(), issuer: PEER_1, token: PEER_2, factory: BOOK_B, issuerIsContract: true };
    await store.putChequebookInfo(info);
    const got = await store.getChequebookInfo(BOOK_A);
    expect(got!.issuerIsContract).to.equal(true);
    expect(got!.issuer.toLowerCase()).to.equal(PEER_1);
  });

  it("keeps named values (meta) and replaces them", async function () {
    expect(await store.getMeta("watch:cursor")).to.equal(undefined);
    await store.putMeta("watch:cursor", "41");
    await store.putMeta("watch:cursor", "42");
    await store.putMeta("other", "x");
    expect(await store.getMeta("watch:cursor")).to.equal("42");
    expect(await store.getMeta("other")).to.equal("x");
  });

  it("keeps the highest cheque when many writers race", async function () {
    const cheques = await Promise.all(Array.from({ length: 30 }, (_, i) => cheque(BOOK_A, PEER_1, BigInt(i + 1))));
    cheques.sort(() => Math.random() - 0.5);
    await Promise.allSettled(cheques.map((c) => store.putReceived(c)));
    expect((await store.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(30n);
  });

  it("compare-and-set: putReceived with `previous` writes only over that cheque (STORE_CONFLICT otherwise)", async function () {
    const [c5, c7, c9] = await Promise.all([5n, 7n, 9n].map((v) => cheque(BOOK_A, PEER_1, v)));
    await store.putReceived(c5!, 1, { previous: 0n });
    const conflict = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(isChequeError(e, "STORE_CONFLICT"), String(e)).to.equal(true);
        return;
      }
      throw new Error("expected STORE_CONFLICT");
    };
    await conflict(store.putReceived(c7!, 2, { previous: 0n })); // the caller thought none was held
    await conflict(store.putReceived(c9!, 2, { previous: 7n })); // ... or another one
    await expectStale(store.putReceived(c5!, 2, { previous: 5n })); // not above what is held: stale, as ever
    await store.putReceived(c9!, 3, { previous: 5n });
    expect(await store.getReceived(BOOK_A, PEER_1)).to.deep.equal({ cheque: c9, receivedAt: 3 });
    // Of racing compare-and-sets from one base, exactly one wins.
    const racers = await Promise.all([10n, 11n, 12n, 13n].map((v) => cheque(BOOK_A, PEER_1, v)));
    const results = await Promise.allSettled(racers.map((c) => store.putReceived(c, 4, { previous: 9n })));
    expect(results.filter((r) => r.status === "fulfilled").length).to.equal(1);
  });

  it("fails with STORE_FAILURE once closed", async function () {
    const c = await cheque(BOOK_A, PEER_1, 1n);
    await store.close();
    try {
      await store.putReceived(c);
      expect.fail("should throw");
    } catch (e) {
      expect(isChequeError(e, "STORE_FAILURE"), String(e)).to.equal(true);
    }
    store = await open(); // for afterEach
  });
}
