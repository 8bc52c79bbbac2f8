/**
 * `chequebook dashboard`: the operator's dashboard over a cheque database and a JSON-RPC node, for a node that does
 * not embed it. Peers come from the SWAP ledger in the same file (as last recorded: none is connected here).
 */
import { parseUnits, type JsonRpcProvider, type Signer } from "ethers";

import { ChequeCasher } from "../beneficiary/cashout.js";
import { chequebookAt, rpc } from "../chain/contracts.js";
import { startDashboard, type DashboardOptions } from "../dashboard/server.js";
import { DashboardEvents } from "../dashboard/events.js";
import { ledgerPeers } from "../dashboard/ledger-peers.js";
import { isChequeError } from "../errors.js";
import { ChequebookIssuer } from "../issuer/issuer.js";
import { openLedgerStore } from "../store/open.js";
import { SqliteChequeStore } from "../store/sqlite.js";
import type { ChequeStore } from "../store/types.js";
import { SqliteLedgerStore } from "../swap/ledger.js";
import { CliError, EXIT } from "./output.js";

/** What the command needs of the CLI's context. */
export interface DashboardCommandContext {
  values: Record<string, string | boolean | undefined>;
  provider: JsonRpcProvider;
  store: ChequeStore;
  signer(): Promise<Signer>;
  chequebook(): Promise<string>;
  decimals(token: string): Promise<number>;
  tx: { confirmations: number };
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * Serves the dashboard until SIGINT or SIGTERM. Prints its address with the operator's token to standard output.
 *
 * Options: --host (default 127.0.0.1), --port (default 8547; 0 for any free port), --token-per-native (weighs gas),
 * --low-funds <tokens> (warn below), --explorer <tx address prefix>.
 */
export async function dashboardCommand(ctx: DashboardCommandContext): Promise<void> {
  const v = ctx.values;
  const signer = await ctx.signer();
  const port = typeof v.port === "string" ? Number(v.port) : 8547;
  if (!(Number.isSafeInteger(port) && port >= 0 && port < 65536)) throw new CliError(`--port must be a port number, got ${String(v.port)}`, EXIT.USAGE);
  const perNative = typeof v["token-per-native"] === "string" ? Number(v["token-per-native"]) : undefined;
  if (perNative !== undefined && !(perNative >= 0)) throw new CliError("--token-per-native must be a number", EXIT.USAGE);
  const casher = new ChequeCasher({
    signer, store: ctx.store, tx: ctx.tx,
    gasCostInToken: (wei) => (perNative === undefined ? 0n : (wei * BigInt(Math.round(perNative * 1e6))) / 1_000_000n),
  });
  const options: DashboardOptions = { provider: ctx.provider, store: ctx.store, casher, events: new DashboardEvents(), log: (line) => process.stdout.write(line + "\n") };
  // Our own chequebook, if we have one: without it the page shows the cheques we hold only.
  try {
    const issuer = await ChequebookIssuer.connect({ signer, chequebook: await ctx.chequebook(), store: ctx.store, tx: ctx.tx });
    options.issuer = issuer;
    if (typeof v["low-funds"] === "string") {
      const token = (await rpc("reading the chequebook's token", () => chequebookAt(issuer.chequebook, ctx.provider).getFunction("token")())) as string;
      options.lowFundsThreshold = parseUnits(v["low-funds"], await ctx.decimals(token));
    }
  } catch (error) {
    if (!(isChequeError(error) && error.code === "UNKNOWN_CHEQUEBOOK") && !(error instanceof CliError)) throw error;
    process.stderr.write("note: no chequebook of ours was found (pass --chequebook): the page shows the cheques we hold only\n");
  }
  // The ledger lives beside the cheques: in the same SQLite file, or in the same PostgreSQL database.
  const ledger = ctx.store instanceof SqliteChequeStore
    ? SqliteLedgerStore.open(ctx.store.path)
    : await openLedgerStore(String(v.db ?? process.env.CHEQUEBOOK_DB));
  options.peers = ledgerPeers(ledger);
  if (typeof v.host === "string") options.host = v.host;
  options.port = port;
  if (typeof v.explorer === "string") options.explorerTxUrl = v.explorer;
  try {
    const dashboard = await startDashboard(options);
    await stopSignal();
    await dashboard.close();
  } finally {
    await ledger.close();
  }
}
