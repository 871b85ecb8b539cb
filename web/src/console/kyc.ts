// Onboarding in the console (docs/web-api.md, "Onboarding and KYC"): the KYC queue (#/kyc) with
// its filters, SLA ageing and assignment, one application (#/kyc/<id>): the customer's data,
// document previews, identity evidence, risk, screening hits and events, and the decisions
// (approve with four eyes for high risk, reject, request information); sanctions screening
// (#/screening): hits to clear or confirm and the lists; admission (#/admission): the capacity
// model's inputs, limits and decision, charted. The server decides every rule and says why.
import { h, clear, field, table, every, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime, num } from "../lib/i18n";
import { barChart } from "../lib/chart";
import { ageText, fieldFor, fileBase64, type Application } from "../lib/kyc";
import { showRefusal, plain, assigneeText, assigneeId } from "../lib/support";
import { staffMe, type StaffMe } from "./support";
import { can } from "./access";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const words = (s: unknown) => String(s ?? "").replace(/_/g, " ");
const reasonField = (label = "Reason") => field(label, h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));

/** Any JSON value as readable text: scalars as they are, lists joined, objects as k: v. */
function show(v: unknown): Child {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" || typeof v === "string") return String(v);
  if (Array.isArray(v)) return v.every((x) => typeof x !== "object" || x === null) ? v.map(plain).join(", ") : h("ul", { class: "plain" }, v.map((x) => h("li", {}, show(x))));
  return kv(v as Record<string, unknown>);
}

function kv(o: Record<string, unknown> | null | undefined, skip: string[] = []): HTMLElement {
  const entries = Object.entries(o ?? {}).filter(([k]) => !skip.includes(k));
  return h("dl", { class: "kv" }, entries.length ? entries.map(([k, v]) => [h("dt", {}, words(k)), h("dd", {}, /_ms$/.test(k) && typeof v === "number" ? dateTime(v) : show(v))]) : [h("dt", {}, "—"), h("dd", {}, "")]);
}

export function slaBadge(state: string | undefined, ageMs?: number) {
  const s = state ?? "ok";
  const text = `${s === "ok" ? "on time" : words(s)}${ageMs !== undefined ? `, ${ageText(ageMs)}` : ""}`;
  return h("span", { class: `clock sla-${s} ${s === "ok" ? "running" : s}`, "data-testid": "sla" }, text);
}

/** The customer's data fields as a reviewer reads them, in this order; others follow, worded. */
const DATA_LABELS: [string, string][] = [
  ["id_type", "ID document type"], ["id_number", "ID number"], ["laser_code", "Laser code (back of Thai ID)"],
  ["passport_country", "Passport country"], ["passport_expiry", "Passport expiry"],
  ["first_name_th", "First name (Thai)"], ["last_name_th", "Last name (Thai)"], ["first_name_en", "First name (English)"], ["last_name_en", "Last name (English)"],
  ["dob", "Date of birth"], ["nationality", "Nationality"], ["address", "Address"], ["occupation", "Occupation"],
  ["source_of_funds", "Source of funds"], ["expected_monthly_thb", "Expected monthly volume (THB)"], ["fatca_us_person", "US person (FATCA)"],
  ["id_photo_document", "ID photo (document #)"], ["selfie_document", "Selfie (document #)"], ["documents", "Documents (#)"], ["note", "Customer's note"],
];
const ID_TYPES: Record<string, string> = { thai_id: "Thai ID card", passport: "Passport" };

function labelled(data: Record<string, unknown> | null | undefined): HTMLElement {
  const d = data ?? {};
  const known = DATA_LABELS.filter(([k]) => k in d);
  const rest = Object.keys(d).filter((k) => !DATA_LABELS.some(([x]) => x === k));
  const value = (k: string, v: unknown) => (k === "id_type" && typeof v === "string" ? ID_TYPES[v] ?? words(v) : k === "source_of_funds" && typeof v === "string" ? words(v) : show(v));
  const rows = [...known.map(([k, label]) => [label, k] as const), ...rest.map((k) => [words(k).replace(/^./, (c) => c.toUpperCase()), k] as const)];
  return h("dl", { class: "kv", "aria-label": "Customer's data" }, rows.length ? rows.map(([label, k]) => [h("dt", {}, label), h("dd", {}, value(k, d[k]))]) : [h("dt", {}, "—"), h("dd", {}, "")]);
}

/** The knowledge test: the latest attempt's score, pass or fail and when, and the current version's standing. */
function knowledgeView(k: any): HTMLElement {
  if (!k) return h("p", { class: "muted", "data-testid": "knowledge-result" }, "Not taken yet.");
  return h("dl", { class: "kv", "data-testid": "knowledge-result" },
    h("dt", {}, "Result"), h("dd", {}, h("span", { class: `badge ${k.last.passed ? "up" : "down"}` }, k.last.passed ? "pass" : "fail"), ` ${k.last.score_pct}%`),
    h("dt", {}, "Taken"), h("dd", {}, dateTime(k.last.ts_ms)),
    h("dt", {}, "Test version"), h("dd", {}, `${k.last.version}${k.last.version === k.current_version ? " (current)" : ` (current is ${k.current_version})`}`),
    h("dt", {}, "Current version passed"), h("dd", {}, k.passed_current ? "yes" : "no"),
    h("dt", {}, "Attempts"), h("dd", {}, String(k.attempts)));
}

const riskBadge = (rating: unknown) => (rating ? h("span", { class: `badge risk risk-${String(rating).toLowerCase()}` }, words(rating)) : "—");

function assigneeLabel(a: unknown, me: StaffMe | null): string {
  if (a === null || a === undefined) return "";
  if (me && assigneeId(a) === me.staff.id) return `you (${me.staff.email})`;
  const t = assigneeText(a);
  return /^\d+$/.test(t) ? `staff #${t}` : t;
}

// ---- the queue ----

const filters = { status: "", mine: false };
const APP_STATUSES = ["submitted", "more_info", "approved", "rejected"];

export async function kycPage(view: HTMLElement, params: string[]) {
  if (params[0]) return applicationPage(view, params[0]);
  view.append(h("h1", {}, "KYC applications"));
  const me = await staffMe().catch(() => null);
  const reviews = can("kyc.decide");
  const counts = h("div", { class: "tiles", "aria-label": "Application counts" });
  const status = field("Status", h("select", {}, h("option", { value: "" }, "to decide (default)"), APP_STATUSES.map((s) => h("option", { value: s, selected: filters.status === s }, words(s))),
    h("option", { value: "all", selected: filters.status === "all" }, "all")));
  const mine = h("input", { type: "checkbox", checked: filters.mine });
  const err = errorBox(), out = h("div", { role: "status", "aria-live": "polite" });
  const list = h("div");
  const form = h("form", { novalidate: true, role: "search", class: "filters", "aria-label": "Application filters" }, status.wrap, h("label", { class: "check" }, mine, " assigned to me"), h("button", { type: "submit" }, "Filter"));
  view.append(counts, form, out, err, list);

  const assign = async (a: Application, staffId: number | null) => {
    err.textContent = "";
    try { await post(`/web/api/console/kyc/applications/${encodeURIComponent(String(a.id))}/assign`, { staff_id: staffId }); out.className = "ok"; out.textContent = staffId === null ? `#${a.id} unassigned.` : `#${a.id} assigned to you.`; await load(); } catch (e) { err.textContent = message(e); }
  };

  const load = async () => {
    const p = new URLSearchParams();
    if (filters.status) p.set("status", filters.status);
    if (filters.mine) p.set("assignee", "me");
    try {
      const r = await get<{ applications: Application[]; counts: Record<string, unknown> }>(`/web/api/console/kyc/applications?${p}`);
      err.textContent = "";
      const c = r.counts ?? {};
      clear(counts, Object.entries(c).map(([k, v]) => h("div", { class: `tile ${/breach/.test(k) && Number(v) ? "bad" : /risk/.test(k) && Number(v) ? "warn" : ""}` },
        h("div", { class: "muted small" }, words(k)), h("div", { class: "big" }, typeof v === "object" ? JSON.stringify(v) : String(v ?? 0)))));
      clear(list, h("div", { class: "text-table" }, table(["#", "Customer", "Level", "Status", "Age / SLA", "Identity", "Screening", "Risk", "Assignee", ""],
        r.applications.map((a) => {
          const mineNow = me && assigneeId(a.assignee) === me.staff.id;
          return [h("a", { href: `#/kyc/${a.id}` }, String(a.id)), h("a", { href: `#/kyc/${a.id}` }, a.customer_email ?? ""), String(a.level), words(a.status),
            slaBadge(a.sla_state, a.age_ms), a.identity ? `${a.identity.outcome ?? ""}` : "—", h("span", { class: `screening ${a.screening ?? ""}` }, words(a.screening) || "—"),
            riskBadge(a.risk?.rating), assigneeLabel(a.assignee, me) || "—",
            reviews ? (mineNow ? h("button", { type: "button", class: "small", "aria-label": `Unassign ${a.id}`, onclick: () => assign(a, null) }, "Unassign")
              : me ? h("button", { type: "button", class: "small", "aria-label": `Assign ${a.id} to me`, onclick: () => assign(a, me.staff.id) }, "Assign to me") : null) : null];
        }), "Applications")));
    } catch (e) {
      if (e instanceof ApiError && e.field === "status") { status.error(e.message); return; }
      err.textContent = message(e);
    }
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    status.error(null);
    Object.assign(filters, { status: status.input.value, mine: mine.checked });
    load();
  };
  return every(15000, load);
}

// ---- one application ----

function documentView(d: any): HTMLElement {
  const url = `/web/api/console/kyc/documents/${encodeURIComponent(String(d.id))}`;
  const meta = `${words(d.purpose)} · ${d.content_type ?? ""}${d.width && d.height ? ` · ${d.width}×${d.height}` : ""}${d.size ? ` · ${Math.round(d.size / 1024)} KB` : ""}`;
  const image = String(d.content_type ?? "").startsWith("image/");
  return h("figure", { class: "doc" },
    image ? h("a", { href: url, target: "_blank", rel: "noopener" }, h("img", { src: url, alt: `${words(d.purpose)} (document ${d.id})`, loading: "lazy" }))
      : h("a", { href: url, target: "_blank", rel: "noopener" }, `Open document ${d.id}`),
    h("figcaption", { class: "muted small" }, meta));
}

async function applicationPage(view: HTMLElement, id: string) {
  const path = `/web/api/console/kyc/applications/${encodeURIComponent(id)}`;
  const me = await staffMe().catch(() => null);
  const reviews = can("kyc.decide");
  const out = h("div", { role: "status", "aria-live": "polite", "data-testid": "kyc-outcome" });
  const head = h("section"), main = h("div", { class: "ticket-main" }), side = h("aside", { class: "ticket-side" });
  view.append(h("p", {}, h("a", { href: "#/kyc" }, "← KYC queue")), head, out, h("div", { class: "ticket-grid" }, main, side));
  let awaiting = false;
  const done = (text: string) => { out.className = "ok"; out.textContent = text; };
  const fail = (text: string) => { out.className = "form-error"; out.textContent = text; };

  const load = async () => {
    const r = await get<{ application: any; customer: any; knowledge: any }>(path);
    const a = r.application ?? {}, c = r.customer ?? {};
    // Four eyes: a first approval of a high-risk customer leaves `first_approver` set while it is still open.
    awaiting = (awaiting || !!a.awaiting_second_reviewer || (a.first_approver !== null && a.first_approver !== undefined)) && a.status === "submitted";
    clear(head, h("h1", {}, `KYC application #${a.id} — ${c.email ?? a.customer_email ?? ""}`),
      h("div", { class: "ticket-meta" }, h("span", { class: `badge status-${a.status}`, "data-testid": "application-status" }, words(a.status)), ` level ${a.level} `,
        slaBadge(a.sla_state, a.age_ms), " ", riskBadge(a.risk?.rating),
        awaiting ? h("span", { class: "badge awaiting", "data-testid": "awaiting-second" }, "awaiting second reviewer") : null));
    const hits: any[] = a.screening_hits ?? a.hits ?? (Array.isArray(a.screening) ? a.screening : []) ?? [];
    const docs: any[] = a.documents ?? [];
    const evidence = a.identity?.evidence ?? a.identity_evidence ?? a.evidence ?? null;
    const rf = a.risk_factors ?? {};
    const factors: any[] = a.risk?.factors ?? (Array.isArray(rf) ? rf : rf.factors) ?? [];
    clear(main,
      h("h2", {}, "Customer's data"), labelled(a.data),
      h("h2", {}, "Knowledge test"), knowledgeView(r.knowledge),
      h("h2", {}, "Documents"), docs.length ? h("div", { class: "docs" }, docs.map(documentView)) : h("p", { class: "muted" }, "No documents."),
      h("h2", {}, "Identity check"), kv({ provider: a.identity?.provider, outcome: a.identity?.outcome }), evidence ? h("div", { "aria-label": "Identity evidence" }, show(evidence)) : null,
      h("h2", {}, "Risk"), a.risk ? kv({ rating: a.risk.rating, points: a.risk.points ?? rf.points, next_review_ms: a.risk.next_review_ms ?? rf.next_review_ms, next_review_on: rf.next_review_on }) : h("p", { class: "muted" }, "Not rated yet."),
      factors.length ? table(["Factor", "Points", "Why"], factors.map((f) => [words(f.code ?? f.name), String(f.points ?? ""), f.reason ?? f.detail ?? ""]), "Risk factors") : null,
      h("h2", {}, `Screening: ${words(typeof a.screening === "string" ? a.screening : "") || "—"}`),
      hits.length ? h("div", { class: "text-table" }, table(["#", "List", "Entry", "Score", "Matched name", "Reasons", "Status"], hits.map((x) => [String(x.id ?? ""), x.list ?? "", `${x.entity_id ?? ""} v${x.entity_version ?? x.version ?? ""}`,
        String(x.score ?? ""), x.matched_name ?? "", show(x.reasons), words(x.status)]), "Screening hits")) : h("p", { class: "muted" }, "No hits."),
      hits.some((x) => x.status === "open") ? h("p", {}, h("a", { href: "#/screening" }, "Decide the open hits on the Screening page")) : null,
      h("h2", {}, "Events"), h("div", { class: "text-table" }, table(["Time", "Actor", "Event", "Detail"], (a.events ?? []).map((ev: any) => [ev.ts_ms ? dateTime(ev.ts_ms) : "", plain(ev.actor ?? ev.staff_email), words(ev.kind ?? ev.event), plain(ev.detail ?? ev.reason)]), "Events")));
    clear(side, h("h2", {}, "Application"), kv({ status: words(a.status), submitted_ms: a.submitted_ms, decided_ms: a.decided_ms, decision_reason: a.decision_reason, requested_info: a.requested_info, assignee: assigneeLabel(a.assignee, me) || "nobody" }),
      a.first_approver !== null && a.first_approver !== undefined ? h("p", { class: "muted" }, `First approval by ${assigneeLabel(a.first_approver, me)}: a different reviewer must approve.`) : null,
      h("h2", {}, "Customer"), kv({ email: c.email, user_id: c.user_id, kyc_level: c.kyc_level, email_verified: c.email_verified, locked: c.locked }),
      reviews ? actions(a) : null);
  };

  const actions = (a: any) => {
    const open = a.status === "submitted" || a.status === "more_info";
    const mineNow = me && assigneeId(a.assignee) === me.staff.id;
    const aErr = errorBox();
    const assign = h("div", { class: "actions" }, me && !mineNow ? h("button", { type: "button", onclick: () => act("assign", { staff_id: me.staff.id }, "Assigned to you.") }, "Assign to me") : null,
      a.assignee ? h("button", { type: "button", onclick: () => act("assign", { staff_id: null }, "Unassigned.") }, "Unassign") : null, aErr);
    const act = async (what: string, body: Record<string, unknown>, ok: string) => {
      aErr.textContent = "";
      try { await post(`${path}/${what}`, body); done(ok); await load(); } catch (e) { aErr.textContent = message(e); }
    };
    if (!open) return h("div", {}, assign, h("p", { class: "muted" }, `Decided: ${words(a.status)}.`));
    const decision = (label: string, what: string, cls = "") => {
      const reason = reasonField(what === "request-info" ? "What is needed (mailed to the customer)" : "Reason");
      const err = errorBox();
      const form = h("form", { novalidate: true, class: "inline-form", "aria-label": label }, h("h2", {}, label), reason.wrap, h("button", { type: "submit", class: cls }, label), err);
      form.onsubmit = async (e) => {
        e.preventDefault();
        err.textContent = "";
        const r = reason.input.value.trim();
        if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
        reason.error(null);
        try {
          const res = await post<{ application: any; awaiting_second_reviewer?: boolean }>(`${path}/${what}`, { reason: r });
          if (what === "approve" && res.awaiting_second_reviewer) { awaiting = true; done("Approved once: a high-risk customer needs a second, different reviewer."); }
          else done(what === "approve" ? "Approved." : what === "reject" ? "Rejected." : "Information requested: the customer is mailed.");
          await load();
        } catch (e) {
          const f = fieldFor(e, { reason });
          if (f) f.error(message(e));
          else { err.textContent = message(e); if (e instanceof ApiError && e.status === 409) fail(message(e)); }
        }
      };
      return form;
    };
    return h("div", {}, assign, decision("Approve", "approve"), decision("Request information", "request-info"), decision("Reject", "reject", "danger"));
  };

  try { await load(); } catch (e) { clear(head, h("div", { class: "form-error", role: "alert" }, message(e))); }
}

// ---- screening ----

export async function screeningPage(view: HTMLElement) {
  view.append(h("h1", {}, "Sanctions screening"));
  const me = await staffMe().catch(() => null);
  const decides = can("kyc.screening.decide");
  const out = h("div", { role: "status", "aria-live": "polite", "data-testid": "screening-outcome" });
  const openOnly = h("input", { type: "checkbox", checked: true });
  const hitsErr = errorBox(), hitsBox = h("div"), listsBox = h("div");
  const done = (text: string) => { out.className = "ok"; out.textContent = text; };
  view.append(out, h("h2", {}, "Hits"), h("label", { class: "check" }, openOnly, " open only"), hitsErr, hitsBox);

  const loadHits = async () => {
    try {
      const r = await get<{ hits: any[] }>(`/web/api/console/screening/hits${openOnly.checked ? "?status=open" : ""}`);
      hitsErr.textContent = "";
      clear(hitsBox, h("div", { class: "text-table" }, table(["#", "Customer", "List", "Entry", "Score", "Matched name", "Reasons", "Status", "Found", ...(decides ? ["Decision"] : [])],
        r.hits.map((x) => {
          const row: Child[] = [String(x.id), x.customer_email ?? `account ${x.account_id}`, x.list, `${x.entity_id} v${x.entity_version}`, String(x.score), x.matched_name, show(x.reasons),
            h("span", { class: `badge hit-${x.status}` }, words(x.status)), x.created_ms ? dateTime(x.created_ms) : ""];
          if (decides) row.push(x.status === "open" ? hitDecision(x) : "—");
          return row;
        }), "Screening hits")));
    } catch (e) { hitsErr.textContent = message(e); }
  };
  const hitDecision = (x: any) => {
    const reason = field(`Reason for hit ${x.id}`, h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
    const err = errorBox();
    const decide = async (what: "clear" | "confirm") => {
      err.textContent = "";
      const r = reason.input.value.trim();
      if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
      reason.error(null);
      try {
        await post(`/web/api/console/screening/hits/${encodeURIComponent(String(x.id))}/${what}`, { reason: r });
        done(what === "clear" ? `Hit #${x.id} cleared as a false positive.` : `Hit #${x.id} confirmed: the customer is locked and the application rejected.`);
        await loadHits();
      } catch (e) { const f = fieldFor(e, { reason }); if (f) f.error(message(e)); else err.textContent = message(e); }
    };
    return h("div", { class: "hit-decision" }, reason.wrap, h("div", { class: "actions" },
      h("button", { type: "button", class: "small", "aria-label": `Clear hit ${x.id}`, onclick: () => decide("clear") }, "Clear (false positive)"),
      h("button", { type: "button", class: "small danger", "aria-label": `Confirm hit ${x.id}`, onclick: () => decide("confirm") }, "Confirm (true match)")), err);
  };
  openOnly.addEventListener("change", loadHits);

  const loadLists = async () => {
    try {
      const r = await get<{ lists: any[] }>("/web/api/console/screening/lists");
      clear(listsBox, h("div", { class: "text-table" }, table(["#", "Name", "Format", "Entries", "Loaded", "Active"],
        r.lists.map((l) => [String(l.id), l.name, l.format, num(l.entry_count), l.loaded_ms ? dateTime(l.loaded_ms) : "", l.active ? "yes" : "no"]), "Screening lists")));
    } catch (e) { clear(listsBox, h("div", { class: "form-error", role: "alert" }, message(e))); }
  };

  if (decides) {
    const name = field("List name", h("input", { type: "text", autocomplete: "off", placeholder: "un-consolidated" }));
    const format = field("Format", h("select", {}, h("option", { value: "un_xml" }, "UN consolidated list (XML)"), h("option", { value: "csv" }, "CSV"), h("option", { value: "ofac_sdn_csv" }, "OFAC SDN (SDN.CSV)")));
    const file = field("List file", h("input", { type: "file", accept: ".xml,.csv,text/xml,application/xml,text/csv" }));
    const reason = reasonField();
    const err = errorBox();
    const submit = h("button", { type: "submit" }, "Load the list and re-screen");
    const form = h("form", { novalidate: true, "aria-label": "Load a list" }, h("h2", {}, "Load a list"),
      h("p", { class: "muted small" }, "Replaces the active list of that name and re-screens every customer."), name.wrap, format.wrap, file.wrap, reason.wrap, submit, err);
    (file.input as HTMLInputElement).addEventListener("change", () => {
      const f = (file.input as HTMLInputElement).files?.[0];
      file.error(null);
      if (f && /\.csv$/i.test(f.name)) format.input.value = "csv";
      else if (f && /\.xml$/i.test(f.name)) format.input.value = "un_xml";
    });
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      const f = (file.input as HTMLInputElement).files?.[0];
      const n = name.input.value.trim(), r = reason.input.value.trim();
      name.error(n ? null : "Required.");
      file.error(!f ? "Choose the list file." : f.size > 6 * 1024 * 1024 ? "The file is larger than 6 MB: the server takes at most 8 MB of base64." : null);
      reason.error(r ? null : "Give a reason: it goes into the audit log.");
      if (!n || !f || f.size > 6 * 1024 * 1024 || !r) return;
      submit.disabled = true;
      try {
        const res = await post<{ list: any; rescreened: number; new_hits: number | any[] }>("/web/api/console/screening/lists", { name: n, format: format.input.value, data_base64: await fileBase64(f), reason: r });
        const newHits = Array.isArray(res.new_hits) ? res.new_hits.length : res.new_hits;
        done(`Loaded “${res.list?.name ?? n}”: ${res.list?.entry_count ?? "?"} entries; re-screened ${res.rescreened} customers; ${newHits} new hits.`);
        await Promise.all([loadLists(), loadHits()]);
      } catch (e) {
        showRefusal(e, { name, format, data_base64: file, file, reason }, err);
      } finally { submit.disabled = false; }
    };
    view.append(form);
  }
  view.append(h("h2", {}, "Lists"), listsBox);
  await Promise.all([loadHits(), loadLists()]);
}

// ---- admission ----

export async function admissionPage(view: HTMLElement) {
  view.append(h("h1", {}, "Admission"), h("p", { class: "muted" }, "How many more customers the exchange can take now: each limit's capacity in customers against those it serves; the tightest one binds."));
  const decision = h("section", { class: "tiles", "aria-label": "Decision" });
  const chartEl = h("div", { class: "chart admission-chart", role: "img", "aria-label": "Capacity and used customers per limit", "data-testid": "admission-chart" });
  const limits = h("div"), inputs = h("section", { class: "admission-inputs" });
  const err = errorBox();
  view.append(err, decision, h("section", { class: "panel" }, h("h2", {}, "Used vs capacity, per limit (% of its capacity)"), chartEl), limits, h("h2", {}, "Inputs"), inputs);
  const chart = barChart(chartEl, [{ title: "capacity %", color: "#30363d" }, { title: "used %", color: "#4fc3f7" }]);
  const load = async () => {
    try {
      const r = await get<any>("/web/api/console/onboarding/admission");
      err.textContent = "";
      const d = r.decision ?? {}, w = r.waitlist ?? {};
      // The contract names `headroom_customers` and `capacity_customers`; the server also says `headroom`, `capacity`.
      const headroom = d.headroom_customers ?? d.headroom;
      const tile = (label: string, value: Child, cls = "") => h("div", { class: `tile ${cls}` }, h("div", { class: "muted small" }, label), h("div", { class: "big" }, value));
      clear(decision, tile("Decision", h("span", { "data-testid": "admission-decision" }, d.admit ? "admit" : "waitlist"), d.admit ? "" : "warn"),
        tile("Binding limit", words(d.binding) || "—"), tile("Headroom (customers)", num(headroom)),
        d.reviews_per_day !== undefined ? tile("Reviews per day", num(Math.round(Number(d.reviews_per_day) * 10) / 10)) : null,
        d.enabled === false ? tile("Admission control", "off", "warn") : null,
        tile("Waitlist", h("span", { "data-testid": "waitlist-length" }, num(w.length ?? 0)), w.length ? "warn" : ""), w.oldest_ms ? tile("Oldest waiting since", dateTime(w.oldest_ms)) : null);
      const ls: any[] = r.limits ?? d.limits ?? [];
      const cap = (l: any) => l.capacity_customers ?? l.capacity;
      clear(limits, h("div", { class: "text-table" }, table(["Limit", "Capacity", "Used", "Headroom", "How"], ls.map((l) => [h("span", { class: l.name === d.binding ? "binding" : "" }, words(l.name)), num(cap(l)), num(l.used), num(l.headroom), h("span", { class: "muted small" }, l.detail ?? "")]), "Limits")));
      // Limits differ by orders of magnitude (engine vs reviewers): each is charted as a share of its own capacity.
      chart.set(ls.map((l) => {
        const c = Number(cap(l)) || 0, u = Number(l.used) || 0;
        return { label: `${words(l.name)} (${num(u)} of ${num(c)})`, values: [100, c > 0 ? Math.round((u / c) * 1000) / 10 : u > 0 ? 100 : 0] };
      }));
      // Inputs: by model part (engine, support, kyc) or flat; the settings too when the server sends them.
      const inp = r.inputs ?? {};
      const grouped = Object.values(inp).every((v) => v && typeof v === "object" && !Array.isArray(v));
      const panels: [string, unknown][] = grouped ? Object.entries(inp) : [["inputs", inp]];
      if (r.config) panels.push(["settings", r.config]);
      clear(inputs, h("div", { class: "dash-grid" }, panels.map(([k, v]) => h("div", { class: "panel", "aria-label": `Admission ${words(k)}` }, h("h3", {}, words(k)), show(v)))));
    } catch (e) { err.textContent = message(e); }
  };
  const stop = every(15000, load);
  return () => { stop(); chart.chart.remove(); };
}
