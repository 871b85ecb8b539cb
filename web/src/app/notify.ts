// In-app notifications: the bell in the header with the unread count, its panel, and what keeps
// it current — the session WebSocket that says "notify" when the engine touches the customer's
// orders or money, a slow timer for what does not come through the engine (KYC decisions,
// ticket answers), and a nudge from the status poll when a market's mode changes.
import { h, clear } from "../lib/dom";
import { get, post, wsUrl } from "../lib/api";
import { t, dateTime } from "../lib/i18n";
import { coin, price } from "../lib/amounts";

type Note = { id: string; ts_ms: number; kind: string; unread: boolean; [field: string]: any };

/** How often the list is fetched without a nudge, and how long a closed socket waits. */
const POLL_MS = 30_000;
const RECONNECT_MS = 5_000;

let notes: Note[] = [];
let unread = 0;
let open = false;
const button = h("button", { type: "button", class: "bell", "aria-haspopup": "true", "aria-expanded": "false", "aria-controls": "notifications" });
const panel = h("div", { id: "notifications", class: "notify-panel", role: "region", "aria-label": "Notifications", hidden: true });
const box = h("div", { class: "bell-box" }, button, panel);

/** One notification in the customer's words. */
export function describe(n: Note): string {
  switch (n.kind) {
    case "fill":
      return `${t(n.side === "buy" ? "Bought" : "Sold")} ${coin(n.amount, n.base)} ${t("at")} ${price(n.price, n.symbol)} ${n.quote} (${t("order")} #${n.order_id})`;
    case "cancel":
      return `${t(n.cause === "cancel_after" ? "Your cancel-after timer cancelled an order" : "The exchange cancelled an order")}: ${t(n.side === "buy" ? "Buy" : "Sell")} ${coin(n.amount, n.base_asset)} ${n.price ? `${t("at")} ${price(n.price, n.symbol)} ${n.quote_asset} ` : ""}(${t("order")} #${n.order_id})`;
    case "deposit":
      return `${t("Deposit credited")}: ${coin(n.amount, n.asset)}`;
    case "withdrawal":
      return `${t(n.status === "settled" ? "Withdrawal paid" : n.status === "released" ? "Withdrawal cancelled, funds returned" : "Withdrawal requested")}: ${coin(n.amount, n.asset)}`;
    case "kyc":
      return n.status === "approved" ? `${t("Identity verification approved")} (${t("level")} ${n.level})`
        : n.status === "rejected" ? t("Identity verification not approved") : t("More information is needed for your identity verification");
    case "ticket":
      return `${t("Support answered your ticket")} “${n.subject}”`;
    case "market":
      return `${n.symbol}: ${t(n.mode === "halted" ? "trading halted" : n.mode === "cancel_only" ? "cancel-only" : n.mode === "post_only" ? "post-only orders only" : "trading reopened")}`;
    default:
      return n.kind;
  }
}

/** A bell drawn inline (emoji fonts are not on every phone or server). */
function bellIcon(): SVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "bell-icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

function render(): void {
  button.replaceChildren(bellIcon(), unread ? ` ${unread}` : "");
  button.setAttribute("aria-label", `${t("Notifications")} (${unread} ${t("unread")})`);
  button.setAttribute("aria-expanded", String(open));
  button.classList.toggle("has-unread", unread > 0);
  panel.hidden = !open;
  clear(panel, h("h2", {}, t("Notifications")), notes.length
    ? h("ul", { class: "plain notify-list" }, notes.map((n) => h("li", { class: n.unread ? "unread" : "", "data-testid": "notification" },
      h("span", { class: "muted small" }, dateTime(n.ts_ms)), " ",
      n.kind === "ticket" ? h("a", { href: `#/support/${n.ticket_id}` }, describe(n)) : describe(n))))
    : h("p", { class: "muted" }, t("Nothing yet.")));
}

/** Fetches the list; while the panel is open, what it shows is marked read. */
export async function refreshNotifications(): Promise<void> {
  const r = await get<{ notifications: Note[]; unread: number }>("/web/api/notifications").catch(() => null);
  if (!r) return;
  notes = r.notifications;
  unread = r.unread;
  if (open && unread && notes.length) {
    await post("/web/api/notifications/read", { up_to_ms: notes[0].ts_ms }).catch(() => {});
    unread = 0;
  }
  render();
}

button.onclick = () => {
  open = !open;
  render();
  if (open) refreshNotifications();
};

/** The bell for the header (one element, kept across header renders). */
export function bell(): HTMLElement {
  render();
  return box;
}

/** Keeps the bell current while signed in; the returned function stops it. */
export function startNotifications(): () => void {
  let stopped = false;
  let socket: WebSocket | null = null;
  const connect = () => {
    if (stopped) return;
    socket = new WebSocket(wsUrl("/web/api/notifications/stream"));
    socket.onmessage = () => refreshNotifications();
    socket.onclose = () => { if (!stopped) setTimeout(connect, RECONNECT_MS); };
  };
  connect();
  refreshNotifications();
  const timer = window.setInterval(refreshNotifications, POLL_MS);
  return () => {
    stopped = true;
    socket?.close();
    clearInterval(timer);
    notes = [];
    unread = 0;
    open = false;
  };
}
