// Customer pages other than the trading page: markets, portfolio, orders, API keys, security,
// log in and sign up.
import { h, clear, field, table, every, throttled } from "../lib/dom";
import { get, post, del, v3, symbols, wsUrl, ApiError } from "../lib/api";
import { t, pct, dateTime, getLang } from "../lib/i18n";
import { amount, coin, price } from "../lib/amounts";
import { navigate } from "../lib/router";
import { copyButton } from "../lib/funds";
import { session, setAccount, type Account } from "./state";
import { levelPanel } from "./kyc";

const errorBox = () => h("div", { class: "form-error", role: "alert" });

function showError(box: HTMLElement, e: unknown): void {
  box.textContent = e instanceof ApiError ? e.message : String(e);
}

// ---- markets ----

export async function marketsPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Markets")));
  const syms = await symbols();
  const tickers = new Map<string, any>();
  const box = h("div");
  view.append(box);
  // Ten times a second at most: nine markets' tickers arrive as a stream (see `throttled`).
  const render = throttled(() => clear(box, markets(table(
    [t("Symbol"), t("Last price"), t("24h change"), t("Bid"), t("Ask"), t("24h high"), t("24h low"), t("Volume (THB)")],
    syms.map((s) => {
      const tk = tickers.get(s.symbol) ?? {};
      const ch = Number(tk.percent_change ?? 0);
      const p = (x: unknown) => price(x, s.symbol);
      return [h("a", { href: `#/trade/${s.symbol}` }, s.symbol), p(tk.last), h("span", { class: ch > 0 ? "up" : ch < 0 ? "down" : "" }, pct(ch)),
        p(tk.highest_bid), p(tk.lowest_ask), p(tk.high_24_hr), p(tk.low_24_hr), amount(tk.quote_volume, s.quote_asset)];
    }), t("Markets")))), 100);
  for (const tk of await v3<any[]>("/api/v3/market/ticker")) tickers.set(tk.symbol, tk);
  render();
  // Live: the ticker stream of every market (stream names are quote first: thb_btc).
  const streams = syms.map((s) => `market.ticker.${s.quote_asset}_${s.base_asset}`.toLowerCase()).join(",");
  const ws = new WebSocket(wsUrl(`/websocket-api/${streams}`));
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const s = syms.find((x) => x.pairing_id === m.id);
    if (!s) return;
    tickers.set(s.symbol, { last: m.last, percent_change: m.percentChange, highest_bid: m.highestBid, lowest_ask: m.lowestAsk, high_24_hr: m.high24hr, low_24_hr: m.low24hr, quote_volume: m.quoteVolume });
    render();
  };
  return () => { render.cancel(); ws.close(); };
}

/** The markets table keeps symbol, price and change on a phone (the other columns fold away). */
function markets(tb: HTMLTableElement): HTMLTableElement {
  tb.classList.add("markets-table");
  return tb;
}

// ---- portfolio ----

/** A compensation credit's loss class, as customers read it. */
const COMPENSATION_CLASS: Record<string, string> = { flat: "Inconvenience credit", fee: "Fee refund", blocked: "Loss on a refused order" };

export async function portfolioPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Portfolio")));
  // The level and what it allows (fresh: a reviewer may have approved since the page loaded).
  const lvlBox = h("div");
  view.append(lvlBox);
  clear(lvlBox, levelPanel(session.account?.kyc_level));
  get<{ level: number }>("/web/api/kyc").then((k) => clear(lvlBox, levelPanel(k.level))).catch(() => {});
  const bal = h("section"), funds = h("section"), comp = h("section"), trades = h("section");
  view.append(bal, funds, comp, trades);
  const stop = every(5000, async () => {
    const b = await get<{ assets: any[]; total_thb: string }>("/web/api/balances");
    clear(bal, h("p", { class: "total" }, `${t("Total value")}: ฿${amount(b.total_thb, "THB")}`),
      table([t("Asset"), t("Available"), t("Held"), t("Value (THB)")], b.assets.map((a) => [a.asset, amount(a.available, a.asset), amount(a.held, a.asset), amount(a.value_thb, "THB")]), "Balances"));
  });
  const f = await get<{ items: any[] }>("/web/api/funds/history").catch(() => ({ items: [] }));
  clear(funds, h("h2", {}, t("Deposits and withdrawals")),
    table([t("Time"), t("Kind"), t("Asset"), t("Amount"), t("Status")], f.items.map((i) => [dateTime(i.ts_ms), t(i.kind === "deposit" ? "Deposit" : "Withdrawal"), i.asset, coin(i.amount, i.asset), t(FUNDS_STATUS[i.status] ?? i.status)]), t("Deposits and withdrawals")));
  // Credits from outage incidents (shown only when there are some).
  const c = await get<{ compensations: any[] }>("/web/api/compensations").catch(() => ({ compensations: [] }));
  if (c.compensations.length) {
    clear(comp, h("h2", {}, t("Outage compensation")),
      table([t("Time"), t("Incident"), t("Kind"), t("Asset"), t("Amount"), t("Status")],
        c.compensations.map((x) => [dateTime(x.completed_ms ?? x.created_ms), x.title ?? "", t(COMPENSATION_CLASS[x.class] ?? x.class), x.asset, amount(x.amount, x.asset), t(x.status === "complete" ? "Credited" : "Pending")]),
        t("Outage compensation")));
  }
  const tr = await get<{ trades: any[] }>("/web/api/trades/history?limit=50").catch(() => ({ trades: [] }));
  clear(trades, h("h2", {}, t("Trade history")), tradesTable(tr.trades));
  return stop;
}

export function tradesTable(trades: any[]) {
  return table([t("Time"), t("Symbol"), t("Side"), t("Price"), t("Amount"), t("Fee")],
    trades.map((x) => {
      const [base, quote] = String(x.symbol).split("_");
      return [dateTime(x.ts_ms), x.symbol, h("span", { class: x.side === "buy" ? "up" : "down" }, t(x.side === "buy" ? "Buy" : "Sell")),
        `${price(x.price, x.symbol)} ${quote}`, coin(x.amount, base), coin(x.fee, x.fee_asset)];
    }), t("Trade history"));
}

/** Deposit and withdrawal states of the portfolio's list (the API's words are the keys). */
export const FUNDS_STATUS: Record<string, string> = { credited: "Credited", pending: "Pending", settled: "Paid", released: "Cancelled, funds returned" };

/** Order types and statuses as the customer reads them (the API's words are the keys). */
export const ORDER_TYPE: Record<string, string> = { limit: "Limit", market: "Market", post_only: "Post-only", stop_limit: "Stop-limit" };
export const ORDER_STATUS: Record<string, string> = {
  new: "New", open: "Open", partial_filled: "Partly filled", filled: "Filled", canceled: "Cancelled",
  partial_filled_canceled: "Partly filled, rest cancelled", untriggered: "Waiting for the stop price", rejected: "Refused",
};

/** An order id a customer can copy (support asks for it). */
function orderId(id: string): HTMLElement {
  return h("span", { class: "order-id" }, h("span", { class: "mono nowrap", "data-testid": "order-id" }, id), " ", copyButton(() => id, t("Copy"), t("Copied"), `${t("Copy order id")} ${id}`));
}

export function ordersTable(orders: any[], onCancel?: (o: any) => void) {
  const headers = [t("Time"), t("Symbol"), t("Side"), t("Order type"), t("Price"), t("Average price"), t("Amount"), t("Filled"), t("Status"), t("Order id")];
  if (onCancel) headers.push("");
  return table(headers, orders.map((o) => {
    const [base, quote] = String(o.symbol).split("_");
    // A market buy is given (and fills) in THB; everything else in the base asset.
    const unit = o.type === "market" && o.side === "buy" ? quote : base;
    const at = (x: unknown) => price(x, o.symbol);
    const limit = o.type === "stop_limit" ? `${at(o.stop_price)} → ${at(o.price)} ${quote}` : o.price ? `${at(o.price)} ${quote}` : "—";
    const row: any[] = [dateTime(o.ts_ms), o.symbol, h("span", { class: o.side === "buy" ? "up" : "down" }, t(o.side === "buy" ? "Buy" : "Sell")), t(ORDER_TYPE[o.type] ?? o.type),
      limit, o.average_price ? `${at(o.average_price)} ${quote}` : "—", coin(o.amount, unit), coin(o.filled, unit), t(ORDER_STATUS[o.status] ?? o.status), orderId(o.id)];
    if (onCancel) row.push(h("button", { type: "button", class: "small", "aria-label": `${t("Cancel")} ${o.id}`, onclick: () => onCancel(o) }, t("Cancel")));
    return row;
  }), onCancel ? t("Open orders") : t("Order history"));
}

// ---- orders ----

export async function ordersPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Order history")));
  const box = h("section"), trades = h("section");
  view.append(box, trades);
  const load = async (page: number) => {
    const r = await get<{ orders: any[]; page: number; last_page: number }>(`/web/api/orders/history?page=${page}&limit=20`);
    clear(box, ordersTable(r.orders), h("div", { class: "pager" },
      h("button", { type: "button", disabled: r.page <= 1, onclick: () => load(r.page - 1) }, t("Previous")),
      ` ${r.page} / ${Math.max(r.last_page, 1)} `,
      h("button", { type: "button", disabled: r.page >= r.last_page, onclick: () => load(r.page + 1) }, t("Next"))));
  };
  await load(1).catch((e) => showError(box, e));
  const tr = await get<{ trades: any[] }>("/web/api/trades/history?limit=100").catch(() => ({ trades: [] }));
  clear(trades, h("h2", {}, t("Trade history")), tradesTable(tr.trades));
}

// ---- API keys ----

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;

export async function keysPage(view: HTMLElement) {
  view.append(h("h1", {}, t("API keys")));
  const list = h("section"), secretBox = h("div", { class: "secret", "aria-live": "polite" });
  const perms = ["trade", "deposit", "withdraw"].map((p) => ({ p, box: h("input", { type: "checkbox", id: `perm-${p}`, checked: p === "trade" }) }));
  const permError = h("div", { class: "field-error" });
  const ips = field(t("IP allow-list"), h("input", { type: "text", placeholder: "203.0.113.5, 2001:db8::1" }));
  // A key that can withdraw needs the 2FA code; an IP allow-list is recommended for it.
  const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
  const withdrawNote = h("p", { class: "muted small" }, t("A key that can withdraw needs your 2FA code. Limit it to your server's IP addresses."));
  const showCode = () => { const w = perms.find((x) => x.p === "withdraw")!.box.checked; code.wrap.hidden = !w; withdrawNote.hidden = !w; };
  perms.forEach((x) => x.box.addEventListener("change", showCode));
  showCode();
  const err = errorBox();
  const form = h("form", { novalidate: true, "aria-label": t("Create key") },
    h("fieldset", {}, h("legend", {}, t("Permissions")), perms.map(({ p, box }) => h("label", { class: "check" }, box, ` ${p}`)), permError),
    ips.wrap, withdrawNote, code.wrap, h("button", { type: "submit" }, t("Create key")), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const chosen = perms.filter((x) => x.box.checked).map((x) => x.p);
    const ipList = ips.input.value.split(",").map((s) => s.trim()).filter(Boolean);
    let ok = true;
    permError.textContent = chosen.length ? "" : t("Choose at least one permission.");
    permError.setAttribute("role", chosen.length ? "none" : "alert");
    if (!chosen.length) ok = false;
    const badIp = ipList.find((ip) => !IPV4.test(ip) && !(ip.includes(":") && IPV6.test(ip)));
    ips.error(badIp ? `${t("Enter IPv4 or IPv6 addresses, separated by commas.")} (${badIp})` : null);
    if (badIp) ok = false;
    const needsCode = chosen.includes("withdraw");
    code.error(!needsCode || /^\d{6}$/.test(code.input.value.trim()) ? null : (ok = false, t("Enter the 6-digit code.")));
    if (!ok) return;
    try {
      const body: Record<string, unknown> = { permissions: chosen, ip_allow: ipList };
      if (needsCode) body.totp = code.input.value.trim();
      const k = await post<{ key: string; secret: string }>("/web/api/keys", body);
      code.input.value = "";
      clear(secretBox, h("p", { role: "alert" }, t("Copy the secret now: it is shown this once.")),
        h("dl", {}, h("dt", {}, t("Key")), h("dd", { class: "mono", "data-testid": "new-key" }, k.key), h("dt", {}, t("Secret")), h("dd", { class: "mono", "data-testid": "new-secret" }, k.secret)));
      await load();
    } catch (e) { showError(err, e); }
  };
  view.append(form, secretBox, list);
  const load = async () => {
    const r = await get<{ keys: any[] }>("/web/api/keys");
    clear(list, table([t("Key"), t("Permissions"), t("IP allow-list"), t("Created"), ""], r.keys.map((k) => [
      h("span", { class: "mono" }, k.key_prefix), (k.permissions ?? []).join(", "), (k.ip_allow ?? []).join(", ") || "—", dateTime(k.created_ms),
      h("button", { type: "button", class: "small danger", "aria-label": `${t("Revoke")} ${k.key_prefix}`, onclick: async () => { try { await del(`/web/api/keys/${encodeURIComponent(k.key ?? k.key_prefix)}`); } catch (e) { showError(err, e); } await load(); } }, t("Revoke")),
    ]), t("API keys")));
  };
  await load();
}

// ---- log in, sign up ----

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function credentialFields() {
  const email = field(t("Email"), h("input", { type: "email", autocomplete: "username" }));
  const password = field(t("Password"), h("input", { type: "password", autocomplete: "current-password" }));
  return { email, password };
}

export function loginPage(view: HTMLElement) {
  const { email, password } = credentialFields();
  const totp = field(t("2FA code"), h("input", { type: "text", autocomplete: "one-time-code", maxlength: 11 }));
  totp.wrap.append(h("span", { class: "muted small" }, t("or one of your backup codes")));
  totp.wrap.hidden = true;
  const err = errorBox();
  const form = h("form", { novalidate: true, class: "card", "aria-label": t("Log in") }, h("h1", {}, t("Log in")), email.wrap, password.wrap, totp.wrap,
    h("button", { type: "submit" }, t("Log in")), err, h("p", { class: "muted" }, h("a", { href: "#/forgot" }, t("Forgot password?"))),
    h("p", { class: "muted" }, t("No account yet?"), " ", h("a", { href: "#/signup" }, t("Sign up"))));
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    let ok = true;
    email.error(EMAIL.test(email.input.value.trim()) ? null : (ok = false, t("Enter a valid email address.")));
    password.error(password.input.value ? null : (ok = false, t("Required.")));
    const code = totp.input.value.trim();
    if (!totp.wrap.hidden) totp.error(/^\d{6}$/.test(code) || /^[0-9A-Za-z]{5}[- ]?[0-9A-Za-z]{5}$/.test(code) ? null : (ok = false, t("Enter the 6-digit code.")));
    if (!ok) return;
    const body: any = { email: email.input.value.trim(), password: password.input.value };
    if (!totp.wrap.hidden) body.totp = totp.input.value.trim();
    try {
      const r = await post<{ account: Account; csrf: string }>("/web/api/login", body);
      setAccount(r.account, r.csrf);
      navigate("#/markets");
    } catch (e) {
      if (e instanceof ApiError && e.code === "totp_required") {
        totp.wrap.hidden = false;
        totp.input.focus();
        totp.error(totp.input.value ? e.message : null);
        if (!totp.input.value) err.textContent = e.message;
      } else showError(err, e);
    }
  };
  view.append(form);
}

export function signupPage(view: HTMLElement) {
  const { email, password } = credentialFields();
  password.input.autocomplete = "new-password";
  const err = errorBox();
  const form = h("form", { novalidate: true, class: "card", "aria-label": t("Sign up") }, h("h1", {}, t("Sign up")), email.wrap, password.wrap,
    h("p", { class: "muted small" }, t("At least 10 characters, not all digits.")),
    h("button", { type: "submit" }, t("Sign up")), err, h("p", { class: "muted" }, t("Have an account?"), " ", h("a", { href: "#/login" }, t("Log in"))));
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    let ok = true;
    email.error(EMAIL.test(email.input.value.trim()) ? null : (ok = false, t("Enter a valid email address.")));
    const pw = password.input.value;
    password.error(pw.length >= 10 && !/^\d+$/.test(pw) ? null : (ok = false, t("At least 10 characters, not all digits.")));
    if (!ok) return;
    try {
      const r = await post<{ account: Account; csrf: string }>("/web/api/signup", { email: email.input.value.trim(), password: pw, lang: getLang() });
      setAccount(r.account, r.csrf);
      navigate("#/markets");
    } catch (e) {
      if (e instanceof ApiError && e.field === "email") email.error(e.message);
      else if (e instanceof ApiError && e.field === "password") password.error(e.message);
      else showError(err, e);
    }
  };
  view.append(form);
}
