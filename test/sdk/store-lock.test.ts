/**
 * One process owns a database file. A second opener, in this process or another, is refused with STORE_LOCKED
 * naming the file, until the owner closes the store or dies, however it dies (SIGKILL included): the lock is the
 * operating system's, not a file's existence.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";

import { expect } from "chai";

import { SqliteChequeStore, SqliteLedgerStore, emptyLedger, isChequeError } from "../../sdk/index.js";
import { BOOK_A, PEER_1, cheque } from "./store.behavior.js";

function expectLocked(open: () => unknown, path: string): void {
  try {
    open();
  } catch (e) {
    expect(isChequeError(e, "STORE_LOCKED"), String(e)).to.equal(true);
    expect((e as Error).message).to.include(path);
    return;
  }
  expect.fail(`a second opener of ${path} was let in`);
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** A child process that opens the store at `path`; resolves with it once it printed its first line. */
async function child(path: string): Promise<{ proc: ChildProcessWithoutNullStreams; first: string; next(): Promise<string> }> {
  const proc = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("test", "sdk", "store-lock-worker.ts"), path], { cwd: process.cwd() });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  let buffered = "";
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  proc.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let i: number;
    while ((i = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift();
      if (line !== undefined) return resolve(line);
      waiting.push(resolve);
      proc.once("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
    });
  return { proc, first: await next(), next };
}

describe("SQLite store: one owner per database file", function () {
  this.timeout(120_000);
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "cheque-lock-"));
  });
  afterEach(async function () {
    for (const proc of children) {
      const exited = once(proc, "exit");
      proc.kill("SIGKILL");
      await exited;
    }
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second open in this process, naming the file, and lets it in after close", async function () {
    const path = join(dir, "in-process.db");
    const first = SqliteChequeStore.open(path);
    expectLocked(() => SqliteChequeStore.open(path), path);
    await first.putReceived(await cheque(BOOK_A, PEER_1, 3n));
    await first.close();
    const second = SqliteChequeStore.open(path);
    expect((await second.getReceived(BOOK_A, PEER_1))!.cheque.cumulativePayout).to.equal(3n);
    await second.close();
  });

  it("lets the SWAP ledger of the same process share the file, once, and refuses a second process's ledger", async function () {
    const path = join(dir, "shared.db");
    const store = SqliteChequeStore.open(path);
    const ledger = SqliteLedgerStore.open(path);
    expectLocked(() => SqliteLedgerStore.open(path), path);
    await ledger.save({ ...emptyLedger("peer-1"), balance: 7n });
    await ledger.close();
    const reopened = SqliteLedgerStore.open(path);
    expect((await reopened.load("peer-1"))!.balance).to.equal(7n);
    await reopened.close();
    await store.close();
  });

  it("refuses the file while another process owns it, and lets it in once that process closed it", async function () {
    const path = join(dir, "other-process.db");
    const owner = await child(path);
    expect(owner.first).to.equal("open");
    expectLocked(() => SqliteChequeStore.open(path), path);
    owner.proc.stdin.write("close\n");
    expect(await owner.next()).to.equal("closed");
    const mine = SqliteChequeStore.open(path); // the other process is still alive, but closed the store
    // and now the other process is refused
    const late = await child(path);
    expect(late.first).to.match(/^error STORE_LOCKED /);
    expect(late.first).to.include(path);
    await mine.close();
    owner.proc.stdin.end();
    await once(owner.proc, "exit");
  });

  it("releases the file when its owner is killed with SIGKILL", async function () {
    const path = join(dir, "killed.db");
    const owner = await child(path);
    expect(owner.first).to.equal("open");
    expectLocked(() => SqliteChequeStore.open(path), path);
    const exited = once(owner.proc, "exit");
    owner.proc.kill("SIGKILL");
    await exited;
    const mine = SqliteChequeStore.open(path);
    await mine.putReceived(await cheque(BOOK_A, PEER_1, 1n));
    await mine.close();
  });
});
