// The trading page of one market: candles, depth, live book and tape, order form, the
// customer's open orders and history.
import type { UTCTimestamp } from "lightweight-charts";
import { h, clear, field, table, every, throttled, confirmDialog } from "../lib/dom";
import { get, post, del, symbols, wsUrl, ApiError, type SymbolInfo } from "../lib/api";
import { t, time, pct } from "../lib/i18n";
import * as fmt from "../lib/amounts";
import { candleChart, drawDepth } from "../lib/chart";
import { isDec, isMultipleOf, toUnits, fromUnits, mul, mulPpm, add, cmp, decOf, scaleOf } from "../lib/dec";
import { session, modeOf, takerPpm } from "./state";
import { ordersTable, tradesTable } from "./pages";
import { kycRefusal } from "./kyc";
import { navigate } from "../lib/router";

const RESOLUTIONS: [string, string, number][] = [["1m", "1", 60], ["5m", "5", 300], ["15m", "15", 900], ["1h", "60", 3600], ["4h", "240", 14400], ["1D", "1D", 86400]];

type Row = [number, number, number, ...unknown[]]; // [vol, rate, amount, …] of the book socket

export async function tradePage(view: HTMLElement, params: string[]) {
  const all = await symbols();
  const sym = all.find((s) => s.symbol === params[0]) ?? all[0];
  if (!sym) return;
  if (sym.symbol !== params[0]) { navigate(`#/trade/${sym.symbol}`); return; }
  const cleanups: (() => void)[] = [];

  // ---- header ----
  const pick = h("select", { "aria-label": t("Market"), onchange: (e: Event) => navigate(`#/trade/${(e.target as HTMLSelectElement).value}`) },
    all.map((s) => h("option", { value: s.symbol, selected: s.symbol === sym.symbol }, s.symbol)));
  const tickerBox = h("div", { class: "ticker-line" });
  view.append(h("div", { class: "trade-head" }, h("h1", {}, sym.symbol), pick, tickerBox));

  // ---- layout ----
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": t("Chart") });
  const resBar = h("div", { class: "res-bar", role: "group", "aria-label": "Resolution" });
  const depthCanvas = h("canvas", { class: "depth", role: "img", "aria-label": t("Depth") });
  const bidsBox = h("div"), asksBox = h("div"), tapeBox = h("div");
  const formBox = h("section", { class: "panel form-panel" });
  const mine = h("section", { class: "panel wide" });
  // On a phone the grid is one column: a tab bar shows one of chart, book and trades at a time
  // above the order form (on wider screens the bar is hidden and all three show).
  const grid = h("div", { class: "trade-grid", "data-tab": "chart" },
    h("section", { class: "panel chart-panel" }, resBar, chartEl, h("h2", {}, t("Depth")), depthCanvas),
    h("section", { class: "panel book-panel" }, h("h2", {}, t("Order book")), asksBox, bidsBox),
    h("section", { class: "panel tape-panel" }, h("h2", {}, t("Recent trades")), tapeBox),
    formBox);
  const tabs = h("div", { class: "phone-tabs", role: "tablist", "aria-label": t("Market view") });
  const showTab = (tab: string) => {
    grid.dataset.tab = tab;
    clear(tabs, [["chart", "Chart"], ["book", "Order book"], ["tape", "Recent trades"]].map(([id, label]) =>
      h("button", { type: "button", role: "tab", "aria-selected": String(tab === id), class: tab === id ? "small active" : "small", onclick: () => showTab(id) }, t(label))));
  };
  view.append(tabs, grid, mine);

  // ---- candles ----
  const { chart, series } = candleChart(chartEl, sym.price_scale);
  showTab("chart");
  cleanups.push(() => chart.remove());
  let res = RESOLUTIONS[0];
  let lastBar: { time: number; open: number; high: number; low: number; close: number } | null = null;
  const loadCandles = async () => {
    clear(resBar, RESOLUTIONS.map((r) => h("button", { type: "button", class: r === res ? "small active" : "small", "aria-pressed": String(r === res), onclick: () => { res = r; loadCandles(); } }, r[0])));
    const to = Math.floor(Date.now() / 1000) + res[2];
    const from = to - res[2] * 300;
    const r = await fetch(`/tradingview/history?symbol=${sym.symbol}&resolution=${res[1]}&from=${from}&to=${to}`).then((x) => x.json()).catch(() => ({ s: "error" }));
    const bars = r.s === "ok" ? r.t.map((tm: number, i: number) => ({ time: tm as UTCTimestamp, open: +r.o[i], high: +r.h[i], low: +r.l[i], close: +r.c[i] })) : [];
    series.setData(bars);
    lastBar = bars.length ? { ...bars[bars.length - 1] } : null;
  };
  await loadCandles();
  /** A live trade extends the last candle or opens the next one (floats: display only). */
  const onTrade = (tsS: number, price: number) => {
    const bucket = Math.floor(tsS / res[2]) * res[2];
    if (lastBar && bucket < lastBar.time) return;
    if (!lastBar || bucket > lastBar.time) lastBar = { time: bucket, open: price, high: price, low: price, close: price };
    else lastBar = { ...lastBar, high: Math.max(lastBar.high, price), low: Math.min(lastBar.low, price), close: price };
    series.update({ ...lastBar, time: lastBar.time as UTCTimestamp });
  };

  // ---- live book and tape ----
  let best = { bid: "", ask: "" };
  let updateSummary = () => {};
  let refreshMine = () => {};
  let lastRefresh = 0;
  /** The customer's orders again after a trade, at most once a second. */
  const refreshSoon = () => {
    const now = Date.now();
    if (now - lastRefresh < 1000) return;
    lastRefresh = now;
    refreshMine();
  };
  const bookTable = (rows: Row[], side: "bids" | "asks") => table([t("Price"), t("Amount"), t("Total")],
    rows.map((r) => [h("span", { class: side === "bids" ? "up" : "down" }, fmt.price(r[1], sym.symbol)), fmt.amount(r[2], sym.base_asset), fmt.amount(r[0], sym.quote_asset)]), side === "bids" ? "Bids" : "Asks");
  let bids: Row[] = [], asks: Row[] = [];
  /** Book, best prices, depth and the form's estimate: ten times a second at most (see `throttled`). */
  const renderBook = throttled(() => {
    clear(asksBox, bookTable([...asks].slice(0, 15).reverse(), "asks"));
    clear(bidsBox, bookTable(bids.slice(0, 15), "bids"));
    best = { bid: bids[0] ? decOf(bids[0][1]) : "", ask: asks[0] ? decOf(asks[0][1]) : "" };
    drawDepth(depthCanvas, bids.map((r) => [Number(r[1]), Number(r[2])]), asks.map((r) => [Number(r[1]), Number(r[2])]));
    updateSummary();
  }, 100);
  cleanups.push(renderBook.cancel);
  let tape: any[] = [];
  const renderTape = throttled(() => clear(tapeBox, table([t("Time"), t("Price"), t("Amount")],
    tape.slice(0, 20).map((x) => [time(x[0] * 1000), h("span", { class: x[3] === "BUY" ? "up" : "down" }, fmt.price(x[1], sym.symbol)), fmt.amount(x[2], sym.base_asset)]), t("Recent trades"))), 100);
  cleanups.push(renderTape.cancel);
  const renderTicker = (d: any) => clear(tickerBox,
    h("span", {}, `${t("Last price")} `, h("b", {}, fmt.price(d.last, sym.symbol))), h("span", { class: Number(d.percentChange) >= 0 ? "up" : "down" }, pct(d.percentChange ?? 0)),
    h("span", {}, `${t("24h high")} ${fmt.price(d.high24hr, sym.symbol)}`), h("span", {}, `${t("24h low")} ${fmt.price(d.low24hr, sym.symbol)}`));
  let ws: WebSocket | null = null, closed = false;
  const connect = () => {
    ws = new WebSocket(wsUrl(`/websocket-api/orderbook/${sym.pairing_id}`));
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.event === "bidschanged") { bids = m.data; renderBook(); }
      else if (m.event === "askschanged") { asks = m.data; renderBook(); }
      else if (m.event === "tradeschanged") {
        const [trades, b, a] = m.data;
        bids = b; asks = a; tape = trades; renderBook(); renderTape();
        for (const x of [...trades].reverse()) if (x[6]) onTrade(x[0], Number(x[1]));
        if (session.account) refreshSoon();
      } else if (m.event === "ticker") renderTicker(m.data);
    };
    ws.onclose = () => { if (!closed) setTimeout(connect, 2000); };
  };
  connect();
  cleanups.push(() => { closed = true; ws?.close(); });

  // ---- order form ----
  const summary = h("dl", { class: "summary", "aria-live": "polite" });
  if (session.account) {
    const applyMode = buildForm(formBox, sym, summary, () => best, () => ({ bids, asks }), (f) => (updateSummary = f), () => refreshMine());
    cleanups.push(every(5000, () => refreshMine()), every(1000, applyMode));
    const mineError = h("div", { class: "form-error", role: "alert" });
    /** Runs a cancel; its refusal is shown, never thrown. */
    const act = async (fn: () => Promise<unknown>) => {
      mineError.textContent = "";
      try { await fn(); } catch (e) { mineError.textContent = e instanceof ApiError ? e.message : String(e); }
      refreshMine();
    };
    refreshMine = () => loadMine().catch((e) => console.warn(e));
    const loadMine = async () => {
      const [open, hist, tr] = await Promise.all([
        get<{ orders: any[] }>(`/web/api/orders/open?symbol=${sym.symbol}`),
        get<{ orders: any[] }>(`/web/api/orders/history?symbol=${sym.symbol}&limit=10`).catch(() => ({ orders: [] })),
        get<{ trades: any[] }>(`/web/api/trades/history?symbol=${sym.symbol}&limit=10`).catch(() => ({ trades: [] })),
      ]);
      // A halted market freezes its book: cancels would be refused, so they are not offered.
      const frozen = modeOf(sym.symbol) === "halted";
      const cancelAll = h("button", { type: "button", class: "small danger", disabled: !open.orders.length || frozen, onclick: () => act(() => post("/web/api/orders/cancel-all", { symbol: sym.symbol })) }, t("Cancel all"));
      clear(mine, h("div", { class: "row-between" }, h("h2", {}, t("Open orders")), cancelAll), mineError,
        h("div", { id: "open-orders" }, ordersTable(open.orders, (o) => act(() => del(`/web/api/orders/${o.id}?symbol=${sym.symbol}`)))),
        h("h2", {}, t("Order history")), ordersTable(hist.orders), h("h2", {}, t("Trade history")), tradesTable(tr.trades));
      if (frozen) mine.querySelectorAll<HTMLButtonElement>("#open-orders button").forEach((b) => (b.disabled = true));
    };
  } else {
    formBox.append(h("p", {}, h("a", { href: "#/login" }, t("Log in")), " / ", h("a", { href: "#/signup" }, t("Sign up"))));
  }
  return () => cleanups.forEach((f) => f());
}

/** What the place-order route says an order did at once (see talat_gateway::fill). */
type PlacedOrder = {
  id: string; type: string; price: string | null; status: string;
  fill: { trades: number; filled: string; quote: string; average_price: string | null; fee: string; fee_asset: string; base_asset: string; quote_asset: string; ended: string | null; unspent: string | null };
};

/** Why an order ended without filling completely, in the customer's words. */
function endedText(ended: string, type: string): string {
  if (ended === "expired" && type === "post_only") return t("a post-only order that would trade at once is cancelled.");
  if (ended === "expired") return t("the book had no more orders to match within the price band.");
  if (ended === "self_trade_prevented") return t("it would have traded with one of your own orders.");
  if (ended === "killed") return t("it could not be filled completely.");
  return t("it was cancelled.");
}

/** The outcome of a submit, said plainly: filled (average price, amount, fee with its unit),
 *  partly filled with the rest resting or cancelled, resting, or nothing filled and why. */
export function outcomeText(o: PlacedOrder, sym: SymbolInfo): string {
  const f = o.fill;
  const traded = `${fmt.coin(f.filled, f.base_asset)} ${t("at an average price of")} ${fmt.price(f.average_price ?? "0", sym.symbol)} ${f.quote_asset} (${t("fee")} ${fmt.coin(f.fee, f.fee_asset)})`;
  const dust = f.unspent ? ` ${fmt.coin(f.unspent, f.quote_asset)} ${t("was too little for one more step and stays in your balance.")}` : "";
  if (f.ended === "filled") return `${t("Filled")}: ${traded}.${dust}`;
  if (f.trades && !f.ended) return `${t("Partly filled")}: ${traded}; ${t("the rest is in the order book.")}`;
  if (f.trades) return `${t("Partly filled")}: ${traded}; ${t("the rest was cancelled:")} ${endedText(f.ended!, o.type)}`;
  if (f.ended) return `${t("Nothing filled")}: ${endedText(f.ended, o.type)}`;
  if (o.type === "stop_limit") return t("Stop order placed: it waits for the stop price.");
  return `${t("Order placed: it rests in the order book at")} ${fmt.price(o.price ?? "0", sym.symbol)} ${sym.quote_asset}.`;
}

/** How far from the best price a market order may fill before the form warns, in percent. */
export const SLIPPAGE_PCT = "1";

/** How much of a market order the visible book fills within SLIPPAGE_PCT of its best price:
 *  `null` when it fills all of `amount`, else the part it can (THB for a buy, the base asset
 *  for a sell). `rows` are the opposite side's levels, best first: [THB, price, amount]. */
export function fillableWithin(side: "buy" | "sell", amount: string, rows: Row[]): string | null {
  if (!rows.length) return "0";
  const factor = add("1", mul(SLIPPAGE_PCT, "0.01"), side === "buy" ? 1 : -1);
  const bound = mul(decOf(rows[0][1]), factor);
  let filled = "0";
  for (const r of rows) {
    const price = decOf(r[1]);
    if (side === "buy" ? cmp(price, bound) > 0 : cmp(price, bound) < 0) break;
    filled = add(filled, decOf(side === "buy" ? r[0] : r[2]));
    if (cmp(filled, amount) >= 0) return null;
  }
  return filled;
}

/** The order form: validates as the engine does (price and quantity steps, minimum value) and
 *  shows fee and total before anything is sent. Amounts stay decimal strings. */
function buildForm(box: HTMLElement, sym: SymbolInfo, summary: HTMLElement, best: () => { bid: string; ask: string }, book: () => { bids: Row[]; asks: Row[] }, setUpdate: (f: () => void) => void, placed: () => void): () => void {
  let side: "buy" | "sell" = "buy";
  let busy = false;
  /** The market order (type, side, amount) whose thin book the customer was warned of: a second
   *  submit of the same order sends it. */
  let warnedOf = "";
  const sideBar = h("div", { class: "side-bar", role: "group", "aria-label": t("Side") });
  const type = h("select", {}, [["limit", "Limit"], ["market", "Market"], ["post_only", "Post-only"], ["stop_limit", "Stop-limit"]].map(([v, l]) => h("option", { value: v }, t(l))));
  const typeF = field(t("Order type"), type);
  const stopF = field(`${t("Stop price")} (${sym.quote_asset})`, h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }));
  const priceF = field(`${t("Price")} (${sym.quote_asset})`, h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }));
  const amountF = field(`${t("Amount")} (${sym.base_asset})`, h("input", { type: "text", inputmode: "decimal", autocomplete: "off" }));
  const amountLabel = amountF.wrap.querySelector("label")!;
  const submit = h("button", { type: "submit", class: "buy" });
  const err = h("div", { class: "form-error", role: "alert" });
  const hint = h("p", { class: "muted small" }, `${t("Price")} step ${sym.price_step} · ${t("Amount")} step ${sym.quantity_step} · min ${fmt.coin(sym.min_quote_size, sym.quote_asset)}`);
  const modeNote = h("p", { class: "mode-note", role: "status", "data-testid": "mode-note", hidden: true });
  // Optional: ask before each order is sent (kept in this browser).
  const confirmEach = h("input", { type: "checkbox", id: "confirm-orders", checked: localStorage.getItem("talat.confirm-orders") === "1" });
  confirmEach.onchange = () => localStorage.setItem("talat.confirm-orders", confirmEach.checked ? "1" : "0");
  const confirmLine = h("label", { class: "check small", for: "confirm-orders" }, confirmEach, ` ${t("Ask me to confirm each order")}`);
  const confirmed = (what: string) => confirmDialog(`${t("Send this order?")} ${what}`, t("Send"), t("Back"));
  /** The order in one line, for the confirmation. */
  const orderSummary = () => {
    const amount = amountF.input.value.trim();
    const what = `${t(side === "buy" ? "Buy" : "Sell")} ${isMarketBuy() ? `${sym.base_asset} ${t("for")} ${fmt.coin(amount, sym.quote_asset)}` : fmt.coin(amount, sym.base_asset)}`;
    if (type.value === "market") return `${what} ${t("at the market price")}.`;
    const stop = type.value === "stop_limit" ? `, ${t("when the price reaches")} ${fmt.price(stopF.input.value.trim(), sym.symbol)} ${sym.quote_asset}` : "";
    return `${what} ${t("at")} ${fmt.price(priceF.input.value.trim(), sym.symbol)} ${sym.quote_asset}${stop}.`;
  };
  const form = h("form", { novalidate: true, "aria-label": t("Place order") }, h("h2", {}, t("Place order")), modeNote, sideBar, typeF.wrap, stopF.wrap, priceF.wrap, amountF.wrap, hint, summary, submit, err, confirmLine);
  const isMarketBuy = () => type.value === "market" && side === "buy";

  const layout = () => {
    clear(sideBar, (["buy", "sell"] as const).map((s) => h("button", { type: "button", class: `small ${s === side ? (s === "buy" ? "buy" : "sell") : ""}`, "aria-pressed": String(s === side), onclick: () => { side = s; layout(); } }, t(s === "buy" ? "Buy" : "Sell"))));
    stopF.wrap.hidden = type.value !== "stop_limit";
    priceF.wrap.hidden = type.value === "market";
    amountLabel.textContent = isMarketBuy() ? t("Spend (THB)") : `${t("Amount")} (${sym.base_asset})`;
    submit.textContent = `${t(side === "buy" ? "Buy" : "Sell")} ${sym.base_asset}`;
    submit.className = side;
    update();
    applyMode();
  };
  type.onchange = layout;

  /** What the market's mode allows now, said above the form; the submit is disabled when the
   *  engine would refuse the order anyway (the server still checks). */
  const applyMode = () => {
    const mode = session.status?.maintenance ? "cancel_only" : modeOf(sym.symbol);
    const note = mode === "halted" ? t("Trading is halted: no new orders and no cancels until it reopens. Your open orders stay in the book.")
      : mode === "cancel_only" ? t("Cancel-only: you can cancel your open orders; new orders are refused.")
      : mode === "post_only" && type.value !== "post_only" ? t("Post-only: only post-only limit orders are accepted now.")
      : "";
    modeNote.textContent = note;
    modeNote.hidden = !note;
    submit.disabled = busy || note !== "";
  };

  /** Every field's problem (or null), without touching the page. */
  const problems = () => {
    const p: { stop: string | null; price: string | null; amount: string | null } = { stop: null, price: null, amount: null };
    const checkPrice = (v: string) => {
      if (!v) return t("Required.");
      if (!isDec(v)) return t("Enter a number such as 1.5.");
      if (toUnits(v, sym.price_scale) === 0n) return t("Must be more than zero.");
      if (!isMultipleOf(v, sym.price_step)) return `${t("Price must be a multiple of")} ${sym.price_step}.`;
      return null;
    };
    const price = priceF.input.value.trim(), amount = amountF.input.value.trim(), stop = stopF.input.value.trim();
    if (type.value === "stop_limit") p.stop = checkPrice(stop);
    if (type.value !== "market") p.price = checkPrice(price);
    if (!amount) p.amount = t("Required.");
    else if (!isDec(amount)) p.amount = t("Enter a number such as 1.5.");
    else if (cmp(amount, "0") === 0) p.amount = t("Must be more than zero.");
    else if (isMarketBuy()) {
      if (toUnits(amount, sym.quote_asset_scale) === null) p.amount = `${t("Amount must be a multiple of")} ${fromUnits(1n, sym.quote_asset_scale)}.`;
      else if (cmp(amount, sym.min_quote_size) < 0) p.amount = `${t("Order value must be at least")} ${fmt.coin(sym.min_quote_size, sym.quote_asset)}.`;
    } else if (!isMultipleOf(amount, sym.quantity_step)) p.amount = `${t("Amount must be a multiple of")} ${sym.quantity_step}.`;
    else {
      const ref = type.value === "market" ? best().bid : p.price ? "" : price;
      if (ref && cmp(mul(ref, amount), sym.min_quote_size) < 0) p.amount = `${t("Order value must be at least")} ${fmt.coin(sym.min_quote_size, sym.quote_asset)}.`;
    }
    return p;
  };

  /** What the visible book fills of this market order within SLIPPAGE_PCT, or null (all of it,
   *  or not a market order with a valid amount). */
  const thinBook = (): string | null => {
    const amount = amountF.input.value.trim();
    if (type.value !== "market" || problems().amount) return null;
    const { bids, asks } = book();
    return fillableWithin(side, amount, side === "buy" ? asks : bids);
  };
  const thinText = (filled: string) =>
    `${t("Within")} ${SLIPPAGE_PCT}% ${t("of the best price the book fills only")} ${fmt.coin(filled, side === "buy" ? sym.quote_asset : sym.base_asset)}; ${t("the rest would fill at worse prices or be cancelled.")}`;

  /** Value, fee and total (the fee at the taker rate, the most it can be). */
  const update = () => {
    const p = problems();
    const amount = amountF.input.value.trim();
    const price = type.value === "market" ? (side === "buy" ? best().ask : best().bid) : priceF.input.value.trim();
    const ppm = takerPpm(sym.symbol);
    const qs = sym.quote_asset_scale;
    const round = (s: string, up: boolean) => {
      const u = toUnits(s.replace(/(\.\d*?)0*$/, "$1"), Math.max(scaleOf(s), qs))!;
      const d = 10n ** BigInt(Math.max(scaleOf(s), qs) - qs);
      return fromUnits(up ? (u + d - 1n) / d : u / d, qs, qs);
    };
    let value = "", fee = "", total = "";
    if (!p.amount && (isMarketBuy() || (isDec(price) && price !== "" && !p.price))) {
      value = isMarketBuy() ? amount : mul(price, amount);
      fee = round(mulPpm(value, ppm), true);
      value = round(value, side === "buy");
      total = side === "buy" ? (isMarketBuy() ? value : add(value, fee)) : add(value, fee, -1);
    }
    const approx = type.value === "market" ? "≈ " : "";
    const short = thinBook();
    clear(summary,
      short !== null && h("dt", { class: "warn" }, t("Thin book")),
      short !== null && h("dd", { class: "warn", "data-testid": "slippage-warning" }, thinText(short)),
      h("dt", {}, `${t("Fee")} (${(ppm / 10000).toFixed(2)}%)`), h("dd", { "data-testid": "fee" }, fee ? `${approx}${fmt.coin(fee, sym.quote_asset)}` : "—"),
      h("dt", {}, t("Total")), h("dd", { "data-testid": "total" }, total ? `${approx}${fmt.coin(total, sym.quote_asset)}` : "—"));
  };
  setUpdate(update);
  for (const f of [stopF, priceF, amountF]) {
    f.input.addEventListener("input", () => { f.error(null); warnedOf = ""; update(); });
    f.input.addEventListener("blur", () => { const p = problems(); const k = f === stopF ? "stop" : f === priceF ? "price" : "amount"; if (f.input.value.trim()) f.error(p[k]); });
  }

  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const p = problems();
    stopF.error(p.stop); priceF.error(p.price); amountF.error(p.amount);
    if (p.stop || p.price || p.amount) return;
    const short = thinBook();
    const order = `${type.value} ${side} ${amountF.input.value.trim()}`;
    if (short !== null && warnedOf !== order) {
      warnedOf = order;
      clear(err, h("span", { class: "warn", "data-testid": "order-outcome" }, `${thinText(short)} ${t("Press the button again to send it anyway.")}`));
      return;
    }
    if (confirmEach.checked && !(await confirmed(orderSummary()))) return;
    const body: Record<string, string> = { symbol: sym.symbol, side, type: type.value, amount: amountF.input.value.trim() };
    if (type.value !== "market") body.price = priceF.input.value.trim();
    if (type.value === "stop_limit") body.stop_price = stopF.input.value.trim();
    const mode = modeOf(sym.symbol);
    busy = true;
    submit.disabled = true;
    try {
      const r = await post<{ order: PlacedOrder }>("/web/api/orders", body);
      clear(err, h("span", { class: r.order.fill.trades ? "ok" : r.order.fill.ended ? "warn" : "ok", "data-testid": "order-outcome" }, outcomeText(r.order, sym)));
      amountF.input.value = "";
      update();
      placed();
    } catch (e) {
      if (e instanceof ApiError && e.field && ({ price: priceF, amount: amountF, stop_price: stopF } as any)[e.field]) ({ price: priceF, amount: amountF, stop_price: stopF } as any)[e.field].error(e.message);
      else {
        const kyc = kycRefusal(e);
        if (kyc) clear(err, kyc);
        else err.textContent = e instanceof ApiError ? e.message : String(e);
      }
      if (mode !== "open") console.info("market mode", mode);
    } finally {
      busy = false;
      applyMode();
    }
  };
  box.append(form);
  layout();
  return applyMode;
}
