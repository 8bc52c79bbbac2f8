/**
 * Prometheus metrics of SWAP accounting (prom-client), registered on a registry the host passes in (or a new one),
 * and the structured log events the engine emits.
 */
import { Counter, Gauge, Registry } from "prom-client";

/** One structured log event. `event` is a stable name; the other fields depend on it. */
export interface SwapLogEvent {
  level: "debug" | "info" | "warn" | "error";
  event: string;
  peer?: string;
  [field: string]: unknown;
}

/** Where log events go. */
export type SwapLogger = (event: SwapLogEvent) => void;

/** A logger writing one JSON object per line (bigints as decimal strings). */
export function jsonLineLogger(write: (line: string) => void = (line) => process.stderr.write(line + "\n")): SwapLogger {
  return (event) => write(JSON.stringify({ time: new Date().toISOString(), ...event }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

/** The engine's metrics. */
export class SwapMetrics {
  readonly registry: Registry;
  /** Whether series carry a `peer` label (one series per peer); see the constructor. */
  readonly perPeer: boolean;
  readonly balance: Gauge<"peer">;
  readonly peerPaymentThreshold: Gauge<"peer">;
  readonly thresholds: Gauge<"kind">;
  readonly outOfBounds: Counter<"peer" | "direction" | "level">;
  readonly chequesSent: Counter<"kind">;
  readonly chequesReceived: Counter<"kind">;
  readonly chequesRejected: Counter<"reason">;
  readonly paymentsRefused: Counter<"reason">;
  readonly disconnects: Counter<"reason">;
  readonly overpayment: Counter;
  #balances: () => Iterable<[string, bigint]> = () => [];

  /**
   * @param registry - where to register (a new registry by default).
   * @param options.perPeer - one series per peer for balances, announced thresholds and out-of-bounds events
   *   (default true). With false, `swap_peer_balance` and `swap_peer_payment_threshold` are not registered and
   *   `swap_out_of_bounds_total` has no `peer` label: the metrics text no longer grows with the number of peers.
   */
  constructor(registry: Registry = new Registry(), options: { perPeer?: boolean } = {}) {
    this.registry = registry;
    this.perPeer = options.perPeer ?? true;
    const registers = [registry];
    const perPeerRegisters = this.perPeer ? registers : [];
    const balances = () => this.#balances();
    // Read at scrape time rather than set on every booking: accounting stays cheap. Peers evicted from memory
    // leave no series behind.
    this.balance = new Gauge({
      name: "swap_peer_balance",
      help: "Accounting units the peer owes us (negative: we owe it), for the peers in memory",
      labelNames: ["peer"],
      registers: perPeerRegisters,
      collect() {
        this.reset();
        for (const [peer, value] of balances()) this.set({ peer }, Number(value));
      },
    });
    this.peerPaymentThreshold = new Gauge({ name: "swap_peer_payment_threshold", help: "The payment threshold the peer announced, in accounting units", labelNames: ["peer"], registers: perPeerRegisters });
    this.thresholds = new Gauge({ name: "swap_threshold", help: "Our own thresholds, in accounting units", labelNames: ["kind"], registers });
    this.outOfBounds = new Counter({
      name: "swap_out_of_bounds_total",
      help: "Times a balance went past a threshold: direction peer_owes or we_owe, level payment or disconnect",
      labelNames: this.perPeer ? ["peer", "direction", "level"] : ["direction", "level"],
      registers,
    });
    this.chequesSent = new Counter({ name: "swap_cheques_sent_total", help: "Cheques sent, by kind (mock or real)", labelNames: ["kind"], registers });
    this.chequesReceived = new Counter({ name: "swap_cheques_received_total", help: "Cheques received and credited, by kind (mock or real)", labelNames: ["kind"], registers });
    this.chequesRejected = new Counter({ name: "swap_cheques_rejected_total", help: "Cheques received and refused, by reason (a ChequeError code)", labelNames: ["reason"], registers });
    this.paymentsRefused = new Counter({ name: "swap_payments_refused_total", help: "Our payments the peer refused, by reason (a ChequeError code, OTHER for anything else the peer said)", labelNames: ["reason"], registers });
    this.disconnects = new Counter({ name: "swap_disconnects_total", help: "Peers disconnected, by reason", labelNames: ["reason"], registers });
    this.overpayment = new Counter({ name: "swap_overpayment_units_total", help: "Accounting units peers paid beyond what they owed plus one payment threshold, not credited", registers });
  }

  /** Counts a balance going past a threshold. */
  countOutOfBounds(peer: string, direction: "peer_owes" | "we_owe", level: "payment" | "disconnect"): void {
    this.outOfBounds.inc(this.perPeer ? { peer, direction, level } : { direction, level });
  }

  /** Records the payment threshold a peer announced. */
  setPeerThreshold(peer: string, value: bigint): void {
    if (this.perPeer) this.peerPaymentThreshold.set({ peer }, Number(value));
  }

  /** Removes every series of `peer` (it was evicted from memory). */
  forgetPeer(peer: string): void {
    if (!this.perPeer) return;
    this.peerPaymentThreshold.remove({ peer });
    for (const [direction, level] of [["peer_owes", "payment"], ["peer_owes", "disconnect"], ["we_owe", "payment"]] as const) this.outOfBounds.remove({ peer, direction, level });
  }

  /** Where the per-peer balances come from (the engine). */
  trackBalances(source: () => Iterable<[string, bigint]>): void {
    this.#balances = source;
  }

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
