// Market surveillance in the console (docs/web-api.md, "Market surveillance"): alerts (#/alerts,
// one alert with its evidence at #/alerts/<id>: orders, trades and links as tables with units,
// the window's price and volume chart in Bangkok time; open a case, dismiss), cases (#/cases,
// one case at #/cases/<id>: its alerts, timeline and actions — assign, note, ask the customer,
// escalate, close with a disposition — and the AMLO report downloads), the daily tape audit
// (first-digit shares against Benford's, χ² and the round-size z with pass or fail) and the
// circuit breaker's actions. The server checks every role and every move and says why; this
// page only offers what the case's status allows.
import { h, clear, field, table, every, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime, num } from "../lib/i18n";
import { priceVolumeChart, barChart } from "../lib/chart";
import { navigate } from "../lib/router";
import { staffMe } from "./support";

const BASE = "/web/api/console/surveillance";
const enc = (id: unknown) => encodeURIComponent(String(id));
const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const words = (s: unknown) => String(s ?? "").replace(/_/g, " ");
const badge = (status: string) => h("span", { class: `badge st-${status}`, "data-status": status }, words(status));
/** `fn` for `every`, which also calls at once: the page has just loaded. */
const skipFirst = (fn: () => unknown) => { let first = true; return async () => { if (first) { first = false; return; } await fn(); }; };
const outcomeLine = () => h("div", { role: "status", "aria-live": "polite", "data-testid": "surveillance-outcome" });

interface Account { user_id: number; account_id: number | null; email: string | null }
interface Figure { name: string; value: string }
interface Evidence {
  units: { price: string; amount: string; value: string };
  orders: { id: string; user_id: number; side: string; price: string | null; amount: string | null; placed_ms: number; outcome: string | null; done_ms: number | null }[];
  trades: { seq: number; ts_ms: number; price: string; amount: string; value: string; buyer: number; seller: number; taker_side: string }[];
  links: { a: number; b: number; kind: string }[];
  chart: { t_ms: number; open: string; high: string; low: string; close: string; volume: string }[];
}
interface Alert {
  id: string; detector: string; title: string; symbol: string; accounts: Account[]; from_ms: number; to_ms: number; seq: number;
  summary: string; figures: Figure[]; status: string; case_id: number | null; created_ms: number; evidence?: Evidence | null;
}
interface CaseEvent { id: number; ts_ms: number; staff: { id: number; email: string | null }; action: string; note: string; detail: any }
interface Case {
  id: number; title: string; status: string; assignee: { id: number; email: string | null } | null; disposition: string | null;
  ticket_id: number | null; explain_due_ms: number | null; explain_overdue: boolean; created_by: { id: number; email: string | null };
  created_ms: number; updated_ms: number; alert_count?: number; str_csv_url: string; str_pdf_url: string;
  alerts?: Alert[]; accounts?: Account[]; events?: CaseEvent[]; ticket?: { id: number; subject: string; status: string; console_url: string } | null;
}

const who = (a: Account) => (a.email ? `${a.email} (user ${a.user_id})` : `user ${a.user_id}`);
const figuresText = (f: Figure[]) => f.map((x) => `${words(x.name)} ${x.value}`).join(" · ");

// ---- alerts ----

const alertFilter = { status: "open", detector: "" };

export async function alertsPage(view: HTMLElement, params: string[]) {
  if (params[0]) return alertDetail(view, params[0]);
  view.append(h("h1", {}, "Surveillance alerts"));
  const out = outcomeLine(), err = errorBox(), list = h("div");
  const status = field("Status", h("select", {}, [["open", "open"], ["in_case", "in a case"], ["dismissed", "dismissed"], ["all", "all"]].map(([v, l]) => h("option", { value: v, selected: v === alertFilter.status }, l))));
  const detector = field("Detector", h("select", {}, h("option", { value: "" }, "all detectors")));
  const filters = h("form", { class: "filters", "aria-label": "Filter alerts", onsubmit: (e: Event) => e.preventDefault() }, status.wrap, detector.wrap);
  status.input.addEventListener("change", () => { alertFilter.status = status.input.value; load(); });
  detector.input.addEventListener("change", () => { alertFilter.detector = detector.input.value; load(); });
  const selected = new Set<string>();
  const openCase = h("button", { type: "button", disabled: true }, "Open a case from the selected alerts");
  openCase.onclick = async () => {
    try {
      const r = await post<{ case: Case }>(`${BASE}/cases`, { alert_ids: [...selected] });
      navigate(`#/cases/${r.case.id}`);
    } catch (e) { err.textContent = message(e); }
  };
  view.append(filters, h("p", { class: "muted small" }, "Each alert carries its evidence: open one to see the orders, trades, links and the price chart of its window."), openCase, out, err, list);
  let detectorsShown = false;
  const load = async () => {
    try {
      const q = `status=${enc(alertFilter.status)}${alertFilter.detector ? `&detector=${enc(alertFilter.detector)}` : ""}&evidence=false`;
      const r = await get<{ alerts: Alert[]; detectors: { id: string; title: string }[] }>(`${BASE}/alerts?${q}`);
      err.textContent = "";
      if (!detectorsShown) {
        detectorsShown = true;
        for (const d of r.detectors) detector.input.append(h("option", { value: d.id, selected: d.id === alertFilter.detector }, d.title));
      }
      selected.clear();
      openCase.disabled = true;
      clear(list, h("div", { class: "text-table" }, table(["", "Raised", "Detector", "Market", "Accounts", "Summary", "Status"], r.alerts.map((a) => {
        const box = h("input", { type: "checkbox", "aria-label": `Select alert ${a.id}`, disabled: a.status !== "open" });
        box.addEventListener("change", () => { if (box.checked) selected.add(a.id); else selected.delete(a.id); openCase.disabled = selected.size === 0; });
        return [box, dateTime(a.created_ms), h("a", { href: `#/alerts/${enc(a.id)}` }, a.title), a.symbol, h("ul", { class: "plain" }, a.accounts.map((x) => h("li", {}, who(x)))),
          a.summary, [badge(a.status), a.case_id ? h("div", { class: "small" }, h("a", { href: `#/cases/${a.case_id}` }, `case #${a.case_id}`)) : null]];
      }), "Alerts")));
    } catch (e) { err.textContent = message(e); }
  };
  const listing = field("Asset", h("input", { type: "text", autocomplete: "off", placeholder: "e.g. BTC", size: 8 }));
  const listingOut = h("div", { role: "status" });
  const listingForm = h("form", { class: "inline-form", "aria-label": "Record a listing announcement" }, h("h2", {}, "Listing announcement"),
    h("p", { class: "muted small" }, "Record that a listing was announced now: staff-linked accounts that bought ahead of it are raised as alerts."),
    listing.wrap, h("button", { type: "submit" }, "Record announcement"), listingOut);
  listingForm.onsubmit = async (e) => {
    e.preventDefault();
    listing.error(null);
    listingOut.textContent = "";
    try {
      const r = await post<{ alerts: Alert[]; new_alerts: number }>(`${BASE}/listings`, { asset: listing.input.value.trim().toUpperCase() });
      listingOut.className = "ok";
      listingOut.textContent = r.alerts.length ? `${r.alerts.length} alert(s) raised (${r.new_alerts} new).` : "No staff-linked buying ahead of it.";
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.field === "asset") listing.error(e.message);
      else { listingOut.className = "form-error"; listingOut.textContent = message(e); }
    }
  };
  view.append(listingForm);
  await load();
  // Refreshed while nobody is picking alerts for a case (a reload would clear the choice).
  return every(20000, skipFirst(() => (selected.size ? undefined : load())));
}

function evidenceTables(ev: Evidence, accounts: Account[]): Child[] {
  const user = (id: number) => { const a = accounts.find((x) => x.user_id === id); return a?.email ? `${id} (${a.email})` : String(id); };
  return [
    h("h2", {}, "Price and volume"),
    h("p", { class: "muted small" }, `Prices in ${ev.units.price}, volume in ${ev.units.amount}; Bangkok time.`),
    ev.chart.length ? h("div", { class: "chart", "data-testid": "evidence-chart" }) : h("p", { class: "muted" }, "No chart for this window."),
    h("h2", {}, "Orders"),
    h("div", { class: "text-table" }, table(["Order", "Account", "Side", `Price (${ev.units.price})`, `Amount (${ev.units.amount})`, "Placed", "Outcome"],
      ev.orders.map((o) => [o.id, user(o.user_id), o.side, o.price ? num(o.price) : "market", o.amount ? num(o.amount) : "—", dateTime(o.placed_ms),
        o.outcome ? `${words(o.outcome)}${o.done_ms ? ` ${dateTime(o.done_ms)}` : ""}` : "—"]), "Orders")),
    h("h2", {}, "Trades"),
    h("div", { class: "text-table" }, table(["Seq", "Time", `Price (${ev.units.price})`, `Amount (${ev.units.amount})`, `Value (${ev.units.value})`, "Buyer", "Seller", "Taker"],
      ev.trades.map((t) => [String(t.seq), dateTime(t.ts_ms), num(t.price), num(t.amount), num(t.value), user(t.buyer), user(t.seller), t.taker_side]), "Trades")),
    h("h2", {}, "Links between the accounts"),
    h("div", { class: "text-table" }, table(["Account", "Account", "Linked by"], ev.links.map((l) => [user(l.a), user(l.b), words(l.kind)]), "Links")),
  ];
}

/** Draws the evidence chart into the element `evidenceTables` left for it. */
function drawChart(box: HTMLElement, ev: Evidence): () => void {
  const el = box.querySelector<HTMLElement>("[data-testid=evidence-chart]");
  if (!el) return () => {};
  const c = priceVolumeChart(el);
  c.set(ev.chart);
  return () => c.chart.remove();
}

async function alertDetail(view: HTMLElement, id: string) {
  const err = errorBox(), out = outcomeLine(), box = h("section");
  view.append(h("p", {}, h("a", { href: "#/alerts" }, "← All alerts")), out, err, box);
  let cleanup = () => {};
  const load = async () => {
    cleanup();
    try {
      const { alert: a } = await get<{ alert: Alert }>(`${BASE}/alerts/${enc(id)}`);
      const reason = field("Reason for dismissing", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
      const dismiss = async () => {
        if (!reason.input.value.trim()) { reason.error("Give a reason: it goes into the audit log."); return; }
        try {
          await post(`${BASE}/alerts/${enc(id)}/dismiss`, { reason: reason.input.value.trim() });
          out.className = "ok"; out.textContent = "Alert dismissed."; await load();
        } catch (e) { if (e instanceof ApiError && e.field === "reason") reason.error(e.message); else err.textContent = message(e); }
      };
      const openCase = async () => {
        try { const r = await post<{ case: Case }>(`${BASE}/cases`, { alert_ids: [id] }); navigate(`#/cases/${r.case.id}`); } catch (e) { err.textContent = message(e); }
      };
      clear(box, h("h1", {}, a.title), h("p", {}, badge(a.status), " ", a.summary),
        h("dl", { class: "kv" }, h("dt", {}, "Alert"), h("dd", { class: "mono" }, a.id), h("dt", {}, "Market"), h("dd", {}, a.symbol),
          h("dt", {}, "Window"), h("dd", {}, `${dateTime(a.from_ms)} – ${dateTime(a.to_ms)}`), h("dt", {}, "Accounts"), h("dd", {}, a.accounts.map(who).join(", ")),
          h("dt", {}, "Figures"), h("dd", {}, figuresText(a.figures) || "—"),
          h("dt", {}, "Case"), h("dd", {}, a.case_id ? h("a", { href: `#/cases/${a.case_id}` }, `#${a.case_id}`) : "—")),
        a.status === "open" ? h("div", { class: "actions" }, h("button", { type: "button", onclick: openCase }, "Open a case"), reason.wrap, h("button", { type: "button", class: "danger", onclick: dismiss }, "Dismiss")) : null,
        a.evidence ? evidenceTables(a.evidence, a.accounts) : h("p", { class: "form-error" }, "This alert's evidence could not be read."));
      if (a.evidence) cleanup = drawChart(box, a.evidence);
    } catch (e) { err.textContent = message(e); }
  };
  await load();
  return () => cleanup();
}

// ---- cases ----

const caseFilter = { status: "all" };

export async function casesPage(view: HTMLElement, params: string[]) {
  if (params[0]) return caseDetail(view, params[0]);
  view.append(h("h1", {}, "Surveillance cases"));
  const err = errorBox(), list = h("div");
  const status = field("Status", h("select", {}, ["all", "open", "awaiting_customer", "escalated", "closed"].map((v) => h("option", { value: v, selected: v === caseFilter.status }, words(v)))));
  status.input.addEventListener("change", () => { caseFilter.status = status.input.value; load(); });
  view.append(h("form", { class: "filters", "aria-label": "Filter cases", onsubmit: (e: Event) => e.preventDefault() }, status.wrap),
    h("p", { class: "muted small" }, "Open a case from one or more alerts on the Alerts page."), err, list);
  const load = async () => {
    try {
      const r = await get<{ cases: Case[] }>(`${BASE}/cases?status=${enc(caseFilter.status)}`);
      err.textContent = "";
      clear(list, h("div", { class: "text-table" }, table(["#", "Title", "Status", "Assignee", "Alerts", "Customer's answer due", "Updated"], r.cases.map((c) => [
        h("a", { href: `#/cases/${c.id}` }, `#${c.id}`), c.title, [badge(c.status), c.disposition ? h("div", { class: "small" }, words(c.disposition)) : null],
        c.assignee?.email ?? "—", String(c.alert_count ?? 0),
        c.explain_due_ms ? h("span", { class: c.explain_overdue ? "down" : "" }, `${dateTime(c.explain_due_ms)}${c.explain_overdue ? " (overdue)" : ""}`) : "—",
        dateTime(c.updated_ms)]), "Cases")));
    } catch (e) { err.textContent = message(e); }
  };
  await load();
  return every(20000, skipFirst(load));
}

/** What each action needs and which statuses offer it (the server's case_rules decide). */
const ACTIONS: { id: string; label: string; from: string[] }[] = [
  { id: "assign", label: "Assign", from: ["open", "awaiting_customer", "escalated"] },
  { id: "notes", label: "Add note", from: ["open", "awaiting_customer", "escalated"] },
  { id: "ask", label: "Ask the customer", from: ["open", "escalated"] },
  { id: "escalate", label: "Escalate", from: ["open", "awaiting_customer"] },
  { id: "close", label: "Close", from: ["open", "awaiting_customer", "escalated"] },
];

async function caseDetail(view: HTMLElement, id: string) {
  const err = errorBox(), out = outcomeLine(), box = h("section");
  view.append(h("p", {}, h("a", { href: "#/cases" }, "← All cases")), out, err, box);
  const me = await staffMe().catch(() => null);
  let dispositions: string[] = [];
  let cleanups: (() => void)[] = [];
  const load = async () => {
    cleanups.forEach((f) => f());
    cleanups = [];
    try {
      if (!dispositions.length) dispositions = (await get<{ dispositions: string[] }>(`${BASE}/cases?status=closed`)).dispositions;
      const { case: c } = await get<{ case: Case }>(`${BASE}/cases/${enc(id)}`);
      const act = async (action: string, body: Record<string, unknown>, done: string, fields: Record<string, ReturnType<typeof field>>) => {
        out.textContent = ""; err.textContent = "";
        Object.values(fields).forEach((f) => f.error(null));
        try {
          await post(`${BASE}/cases/${enc(id)}/${action}`, body);
          out.className = "ok"; out.textContent = done; await load();
        } catch (e) {
          const f = e instanceof ApiError && e.field ? fields[e.field] : undefined;
          if (f) f.error(message(e)); else err.textContent = message(e);
        }
      };
      const forms: Record<string, HTMLElement> = {};
      const text = (label: string, placeholder = "") => field(label, h("input", { type: "text", autocomplete: "off", placeholder }));
      { // assign
        const staffId = field("Staff id", h("input", { type: "text", inputmode: "numeric", size: 6, value: me ? String(me.staff.id) : "" }));
        forms.assign = h("div", { class: "actions" }, staffId.wrap,
          h("button", { type: "button", class: "small", onclick: () => act("assign", { staff_id: staffId.input.value.trim() === "" ? null : Number(staffId.input.value) }, "Assigned.", { staff_id: staffId }) }, "Assign"));
      }
      { // note
        const note = text("Note");
        forms.notes = h("div", { class: "actions" }, note.wrap, h("button", { type: "button", class: "small", onclick: () => act("notes", { note: note.input.value }, "Note added.", { note }) }, "Add note"));
      }
      { // ask the customer
        const accounts = c.accounts ?? [];
        const user = field("Customer", h("select", {}, accounts.map((a) => h("option", { value: String(a.user_id) }, who(a)))));
        const subject = text("Subject (optional)", "A question about your recent trading");
        const question = field("Question", h("textarea", { rows: 3, placeholder: "What the customer should explain (they see this; do not mention a report)" }));
        forms.ask = h("div", {}, user.wrap, subject.wrap, question.wrap, h("p", { class: "muted small" }, "Opens a support ticket to the customer; the answer is due within 24 hours."),
          h("button", { type: "button", class: "small", onclick: () => act("ask", { user_id: Number(user.input.value), subject: subject.input.value, text: question.input.value }, "The customer was asked; their ticket is linked below.", { user_id: user, subject, text: question }) }, "Send the question"));
      }
      { // escalate
        const reason = text("Reason");
        forms.escalate = h("div", { class: "actions" }, reason.wrap, h("button", { type: "button", class: "small", onclick: () => act("escalate", { reason: reason.input.value }, "Escalated.", { reason }) }, "Escalate"));
      }
      { // close
        const disposition = field("Disposition", h("select", {}, h("option", { value: "" }, "choose…"), dispositions.map((d) => h("option", { value: d }, words(d)))));
        const reason = text("Reason");
        forms.close = h("div", { class: "actions" }, disposition.wrap, reason.wrap,
          h("button", { type: "button", class: "small danger", onclick: () => act("close", { disposition: disposition.input.value || null, reason: reason.input.value }, "Case closed.", { disposition, reason }) }, "Close the case"));
      }
      const offered = ACTIONS.filter((a) => a.from.includes(c.status));
      clear(box, h("h1", {}, `Case #${c.id}: ${c.title}`),
        h("dl", { class: "kv" },
          h("dt", {}, "Status"), h("dd", {}, badge(c.status), c.disposition ? ` — ${words(c.disposition)}` : ""),
          h("dt", {}, "Assignee"), h("dd", {}, c.assignee?.email ?? "nobody"),
          h("dt", {}, "Opened"), h("dd", {}, `${dateTime(c.created_ms)} by ${c.created_by.email ?? c.created_by.id}`),
          h("dt", {}, "Customer asked"), h("dd", {}, c.ticket ? [h("a", { href: `#/support/${c.ticket.id}` }, `ticket #${c.ticket.id}`), ` (${words(c.ticket.status)})`,
            c.explain_due_ms ? h("span", { class: c.explain_overdue ? "down" : "" }, `, answer due ${dateTime(c.explain_due_ms)}${c.explain_overdue ? " — overdue" : ""}`) : ""] : "not yet"),
          h("dt", {}, "Report for AMLO"), h("dd", {}, h("a", { href: c.str_csv_url, download: "" }, "CSV"), " · ", h("a", { href: c.str_pdf_url, download: "" }, "PDF"))),
        offered.length ? [h("h2", {}, "Actions"), offered.map((a) => h("details", {}, h("summary", {}, a.label), forms[a.id]))] : h("p", { class: "muted" }, "This case is closed."),
        h("h2", {}, "Timeline"),
        h("div", { class: "text-table" }, table(["Time", "Staff", "Action", "Note"], (c.events ?? []).map((e) => [dateTime(e.ts_ms), e.staff.email ?? String(e.staff.id), words(e.action), e.note || "—"]), "Timeline")),
        h("h2", {}, "Alerts"),
        (c.alerts ?? []).map((a, i) => {
          const section = h("section", { "aria-label": `Alert ${a.id}` }, h("h3", {}, h("a", { href: `#/alerts/${enc(a.id)}` }, `A${i + 1} ${a.title} — ${a.symbol}`)),
            h("p", {}, a.summary), h("p", { class: "muted small" }, figuresText(a.figures)), a.evidence ? evidenceTables(a.evidence, a.accounts) : null);
          if (a.evidence) queueMicrotask(() => cleanups.push(drawChart(section, a.evidence!)));
          return section;
        }));
    } catch (e) { err.textContent = message(e); }
  };
  await load();
  return () => cleanups.forEach((f) => f());
}

// ---- tape audit ----

interface Audit { symbol: string; day: number; date: string; trades: number; first_digits: number[]; benford_chi2: number; benford_ok: boolean | null;
  round_unit: number; round_trades: number; round_expected_bps: number; round_z: number; round_clustering: boolean | null }

const verdict = (ok: boolean | null, pass: string, fail: string) => ok === null ? h("span", { class: "muted" }, "too few trades to judge") : h("span", { class: ok ? "up" : "down" }, ok ? pass : fail);

export async function tapeAuditPage(view: HTMLElement) {
  view.append(h("h1", {}, "Tape audit"),
    h("p", { class: "muted small" }, "Each market's trades of a Bangkok day against two signs of genuine trading (Cong et al., “Crypto Wash Trading”): first digits of trade sizes follow Benford's law (χ², 8 degrees of freedom), and sizes cluster at round amounts (z-score). Bars: the share of trades by first digit, observed against Benford's expected share."));
  const err = errorBox(), box = h("div");
  view.append(err, box);
  const charts: (() => void)[] = [];
  try {
    const r = await get<{ benford: number[]; round_z_min: number; running: boolean; today_date: string; today: Audit[]; stored: Audit[] }>(`${BASE}/audits`);
    const day = (title: string, audits: Audit[]) => [h("h2", {}, title), audits.length ? audits.map((a) => {
      const total = a.first_digits.reduce((s, x) => s + x, 0) || 1;
      const el = h("div", { class: "small-chart", role: "img", "aria-label": `First digits of ${a.symbol} trade sizes on ${a.date} against Benford` });
      const chart = barChart(el, [{ title: "Benford expected %", color: "#8b949e" }, { title: "observed %", color: "#4fc3f7" }]);
      chart.set(r.benford.map((p, i) => ({ label: String(i + 1), values: [p * 100, (a.first_digits[i] / total) * 100] })));
      charts.push(() => chart.chart.remove());
      return h("section", { class: "audit", "aria-label": `${a.symbol} ${a.date}` }, h("h3", {}, `${a.symbol} — ${a.date}`),
        h("dl", { class: "kv" }, h("dt", {}, "Trades"), h("dd", {}, num(a.trades)),
          h("dt", {}, "Benford χ²"), h("dd", {}, `${a.benford_chi2.toFixed(2)} `, verdict(a.benford_ok, "pass: sizes look organic", "fail: first digits are not Benford's")),
          h("dt", {}, "Round sizes"), h("dd", {}, `${num(a.round_trades)} trades at multiples of ${num(a.round_unit)} units (expected ${(a.round_expected_bps / 100).toFixed(2)}%), z = ${a.round_z.toFixed(2)} `,
            verdict(a.round_clustering, `pass: clustering (z ≥ ${r.round_z_min})`, `fail: no clustering (z < ${r.round_z_min})`))), el);
    }) : h("p", { class: "muted" }, "No trades audited.")];
    const byDay = new Map<string, Audit[]>();
    for (const a of r.stored) byDay.set(a.date, [...(byDay.get(a.date) ?? []), a]);
    clear(box, r.running ? day(`Today so far (${r.today_date})`, r.today) : h("p", { class: "muted" }, "The live monitor does not run on this node: only stored days are shown."),
      [...byDay].map(([date, audits]) => day(date, audits)));
  } catch (e) { err.textContent = message(e); }
  return () => charts.forEach((f) => f());
}

// ---- circuit breaker ----

export async function breakerPage(view: HTMLElement) {
  view.append(h("h1", {}, "Circuit breaker"));
  const err = errorBox(), box = h("div");
  view.append(err, box);
  const load = async () => {
    try {
      const r = await get<{ actions: { id: number; symbol: string; mode: string; reason: string; at_ms: number }[]; breaker: { enabled: boolean; move_bps: number; window_ms: number; halt_ms: number; cancel_only_ms: number } | null }>(`${BASE}/breaker`);
      err.textContent = "";
      const b = r.breaker;
      clear(box, b ? h("p", { class: "muted small" }, b.enabled
        ? `A market that moves more than ${b.move_bps / 100}% within ${b.window_ms / 60000} min is halted for ${b.halt_ms / 60000} min, then cancel-only for ${b.cancel_only_ms / 60000} min, then open.`
        : "The circuit breaker is off.") : h("p", { class: "muted small" }, "The live monitor does not run on this node."),
        h("div", { class: "text-table" }, table(["Time", "Market", "Mode set", "Why"], r.actions.map((a) => [dateTime(a.at_ms), a.symbol, h("span", { class: `mode ${a.mode}` }, words(a.mode)), a.reason]), "Breaker actions")));
    } catch (e) { err.textContent = message(e); }
  };
  await load();
  return every(15000, skipFirst(load));
}
