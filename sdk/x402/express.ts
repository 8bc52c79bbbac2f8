/**
 * A companion to `@x402/express`'s `paymentMiddleware`. That middleware holds the handler's response (every
 * `writeHead`, `write` and `end` call) and settles, that is charges, only when `res.statusCode` is below 400. A status
 * given only to `res.writeHead` (Node's own API, which Express keeps: `res.writeHead(503)`) is held with the call and
 * never reaches `res.statusCode` before that decision, so such a failure would be charged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Connect-style middleware to mount right after `paymentMiddleware`: the status of each `res.writeHead` call is also
 * set as `res.statusCode` when the call is made, so a handler failing that way is not charged.
 *
 * @example app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token, trustedFactories })), writeHeadStatus())
 */
export function writeHeadStatus(): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (_req, res, next) => {
    const held = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
      if (typeof args[0] === "number") this.statusCode = args[0];
      return held.apply(this, args);
    } as ServerResponse["writeHead"];
    next();
  };
}
