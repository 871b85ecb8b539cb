// Console pages: markets (modes, fees, band, maintenance), users (search, every account: web and
// API-only) and the audit log. Every change asks for a reason; a button shows only when the
// staff member's role may use it (`can`), and the server checks the role anyway.
import { h, clear, field, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { num, dateTime } from "../lib/i18n";
import { can } from "./access";
import { userPicture } from "./user";

const MODES: [string, string][] = [["halted", "Halt"], ["cancel_only", "Cancel-only"], ["post_only", "Post-only"], ["open", "Resume"]];

export function reasonField() {
  return field("Reason", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
}

/** Runs a change: checks the reason, shows the outcome in `out`. */
export async function change(reason: ReturnType<typeof reasonField>, out: HTMLElement, path: string, body: Record<string, unknown>, done: () => void) {
  out.textContent = "";
  const r = reason.input.value.trim();
  if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
  reason.error(null);
  try {
    await post(path, { ...body, reason: r });
    out.textContent = "Done.";
    out.className = "ok";
    done();
  } catch (e) {
    out.className = "form-error";
    out.textContent = e instanceof ApiError ? e.message : String(e);
  }
}

const isUint = (s: string) => /^\d+$/.test(s.trim());

export async function marketsPage(view: HTMLElement) {
  view.append(h("h1", {}, "Markets"));
  const [modes, fees, band, maintenance] = [can("market.mode"), can("market.fees"), can("market.band"), can("maintenance")];
  const acts = modes || fees || band || maintenance;
  const reason = reasonField();
  const out = h("div", { role: "status", "aria-live": "polite" });
  const box = h("div");
  view.append(acts ? reason.wrap : h("p", { class: "muted" }, "Your role reads the markets; it changes none of them."), out, box);
  const load = async () => {
    const r = await get<{ maintenance: boolean; markets: any[] }>("/web/api/console/markets");
    const maint = maintenance && h("button", { type: "button", class: r.maintenance ? "" : "danger", onclick: () => change(reason, out, "/web/api/console/maintenance", { on: !r.maintenance }, load) },
      r.maintenance ? "End maintenance" : "Start maintenance");
    const headers = ["Symbol", "Mode", "Maker fee (ppm)", "Taker fee (ppm)", "Band (bps)", "Last price"];
    if (modes) headers.push("Mode actions");
    if (fees || band) headers.push(fees && band ? "Fees and band" : fees ? "Fees" : "Band");
    clear(box, h("p", {}, `Maintenance: ${r.maintenance ? "ON" : "off"} `, maint),
      table(headers, r.markets.map((m) => {
        const row: any[] = [m.symbol, h("span", { class: `mode ${m.mode}` }, m.mode), m.maker_fee_ppm, m.taker_fee_ppm, m.band_bps, num(m.last_price)];
        if (modes) row.push(modeActions(m, reason, out, load));
        if (fees || band) row.push(feeBandActions(m, reason, out, load, fees, band));
        return row;
      }), "Markets"));
  };
  await load();
}

function modeActions(m: any, reason: ReturnType<typeof reasonField>, out: HTMLElement, load: () => void) {
  return h("div", { class: "actions" }, MODES.filter(([mode]) => mode !== m.mode).map(([mode, label]) =>
    h("button", { type: "button", class: "small", "aria-label": `${label} ${m.symbol}`, onclick: () => change(reason, out, `/web/api/console/markets/${m.symbol}/mode`, { mode }, load) }, label)));
}

function feeBandActions(m: any, reason: ReturnType<typeof reasonField>, out: HTMLElement, load: () => void, fees: boolean, bands: boolean) {
  const maker = h("input", { type: "text", value: m.maker_fee_ppm, "aria-label": `Maker fee ppm ${m.symbol}`, size: 6 });
  const taker = h("input", { type: "text", value: m.taker_fee_ppm, "aria-label": `Taker fee ppm ${m.symbol}`, size: 6 });
  const band = h("input", { type: "text", value: m.band_bps, "aria-label": `Band bps ${m.symbol}`, size: 6 });
  const feeErr = h("div", { class: "field-error" });
  const bad = (msg: string) => { feeErr.textContent = msg; feeErr.setAttribute("role", "alert"); };
  return h("div", { class: "actions" },
    fees && [maker, taker, h("button", { type: "button", class: "small", "aria-label": `Set fees ${m.symbol}`, onclick: () => {
      feeErr.textContent = "";
      if (!isUint(maker.value) || !isUint(taker.value)) return bad("Fees are whole numbers of ppm (2500 = 0.25%).");
      change(reason, out, `/web/api/console/markets/${m.symbol}/fees`, { maker_fee_ppm: Number(maker.value), taker_fee_ppm: Number(taker.value) }, load);
    } }, "Set fees")],
    bands && [band, h("button", { type: "button", class: "small", "aria-label": `Set band ${m.symbol}`, onclick: () => {
      feeErr.textContent = "";
      if (!isUint(band.value)) return bad("The band is a whole number of basis points.");
      change(reason, out, `/web/api/console/markets/${m.symbol}/band`, { band_bps: Number(band.value) }, load);
    } }, "Set band")], feeErr);
}

export async function usersPage(view: HTMLElement, params: string[] = []) {
  if (params[0]) return userPicture(view, params[0], { reasonField, change });
  view.append(h("h1", {}, "Users"));
  const q = field("Search (email or user id) — or the start of an API key", h("input", { type: "search" }));
  const list = h("div");
  const err = h("div", { class: "form-error", role: "alert" });
  const form = h("form", { novalidate: true, role: "search" }, q.wrap, h("button", { type: "submit" }, "Search"), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      const r = await get<{ users: any[] }>(`/web/api/console/users?q=${encodeURIComponent(q.input.value.trim())}`);
      clear(list, r.users.length ? table(["User id", "Kind", "Email", "2FA", "Locked", "Created", ""], r.users.map((u) => [u.user_id,
        u.kind === "api" ? `API only (${u.api_keys ?? 0} key${u.api_keys === 1 ? "" : "s"})` : "web", u.email ?? "—", u.kind === "api" ? "—" : u.totp_enabled ? "on" : "off",
        u.locked ? "LOCKED" : "no", dateTime(u.created_ms), h("button", { type: "button", class: "small", onclick: () => { location.hash = `#/users/${u.user_id}`; } }, "Open")]), "Users")
        : h("p", { class: "muted" }, "No account matches."));
    } catch (e) {
      err.textContent = e instanceof ApiError ? e.message : String(e);
    }
  };
  view.append(form, list);
}

/** An entry's detail: its fields as a list when it is an object, else the text. */
function detailOf(e: any) {
  const f = e.detail_fields;
  if (f && typeof f === "object" && !Array.isArray(f)) {
    const keys = Object.keys(f);
    if (!keys.length) return "—";
    return h("dl", { class: "fields" }, keys.map((k) => [h("dt", {}, k), h("dd", {}, typeof f[k] === "string" ? f[k] : JSON.stringify(f[k]))]));
  }
  return typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail);
}

export async function auditPage(view: HTMLElement) {
  view.append(h("h1", {}, "Audit log"));
  const staff = field("Staff (email)", h("input", { type: "email", autocomplete: "off" }));
  const action = field("Action (or its family, e.g. support)", h("input", { type: "text", autocomplete: "off" }));
  const from = field("From", h("input", { type: "date" }));
  const to = field("To", h("input", { type: "date" }));
  const err = h("div", { class: "form-error", role: "alert" });
  const csv = h("a", { class: "button secondary", download: "" }, "Download CSV");
  const form = h("form", { novalidate: true, class: "filters", "aria-label": "Audit filters" }, staff.wrap, action.wrap, from.wrap, to.wrap,
    h("button", { type: "submit" }, "Filter"), csv, err);
  const box = h("div");
  view.append(form, box);
  const query = () => {
    const p = new URLSearchParams();
    for (const [k, f] of [["staff", staff], ["action", action], ["from", from], ["to", to]] as const) if (f.input.value.trim()) p.set(k, f.input.value.trim());
    return p;
  };
  const load = async (before?: number) => {
    err.textContent = "";
    const p = query();
    csv.setAttribute("href", `/web/api/console/audit?${p.toString()}${p.toString() ? "&" : ""}format=csv`);
    p.set("limit", "50");
    if (before) p.set("before_id", String(before));
    try {
      const r = await get<{ entries: any[]; next_before_id: number | null }>(`/web/api/console/audit?${p.toString()}`);
      clear(box, r.entries.length ? table(["Id", "Time", "Staff", "Role", "Action", "Target", "Detail", "Outcome"], r.entries.map((e) => [e.id, dateTime(e.ts_ms), e.staff_email, e.role, e.action, e.target,
        detailOf(e), h("span", { class: e.outcome === "ok" ? "up" : "down" }, e.outcome)]), "Audit log") : h("p", { class: "muted" }, "No entries match."),
        h("div", { class: "pager" }, before && h("button", { type: "button", onclick: () => load() }, "Newest"), r.next_before_id && h("button", { type: "button", onclick: () => load(r.next_before_id!) }, "Older")));
    } catch (e) {
      err.textContent = e instanceof Error ? e.message : String(e);
    }
  };
  form.onsubmit = (e) => { e.preventDefault(); void load(); };
  await load();
}
