// One customer's full picture for support (#/users/<user id>): profile, API keys, KYC with the
// knowledge test, balances, open and recent orders, trades, funding and tickets, from
// GET /web/api/console/users/<id>. API-only accounts (no web account) show what they have.
// Locking shows only to roles that may lock.
import { h, clear, table, field } from "../lib/dom";
import { get, ApiError } from "../lib/api";
import { num, dateTime } from "../lib/i18n";
import { can } from "./access";

type ReasonField = ReturnType<typeof field>;
interface Deps {
  reasonField: () => ReasonField;
  change: (reason: ReasonField, out: HTMLElement, path: string, body: Record<string, unknown>, done: () => void) => Promise<void>;
}

const when = (ms: unknown) => (typeof ms === "number" ? dateTime(ms) : "—");
const words = (s: unknown) => String(s ?? "—").replace(/_/g, " ");
const yes = (b: unknown) => (b ? "yes" : "no");

function kv(pairs: [string, unknown][]): HTMLElement {
  return h("dl", { class: "kv" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v === null || v === undefined || v === "" ? "—" : (v as any))]));
}

function section(title: string, rows: unknown[], empty: string, render: () => HTMLElement) {
  return [h("h2", {}, title), rows.length ? render() : h("p", { class: "muted" }, empty)];
}

function profile(p: any) {
  const prof = p.profile ?? {};
  if (p.kind === "api") return kv([["Kind", "API only (no web account)"], ["User id", p.user_id], ["Created", when(prof.created_ms)]]);
  return kv([["Kind", "web account"], ["Email", prof.email], ["User id", p.user_id], ["Created", when(prof.created_ms)],
    ["Email verified", prof.email_verified_ms ? when(prof.email_verified_ms) : "no"], ["KYC level", prof.kyc_level], ["Admitted", prof.admitted_ms ? when(prof.admitted_ms) : prof.waitlisted_ms ? `waitlisted since ${when(prof.waitlisted_ms)}` : "no"],
    ["Risk rating", words(prof.risk_rating)], ["Next review", when(prof.next_review_ms)], ["2FA", prof.totp_enabled ? "on" : "off"], ["Locked", yes(prof.locked)]]);
}

function kyc(p: any) {
  if (p.kind === "api") return [h("h2", {}, "KYC"), h("p", { class: "muted" }, "API-only accounts have no KYC applications or knowledge test.")];
  const k = p.kyc ?? {}, apps: any[] = k.applications ?? [], t = k.knowledge;
  const test = t ? kv([["Knowledge test", t.passed_current ? "passed (current version)" : "not passed (current version)"],
    ["Latest attempt", `${t.last.score_pct}% — ${t.last.passed ? "pass" : "fail"}, ${when(t.last.ts_ms)} (version ${t.last.version})`], ["Attempts", t.attempts]])
    : h("p", { class: "muted" }, "Knowledge test not taken.");
  return [h("h2", {}, "KYC"), test,
    apps.length ? table(["Application", "Level", "Status", "Submitted", "Decided", "Reason"], apps.map((a) => [h("a", { href: `#/kyc/${a.id}` }, `#${a.id}`), a.level, words(a.status), when(a.submitted_ms), when(a.decided_ms), a.decision_reason ?? "—"]), "KYC applications")
      : h("p", { class: "muted" }, "No KYC application yet.")];
}

function trading(p: any) {
  const orderRow = (o: any) => [o.id, o.symbol, o.side, o.type, num(o.price), num(o.amount), num(o.filled), words(o.status)];
  const orderHead = ["Id", "Symbol", "Side", "Type", "Price", "Amount", "Filled", "Status"];
  const bals: any[] = p.balances?.assets ?? [];
  return [
    ...section("Balances", bals, "No balances.", () => table(["Asset", "Available", "Held", "Value (THB)"], bals.map((b) => [b.asset, num(b.available), num(b.held), num(b.value_thb)]), "Balances")),
    ...section("Open orders", p.open_orders ?? [], "No open orders.", () => h("div", {}, openOrdersNote(p), table(orderHead, p.open_orders.map(orderRow), "Open orders"))),
    ...section("Recent orders", p.orders ?? [], "No orders.", () => table(orderHead, p.orders.map(orderRow), "Recent orders")),
    ...section("Trades", p.trades ?? [], "No trades.", () => table(["Time", "Symbol", "Side", "Price", "Amount", "Fee", "Order"], p.trades.map((t: any) =>
      [when(t.ts_ms), t.symbol, t.side, num(t.price), num(t.amount), `${num(t.fee)} ${t.fee_asset}`, t.order_id]), "Trades")),
    ...section("Funding", p.funding ?? [], "No deposits or withdrawals.", () => table(["Time", "Kind", "Asset", "Amount", "Fee", "Status", "Reference"], p.funding.map((f: any) =>
      [when(f.ts_ms), f.kind, f.asset, num(f.amount), f.fee ? num(f.fee) : "—", words(f.status), f.id]), "Funding")),
  ];
}

/** The picture holds the newest open orders only (a market maker has hundreds): say so when it cut the list. */
function openOrdersNote(p: any): HTMLElement | null {
  const shown = p.open_orders.length, total = Number(p.open_orders_total ?? shown);
  return total > shown ? h("p", { class: "muted", "data-testid": "open-orders-capped" }, `Showing ${shown} of ${total} open orders (the newest).`) : null;
}

function keysAndTickets(p: any) {
  return [
    ...section("API keys", p.api_keys ?? [], "No API keys.", () => table(["Key", "Permissions", "IP allow-list", "Created", "Revoked"], p.api_keys.map((k: any) =>
      [k.key, (k.permissions ?? []).join(", ") || "read", k.ip_allow || "any", when(k.created_ms), k.revoked_ms ? when(k.revoked_ms) : "—"]), "API keys")),
    ...section("Tickets", p.tickets ?? [], p.kind === "api" ? "API-only accounts have no tickets." : "No tickets.", () => table(["Ticket", "Subject", "Category", "Priority", "Status", "Complaint", "Updated"], p.tickets.map((t: any) =>
      [h("a", { href: `#/support/${t.id}` }, `#${t.id}`), t.subject, words(t.category), words(t.priority), words(t.status), words(t.complaint_status), when(t.updated_ms)]), "Tickets")),
  ];
}

function lockForm(p: any, deps: Deps, reload: () => void) {
  if (!can("user.lock") || p.kind !== "web") return null;
  const reason = deps.reasonField();
  const out = h("div", { role: "status" });
  const locked = !!p.profile?.locked;
  return h("div", { class: "card" }, h("p", {}, `Locked: ${locked ? "yes" : "no"}`), reason.wrap, h("button", { type: "button", class: locked ? "" : "danger",
    onclick: () => deps.change(reason, out, `/web/api/console/users/${p.user_id}/lock`, { locked: !locked }, reload) }, locked ? "Unlock" : "Lock"), out);
}

export async function userPicture(view: HTMLElement, id: string, deps: Deps) {
  const box = h("div");
  view.append(h("p", {}, h("a", { href: "#/users" }, "← Users")), box);
  const load = async () => {
    try {
      const p = await get<any>(`/web/api/console/users/${encodeURIComponent(id)}`);
      clear(box, h("h1", {}, p.kind === "api" ? `User ${p.user_id} (API only)` : `${p.profile?.email} (user ${p.user_id})`),
        profile(p), lockForm(p, deps, load), ...kyc(p), ...trading(p), ...keysAndTickets(p));
    } catch (e) {
      clear(box, h("div", { class: "form-error", role: "alert" }, e instanceof ApiError ? e.message : String(e)));
    }
  };
  await load();
}
