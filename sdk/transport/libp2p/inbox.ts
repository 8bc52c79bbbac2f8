/**
 * Reads SWAP frames from one inbound stream, one at a time: the next frame is read only once the previous one is
 * handled, so a peer that floods us waits on its own stream (its muxer window fills) and never on anyone else's.
 * The length prefix is checked against the limit before the frame is read.
 */
import type { Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";

/** Options of {@link readFrames}. */
export interface ReadFramesOptions {
  stream: Stream;
  maxFrameBytes: number;
  /** Frames wait for this (the engine's `connect` for the peer) before they are handled. */
  ready: Promise<void>;
  onFrame(frame: Uint8Array): Promise<void>;
  /** A frame announced a length past the limit (or a length prefix longer than any allowed length). */
  onOversized(length: number | undefined): Promise<void>;
}

const OVERSIZED = new Set(["InvalidDataLengthError", "InvalidDataLengthLengthError"]);

/** Reads until the stream ends, fails or sends an oversized frame (then the stream is aborted). */
export async function readFrames(o: ReadFramesOptions): Promise<void> {
  const lp = lpStream(o.stream, { maxDataLength: o.maxFrameBytes });
  await o.ready;
  for (;;) {
    let frame: Uint8Array;
    try {
      frame = (await lp.read()).subarray();
    } catch (error) {
      const name = (error as Error).name;
      if (OVERSIZED.has(name)) {
        const m = /(\d+) >/.exec((error as Error).message);
        o.stream.abort(new Error("SWAP frame too large"));
        await o.onOversized(m === null ? undefined : Number(m[1]));
      } else if (o.stream.status === "open") {
        o.stream.abort(error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    await o.onFrame(frame);
  }
}
