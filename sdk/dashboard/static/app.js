// The dashboard page: renders /api/state, follows /api/stream (or polls when the stream is refused), and sends
// actions with the operator's token after an explicit confirmation. Everything is written with textContent or
// setAttribute: nothing from the API is ever parsed as HTML.

const TOKEN_HEADER = "x-dashboard-token";
const $ = (id) => document.getElementById(id);
let state;
let receivedAt = 0;

// ----- the operator's token: from the address fragment (#token=...) once, then this tab's session storage -----

function readToken() {
  const match = /^#token=([A-Za-z0-9_-]{16,200})$/.exec(location.hash);
  if (match) {
    sessionStorage.setItem("dashboard-token", match[1]);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("dashboard-token") ?? "";
}
let token = readToken();

function showMode() {
  const mode = $("mode");
  mode.textContent = token ? "actions enabled" : "read-only";
  mode.className = "badge " + (token ? "operator" : "readonly");
  document.body.classList.toggle("readonly", !token);
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  $("token").value = "";
  if (token) sessionStorage.setItem("dashboard-token", token);
  else sessionStorage.removeItem("dashboard-token");
  showMode();
});

// ----- formatting -----

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

/** Token base units (a decimal string) as tokens, exactly. */
function units(raw) {
  if (raw === undefined || raw === null) return "";
  const decimals = state?.token?.decimals ?? 0;
  let s = String(raw);
  const negative = s.startsWith("-");
  if (negative) s = s.slice(1);
  s = s.padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = decimals ? s.slice(s.length - decimals).replace(/0+$/, "") : "";
  return (negative ? "−" : "") + whole + (frac ? "." + frac : "");
}

/** A cell showing a token amount, with the raw figure in data-raw. */
function amount(raw, field) {
  const td = el("td", units(raw), "num");
  td.setAttribute("data-raw", String(raw ?? ""));
  if (field) td.setAttribute("data-field", field);
  return td;
}

function short(address) {
  return typeof address === "string" && address.length > 14 ? address.slice(0, 8) + "…" + address.slice(-4) : String(address ?? "");
}

function duration(seconds) {
  if (seconds <= 0) return "now";
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.floor(seconds % 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + s + "s";
}

/** Seconds of chain time left until `dueAt`, counting from the block time the figures were read at. */
function secondsLeft(dueAt) {
  const elapsed = (Date.now() - receivedAt) / 1000;
  return Number(dueAt) - state.chain.blockTime - elapsed;
}

function txLink(hash) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash ?? "")) return el("span", "");
  const base = state.explorerTxUrl;
  if (!base || !/^https?:\/\//.test(base)) return el("code", short(hash));
  const a = el("a", short(hash));
  a.href = base + hash;
  a.rel = "noopener noreferrer";
  a.target = "_blank";
  return a;
}

function facts(target, rows) {
  target.replaceChildren();
  for (const [name, value, raw] of rows) {
    target.append(el("dt", name));
    const dd = el("dd", value);
    dd.setAttribute("data-field", name);
    if (raw !== undefined) dd.setAttribute("data-raw", String(raw));
    target.append(dd);
  }
}

// ----- rendering -----

function render() {
  const s = state;
  const node = [["chain", s.chain.chainId], ["block", s.chain.blockNumber], ["updated", new Date(s.at).toLocaleTimeString()]];
  if (s.node.beneficiary) node.push(["beneficiary", s.node.beneficiary]);
  if (s.token) node.push(["token", s.token.symbol || short(s.token.address)]);
  facts($("node"), node);
  $("phase").textContent = s.node.phase ? `phase ${s.node.phase} · we pay at ${s.node.paymentThreshold}, cut off at ${s.node.disconnectThreshold} units` : "";
  renderAlerts();
  renderOwn();
  renderHeld();
  renderPeers();
  renderEvents();
  document.body.classList.toggle("no-cashout", !s.actions.cashout);
  document.body.classList.toggle("no-deposit", !s.actions.deposit);
  tick();
}

/** An alert in words, with amounts in tokens (the API's `message` says the same in base units, for scripts). */
function alertText(a) {
  const h = state.held.chequebooks.find((x) => x.chequebook === a.chequebook);
  switch (a.kind) {
    case "decrease-prepared":
      return `${a.chequebook} prepared a decrease of our hard deposit by ${units(a.amount)}` + (h ? ` (of ${units(h.hardDeposit)}); ${units(h.uncashed)} uncashed: cash out before it is due` : "");
    case "liquidity-short":
      return `${a.chequebook} owes us ${h ? units(h.uncashed) : "?"} but could pay only ${h ? units(h.liquidFor) : "?"} now (${units(a.amount)} short)`;
    case "own-low":
      return `our chequebook can promise only ${units(a.amount)} more: deposit`;
    case "own-runway":
      return `at the current spending rate our chequebook lasts ${duration(a.seconds)} more (${units(a.amount)} available): deposit`;
    default:
      return a.message;
  }
}

function renderAlerts() {
  const list = $("alerts");
  list.replaceChildren();
  for (const a of state.alerts) {
    const li = el("li", undefined, "alert " + a.severity);
    li.setAttribute("data-kind", a.kind);
    li.append(el("strong", a.kind.replace("-", " ")), el("span", " " + alertText(a)));
    if (a.dueAt !== undefined) {
      const c = el("span", "", "countdown");
      c.setAttribute("data-due", a.dueAt);
      li.append(el("span", " · due in "), c);
    }
    list.append(li);
  }
  if (!state.alerts.length) list.append(el("li", "none", "none"));
}

function renderOwn() {
  const o = state.own;
  $("own-section").hidden = !o;
  if (!o) return;
  facts($("own"), [
    ["chequebook", o.chequebook],
    ["balance", units(o.total), o.total],
    ["liquid", units(o.liquid), o.liquid],
    ["hard deposits", units(o.totalHardDeposit), o.totalHardDeposit],
    ["outstanding", units(o.outstanding), o.outstanding],
    ["available", units(o.available), o.available],
    ["spending per hour", units(o.spendPerHour), o.spendPerHour],
    ["runway", o.runwaySeconds === undefined ? "no spending yet" : duration(o.runwaySeconds), o.runwaySeconds ?? ""],
  ]);
}

function renderHeld() {
  const body = $("held").tBodies[0];
  body.replaceChildren();
  $("held-total").textContent = `· ${units(state.held.totalUncashed)} uncashed`;
  $("held-total").setAttribute("data-raw", state.held.totalUncashed);
  for (const h of state.held.chequebooks) {
    const tr = el("tr");
    tr.setAttribute("data-chequebook", h.chequebook);
    const name = el("td", short(h.chequebook), "addr");
    name.title = h.chequebook;
    const cover = el("td", undefined, "num");
    const short_ = BigInt(h.liquidFor) < BigInt(h.uncashed);
    cover.append(el("span", units(h.liquidFor), short_ ? "bad" : "ok"), el("span", " / " + units(h.uncashed)));
    const decrease = el("td", undefined, "num");
    decrease.setAttribute("data-field", "decrease");
    if (h.canBeDecreasedAt !== "0") {
      const c = el("span", "", "countdown");
      c.setAttribute("data-due", h.canBeDecreasedAt);
      decrease.append(el("span", units(h.decreaseAmount) + " in "), c);
    }
    const profit = h.profit ? amount(h.profit.net, "profit") : el("td", h.quoteError === "NOTHING_TO_CASH" ? "" : h.quoteError ?? "", "muted");
    if (h.profit && !h.profit.worthIt) profit.classList.add("bad");
    const last = el("td");
    if (h.last) last.append(el("span", h.last.status + " "), txLink(h.last.txHash));
    const act = el("td");
    const button = el("button", "cash out…", "action");
    button.disabled = BigInt(h.payable) === 0n;
    button.addEventListener("click", () => cashOut(h));
    act.append(button);
    tr.append(name, amount(h.uncashed, "uncashed"), amount(h.payable, "payable"), cover, amount(h.hardDeposit, "hardDeposit"), decrease, profit, last, act);
    body.append(tr);
  }
  if (!state.held.chequebooks.length) {
    const tr = el("tr", undefined, "none");
    tr.append(el("td", "no cheques received yet"));
    body.append(tr);
  }
}

/** A bar from −(the peer's payment threshold) to +(our disconnect threshold), with our payment threshold marked. */
function balanceBar(p) {
  const bar = el("div", undefined, "bar");
  const low = -Number(p.peerPaymentThreshold ?? state.node.paymentThreshold ?? 100);
  const high = Number(state.node.disconnectThreshold ?? 150);
  const pos = (v) => Math.max(0, Math.min(100, ((v - low) / (high - low)) * 100));
  const zero = pos(0), value = pos(Number(p.balance));
  const fill = el("div", undefined, "fill " + (Number(p.balance) < 0 ? "owe" : "owed"));
  fill.style.left = Math.min(zero, value) + "%";
  fill.style.width = Math.abs(value - zero) + "%";
  bar.append(fill);
  for (const [v, cls] of [[0, "zero"], [Number(state.node.paymentThreshold ?? 0), "pay"], [low, "peer"]]) {
    const mark = el("div", undefined, "mark " + cls);
    mark.style.left = pos(v) + "%";
    bar.append(mark);
  }
  bar.title = `${p.balance} units (pay at ${state.node.paymentThreshold}, cut off at ${state.node.disconnectThreshold}; the peer expects payment at ${p.peerPaymentThreshold ?? "?"})`;
  return bar;
}

function renderPeers() {
  const body = $("peers").tBodies[0];
  body.replaceChildren();
  for (const p of state.peers) {
    const tr = el("tr");
    tr.setAttribute("data-peer", p.peer);
    const status = p.status === "cooling-down" ? `cooling down (${duration((p.cooldownUntil - Date.now()) / 1000)})` : p.status;
    const balance = el("td");
    balance.append(balanceBar(p));
    const n = el("td", p.balance, "num");
    n.setAttribute("data-field", "balance");
    tr.append(el("td", p.peer, "addr"), el("td", status, "status " + p.status), balance, n, el("td", p.paymentInFlight ?? "", "num"), amount(p.sent, "sent"), amount(p.received, "received"));
    body.append(tr);
  }
}

function renderEvents() {
  const list = $("events");
  list.replaceChildren();
  for (const e of state.events.slice(0, 50)) {
    const li = el("li", undefined, "event " + e.level);
    li.setAttribute("data-event", e.event);
    li.append(el("time", new Date(e.at).toLocaleTimeString()), el("span", e.event, "name"));
    if (e.peer !== undefined) li.append(el("span", e.peer, "peer"));
    if (e.chequebook !== undefined) li.append(el("span", short(e.chequebook), "addr"));
    if (e.code !== undefined) li.append(el("code", e.code));
    if (e.amount !== undefined) li.append(el("span", e.event === "cashout" || e.event === "deposit" ? units(e.amount) : e.amount + " units", "num"));
    if (e.txHash !== undefined) li.append(txLink(e.txHash));
    list.append(li);
  }
}

function tick() {
  if (!state) return;
  for (const c of document.querySelectorAll(".countdown")) c.textContent = duration(secondsLeft(c.getAttribute("data-due")));
}
setInterval(tick, 1000);

// ----- actions -----

function notice(text, ok) {
  const n = $("notice");
  n.textContent = text;
  n.className = ok ? "ok" : "bad";
  n.hidden = false;
}

function confirmAction(text) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json", [TOKEN_HEADER]: token }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw Object.assign(new Error(answer.error?.message ?? response.statusText), { code: answer.error?.code ?? String(response.status) });
  return answer;
}

async function cashOut(h) {
  const what = h ? `Cash out ${units(h.payable)} from ${h.chequebook}?` : `Cash out every chequebook with something payable (${units(state.held.totalUncashed)} uncashed in all)?`;
  if (!(await confirmAction(what + (h ? " This sends one transaction." : " This sends one transaction per chequebook.")))) return;
  try {
    const { reports } = await post("/api/cashout", h ? { chequebook: h.chequebook } : { all: true });
    const paid = reports.filter((r) => r.status === "paid").reduce((t, r) => t + BigInt(r.paid), 0n);
    const other = reports.filter((r) => r.status !== "paid").map((r) => `${short(r.chequebook)}: ${r.status}${r.code ? " " + r.code : ""}`);
    notice(`cashed out ${units(paid.toString())}` + (other.length ? `; ${other.join(", ")}` : ""), other.length === 0);
  } catch (e) {
    notice(`cash-out refused: ${e.code}: ${e.message}`, false);
  }
  refresh();
}
$("cashout-all").addEventListener("click", () => cashOut(undefined));

function toBaseUnits(text, decimals) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m || (m[2] ?? "").length > decimals) return undefined;
  const v = BigInt(m[1] + (m[2] ?? "").padEnd(decimals, "0"));
  return v > 0n ? v.toString() : undefined;
}

$("deposit-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const raw = toBaseUnits($("deposit-amount").value, state?.token?.decimals ?? 0);
  if (raw === undefined) return notice("give a positive number of tokens", false);
  if (!(await confirmAction(`Deposit ${units(raw)} tokens (${raw} base units) into ${state.own.chequebook}?`))) return;
  try {
    const { hash } = await post("/api/deposit", { amount: raw });
    notice(`deposited ${units(raw)} (tx ${hash})`, true);
  } catch (err) {
    notice(`deposit refused: ${err.code}: ${err.message}`, false);
  }
  refresh();
});

// ----- live updates -----

function accept(json) {
  state = JSON.parse(json);
  receivedAt = Date.now();
  render();
}

async function refresh() {
  try {
    const response = await fetch("/api/state");
    if (response.ok) accept(await response.text());
  } catch {
    $("live").textContent = "offline";
  }
}

let polling;
function follow() {
  const source = new EventSource("/api/stream");
  source.addEventListener("state", (e) => {
    $("live").textContent = "live";
    $("live").className = "badge live";
    accept(e.data);
  });
  source.addEventListener("failure", (e) => {
    $("live").textContent = "chain unreachable: " + (JSON.parse(e.data).code ?? "");
    $("live").className = "badge bad";
  });
  source.onerror = () => {
    // Refused (too many streams) or the server went away: poll until a stream works again.
    source.close();
    $("live").textContent = "polling";
    $("live").className = "badge";
    polling ??= setInterval(refresh, 5000);
    setTimeout(() => {
      clearInterval(polling);
      polling = undefined;
      follow();
    }, 30000);
  };
}

showMode();
await refresh();
follow();
