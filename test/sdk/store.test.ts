import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

import { expect } from "chai";

import { MemoryChequeStore, SqliteChequeStore, isChequeError } from "../../sdk/index.js";
import { BOOK_A, PEER_1, cheque, shouldBehaveLikeAChequeStore } from "./store.behavior.js";

describe("SDK stores", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cheque-store-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  describe("MemoryChequeStore", function () {
    shouldBehaveLikeAChequeStore(async () => new MemoryChequeStore());
  });

  describe("SqliteChequeStore", function () {
    let n = 0;
    shouldBehaveLikeAChequeStore(async () => SqliteChequeStore.open(join(dir, `behaviour-${n++}.db`)));

    it("commits concurrent writes together, refusing only the stale one in the batch", async function () {
      const store = SqliteChequeStore.open(join(dir, "group.db"));
      const books = Array.from({ length: 20 }, (_, i) => "0x" + (i + 16).toString(16).padStart(2, "0").repeat(20));
      await store.putReceived(await cheque(books[0]!, PEER_1, 5n));
      const cheques = await Promise.all(books.map((b, i) => cheque(b, PEER_1, i === 0 ? 4n : 10n)));
      const results = await Promise.allSettled(cheques.map((c) => store.putReceived(c)));
      expect(results.filter((r) => r.status === "fulfilled").length).to.equal(19);
      expect(isChequeError((results[0] as PromiseRejectedResult).reason, "STALE_CHEQUE")).to.equal(true);
      await store.close();
      const reopened = SqliteChequeStore.open(join(dir, "group.db"));
      expect((await reopened.listReceived()).length).to.equal(20);
      expect((await reopened.getReceived(books[0]!, PEER_1))!.cheque.cumulativePayout).to.equal(5n);
      await reopened.close();
    });

    it("uses WAL and synchronous FULL", async function () {
      const path = join(dir, "pragmas.db");
      const store = SqliteChequeStore.open(path);
      await store.putReceived(await cheque(BOOK_A, PEER_1, 1n));
      const db = new DatabaseSync(path);
      expect((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).to.equal("wal");
      db.close();
      await store.close();
    });

    it("keeps everything across a reopen", async function () {
      const path = join(dir, "reopen.db");
      const first = SqliteChequeStore.open(path);
      const c = await cheque(BOOK_A, PEER_1, 42n);
      await first.putReceived(c, 7);
      await first.putIssued(c, 8);
      await first.putMeta("watch:cursor", "123");
      await first.close();
      const second = SqliteChequeStore.open(path);
      expect(await second.getReceived(BOOK_A, PEER_1)).to.deep.equal({ cheque: c, receivedAt: 7 });
      expect(await second.getIssued(BOOK_A, PEER_1)).to.deep.equal({ cheque: c, issuedAt: 8 });
      expect(await second.totalIssued(BOOK_A)).to.equal(42n);
      expect(await second.getMeta("watch:cursor")).to.equal("123");
      await second.close();
    });

    it("refuses a file that is not a database with STORE_FAILURE", async function () {
      const path = join(dir, "garbage.db");
      await writeFile(path, "this is not sqlite".repeat(100));
      try {
        SqliteChequeStore.open(path);
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_FAILURE"), String(e)).to.equal(true);
      }
    });

    it("refuses a database written by a newer schema", async function () {
      const path = join(dir, "newer.db");
      const db = new DatabaseSync(path);
      db.exec("PRAGMA user_version = 99");
      db.close();
      try {
        SqliteChequeStore.open(path);
        expect.fail("should throw");
      } catch (e) {
        expect(isChequeError(e, "STORE_FAILURE"), String(e)).to.equal(true);
        expect((e as Error).message).to.match(/newer version/);
      }
    });
  });
});
