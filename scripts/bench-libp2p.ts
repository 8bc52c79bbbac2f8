/**
 * SWAP over libp2p, measured in a process of its own (what `npm run bench` reports as `libp2pSwapOverheadPercent*`):
 * the mock phase, then the hard phase on the in-process chain, with the chequebooks and flow of
 * `scripts/lib/libp2p-bench.ts`. The main bench runs it as a child process, so that the figures do not depend on
 * what the sections before it left behind (a heap of 100,000 peers, the SDK's functions compiled for other ledgers).
 *
 *   npx hardhat compile && node --no-warnings --import tsx scripts/bench-libp2p.ts [rounds] [--hard-only]
 *
 * Add `--cpu-prof` to node's options to profile. Prints the figures as one JSON line (NaN for a phase not run).
 */
import hre from "hardhat";

import { cryptoBackend } from "../sdk/index.js";
import { benchChain, libp2pHardPhase } from "./lib/bench-chain.js";
import { measureLibp2pOverhead } from "./lib/libp2p-bench.js";

const { ethers } = await hre.network.getOrCreate();
const hard = libp2pHardPhase(await benchChain(ethers));
const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 11);
const o = await measureLibp2pOverhead({ hard, hardOnly: process.argv.includes("--hard-only"), rounds });
console.log(JSON.stringify({ crypto: cryptoBackend(), ...o }, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
