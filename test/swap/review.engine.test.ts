/**
 * Hostile review of the SWAP engine (issue 9, engine side): attacks that worked against the engine as merged, each
 * with the property it broke. U is our node (the real engine, model hard phase of test/swap/adversary.ts); M, M2
 * are hostile peers (cheap identities), H an honest one.
 */
import { expect } from "chai";

import { MemoryChequeStore, MemoryLedgerStore, SwapAccounting, encodeSwapMessage, type SwapMessage } from "../../sdk/index.js";
import { ID, Life, ModelChain, TERMS, World, addr, modelIssuer, modelReceiver, modelVerifier } from "./adversary.js";
import { Clock } from "./sim.js";

/** A gate a test opens when it chooses: the work behind it waits. */
class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  open(): void {
    this.#open();
  }
}

/**
 * U alone on a model chain, with a verifier whose chequebook look-ups wait for `gate` while `hold` names the
 * chequebook (a slow RPC), a ledger and a cheque store that survive `reopen()`.
 */
class Solo {
  readonly chain = new ModelChain();
  readonly clock = new Clock();
  readonly ledger = new MemoryLedgerStore();
  readonly store = new MemoryChequeStore();
  hold: { chequebook: string; gate: Gate } | undefined;
  swap!: SwapAccounting;

  constructor() {
    const c = this.chain;
    for (const [a, owner] of [[ID.XU, "U"], [ID.XH, "H"], [ID.XM1, "M"], [ID.XM2, "M"]] as const) {
      c.addBook(a, { owner, token: c.token, trusted: true, cover: 10n ** 9n });
    }
  }

  async open(): Promise<SwapAccounting> {
    const life = new Life();
    const verifier = modelVerifier(this.chain, ID.bU);
    const chequebookInfo = verifier.chequebookInfo.bind(verifier);
    verifier.chequebookInfo = async (chequebook: string) => {
      const hold = this.hold;
      if (hold !== undefined && hold.chequebook.toLowerCase() === chequebook.toLowerCase()) await hold.gate.opened;
      return chequebookInfo(chequebook);
    };
    this.swap = await SwapAccounting.open({
      config: TERMS,
      hooks: {
        send: () => undefined,
        disconnect: () => undefined,
        now: this.clock.now,
      },
      ledger: this.ledger,
      hard: {
        issuer: modelIssuer(this.chain, ID.XU, this.store, life),
        receiver: modelReceiver(this.chain, ID.bU, this.store, life),
        verifier,
        store: this.store,
        token: this.chain.token,
      } as never,
    });
    return this.swap;
  }

  /** A cheque on `chequebook` to us, signed with `signer`'s key (the owner's, or forged). */
  cheque(peer: string, signer: string, chequebook: string, cumulativePayout: bigint): Promise<void> {
    const signed = this.chain.sign(signer, chequebook, ID.bU, cumulativePayout);
    return this.swap.handle(peer, encodeSwapMessage({ type: "cheque", date: 0, amount: 0, signed, chainId: this.chain.chainId }));
  }

  handshake(peer: string, beneficiary: string, chequebook: string, paymentThreshold = 100n): Promise<void> {
    const h: SwapMessage = { type: "handshake", phase: "hard", paymentThreshold, chainId: this.chain.chainId, beneficiary, chequebook, token: this.chain.token };
    return this.swap.handle(peer, encodeSwapMessage(h));
  }
}

describe("SWAP engine, hostile review", function () {
  describe("a peer's record is never overwritten by a stale copy of it", function () {
    // Property: nothing accepted is lost, and no debt is wiped, across eviction and restart. A handshake still
    // waiting for the chain when its peer disconnects settled used to hold the evicted copy of the peer: when the
    // chain answered, that copy (settled, balance 0) was written over the peer's live record.
    it("a debt taken on a new connection survives a restart although an older handshake finished last", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      await u.handshake("M", ID.bM1, ID.XM1);
      // M reconnects and announces a second chequebook of its own; the chain is slow to answer.
      u.swap.disconnected("M");
      await u.swap.connect("M");
      u.hold = { chequebook: ID.XM2, gate: new Gate() };
      const slow = u.handshake("M", ID.bM1, ID.XM2).catch(() => undefined);
      // M hangs up settled while that handshake is still waiting (before the fix, M left memory here and the
      // waiting handshake kept the evicted copy).
      u.swap.disconnected("M");
      await u.swap.idle();
      // M comes back on a new connection with its bound chequebook and takes service on credit.
      await u.swap.connect("M");
      await u.handshake("M", ID.bM1, ID.XM1);
      await (await u.swap.reserveProvide("M", "store", 150)).apply();
      expect(u.swap.balance("M")).to.equal(150n);
      // The chain answers the old handshake; then our node restarts.
      u.hold.gate.open();
      await slow;
      await u.swap.idle();
      expect((await u.ledger.load("M"))?.balance).to.equal(150n, "the ledger lost M's debt");
      await u.swap.close();
      await u.open();
      expect(u.swap.balance("M")).to.equal(150n, "M's debt was wiped by the restart");
    });
  });

  describe("announcing an address binds nothing: squatting costs the squatter", function () {
    // Property: an honest peer cannot be locked out for free. A chequebook used to be bound, for good, to the
    // first peer that announced it, and so was a payout address: both are public (handshakes, ChequeCashed
    // events), so one hostile identity could refuse every honest peer that had not connected yet, at no cost.
    it("a peer announcing an honest peer's chequebook first does not lock it out, and is never credited", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      await u.handshake("M", ID.bM1, ID.XH); // M announces H's chequebook (a trusted one)
      await u.cheque("M", "M", ID.XH, 50n).catch(() => undefined); // forged: refused
      await u.swap.connect("H");
      await u.handshake("H", ID.bH, ID.XH); // refused with chequebook_taken before the fix
      await u.cheque("H", "H", ID.XH, 50n);
      expect(u.swap.balance("H")).to.equal(-50n);
      expect(u.swap.balance("M")).to.equal(0n);
      // From now on XH is H's: M is refused it, and a restart credits M nothing.
      await u.cheque("M", "H", ID.XH, 80n).catch(() => undefined);
      expect(u.swap.balance("M")).to.equal(0n);
      await u.swap.close();
      await u.open();
      expect(u.swap.balance("M")).to.equal(0n);
      expect(u.swap.balance("H")).to.equal(-50n);
    });

    it("a peer announcing an honest peer's payout address first does not lock it out once it leaves", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      await u.handshake("M", ID.bH, ID.XM1); // M names H's address; nothing is paid to it
      u.swap.disconnected("M");
      await u.swap.connect("H");
      await u.handshake("H", ID.bH, ID.XH); // refused with beneficiary_taken, for good, before the fix
      expect(u.swap.peers().find((p) => p.peer === "H")?.ready).to.equal(true);
      // While H is connected, its address is its own: M naming it is refused.
      await u.swap.connect("M");
      const refused = await u.handshake("M", ID.bH, ID.XM1).then(() => "accepted", (e: { code?: string }) => e.code);
      expect(refused).to.equal("PEER_REFUSED");
    });

    it("one peer naming a thousand payout addresses leaves no record of them", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      for (let i = 0; i < 1000; i++) await u.handshake("M", addr(0x10000 + i), ID.XM1);
      await u.swap.idle();
      const record = (await u.ledger.load("M"))!;
      expect(Object.keys(record.payouts).length).to.be.at.most(1);
    });
  });

  describe("a repeated handshake costs us nothing", function () {
    // Property: abuse costs the sender more than us. Every accepted handshake used to be written to the ledger
    // (an fsync) and to re-send the unanswered cheque (a store read and a reply larger than the request), without
    // ever counting as a refusal: a peer could make us write and send for free, as fast as it could send.
    it("a hundred identical handshakes on one connection write nothing and re-send nothing", async function () {
      const w = await World.start();
      await w.run({ k: "hs", ben: 0, book: 0, otherToken: false, threshold: 100n }, { k: "mServes", n: 60 }); // a cheque to M, unanswered
      const saves = w.uSaves;
      const sent = w.toM.length;
      for (let i = 0; i < 100; i++) await w.fromM({ type: "handshake", phase: "hard", paymentThreshold: 100n, chainId: w.chain.chainId, beneficiary: ID.bM1, chequebook: ID.XM1, token: w.chain.token });
      await w.settle();
      expect(w.toM.length - sent).to.be.at.most(1);
      expect(w.uSaves - saves).to.be.at.most(1);
    });
  });

  describe("a claim cut short by a crash binds nothing", function () {
    // Property: an honest peer cannot be locked out. A forged cheque on an honest peer's chequebook claims it for
    // the time of its verification (the claim is written with the write-ahead record, so that recovery finds it);
    // a crash in that window used to leave the claim in the ledger, binding the chequebook to the forger for good.
    it("after a crash during a forged cheque's verification, the chequebook's owner is still accepted and credited", async function () {
      const w = await World.start();
      await w.run({ k: "hs", ben: 0, book: 2, otherToken: false, threshold: 100n }); // M announces XH (H never paid U yet)
      await w.run({ k: "crash", at: "save" }, { k: "cheque", book: 2, delta: 50 }); // forged on XH; U dies after the write-ahead
      await w.run({ k: "restart" }, { k: "hist", client: "H", n: 60 }); // H pays U from XH
      expect(w.uLogs.some((e) => e.event === "disconnected" && e.peer === "H" && e.reason === "chequebook_taken")).to.equal(false);
      expect((await w.uStore.getReceived(ID.XH, ID.bU))?.cheque.cumulativePayout).to.equal(60n);
      expect(w.u.swap.balance("H")).to.equal(0n);
    });
  });

  describe("the ledger holds the terms the peer has in memory", function () {
    // Property: nothing in memory is lost by eviction or a restart. A handshake takes its terms (payment
    // threshold, payout address, chequebook) after asking the chain, and the engine wrote them only if they
    // differed from the terms when the handshake came in: a handshake cut short by a disconnect kept terms it was
    // never accepted with, unwritten, and of two handshakes racing the one finishing last, back on the terms the
    // ledger held before the first, was never written. A ledger writing each change at once (a memory ledger)
    // no longer catches such a change with a later write of the same turn, so this happens without a slow chain.
    const terms = async (u: Solo) => {
      const p = u.swap.peers().find((x) => x.peer === "M")!;
      const l = (await u.ledger.load("M"))!;
      return { memory: [p.peerPaymentThreshold, p.beneficiary, p.chequebook], ledger: [l.peerPaymentThreshold, l.peerBeneficiary, l.peerChequebook] };
    };

    it("a handshake cut short by a disconnect takes no terms", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      await u.handshake("M", ID.bM1, ID.XM1);
      await (await u.swap.reserveProvide("M", "store", 10)).apply(); // M owes 10: it stays in memory
      // M announces other terms (the chain is asked about XM2) and hangs up before the answer.
      const cut = u.handshake("M", ID.bM2, ID.XM2, 1000n).then(() => "accepted", (e: { code?: string }) => e.code);
      u.swap.disconnected("M");
      expect(await cut).to.equal("NOT_CONNECTED");
      await u.swap.idle();
      const { memory, ledger } = await terms(u);
      expect(memory).to.deep.equal([100n, ID.bM1, ID.XM1], "terms of a handshake never accepted were taken");
      expect(ledger).to.deep.equal(memory);
    });

    it("of two racing handshakes, the terms of the one finishing last are written", async function () {
      const u = new Solo();
      await u.open();
      await u.swap.connect("M");
      await u.handshake("M", ID.bM1, ID.XM1); // accepted; XM1 is not bound yet (no cheque on it)
      await (await u.swap.reserveProvide("M", "store", 10)).apply();
      // M announces XM1 again (the chain is slow) and, meanwhile, XM2 (answered at once).
      u.hold = { chequebook: ID.XM1, gate: new Gate() };
      const again = u.handshake("M", ID.bM1, ID.XM1);
      await u.handshake("M", ID.bM2, ID.XM2);
      u.hold.gate.open();
      await again;
      await u.swap.idle();
      const { memory, ledger } = await terms(u);
      expect(memory).to.deep.equal([100n, ID.bM1, ID.XM1]);
      expect(ledger).to.deep.equal(memory, "the ledger kept the terms of the handshake that finished first");
      // A restart brings back what the peer announced last.
      await u.swap.close();
      await u.open();
      const p = u.swap.peers().find((x) => x.peer === "M")!;
      expect([p.beneficiary, p.chequebook]).to.deep.equal([ID.bM1, ID.XM1]);
    });
  });
});
