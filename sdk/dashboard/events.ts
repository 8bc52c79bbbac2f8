/**
 * The dashboard's feed of recent events: a bounded ring of what the SWAP engine logged (cheques, refusals with their
 * codes, disconnects) and what the dashboard did itself (cash-outs, deposits, refused actions). Only our own vocabulary goes in: event
 * names from a fixed list, codes the engine already mapped to its own (`peerReason`), amounts as decimal strings.
 * Free text a peer sent is left out; the peer's id is kept (cut to 100 characters), and the page shows it as text.
 */
import type { SwapLogEvent, SwapLogger } from "../swap/metrics.js";

/** One event as the API serves it. */
export interface DashboardEvent {
  /** Increasing number, so a client can tell new events from old ones. */
  seq: number;
  /** Unix milliseconds. */
  at: number;
  level: "info" | "warn" | "error";
  /** A name from {@link DASHBOARD_EVENT_NAMES}. */
  event: string;
  peer?: string;
  /** A stable code (a ChequeError code, a disconnect reason, a cash-out status). */
  code?: string;
  /** Token base units or accounting units, as a decimal string. */
  amount?: string;
  chequebook?: string;
  txHash?: string;
}

/** The engine events the feed keeps, and the field of each that carries its amount. */
const ENGINE_EVENTS = new Map<string, { amount?: string; code?: string }>(Object.entries({
  cheque_received: { amount: "credited" },
  cheque_sent: { amount: "units" },
  cheque_rejected: { code: "reason" },
  payment_accepted: { amount: "units" },
  payment_refused: { amount: "units", code: "reason" },
  disconnected: { code: "reason" },
  too_many_refusals: { code: "last" },
  reconnect_refused: {},
  handshake: {},
  out_of_bounds: { code: "level" },
  overpayment_not_credited: { amount: "units" },
}));

/** Every event name the feed may carry (engine events, then the dashboard's own). */
export const DASHBOARD_EVENT_NAMES: readonly string[] = [...ENGINE_EVENTS.keys(), "cashout", "deposit", "action_refused"];

const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

function amountOf(value: unknown): string | undefined {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** A bounded feed of recent events. */
export class DashboardEvents {
  readonly #max: number;
  readonly #ring: DashboardEvent[] = [];
  readonly #listeners = new Set<() => void>();
  #seq = 0;

  /** @param max - how many events to keep (default 200). */
  constructor(max = 200) {
    if (!(Number.isSafeInteger(max) && max > 0)) throw new RangeError("max must be a positive integer");
    this.#max = max;
  }

  /**
   * A logger to give the SWAP engine: keeps the events the dashboard shows, then passes every event on to `next`.
   *
   * @example const events = new DashboardEvents(); const swap = await SwapAccounting.open({ ..., logger: events.logger(jsonLineLogger()) })
   */
  logger(next?: SwapLogger): SwapLogger {
    return (e) => {
      this.#fromEngine(e);
      next?.(e);
    };
  }

  #fromEngine(e: SwapLogEvent): void {
    const shape = ENGINE_EVENTS.get(e.event); // a Map: "toString" and the like are not events
    if (shape === undefined) return;
    const out: Omit<DashboardEvent, "seq" | "at"> = { level: e.level === "debug" ? "info" : e.level, event: e.event };
    if (typeof e.peer === "string") out.peer = e.peer.slice(0, 100);
    const code = shape.code === undefined ? undefined : e[shape.code];
    if (typeof code === "string" && CODE.test(code)) out.code = code;
    const amount = shape.amount === undefined ? undefined : amountOf(e[shape.amount]);
    if (amount !== undefined) out.amount = amount;
    this.push(out);
  }

  /** Adds an event of the dashboard's own (a cash-out, a deposit). Addresses and hashes that do not parse are dropped. */
  push(e: Omit<DashboardEvent, "seq" | "at">): void {
    const event: DashboardEvent = { ...e, seq: ++this.#seq, at: Date.now() };
    if (event.chequebook !== undefined && !ADDRESS.test(event.chequebook)) delete event.chequebook;
    if (event.txHash !== undefined && !HASH.test(event.txHash)) delete event.txHash;
    this.#ring.push(event);
    if (this.#ring.length > this.#max) this.#ring.shift();
    for (const listener of this.#listeners) listener();
  }

  /** The events kept, newest first. */
  recent(): DashboardEvent[] {
    return [...this.#ring].reverse();
  }

  /** Calls `listener` after each new event; returns the function that stops it. */
  onEvent(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
