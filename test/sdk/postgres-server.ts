/**
 * One PostgreSQL server for the whole test run, shared by every PostgreSQL test file: started on first use, on
 * 127.0.0.1 on a free port, and stopped by a root `after` hook once every test has run. Each caller gets databases
 * of its own.
 */
import { startPostgres, type PostgresServer } from "../../scripts/lib/postgres-server.js";

let server: Promise<PostgresServer> | undefined;
let databases = 0;

/** The shared server, started on first use. */
export function postgresServer(): Promise<PostgresServer> {
  server ??= startPostgres();
  return server;
}

/** A new empty database on the shared server; returns its URL. */
export async function freshDatabase(label: string): Promise<string> {
  return (await postgresServer()).createDatabase(`${label.replace(/[^a-z0-9_]/gi, "_")}_${databases++}`);
}

// Registered while mocha loads the first file that imports this module: a root hook, run after the last test.
after(async function () {
  this.timeout(30_000);
  const running = server;
  server = undefined;
  if (running !== undefined) await (await running).stop();
});
