/**
 * Writes SWAP frames to one peer: one long-lived outbound stream, opened on the first write and reopened after a
 * failure, frames written in order, each with a deadline counted from when it was queued. A stalled peer fills
 * only its own queue; past `maxQueued` frames, or past the deadline, a frame is dropped with UNDELIVERABLE.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { lpStream, type LengthPrefixedStream } from "@libp2p/utils";

import { ChequeError } from "../../errors.js";

/** What an {@link Outbox} needs from its service. */
export interface OutboxOptions {
  peer: string;
  protocol: string;
  maxFrameBytes: number;
  sendTimeoutMs: number;
  maxQueued: number;
  /** Whether the connection may be a limited one (a relay's): libp2p opens streams there only if told so. */
  runOnLimitedConnection?: boolean;
  /** An open connection to the peer, if there is one. */
  connection(): Connection | undefined;
  /** Called once per frame dropped, with why. */
  onUndeliverable(reason: "backlog" | "timeout" | "closed", error: unknown): void;
}

interface Pending {
  timer: ReturnType<typeof setTimeout>;
  controller: AbortController;
}

/** The outbound side of one peer's SWAP link. */
export class Outbox {
  readonly #o: OutboxOptions;
  #lp: LengthPrefixedStream<Stream> | undefined;
  /** The stream under `#lp` (unwrapping `#lp` would end its use). */
  #stream: Stream | undefined;
  #tail: Promise<void> = Promise.resolve();
  readonly #pending = new Set<Pending>();
  #closed = false;
  /** Frames written, for the service's counters. */
  written = 0;

  constructor(options: OutboxOptions) {
    this.#o = options;
  }

  /** The open outbound stream, if any (tests look at it). */
  get stream(): Stream | undefined {
    return this.#stream;
  }

  /**
   * Queues `bytes` as one frame. Resolves once written to the stream (not once the peer read it).
   *
   * @throws ChequeError FRAME_TOO_LARGE; UNDELIVERABLE (backlog, timeout, closed).
   */
  send(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.#o.maxFrameBytes) {
      return Promise.reject(new ChequeError("FRAME_TOO_LARGE", `a ${bytes.byteLength}-byte SWAP frame exceeds the ${this.#o.maxFrameBytes}-byte limit`, {
        details: { length: bytes.byteLength, max: this.#o.maxFrameBytes },
      }));
    }
    if (this.#closed) return Promise.reject(this.#undeliverable("closed"));
    if (this.#pending.size >= this.#o.maxQueued) return Promise.reject(this.#undeliverable("backlog"));
    const controller = new AbortController();
    const entry: Pending = { controller, timer: setTimeout(() => controller.abort(new Error("deadline")), this.#o.sendTimeoutMs) };
    this.#pending.add(entry);
    const run = this.#tail.then(() => this.#write(bytes, controller.signal));
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      clearTimeout(entry.timer);
      this.#pending.delete(entry);
    });
  }

  async #write(bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.#closed) throw this.#undeliverable("closed");
    if (signal.aborted) throw this.#undeliverable("timeout");
    try {
      if (this.#lp === undefined || this.#stream?.writeStatus !== "writable") {
        const connection = this.#o.connection();
        if (connection === undefined) throw new Error("no open connection");
        const stream = await connection.newStream(this.#o.protocol, { signal, runOnLimitedConnection: this.#o.runOnLimitedConnection ?? false });
        if (this.#closed) {
          stream.abort(new Error("SWAP service stopped"));
          throw new Error("closed");
        }
        this.#stream = stream;
        this.#lp = lpStream(stream, { maxDataLength: this.#o.maxFrameBytes });
      }
      await this.#lp.write(bytes, { signal });
      this.written++;
    } catch (error) {
      // A frame may be half written: drop the stream, the next frame opens a new one.
      this.#stream?.abort(new Error("SWAP write failed"));
      this.#stream = undefined;
      this.#lp = undefined;
      throw this.#undeliverable(this.#closed ? "closed" : signal.aborted ? "timeout" : "closed", error);
    }
  }

  #undeliverable(reason: "backlog" | "timeout" | "closed", cause?: unknown): ChequeError {
    this.#o.onUndeliverable(reason, cause);
    return new ChequeError("UNDELIVERABLE", `SWAP message to ${this.#o.peer} dropped (${reason})`, {
      details: { peer: this.#o.peer, reason },
      cause,
    });
  }

  /** Drops every queued frame and aborts the stream. Resolves once the queue has drained. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#pending) p.controller.abort(new Error("closed"));
    this.#stream?.abort(new Error("SWAP link closed"));
    this.#stream = undefined;
    this.#lp = undefined;
    await this.#tail;
  }
}
