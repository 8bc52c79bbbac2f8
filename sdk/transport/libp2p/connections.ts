/**
 * Which libp2p connections carry SWAP, and hanging up on a peer.
 *
 * By default SWAP runs only on unlimited connections. A limited one (a circuit relay's, `connection.limits` set)
 * may be cut after a few kilobytes or seconds, mid-payment, and its traffic is paid for by a relay that agreed to
 * nothing: the service neither opens a SWAP stream on it nor accepts one (the protocol is registered without
 * `runOnLimitedConnection`), and a peer reachable only through a relay is not a SWAP peer until a direct connection
 * opens (e.g. after a DCUtR hole punch). With the service's `runOnLimitedConnection` a limited connection carries
 * SWAP while the peer has no unlimited one.
 */
import type { Connection } from "@libp2p/interface";

/** Whether `c` is limited (a circuit relay's: the relay resets it past a data or duration cap). */
export function isLimited(c: Connection): boolean {
  return c.limits !== undefined;
}

/** Whether `c` is open and SWAP may use it: unlimited, or limited if `allowLimited`. */
export function carriesSwap(c: Connection, allowLimited = false): boolean {
  return c.status === "open" && (allowLimited || !isLimited(c));
}

/** The connection SWAP should use among `connections`: the first open unlimited one, else (if allowed) a limited one. */
export function swapConnection(connections: readonly Connection[], allowLimited = false): Connection | undefined {
  return connections.find((c) => carriesSwap(c)) ?? (allowLimited ? connections.find((c) => carriesSwap(c, true)) : undefined);
}

/** Closes each of `connections`; one that does not close gracefully within `timeoutMs` is aborted. */
export async function closeAll(connections: readonly Connection[], timeoutMs: number): Promise<void> {
  await Promise.all(
    connections.map(async (c) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error("close timeout")), timeoutMs);
      try {
        await c.close({ signal: controller.signal });
      } catch (error) {
        c.abort(error instanceof Error ? error : new Error(String(error)));
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
