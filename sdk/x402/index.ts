/**
 * The `cheque` scheme for x402 v2: pay-per-request HTTP with SWAP cheques, on the official `@x402/core` extension
 * points (client, server) with local verification (see ./account.ts).
 */
export * from "./account.js";
export * from "./client.js";
export * from "./express.js";
export * from "./hono.js";
export * from "./facilitator.js";
export * from "./ledger.js";
export * from "./node-http.js";
export * from "./payload.js";
export * from "./server.js";
export * from "./types.js";
