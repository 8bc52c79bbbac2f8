/**
 * PostgresLedgerStore when the connection breaks after the server committed a save but before its answer arrived
 * (a network cut, a proxy or failover restarting): the outcome is unknown to the store, which reports STORE_FAILURE.
 * The record in the database is then the store's own write; the store must not take it for another process's and
 * refuse every later save of that peer (STORE_CONFLICT until restart: its bookings lost, its cheques refused).
 */
import { expect } from "chai";

import { PostgresLedgerStore, emptyLedger } from "../../sdk/index.js";
import { rejection } from "./helpers.js";
import { cuttingProxy } from "./cutting-proxy.js";
import { freshDatabase } from "./postgres-server.js";

describe("SDK PostgreSQL ledger: a save whose commit was not heard", function () {
  this.timeout(60_000);

  it("a save committed but reported failed does not make the store refuse that peer's later saves", async function () {
    const url = await freshDatabase("ledger_unknown");
    const proxy = await cuttingProxy(new URL(url));
    const ledger = await PostgresLedgerStore.open(proxy.url);
    try {
      await ledger.save({ ...emptyLedger("peer-1"), balance: 1n });
      const cut = proxy.arm("UPDATE 1");
      const e = await rejection(() => ledger.save({ ...emptyLedger("peer-1"), balance: 2n }));
      await cut;
      expect(e.code).to.equal("STORE_FAILURE");
      // It was committed: the peer's books hold it.
      const other = await PostgresLedgerStore.open(url);
      expect((await other.load("peer-1"))!.balance).to.equal(2n);
      await other.close();
      // The next booking of this peer is written, not refused as another process's.
      await ledger.save({ ...emptyLedger("peer-1"), balance: 3n });
      expect((await ledger.load("peer-1"))!.balance).to.equal(3n);
    } finally {
      await ledger.close();
      await proxy.close();
    }
  });
});
