/**
 * The charge ledger's record of used cheque values: bounded per chequebook (the lowest values fold into a floor),
 * written with the charge, and kept across a reopen (SQLite).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { MemoryChargeLedger, SqliteChargeLedger, type ChargeLedger } from "../../sdk/x402/index.js";

const BOOK = "0x00000000000000000000000000000000000000C1";

async function exercise(ledger: ChargeLedger): Promise<void> {
  for (const v of [2n, 1n, 5n, 3n, 6n, 4n]) await ledger.charge(BOOK, 10n, { value: v, keep: 3 });
  await ledger.charge(BOOK, 10n, { value: 2n, keep: 3 }); // at or below the floor: nothing to add
  expect(await ledger.charged(BOOK)).to.equal(70n);
  expect(await ledger.used(BOOK)).to.deep.equal({ floor: 3n, values: [4n, 5n, 6n] });
}

describe("x402 charge ledger: used cheque values", function () {
  it("keeps at most `keep` values per chequebook in memory, below a floor", async function () {
    await exercise(new MemoryChargeLedger());
  });

  it("keeps them on disk with the charge, across a reopen", async function () {
    const dir = await mkdtemp(join(tmpdir(), "x402-ledger-"));
    try {
      const path = join(dir, "charged.db");
      const ledger = SqliteChargeLedger.open(path);
      await exercise(ledger);
      await ledger.close();
      const reopened = SqliteChargeLedger.open(path);
      expect(await reopened.used(BOOK)).to.deep.equal({ floor: 3n, values: [4n, 5n, 6n] });
      expect(await reopened.charged(BOOK)).to.equal(70n);
      expect(await reopened.used("0x00000000000000000000000000000000000000C2")).to.deep.equal({ floor: 0n, values: [] });
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
