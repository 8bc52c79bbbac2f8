/**
 * CLI output: human tables by default, one JSON document with --json; progress on stderr; exit codes scripts can
 * rely on.
 */
import { ChequeError, type ChequeErrorCode } from "../errors.js";
import type { TxProgress } from "../chain/tx.js";

/** Exit codes. */
export const EXIT = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  REFUSED_CHEQUE: 3,
  FUNDS: 4,
  NETWORK: 5,
  TRANSACTION: 6,
  CONFIG: 7,
  STORE: 8,
} as const;

const EXIT_BY_CODE: Partial<Record<ChequeErrorCode, number>> = {
  INVALID_ARGUMENT: EXIT.USAGE,
  MALFORMED_CHEQUE: EXIT.REFUSED_CHEQUE,
  MALFORMED_WIRE: EXIT.REFUSED_CHEQUE,
  WRONG_BENEFICIARY: EXIT.REFUSED_CHEQUE,
  WRONG_CHAIN: EXIT.REFUSED_CHEQUE,
  INVALID_SIGNATURE: EXIT.REFUSED_CHEQUE,
  UNKNOWN_CHEQUEBOOK: EXIT.REFUSED_CHEQUE,
  WRONG_TOKEN: EXIT.REFUSED_CHEQUE,
  STALE_CHEQUE: EXIT.REFUSED_CHEQUE,
  INSUFFICIENT_COVER: EXIT.REFUSED_CHEQUE,
  INCREMENT_TOO_SMALL: EXIT.REFUSED_CHEQUE,
  REVOCABLE_ISSUER: EXIT.REFUSED_CHEQUE,
  INSUFFICIENT_FUNDS: EXIT.FUNDS,
  NO_GAS_FUNDS: EXIT.FUNDS,
  NOTHING_TO_CASH: EXIT.FUNDS,
  UNPROFITABLE_CASHOUT: EXIT.FUNDS,
  RPC_UNAVAILABLE: EXIT.NETWORK,
  RPC_ERROR: EXIT.NETWORK,
  TIMEOUT: EXIT.NETWORK,
  TX_DROPPED: EXIT.NETWORK,
  CONTRACT_REVERT: EXIT.TRANSACTION,
  OUT_OF_GAS: EXIT.TRANSACTION,
  STORE_FAILURE: EXIT.STORE,
  STORE_LOCKED: EXIT.STORE,
  STORE_BUSY: EXIT.STORE,
  STORE_CONFLICT: EXIT.STORE,
  STORE_SCHEMA_NEWER: EXIT.STORE,
};

/** An error of the CLI itself (usage, configuration), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code = exitCode === EXIT.USAGE ? "USAGE" : "CONFIG",
  ) {
    super(message);
  }
}

/** The exit code and stable code of an error. */
export function classify(error: unknown): { exitCode: number; code: string; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, code: error.code, message: error.message };
  if (error instanceof ChequeError) return { exitCode: EXIT_BY_CODE[error.code] ?? EXIT.UNEXPECTED, code: error.code, message: error.message };
  return { exitCode: EXIT.UNEXPECTED, code: "UNEXPECTED", message: error instanceof Error ? error.message : String(error) };
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** A plain text table. */
export function table(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return "(none)";
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? "")));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Progress of a transaction on stderr: a spinner on a terminal, plain lines otherwise. */
export function progressReporter(): (p: TxProgress) => void {
  const tty = process.stderr.isTTY === true;
  let frame = 0;
  const say = (text: string, final = false) => {
    if (tty) process.stderr.write(`\r\x1b[2K${final ? "✔" : FRAMES[frame++ % FRAMES.length]} ${text}${final ? "\n" : ""}`);
    else process.stderr.write(text + "\n");
  };
  return (p) => {
    switch (p.stage) {
      case "sent":
        return say(`transaction ${p.hash} sent, waiting to be mined`);
      case "replaced":
        return say(`transaction was stuck: replaced by ${p.hash} with higher fees`);
      case "mined":
        return say(`mined in block ${p.blockNumber}`);
      case "confirming":
        return say(`waiting for confirmations: ${p.confirmations}/${p.required}`);
      case "reorged":
        return say(`block ${p.blockNumber} left the chain in a reorganisation: waiting again`);
      case "confirmed":
        return say(`confirmed (${p.confirmations} confirmation${p.confirmations === 1 ? "" : "s"})`, true);
      case "dropped":
        return say(`transaction ${p.hash} was dropped by the node`, true);
    }
  };
}
