/**
 * The hard phase of the libp2p bench alone (what `npm run bench` reports as `libp2pSwapOverheadPercentHard`), on
 * the same in-process chain, chequebooks and flow, for profiling:
 *   npx hardhat compile && node --cpu-prof --import tsx scripts/bench-libp2p-hard.ts [rounds]
 * Prints the hard-phase figures as JSON.
 */
import hre from "hardhat";

import { cryptoBackend } from "../sdk/index.js";
import { benchChain, libp2pHardPhase } from "./lib/bench-chain.js";
import { measureLibp2pOverhead } from "./lib/libp2p-bench.js";

const { ethers } = await hre.network.getOrCreate();
// As scripts/bench.ts builds it.
const hard = libp2pHardPhase(await benchChain(ethers));

const rounds = Number(process.argv[2] ?? 11);
const o = await measureLibp2pOverhead({ hard, hardOnly: process.env.BOTH !== "1", rounds });
console.log(JSON.stringify({ crypto: cryptoBackend(), rounds, ...o.hard }));
if (process.env.BOTH === "1") console.log(JSON.stringify({ mockPlain: o.plainPerSec, mock: o.swap, serial: o.serial }));
