/**
 * The x402 `exact` scheme (EIP-3009 `transferWithAuthorization`, from the official `@x402/evm`) on a local chain
 * reached through ethers: a facilitator signer over an ethers signer (so no viem client or RPC URL is needed), a
 * local in-process facilitator that settles every payment on chain, the resource server and the paying client.
 * Used by the `exact` test (test/x402/exact.test.ts) and `npm run bench:http`, next to the `cheque` scheme on the
 * same paywall (sdk/x402/node-http.ts).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { Interface, verifyTypedData, type Provider, type Signer, type TypedDataField } from "ethers";
import { x402Client } from "@x402/core/client";
import { x402Facilitator } from "@x402/core/facilitator";
import { x402ResourceServer, type FacilitatorClient } from "@x402/core/server";
import type { Network, SupportedResponse } from "@x402/core/types";
import type { ClientEvmSigner } from "@x402/evm";
import { ExactEvmScheme as ExactEvmClientScheme } from "@x402/evm/exact/client";
import { ExactEvmScheme as ExactEvmFacilitatorScheme } from "@x402/evm/exact/facilitator";
import { ExactEvmScheme as ExactEvmServerScheme } from "@x402/evm/exact/server";

/** What `@x402/evm`'s facilitator needs of the chain (its `FacilitatorEvmSigner`). */
export type FacilitatorEvmSigner = ConstructorParameters<typeof ExactEvmFacilitatorScheme>[0];

type Hex = `0x${string}`;
type ContractCall = { address: Hex; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] };

function encode(call: ContractCall): { iface: Interface; data: string; fragment: ReturnType<Interface["getFunction"]> } {
  const iface = new Interface(call.abi as never);
  const args = [...(call.args ?? [])];
  const fragment = iface.getFunction(call.functionName, args);
  if (fragment === null) throw new Error(`no function ${call.functionName} for ${args.length} arguments`);
  return { iface, data: iface.encodeFunctionData(fragment, args), fragment };
}

/** Drops the `EIP712Domain` entry viem-style callers may include, which ethers derives itself. */
function ethersTypes(types: Record<string, unknown>): Record<string, TypedDataField[]> {
  const { EIP712Domain: _domain, ...rest } = types;
  return rest as Record<string, TypedDataField[]>;
}

/**
 * `@x402/evm`'s facilitator signer over an ethers signer: reads with `eth_call`, writes with the signer, waits for
 * receipts with the provider (logs in the shape viem's `parseEventLogs` reads).
 */
export function ethersFacilitatorSigner(signer: Signer & { address: string }, provider: Provider): FacilitatorEvmSigner {
  return {
    getAddresses: () => [signer.address as Hex],
    async readContract(call) {
      const { iface, data, fragment } = encode(call);
      const result = iface.decodeFunctionResult(fragment!, await provider.call({ to: call.address, data }));
      return result.length === 1 ? result[0] : result;
    },
    verifyTypedData: (args) =>
      Promise.resolve(verifyTypedData(args.domain, ethersTypes(args.types), args.message, args.signature).toLowerCase() === args.address.toLowerCase()),
    async writeContract(call) {
      const { data } = encode(call);
      const tx = await signer.sendTransaction({ to: call.address, data: data + (call.dataSuffix ?? "0x").slice(2), ...(call.gas === undefined ? {} : { gasLimit: call.gas }) });
      return tx.hash as Hex;
    },
    async sendTransaction({ to, data }) {
      return (await signer.sendTransaction({ to, data })).hash as Hex;
    },
    async waitForTransactionReceipt({ hash }) {
      const receipt = await provider.waitForTransaction(hash);
      if (receipt === null) throw new Error(`no receipt for ${hash}`);
      const logs = receipt.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, blockHash: l.blockHash, blockNumber: BigInt(l.blockNumber), logIndex: l.index, transactionHash: l.transactionHash, transactionIndex: l.transactionIndex, removed: false }));
      return { status: receipt.status === 1 ? "success" : "reverted", logs: logs as never };
    },
    async getCode({ address }) {
      return (await provider.getCode(address)) as Hex;
    },
  };
}

/** `@x402/evm`'s client signer (address and EIP-712 `signTypedData`) over an ethers signer. */
export function ethersClientSigner(signer: Signer & { address: string }): ClientEvmSigner {
  return {
    address: signer.address as Hex,
    signTypedData: async ({ domain, types, message }) => (await signer.signTypedData(domain as never, ethersTypes(types), message)) as Hex,
  };
}

/**
 * A local `exact` facilitator (in process, no HTTP hop: the most favourable case for `exact`) that verifies each
 * payment with `eth_call` and settles it with one `transferWithAuthorization` transaction sent by `signer`,
 * waiting for its receipt. Counts what it settled.
 */
export function localExactFacilitator(args: { signer: Signer & { address: string }; provider: Provider; network: Network }): FacilitatorClient & { settled: string[] } {
  const facilitator = new x402Facilitator().register(args.network, new ExactEvmFacilitatorScheme(ethersFacilitatorSigner(args.signer, args.provider)));
  const settled: string[] = [];
  return {
    settled,
    verify: (payload, requirements) => facilitator.verify(payload, requirements),
    async settle(payload, requirements) {
      const result = await facilitator.settle(payload, requirements);
      if (result.success) settled.push(result.transaction);
      return result;
    },
    getSupported: () => Promise.resolve(facilitator.getSupported() as SupportedResponse),
  };
}

/** An `x402ResourceServer` taking `exact` payments on `network`, verified and settled by `facilitator`. */
export function exactResourceServer(facilitator: FacilitatorClient, network: Network): x402ResourceServer {
  return new x402ResourceServer(facilitator).register(network, new ExactEvmServerScheme());
}

/**
 * An `x402Client` paying `exact` on `network` with `signer`'s EIP-3009 authorizations, in `token` only and at most
 * `maxAmountPerPayment` base units a request (x402's spend controls admit only its known assets by default).
 */
export function exactX402Client(args: { signer: Signer & { address: string }; network: Network; token: string; maxAmountPerPayment: bigint }): x402Client {
  const client = new ExactEvmClientScheme(ethersClientSigner(args.signer));
  return x402Client.fromConfig({
    schemes: [{ network: args.network, client }],
    spendControls: { allowedAssets: [{ network: args.network, asset: args.token, maxAmountPerPayment: args.maxAmountPerPayment.toString() }] },
  });
}

/** The `exact` route price: `amount` base units of an EIP-3009 `token` whose EIP-712 domain is ("Test USD", "1"). */
export function exactPrice(token: string, amount: bigint) {
  return { asset: token, amount: amount.toString(), extra: { name: "Test USD", version: "1" } };
}

/** An HTTP server on 127.0.0.1 (free port) around `listener`; `stop` closes it and every connection. */
export async function listenOnLoopback(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; stop: () => Promise<void> }> {
  const http: Server = createServer(listener);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
    },
  };
}

/**
 * How long an `exact` authorization must stay valid: five minutes past the chain's clock. The client dates it by
 * the wall clock while the token checks it against the block timestamp, and a local chain may run ahead of the
 * wall clock (tests that move time forward).
 */
export async function exactTimeoutSeconds(provider: Provider): Promise<number> {
  const block = await provider.getBlock("latest");
  const ahead = (block?.timestamp ?? 0) - Math.floor(Date.now() / 1000);
  return 300 + Math.max(0, ahead);
}
