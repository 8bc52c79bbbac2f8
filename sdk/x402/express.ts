/**
 * A companion to `@x402/express`'s `paymentMiddleware`, mounted right after it. That middleware holds the paid
 * handler's response (every `writeHead`, `write` and `end` call) until `end`, then charges when `res.statusCode` is
 * below 400 and otherwise cancels the payment and sends what it held. Three gaps, closed here for paid requests:
 * - a status given only to `res.writeHead(503)` (Node's API, which Express keeps) is held with the call and never
 *   reaches `res.statusCode` before the decision: the failure would be charged;
 * - a handler that wrote its paid content and then failed (a throw after `res.write`, handled by Express's error
 *   handler as a 500) would have that content sent, free, after the error's status: here what the handler wrote
 *   while its status was below 400 is dropped when the response ends as a failure;
 * - a response closed before the handler ended it (the client went away, the handler destroyed it) would leave the
 *   middleware waiting for `end` for good, the payer's price reserved: here it is ended as a 500, which releases it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

type Method = "writeHead" | "write" | "flushHeaders";
type Held = { method: Method; args: unknown[]; whileFailing: boolean };
type Call = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * Connect-style middleware for paid requests (those with a PAYMENT-SIGNATURE header) behind `paymentMiddleware`
 * (see the module comment); other requests pass untouched.
 *
 * @example app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token, trustedFactories })), expressPaymentGuard())
 */
export function expressPaymentGuard(): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    if (req.headers["payment-signature"] === undefined && req.headers["x-payment"] === undefined) return next();
    const r = res as unknown as Record<Method | "end", Call>;
    const inner = { writeHead: r.writeHead, write: r.write, flushHeaders: r.flushHeaders, end: r.end };
    const held: Held[] = [];
    let ended = false;
    const hold = (method: Method) =>
      function (this: ServerResponse, ...args: unknown[]): unknown {
        if (method === "writeHead" && typeof args[0] === "number") res.statusCode = args[0];
        held.push({ method, args, whileFailing: res.statusCode >= 400 });
        return method === "write" ? true : method === "writeHead" ? res : undefined;
      };
    r.writeHead = hold("writeHead");
    r.write = hold("write");
    r.flushHeaders = hold("flushHeaders");
    r.end = function (this: ServerResponse, ...args: unknown[]): unknown {
      if (ended) return res;
      ended = true;
      Object.assign(r, inner);
      // A response that ends as a failure keeps only what was written while it was one (the error's own content).
      const failed = res.statusCode >= 400;
      for (const call of held) if (!failed || call.whileFailing) inner[call.method].apply(res, call.args);
      held.length = 0;
      return inner.end.apply(res, args);
    };
    res.once("close", () => {
      if (ended) return;
      if (res.statusCode < 400) res.statusCode = 500;
      r.end.call(res);
    });
    next();
  };
}
