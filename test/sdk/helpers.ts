/** Fixtures for SDK tests on the in-process chain. Stores are made per test: chain snapshots do not undo them. */
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

export { UNIT };
