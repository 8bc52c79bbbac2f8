/**
 * What the rooms of the engine (payments out, payments in) share: the configuration, the hooks, the peers, the
 * metrics and the logger, and the few actions every room takes (send, refuse, disconnect).
 */
import type { HardPhaseOptions, SwapConfig } from "./config.js";
import type { SwapMetrics, SwapLogger } from "./metrics.js";
import type { PeerBook, PeerState } from "./peers.js";
import type { SwapMessage } from "./wire.js";

/** The shared part of one engine, handed to each room. */
export interface EngineContext {
  readonly config: SwapConfig;
  readonly hard: HardPhaseOptions | undefined;
  readonly peers: PeerBook;
  readonly metrics: SwapMetrics;
  readonly log: SwapLogger;
  now(): number;
  /** Encodes and sends; false (and a `send_failed` event) if either failed. */
  send(peer: string, message: SwapMessage): Promise<boolean>;
  /** Counts a refused message from `s`; past `maxRefusals`, disconnects it with a cool-down. */
  refused(s: PeerState, reason: string): Promise<void>;
  /** Disconnects `s` (with a cool-down if asked), and tells the host. */
  disconnect(s: PeerState, reason: string, cooldown: boolean): Promise<void>;
  /** Runs work the engine started on its own, so that `idle()` waits for it. */
  track<T>(work: Promise<T>): Promise<T>;
}
