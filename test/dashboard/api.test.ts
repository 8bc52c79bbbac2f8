/**
 * The dashboard's JSON API: its figures are the SDK's own for the same state, and its actions are refused to anyone
 * without the operator's token, from another origin, or addressed to another host name.
 */
import { request } from "node:http";

import { expect } from "chai";

import { TOKEN_HEADER, toApiJson } from "../../sdk/dashboard/index.js";
import { ethers } from "../helpers/setup.js";
import { apiState, dashboardFixture, type DashboardFixture } from "./helpers.js";

/** A raw request, so that Host and Origin can be anything (fetch would set them itself). */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text.startsWith("{") ? JSON.parse(text) : text }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Bigints as the API serves them. */
const json = (value: unknown) => JSON.parse(toApiJson(value));

describe("dashboard API", function () {
  this.timeout(60_000);
  let f: DashboardFixture;
  afterEach(async () => f?.dashboard.close());

  it("serves the SDK's own figures: ChequeCasher.totalUncashed, ChequebookIssuer.balances, SwapAccounting.peers", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12); // A pays B
    await f.traffic("B", "A", 7); // B pays A
    const state = await apiState(f.dashboard.url);
    const { total, chequebooks } = await f.casher.totalUncashed();
    expect(chequebooks.length).to.equal(1);
    expect(total > 0n).to.equal(true);
    expect(state.held.totalUncashed).to.equal(total.toString());
    expect(state.held.chequebooks.map((h: any) => ({ chequebook: h.chequebook, beneficiary: h.beneficiary, held: h.held, paidOut: h.paidOut, uncashed: h.uncashed, payable: h.payable }))).to.deep.equal(
      json(chequebooks.map(({ last: _last, ...s }) => s)),
    );
    const balances = await f.b.issuer.balances();
    expect(balances.totalIssued > 0n).to.equal(true);
    for (const [k, v] of Object.entries(balances)) expect(state.own[k], k).to.equal(v.toString());
    expect(state.peers.map(({ status: _s, ...p }: any) => p)).to.deep.equal(json(f.b.node.swap.peers()));
    expect(state.peers[0].status).to.equal("ready");
    expect(state.peers[0].received).to.equal(state.held.chequebooks[0].held); // what A's cheques credited is what we hold
    expect(state.node).to.deep.equal(json({ phase: "hard", paymentThreshold: 100n, disconnectThreshold: 150n, chequebook: f.b.issuer.chequebook, beneficiary: f.chain.beneficiary.address }));
    // the events the engine logged, in our vocabulary
    expect(state.events.some((e: any) => e.event === "cheque_received" && e.peer === "A")).to.equal(true);
    expect(state.events.some((e: any) => e.event === "cheque_sent" && e.peer === "A")).to.equal(true);
    // what a cash-out would bring after gas is the casher's own quote
    const quote = await f.casher.quote(f.chain.books.A!);
    expect(state.held.chequebooks[0].profit.net).to.equal((quote.payable - quote.costInToken).toString());
    expect(state.token.decimals).to.equal(16);
  });

  it("alerts when a chequebook we hold cheques from prepares a decrease of our hard deposit, and when it cannot pay", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12);
    expect((await apiState(f.dashboard.url)).alerts).to.deep.equal([]);
    const beneficiary = f.chain.beneficiary.address;
    await f.a.issuer.increaseHardDeposit(beneficiary, 10n ** 15n);
    await f.a.issuer.prepareDecreaseHardDeposit(beneficiary, 4n * 10n ** 14n);
    const state = await apiState(f.dashboard.url);
    const [deposit, decrease, , due] = (await (await ethers.getContractAt("Chequebook", f.chain.books.A!)).getFunction("hardDeposits")(beneficiary)) as bigint[];
    const alert = state.alerts.find((a: any) => a.kind === "decrease-prepared");
    expect(alert).to.include({ severity: "critical", chequebook: f.chain.books.A, amount: decrease!.toString(), dueAt: due!.toString() });
    expect(state.held.chequebooks[0]).to.include({ hardDeposit: deposit!.toString(), decreaseAmount: decrease!.toString(), canBeDecreasedAt: due!.toString() });
    // A's issuer withdraws all it can: the chequebook can no longer pay what it owes us
    const { liquid } = await f.a.issuer.balances();
    await f.a.issuer.withdraw(liquid, { force: true });
    const after = await apiState(f.dashboard.url);
    const short = after.alerts.find((a: any) => a.kind === "liquidity-short");
    const status = await f.casher.status(f.chain.books.A!);
    expect(short).to.include({ severity: "critical", chequebook: f.chain.books.A });
    expect(BigInt(short.amount)).to.equal(status.uncashed - BigInt(after.held.chequebooks[0].liquidFor));
  });

  it("refuses actions without the token, with a wrong one, from a foreign origin or host, and without JSON", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12);
    const url = f.dashboard.url;
    const host = new URL(url).host;
    const body = JSON.stringify({ all: true });
    const json = { "content-type": "application/json", host };
    const cases: Array<[Record<string, string>, number, string]> = [
      [json, 401, "TOKEN_REQUIRED"],
      // The last character changed (to "A", or to "B" when it is "A" already: a fixed "A" matched 1 token in 64).
      [{ ...json, [TOKEN_HEADER]: f.dashboard.token.slice(0, -1) + (f.dashboard.token.endsWith("A") ? "B" : "A") }, 401, "TOKEN_REQUIRED"],
      [{ ...json, [TOKEN_HEADER]: "" }, 401, "TOKEN_REQUIRED"],
      [{ ...json, [TOKEN_HEADER]: f.dashboard.token, origin: "http://evil.example" }, 403, "FOREIGN_ORIGIN"],
      [{ ...json, [TOKEN_HEADER]: f.dashboard.token, origin: `http://${host}.evil.example` }, 403, "FOREIGN_ORIGIN"],
      [{ ...json, [TOKEN_HEADER]: f.dashboard.token, "sec-fetch-site": "cross-site" }, 403, "FOREIGN_ORIGIN"],
      [{ ...json, [TOKEN_HEADER]: f.dashboard.token, host: "attacker.example:80" }, 421, "WRONG_HOST"],
      [{ "content-type": "text/plain", host, [TOKEN_HEADER]: f.dashboard.token }, 415, "JSON_REQUIRED"],
    ];
    for (const [headers, status, code] of cases) {
      const r = await raw(`${url}/api/cashout`, { method: "POST", headers, body });
      expect([r.status, r.body.error.code], JSON.stringify(headers)).to.deep.equal([status, code]);
    }
    // a DNS-rebinding page reads nothing either
    expect((await raw(`${url}/api/state`, { headers: { host: "attacker.example" } })).status).to.equal(421);
    expect((await raw(`${url}/api/cashout`, { method: "POST", headers: { ...json, [TOKEN_HEADER]: f.dashboard.token }, body: "x".repeat(5000) })).status).to.equal(413);
    expect((await raw(`${url}/api/deposit`, { method: "POST", headers: { ...json, [TOKEN_HEADER]: f.dashboard.token }, body: JSON.stringify({ amount: "-1" }) })).body.error.code).to.equal("INVALID_ARGUMENT");
    expect((await raw(`${url}/api/cashout`, { method: "PUT", headers: json })).status).to.equal(405);
    // nothing was cashed or sent
    expect(await f.b.store.listCashouts()).to.deep.equal([]);
    // with the token, from the page's own origin: cashed
    const ok = await raw(`${url}/api/cashout`, { method: "POST", headers: { ...json, [TOKEN_HEADER]: f.dashboard.token, origin: url }, body });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.reports.map((r: any) => [r.chequebook, r.status])).to.deep.equal([[f.chain.books.A, "paid"]]);
    expect((await f.casher.status(f.chain.books.A!)).uncashed).to.equal(0n);
    expect((await apiState(url)).events.find((e: any) => e.event === "cashout")).to.include({ chequebook: f.chain.books.A, code: "paid", txHash: ok.body.reports[0].txHash });
  });

  it("serves at most maxStreams live streams and ends them at close", async function () {
    f = await dashboardFixture({ maxStreams: 2 });
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(controllers.map((c) => fetch(`${f.dashboard.url}/api/stream`, { signal: c.signal })));
    expect(open.map((r) => r.status)).to.deep.equal([200, 200]);
    const third = await fetch(`${f.dashboard.url}/api/stream`);
    expect([third.status, ((await third.json()) as any).error.code]).to.deep.equal([503, "TOO_MANY_STREAMS"]);
    // the first state arrives on the stream without being asked for
    const reader = open[0]!.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).to.match(/^event: state\ndata: \{"version":1,/);
    await f.dashboard.close();
    while (!(await reader.read()).done); // the server ended the stream
    for (const c of controllers) c.abort();
  });
});
