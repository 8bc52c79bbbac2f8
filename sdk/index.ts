/**
 * swap-chequebook SDK: sign, verify, store and cash SWAP cheques on Swarm-compatible chequebooks.
 * Runs on ethers v6 against any JSON-RPC node; nothing here depends on Hardhat.
 */
export * from "./abi.js";
export * from "./cashout.js";
export * from "./cheque.js";
export { chequebookAt, chequebookInterface, decodeRevert, erc20At, erc20Interface, factoryAt, factoryInterface, toChequeError } from "./contracts.js";
export * from "./errors.js";
export * from "./issuer.js";
export { KeyedMutex } from "./mutex.js";
export * from "./receiver.js";
export { MemoryChequeStore } from "./store/memory.js";
export { SqliteChequeStore } from "./store/sqlite.js";
export type * from "./store/types.js";
export * from "./tx.js";
export * from "./typed-data.js";
export { MAX_UINT256, toAddress, toSignature, toUint256 } from "./validate.js";
export { bytesToHex, chequeDigestBytes, cryptoBackend, domainSeparatorBytes, hexToBytes, nativeAvailable, recoverAddressLower, setCryptoBackend, signDigest } from "./crypto.js";
export * from "./verify.js";
export * from "./wire.js";
export * from "./swap/engine.js";
export * from "./swap/ledger.js";
export * from "./swap/metrics.js";
export * from "./swap/wire.js";
