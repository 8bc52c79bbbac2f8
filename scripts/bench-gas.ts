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

import { BATCH_SIZES, measureBatchGas } from "./lib/batch-gas.js";
import { SWARM, TARGET, gasTable, measureGas } from "./lib/gas.js";
import { alignedTable } from "./lib/table.js";

const { ethers } = await network.getOrCreate();
const { rows, transferExisting, transferFresh } = await measureGas(ethers, (label) =>
  process.stderr.write(`  measured ${label}\n`)
);
console.log(gasTable(rows, transferExisting, transferFresh));

// Batch cash-outs through the EIP-7702 delegate, on a Prague chain with a 30M block (Osaka caps one transaction at
// 2^24 gas), beside the single repeat cash-out measured above.
const prague = await network.create({ override: { hardfork: "prague", blockGasLimit: 30_000_000n } });
const batch = await measureBatchGas(prague.ethers, (label) => process.stderr.write(`  measured ${label}\n`));
const single = Number(rows.find((r) => r.key === "cashChequeBeneficiaryRepeat")!.gas);
const fmt = (n: number) => n.toLocaleString("en-US");
console.log("");
console.log(
  alignedTable(
    ["batch cash-out (repeat, EIP-7702)", "gas per cheque", "vs one by one", "target"],
    BATCH_SIZES.map((n) => {
      const per = Number(batch.perCheque[n]);
      return [`${n} chequebook${n === 1 ? "" : "s"}`, fmt(per), `${((per / single) * 100).toFixed(0)}%`, n === 10 ? `40,000 ${per <= 40_000 ? "met" : "MISSED"}` : ""];
    }),
  ),
);
console.log(`\nLargest batch paid in full within a 30M-gas block: ${batch.maxBatchIn30M} cheques (${fmt(Number(batch.maxBatchGas))} gas). One-off delegation: ${fmt(Number(batch.delegation))} gas.`);
await prague.close();

const batchKeys = Object.fromEntries(BATCH_SIZES.map((n) => [`batchPerCheque${n}`, Number(batch.perCheque[n])]));
const result = {
  gas: { ...Object.fromEntries(rows.map((r) => [r.key, Number(r.gas)])), ...batchKeys, maxBatchIn30M: batch.maxBatchIn30M, batchDelegation: Number(batch.delegation) },
  swarm: SWARM,
  targets: { ...TARGET, batchPerCheque10: 40_000 },
};
await mkdir("bench-results", { recursive: true });
await writeFile("bench-results/gas.json", JSON.stringify(result, null, 2) + "\n");
if (process.env.BENCH_JSON === "1" || process.argv.includes("--json")) console.log(JSON.stringify(result));
