// Outage compensation in the console (docs/web-api.md, "Compensation"): incidents (#/compensation),
// a form to define one (window, scope, policy; amounts in baht, shares in %), one incident at
// #/compensation/<id> with its preview — every affected customer, the credits per loss class and
// the evidence they rest on, the reference price of each market — the approval (a second staff
// member: the server refuses the preparer and says so), the credits' status and the regulator's
// CSV report, and the refusal log of the last hour. The server computes and checks everything.
import { h, clear, field, table, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime, num } from "../lib/i18n";
import { satang } from "../lib/funds";
import { navigate } from "../lib/router";
import { can } from "./access";

const BASE = "/web/api/console/compensation";
const enc = (id: unknown) => encodeURIComponent(String(id));
const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const badge = (status: string) => h("span", { class: `badge st-${status}`, "data-status": status }, status);
const CLASS: Record<string, string> = { flat: "flat credit", fee: "fee refund", blocked: "blocked action" };

interface Credit { reference: string; user_id: number; class: string; asset: string; amount: string; status: string; completed_ms: number | null }
interface Line { what: string; refused_id?: number; market?: number; ts_ms?: number; reference_price?: number; realised_price?: number; qty?: number; amount: number; note: string }
interface Customer { user_id: number; email: string | null; credits: { class: string; amount: string }[]; total: string; capped: boolean; review: boolean; evidence: Line[] }
interface Incident {
  id: number; title: string; t0_ms: number; t1_ms: number; markets: string[]; kinds: string[]; networks: string[]; support_incident_id: number | null;
  pay_asset: string; policy: Record<string, unknown>; customers: number; total: string; status: string; prepared_by: string; created_ms: number;
  approved_by: string | null; approved_ms: number | null;
  preview?: { customers: Customer[]; references: { symbol: string; price_text: string | null; source: string; trades: number }[]; truncated: boolean; dropped: [number, number][] };
  credits?: Credit[];
}

export async function compensationPage(view: HTMLElement, params: string[]) {
  if (params[0]) return incidentDetail(view, params[0]);
  view.append(h("h1", {}, "Outage compensation"));
  const err = errorBox(), list = h("section"), log = h("section");
  view.append(err, list, can("compensation.prepare") ? defineForm() : "", log);
  try {
    const r = await get<{ incidents: Incident[] }>(`${BASE}/incidents`);
    clear(list, h("h2", {}, "Incidents"), table(["#", "Title", "Window", "Markets", "Customers", "Total", "Status", "Prepared by", "Approved by"],
      r.incidents.map((i) => [h("a", { href: `#/compensation/${i.id}` }, String(i.id)), i.title, `${dateTime(i.t0_ms)} – ${dateTime(i.t1_ms)}`, i.markets.join(", "),
        String(i.customers), `${num(i.total)} ${i.pay_asset}`, badge(i.status), i.prepared_by, i.approved_by ?? "—"]), "Incidents"));
    const since = Date.now() - 3_600_000;
    const l = await get<{ refusals: any[]; dropped: [number, number][] }>(`${BASE}/refusals?from_ms=${since}`);
    clear(log, h("h2", {}, "Refused requests, last hour"),
      h("p", { class: "muted small" }, "Shed, timed-out and mode-refused requests; “unverified” means the user was read from the API key header before the signature was checked."),
      table(["Time", "User", "Verified", "Kind", "Endpoint", "Code", "Symbol", "Side", "Amount", "Rate"],
        l.refusals.map((x) => [dateTime(x.ts_ms), String(x.user_id), x.verified ? "yes" : "unverified", x.kind, x.endpoint, String(x.code), x.symbol ?? "", x.side ?? "", x.amount ?? "", x.rate ?? ""]), "Refused requests"),
      l.dropped.length ? h("p", { class: "muted small" }, `Beyond the per-minute bound (counted, not kept): ${l.dropped.map(([u, n]) => `user ${u}: ${n}`).join(", ")}`) : null);
  } catch (e) { err.textContent = message(e); }
}

/** Baht text → satang as a JSON number (exact: via bigint), or an error. */
function units(label: string, text: string): number {
  const v = satang(text || "0");
  if (v === null) throw new Error(`${label}: enter baht with at most two decimals`);
  return Number(v);
}

/** A percentage with up to four decimals → parts per million (exact: string arithmetic). */
function ppm(label: string, text: string): number {
  const m = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m) throw new Error(`${label}: enter a percentage such as 100 or 110.5`);
  return Number(m[1]) * 10_000 + Number((m[2] ?? "").padEnd(4, "0"));
}

function defineForm(): HTMLElement {
  const input = (type = "text", value = "") => h("input", { type, value, autocomplete: "off" });
  const f = {
    title: field("Title", input()),
    from: field("From (local time)", input("datetime-local")),
    to: field("To (local time)", input("datetime-local")),
    markets: field("Markets (comma-separated symbols)", input("text", "BTC_THB")),
    kinds: field("Request kinds without a market (place, cancel, withdraw, login, other)", input()),
    networks: field("Networks (as text)", input()),
    ticket: field("Support incident # (its tickets' customers count too)", input()),
    flat: field("Flat credit per customer (THB)", input("text", "0")),
    fee: field("Fee refund (%)", input("text", "100")),
    feeCap: field("Fee refund cap per customer (THB)", input("text", "10000")),
    blocked: field("Blocked-action loss paid (%)", input("text", "100")),
    blockedCap: field("Blocked-action cap per customer (THB)", input("text", "100000")),
    grace: field("Grace after the window (minutes)", input("text", "60")),
    cap: field("Cap per customer (THB)", input("text", "100000")),
    review: field("Flag for review above (THB)", input("text", "10000")),
  };
  const unverified = h("input", { type: "checkbox", checked: true, id: "comp-unverified" });
  const err = errorBox();
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  const form = h("form", { class: "card", novalidate: true, "aria-label": "Define an incident" }, h("h2", {}, "Define an incident"),
    Object.values(f).map((x) => x.wrap), h("label", { for: "comp-unverified" }, unverified, " count unverified refusals (shed before the signature check)"),
    h("button", { type: "submit" }, "Compute the preview"), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      const t0 = new Date(f.from.input.value).getTime(), t1 = new Date(f.to.input.value).getTime();
      if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new Error("Enter both ends of the window.");
      const grace = Number(f.grace.input.value);
      if (!Number.isInteger(grace) || grace < 0) throw new Error("Grace: whole minutes.");
      const body: Record<string, unknown> = {
        title: f.title.input.value, t0_ms: t0, t1_ms: t1, markets: list(f.markets.input.value), kinds: list(f.kinds.input.value), networks: list(f.networks.input.value),
        policy: {
          flat_credit: units("Flat credit", f.flat.input.value), fee_refund_ppm: ppm("Fee refund", f.fee.input.value), fee_refund_cap: units("Fee refund cap", f.feeCap.input.value),
          blocked_loss_ppm: ppm("Blocked-action loss", f.blocked.input.value), blocked_loss_cap: units("Blocked-action cap", f.blockedCap.input.value),
          grace_ms: grace * 60_000, customer_cap: units("Cap per customer", f.cap.input.value), review_above: units("Review above", f.review.input.value), include_unverified: unverified.checked,
        },
      };
      if (f.ticket.input.value.trim()) body.support_incident_id = Number(f.ticket.input.value.trim());
      const r = await post<{ incident: Incident }>(`${BASE}/incidents`, body);
      navigate(`#/compensation/${r.incident.id}`);
    } catch (e) { err.textContent = message(e); }
  };
  return form;
}

function evidenceTable(lines: Line[]): HTMLElement {
  return table(["What", "Request #", "Time", "Reference price", "Realised price", "Quantity", "Units", "Note"],
    lines.map((l) => [l.what, l.refused_id === undefined ? "" : String(l.refused_id), l.ts_ms === undefined ? "" : dateTime(l.ts_ms),
      l.reference_price === undefined ? "" : String(l.reference_price), l.realised_price === undefined ? "" : String(l.realised_price),
      l.qty === undefined ? "" : String(l.qty), String(l.amount), l.note] as Child[]), "Evidence");
}

async function incidentDetail(view: HTMLElement, id: string) {
  const err = errorBox(), out = h("div", { role: "status", "aria-live": "polite", "data-testid": "compensation-outcome" }), body = h("div");
  view.append(h("p", {}, h("a", { href: "#/compensation" }, "← Incidents")), out, err, body);
  const render = (i: Incident) => {
    const approve = h("button", { type: "button" }, i.status === "approved" ? "Submit pending credits again" : "Approve and pay");
    approve.onclick = async () => {
      err.textContent = "";
      try {
        const r = await post<{ incident: Incident; already_approved: boolean; submitted: number; error: string | null }>(`${BASE}/incidents/${enc(i.id)}/approve`, {});
        out.textContent = r.error ? `Submitted ${r.submitted}; stopped at ${r.error}` : `${r.already_approved ? "Already approved" : "Approved"}: ${r.submitted} credit(s) submitted.`;
        render(r.incident);
      } catch (e) { err.textContent = message(e); }
    };
    const p = i.preview;
    clear(body,
      h("h1", {}, `Incident ${i.id}: ${i.title}`), badge(i.status),
      h("p", {}, `${dateTime(i.t0_ms)} – ${dateTime(i.t1_ms)} · markets ${i.markets.join(", ") || "—"} · kinds ${i.kinds.join(", ") || "—"} · networks ${i.networks.join(", ") || "—"}`),
      h("p", {}, `Prepared by ${i.prepared_by} at ${dateTime(i.created_ms)}`, i.approved_by ? ` · approved by ${i.approved_by} at ${dateTime(i.approved_ms ?? 0)}` : ""),
      h("p", {}, `${i.customers} customer(s), ${num(i.total)} ${i.pay_asset} in all.`),
      h("details", {}, h("summary", {}, "Policy"), h("pre", {}, JSON.stringify(i.policy, null, 2))),
      can("compensation.approve") && approve, " ", h("a", { href: `${BASE}/incidents/${enc(i.id)}/report`, download: `compensation-${i.id}.csv` }, "Regulator's report (CSV)"),
      p ? [
        h("h2", {}, "Reference prices"),
        table(["Market", "Price", "Source", "Trades in the window"], p.references.map((r) => [r.symbol, r.price_text ? num(r.price_text) : "—", r.source, String(r.trades)]), "Reference prices"),
        p.truncated ? h("p", { class: "form-error" }, "The refusal log had more rows in this window than one preview reads: split the incident.") : null,
        h("h2", {}, "Customers"),
        table(["User", "Email", "Credits", "Total", "Flags", "Evidence"], p.customers.map((c) => [String(c.user_id), c.email ?? "—",
          c.credits.map((x) => `${CLASS[x.class] ?? x.class} ${num(x.amount)}`).join(" · ") || "—", num(c.total),
          [c.capped ? "capped" : "", c.review ? "review" : ""].filter(Boolean).join(", "),
          h("details", {}, h("summary", {}, `${c.evidence.length} line(s)`), evidenceTable(c.evidence))]), "Customers"),
      ] : null,
      i.credits && i.credits.length ? [h("h2", {}, "Credits"), table(["Reference", "User", "Class", "Amount", "Status", "Completed"],
        i.credits.map((c) => [c.reference, String(c.user_id), CLASS[c.class] ?? c.class, `${num(c.amount)} ${c.asset}`, badge(c.status), c.completed_ms ? dateTime(c.completed_ms) : "—"]), "Credits")] : null,
    );
  };
  try {
    render((await get<{ incident: Incident }>(`${BASE}/incidents/${enc(id)}`)).incident);
  } catch (e) { err.textContent = message(e); }
}
