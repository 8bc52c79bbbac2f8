/**
 * SWAP's overhead per message over libp2p: two nodes (TCP on 127.0.0.1, Noise, Yamux) in one process, a client
 * asking a server for one message at a time on a long-lived stream. On the same two nodes and the same connection,
 * one protocol serves with no SWAP at all (the baseline) and another reserves, serves and books every message on
 * both sides, payments included (mock phase: mock payments; hard phase: signed cheques, verified and stored).
 *
 * The machine may be shared: baseline and paid runs alternate, their order flips every round, and each figure is
 * the median over the rounds of the ratio within a round, so load that comes and goes hits both sides alike.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { createLibp2p } from "libp2p";

import { MemoryLedgerStore, type HardPhaseOptions, type SwapConfig } from "../../sdk/index.js";
import { swapService, type SwapService } from "../../sdk/transport/libp2p/index.js";

const PLAIN = "/bench/plain/1.0.0";
const PAID = "/bench/paid/1.0.0";
type Node = Libp2p<{ swap: SwapService }>;
const TERMS = { paymentThreshold: 100n, disconnectThreshold: 150n, earlyPaymentPercent: 50 };

async function benchNode(config: Partial<SwapConfig> & { phase: "mock" | "hard" }, hard: HardPhaseOptions | undefined): Promise<Node> {
  const accounting: Parameters<typeof swapService>[0]["accounting"] = { config, ledger: new MemoryLedgerStore() };
  if (hard !== undefined) accounting.hard = hard;
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: { swap: swapService({ accounting }) },
  });
}

/** One request and its answer; `bookings` collects the bookings left to complete in the background. */
type Exchange = (bookings: Promise<void>[]) => Promise<void>;

interface Pair {
  plain: Exchange;
  paid: Exchange;
  /** Each booking made durable before the next request. */
  serial: Exchange;
  stop(): Promise<void>;
}

/** Two connected nodes, ready (handshakes accepted), with a plain and a paid echo protocol on the server. */
async function pair(config: Partial<SwapConfig> & { phase: "mock" | "hard" }, hard?: { client: HardPhaseOptions; server: HardPhaseOptions }): Promise<Pair> {
  const [client, server] = await Promise.all([benchNode(config, hard?.client), benchNode(config, hard?.server)]);
  const message = new Uint8Array(256).fill(7);
  const serve = (paid: boolean) => async (stream: Stream, connection: { remotePeer: { toString(): string } }) => {
    const lp = lpStream(stream);
    const peer = connection.remotePeer.toString();
    for (;;) {
      let request;
      try {
        request = await lp.read();
      } catch {
        return;
      }
      if (!paid) {
        await lp.write(message);
        continue;
      }
      const r = await server.services.swap.accounting.reserveProvide(peer, "store", 1);
      await lp.write(message);
      const booked = r.apply();
      // The client asks for a durable booking (byte 2) or lets it complete in the background (byte 1).
      if (request.get(0) === 2) await booked;
      else void booked.catch(() => undefined);
    }
  };
  await server.handle(PLAIN, serve(false));
  await server.handle(PAID, serve(true));
  await client.dial(server.getMultiaddrs());
  await client.services.swap.ready(server.peerId);
  const serverId = server.peerId.toString();
  const plain = lpStream(await client.dialProtocol(server.peerId, PLAIN));
  const paid = lpStream(await client.dialProtocol(server.peerId, PAID));
  const swap = client.services.swap.accounting;
  const background = Uint8Array.of(1);
  const durable = Uint8Array.of(2);
  return {
    plain: async () => {
      await plain.write(background);
      await plain.read();
    },
    paid: async (bookings) => {
      const c = await swap.reserveConsume(serverId, "store", 1);
      await paid.write(background);
      await paid.read();
      bookings.push(c.apply());
    },
    serial: async () => {
      const c = await swap.reserveConsume(serverId, "store", 1);
      await paid.write(durable);
      await paid.read();
      await c.apply();
    },
    stop: async () => {
      await Promise.all([client.services.swap.accounting.idle(), server.services.swap.accounting.idle()]);
      await Promise.all([client.stop(), server.stop()]);
    },
  };
}

/** Messages per second over `ms` (after a warm-up), and the process's CPU time per message (µs). */
async function rate(exchange: Exchange, ms: number): Promise<{ perSec: number; cpuUs: number }> {
  const bookings: Promise<void>[] = [];
  const warm = performance.now() + 100;
  while (performance.now() < warm) await exchange(bookings);
  await Promise.all(bookings.splice(0));
  const cpu = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await exchange(bookings);
    n++;
  }
  // Every booking is durable before the clock stops.
  await Promise.all(bookings);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSec: n / seconds, cpuUs: (used.user + used.system) / n };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One flow's figures: median rates, and the median over rounds of the per-round overhead against the baseline. */
export interface FlowFigures {
  perSec: number;
  /** `plain rate / this rate - 1`, in %, the median of the rounds. */
  overheadPercent: number;
  /** `this CPU per message / plain CPU per message - 1`, in %, the median of the rounds. */
  cpuOverheadPercent: number;
}

/** What {@link measureLibp2pOverhead} reports (rates in messages per second). */
export interface Libp2pOverhead {
  rounds: number;
  plainPerSec: number;
  /** Mock phase, bookings completing in the background (all durable before the clock stops). */
  swap: FlowFigures;
  /** Mock phase, each booking awaited on both sides before the next request. */
  serial: FlowFigures;
  /** Hard phase (cheques on the local chain), bookings in the background; measured only when `hard` is given. */
  hard?: FlowFigures & { plainPerSec: number };
}

async function rounds(p: Pair, flows: Array<"paid" | "serial">, n: number, ms: number) {
  const plain: Array<{ perSec: number; cpuUs: number }> = [];
  const runs = new Map(flows.map((f) => [f, [] as Array<{ perSec: number; cpuUs: number }>]));
  // A round not counted: the first runs pay for compiling the code paths, which would favour whichever runs later.
  for (const f of ["plain", ...flows] as const) await rate(p[f], ms / 2);
  for (let i = 0; i < n; i++) {
    const order: Array<"plain" | "paid" | "serial"> = ["plain", ...flows];
    if (i % 2 === 1) order.reverse();
    for (const f of order) {
      const r = await rate(p[f], ms);
      (f === "plain" ? plain : runs.get(f)!).push(r);
    }
  }
  const figures = (xs: Array<{ perSec: number; cpuUs: number }>): FlowFigures => ({
    perSec: median(xs.map((x) => x.perSec)),
    overheadPercent: median(xs.map((x, i) => (plain[i]!.perSec / x.perSec - 1) * 100)),
    cpuOverheadPercent: median(xs.map((x, i) => (x.cpuUs / plain[i]!.cpuUs - 1) * 100)),
  });
  return { plainPerSec: median(plain.map((x) => x.perSec)), figures: new Map(flows.map((f) => [f, figures(runs.get(f)!)])) };
}

/**
 * Paid and unpaid message rates through libp2p, in `n` alternating rounds of `ms` per flow. With `hard`, the hard
 * phase too: `hard()` gives each node its chequebook, verifier and store on a chain it can reach.
 */
export async function measureLibp2pOverhead(options: {
  rounds?: number;
  ms?: number;
  hard?: () => Promise<{ client: HardPhaseOptions; server: HardPhaseOptions; tokenPerUnit: bigint }>;
  /** Skip the mock phase (profiling the hard phase alone); its figures are then NaN. */
  hardOnly?: boolean;
} = {}): Promise<Libp2pOverhead> {
  const n = options.rounds ?? 11;
  const ms = options.ms ?? 300;
  const none: FlowFigures = { perSec: NaN, overheadPercent: NaN, cpuOverheadPercent: NaN };
  let result: Libp2pOverhead = { rounds: n, plainPerSec: NaN, swap: none, serial: none };
  if (options.hardOnly !== true) {
    const mock = await pair({ phase: "mock", ...TERMS });
    try {
      const r = await rounds(mock, ["paid", "serial"], n, ms);
      result = { rounds: n, plainPerSec: r.plainPerSec, swap: r.figures.get("paid")!, serial: r.figures.get("serial")! };
    } finally {
      await mock.stop();
    }
  }
  if (options.hard !== undefined) {
    const h = await options.hard();
    const hard = await pair({ phase: "hard", ...TERMS, tokenPerUnit: h.tokenPerUnit }, h);
    try {
      const r = await rounds(hard, ["paid"], n, ms);
      result.hard = { ...r.figures.get("paid")!, plainPerSec: r.plainPerSec };
    } finally {
      await hard.stop();
    }
  }
  return result;
}
