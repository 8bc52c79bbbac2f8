/**
 * The dashboard's pure rules: alerts from figures, the spending rate and runway, the event feed's vocabulary and
 * bound, the token comparison.
 */
import { expect } from "chai";
import fc from "fast-check";

import { DASHBOARD_EVENT_NAMES, DashboardEvents, SpendTracker, alertsFor, tokenMatches, type AlertInput } from "../../sdk/dashboard/index.js";

const BOOK = "0x" + "ab".repeat(20);
const row = (over: Partial<AlertInput["held"][number]> = {}) => ({
  chequebook: BOOK, held: 100n, uncashed: 40n, liquidFor: 1_000n, hardDeposit: 0n, decreaseAmount: 0n, canBeDecreasedAt: 0n, ...over,
});

describe("dashboard rules", function () {
  describe("alerts", function () {
    it("a prepared decrease on a chequebook we hold cheques from: critical while something is uncashed", function () {
      const [a] = alertsFor({ held: [row({ hardDeposit: 50n, decreaseAmount: 20n, canBeDecreasedAt: 1_000n })], blockTime: 400 });
      expect(a).to.include({ kind: "decrease-prepared", severity: "critical", chequebook: BOOK, amount: 20n, dueAt: 1_000n });
      expect(a!.message).to.include("applicable in 600 s");
      const [b] = alertsFor({ held: [row({ uncashed: 0n, hardDeposit: 50n, decreaseAmount: 20n, canBeDecreasedAt: 1_000n })], blockTime: 1_200 });
      expect(b).to.include({ severity: "warning" });
      expect(b!.message).to.include("applicable now");
      // none for a chequebook we hold nothing from
      expect(alertsFor({ held: [row({ held: 0n, uncashed: 0n, decreaseAmount: 20n, canBeDecreasedAt: 1_000n })], blockTime: 0 })).to.deep.equal([]);
    });

    it("liquidity below what we are owed", function () {
      expect(alertsFor({ held: [row({ uncashed: 40n, liquidFor: 40n })], blockTime: 0 })).to.deep.equal([]);
      const [a] = alertsFor({ held: [row({ uncashed: 40n, liquidFor: 15n })], blockTime: 0 });
      expect(a).to.include({ kind: "liquidity-short", severity: "critical", amount: 25n });
    });

    it("our chequebook running low: below the threshold, or a runway shorter than the limit", function () {
      const own = { chequebook: BOOK, available: 10n, outstanding: 5n };
      expect(alertsFor({ held: [], own, blockTime: 0 })).to.deep.equal([]);
      expect(alertsFor({ held: [], own, blockTime: 0, lowFundsThreshold: 11n }).map((a) => [a.kind, a.severity])).to.deep.equal([["own-low", "warning"]]);
      expect(alertsFor({ held: [], own: { ...own, runwaySeconds: 3_600 }, blockTime: 0 }).map((a) => [a.kind, a.severity])).to.deep.equal([["own-runway", "critical"]]);
      expect(alertsFor({ held: [], own: { ...own, runwaySeconds: 50_000 }, blockTime: 0 }).map((a) => a.severity)).to.deep.equal(["warning"]);
      expect(alertsFor({ held: [], own: { ...own, runwaySeconds: 3_600 }, blockTime: 0, runwayAlertSeconds: 600 })).to.deep.equal([]);
    });

    it("property: an alert for every chequebook that cannot pay what it owes, critical ones first", function () {
      const figures = fc.record({ held: fc.bigInt(0n, 10n ** 20n), uncashed: fc.bigInt(0n, 10n ** 20n), liquidFor: fc.bigInt(0n, 10n ** 20n) });
      fc.assert(
        fc.property(fc.array(figures, { maxLength: 8 }), fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }), (rows, runway) => {
          const held = rows.map((r, i) => row({ ...r, chequebook: "0x" + i.toString(16).padStart(40, "0") }));
          const own = runway === undefined ? { chequebook: BOOK, available: 1n, outstanding: 0n } : { chequebook: BOOK, available: 1n, outstanding: 0n, runwaySeconds: runway };
          const alerts = alertsFor({ held, own, blockTime: 0 });
          const short = alerts.filter((a) => a.kind === "liquidity-short").map((a) => a.chequebook);
          expect(short).to.deep.equal(held.filter((h) => h.uncashed > h.liquidFor).map((h) => h.chequebook));
          const severities = alerts.map((a) => a.severity);
          expect(severities).to.deep.equal([...severities].sort((a, b) => (a === b ? 0 : a === "critical" ? -1 : 1)));
        }),
        { seed: 16, numRuns: 200 },
      );
    });
  });

  describe("spending rate and runway", function () {
    it("measures over the window and divides what is available by it", function () {
      const spend = new SpendTracker(3_600_000);
      spend.sample(0, 1_000n);
      expect(spend.perHour()).to.equal(0n);
      expect(spend.runwaySeconds(500n)).to.equal(undefined);
      spend.sample(1_800_000, 1_500n); // 500 in half an hour
      expect(spend.perHour()).to.equal(1_000n);
      expect(spend.runwaySeconds(2_000n)).to.equal(7_200);
      expect(spend.runwaySeconds(0n)).to.equal(0);
      spend.sample(7_200_000, 1_500n); // then nothing for 1.5 h: the window forgets the old spending
      expect(spend.perHour()).to.equal(0n);
      // a total that went down (another store) starts afresh
      spend.sample(7_300_000, 100n);
      expect(spend.perHour()).to.equal(0n);
    });
  });

  describe("event feed", function () {
    it("property: whatever the engine logs, the feed keeps only its own names, codes and amounts, and stays bounded", function () {
      const anything = fc.oneof(fc.string(), fc.bigInt(), fc.integer(), fc.constant(undefined), fc.string({ unit: "binary" }));
      const event = fc.record({
        level: fc.constantFrom("debug", "info", "warn", "error"),
        event: fc.oneof(fc.constantFrom(...DASHBOARD_EVENT_NAMES), fc.string()),
        peer: fc.option(fc.string({ unit: "binary", maxLength: 300 }), { nil: undefined }),
        reason: anything, credited: anything, units: anything, level2: anything,
      });
      fc.assert(
        fc.property(fc.array(event, { maxLength: 60 }), (events) => {
          const feed = new DashboardEvents(20);
          const log = feed.logger();
          for (const e of events) log(e as never);
          const kept = feed.recent();
          expect(kept.length).to.be.at.most(20);
          for (const e of kept) {
            expect(DASHBOARD_EVENT_NAMES).to.include(e.event);
            if (e.code !== undefined) expect(e.code).to.match(/^[A-Za-z0-9_-]{1,64}$/);
            if (e.amount !== undefined) expect(e.amount).to.match(/^-?[0-9]+$/);
            if (e.peer !== undefined) expect(e.peer.length).to.be.at.most(100);
            expect(Object.keys(e).every((k) => ["seq", "at", "level", "event", "peer", "code", "amount"].includes(k))).to.equal(true);
          }
          expect(kept.map((e) => e.seq)).to.deep.equal([...kept.map((e) => e.seq)].sort((a, b) => b - a));
        }),
        { seed: 16, numRuns: 200 },
      );
    });

    it("drops a chequebook or transaction hash that does not parse", function () {
      const feed = new DashboardEvents();
      feed.push({ level: "info", event: "cashout", chequebook: "<b>x</b>", txHash: "javascript:alert(1)" });
      expect(feed.recent()[0]).to.not.have.any.keys("chequebook", "txHash");
    });
  });

  it("the operator token matches only itself", function () {
    const token = "abcdefghijklmnopqrstuvwxyz012345";
    expect(tokenMatches(token, token)).to.equal(true);
    for (const other of [undefined, "", token.slice(0, -1), token + "6", token.toUpperCase()]) expect(tokenMatches(other, token)).to.equal(false);
  });
});
