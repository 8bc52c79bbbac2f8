/** Fixtures for SDK tests on the in-process chain. Stores are made per test: chain snapshots do not undo them. */
import type { Log, Provider } from "ethers";
import type fc from "fast-check";

import { MemoryChequeStore, ChequeVerifier, type ChequeStore, type ChequeVerifierOptions } from "../../sdk/index.js";
import { UNIT, deployBase, deployChequebook } from "../helpers/fixtures.js";
import { ethers } from "../helpers/setup.js";

export async function sdkFixture() {
  const base = await deployBase();
  const chequebook = await deployChequebook(base.factory, base.issuer, base.issuer.address);
  const address = await chequebook.getAddress();
  await base.token.mint(address, 1000n * UNIT);
  return { ...base, chequebook, address, factoryAddress: await base.factory.getAddress(), tokenAddress: await base.token.getAddress() };
}

export type SdkFixture = Awaited<ReturnType<typeof sdkFixture>>;

export function verifierFor(f: SdkFixture, store: ChequeStore = new MemoryChequeStore(), options: Partial<ChequeVerifierOptions> = {}) {
  return new ChequeVerifier({
    provider: ethers.provider,
    chainId: f.chainId,
    beneficiary: f.beneficiary.address,
    trustedFactories: [f.factoryAddress],
    token: f.tokenAddress,
    store,
    ...options,
  });
}

/** Runs `fn` and returns the ChequeError it throws, failing if it throws anything else or nothing. */
export async function rejection(fn: () => Promise<unknown>): Promise<import("../../sdk/index.js").ChequeError> {
  try {
    await fn();
  } catch (e) {
    const { isChequeError } = await import("../../sdk/index.js");
    if (!isChequeError(e)) throw new Error(`expected a ChequeError, got ${String(e)}`, { cause: e });
    return e;
  }
  throw new Error("expected a ChequeError, nothing was thrown");
}

/** Counts the provider calls made while `fn` runs (eth_call and getCode), and the gas limit each eth_call carried. */
export async function countCalls(fn: () => Promise<unknown>) {
  const counts = { call: 0, getCode: 0, gas: [] as Array<bigint | undefined> };
  const provider = ethers.provider as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const call = provider.call!, getCode = provider.getCode!;
  provider.call = (...a) => (counts.call++, counts.gas.push((a[0] as { gasLimit?: bigint }).gasLimit), call.apply(ethers.provider, a));
  provider.getCode = (...a) => (counts.getCode++, getCode.apply(ethers.provider, a));
  try {
    await fn();
  } finally {
    provider.call = call;
    provider.getCode = getCode;
  }
  return counts;
}

/** A store whose every call is released by the fast-check scheduler, so a property explores interleavings. */
export function scheduledStore(inner: ChequeStore, s: fc.Scheduler): ChequeStore {
  return new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => s.schedule(Promise.resolve(), String(key)).then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

export { UNIT };

type LogFilter = { fromBlock?: number | string; toBlock?: number | string };

/**
 * The in-process chain's provider with its `getLogs` wrapped by `wrap`: a node with its own limits on log queries
 * (a range cap, a cap on results), everything else as it is.
 */
export function withGetLogs(wrap: (getLogs: (filter: LogFilter) => Promise<Log[]>) => (filter: LogFilter) => Promise<Log[]>): Provider {
  const target = ethers.provider as unknown as Record<string, unknown>;
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key, object) as unknown;
      if (typeof value !== "function") return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(object);
      return key === "getLogs" ? wrap(bound as (filter: LogFilter) => Promise<Log[]>) : bound;
    },
  }) as unknown as Provider;
}

