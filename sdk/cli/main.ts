#!/usr/bin/env node
/**
 * `chequebook`: operate a chequebook from a terminal. See `chequebook --help`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { FetchRequest, JsonRpcProvider, Wallet, ZeroHash, formatUnits, parseUnits, type Signer } from "ethers";

import { ChequeCasher } from "../beneficiary/cashout.js";
import { cashoutCommand, delegateCommand } from "./cashout.js";
import { recoverChequeSigner, type SignedCheque } from "../cheque/cheque.js";
import { chequebookAt, erc20At, factoryAt, rpc } from "../chain/contracts.js";
import { ChequeError } from "../errors.js";
import { ChequebookIssuer } from "../issuer/issuer.js";
import { ChequeReceiver } from "../beneficiary/receiver.js";
import { openChequeStore } from "../store/open.js";
import type { ChequeStore } from "../store/types.js";
import { toAddress } from "../validate.js";
import { ChequeVerifier, type RevocableIssuerPolicy, type SolvencyOptions, type SolvencyPolicy, type VerifierLimits } from "../beneficiary/verify.js";
import { chequeFromJson, chequeToJson, decodeBeeCheque, encodeBeeCheque } from "../cheque/wire.js";
import { dashboardCommand } from "./dashboard.js";
import { HELP } from "./help.js";
import { CliError, EXIT, classify, progressReporter, table, toJson } from "./output.js";
import { WATCH_OPTIONS, watch } from "./watch.js";

/** What every command gets: parsed options, the node, the store, and the key on demand. */
export interface Context {
  json: boolean;
  values: Record<string, string | boolean | undefined>;
  provider: JsonRpcProvider;
  chainId: bigint;
  store: ChequeStore;
  signer(): Promise<Signer & { address?: string }>;
  factory(): Promise<string>;
  chequebook(): Promise<string>;
  decimals(token: string): Promise<number>;
  tx: { confirmations: number; onProgress: ReturnType<typeof progressReporter> };
}

function out(ctx: { json: boolean }, human: string, data: unknown): void {
  process.stdout.write((ctx.json ? toJson(data) : human) + "\n");
}

async function connect(url: string): Promise<{ provider: JsonRpcProvider; chainId: bigint }> {
  // Ask once, with a deadline, before handing the URL to ethers (which would retry forever on a dead node).
  const request = new FetchRequest(url);
  request.timeout = 5_000;
  request.setHeader("content-type", "application/json");
  request.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
  let chainId: bigint;
  try {
    const response = await request.send();
    chainId = BigInt((response.bodyJson as { result: string }).result);
  } catch (cause) {
    throw new ChequeError("RPC_UNAVAILABLE", `cannot reach the JSON-RPC node at ${url}: check --rpc (or $CHEQUEBOOK_RPC) and that the node is running`, { cause });
  }
  return { provider: new JsonRpcProvider(url, chainId, { staticNetwork: true, cacheTimeout: -1 }), chainId };
}

async function loadSigner(values: Context["values"], provider: JsonRpcProvider): Promise<Signer & { address: string }> {
  if (typeof values.keystore === "string") {
    const password = process.env.CHEQUEBOOK_PASSWORD;
    if (password === undefined) throw new CliError("--keystore needs its password in $CHEQUEBOOK_PASSWORD", EXIT.CONFIG);
    let json: string;
    try {
      json = await readFile(values.keystore, "utf8");
    } catch {
      throw new CliError(`cannot read the keystore ${values.keystore}: check the path`, EXIT.CONFIG);
    }
    try {
      return (await Wallet.fromEncryptedJson(json, password)).connect(provider) as Wallet;
    } catch {
      throw new CliError(`cannot decrypt ${values.keystore}: wrong password in $CHEQUEBOOK_PASSWORD, or not a keystore`, EXIT.CONFIG);
    }
  }
  const key = process.env.CHEQUEBOOK_PRIVATE_KEY;
  if (key === undefined || key === "") throw new CliError("no key: set $CHEQUEBOOK_PRIVATE_KEY, or pass --keystore <file> with $CHEQUEBOOK_PASSWORD", EXIT.CONFIG);
  try {
    return new Wallet(key, provider);
  } catch {
    throw new CliError("$CHEQUEBOOK_PRIVATE_KEY is not a valid private key (32 bytes of hex)", EXIT.CONFIG);
  }
}

async function recordedFactory(chainId: bigint): Promise<string | undefined> {
  try {
    const text = await readFile(new URL(`../../deploy/deployments/${chainId}.json`, import.meta.url), "utf8");
    return (JSON.parse(text) as { factory: string }).factory;
  } catch {
    return undefined;
  }
}

async function readChequeInput(source: string): Promise<SignedCheque> {
  let text: string;
  try {
    text = source === "-" ? await new Promise<string>((resolve, reject) => {
      let data = "";
      process.stdin.setEncoding("utf8");
      process.stdin.on("data", (c) => (data += c));
      process.stdin.on("end", () => resolve(data));
      process.stdin.on("error", reject);
    }) : await readFile(source, "utf8");
  } catch {
    throw new CliError(`cannot read ${source}: give a file with a cheque, or - for standard input`, EXIT.USAGE);
  }
  // Bee's JSON has capitalised keys; ours does not.
  return /"Chequebook"\s*:/.test(text) ? decodeBeeCheque(text) : chequeFromJson(text.trim());
}

function amountArg(value: string | undefined, decimals: number, what = "amount"): bigint {
  if (value === undefined) throw new CliError(`missing <${what}>`, EXIT.USAGE);
  try {
    const v = parseUnits(value, decimals);
    if (v <= 0n) throw new Error("not positive");
    return v;
  } catch {
    throw new CliError(`<${what}> must be a positive number of tokens, like 10 or 0.5 (got ${value})`, EXIT.USAGE);
  }
}

function addressArg(value: string | undefined, what: string): string {
  if (value === undefined) throw new CliError(`missing <${what}>`, EXIT.USAGE);
  try {
    return toAddress(value, what);
  } catch {
    throw new CliError(`<${what}> must be an address (0x followed by 40 hex digits), got ${value}`, EXIT.USAGE);
  }
}

/** The token a chequebook pays in, and its decimals (cached per token). */
async function tokenOf(ctx: Context, chequebook: string): Promise<{ token: string; decimals: number }> {
  const token = (await rpc("reading the chequebook's token", () => chequebookAt(chequebook, ctx.provider).getFunction("token")())) as string;
  return { token, decimals: await ctx.decimals(token) };
}

async function issuerOf(ctx: Context): Promise<ChequebookIssuer> {
  return ChequebookIssuer.connect({ signer: await ctx.signer(), chequebook: await ctx.chequebook(), store: ctx.store, tx: ctx.tx });
}

const POLICIES: readonly SolvencyPolicy[] = ["reject", "flag", "hard-deposit"];
const REVOCABLE: readonly RevocableIssuerPolicy[] = ["refuse", "cash-now"];

function wholeArg(value: string, what: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new CliError(`${what} must be a whole number, got ${value}`, EXIT.USAGE);
  return BigInt(value);
}

/**
 * The verifier for our key. The token accepted is `--token`, or else the trusted factory's own token: the check of
 * every chequebook's token against it always runs.
 */
async function verifierOf(ctx: Context): Promise<ChequeVerifier> {
  const me = await (await ctx.signer()).getAddress();
  const factory = await ctx.factory();
  const v = ctx.values;
  const token =
    typeof v.token === "string"
      ? addressArg(v.token, "token")
      : ((await rpc("reading the factory's token", () => factoryAt(factory, ctx.provider).getFunction("ERC20Address")())) as string);
  const solvency: SolvencyOptions = {};
  if (typeof v.policy === "string") {
    if (!POLICIES.includes(v.policy as SolvencyPolicy)) throw new CliError(`--policy must be one of ${POLICIES.join(", ")}, got ${v.policy}`, EXIT.USAGE);
    solvency.policy = v.policy as SolvencyPolicy;
  }
  if (typeof v["min-timeout"] === "string") solvency.minHardDepositTimeout = wholeArg(v["min-timeout"], "--min-timeout");
  if (typeof v.revocable === "string") {
    if (!REVOCABLE.includes(v.revocable as RevocableIssuerPolicy)) throw new CliError(`--revocable must be one of ${REVOCABLE.join(", ")}, got ${v.revocable}`, EXIT.USAGE);
    solvency.revocableIssuer = v.revocable as RevocableIssuerPolicy;
  }
  const limits: VerifierLimits = {};
  if (typeof v["min-increment"] === "string") limits.minIncrement = amountArg(v["min-increment"], await ctx.decimals(token), "--min-increment");
  if (typeof v["erc1271-gas"] === "string") limits.erc1271GasLimit = wholeArg(v["erc1271-gas"], "--erc1271-gas");
  return new ChequeVerifier({ provider: ctx.provider, chainId: ctx.chainId, beneficiary: me, trustedFactories: [factory], token, store: ctx.store, solvency, limits });
}

const COMMANDS: Record<string, (ctx: Context, args: string[]) => Promise<number | void>> = {
  async deploy(ctx) {
    const signer = await ctx.signer();
    const timeout = BigInt(String(ctx.values.timeout ?? "86400"));
    const salt = typeof ctx.values.salt === "string" ? ctx.values.salt : ZeroHash;
    const r = await ChequebookIssuer.deploy({ signer, factory: await ctx.factory(), store: ctx.store, defaultHardDepositTimeout: timeout, salt, tx: ctx.tx });
    out(ctx, `chequebook ${r.chequebook} ${r.existed ? "(already deployed)" : "deployed"}`, { ...r, issuer: await signer.getAddress() });
  },

  async deposit(ctx, [amount]) {
    const issuer = await issuerOf(ctx);
    const { decimals } = await tokenOf(ctx, issuer.chequebook);
    const value = amountArg(amount, decimals);
    const { hash } = await issuer.deposit(value);
    const { total } = await issuer.balances();
    out(ctx, `deposited ${formatUnits(value, decimals)}; balance ${formatUnits(total, decimals)} (tx ${hash})`, { deposited: value, balance: total, hash });
  },

  async withdraw(ctx, [amount]) {
    const issuer = await issuerOf(ctx);
    const { decimals } = await tokenOf(ctx, issuer.chequebook);
    const value = amountArg(amount, decimals);
    const { hash } = await issuer.withdraw(value, { force: ctx.values.force === true });
    out(ctx, `withdrew ${formatUnits(value, decimals)} (tx ${hash})`, { withdrawn: value, hash });
  },

  async balance(ctx) {
    const issuer = await issuerOf(ctx);
    const { token, decimals } = await tokenOf(ctx, issuer.chequebook);
    const b = await issuer.balances();
    const rows = Object.entries(b).map(([name, value]) => ({ "": name, tokens: formatUnits(value, decimals), "base units": value.toString() }));
    out(ctx, `chequebook ${issuer.chequebook}\n${table(rows)}`, { chequebook: issuer.chequebook, token, decimals, ...b });
  },

  async issue(ctx, [beneficiary, amount]) {
    const to = addressArg(beneficiary, "beneficiary");
    const issuer = await issuerOf(ctx);
    const { decimals } = await tokenOf(ctx, issuer.chequebook);
    const r = await issuer.issueCheque(to, amountArg(amount, decimals));
    if (typeof ctx.values.out === "string") await writeFile(ctx.values.out, JSON.stringify(chequeToJson(r.cheque)) + "\n");
    const bee = encodeBeeCheque(r.cheque);
    const warn = r.lowFunds ? "\nwarning: the chequebook is running low: deposit soon" : "";
    out(
      ctx,
      `cheque for ${formatUnits(r.cheque.cumulativePayout, decimals)} in total (${formatUnits(r.amount, decimals)} more) to ${to}\n` +
        `our JSON: ${JSON.stringify(chequeToJson(r.cheque))}\nBee JSON: ${bee}\ncan still promise ${formatUnits(r.availableAfter, decimals)}${warn}`,
      { cheque: chequeToJson(r.cheque), bee: JSON.parse(bee.replace(/"CumulativePayout":(\d+)/, '"CumulativePayout":"$1"')), amount: r.amount, availableAfter: r.availableAfter, lowFunds: r.lowFunds },
    );
  },

  async verify(ctx, [source]) {
    if (source === undefined) throw new CliError("missing <file|->", EXIT.USAGE);
    const cheque = await readChequeInput(source);
    const r = await (await verifierOf(ctx)).verify(cheque);
    const signer = recoverChequeSigner({ cheque, chainId: ctx.chainId });
    out(ctx, `valid: ${r.increment} more than held, signed by ${signer}${r.flagged ? " (not covered now)" : ""}${r.cashNow ? " (the issuer can revoke it: cash it now)" : ""}`, { valid: true, signer, ...r, cheque: chequeToJson(r.cheque) });
  },

  async receive(ctx, [source]) {
    if (source === undefined) throw new CliError("missing <file|->", EXIT.USAGE);
    const cheque = await readChequeInput(source);
    const receiver = new ChequeReceiver({ verifier: await verifierOf(ctx), store: ctx.store });
    const r = await receiver.receive(cheque);
    out(ctx, `received and stored: credited ${r.increment} (cumulative ${r.cheque.cumulativePayout})`, { stored: true, ...r, cheque: chequeToJson(r.cheque) });
  },

  cashout: cashoutCommand,
  delegate: delegateCommand,

  async status(ctx) {
    const casher = new ChequeCasher({ signer: await ctx.signer(), store: ctx.store, gasCostInToken: () => 0n });
    const { total, chequebooks } = await casher.totalUncashed();
    const rows = chequebooks.map((s) => ({ chequebook: s.chequebook, held: s.held, "paid out": s.paidOut, uncashed: s.uncashed, payable: s.payable, "last cash-out": s.last?.status ?? "" }));
    out(ctx, `${table(rows)}\ntotal uncashed: ${total}`, { total, chequebooks });
  },

  async cheques(ctx) {
    const sent = (await ctx.store.listIssued()).map((r) => ({ direction: "sent", chequebook: r.cheque.chequebook, peer: r.cheque.beneficiary, cumulative: r.cheque.cumulativePayout, at: new Date(r.issuedAt).toISOString() }));
    const received = (await ctx.store.listReceived()).map((r) => ({ direction: "received", chequebook: r.cheque.chequebook, peer: r.cheque.beneficiary, cumulative: r.cheque.cumulativePayout, at: new Date(r.receivedAt).toISOString() }));
    out(ctx, table([...sent, ...received]), { sent, received });
  },

  dashboard: (ctx) => dashboardCommand(ctx),

  watch: (ctx) => watch(ctx),

  async "hard-deposit"(ctx, [action, beneficiary, amount, extra]) {
    const who = addressArg(beneficiary, "beneficiary");
    if (action === "show") {
      const book = chequebookAt(await ctx.chequebook(), ctx.provider);
      const [deposit, decrease, timeout, due] = (await rpc("reading the hard deposit", () => book.getFunction("hardDeposits")(who))) as bigint[];
      return out(ctx, table([{ beneficiary: who, amount: deposit, "decrease prepared": decrease, "custom timeout": timeout, "decrease due": due === 0n ? "" : new Date(Number(due) * 1000).toISOString() }]), {
        beneficiary: who, amount: deposit, decreaseAmount: decrease, timeout, canBeDecreasedAt: due,
      });
    }
    const issuer = await issuerOf(ctx);
    const { decimals } = await tokenOf(ctx, issuer.chequebook);
    let result;
    if (action === "increase") result = await issuer.increaseHardDeposit(who, amountArg(amount, decimals), { force: ctx.values.force === true });
    else if (action === "prepare-decrease") result = await issuer.prepareDecreaseHardDeposit(who, amountArg(amount, decimals));
    else if (action === "decrease") result = await issuer.decreaseHardDeposit(who);
    else if (action === "set-timeout") {
      if (amount === undefined || extra === undefined) throw new CliError("usage: hard-deposit set-timeout <beneficiary> <seconds> <beneficiary-signature>", EXIT.USAGE);
      result = await issuer.setCustomHardDepositTimeout(who, BigInt(amount), extra);
    } else throw new CliError(`unknown hard-deposit action ${action ?? ""}: use show, increase, prepare-decrease, decrease or set-timeout`, EXIT.USAGE);
    out(ctx, `${action}: done (tx ${result.hash})\n${result.events.map((e) => `${e.name} ${toJson(e.args).replace(/\s+/g, " ")}`).join("\n")}`, result.events);
  },
};

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rpc: { type: "string" }, factory: { type: "string" }, chequebook: { type: "string" }, db: { type: "string" },
        keystore: { type: "string" }, confirmations: { type: "string" }, timeout: { type: "string" }, salt: { type: "string" },
        out: { type: "string" }, "token-per-native": { type: "string" }, "max-gas-share": { type: "string" },
        token: { type: "string" }, policy: { type: "string" }, "min-timeout": { type: "string" }, revocable: { type: "string" },
        "min-increment": { type: "string" }, "erc1271-gas": { type: "string" },
        delegate: { type: "string" },
        force: { type: "boolean" }, all: { type: "boolean" }, sequential: { type: "boolean" }, revoke: { type: "boolean" },
        json: { type: "boolean" }, help: { type: "boolean", short: "h" },
        "private-key": { type: "string" }, host: { type: "string" }, port: { type: "string" }, explorer: { type: "string" }, "low-funds": { type: "string" },
        ...WATCH_OPTIONS,
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nsee chequebook --help\n`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  const [command, ...args] = positionals;
  if (values.help === true || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && values.help !== true ? EXIT.USAGE : EXIT.OK;
  }
  let store: ChequeStore | undefined;
  try {
    if (values["private-key"] !== undefined) throw new CliError("keys are never taken from the command line: use $CHEQUEBOOK_PRIVATE_KEY or --keystore", EXIT.USAGE);
    const run = COMMANDS[command];
    if (run === undefined) throw new CliError(`unknown command ${command}: see chequebook --help`, EXIT.USAGE);
    const { provider, chainId } = await connect(values.rpc ?? process.env.CHEQUEBOOK_RPC ?? "http://127.0.0.1:8545");
    store = await openChequeStore(values.db ?? process.env.CHEQUEBOOK_DB ?? "chequebook.db");
    let signer: Promise<Signer & { address: string }> | undefined;
    const decimals = new Map<string, number>();
    const ctx: Context = {
      json, values, provider, chainId, store,
      signer: () => (signer ??= loadSigner(values, provider)),
      factory: async () => {
        if (values.factory !== undefined) return addressArg(values.factory, "factory");
        const recorded = await recordedFactory(chainId);
        if (recorded === undefined) throw new CliError(`no factory is recorded for chain ${chainId}: pass --factory <address> or deploy one (npx hardhat run deploy/deploy.ts)`, EXIT.CONFIG);
        return recorded;
      },
      chequebook: async () => {
        if (values.chequebook !== undefined) return addressArg(values.chequebook, "chequebook");
        const me = await (await ctx.signer()).getAddress();
        const timeout = BigInt(String(values.timeout ?? "86400"));
        const factory = factoryAt(await ctx.factory(), provider);
        return (await rpc("predicting your chequebook", () => factory.getFunction("predictSimpleSwapAddress")(me, me, timeout, values.salt ?? ZeroHash))) as string;
      },
      decimals: async (token) => {
        if (!decimals.has(token)) decimals.set(token, Number(await rpc("reading token decimals", () => erc20At(token, provider).getFunction("decimals")())));
        return decimals.get(token)!;
      },
      tx: { confirmations: Number(values.confirmations ?? "1"), onProgress: progressReporter() },
    };
    return (await run(ctx, args)) ?? EXIT.OK;
  } catch (error) {
    const { exitCode, code, message } = classify(error);
    if (json) process.stdout.write(toJson({ error: { code, message } }) + "\n");
    process.stderr.write(`error (${code}): ${message}\n`);
    return exitCode;
  } finally {
    await store?.close();
  }
}

if (process.argv[1] !== undefined && (await import("node:url")).pathToFileURL(process.argv[1]).href === import.meta.url) {
  process.exitCode = await main(process.argv.slice(2));
}
