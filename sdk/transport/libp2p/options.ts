/**
 * The SWAP service's options, the libp2p components it uses, and its counters.
 */
import type { Connection, Libp2pEvents, PeerId, StreamHandler, StreamHandlerOptions, TypedEventTarget } from "@libp2p/interface";

import type { SwapOptions } from "../../swap/engine.js";

/** The libp2p protocol id of Waku's SWAP specification. */
export const SWAP_PROTOCOL = "/vac/waku/swap/2.0.0-beta1";

/** Options of {@link swapService}. */
export interface SwapServiceInit {
  /** The engine's options, without hooks: the service provides them. */
  accounting: Omit<SwapOptions, "hooks">;
  /** The clock (unix ms) for the engine and the cool-downs; `Date.now` by default. */
  now?: () => number;
  /** The protocol id; {@link SWAP_PROTOCOL} by default. */
  protocol?: string;
  /** Longest SWAP frame accepted or sent, in bytes (FRAME_TOO_LARGE past it). Default 4,096. */
  maxFrameBytes?: number;
  /** How long a frame may wait and be written before it is dropped (ms). Default 10,000. */
  sendTimeoutMs?: number;
  /** Frames that may wait for one peer before new ones are dropped. Default 32. */
  maxQueuedFrames?: number;
  /** SWAP streams one connection may open to us at once (libp2p resets the rest). Default 2. */
  maxInboundStreams?: number;
  /**
   * Run SWAP on a limited connection (a circuit relay's) while the peer has no unlimited one. Default false: a peer
   * reachable only through a relay is not linked (`ready` rejects NOT_CONNECTED with `details.reason`
   * "limited_connection") until a direct connection opens. When allowed, SWAP moves to a direct connection as soon
   * as one opens, and to another connection when the one carrying it closes, each time with a new handshake, after
   * which a payment left unanswered is sent again (the peer credits it once).
   */
  runOnLimitedConnection?: boolean;
}

/** The libp2p components the service uses (a subset of what libp2p passes to services). */
export interface SwapServiceComponents {
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>;
    unhandle(protocol: string): Promise<void>;
  };
  connectionManager: {
    getConnections(peerId?: PeerId): Connection[];
  };
  events: TypedEventTarget<Libp2pEvents>;
}

/** The transport's own counters (the engine's are in `accounting.metrics`). */
export interface SwapTransportStats {
  framesIn: number;
  framesOut: number;
  /** Frames dropped on the way out (backlog, deadline, closed stream). */
  undeliverable: number;
  /** Inbound frames refused for their length; the sender's connections were closed. */
  oversized: number;
  /** Peers refused at `connect` because they were cooling down. */
  refusedCoolingDown: number;
  /**
   * Inbound SWAP streams refused because their connection is limited (a circuit relay's) and SWAP does not run on
   * one, or runs on an unlimited connection to that peer now.
   */
  refusedLimited: number;
  /** Times SWAP moved a peer's link to another connection (a direct one replaced a relay, or its connection closed). */
  carrierChanges: number;
}
