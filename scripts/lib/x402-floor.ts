/**
 * The floor of an x402 paid request, for `npm run bench:http`: a scheme named `free` whose payment is an empty
 * payload, accepted and settled without any check, write or chain call. What is left is what every scheme pays on
 * the same paywall and client: the 402 round trip, the paid request, encoding and decoding the x402 headers, and the
 * x402 core's routing and hooks.
 */
import { x402Client } from "@x402/core/client";
import { x402ResourceServer, type FacilitatorClient } from "@x402/core/server";
import type { Network, PaymentRequirements, SchemeNetworkClient, SchemeNetworkServer } from "@x402/core/types";

const SCHEME = "free";

/** The resource server of the `free` scheme (its facilitator answers yes to everything, in process). */
export function freeResourceServer(network: Network, asset: string): x402ResourceServer {
  const facilitator: FacilitatorClient = {
    verify: () => Promise.resolve({ isValid: true, payer: asset }),
    settle: (_p, r) => Promise.resolve({ success: true, transaction: "", network: r.network, payer: asset, amount: r.amount }),
    getSupported: () => Promise.resolve({ kinds: [{ x402Version: 2, scheme: SCHEME, network }], extensions: [], signers: {} }),
  };
  const scheme: SchemeNetworkServer = {
    scheme: SCHEME,
    defaultAssetTransferMethod: "default",
    // verify before the handler, settle after it: the flow `cheque` uses
    paymentFlows: { default: { supported: ["authorization"], default: "authorization" } },
    parsePrice: () => Promise.resolve({ asset, amount: "1" }),
    enhancePaymentRequirements: (r: PaymentRequirements) => Promise.resolve(r),
  };
  return new x402ResourceServer(facilitator).register(network, scheme);
}

/** An `x402Client` paying the `free` scheme with an empty payload. */
export function freeX402Client(network: Network, asset: string): x402Client {
  const client: SchemeNetworkClient = { scheme: SCHEME, createPaymentPayload: (x402Version) => Promise.resolve({ x402Version, payload: {} }) };
  return x402Client.fromConfig({ schemes: [{ network, client }], spendControls: { allowedAssets: [{ network, asset }] } });
}

/** The `free` scheme's route price (its amount is fixed at 1). */
export const FREE_SCHEME = SCHEME;
