/**
 * `chequebook watch`: runs the cash-out watcher ({@link CashoutScheduler}) for our key until SIGINT or SIGTERM,
 * printing a line per event (JSON lines with --json).
 */
import type { JsonRpcProvider, Signer } from "ethers";

import { ChequeCasher } from "../beneficiary/cashout.js";
import type { CashoutExecutor } from "../beneficiary/executor.js";
import { CashoutScheduler, type CashoutSchedulerOptions } from "../beneficiary/scheduler.js";
import { describeWatchEvent, watchEventJson, type WatchEvent } from "../beneficiary/watch-report.js";
import type { TxOptions } from "../chain/tx.js";
import type { ChequeStore } from "../store/types.js";
import { chooseExecutor } from "./cashout.js";
import { CliError, EXIT } from "./output.js";

/** The flags of `watch`, for the CLI's parser. */
export const WATCH_OPTIONS = {
  threshold: { type: "string" }, period: { type: "string" }, safety: { type: "string" }, "safety-blocks": { type: "string" },
  "min-payout": { type: "string" }, "profit-margin": { type: "string" }, poll: { type: "string" }, "max-range": { type: "string" },
  "no-cover": { type: "boolean" },
} as const;

/** Its lines in the CLI's help. */
export const WATCH_HELP = `  --threshold <units>     watch: cash a chequebook once it owes us this much (token base units)
  --period <seconds>      watch: cash everything payable this often (chain time)
  --safety <seconds>      watch: cash before a hard-deposit decrease comes due by this margin (default 3600)
  --safety-blocks <n>     watch: and this many blocks of 12 s more (default 0)
  --min-payout <units>    watch: never cash for less than this (token base units; default 1)
  --profit-margin <x>     watch: cash when the payout is x times the gas (needs --token-per-native)
  --poll <ms>             watch: wait between polls once caught up (default 4000)
  --max-range <blocks>    watch: blocks per log query (default 1000)
  --no-cover              watch: do not cash because cover is going (only the other policies)
`;

/** What `watch` needs of the CLI's context. */
export interface WatchContext {
  json: boolean;
  values: Record<string, string | boolean | undefined>;
  provider: JsonRpcProvider;
  store: ChequeStore;
  signer(): Promise<Signer>;
  tx: TxOptions;
}

function whole(value: string | boolean | undefined, name: string): number | undefined {
  if (typeof value !== "string") return undefined;
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CliError(`--${name} must be a whole number, got ${value}`, EXIT.USAGE);
  return Number(value);
}

function units(value: string | boolean | undefined, name: string): bigint | undefined {
  if (typeof value !== "string") return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new CliError(`--${name} must be a positive whole number of token base units, got ${value}`, EXIT.USAGE);
  return BigInt(value);
}

/** The gas-to-token conversion of --token-per-native (gas is free without it). */
export function gasPricer(value: string | boolean | undefined): (wei: bigint) => bigint {
  if (typeof value !== "string") return () => 0n;
  const perNative = Number(value);
  if (!(perNative >= 0)) throw new CliError("--token-per-native must be a number", EXIT.USAGE);
  const scale = 1_000_000n;
  return (wei) => (wei * BigInt(Math.round(perNative * Number(scale)))) / scale;
}

/** The scheduler options the flags ask for. */
export function watchOptions(values: WatchContext["values"]): Partial<CashoutSchedulerOptions> {
  const o: Partial<CashoutSchedulerOptions> = {};
  const set = <K extends keyof CashoutSchedulerOptions>(key: K, value: CashoutSchedulerOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set("threshold", units(values.threshold, "threshold"));
  set("periodSeconds", whole(values.period, "period"));
  set("safetySeconds", whole(values.safety, "safety"));
  set("safetyBlocks", whole(values["safety-blocks"], "safety-blocks"));
  set("minPayout", units(values["min-payout"], "min-payout"));
  set("pollMs", whole(values.poll, "poll"));
  set("maxBlockRange", whole(values["max-range"], "max-range"));
  set("confirmations", whole(values.confirmations, "confirmations") ?? 2);
  if (values["no-cover"] === true) o.cover = false;
  return o;
}

/**
 * Runs the watcher until SIGINT or SIGTERM, then stops it (waiting for a cash-out under way) and returns.
 *
 * @param executorOf - what cashes; by default batches through --delegate when the account delegates to it (see
 *   {@link chooseExecutor}), else one transaction per chequebook.
 */
export async function watch(ctx: WatchContext, executorOf?: (casher: ChequeCasher) => CashoutExecutor): Promise<void> {
  const signer = await ctx.signer();
  const beneficiary = await signer.getAddress();
  const options = watchOptions(ctx.values);
  const margin = typeof ctx.values["profit-margin"] === "string" ? Number(ctx.values["profit-margin"]) : undefined;
  if (margin !== undefined && !(margin >= 1)) throw new CliError(`--profit-margin must be a number of at least 1, got ${String(ctx.values["profit-margin"])}`, EXIT.USAGE);
  if (margin !== undefined && typeof ctx.values["token-per-native"] !== "string") throw new CliError("--profit-margin needs --token-per-native to price the gas", EXIT.USAGE);
  const share = typeof ctx.values["max-gas-share"] === "string" ? Number(ctx.values["max-gas-share"]) : 0.25;
  const gasCostInToken = gasPricer(ctx.values["token-per-native"]);
  const casher = new ChequeCasher({ signer, store: ctx.store, maxGasShare: share, tx: ctx.tx, gasCostInToken });
  let executor: CashoutExecutor;
  if (executorOf !== undefined) executor = executorOf(casher);
  else {
    const choice = await chooseExecutor(ctx, { signer, casher, gasCostInToken, maxGasShare: share });
    executor = choice.executor;
    if (!ctx.json) process.stderr.write(`cash-outs: ${choice.note}\n`);
  }
  if (margin !== undefined) options.profit = { quote: (chequebook) => casher.quote(chequebook), margin };
  const say = (event: WatchEvent) => {
    if (ctx.json) process.stdout.write(watchEventJson(event) + "\n");
    else if (event.type === "error") process.stderr.write(describeWatchEvent(event) + "\n");
    else if (event.type !== "progress" || event.touched > 0 || event.behind) process.stdout.write(describeWatchEvent(event) + "\n");
  };
  const scheduler = new CashoutScheduler({ ...options, provider: ctx.provider, store: ctx.store, beneficiary, executor, onEvent: say });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      scheduler.stop().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    scheduler.start();
  });
}
