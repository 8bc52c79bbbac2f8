/**
 * Back-pressure of the SWAP service's writer, against a peer that never lets a frame through: frames to it are
 * dropped (backlog at once, the rest at their deadline), counted, and never block the frames to another peer.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { lpStream, streamPair } from "@libp2p/utils";
import { expect } from "chai";

import { isChequeError, type ChequeError } from "../../sdk/index.js";
import { Outbox } from "../../sdk/transport/libp2p/outbox.js";

/** A connection whose streams never open: each attempt waits until its signal aborts. */
function stalledConnection(): Connection {
  return {
    newStream: (_protocol: string, options: { signal: AbortSignal }) =>
      new Promise<Stream>((_resolve, reject) => options.signal.addEventListener("abort", () => reject(options.signal.reason as Error), { once: true })),
  } as unknown as Connection;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isChequeError(e)) return `${e.code}:${String((e as ChequeError).details["reason"] ?? "")}`;
    throw e;
  }
  return "ok";
}

describe("SWAP over libp2p: the writer", function () {
  const dropped: string[] = [];
  const base = { protocol: "/test", maxFrameBytes: 64, onUndeliverable: (reason: string) => void dropped.push(reason) };
  beforeEach(() => void dropped.splice(0));

  it("refuses to send a frame over the limit (FRAME_TOO_LARGE) before touching the stream", async function () {
    const out = new Outbox({ ...base, peer: "p", sendTimeoutMs: 1_000, maxQueued: 4, connection: () => undefined });
    expect(await code(out.send(new Uint8Array(65)))).to.equal("FRAME_TOO_LARGE:");
    await out.close();
  });

  it("a stalled peer: frames past the queue are dropped at once, queued ones at their deadline; another peer is not held up", async function () {
    const stalled = new Outbox({ ...base, peer: "stalled", sendTimeoutMs: 20, maxQueued: 3, connection: stalledConnection });
    const queued = [1, 2, 3].map(() => stalled.send(new Uint8Array(8)));
    expect(await code(stalled.send(new Uint8Array(8)))).to.equal("UNDELIVERABLE:backlog");

    const [ours, theirs] = await streamPair();
    const healthy = new Outbox({ ...base, peer: "healthy", sendTimeoutMs: 60_000, maxQueued: 3, connection: () => ({ newStream: async () => ours }) as unknown as Connection });
    const reader = lpStream(theirs);
    for (let i = 0; i < 10; i++) {
      await healthy.send(Uint8Array.of(i));
      expect((await reader.read()).subarray()).to.deep.equal(Uint8Array.of(i));
    }
    expect(healthy.written).to.equal(10);

    expect(await Promise.all(queued.map(code))).to.deep.equal(["UNDELIVERABLE:timeout", "UNDELIVERABLE:timeout", "UNDELIVERABLE:timeout"]);
    expect(dropped.filter((d) => d === "backlog")).to.have.length(1);
    expect(dropped.filter((d) => d === "timeout")).to.have.length(3);
    await Promise.all([stalled.close(), healthy.close()]);
    expect(await code(healthy.send(new Uint8Array(1)))).to.equal("UNDELIVERABLE:closed");
  });

  it("close drops what is queued at once, whatever the deadline", async function () {
    const stalled = new Outbox({ ...base, peer: "stalled", sendTimeoutMs: 3_600_000, maxQueued: 8, connection: stalledConnection });
    const queued = [1, 2].map(() => stalled.send(new Uint8Array(8)));
    await stalled.close();
    expect(await Promise.all(queued.map(code))).to.deep.equal(["UNDELIVERABLE:closed", "UNDELIVERABLE:closed"]);
  });
});
