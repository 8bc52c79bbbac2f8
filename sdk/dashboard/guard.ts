/**
 * Who may do what on the dashboard. Reading needs a request addressed to one of our own host names (a DNS-rebinding
 * page names its own). Acting (POST) needs, besides, the operator's token in the `x-dashboard-token` header,
 * compared in constant time; a JSON body; and no foreign Origin. A page on another origin cannot send that header
 * without a CORS preflight, which the dashboard never answers; a plain form or `no-cors` POST carries no token and a
 * foreign Origin, and is refused either way.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The header that carries the operator's token. */
export const TOKEN_HEADER = "x-dashboard-token";

/** A fresh operator token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether `given` is `token`, in time independent of where they differ (both are hashed to equal length first). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The `host:port` names a request may be addressed to. */
export function allowedHosts(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...extra.map((h) => h.toLowerCase())]);
  if (host !== "0.0.0.0" && host !== "::") names.add(`${host.includes(":") ? `[${host}]` : host}:${port}`.toLowerCase());
  return names;
}

/** Why a request is refused, or undefined if it may go on. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** Checks the Host header of any request. */
export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): Refusal | undefined {
  const host = (req.headers.host ?? "").toLowerCase();
  if (hosts.has(host)) return undefined;
  return { status: 421, code: "WRONG_HOST", message: "this dashboard answers only to its own address" };
}

/** Checks an action request: same origin (or none, for scripts), a JSON body, the operator's token. */
export function checkAction(req: IncomingMessage, hosts: ReadonlySet<string>, token: string): Refusal | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.startsWith("http://") && hosts.has(origin.slice("http://".length).toLowerCase()))) {
    return { status: 403, code: "FOREIGN_ORIGIN", message: "actions are refused from another origin" };
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return { status: 403, code: "FOREIGN_ORIGIN", message: "actions are refused from another site" };
  }
  const header = req.headers[TOKEN_HEADER];
  if (!tokenMatches(typeof header === "string" ? header : undefined, token)) {
    return { status: 401, code: "TOKEN_REQUIRED", message: `actions need the operator's token in the ${TOKEN_HEADER} header (printed when the dashboard started)` };
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, code: "JSON_REQUIRED", message: "send the action as application/json" };
  return undefined;
}
