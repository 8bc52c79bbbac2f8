/**
 * Group commit with a real process kill: nothing answered as paid is lost. The server (`crash-worker.ts`: a
 * `cheque` paywall on a SQLite store with the charge ledger beside it) runs in a child process; a client sends paid
 * requests several at a time and the child is SIGKILLed at a seeded moment while requests are in flight, then
 * restarted on the same file, several times. After each kill, what is on disk holds, for every request the client
 * got answered as paid (200 with PAYMENT-RESPONSE): its cheque (the best cheque held is at least its value) and its
 * charge (the charged total is at least the price times the requests answered as paid); and charged <= held.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import { decodePaymentSignatureHeader } from "@x402/core/http";
import { wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore, SqliteChequeStore } from "../../sdk/index.js";
import { ChequeSchemeClient, SqliteChargeLedger, chequeX402Client, readChequePayload } from "../../sdk/x402/index.js";
import { seeded } from "../helpers/random.js";
import type { CrashWorkerConfig } from "./crash-worker.js";

const SEED = Number(process.env.X402_CRASH_SEED ?? 0x402c);
const KILLS = 3;
const CONCURRENCY = 4;
const PRICE = 1000n;

function startWorker(config: CrashWorkerConfig): Promise<{ child: ChildProcess; url: string; exited: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("test", "x402", "crash-worker.ts"), JSON.stringify(config)], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    let out = "";
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /LISTEN (\d+)/.exec(out);
      if (m !== null) resolve({ child, url: `http://127.0.0.1:${m[1]}/data`, exited });
    });
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before listening:\n${err}`)));
  });
}

describe("x402 cheque server: group commit survives a kill", function () {
  this.timeout(180_000);
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), "x402-crash-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every cheque and charge it answered as paid, across SIGKILLs in flight", async function () {
    const random = seeded(SEED);
    const issuer = new Wallet("0x" + "11".repeat(32));
    const chequebook = getAddress("0x" + "c4".repeat(20));
    const config: CrashWorkerConfig = { dir, chainId: "31337", beneficiary: new Wallet("0x" + "22".repeat(32)).address, issuer: issuer.address, token: "0x" + "70".repeat(20), factory: "0x" + "fa".repeat(20), price: PRICE.toString() };
    const scheme = new ChequeSchemeClient({ signer: issuer, chequebook, chainId: 31337n, token: config.token, store: new MemoryChequeStore(), factory: config.factory });
    let answered = 0n;
    let maxAnswered = 0n;
    // Records the cheque of every request answered as paid.
    const recording = async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input, init);
      const header = request.headers.get("PAYMENT-SIGNATURE");
      const res = await fetch(request);
      if (header !== null && res.status === 200 && res.headers.get("PAYMENT-RESPONSE") !== null) {
        const value = readChequePayload(decodePaymentSignatureHeader(header).payload).cheque.cumulativePayout;
        answered++;
        if (value > maxAnswered) maxAnswered = value;
      }
      return res;
    };
    const pay = wrapFetchWithPayment(recording, chequeX402Client(scheme));

    for (let run = 0; run < KILLS; run++) {
      const worker = await startWorker(config);
      const killAfter = 5 + random(40);
      let sent = 0;
      let killed = false;
      const lanes = Array.from({ length: CONCURRENCY }, async () => {
        while (!killed) {
          sent++;
          if (sent === killAfter) {
            killed = true;
            worker.child.kill("SIGKILL"); // requests of the other lanes are in flight
          }
          try {
            await (await pay(worker.url)).arrayBuffer();
          } catch {
            // the server died under this request: no answer
          }
        }
      });
      await Promise.all(lanes);
      await worker.exited;

      const store = SqliteChequeStore.open(join(dir, "payee.db"));
      const ledger = await SqliteChargeLedger.beside(store);
      try {
        const held = (await store.getReceived(chequebook, config.beneficiary))?.cheque.cumulativePayout ?? 0n;
        const charged = await ledger.charged(chequebook);
        expect(charged >= answered * PRICE, `run ${run}: charged ${charged} on disk, ${answered} answered as paid`).to.equal(true);
        expect(held >= maxAnswered, `run ${run}: held ${held} on disk, a cheque of ${maxAnswered} answered as paid`).to.equal(true);
        expect(charged <= held, `run ${run}: charged ${charged} within held ${held}`).to.equal(true);
      } finally {
        await ledger.close();
        await store.close();
      }
    }
    expect(answered > 0n).to.equal(true);
  });
});
