/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against B's node on the in-process
 * chain. Screenshots of the main views go to test-results/dashboard/ (git-ignored) for a reader to look at.
 */
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { chromium, type BrowserContext, type Page } from "playwright-core";

import { apiState, dashboardFixture, XSS_PEER, type DashboardFixture } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(process.cwd(), "test-results", "dashboard");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** The raw figure (token base units) shown in a held chequebook's cell. */
const cell = (page: Page, chequebook: string, field: string) => page.locator(`#held tr[data-chequebook="${chequebook}"] [data-field="${field}"]`).getAttribute("data-raw");

describe("dashboard in Chromium", function () {
  this.timeout(120_000);
  let context: BrowserContext;
  let profile: string;
  let f: DashboardFixture;

  before(async function () {
    profile = await mkdtemp(join(tmpdir(), "dashboard-chromium-"));
    await mkdir(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1400, height: 1000 } });
  });
  after(async function () {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
  });
  afterEach(async () => f?.dashboard.close());

  it("loads against a running node, shows the SDK's numbers after cheques flow, and updates live", async function () {
    f = await dashboardFixture({ withXss: true });
    await f.traffic("A", "B", 12);
    await f.traffic("B", "A", 7);
    const page = await context.newPage();
    await page.goto(f.dashboard.url);
    const A = f.chain.books.A!;
    const status = await f.casher.status(A);
    await page.locator(`#held tr[data-chequebook="${A}"]`).waitFor();
    expect(await cell(page, A, "uncashed")).to.equal(status.uncashed.toString());
    expect(await cell(page, A, "payable")).to.equal(status.payable.toString());
    // the text is the same figure in tokens (16 decimals)
    const shown = await page.locator(`#held tr[data-chequebook="${A}"] [data-field="uncashed"]`).textContent();
    expect(shown!.replace(/,/g, "")).to.equal((Number(status.uncashed) / 1e16).toString());
    const own = await f.b.issuer.balances();
    expect(await page.locator('#own [data-field="outstanding"]').getAttribute("data-raw")).to.equal(own.outstanding.toString());
    expect(await page.locator('#own [data-field="available"]').getAttribute("data-raw")).to.equal(own.available.toString());
    const peerA = f.b.node.swap.peers().find((p) => p.peer === "A")!;
    expect(await page.locator('#peers tr[data-peer="A"] [data-field="balance"]').textContent()).to.equal(peerA.balance.toString());
    expect(await page.locator('#peers tr[data-peer="A"] [data-field="received"]').getAttribute("data-raw")).to.equal(peerA.received.toString());
    expect(await page.locator("#mode").textContent()).to.equal("read-only");

    // a peer's chosen id is shown as text, never run as HTML
    const xss = page.locator("#peers tr").filter({ hasText: XSS_PEER });
    expect(await xss.count()).to.equal(1);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).to.equal(undefined);
    expect(await page.locator("#peers img, #events img").count()).to.equal(0);
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });

    // live: more cheques flow; the stream brings the new figure without a reload
    await page.locator("#live", { hasText: "live" }).waitFor();
    await f.traffic("A", "B", 12);
    const next = await f.casher.status(A);
    expect(next.uncashed > status.uncashed).to.equal(true);
    await page.waitForFunction(
      ([sel, want]) => (globalThis as any).document.querySelector(sel)?.getAttribute("data-raw") === want,
      [`#held tr[data-chequebook="${A}"] [data-field="uncashed"]`, next.uncashed.toString()],
    );
    await page.close();
  });

  it("shows an alert with a countdown when a decrease of our hard deposit is prepared", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12);
    const page = await context.newPage();
    await page.goto(f.dashboard.url);
    await page.locator("#alerts li.none").waitFor();
    const beneficiary = f.chain.beneficiary.address;
    await f.a.issuer.increaseHardDeposit(beneficiary, 10n ** 15n);
    await f.a.issuer.prepareDecreaseHardDeposit(beneficiary, 4n * 10n ** 14n);
    const alert = page.locator('#alerts li[data-kind="decrease-prepared"]');
    await alert.waitFor();
    expect(await alert.getAttribute("class")).to.include("critical");
    // one day's timeout: the countdown reads about 23h 59m
    await page.locator('#alerts li[data-kind="decrease-prepared"] .countdown', { hasText: /^(23h \d+m|1d 0h 0m) \d+s$/ }).waitFor();
    expect(await alert.textContent()).to.include(f.chain.books.A!);
    await page.screenshot({ path: join(SHOTS, "alert.png"), fullPage: true });
    await page.close();
  });

  it("refuses actions without the token, and from another origin's page", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12);
    const A = f.chain.books.A!;
    const page = await context.newPage();
    await page.goto(f.dashboard.url);
    await page.locator(`#held tr[data-chequebook="${A}"]`).waitFor();
    // read-only: no action is offered
    expect(await page.locator("#cashout-all").isVisible()).to.equal(false);
    expect(await page.locator(`#held tr[data-chequebook="${A}"] button`).isVisible()).to.equal(false);
    await page.screenshot({ path: join(SHOTS, "read-only.png"), fullPage: true });
    // a wrong token: the buttons show, the server refuses, the page says so
    await page.fill("#token", "not-the-operator-token-at-all");
    await page.click("#token-form button");
    await page.click(`#held tr[data-chequebook="${A}"] button`);
    await page.click("#confirm-ok");
    await page.locator("#notice", { hasText: "cash-out refused: TOKEN_REQUIRED" }).waitFor();
    // a page on another origin: the token header needs a CORS preflight the dashboard never answers; a no-cors
    // post carries a foreign Origin and no token
    const evil: Server = createServer((_req, res) => res.end("<!doctype html><title>evil</title>"));
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    try {
      const other = await context.newPage();
      await other.goto(`http://localhost:${(evil.address() as { port: number }).port}/`);
      const outcome = await other.evaluate(async (url) => {
        const withHeader = await fetch(`${url}/api/cashout`, { method: "POST", headers: { "content-type": "application/json", "x-dashboard-token": "guess" }, body: '{"all":true}' }).then(
          (r) => `answered ${r.status}`,
          () => "blocked",
        );
        const noCors = await fetch(`${url}/api/cashout`, { method: "POST", mode: "no-cors", body: '{"all":true}' }).then(
          (r) => `opaque ${r.type}`,
          (e) => `failed ${String(e)}`,
        );
        return withHeader + " / " + noCors;
      }, f.dashboard.url);
      // the first never left the browser; the second reached the server, which refused it (and the browser, by the
      // Cross-Origin-Resource-Policy header, kept even its status from the page)
      expect(outcome).to.equal("blocked / failed TypeError: Failed to fetch");
      await other.close();
    } finally {
      await new Promise((resolve) => {
        evil.close(resolve);
        evil.closeAllConnections(); // the browser keeps its connection alive
      });
    }
    expect(await f.b.store.listCashouts()).to.deep.equal([]);
    expect((await f.casher.status(A)).paidOut).to.equal(0n);
    const refused = (await apiState(f.dashboard.url)).events.filter((e: any) => e.event === "action_refused").map((e: any) => e.code);
    expect(refused).to.deep.equal(["FOREIGN_ORIGIN", "TOKEN_REQUIRED"]); // newest first
    await page.locator('#events li[data-event="action_refused"]').first().waitFor();
    await page.close();
  });

  it("performs a cash-out the operator confirmed, with the token from the printed address", async function () {
    f = await dashboardFixture();
    await f.traffic("A", "B", 12);
    const A = f.chain.books.A!;
    const before = await f.casher.status(A);
    const balanceBefore = await f.chain.token.balanceOf(f.chain.beneficiary.address);
    const page = await context.newPage();
    await page.goto(`${f.dashboard.url}/#token=${f.dashboard.token}`);
    await page.locator("#mode", { hasText: "actions enabled" }).waitFor();
    expect(new URL(page.url()).hash).to.equal(""); // the token left the address bar
    const button = page.locator(`#held tr[data-chequebook="${A}"] button`);
    await button.click();
    await page.locator("#confirm[open]").waitFor();
    expect(await page.locator("#confirm-text").textContent()).to.include(A);
    await page.screenshot({ path: join(SHOTS, "confirm.png") });
    // cancelling sends nothing
    await page.click("#confirm-cancel");
    expect(await f.b.store.listCashouts()).to.deep.equal([]);
    await button.click();
    await page.click("#confirm-ok");
    await page.locator("#notice.ok", { hasText: "cashed out" }).waitFor();
    const [record] = await f.b.store.listCashouts(A);
    expect(record).to.include({ status: "confirmed", cumulativePayout: before.held });
    expect((await f.chain.token.balanceOf(f.chain.beneficiary.address)) - balanceBefore).to.equal(before.payable);
    await page.locator(`#held tr[data-chequebook="${A}"] [data-field="uncashed"][data-raw="0"]`).waitFor();
    await page.locator('#events li[data-event="cashout"]').waitFor();
    expect((await apiState(f.dashboard.url)).held.chequebooks[0].last.txHash).to.equal(record!.txHash);
    await page.screenshot({ path: join(SHOTS, "after-cashout.png"), fullPage: true });

    // a deposit, confirmed: 1.5 tokens into our chequebook
    await f.chain.token.mint(f.chain.beneficiary.address, 10n ** 17n);
    const total = (await f.b.issuer.balances()).total;
    await page.fill("#deposit-amount", "1.5");
    await page.click("#deposit");
    expect(await page.locator("#confirm-text").textContent()).to.include("15000000000000000 base units");
    await page.click("#confirm-ok");
    await page.locator("#notice.ok", { hasText: "deposited 1.5" }).waitFor();
    expect((await f.b.issuer.balances()).total - total).to.equal(15n * 10n ** 15n);
    await page.locator(`#own [data-field="balance"][data-raw="${total + 15n * 10n ** 15n}"]`).waitFor();
    await page.close();
  });
});
