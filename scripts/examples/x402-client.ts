/**
 * Example: a program that pays an x402 API per call with cheques from its chequebook, through `@x402/fetch`, with
 * spending caps checked before anything is signed. Run it with the server: `npm run example:x402`.
 */
import type { Provider, Signer } from "ethers";
import { decodePaymentResponseHeader, wrapFetchWithPayment } from "@x402/fetch";

import { MemoryChequeStore, type ChequeStore } from "../../sdk/index.js";
import { ChequeSchemeClient, chainSignatureCheck, chequeX402Client } from "../../sdk/x402/index.js";

export interface ExampleClientOptions {
  /** The chequebook's issuer key. */
  signer: Signer;
  chequebook: string;
  chainId: bigint;
  token: string;
  factory: string;
  /** For resync checks of a contract-wallet issuer (ERC-1271); a key's signature needs no chain. */
  provider: Provider;
  /** Where the cumulative per payee is kept (a SqliteChequeStore in a real program). */
  store?: ChequeStore;
}

export interface ExampleCall {
  city: string;
  status: number;
  body: unknown;
  /** The server's PAYMENT-RESPONSE figures, for a call it charged. */
  charged?: string;
}

/** Calls `url` once per city and returns what each call answered. */
export async function runExampleClient(o: ExampleClientOptions, url: string, cities: readonly string[]): Promise<{ calls: ExampleCall[]; scheme: ChequeSchemeClient }> {
  const scheme = new ChequeSchemeClient({
    signer: o.signer,
    chequebook: o.chequebook,
    chainId: o.chainId,
    token: o.token,
    store: o.store ?? new MemoryChequeStore(),
    factory: o.factory,
    caps: { perRequest: 10n ** 15n, perPayee: 10n ** 18n, perPeriod: { amount: 10n ** 17n, periodMs: 3_600_000 } },
    signatureCheck: chainSignatureCheck({ provider: o.provider }),
  });
  const paidFetch = wrapFetchWithPayment(fetch, chequeX402Client(scheme));
  const calls: ExampleCall[] = [];
  for (const city of cities) {
    const res = await paidFetch(`${url}?city=${encodeURIComponent(city)}`);
    const body: unknown = await res.json();
    const header = res.headers.get("PAYMENT-RESPONSE");
    const charged = header === null ? undefined : (decodePaymentResponseHeader(header).extra as { charged?: string } | undefined)?.charged;
    calls.push({ city, status: res.status, body, ...(charged === undefined ? {} : { charged }) });
  }
  return { calls, scheme };
}
