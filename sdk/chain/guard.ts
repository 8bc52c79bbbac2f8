/**
 * Guards on every request to the node: a deadline (a node that accepts a connection and never answers must not
 * hold a lock for ethers' default five minutes), and the node's chain id, asked with `eth_chainId` itself (a
 * provider built with `staticNetwork` never asks) before the first request, again after any failed request, and
 * again once `chainCheckMs` has passed since the last check.
 */
import { isError, type Provider } from "ethers";

import { ChequeError, isChequeError } from "../errors.js";

/** Deadlines and chain checks for requests to a node. */
export interface RpcGuardOptions {
  /** Every request must be answered within this many milliseconds (RPC_TIMEOUT). Default 30 s. */
  deadlineMs?: number;
  /** Ask the node's chain id again when this long has passed since the last check; 0 asks before every request. Default 60 s. */
  chainCheckMs?: number;
}

/** Options of {@link guardProvider}. */
export interface GuardProviderOptions extends RpcGuardOptions {
  /**
   * The chain the node must be on. Default: what the provider says at first use, which for a provider built
   * with `staticNetwork` is the network it was given. Pass it whenever you know it.
   */
  chainId?: bigint | number;
}

const defaults: Required<RpcGuardOptions> = { deadlineMs: 30_000, chainCheckMs: 60_000 };

function checkMs(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new ChequeError("INVALID_ARGUMENT", `${name} must be a finite number of milliseconds, at least 0`);
}

/**
 * Sets the process-wide defaults: the deadline of every SDK read ({@link rpc}) and of every request through a
 * guarded provider that has no deadline of its own, and how often the chain id is asked again.
 *
 * @returns the previous defaults.
 * @throws ChequeError INVALID_ARGUMENT for a negative or non-finite value.
 * @example configureRpc({ deadlineMs: 10_000 })
 */
export function configureRpc(options: RpcGuardOptions): Required<RpcGuardOptions> {
  checkMs("deadlineMs", options.deadlineMs);
  checkMs("chainCheckMs", options.chainCheckMs);
  const previous = { ...defaults };
  if (options.deadlineMs !== undefined) defaults.deadlineMs = options.deadlineMs;
  if (options.chainCheckMs !== undefined) defaults.chainCheckMs = options.chainCheckMs;
  return previous;
}

/** The process-wide defaults set by {@link configureRpc}. */
export function rpcDefaults(): Required<RpcGuardOptions> {
  return { ...defaults };
}

/**
 * `work`, or RPC_TIMEOUT if it has not settled after `ms`. The request itself is not cancelled (ethers offers no
 * way); its late outcome is ignored.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, action: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ChequeError("RPC_TIMEOUT", `${action} failed: the JSON-RPC node did not answer within ${ms} ms; check the node, or raise the deadline`, { details: { action, deadlineMs: ms } })),
      ms,
    );
  });
  work.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The node's own answer to eth_chainId, not a provider's idea of its network. */
async function askChainId(provider: Provider): Promise<bigint> {
  const send = (provider as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send;
  if (typeof send === "function") return BigInt(String(await send.call(provider, "eth_chainId", [])));
  return (await provider.getNetwork()).chainId;
}

/** The state of the checks for one provider. */
class Guard {
  readonly #provider: Provider;
  readonly #options: GuardProviderOptions;
  #expected: bigint | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #stale = true;
  #checking: Promise<void> | undefined;

  constructor(provider: Provider, options: GuardProviderOptions) {
    this.#provider = provider;
    this.#options = options;
    if (options.chainId !== undefined) this.#expected = BigInt(options.chainId);
  }

  configure(options: GuardProviderOptions): void {
    checkMs("deadlineMs", options.deadlineMs);
    checkMs("chainCheckMs", options.chainCheckMs);
    Object.assign(this.#options, options);
    if (options.chainId !== undefined) {
      this.#expected = BigInt(options.chainId);
      this.#stale = true;
    }
  }

  get deadlineMs(): number {
    return this.#options.deadlineMs ?? defaults.deadlineMs;
  }

  /** Asks the node's chain id if it is due; WRONG_CHAIN if it is not the expected one. */
  ensureChain(): Promise<void> {
    const every = this.#options.chainCheckMs ?? defaults.chainCheckMs;
    if (!this.#stale && Date.now() - this.#checkedAt < every) return Promise.resolve();
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    const action = "asking the node's chain id";
    const actual = await withDeadline(askChainId(this.#provider), this.deadlineMs, action).catch((error: unknown) => {
      throw isChequeError(error) ? error : new ChequeError("RPC_UNAVAILABLE", `${action} failed: the JSON-RPC node cannot be reached`, { cause: error });
    });
    this.#expected ??= (await withDeadline(this.#provider.getNetwork(), this.deadlineMs, action)).chainId;
    if (actual !== this.#expected) {
      throw new ChequeError("WRONG_CHAIN", `the node is on chain ${actual}, not on chain ${this.#expected}: the RPC endpoint points at another chain; nothing was read or sent`, {
        details: { chainId: actual, expected: this.#expected },
      });
    }
    this.#stale = false;
    this.#checkedAt = Date.now();
  }

  /** Runs one request: the chain check if due, then the request under the deadline. */
  async run<T>(action: string, request: () => Promise<T>): Promise<T> {
    await this.ensureChain();
    try {
      return await withDeadline(request(), this.deadlineMs, action);
    } catch (error) {
      // A revert is an answer; anything else may mean the endpoint changed: ask its chain again first next time.
      if (!isError(error, "CALL_EXCEPTION")) this.#stale = true;
      throw error;
    }
  }
}

/** The methods of an ethers Provider that reach the node. */
const NODE_METHODS = new Set([
  "broadcastTransaction", "call", "estimateGas", "getBalance", "getBlock", "getBlockNumber", "getCode", "getFeeData",
  "getLogs", "getNetwork", "getStorage", "getTransaction", "getTransactionCount", "getTransactionReceipt",
  "getTransactionResult", "send",
]);

const GUARD = Symbol("swap-chequebook.guard");
const TARGET = Symbol("swap-chequebook.target");
const guarded = new WeakMap<Provider, Provider>();

/**
 * `provider` with a deadline on every request and its chain id checked with `eth_chainId`: before the first
 * request, after any failed one, and every `chainCheckMs`. One guard is kept per provider, so calling this again
 * returns the same guarded provider (with `options` applied). Contract handles made by {@link chequebookAt} and its
 * siblings guard a provider runner this way by themselves.
 *
 * @returns a provider to use in place of `provider`; its requests throw RPC_TIMEOUT past the deadline and
 *   WRONG_CHAIN when the node is on another chain (other failures are ethers' own, as before).
 * @throws ChequeError INVALID_ARGUMENT for a negative or non-finite duration.
 * @example
 * const provider = guardProvider(new JsonRpcProvider(url, 100n, { staticNetwork: true }), { chainId: 100n, deadlineMs: 10_000 })
 */
export function guardProvider<P extends Provider>(provider: P, options: GuardProviderOptions = {}): P {
  const target = ((provider as unknown as Record<symbol, Provider | undefined>)[TARGET] ?? provider) as P;
  const existing = guarded.get(target);
  if (existing !== undefined) {
    (existing as unknown as Record<symbol, Guard>)[GUARD]!.configure(options);
    return existing as P;
  }
  checkMs("deadlineMs", options.deadlineMs);
  checkMs("chainCheckMs", options.chainCheckMs);
  const guard = new Guard(target, { ...options });
  const proxy: P = new Proxy(target, {
    get(object, property) {
      if (property === GUARD) return guard;
      if (property === TARGET) return object;
      if (property === "provider") return proxy;
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      // Called on the provider itself: ethers' providers keep private fields a proxy cannot reach.
      if (typeof property === "string" && NODE_METHODS.has(property)) {
        return (...args: unknown[]) => guard.run(property === "send" ? `${property} ${String(args[0])}` : property, () => (value as (...a: unknown[]) => Promise<unknown>).apply(object, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
  guarded.set(target, proxy);
  return proxy;
}
