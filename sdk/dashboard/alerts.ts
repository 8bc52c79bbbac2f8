/**
 * Alerts for money at risk, from figures already read: a prepared decrease of our hard deposit on a chequebook we
 * hold cheques from, a chequebook that cannot pay what it owes us, and our own chequebook running low. Pure, so
 * each rule can be read and tested on its own. Messages are built from our own numbers and checked addresses only.
 */

/** One alert. Amounts in token base units; `dueAt` in unix seconds of chain time. */
export interface DashboardAlert {
  kind: "decrease-prepared" | "liquidity-short" | "own-low" | "own-runway";
  severity: "warning" | "critical";
  chequebook?: string;
  amount: bigint;
  /** decrease-prepared: when the decrease can be applied. */
  dueAt?: bigint;
  /** own-runway: seconds left at the current spending rate. */
  seconds?: number;
  message: string;
}

/** The figures the rules read (a subset of the snapshot's). */
export interface AlertInput {
  held: ReadonlyArray<{ chequebook: string; held: bigint; uncashed: bigint; liquidFor: bigint; hardDeposit: bigint; decreaseAmount: bigint; canBeDecreasedAt: bigint }>;
  own?: { chequebook: string; available: bigint; outstanding: bigint; runwaySeconds?: number } | undefined;
  /** The chain time the figures were read at (unix seconds). */
  blockTime: number;
  lowFundsThreshold?: bigint;
  runwayAlertSeconds?: number;
}

/**
 * The alerts for `input`, most urgent first.
 *
 * - decrease-prepared: a decrease of our hard deposit is prepared on a chequebook we hold a cheque from (critical
 *   while something is uncashed: cash out before `dueAt`).
 * - liquidity-short: a chequebook owes us more than it could pay now (its liquid balance plus our hard deposit).
 * - own-low: what our chequebook can still promise is below `lowFundsThreshold`.
 * - own-runway: at the current spending rate it lasts less than `runwayAlertSeconds` (default one day).
 */
export function alertsFor(input: AlertInput): DashboardAlert[] {
  const alerts: DashboardAlert[] = [];
  for (const h of input.held) {
    if (h.held > 0n && h.decreaseAmount > 0n && h.canBeDecreasedAt > 0n) {
      const left = Number(h.canBeDecreasedAt) - input.blockTime;
      alerts.push({
        kind: "decrease-prepared",
        severity: h.uncashed > 0n ? "critical" : "warning",
        chequebook: h.chequebook,
        amount: h.decreaseAmount,
        dueAt: h.canBeDecreasedAt,
        message:
          `${h.chequebook} prepared a decrease of our hard deposit by ${h.decreaseAmount} (of ${h.hardDeposit}), ` +
          (left > 0 ? `applicable in ${left} s` : "applicable now") +
          (h.uncashed > 0n ? `: ${h.uncashed} is uncashed, cash out before then` : ""),
      });
    }
    if (h.uncashed > 0n && h.liquidFor < h.uncashed) {
      alerts.push({
        kind: "liquidity-short",
        severity: "critical",
        chequebook: h.chequebook,
        amount: h.uncashed - h.liquidFor,
        message: `${h.chequebook} owes us ${h.uncashed} but could pay only ${h.liquidFor} now`,
      });
    }
  }
  const own = input.own;
  if (own !== undefined) {
    const threshold = input.lowFundsThreshold ?? 0n;
    if (threshold > 0n && own.available < threshold) {
      alerts.push({
        kind: "own-low",
        severity: own.available === 0n ? "critical" : "warning",
        chequebook: own.chequebook,
        amount: own.available,
        message: `our chequebook can promise only ${own.available} more (warning below ${threshold}): deposit`,
      });
    }
    const limit = input.runwayAlertSeconds ?? 86_400;
    if (own.runwaySeconds !== undefined && own.runwaySeconds < limit) {
      alerts.push({
        kind: "own-runway",
        severity: own.runwaySeconds < limit / 4 ? "critical" : "warning",
        chequebook: own.chequebook,
        amount: own.available,
        seconds: own.runwaySeconds,
        message: `at the current spending rate our chequebook runs out in ${own.runwaySeconds} s: deposit`,
      });
    }
  }
  return alerts.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
}
