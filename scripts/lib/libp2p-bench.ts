/**
 * SWAP's overhead per message over libp2p: two nodes (TCP on 127.0.0.1, Noise, Yamux) in one process, a client
 * asking a server for one message at a time on a long-lived stream. The same flow runs with no SWAP at all (the
 * baseline) and with every message reserved, served and booked on both sides (mock phase, payments included).
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { createLibp2p } from "libp2p";

import { MemoryLedgerStore } from "../../sdk/index.js";
import { swapService, type SwapService } from "../../sdk/transport/libp2p/index.js";

const PROTOCOL = "/bench/echo/1.0.0";
type Node = Libp2p<{ swap: SwapService }>;

async function benchNode(): Promise<Node> {
  return createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      swap: swapService({ accounting: { config: { phase: "mock", paymentThreshold: 100n, disconnectThreshold: 150n, earlyPaymentPercent: 50 }, ledger: new MemoryLedgerStore() } }),
    },
  });
}

/**
 * Messages per second for `ms` of one-at-a-time requests, `paid` or not. With `serial`, each booking must be
 * durable before the next request; without, bookings complete in the background (the reservation already counts
 * against the thresholds) and all of them are awaited before the clock stops.
 */
async function run(paid: boolean, ms: number, serial = false): Promise<number> {
  const [client, server] = await Promise.all([benchNode(), benchNode()]);
  try {
    const message = new Uint8Array(256).fill(7);
    const bookings: Promise<void>[] = [];
    const book = async (p: Promise<void>) => {
      if (serial) await p;
      else bookings.push(p);
    };
    await server.handle(PROTOCOL, async (stream: Stream, connection) => {
      const lp = lpStream(stream);
      const peer = connection.remotePeer.toString();
      for (;;) {
        try {
          await lp.read();
        } catch {
          return;
        }
        if (paid) {
          const r = await server.services.swap.accounting.reserveProvide(peer, "store", 1);
          await lp.write(message);
          await book(r.apply());
        } else {
          await lp.write(message);
        }
      }
    });
    await client.dial(server.getMultiaddrs());
    await client.services.swap.ready(server.peerId);
    const serverId = server.peerId.toString();
    const lp = lpStream(await client.dialProtocol(server.peerId, PROTOCOL));
    const one = async () => {
      if (paid) {
        const c = await client.services.swap.accounting.reserveConsume(serverId, "store", 1);
        await lp.write(Uint8Array.of(1));
        await lp.read();
        await book(c.apply());
      } else {
        await lp.write(Uint8Array.of(1));
        await lp.read();
      }
    };
    const warm = performance.now() + 150;
    while (performance.now() < warm) await one();
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      await one();
      n++;
    }
    await Promise.all(bookings);
    return n / ((performance.now() - start) / 1000);
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}

/** What {@link measureLibp2pOverhead} reports (rates in messages per second). */
export interface Libp2pOverhead {
  plainPerSec: number;
  swapPerSec: number;
  overheadPercent: number;
  /** Each booking awaited before the next request. */
  swapSerialPerSec: number;
  overheadSerialPercent: number;
}

/** Paid and unpaid message rates through libp2p, the median of three alternating runs each. */
export async function measureLibp2pOverhead(ms = 700): Promise<Libp2pOverhead> {
  const plain: number[] = [];
  const swap: number[] = [];
  const serial: number[] = [];
  for (let i = 0; i < 3; i++) {
    plain.push(await run(false, ms));
    swap.push(await run(true, ms));
    serial.push(await run(true, ms, true));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
  const plainPerSec = median(plain);
  const swapPerSec = median(swap);
  const swapSerialPerSec = median(serial);
  return {
    plainPerSec, swapPerSec, swapSerialPerSec,
    overheadPercent: (plainPerSec / swapPerSec - 1) * 100,
    overheadSerialPercent: (plainPerSec / swapSerialPerSec - 1) * 100,
  };
}
