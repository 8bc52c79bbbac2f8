/**
 * Which libp2p connections carry SWAP, and hanging up on a peer.
 *
 * SWAP runs only on unlimited connections. A limited one (a circuit relay's, `connection.limits` set) may be cut
 * after a few kilobytes or seconds, mid-payment, and its traffic is paid for by a relay that agreed to nothing:
 * the service neither opens a SWAP stream on it nor accepts one (the protocol is registered without
 * `runOnLimitedConnection`), and a peer reachable only through a relay is not a SWAP peer until a direct connection
 * opens (e.g. after a DCUtR hole punch).
 */
import type { Connection } from "@libp2p/interface";

/** Whether `c` is open and unlimited: one SWAP may use. */
export function carriesSwap(c: Connection): boolean {
  return c.status === "open" && c.limits === undefined;
}

/** The first of `connections` SWAP may use, if any. */
export function swapConnection(connections: readonly Connection[]): Connection | undefined {
  return connections.find(carriesSwap);
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
