/**
 * A simulated network for SWAP tests: nodes exchange SWAP bytes through an in-memory transport that delivers
 * asynchronously, in order, per link; a "store" protocol lets a client fetch N history messages from a server.
 */
import { MemoryLedgerStore, SwapAccounting, type LedgerStore, type SwapConfig, type SwapLogEvent, type SwapOptions } from "../../sdk/index.js";

export class Clock {
  constructor(public ms = 1_700_000_000_000) {}
  now = () => this.ms;
  advance(ms: number) {
    this.ms += ms;
  }
}

export interface SimNode {
  id: string;
  swap: SwapAccounting;
  logs: SwapLogEvent[];
  ledger: LedgerStore;
  served: number;
  /** Errors thrown by the engine while handling delivered bytes. */
  errors: Error[];
}

export class SimNetwork {
  readonly nodes = new Map<string, SimNode>();
  readonly links = new Set<string>();
  readonly clock = new Clock();
  #inflight = new Set<Promise<void>>();

  async add(id: string, config: Partial<SwapConfig> & { phase: SwapConfig["phase"] }, extra: Partial<SwapOptions> = {}, ledger: LedgerStore = new MemoryLedgerStore()): Promise<SimNode> {
    const logs: SwapLogEvent[] = [];
    const node: SimNode = { id, logs, ledger, served: 0, errors: [], swap: undefined as never };
    node.swap = await SwapAccounting.open({
      config: { cooldownMs: 60_000, paymentTimeoutMs: 2_000, ...config },
      hooks: {
        send: (peer, bytes) => this.#deliver(id, peer, bytes),
        disconnect: (peer) => this.#cut(id, peer),
        now: this.clock.now,
      },
      ledger,
      logger: (e) => logs.push(e),
      ...extra,
    });
    this.nodes.set(id, node);
    return node;
  }

  #key(a: string, b: string) {
    return [a, b].sort().join("|");
  }

  /** Connects two nodes: both register the connection and exchange handshakes. */
  async connect(a: string, b: string): Promise<void> {
    const na = this.nodes.get(a)!, nb = this.nodes.get(b)!;
    this.links.add(this.#key(a, b));
    try {
      await na.swap.connect(b);
      await nb.swap.connect(a);
    } catch (error) {
      this.#cut(a, b);
      throw error;
    }
    await this.settle();
  }

  connected(a: string, b: string): boolean {
    return this.links.has(this.#key(a, b));
  }

  #cut(a: string, b: string): void {
    this.links.delete(this.#key(a, b));
    this.nodes.get(a)?.swap.disconnected(b);
    this.nodes.get(b)?.swap.disconnected(a);
  }

  #deliver(from: string, to: string, bytes: Uint8Array): void {
    if (!this.connected(from, to)) throw new Error(`${from} is not connected to ${to}`);
    const target = this.nodes.get(to)!;
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (this.connected(from, to) ? target.swap.handle(from, bytes) : undefined))
      .catch((error: Error) => void target.errors.push(error));
    this.#inflight.add(delivery);
    void delivery.finally(() => this.#inflight.delete(delivery));
  }

  /** Waits until no bytes are in transit and no engine has work pending. */
  async settle(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await Promise.all([...this.#inflight]);
      await Promise.all([...this.nodes.values()].map((n) => n.swap.idle()));
      if (this.#inflight.size === 0) return;
    }
  }

  /**
   * `client` fetches `n` history messages from `server`: the client reserves what it will owe (paying first if
   * needed), the server reserves what it is owed, serves, and both book it.
   */
  async history(client: string, server: string, n: number): Promise<void> {
    const c = this.nodes.get(client)!, s = this.nodes.get(server)!;
    const consume = await c.swap.reserveConsume(server, "store", n);
    let provide;
    try {
      provide = await s.swap.reserveProvide(client, "store", n);
    } catch (error) {
      consume.release();
      throw error;
    }
    s.served += n;
    await provide.apply();
    await consume.apply();
  }
}

/** `inner` without `saveNow`: the engine then writes the changes of one turn together, as with a durable store. */
export function batchedLedger(inner: MemoryLedgerStore): LedgerStore {
  return {
    loadAll: () => inner.loadAll(),
    load: (peer) => inner.load(peer),
    save: (l) => inner.save(l),
    close: () => inner.close(),
  };
}
