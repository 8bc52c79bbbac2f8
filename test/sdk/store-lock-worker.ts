/**
 * Child process of the store lock test: opens the cheque store named by its argument and prints `open` (or
 * `error <code> <message>`); on a `close` line from its parent it closes the store and prints `closed`, staying
 * alive until its standard input ends or it is killed.
 */
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

import { SqliteChequeStore, isChequeError } from "../../sdk/index.js";

/** Runs only as a process's entry point (mocha also loads every file under test/). */
async function main(): Promise<void> {
  let store: SqliteChequeStore;
  try {
    store = SqliteChequeStore.open(process.argv[2]!);
  } catch (e) {
    process.stdout.write(`error ${isChequeError(e) ? e.code : "UNEXPECTED"} ${(e as Error).message}\n`);
    return;
  }
  process.stdout.write("open\n");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "close") {
      await store.close();
      process.stdout.write("closed\n");
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
