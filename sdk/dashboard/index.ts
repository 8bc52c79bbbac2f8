/**
 * The operator's dashboard (the `swap-chequebook/dashboard` entry): a page and one JSON API over a node's figures,
 * served by node:http on 127.0.0.1. See the README's "Dashboard".
 */
export * from "./alerts.js";
export * from "./events.js";
export { collectSnapshot, toApiJson, type AlertOptions, type DashboardSnapshot, type DashboardSources, type HeldRow, type OwnFigures, type PeerRow, type SnapshotState } from "./figures.js";
export { TOKEN_HEADER, newToken, tokenMatches } from "./guard.js";
export { ledgerPeers } from "./ledger-peers.js";
export * from "./server.js";
export { SpendTracker } from "./spend.js";
