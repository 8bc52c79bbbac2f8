/**
 * swap-chequebook SDK: sign, verify, store and cash SWAP cheques on Swarm-compatible chequebooks.
 * Runs on ethers v6 against any JSON-RPC node; nothing here depends on Hardhat.
 */
export * from "./chain/abi.js";
export * from "./beneficiary/cashout.js";
export type { CashoutExecutor, CashoutItemReport, CashoutItemStatus } from "./beneficiary/executor.js";
export { sequentialCashout } from "./beneficiary/sequential.js";
export { CashoutScheduler, type CashoutSchedulerOptions, type StepResult } from "./beneficiary/scheduler.js";
export { coverRisk, fingerprint, hardDepositAfterDecrease, owedAndPayable, readChequebookState, type ChequebookState, type WatchReason } from "./beneficiary/watch-policy.js";
export { TRANSFER_TOPIC, touchedChequebooks, type FollowedChequebook } from "./beneficiary/watch-logs.js";
export { describeWatchEvent, watchEventJson, type WatchDecisionItem, type WatchEvent } from "./beneficiary/watch-report.js";
export * from "./cheque/cheque.js";
export { chequebookAt, chequebookInterface, decodeRevert, erc20At, erc20Interface, factoryAt, factoryInterface, toChequeError } from "./chain/contracts.js";
export * from "./errors.js";
export { configureRpc, guardProvider, rpcDefaults, withDeadline, type GuardProviderOptions, type RpcGuardOptions } from "./chain/guard.js";
export * from "./issuer/issuer.js";
export { KeyedMutex } from "./mutex.js";
export * from "./beneficiary/receiver.js";
export { MemoryChequeStore } from "./store/memory.js";
export { SqliteChequeStore, type SqlAccess, type SqliteStoreOptions } from "./store/sqlite.js";
export { DEFAULT_BUSY_TIMEOUT_MS, SQLITE_SYNC_BUSY_MS, SqliteFile, isSqliteBusy, type SqliteBusyEvent, type SqliteBusyOptions, type SqliteFileOptions } from "./store/sqlite-file.js";
export type * from "./store/types.js";
export { acrossProcesses } from "./store/types.js";
export { PostgresChequeStore } from "./store/postgres/cheques.js";
export { PostgresLedgerStore } from "./store/postgres/ledger.js";
export type { PostgresStoreOptions } from "./store/postgres/database.js";
export { isPostgresUrl } from "./store/postgres/url.js";
export { openChequeStore, openLedgerStore, type OpenStoreOptions } from "./store/open.js";
export * from "./chain/tx.js";
export * from "./cheque/typed-data.js";
export { MAX_UINT256, toAddress, toSignature, toUint256 } from "./validate.js";
export { bytesToHex, chequeDigestBytes, cryptoBackend, domainSeparatorBytes, hexToBytes, nativeAvailable, recoverAddressLower, setCryptoBackend, signDigest } from "./cheque/crypto.js";
export * from "./beneficiary/verify.js";
export * from "./cheque/wire.js";
export * from "./swap/engine.js";
export * from "./swap/ledger.js";
export * from "./swap/metrics.js";
export * from "./swap/wire.js";
export { delegateAccount, delegationOf } from "./beneficiary/delegation.js";
export { BatchCasher, cashoutDelegateInterface, type BatchCasherOptions } from "./beneficiary/batch.js";
