/**
 * `chequebook cashout` and `chequebook delegate`: cash the best cheque held from one chequebook, or from every one
 * (`--all`) in batches through the EIP-7702 cash-out delegate when the account is delegated to it, else one
 * transaction per chequebook; point the account at the delegate, or clear it.
 */
import { ZeroAddress, formatUnits, type Signer } from "ethers";

import { BatchCasher } from "../beneficiary/batch.js";
import { ChequeCasher } from "../beneficiary/cashout.js";
import { delegateAccount, delegationOf } from "../beneficiary/delegation.js";
import type { CashoutExecutor, CashoutItemReport } from "../beneficiary/executor.js";
import { sequentialCashout } from "../beneficiary/sequential.js";
import { chequebookAt, rpc } from "../chain/contracts.js";
import type { TxOptions } from "../chain/tx.js";
import type { ChequeStore } from "../store/types.js";
import { toAddress } from "../validate.js";
import type { Context } from "./main.js";
import { CliError, EXIT, table, toJson } from "./output.js";

/** Codes of items left out on purpose: they do not make `cashout --all` fail. */
const BENIGN = new Set(["NOTHING_TO_CASH", "UNPROFITABLE_CASHOUT", "DUPLICATE"]);

function out(ctx: Context, human: string, data: unknown): void {
  process.stdout.write((ctx.json ? toJson(data) : human) + "\n");
}

/** The delegate named by --delegate or $CHEQUEBOOK_DELEGATE, if any. */
function delegateArg(ctx: { values: Record<string, string | boolean | undefined> }): string | undefined {
  const value = typeof ctx.values.delegate === "string" ? ctx.values.delegate : process.env.CHEQUEBOOK_DELEGATE;
  if (value === undefined || value === "") return undefined;
  try {
    return toAddress(value, "delegate");
  } catch {
    throw new CliError(`--delegate must be an address, got ${value}`, EXIT.USAGE);
  }
}

/** The chequebook's token read from the chain, or undefined if it cannot be read (the amount is then in base units). */
async function tokenOf(ctx: Context, chequebook: string): Promise<string | undefined> {
  try {
    return (await rpc("reading the chequebook's token", () => chequebookAt(chequebook, ctx.provider).getFunction("token")())) as string;
  } catch {
    return undefined;
  }
}

/** How cash-outs of several chequebooks are sent, and a line saying so. */
export interface ExecutorChoice {
  executor: CashoutExecutor;
  via: "batch" | "sequential";
  note: string;
}

/**
 * Batches through the EIP-7702 delegate named by --delegate (or $CHEQUEBOOK_DELEGATE) when the account delegates to
 * it and --sequential is not given; otherwise one transaction per chequebook through `casher`.
 */
export async function chooseExecutor(
  ctx: { values: Record<string, string | boolean | undefined>; store: ChequeStore; tx: TxOptions },
  o: { signer: Signer; casher: ChequeCasher; gasCostInToken: (wei: bigint) => bigint; maxGasShare: number; force?: boolean },
): Promise<ExecutorChoice> {
  const force = o.force ?? false;
  const delegate = delegateArg(ctx);
  const sequential: ExecutorChoice = { executor: sequentialCashout(o.casher, { force }), via: "sequential", note: "one transaction per chequebook" };
  if (delegate === undefined || ctx.values.sequential === true) return sequential;
  const batch = new BatchCasher({ signer: o.signer, store: ctx.store, delegate, gasCostInToken: o.gasCostInToken, maxGasShare: o.maxGasShare, tx: ctx.tx });
  if (!(await batch.supported())) {
    return { ...sequential, note: `${sequential.note} (the account is not delegated to ${delegate}: run 'chequebook delegate ${delegate}' to batch)` };
  }
  return { executor: { cashOut: (books, run) => batch.cashOut(books, { ...run, force }) }, via: "batch", note: `batched through the EIP-7702 delegate ${delegate}` };
}

/**
 * `cashout <chequebook>`: one cash-out (throws its error). `cashout --all`: every chequebook with something
 * payable, batched when the account is delegated to --delegate (and not --sequential); one row per chequebook.
 * Exits 6 when an item failed for a reason other than nothing to cash or not worth the gas.
 */
export async function cashoutCommand(ctx: Context, [chequebook]: string[]): Promise<number | void> {
  const signer = await ctx.signer();
  const perNative = typeof ctx.values["token-per-native"] === "string" ? Number(ctx.values["token-per-native"]) : undefined;
  const share = typeof ctx.values["max-gas-share"] === "string" ? Number(ctx.values["max-gas-share"]) : 0.25;
  if (perNative !== undefined && !(perNative >= 0)) throw new CliError("--token-per-native must be a number", EXIT.USAGE);
  const scale = 1_000_000n;
  // Without a price, gas is weighed as free and a note says so.
  const gasCostInToken = (wei: bigint) => (perNative === undefined ? 0n : (wei * BigInt(Math.round(perNative * Number(scale)))) / scale);
  const casher = new ChequeCasher({ signer, store: ctx.store, maxGasShare: share, tx: ctx.tx, gasCostInToken });
  if (perNative === undefined && !ctx.json) process.stderr.write("note: no --token-per-native given, so gas is not weighed against the payout\n");
  const force = ctx.values.force === true;
  if (ctx.values.all !== true) {
    const r = await casher.cashOut(toAddress(chequebook ?? "", "chequebook"), { force });
    return out(ctx, table([{ ...r }]), [r]);
  }
  const targets = (await casher.totalUncashed()).chequebooks.filter((s) => s.payable > 0n).map((s) => s.chequebook);
  const { executor, via, note } = await chooseExecutor(ctx, { signer, casher, gasCostInToken, maxGasShare: share, force });
  const reports = targets.length === 0 ? [] : await executor.cashOut(targets);
  const decimals = new Map<string, number>();
  const rows = [];
  for (const r of reports) {
    const token = (await ctx.store.getChequebookInfo(r.chequebook))?.token ?? (await tokenOf(ctx, r.chequebook));
    if (token !== undefined && !decimals.has(token)) decimals.set(token, await ctx.decimals(token));
    const paid = token === undefined ? r.paid.toString() : formatUnits(r.paid, decimals.get(token)!);
    rows.push({ chequebook: r.chequebook, outcome: r.status, paid, why: r.code === undefined ? "" : `${r.code}: ${r.reason ?? ""}`, tx: r.txHash ?? "" });
  }
  if (!ctx.json) process.stderr.write(`${note}\n`);
  out(ctx, table(rows), reports.map((r: CashoutItemReport) => ({ ...r, via })));
  return reports.some((r) => r.status === "skipped" && !BENIGN.has(r.code ?? "")) ? EXIT.TRANSACTION : undefined;
}

/**
 * `delegate <address>`: points the account at the cash-out delegate with an EIP-7702 transaction it sends itself;
 * `delegate --revoke`: clears it; `delegate` alone: shows where it points.
 */
export async function delegateCommand(ctx: Context, [address]: string[]): Promise<void> {
  const signer = await ctx.signer();
  const me = await signer.getAddress();
  if (address === undefined && ctx.values.revoke !== true) {
    const d = await delegationOf(ctx.provider, me);
    return out(ctx, d.delegate === undefined ? `${me} is not delegated` : `${me} delegates to ${d.delegate}`, { account: me, ...d });
  }
  let target = ZeroAddress;
  if (ctx.values.revoke !== true) {
    try {
      target = toAddress(address ?? "", "delegate");
    } catch {
      throw new CliError(`delegate: expected the cash-out delegate's address, got ${address ?? ""}`, EXIT.USAGE);
    }
    if ((await ctx.provider.getCode(target)) === "0x") throw new CliError(`${target} has no code: pass the CashoutDelegate's address`, EXIT.USAGE);
  }
  const receipt = await delegateAccount({ signer, delegate: target, tx: ctx.tx });
  out(ctx, target === ZeroAddress ? `${me} no longer delegates (tx ${receipt.hash})` : `${me} now delegates to ${target} (tx ${receipt.hash})`, { account: me, delegate: target, hash: receipt.hash });
}
