/**
 * Cool-downs seen by the transport, so a peer the engine disconnected for debt or abuse is refused at the
 * connection gater, before any stream, handshake or ledger read is spent on it.
 */
import type { ConnectionGater, PeerId } from "@libp2p/interface";

/** A bounded table of peers (PeerId strings) that may not connect before a given time (unix ms). */
export class CooldownTable {
  readonly #until = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;

  /**
   * @param options.maxEntries - the most peers remembered (default 10,000); past it, ended cool-downs are dropped
   *   first, then the oldest entries. The engine's ledger still refuses a forgotten peer at `connect`.
   */
  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records that `peer` may not reconnect before `until` (unix ms); an earlier time never shortens a later one. */
  set(peer: string, until: number): void {
    if (!(until > this.#now())) return;
    const known = this.#until.get(peer) ?? 0;
    this.#until.delete(peer);
    this.#until.set(peer, Math.max(known, until));
    if (this.#until.size <= this.#max) return;
    const now = this.#now();
    for (const [p, u] of this.#until) if (u <= now) this.#until.delete(p);
    for (const p of this.#until.keys()) {
      if (this.#until.size <= this.#max) break;
      this.#until.delete(p);
    }
  }

  /** Whether `peer` is cooling down now. */
  has(peer: string): boolean {
    const until = this.#until.get(peer);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(peer);
    return false;
  }

  get size(): number {
    return this.#until.size;
  }
}

/** Something that knows which peers are cooling down: a {@link SwapService}. */
export interface CooldownSource {
  coolingDown(peer: PeerId): boolean;
}

/**
 * A libp2p connection gater that refuses peers cooling down, inbound (right after the encryption handshake names
 * the peer) and outbound (before dialling). Pass a function, since the service exists only once the node does.
 *
 * @example
 * const node = await createLibp2p({
 *   connectionGater: swapConnectionGater(() => node.services.swap),
 *   services: { swap: swapService({ accounting }) },
 * })
 */
export function swapConnectionGater(source: () => CooldownSource | undefined): ConnectionGater {
  const denied = (peer: PeerId): boolean => {
    try {
      return source()?.coolingDown(peer) ?? false;
    } catch {
      return false; // the node is still being created
    }
  };
  return {
    denyDialPeer: denied,
    denyInboundEncryptedConnection: denied,
    denyOutboundEncryptedConnection: denied,
  };
}
