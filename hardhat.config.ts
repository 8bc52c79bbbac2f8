import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

/**
 * The compiler is the npm `solc` package (no download at build time). Its version is pinned exactly in
 * package.json and checked here, so the version Hardhat records is the version that really compiled.
 */
const SOLC_VERSION = "0.8.30";
const installedSolc: string = require("solc/package.json").version;
if (installedSolc !== SOLC_VERSION) {
  throw new Error(`hardhat.config.ts pins solc ${SOLC_VERSION} but node_modules has ${installedSolc}: run npm ci`);
}

/**
 * EVM target: Cancun. It has MCOPY (used by OpenZeppelin 5.7's SignatureChecker) and transient storage, and
 * it runs on Ethereum mainnet and Sepolia and on every OP Stack chain (OP Sepolia, Base Sepolia) since the
 * Ecotone upgrade. Later opcodes (Osaka's CLZ) are deliberately not used.
 */
const EVM_VERSION = "cancun";

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      evmVersion: EVM_VERSION,
      viaIR: true,
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  test: {
    solidity: {
      // The shared cheque vectors, read by test/solidity/Vectors.t.sol.
      fsPermissions: { readFile: ["./test/vectors/cheques.json"] },
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 40, failOnRevert: false },
    },
  },
  // Explorer verification (`npx hardhat verify --network sepolia <address> <constructor args>`); the key is read
  // only when verifying.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  networks: {
    // `hardhat test` and scripts run on the in-process "default" network unless --network is given.
    localhost: {
      type: "http",
      chainType: "l1",
      url: "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    opSepolia: {
      type: "http",
      chainType: "op",
      url: configVariable("OP_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    baseSepolia: {
      type: "http",
      chainType: "op",
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
});
