/**
 * Gas benchmark: gasUsed of every chequebook operation on the in-process chain, next to a plain OpenZeppelin
 * ERC20 transfer measured in the same run, and Swarm ERC20SimpleSwap v0.6.9's published figures.
 *
 *   npm run bench:gas                  a table
 *   BENCH_JSON=1 npm run bench:gas     the table, then one line of JSON
 *
 * The JSON is also written to bench-results/gas.json.
 */
import { mkdir, writeFile } from "node:fs/promises";

import { network } from "hardhat";

import { SWARM, TARGET, gasTable, measureGas } from "./lib/gas.js";

const { ethers } = await network.getOrCreate();
const { rows, transferExisting, transferFresh } = await measureGas(ethers, (label) =>
  process.stderr.write(`  measured ${label}\n`)
);
console.log(gasTable(rows, transferExisting, transferFresh));
const result = { gas: Object.fromEntries(rows.map((r) => [r.key, Number(r.gas)])), swarm: SWARM, targets: TARGET };
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/gas.json", JSON.stringify(result, null, 2) + "\n");
if (process.env.BENCH_JSON === "1" || process.argv.includes("--json")) console.log(JSON.stringify(result));
