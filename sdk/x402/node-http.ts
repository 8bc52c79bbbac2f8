/**
 * A paywall for Node's `http` server on `@x402/core`'s HTTP resource server: 402 with PAYMENT-REQUIRED for an
 * unpaid request, the handler run for a verified one, and PAYMENT-RESPONSE once it succeeded and was charged.
 * The handler returns its response instead of writing it, so that nothing is sent (or charged) before it is known
 * to have succeeded: a status of 400 or more, a throw, or a response Node cannot send (an invalid header or status)
 * releases the payment.
 *
 * The paid handler runs only for a request that matched a priced route (method and path) and was verified. A
 * request no route prices (another method, such as `POST` on a `GET` route, or another path) gets a 404, unless an
 * `unpaid` handler is given: handlers commonly ignore the request line, and running the paid one for it would
 * serve the resource for free.
 */
import { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from "node:http";

import { x402HTTPResourceServer, type HTTPAdapter, type HTTPResponseInstructions, type RoutesConfig, type x402ResourceServer } from "@x402/core/server";

/** What a paid handler answers. */
export interface PaidResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** A handler behind the paywall. */
export type PaidHandler = (req: IncomingMessage) => Promise<PaidResponse>;

function adapterFor(req: IncomingMessage): HTTPAdapter {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    getHeader: header,
    getMethod: () => req.method ?? "GET",
    getPath: () => url.pathname,
    getUrl: () => url.toString(),
    getAcceptHeader: () => header("accept") ?? "",
    getUserAgent: () => header("user-agent") ?? "",
  };
}

/**
 * Whether Node can send `r` as it is: a status in 100..999, header names and values Node accepts, a string or bytes
 * as body. Checked before the charge: a response that fails only once sent would be charged and answered as a 500.
 */
function sendable(r: PaidResponse): boolean {
  if (!Number.isInteger(r.status) || r.status < 100 || r.status > 999) return false;
  if (r.body !== undefined && typeof r.body !== "string" && !(r.body instanceof Uint8Array)) return false;
  try {
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    }
    return true;
  } catch {
    return false;
  }
}

function send(res: ServerResponse, r: HTTPResponseInstructions | PaidResponse, extra: Record<string, string> = {}): void {
  const body = r.body === undefined ? "" : typeof r.body === "string" || r.body instanceof Uint8Array ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { ...r.headers, ...extra });
  res.end(body);
}

/**
 * Wraps `handler` in an x402 paywall for `routes` (e.g. `{ "GET /data": { accepts: { scheme: "cheque", ... } } }`).
 * `handler` serves only paid requests on those routes; `unpaid`, if given, serves every other request (default: 404).
 *
 * @returns the request listener and `initialize`, to await before listening.
 * @example
 * const paywall = chequePaywall({ server: chequeResourceServer(...), routes, handler })
 * await paywall.initialize(); http.createServer(paywall.listener).listen(0, "127.0.0.1")
 */
export function chequePaywall(args: { server: x402ResourceServer; routes: RoutesConfig; handler: PaidHandler; unpaid?: PaidHandler }): {
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  initialize: () => Promise<void>;
} {
  const http = new x402HTTPResourceServer(args.server, args.routes);
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const adapter = adapterFor(req);
    const paymentHeader = adapter.getHeader("payment-signature");
    const context = { adapter, path: adapter.getPath(), method: adapter.getMethod(), ...(paymentHeader === undefined ? {} : { paymentHeader }) };
    const result = await http.processHTTPRequest(context);
    if (result.type === "payment-error") return send(res, result.response);
    if (result.type === "no-payment-required") return send(res, args.unpaid === undefined ? { status: 404, body: "not found" } : await args.unpaid(req));
    let response: PaidResponse;
    try {
      response = await args.handler(req);
    } catch (error) {
      await result.cancellationDispatcher.cancel({ reason: "handler_threw", error });
      return send(res, { status: 500, body: "handler failed; nothing was charged" });
    }
    if (!sendable(response)) {
      await result.cancellationDispatcher.cancel({ reason: "handler_failed", responseStatus: 500 });
      return send(res, { status: 500, body: "the handler's response cannot be sent; nothing was charged" });
    }
    if (response.status >= 400) {
      await result.cancellationDispatcher.cancel({ reason: "handler_failed", responseStatus: response.status });
      return send(res, response);
    }
    const settled = await http.processSettlement(result.paymentPayload, result.paymentRequirements, result.declaredExtensions, { request: context });
    if (!settled.success) return send(res, settled.response, settled.headers);
    send(res, response, settled.headers);
  };
  return {
    listener: (req, res) => {
      serve(req, res).catch(() => {
        if (!res.headersSent) send(res, { status: 500, body: "internal error" });
        else res.destroy();
      });
    },
    initialize: () => http.initialize(),
  };
}
