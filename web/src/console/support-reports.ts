// Support planning and reporting: staffing (#/staffing: agents needed per half hour from the
// arrivals, Erlang C on the server, against the roster; admins edit the roster) and the monthly
// reports (#/reports: complaints, printable and as CSV; SLA attainment).
import { h, clear, field, table, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime } from "../lib/i18n";
import { dayChart, hhmm } from "../lib/chart";
import { showRefusal, plain } from "../lib/support";
import { staffMe } from "./support";
import { can } from "./access";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const n = (x: unknown) => Number(x ?? 0);

// ---- staffing ----

/** One half hour: arrivals, agents needed on duty (Erlang C), agents to roster for that after
 *  shrinkage (`agents_rostered_needed`), and the roster. */
interface Interval {
  start_min: number; arrivals: number; agents: number; agents_rostered_needed?: number; rostered: number;
  service_level: number | null; asa_s: number | null; occupancy?: number | null; traffic_erlangs?: number;
}
const toRoster = (i: Interval) => n(i.agents_rostered_needed ?? i.agents);

const INPUTS: [key: string, label: string, check: (v: number) => string | null][] = [
  ["aht_s", "Average handling time (s)", (v) => (v > 0 ? null : "More than 0 seconds.")],
  ["target_pct", "Service level target (%)", (v) => (v > 0 && v < 100 ? null : "Between 0 and 100 (not included).")],
  ["answer_s", "Answer within (s)", (v) => (v > 0 ? null : "More than 0 seconds.")],
  ["shrinkage_pct", "Shrinkage (%)", (v) => (v >= 0 && v < 100 ? null : "From 0 up to 100 (not included).")],
];

/** A fraction (0.85) as a percentage. */
function level(x: unknown): string {
  if (x === null || x === undefined || x === "") return "—";
  return `${(Number(x) * 100).toFixed(1)} %`;
}
const fixed = (x: unknown, digits = 1) => (x === null || x === undefined ? "—" : Number(x).toFixed(digits));

export async function staffingPage(view: HTMLElement) {
  view.append(h("h1", {}, "Staffing"), h("p", { class: "muted" },
    "Agents needed per half hour (Erlang C) for the ticket arrivals, with shrinkage, against the roster."));
  const me = await staffMe().catch(() => null);
  const fields = Object.fromEntries(INPUTS.map(([k, label]) => [k, field(label, h("input", { type: "text", inputmode: "decimal", size: 8 }))]));
  const arrivals = field("Arrivals forecast (optional: 48 numbers per half hour from 00:00, comma-separated; empty: the average of the last 28 days)",
    h("textarea", { rows: 2, placeholder: "0, 0, 0, … 4, 6.5, 8, …" }));
  arrivals.wrap.classList.add("wide-field");
  const err = errorBox();
  const form = h("form", { novalidate: true, class: "filters", "aria-label": "Staffing inputs" }, INPUTS.map(([k]) => fields[k].wrap), arrivals.wrap, h("button", { type: "submit" }, "Calculate"), err);
  const chartEl = h("div", { class: "chart staffing-chart", role: "img", "aria-label": "Agents needed and rostered per half hour", "data-testid": "staffing-chart" });
  const summary = h("p", { role: "status" });
  const list = h("div"), rosterArea = h("section");
  view.append(form, h("section", { class: "panel" }, h("h2", {}, "Agents to roster vs rostered"), chartEl, summary), list, rosterArea);
  const chart = dayChart(chartEl, [
    { title: "agents to roster", kind: "histogram", color: "#4fc3f7" },
    { title: "rostered", kind: "step", color: "#ffb74d" },
  ]);
  let intervals: Interval[] = [];
  let lastQuery = "";

  const load = async (query: string) => {
    err.textContent = "";
    lastQuery = query;
    try {
      const r = await get<{ intervals: Interval[]; inputs: Record<string, unknown> }>(`/web/api/console/support/staffing${query}`);
      intervals = r.intervals;
      for (const [k] of INPUTS) if (r.inputs && r.inputs[k] !== undefined && !fields[k].input.value) fields[k].input.value = String(r.inputs[k]);
      chart.set(r.intervals.map((i) => ({ minute: n(i.start_min), values: [toRoster(i), n(i.rostered)] })));
      const short = r.intervals.filter((i) => n(i.rostered) < toRoster(i));
      const arrivals = r.intervals.reduce((a, i) => a + n(i.arrivals), 0);
      const source = r.inputs?.arrivals_source === "given" ? "given arrivals" : `average arrivals of the last ${r.inputs?.history_days ?? 28} days`;
      summary.textContent = `${arrivals.toFixed(1)} tickets a day (${source}). ` +
        (short.length ? `${short.length} of ${r.intervals.length} half hours are short of agents.` : `The roster covers all ${r.intervals.length} half hours.`);
      clear(list, table(["Interval", "Arrivals", "Agents on duty", "Agents to roster", "Rostered", "Gap", "Service level", "ASA (s)", "Occupancy"], r.intervals.map((i) => {
        const gap = n(i.rostered) - toRoster(i);
        return [`${hhmm(n(i.start_min))}–${hhmm(n(i.start_min) + 30)}`, fixed(i.arrivals, 2), String(n(i.agents)), String(toRoster(i)), String(n(i.rostered)),
          h("span", { class: gap < 0 ? "down" : "" }, gap > 0 ? `+${gap}` : String(gap)), level(i.service_level), fixed(i.asa_s), level(i.occupancy)];
      }), "Staffing intervals"));
      if (can("roster")) rosterEditor();
    } catch (e) {
      showRefusal(e, { ...fields, arrivals }, err);
    }
  };

  form.onsubmit = (e) => {
    e.preventDefault();
    let ok = true;
    const p = new URLSearchParams();
    for (const [k, , check] of INPUTS) {
      const raw = fields[k].input.value.trim();
      const bad = !/^\d+(\.\d+)?$/.test(raw) ? "Enter a number such as 1.5." : check(Number(raw));
      fields[k].error(bad);
      if (bad) ok = false;
      else p.set(k, raw);
    }
    const given = arrivals.input.value.split(",").map((x) => x.trim()).filter(Boolean);
    const badArrival = given.find((x) => !/^\d+(\.\d+)?$/.test(x));
    const arrivalsBad = !given.length ? null : badArrival !== undefined ? `Not a number of tickets: ${badArrival}` : given.length !== 48 ? `48 numbers, one per half hour (${given.length} given).` : null;
    arrivals.error(arrivalsBad);
    if (arrivalsBad) ok = false;
    else if (given.length) p.set("arrivals", given.join(","));
    if (ok) load(`?${p}`);
  };

  // Admins: the roster, agents per half hour (48 whole numbers), with a reason.
  const rosterEditor = () => {
    const inputs = intervals.map((i) => h("input", { type: "text", inputmode: "numeric", size: 3, value: plain(i.rostered) || "0", "aria-label": `Agents ${hhmm(n(i.start_min))}` }));
    const reason = field("Reason", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
    const agentsErr = h("div", { class: "field-error", "aria-live": "polite" });
    const rErr = errorBox();
    const out = h("div", { role: "status" });
    const form = h("form", { novalidate: true, "aria-label": "Roster", class: "roster-form" }, h("h2", {}, "Roster (agents per half hour)"),
      h("div", { class: "roster-grid" }, intervals.map((i, k) => h("label", {}, h("span", { class: "muted small" }, hhmm(n(i.start_min))), inputs[k]))), agentsErr,
      reason.wrap, h("button", { type: "submit" }, "Save roster"), rErr, out);
    form.onsubmit = async (e) => {
      e.preventDefault();
      rErr.textContent = out.textContent = "";
      const bad = inputs.find((x) => !/^\d+$/.test(x.value.trim()));
      agentsErr.textContent = bad ? `Whole numbers of agents only (${bad.getAttribute("aria-label")}).` : "";
      agentsErr.setAttribute("role", bad ? "alert" : "none");
      const r = reason.input.value.trim();
      reason.error(r ? null : "Give a reason: it goes into the audit log.");
      if (bad || !r) return;
      try {
        await post("/web/api/console/support/roster", { agents: inputs.map((x) => Number(x.value.trim())), reason: r });
        await load(lastQuery);
        rosterArea.querySelector('[role="status"]')!.textContent = "Roster saved.";
      } catch (e) {
        showRefusal(e, { reason, agents: { error: (m) => { agentsErr.textContent = m ?? ""; agentsErr.setAttribute("role", m ? "alert" : "none"); } } }, rErr);
      }
    };
    clear(rosterArea, form);
  };

  await load("");
  return () => chart.chart.remove();
}

// ---- reports ----

interface Timing { count: number; mean: number; median: number; max: number }
interface ComplaintReport {
  month: string;
  received: number;
  by_category: Record<string, Record<string, number>>;
  acknowledge_business_hours: Timing;
  resolve_days: Timing;
  closed_within_deadline: number;
  open: { ticket_id: number; category: string; status: string; received_ms: number; age_days: number; overdue: boolean }[];
}
interface Attainment { met: number; breached: number; pending: number; attainment_pct: number | null }
interface SlaRow { priority: string; category: string; tickets: number; first_response: Attainment; resolution: Attainment }

const OUTCOMES = ["open", "resolved", "rejected"];

function complaintReportView(r: ComplaintReport, truncated: boolean): Child[] {
  const cats = Object.keys(r.by_category ?? {});
  const count = (c: string, o: string) => n(r.by_category[c]?.[o]);
  const closed = cats.reduce((a, c) => a + count(c, "resolved") + count(c, "rejected"), 0);
  const timingRow = (name: string, unit: string, x: Timing) => [name, n(x?.count), `${fixed(x?.mean)} ${unit}`, `${fixed(x?.median)} ${unit}`, `${fixed(x?.max)} ${unit}`];
  return [
    truncated && h("p", { class: "form-error", role: "alert" }, "The month has more complaints than one report reads: the figures are partial."),
    h("dl", { class: "kv" },
      h("dt", {}, "Complaints received"), h("dd", { "data-testid": "complaints-received" }, String(n(r.received))),
      h("dt", {}, "Closed within the deadline"), h("dd", {}, `${n(r.closed_within_deadline)} of ${closed} closed`),
      h("dt", {}, "Open at the end of the month"), h("dd", {}, String(r.open?.length ?? 0))),
    h("h3", {}, "By category and outcome"),
    table(["Category", ...OUTCOMES.map((o) => o[0].toUpperCase() + o.slice(1)), "Total"], [
      ...cats.map((c) => [c, ...OUTCOMES.map((o) => String(count(c, o))), String(OUTCOMES.reduce((a, o) => a + count(c, o), 0))]),
      ...(cats.length ? [[h("b", {}, "All"), ...OUTCOMES.map((o) => h("b", {}, String(cats.reduce((a, c) => a + count(c, o), 0)))), h("b", {}, String(n(r.received)))]] : []),
    ], "Complaints by category and outcome"),
    h("h3", {}, "Time to acknowledge and to resolve"),
    table(["Measure", "Complaints", "Mean", "Median", "Longest"], [
      timingRow("Acknowledge (business hours)", "h", r.acknowledge_business_hours),
      timingRow("Resolve or reject (days)", "d", r.resolve_days),
    ], "Complaint handling times"),
    h("h3", {}, "Open complaints"),
    table(["Ticket", "Category", "Status", "Received", "Age (days)", "Overdue"], (r.open ?? []).map((o) => [
      h("a", { href: `#/support/${o.ticket_id}` }, `#${o.ticket_id}`), o.category, o.status, dateTime(o.received_ms), String(o.age_days),
      o.overdue ? h("span", { class: "down" }, "overdue") : "no"]), "Open complaints"),
  ];
}

function slaReportView(rows: SlaRow[], truncated: boolean): Child[] {
  const a = (x: Attainment) => [String(n(x?.met)), String(n(x?.breached)), String(n(x?.pending)), x?.attainment_pct === null || x?.attainment_pct === undefined ? "—" : `${fixed(x.attainment_pct)} %`];
  return [
    truncated && h("p", { class: "form-error", role: "alert" }, "The month has more tickets than one report reads: the figures are partial."),
    table(["Priority", "Category", "Tickets", "First response met", "breached", "pending", "attainment", "Resolution met", "breached", "pending", "attainment"],
      rows.map((r) => {
        const all = (x: string) => (x === "*" ? h("b", {}, "All") : x);
        return [all(r.priority), all(r.category), String(n(r.tickets)), ...a(r.first_response), ...a(r.resolution)];
      }), "SLA attainment"),
  ];
}

/** This month in Bangkok, "YYYY-MM". */
function thisMonth(): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Bangkok", year: "numeric", month: "2-digit" }).formatToParts(new Date());
  return `${parts.find((p) => p.type === "year")!.value}-${parts.find((p) => p.type === "month")!.value}`;
}

export async function reportsPage(view: HTMLElement, params: string[]) {
  const month = field("Month", h("input", { type: "month", value: /^\d{4}-\d{2}$/.test(params[0] ?? "") ? params[0] : thisMonth(), max: thisMonth() }));
  const form = h("form", { novalidate: true, class: "filters no-print", "aria-label": "Report month" }, month.wrap, h("button", { type: "submit" }, "Show"));
  const complaints = h("section", { class: "report complaints-report", "aria-label": "Complaints report" });
  const sla = h("section", { class: "report sla-report", "aria-label": "SLA attainment report" });
  view.append(h("h1", { class: "no-print" }, "Support reports"), form, complaints, sla);

  const load = async () => {
    const m = month.input.value;
    if (!/^\d{4}-\d{2}$/.test(m)) { month.error("Choose a month."); return; }
    month.error(null);
    const base = "/web/api/console/support/reports";
    const q = `month=${encodeURIComponent(m)}`;
    const printComplaints = () => {
      document.body.dataset.print = "complaints";
      window.print();
      delete document.body.dataset.print;
    };
    const generated = h("p", { class: "muted small" });
    clear(complaints, h("div", { class: "row-between" }, h("h2", {}, `Complaints report — ${m}`),
      h("div", { class: "actions no-print" }, h("a", { href: `${base}/complaints?${q}&format=csv`, download: `complaints-${m}.csv`, class: "button" }, "Download CSV"),
        h("button", { type: "button", onclick: printComplaints }, "Print"))),
      generated, h("p", { class: "muted" }, "Loading…"));
    clear(sla, h("div", { class: "row-between" }, h("h2", {}, `SLA attainment — ${m}`),
      h("div", { class: "actions no-print" }, h("a", { href: `${base}/sla?${q}&format=csv`, download: `sla-${m}.csv`, class: "button" }, "Download CSV"))),
      h("p", { class: "muted small" }, "First response and resolution clocks of the tickets opened in the month, by priority and category."), h("p", { class: "muted" }, "Loading…"));
    const fill = async (box: HTMLElement, path: string, render: (r: any) => Child[]) => {
      try {
        const r = await get<any>(`${base}/${path}?${q}&format=json`);
        box.lastElementChild!.replaceWith(h("div", { class: "report-body" }, render(r)));
      } catch (e) {
        if (e instanceof ApiError && e.field === "month") month.error(e.message);
        box.lastElementChild!.replaceWith(h("div", { class: "form-error", role: "alert" }, message(e)));
      }
    };
    await Promise.all([
      fill(complaints, "complaints", (r) => {
        generated.textContent = `talat · complaints received in ${m} and complaints open at its end · generated ${dateTime(r.generated_ms ?? Date.now())}`;
        return complaintReportView(r.report ?? r, !!r.truncated);
      }),
      fill(sla, "sla", (r) => slaReportView(r.rows ?? [], !!r.truncated)),
    ]);
  };
  form.onsubmit = (e) => { e.preventDefault(); load(); };
  await load();
}
