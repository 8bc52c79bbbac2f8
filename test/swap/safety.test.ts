/**
 * One regression test per money-safety rule of issue 9 (engine side), on the model hard phase of
 * test/swap/adversary.ts: the real engine, a model chain. M is the hostile peer, H an honest one, U our node.
 */
import { expect } from "chai";

import { isChequeError } from "../../sdk/index.js";
import { ID, T, World, type Op } from "./adversary.js";

const hs = (ben: number, book = 0): Op => ({ k: "hs", ben, book, otherToken: false, threshold: 100n });
const ack = (accepted = true, reason = ""): Op => ({ k: "ack", accepted, pick: "last", guess: 0, reason, date: 0 });
const mServes = (n: number): Op => ({ k: "mServes", n });
const cheque = (delta: number, book = 0): Op => ({ k: "cheque", book, delta });

async function metric(w: World, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await w.u.swap.metrics.registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0);
}

async function issuedTo(w: World, beneficiary: string): Promise<bigint> {
  return (await w.uStore.getIssued(ID.XU, beneficiary))?.cheque.cumulativePayout ?? 0n;
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (isChequeError(error)) return error.code;
    throw error;
  }
  return "resolved";
}

describe("SWAP money safety (issue 9)", function () {
  describe("1. payment state is kept per beneficiary", function () {
    it("a peer that switches beneficiary while a cheque is unanswered is not paid again", async function () {
      const w = await World.start();
      await w.run(hs(0), mServes(60)); // U pays 60 to bM1; M never answers
      expect(await issuedTo(w, ID.bM1)).to.equal(60n);
      await w.run(hs(1), mServes(1), hs(0), mServes(1), hs(1), mServes(60));
      // M served 122 in all; every cheque to its addresses together may not exceed that.
      expect((await issuedTo(w, ID.bM1)) + (await issuedTo(w, ID.bM2))).to.be.at.most(122n);
    });

    it("an honest change of payout address is paid normally, and each answer books exactly its cheque", async function () {
      const w = await World.start();
      await w.run(hs(0), mServes(60), ack());
      expect(w.u.swap.balance("M")).to.equal(0n);
      await w.run(hs(1), mServes(60));
      const sent = w.chequesToM().at(-1)!;
      expect(sent.beneficiary).to.equal(ID.bM2);
      expect(sent.cumulativePayout).to.equal(60n);
      // A replayed answer to the first cheque (cumulative 60 too, other beneficiary) arrives first... it names the
      // cheque in flight, so it settles it: 60 units, never a negative amount.
      await w.run(ack());
      expect(w.u.swap.balance("M")).to.equal(0n);
      expect((await issuedTo(w, ID.bM1)) + (await issuedTo(w, ID.bM2))).to.equal(120n);
    });

    it("a send that fails leaves no payment in flight, and the retry re-sends the same cheque", async function () {
      const w = await World.start();
      await w.run(hs(0));
      w.linkUM = false; // sends to M are lost from here on (the hook does not deliver)
      await w.run(mServes(60));
      w.linkUM = true;
      expect(await issuedTo(w, ID.bM1)).to.equal(60n);
      expect(w.u.swap.peers().find((p) => p.peer === "M")!.paymentInFlight).to.equal(undefined);
      // Nothing phantom: no new cheque is issued for the same debt, and the next payment re-sends the first one.
      await w.run(mServes(1));
      expect(await issuedTo(w, ID.bM1)).to.be.at.most(61n);
    });

    it("an answer naming a cheque that is not in flight settles nothing", async function () {
      const w = await World.start();
      await w.run(hs(0), mServes(60));
      const before = w.u.swap.balance("M");
      await w.fromM({ type: "ack", accepted: true, amount: 5, cumulativePayout: 59n });
      await w.fromM({ type: "ack", accepted: true, amount: 5 });
      expect(w.u.swap.balance("M")).to.equal(before);
    });
  });

  describe("2. a chequebook is bound to the peer that pays with it", function () {
    it("a peer announcing another peer's chequebook is refused, and a restart credits it nothing", async function () {
      const w = await World.start();
      for (let i = 0; i < 4; i++) await w.run({ k: "hist", client: "H", n: 60 }); // H pays U from XH
      expect((await w.uStore.getReceived(ID.XH, ID.bU))!.cheque.cumulativePayout).to.be.greaterThan(150n);
      await w.run(hs(0, 2)); // M announces XH
      expect(w.linkUM).to.equal(false);
      await w.run({ k: "restart" }, hs(0, 2), mServes(1));
      expect(w.u.swap.balance("M")).to.be.at.least(-1n);
      expect(await issuedTo(w, ID.bM1)).to.equal(0n);
    });

    it("credit lost in a crash is recovered from the write-ahead record of what that peer delivered, capped", async function () {
      const w = await World.start();
      await w.run(hs(0), { k: "crash", at: "receive" }, cheque(500)); // M prepays 500; U crashes after storing it
      expect(w.u.life.dead).to.equal(true);
      await w.run({ k: "restart" });
      expect(w.u.swap.balance("M")).to.equal(-T); // recovered, through the same cap as live credit
      expect(w.uLogs.some((e) => e.event === "recovered_credit" && e.peer === "M")).to.equal(true);
    });
  });

  describe("3. prepayment is capped against the running balance", function () {
    it("twenty cheques from a peer that owes nothing credit one threshold in all, and are never paid back as debt", async function () {
      const w = await World.start();
      await w.run(hs(0));
      for (let i = 0; i < 20; i++) await w.run(cheque(100));
      expect(w.u.swap.balance("M")).to.equal(-T);
      expect(w.uLogs.filter((e) => e.event === "overpayment_not_credited").length).to.be.greaterThan(0);
      expect(await metric(w, "swap_overpayment_units_total")).to.equal(1900);
      // M serves 60: U owes it 60 for that, not the prepayment.
      await w.run(mServes(60));
      expect(await issuedTo(w, ID.bM1)).to.equal(60n);
    });
  });

  describe("7. bad cheques cost the sender, not us", function () {
    it("rejects stale and tiny cheques locally: no verification, no ledger write", async function () {
      const w = await World.start({ minChequeIncrement: 10n } as never);
      await w.run(hs(0), cheque(50));
      const calls = w.uReceiver.calls;
      const saves = w.uSaves;
      await w.run(cheque(-3)); // stale
      await w.fromM({ type: "cheque", date: 0, amount: 1, signed: w.chain.sign("M", ID.XM1, ID.bU, 51n), chainId: w.chain.chainId }); // +1 < 10
      expect(w.uReceiver.calls).to.equal(calls);
      expect(w.uSaves).to.equal(saves);
      expect(await metric(w, "swap_cheques_rejected_total", { reason: "STALE_CHEQUE" })).to.equal(1);
    });

    it("disconnects a peer after K refused cheques and keeps it away for the cool-down", async function () {
      const w = await World.start({ maxRefusals: 3 } as never);
      await w.run(hs(0));
      for (let i = 0; i < 3; i++) await w.run(cheque(10, 2)); // forged on H's chequebook
      expect(w.linkUM).to.equal(false);
      expect(await metric(w, "swap_disconnects_total", { reason: "too_many_refusals" })).to.equal(1);
      expect(await codeOf(w.u.swap.connect("M"))).to.equal("PEER_COOLING_DOWN");
    });
  });

  describe("7b. an accepted cheque does not buy a fresh allowance of refusals", function () {
    it("disconnects a peer that slips one small valid cheque between bursts of forged ones", async function () {
      const w = await World.start({ maxRefusals: 3 } as never);
      await w.run(hs(0));
      // Each round: two forged cheques (on H's chequebook: verified, then refused) and one valid cheque of 10.
      // Were the count reset by each accepted cheque, this would go on for ever at one cheque's price per round.
      for (let round = 0; round < 4 && w.linkUM; round++) await w.run(cheque(10, 2), cheque(10, 2), cheque(10));
      expect(w.linkUM).to.equal(false);
      expect(await metric(w, "swap_disconnects_total", { reason: "too_many_refusals" })).to.equal(1);
    });
  });

  describe("8. what a peer names never reaches metrics or logs as it is", function () {
    it("maps a refusal reason to our own codes and truncates it in logs", async function () {
      const w = await World.start();
      await w.run(hs(0), mServes(60), ack(false, "x".repeat(100_000)));
      await w.run(mServes(1), ack(false, "INSUFFICIENT_COVER"));
      const m = await w.u.swap.metrics.registry.getSingleMetric("swap_payments_refused_total")!.get();
      expect(m.values.map((v) => v.labels.reason).sort()).to.deep.equal(["INSUFFICIENT_COVER", "OTHER"]);
      expect((await w.u.swap.metrics.text()).length).to.be.lessThan(20_000);
      for (const e of w.uLogs) expect(JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).length).to.be.lessThan(2_000);
    });
  });

  describe("10. readiness", function () {
    it("ready() resolves once the peer's handshake is accepted", async function () {
      const w = await World.start();
      await w.u.swap.connect("M");
      w.linkUM = true;
      const ready = (w.u.swap as unknown as { ready(p: string): Promise<void> }).ready("M");
      await w.fromM({ type: "handshake", phase: "hard", paymentThreshold: 100n, chainId: w.chain.chainId, beneficiary: ID.bM1, chequebook: ID.XM1, token: w.chain.token });
      expect(await codeOf(ready)).to.equal("resolved");
    });

    it("ready() rejects with PEER_REFUSED when the handshake is refused, and TIMEOUT when none comes", async function () {
      const w = await World.start({ handshakeTimeoutMs: 20 } as never);
      await w.u.swap.connect("M");
      const swap = w.u.swap as unknown as { ready(p: string): Promise<void> };
      const refused = codeOf(swap.ready("M"));
      await w.fromM({ type: "handshake", phase: "hard", paymentThreshold: 1n, chainId: w.chain.chainId, beneficiary: ID.bM1, chequebook: ID.XM1, token: w.chain.token });
      expect(await refused).to.equal("PEER_REFUSED");
      await w.u.swap.connect("M");
      expect(await codeOf(swap.ready("M"))).to.equal("TIMEOUT");
    });
  });
});
