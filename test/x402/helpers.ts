/** An x402 `cheque` server on 127.0.0.1 (port 0) for tests, with its accounts, and raw requests for hostile clients. */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { x402HTTPClient, x402Client } from "@x402/core/client";
import type { PaymentPayload, PaymentRequired, PaymentRequirements } from "@x402/core/types";

import { MemoryChequeStore, chequeToJson, signCheque, type ChequeStore, type SignedCheque } from "../../sdk/index.js";
import { ChequeAccounts, MemoryChargeLedger, chequePaywall, chequeResourceServer, eip155Network, type ChargeLedger, type PaidHandler } from "../../sdk/x402/index.js";
import { verifierFor, type SdkFixture } from "../sdk/helpers.js";

export const PRICE = 10n ** 14n;

export interface TestServer {
  url: string;
  accounts: ChequeAccounts;
  store: ChequeStore;
  ledger: ChargeLedger;
  stop(): Promise<void>;
}

/** Starts a paywalled server; `handler` defaults to a 200 "ok". */
export async function startServer(f: SdkFixture, options: { handler?: PaidHandler; store?: ChequeStore; ledger?: ChargeLedger } = {}): Promise<TestServer> {
  const store = options.store ?? new MemoryChequeStore();
  const ledger = options.ledger ?? new MemoryChargeLedger();
  const accounts = new ChequeAccounts({ verifier: verifierFor(f, store), store, ledger });
  const server = chequeResourceServer({ accounts, token: f.tokenAddress, trustedFactories: [f.factoryAddress] });
  const routes = { "GET /data": { accepts: { scheme: "cheque", network: accounts.network, payTo: f.beneficiary.address, price: PRICE.toString() } } };
  const handler: PaidHandler = options.handler ?? (() => Promise.resolve({ status: 200, headers: { "content-type": "text/plain" }, body: "ok" }));
  const paywall = chequePaywall({ server, routes, handler });
  await paywall.initialize();
  const http: Server = createServer(paywall.listener);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data`,
    accounts,
    store,
    ledger,
    stop: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, "close");
      accounts.close(); // a restart on the same store starts with no memory, as a new process would
    },
  };
}

const httpClient = new x402HTTPClient(new x402Client());

/** The 402 announcement of `url`. */
export async function requirementsOf(url: string): Promise<PaymentRequirements> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return httpClient.getPaymentRequiredResponse((n) => res.headers.get(n)).accepts[0]!;
}

/** Sends `cheque` (claimed for `chainId`) as a PAYMENT-SIGNATURE; returns the status and, for a 402, its error. */
export async function payRaw(url: string, accepted: PaymentRequirements, cheque: SignedCheque, chainId: bigint): Promise<{ status: number; error?: string; body: string; required?: PaymentRequired }> {
  const payload: PaymentPayload = { x402Version: 2, accepted, payload: { cheque: { ...chequeToJson(cheque) }, chainId: chainId.toString() } };
  const res = await fetch(url, { headers: httpClient.encodePaymentSignatureHeader(payload) });
  const body = await res.text();
  if (res.status !== 402) return { status: res.status, body };
  const required: PaymentRequired = httpClient.getPaymentRequiredResponse((n) => res.headers.get(n));
  return required.error === undefined ? { status: res.status, body, required } : { status: res.status, error: required.error, body, required };
}

/** A cheque from the fixture's chequebook, signed by `signer` (the issuer by default) for `chainId`. */
export function cheque(f: SdkFixture, cumulativePayout: bigint, options: { beneficiary?: string; signer?: SdkFixture["issuer"]; chainId?: bigint } = {}) {
  return signCheque({ chequebook: f.address, beneficiary: options.beneficiary ?? f.beneficiary.address, cumulativePayout, signer: options.signer ?? f.issuer, chainId: options.chainId ?? f.chainId });
}

export { eip155Network };
