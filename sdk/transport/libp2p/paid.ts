/**
 * Charging a host's request/response protocols through SWAP: each request reserves its units before it is served,
 * books them once served, and gives them back if serving failed. Reservations count against the thresholds at
 * once, so concurrent requests cannot take a peer past them.
 */
import type { Connection, Stream, StreamHandler } from "@libp2p/interface";

import type { SwapAccounting } from "../../swap/engine.js";
import type { SwapLogger } from "../../swap/metrics.js";

/** What a paid handler gets for one request. */
export interface PaidRequest {
  stream: Stream;
  connection: Connection;
  /** The requesting peer (PeerId string): the ledger charged. */
  peer: string;
  /**
   * Reserves `count` messages of the protocol, runs `serve`, and books them if it resolves, or if it throws because
   * the peer reset the stream or dropped the connection meanwhile (it may hold most of what was served); gives them
   * back if serving failed on our side. Throws OUT_OF_BOUNDS (the peer was disconnected) or NOT_CONNECTED before serving anything.
   */
  charge<T>(count: number, serve: () => Promise<T>): Promise<T>;
}

/** Options of {@link paidStreamHandler}. */
export interface PaidHandlerOptions {
  /** The engine (a function, since the SWAP service opens it on start): `() => node.services.swap.accounting`. */
  accounting: () => SwapAccounting;
  /** The accounting protocol name, which picks the price (`prices[protocol]`). */
  protocol: string;
  /** Reads the request, and serves it inside `charge`. */
  handle(request: PaidRequest): Promise<void>;
  logger?: SwapLogger;
}

/**
 * Wraps a libp2p stream handler so each request is charged to the requesting peer. A request that throws (the
 * peer's debt would pass our disconnect threshold, or serving failed) has its stream aborted; units reserved for it
 * are given back when serving failed on our side, and booked when the peer reset the stream or dropped the
 * connection mid-serve (else a consumer could read most of a page and reset before the last write, for free).
 *
 * @example
 * await node.handle("/vac/waku/store/2.0.0", paidStreamHandler({
 *   accounting: () => node.services.swap.accounting, protocol: "store",
 *   handle: async ({ stream, charge }) => {
 *     const query = await readQuery(stream)
 *     const page = lookUp(query)
 *     await charge(page.length, () => writePage(stream, page))
 *   },
 * }))
 */
export function paidStreamHandler(options: PaidHandlerOptions): StreamHandler {
  return (stream, connection) => {
    const swap = options.accounting();
    const work = serveRequest(options, swap, stream, connection);
    let running = inFlight.get(swap);
    if (running === undefined) inFlight.set(swap, (running = new Set()));
    running.add(work);
    return work.finally(() => running.delete(work));
  };
}

/** Paid requests in flight per engine, so the service's `stop` books them before it closes the ledger. */
const inFlight = new WeakMap<SwapAccounting, Set<Promise<void>>>();

/** How many paid requests are in flight on `swap` (internal: the service's `stop` asks). */
export function paidRequestsInFlight(swap: SwapAccounting): number {
  return inFlight.get(swap)?.size ?? 0;
}

/** Resolves once no paid request is in flight on `swap`, including ones that start meanwhile (internal). */
export async function paidRequestsSettled(swap: SwapAccounting): Promise<void> {
  const running = inFlight.get(swap);
  while (running !== undefined && running.size > 0) await Promise.allSettled([...running]);
}

/** Serves one request of a {@link paidStreamHandler}. */
async function serveRequest(options: PaidHandlerOptions, swap: SwapAccounting, stream: Stream, connection: Connection): Promise<void> {
  const peer = connection.remotePeer.toString();
  const charge = async <T>(count: number, serve: () => Promise<T>): Promise<T> => {
    const reservation = await swap.reserveProvide(peer, options.protocol, count);
    let served: T;
    try {
      served = await serve();
    } catch (error) {
      // The peer walked away mid-serve (reset the stream or dropped the connection): it asked for these units
      // and may hold most of them, so they are booked. Only a failure on our side gives them back.
      if (endedByPeer(stream, connection)) await reservation.apply();
      else reservation.release();
      throw error;
    }
    await reservation.apply();
    return served;
  };
  try {
    await options.handle({ stream, connection, peer, charge });
  } catch (error) {
    options.logger?.({ level: "warn", event: "paid_request_failed", peer, protocol: options.protocol, error: String(error).slice(0, 200) });
    stream.abort(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Whether the peer ended the request: it reset the stream, or its connection is gone. */
function endedByPeer(stream: Stream, connection: Connection): boolean {
  return stream.status === "reset" || connection.status !== "open";
}

/**
 * The consumer's side: reserves what `count` messages of `protocol` from `peer` will cost (paying first if our
 * debt calls for it), runs `ask`, and books the units if it resolves or gives them back if it throws.
 *
 * @throws ChequeError OVERDRAFT if we cannot pay in time; NOT_CONNECTED; whatever `ask` throws.
 * @example const page = await paidRequest(swap, peer, "store", 20, () => queryStore(peer, query))
 */
export async function paidRequest<T>(swap: SwapAccounting, peer: string, protocol: string, count: number, ask: () => Promise<T>): Promise<T> {
  const reservation = await swap.reserveConsume(peer, protocol, count);
  let answer: T;
  try {
    answer = await ask();
  } catch (error) {
    reservation.release();
    throw error;
  }
  await reservation.apply();
  return answer;
}
