/**
 * Property: the adversary is the issuer, who may deposit, withdraw anything liquid, raise the hard deposit,
 * prepare decreases and apply them the moment they are due, in any order, while chain time moves in steps shorter
 * than the watcher's safety margin and the watcher restarts at any point. The watcher steps after every block.
 * Whenever a decrease is applied, what we were owed beyond the hard deposit that stays has been paid (or nothing
 * was payable); after every block, a chequebook that can pay less than we are owed has paid us all it could.
 */
import { expect } from "chai";
import fc from "fast-check";

import { MemoryChequeStore } from "../../sdk/index.js";
import { deployChequebook } from "../helpers/fixtures.js";
import { networkHelpers } from "../helpers/setup.js";
import { UNIT, sdkFixture, type SdkFixture } from "./helpers.js";
import { advance, chainNow, hold, watcher } from "./watch-helpers.js";

const TIMEOUT = 7200n; // the chequebook's decrease timeout (seconds)
const MARGIN = 3600; // the watcher's safety margin
const MAX_JUMP = 3000; // chain time moves by less than the margin between two blocks the watcher sees

async function propertyFixture() {
  const f = await sdkFixture();
  const chequebook = await deployChequebook(f.factory, f.issuer, f.issuer.address, TIMEOUT, "0x" + "11".repeat(32));
  const address = await chequebook.getAddress();
  await f.token.mint(address, 1000n * UNIT);
  await chequebook.connect(f.issuer).increaseHardDeposit(f.beneficiary.address, 300n * UNIT);
  return { ...f, chequebook, address } as SdkFixture;
}

type Op =
  | { kind: "cheque"; amount: bigint }
  | { kind: "deposit"; amount: bigint }
  | { kind: "withdraw"; percent: number }
  | { kind: "hard"; amount: bigint }
  | { kind: "prepare"; percent: number }
  | { kind: "time"; seconds: number }
  | { kind: "due" }
  | { kind: "restart" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("time" as const), seconds: fc.integer({ min: 1, max: MAX_JUMP }) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant("cheque" as const), amount: fc.bigInt({ min: 1n, max: 250n }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("prepare" as const), percent: fc.integer({ min: 1, max: 100 }) }), weight: 2 },
  fc.record({ kind: fc.constant("deposit" as const), amount: fc.bigInt({ min: 1n, max: 300n }) }),
  fc.record({ kind: fc.constant("withdraw" as const), percent: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant("hard" as const), amount: fc.bigInt({ min: 1n, max: 400n }) }),
  fc.constant({ kind: "due" as const }),
  fc.constant({ kind: "restart" as const }),
);

describe("cash-out watcher: property against an issuer taking cover away", function () {
  this.timeout(300_000);

  it("whenever a decrease comes due or liquidity is withdrawn, what was owed and covered has been paid", async function () {
    let appliedInAll = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
        const f = await networkHelpers.loadFixture(propertyFixture);
        const store = new MemoryChequeStore();
        const me = f.beneficiary.address;
        const issuer = f.chequebook.connect(f.issuer);
        let w = watcher(f, store, { safetySeconds: MARGIN });
        let held = 0n;
        let applied = 0;
        const owedNow = async () => {
          const [paid, liquid] = await Promise.all([f.chequebook.paidOut(me), f.chequebook.liquidBalanceFor(me)]);
          return { owed: held > paid ? held - paid : 0n, liquid };
        };
        /** In a block the watcher has not seen yet: if the decrease is due, check what it takes away, then apply it. */
        const applyIfDue = async () => {
          const [deposit, decrease, , due] = await f.chequebook.hardDeposits(me);
          if (decrease === 0n || due > (await chainNow())) return false;
          const stays = deposit - (decrease < deposit ? decrease : deposit);
          const { owed, liquid } = await owedNow();
          expect(owed <= stays || liquid === 0n, `owed ${owed} > ${stays} staying, ${liquid} payable, when the decrease came due`).to.equal(true);
          await issuer.decreaseHardDeposit(me);
          applied++;
          return true;
        };
        await w.scheduler.step();
        for (const o of ops) {
          switch (o.kind) {
            case "cheque":
              held += o.amount * UNIT;
              await hold(f, store, held);
              break;
            case "deposit":
              await f.token.mint(f.address, o.amount * UNIT);
              break;
            case "withdraw": {
              const amount = ((await f.chequebook.liquidBalance()) * BigInt(o.percent)) / 100n;
              if (amount > 0n) await issuer.withdraw(amount);
              break;
            }
            case "hard": {
              const room = (await f.chequebook.balance()) - (await f.chequebook.totalHardDeposit());
              const amount = o.amount * UNIT < room ? o.amount * UNIT : room;
              if (amount > 0n) await issuer.increaseHardDeposit(me, amount);
              break;
            }
            case "prepare": {
              const [deposit] = await f.chequebook.hardDeposits(me);
              const amount = (deposit * BigInt(o.percent)) / 100n;
              if (amount > 0n) await issuer.prepareDecreaseHardDeposit(me, amount);
              break;
            }
            case "time":
              await advance(o.seconds);
              await applyIfDue();
              break;
            case "due":
              // The issuer waits for its decrease, block by block (the watcher sees each), and applies it in the
              // first block it may, before the watcher sees that block.
              for (let jump = 0; jump < 8; jump++) {
                const [, decrease, , due] = await f.chequebook.hardDeposits(me);
                if (decrease === 0n) break;
                await advance(Math.max(1, Math.min(MAX_JUMP, Number(due - (await chainNow())))));
                if (await applyIfDue()) break;
                await w.scheduler.step();
              }
              break;
            case "restart":
              w = watcher(f, store, { safetySeconds: MARGIN });
              break;
          }
          await w.scheduler.step();
          const { owed, liquid } = await owedNow();
          // After every block the watcher saw: no shortfall with anything payable left, and no decrease within the
          // margin of its due time that would take away cover of what we are still owed.
          expect(owed <= liquid || liquid === 0n, `after ${o.kind}: owed ${owed} with only ${liquid} payable`).to.equal(true);
          const [deposit, decrease, , due] = await f.chequebook.hardDeposits(me);
          if (decrease > 0n && (await chainNow()) + BigInt(MARGIN) >= due) {
            const stays = deposit - (decrease < deposit ? decrease : deposit);
            expect(owed <= stays || liquid === 0n, `after ${o.kind}: owed ${owed} > ${stays} staying with a decrease due at ${due}`).to.equal(true);
          }
        }
        appliedInAll += applied;
      }),
      { seed: 1414, numRuns: 12 },
    );
    expect(appliedInAll, "decreases applied across the runs").to.be.greaterThan(3);
  });
});
