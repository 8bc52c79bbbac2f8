/**
 * A companion to `@x402/hono`'s `paymentMiddleware`, mounted right after it. That middleware reads the paid
 * handler's response body to the end before it settles; a body that fails while it is read (a stream that breaks)
 * is answered with a bare 402 without the payment being cancelled, so the payer's price stays reserved for good.
 * Here the body of a paid request is read first: a body that fails is the handler's failure (a throw), which the
 * middleware cancels, and which Hono's error handler answers.
 */

/** What the guard needs of Hono's context. */
interface HonoContextLike {
  req: { header(name: string): string | undefined };
  res: Response;
}

/**
 * Hono middleware for paid requests (those with a PAYMENT-SIGNATURE header) behind `paymentMiddleware`.
 *
 * @example app.use(paymentMiddleware(routes, chequeResourceServer({ accounts, token, trustedFactories })), honoPaymentGuard())
 */
export function honoPaymentGuard(): (c: HonoContextLike, next: () => Promise<void>) => Promise<void> {
  return async (c, next) => {
    await next();
    if (c.req.header("payment-signature") === undefined && c.req.header("x-payment") === undefined) return;
    const res = c.res;
    if (res.body === null) return;
    const body = await res.arrayBuffer(); // a body that fails throws here: the handler failed
    c.res = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
