/**
 * The operator's dashboard: a node:http server on 127.0.0.1 with one JSON API (`/api/state`, `/api/stream`,
 * `/api/cashout`, `/api/deposit`) and the static page that uses it. Figures come from the SDK (see ./figures.ts);
 * live updates are Server-Sent Events, pushed on every engine event and every `refreshMs`, to at most `maxStreams`
 * clients. Actions need the operator's token (see ./guard.ts) and run one at a time.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { sequentialCashout } from "../beneficiary/sequential.js";
import type { CashoutExecutor } from "../beneficiary/executor.js";
import { isChequeError } from "../errors.js";
import type { SwapAccounting } from "../swap/engine.js";
import { MAX_UINT256, toAddress } from "../validate.js";
import { collectSnapshot, toApiJson, type AlertOptions, type DashboardSources, type DashboardSnapshot, type SnapshotState } from "./figures.js";
import { allowedHosts, checkAction, checkHost, newToken, type Refusal } from "./guard.js";
import { SpendTracker } from "./spend.js";

/** Options of {@link startDashboard}. */
export interface DashboardOptions extends Omit<DashboardSources, "peers" | "terms">, AlertOptions {
  /** A running engine: its peers and terms are shown (or pass `peers`/`terms` yourself). */
  swap?: SwapAccounting;
  peers?: DashboardSources["peers"];
  terms?: DashboardSources["terms"];
  /** Cashes out for the actions; by default {@link sequentialCashout} over `casher`. */
  executor?: CashoutExecutor;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Further `host:port` names the dashboard answers to (behind a proxy you trust). */
  hostNames?: string[];
  /** The operator's token; a fresh random one by default. */
  token?: string;
  /** How often streams get fresh figures when nothing happens (ms). Default 2,000. */
  refreshMs?: number;
  /** Live streams served at once; more are refused with 503 (the page then polls). Default 8. */
  maxStreams?: number;
  /** The spending-rate window of the runway (ms). Default one hour. */
  spendWindowMs?: number;
  /** A block explorer's transaction address prefix, for links to cash-out transactions (e.g. ".../tx/"). */
  explorerTxUrl?: string;
  /** Where the address and token are printed at start. Default: standard error. */
  log?: (line: string) => void;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The operator's token (also printed at start). */
  token: string;
  /** Reads every figure now (what `/api/state` serves). */
  snapshot(): Promise<DashboardSnapshot>;
  /** Ends the streams, closes the server; resolves once no read is in flight. */
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const MAX_BODY = 4096;
const MIN_EVENT_GAP_MS = 250;

class HttpError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/**
 * Starts the dashboard.
 *
 * @example
 * const events = new DashboardEvents()
 * const swap = await SwapAccounting.open({ ..., logger: events.logger() })
 * const dashboard = await startDashboard({ provider, store, casher, issuer, swap, events })
 * // prints: dashboard: http://127.0.0.1:PORT/#token=... (the token is needed for cash-outs and deposits)
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? newToken();
  if (token.length < 16) throw new RangeError("the operator token must be at least 16 characters");
  const maxStreams = options.maxStreams ?? 8;
  const swap = options.swap;
  const sources: DashboardSources = { provider: options.provider, store: options.store };
  if (options.casher !== undefined) sources.casher = options.casher;
  if (options.issuer !== undefined) sources.issuer = options.issuer;
  if (options.events !== undefined) sources.events = options.events;
  const peers = options.peers ?? (swap === undefined ? undefined : () => swap.peers());
  if (peers !== undefined) sources.peers = peers;
  const terms = options.terms ?? (swap === undefined ? undefined : { phase: swap.config.phase, paymentThreshold: swap.config.paymentThreshold, disconnectThreshold: swap.config.disconnectThreshold });
  if (terms !== undefined) sources.terms = terms;
  const executor = options.executor ?? (options.casher === undefined ? undefined : sequentialCashout(options.casher));
  const state: SnapshotState = { spend: new SpendTracker(options.spendWindowMs) };
  if (options.lowFundsThreshold !== undefined) state.lowFundsThreshold = options.lowFundsThreshold;
  if (options.runwayAlertSeconds !== undefined) state.runwayAlertSeconds = options.runwayAlertSeconds;
  const extras = { actions: { cashout: executor !== undefined, deposit: options.issuer !== undefined }, explorerTxUrl: options.explorerTxUrl ?? "" };

  const streams = new Set<ServerResponse>();
  let latest: string | undefined;
  let running: Promise<string> | undefined;
  let again = false;
  let closed = false;
  let acting = false;

  const broadcast = (event: string, data: string) => {
    for (const res of streams) res.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  const refresh = (): Promise<string> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    const run = (async () => {
      try {
        do {
          again = false;
          const snap = await collectSnapshot(sources, state);
          latest = toApiJson({ ...snap, ...extras });
          broadcast("state", latest);
        } while (again && !closed);
        return latest;
      } finally {
        running = undefined;
      }
    })();
    running = run;
    return run;
  };
  const refreshQuietly = () => {
    if (closed || streams.size === 0) return;
    refresh().catch((error: unknown) => broadcast("failure", toApiJson({ code: isChequeError(error) ? error.code : "UNKNOWN" })));
  };
  const timer = setInterval(refreshQuietly, options.refreshMs ?? 2_000);
  timer.unref();
  // Engine events refresh the streams, at most every MIN_EVENT_GAP_MS: a peer that makes events (refusals, say)
  // cannot make us read the chain back to back.
  let lastEventRefresh = 0;
  let eventTimer: NodeJS.Timeout | undefined;
  const unsubscribe = options.events?.onEvent(() => {
    if (eventTimer !== undefined || closed || streams.size === 0) return;
    eventTimer = setTimeout(() => {
      eventTimer = undefined;
      lastEventRefresh = Date.now();
      refreshQuietly();
    }, Math.max(0, lastEventRefresh + MIN_EVENT_GAP_MS - Date.now()));
    eventTimer.unref();
  });

  const send = (res: ServerResponse, status: number, body: string, type = "application/json; charset=utf-8") => {
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  const refuse = (res: ServerResponse, r: Refusal) => send(res, r.status, toApiJson({ error: { code: r.code, message: r.message } }));

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) throw new HttpError({ status: 413, code: "BODY_TOO_LARGE", message: `the body may have at most ${MAX_BODY} bytes` });
      chunks.push(chunk);
    }
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HttpError({ status: 400, code: "INVALID_ARGUMENT", message: "the body must be a JSON object" });
  }

  async function act(res: ServerResponse, work: () => Promise<unknown>): Promise<void> {
    if (acting) return refuse(res, { status: 409, code: "ACTION_BUSY", message: "another action is running: wait for it" });
    acting = true;
    try {
      send(res, 200, toApiJson(await work()));
    } finally {
      acting = false;
      refreshQuietly();
    }
  }

  const cashout = (body: Record<string, unknown>) => async () => {
    if (executor === undefined || options.casher === undefined) throw new HttpError({ status: 404, code: "NOT_AVAILABLE", message: "this dashboard has no casher" });
    let targets: string[];
    if (body.all === true) targets = (await options.casher.totalUncashed()).chequebooks.filter((s) => s.payable > 0n).map((s) => s.chequebook);
    else if (typeof body.chequebook === "string") targets = [toAddress(body.chequebook, "chequebook")];
    else throw new HttpError({ status: 400, code: "INVALID_ARGUMENT", message: 'give {"chequebook": "0x..."} or {"all": true}' });
    const reports = await executor.cashOut(targets, {
      onProgress: (r) => {
        const e: Parameters<NonNullable<typeof options.events>["push"]>[0] = { level: r.status === "paid" ? "info" : "warn", event: "cashout", chequebook: r.chequebook, code: r.status, amount: r.paid.toString() };
        if (r.txHash !== undefined) e.txHash = r.txHash;
        options.events?.push(e);
      },
    });
    return { reports };
  };

  const deposit = (body: Record<string, unknown>) => async () => {
    if (options.issuer === undefined) throw new HttpError({ status: 404, code: "NOT_AVAILABLE", message: "this dashboard has no chequebook of ours" });
    if (typeof body.amount !== "string" || !/^[0-9]{1,78}$/.test(body.amount) || BigInt(body.amount) === 0n || BigInt(body.amount) > MAX_UINT256) {
      throw new HttpError({ status: 400, code: "INVALID_ARGUMENT", message: 'give {"amount": "<token base units, a positive whole number>"}' });
    }
    const amount = BigInt(body.amount);
    const { hash } = await options.issuer.deposit(amount);
    options.events?.push({ level: "info", event: "deposit", chequebook: options.issuer.chequebook, amount: amount.toString(), txHash: hash });
    return { hash, amount };
  };

  let hosts = new Set<string>();
  const server = createServer((req, res) => {
    void (async () => {
      const wrongHost = checkHost(req, hosts);
      if (wrongHost !== undefined) return refuse(res, wrongHost);
      const path = (req.url ?? "/").split("?")[0]!;
      if (req.method === "GET" || req.method === "HEAD") {
        const file = STATIC[path];
        if (file !== undefined) return send(res, 200, await readFile(new URL(`./static/${file.file}`, import.meta.url), "utf8"), file.type);
        if (path === "/api/state") return send(res, 200, await refresh());
        if (path === "/api/stream" && req.method === "GET") return stream(req, res);
        return refuse(res, { status: 404, code: "NOT_FOUND", message: "no such page" });
      }
      if (req.method !== "POST") return refuse(res, { status: 405, code: "METHOD_NOT_ALLOWED", message: "GET the page and the state, POST the actions" });
      const action = path === "/api/cashout" ? cashout : path === "/api/deposit" ? deposit : undefined;
      if (action === undefined) return refuse(res, { status: 404, code: "NOT_FOUND", message: "no such action" });
      const refusal = checkAction(req, hosts, token);
      if (refusal !== undefined) {
        options.events?.push({ level: "warn", event: "action_refused", code: refusal.code });
        return refuse(res, refusal);
      }
      return act(res, action(await readJson(req)));
    })().catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpError) return refuse(res, error.refusal);
      if (isChequeError(error)) return refuse(res, { status: error.code === "INVALID_ARGUMENT" ? 400 : 502, code: error.code, message: error.message });
      refuse(res, { status: 500, code: "UNKNOWN", message: "the dashboard failed: see the node's log" });
    });
  });

  function stream(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= maxStreams) return refuse(res, { status: 503, code: "TOO_MANY_STREAMS", message: `at most ${maxStreams} live streams: poll /api/state instead` });
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive" });
    streams.add(res);
    req.on("close", () => streams.delete(res));
    if (latest !== undefined) res.write(`event: state\ndata: ${latest}\n\n`);
    refreshQuietly();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port, options.hostNames);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  (options.log ?? ((line) => process.stderr.write(line + "\n")))(`dashboard: ${url}/#token=${token}\n  (read-only without the token; cash-outs and deposits need it: keep it private)`);

  return {
    url,
    token,
    snapshot: () => collectSnapshot(sources, state),
    async close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(eventTimer);
      unsubscribe?.();
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await running?.catch(() => undefined);
    },
  };
}
