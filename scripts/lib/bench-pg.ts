/**
 * The multi-process part of the PostgreSQL receive benchmark: `processes` children (see `bench-pg-worker.ts`) share
 * one database, each receiving from `books` chequebooks at once; they start each round together. Returns the
 * receives per second of all of them together, the median of three rounds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

import type { BenchPgWorkerConfig } from "./bench-pg-worker.js";
import { serveJsonRpc } from "./json-rpc-proxy.js";
import type { PostgresServer } from "./postgres-server.js";

const ROUNDS = 3;

export async function receivePostgresProcesses(args: {
  server: PostgresServer;
  processes: number;
  /** The chain, in this process (served to the children over HTTP). */
  provider: { send(method: string, params: unknown[]): Promise<unknown> };
  chainId: bigint;
  factory: string;
  token: string;
  /** The private key of the chequebooks' issuer. */
  issuerKey: string;
  books: string[];
  ms?: number;
}): Promise<number> {
  const proxy = await serveJsonRpc(args.provider);
  const db = await args.server.createDatabase("receive_processes");
  const config: BenchPgWorkerConfig = {
    db, rpc: proxy.url, chainId: args.chainId.toString(), factory: args.factory, token: args.token, issuerKey: args.issuerKey, books: args.books, perBook: 1_200, ms: args.ms ?? 1_000,
  };
  const children: Array<{ child: ChildProcess; lines: string[]; waiters: Array<() => void> }> = [];
  try {
    for (let i = 0; i < args.processes; i++) {
      const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", join("scripts", "lib", "bench-pg-worker.ts"), JSON.stringify(config)], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      const entry = { child, lines: [] as string[], waiters: [] as Array<() => void> };
      let partial = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split("\n");
        partial = parts.pop()!;
        entry.lines.push(...parts);
        for (const w of entry.waiters.splice(0)) w();
      });
      children.push(entry);
    }
    const lineCount = (n: number) =>
      Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve, reject) => {
              const check = () => (c.lines.length >= n ? resolve() : c.child.exitCode !== null ? reject(new Error("a bench worker exited")) : c.waiters.push(check));
              check();
            }),
        ),
      );
    await lineCount(1); // READY
    const rates: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of children) c.child.stdin!.write("GO\n");
      await lineCount(1 + round);
      let n = 0;
      let elapsed = 0;
      for (const c of children) {
        const [, count, ms] = c.lines[round]!.split(" ");
        n += Number(count);
        elapsed = Math.max(elapsed, Number(ms));
      }
      rates.push(n / (elapsed / 1000));
    }
    return rates.sort((a, b) => a - b)[1]!;
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.child.exitCode !== null) return resolve();
            c.child.once("exit", () => resolve());
            c.child.stdin!.end();
          }),
      ),
    );
    await proxy.close();
  }
}
