/**
 * Contract handles for any ethers runner, and the translation of whatever a node or ethers throws into a
 * {@link ChequeError} that says why: a decoded custom error, out of gas, no funds for gas, RPC down.
 */
import { Contract, Interface, isError, type ContractRunner, type ErrorDescription, type Provider } from "ethers";

import { CHEQUEBOOK_ABI, CHEQUEBOOK_FACTORY_ABI, ERC1271_ABI, ERC20_ABI } from "./abi.js";
import { guardProvider, rpcDefaults, withDeadline } from "./guard.js";
import { ChequeError, isChequeError } from "../errors.js";

export const chequebookInterface = new Interface(CHEQUEBOOK_ABI);
export const factoryInterface = new Interface(CHEQUEBOOK_FACTORY_ABI);
export const erc20Interface = new Interface(ERC20_ABI);
const erc1271Interface = new Interface(ERC1271_ABI);

/** Every custom error the contracts, OpenZeppelin and the token can revert with. */
const errorInterface = new Interface(
  [...CHEQUEBOOK_ABI, ...CHEQUEBOOK_FACTORY_ABI, ...ERC20_ABI].filter(
    (f, i, all) => f.startsWith("error ") && all.indexOf(f) === i,
  ),
);

function isProvider(runner: ContractRunner): runner is Provider {
  const r = runner as Partial<Provider>;
  return typeof r.getBlockNumber === "function" && typeof r.broadcastTransaction === "function";
}

/** A provider runner is guarded (deadline, chain id checks: {@link guardProvider}); a signer is used as given. */
function guardedRunner(runner: ContractRunner): ContractRunner {
  return isProvider(runner) ? guardProvider(runner) : runner;
}

/**
 * A chequebook contract at `address`. A provider runner is guarded ({@link guardProvider}). The handles share one
 * parsed ABI per contract kind: a handle made per cheque costs no ABI parsing.
 */
export function chequebookAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, chequebookInterface, guardedRunner(runner));
}

/** A chequebook factory at `address`. A provider runner is guarded ({@link guardProvider}). */
export function factoryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, factoryInterface, guardedRunner(runner));
}

/** An ERC-20 token at `address`. A provider runner is guarded ({@link guardProvider}). */
export function erc20At(address: string, runner: ContractRunner): Contract {
  return new Contract(address, erc20Interface, guardedRunner(runner));
}

/** An ERC-1271 signer contract at `address`. A provider runner is guarded ({@link guardProvider}). */
export function erc1271At(address: string, runner: ContractRunner): Contract {
  return new Contract(address, erc1271Interface, guardedRunner(runner));
}

/** What to do next, per custom error: the message of the {@link ChequeError}. */
const REVERT_ADVICE: Record<string, (args: readonly unknown[]) => string> = {
  ChequebookChequeAlreadyCashed: (a) => `the cheque (${a[0]}) is not above what was already paid out (${a[1]}): nothing to cash until a higher cheque arrives`,
  ChequebookNoLiquidity: (a) => `the chequebook has nothing liquid to pay the ${a[0]} owed: try again after the issuer deposits`,
  ChequebookInvalidIssuerSignature: () => "the cheque's signature is not the issuer's: the cheque is forged or for another chain or chequebook",
  ChequebookInvalidBeneficiarySignature: () => "the beneficiary's signature does not match this sender, recipient, amount and fee",
  ChequebookCallerPayoutTooHigh: (a) => `the caller fee ${a[0]} exceeds the payout ${a[1]}: ask for a smaller fee`,
  ChequebookCashoutWouldBounce: (a) => `only ${a[1]} of the ${a[0]} asked is payable now, and a relayed cash-out must pay in full: cash it yourself (a partial payment) or wait for a deposit`,
  ReentrancyGuardReentrantCall: () => "the chequebook refused a call made from inside one of its own token transfers (a token callback re-entered it)",
  ChequebookCashoutAlreadyUsed: (a) => `this cash-out authorisation (${a[0]}) was used already (last ${a[1]}): cash directly or sign a later cheque`,
  ChequebookUnauthorized: (a) => `${a[0]} is not the chequebook's issuer: use the issuer's key`,
  ChequebookInsufficientLiquidity: (a) => `only ${a[0]} is liquid but ${a[1]} was asked: lower the amount or wait for hard deposits to be released`,
  ChequebookHardDepositExceedsBalance: (a) => `hard deposits would total ${a[1]} but the balance is ${a[0]}: deposit first`,
  ChequebookDecreaseExceedsHardDeposit: (a) => `the decrease ${a[1]} exceeds the hard deposit ${a[0]}`,
  ChequebookNoDecreasePrepared: () => "no hard-deposit decrease was prepared: prepare one first",
  ChequebookDecreaseNotDue: (a) => `the decrease applies from ${a[0]} (unix time): wait until then`,
  ChequebookTimeoutAuthorisationUsed: () => "this timeout authorisation was used already: ask the beneficiary for a new one",
  ChequebookInvalidAddress: (a) => `${a[0]} cannot be used as a beneficiary or recipient`,
  ChequebookZeroAmount: () => "the amount must be positive",
  ChequebookAlreadyInitialized: () => "chequebooks are initialised at creation and cannot be initialised again",
  SafeERC20FailedOperation: (a) => `the token ${a[0]} refused the transfer`,
  ERC20InsufficientBalance: (a) => `${a[0]} holds ${a[1]} tokens but ${a[2]} are needed: get more tokens first`,
  ERC20InsufficientAllowance: (a) => `the allowance is ${a[1]} but ${a[2]} is needed: approve more first`,
  FailedDeployment: () => "a chequebook with this deployer, salt and arguments exists already: use another salt",
};

/** Decodes revert data into a custom error, or undefined. */
export function decodeRevert(data: string | undefined | null): ErrorDescription | undefined {
  if (typeof data !== "string" || data.length < 10) return undefined;
  try {
    return errorInterface.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

function revertData(error: unknown): string | undefined {
  // ethers puts revert data on error.data; some providers nest it in info.error.data or error.error.data.
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  while (stack.length > 0) {
    const e = stack.pop();
    if (typeof e !== "object" || e === null || seen.has(e)) continue;
    seen.add(e);
    const r = e as Record<string, unknown>;
    if (typeof r.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(r.data)) return r.data;
    stack.push(r.error, r.info, r.cause, r.data);
  }
  return undefined;
}

function text(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 5 && typeof e === "object" && e !== null; i++) {
    const r = e as Record<string, unknown>;
    if (typeof r.message === "string") parts.push(r.message);
    if (typeof r.shortMessage === "string") parts.push(r.shortMessage);
    e = r.error ?? r.cause ?? (r.info as Record<string, unknown> | undefined)?.error;
  }
  return parts.join(" | ").toLowerCase();
}

/**
 * A {@link ChequeError} that says why `error` happened while doing `action`. ChequeErrors pass through.
 *
 * Decoded custom errors give CONTRACT_REVERT with `details.errorName` and `details.args`; a node that cannot pay
 * for gas gives NO_GAS_FUNDS; out of gas gives OUT_OF_GAS; a connection failure RPC_UNAVAILABLE; other node
 * errors RPC_ERROR.
 *
 * @example try { await tx } catch (e) { throw toChequeError(e, "cash-out") }
 */
export function toChequeError(error: unknown, action: string): ChequeError {
  if (isChequeError(error)) return error;
  const decoded = decodeRevert(revertData(error));
  if (decoded !== undefined) {
    const advice = REVERT_ADVICE[decoded.name]?.(decoded.args) ?? `the contract reverted with ${decoded.name}`;
    return new ChequeError("CONTRACT_REVERT", `${action} failed: ${advice}`, {
      details: { errorName: decoded.name, args: decoded.args.toArray(), selector: decoded.selector },
      cause: error,
    });
  }
  const msg = text(error);
  // ethers' own check of a non-static provider: the node now reports another chain than when it was first asked.
  if (msg.includes("network changed")) {
    return new ChequeError("WRONG_CHAIN", `${action} failed: the node switched to another chain; nothing was read or sent`, { cause: error });
  }
  // geth and anvil say "insufficient funds for gas * price + value"; Hardhat "sender doesn't have enough funds".
  if (isError(error, "INSUFFICIENT_FUNDS") || /insufficient funds|doesn't have enough funds|not enough funds/.test(msg)) {
    return new ChequeError("NO_GAS_FUNDS", `${action} failed: the sending account has too little native currency for gas; fund it`, { cause: error });
  }
  if (msg.includes("out of gas") || msg.includes("intrinsic gas too low") || msg.includes("gas required exceeds")) {
    return new ChequeError("OUT_OF_GAS", `${action} failed: out of gas; raise the gas limit`, { cause: error });
  }
  if (
    isError(error, "NETWORK_ERROR") ||
    isError(error, "TIMEOUT") ||
    /econnrefused|econnreset|enotfound|fetch failed|socket hang up|network error|connection refused|failed to detect network|timeout/.test(msg)
  ) {
    return new ChequeError("RPC_UNAVAILABLE", `${action} failed: the JSON-RPC node cannot be reached; check the RPC URL and that the node is up`, { cause: error });
  }
  if (isError(error, "CALL_EXCEPTION") || /transaction reverted|execution reverted/.test(msg)) {
    return new ChequeError("CONTRACT_REVERT", `${action} failed: the contract reverted without a reason (is the address a chequebook?)`, { cause: error });
  }
  return new ChequeError("RPC_ERROR", `${action} failed: the node answered with an error: ${msg.slice(0, 200)}`, { cause: error });
}

/**
 * Runs a read against the chain under the process-wide deadline ({@link configureRpc}), turning failures into
 * {@link ChequeError}s.
 *
 * @throws ChequeError RPC_TIMEOUT past the deadline, WRONG_CHAIN, and whatever {@link toChequeError} gives.
 */
export async function rpc<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(call(), rpcDefaults().deadlineMs, action);
  } catch (error) {
    throw toChequeError(error, action);
  }
}
