/**
 * SWAP over libp2p (the package's `swap-chequebook/libp2p` entry): the service, its connection gater, and the
 * helper that charges a host protocol's requests. Needs `@libp2p/interface` and `@libp2p/utils` (peer
 * dependencies: the node's own libp2p provides them).
 */
export { SWAP_PROTOCOL, SwapService, swapService, type SwapServiceComponents, type SwapServiceInit, type SwapTransportStats } from "./service.js";
export { CooldownTable, swapConnectionGater, type CooldownSource } from "./cooldowns.js";
export { paidRequest, paidStreamHandler, type PaidHandlerOptions, type PaidRequest } from "./paid.js";
