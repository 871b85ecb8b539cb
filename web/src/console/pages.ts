// Console pages: markets (modes, fees, band, maintenance), users (search, detail, lock) and
// the audit log. Every change asks for a reason.
import { h, clear, field, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { num, dateTime } from "../lib/i18n";

const MODES: [string, string][] = [["halted", "Halt"], ["cancel_only", "Cancel-only"], ["post_only", "Post-only"], ["open", "Resume"]];

function reasonField() {
  return field("Reason", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
}

/** Runs a change: checks the reason, shows the outcome in `out`. */
async function change(reason: ReturnType<typeof reasonField>, out: HTMLElement, path: string, body: Record<string, unknown>, done: () => void) {
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
  const reason = reasonField();
  const out = h("div", { role: "status", "aria-live": "polite" });
  const box = h("div");
  view.append(reason.wrap, out, box);
  const load = async () => {
    const r = await get<{ maintenance: boolean; markets: any[] }>("/web/api/console/markets");
    const maint = h("button", { type: "button", class: r.maintenance ? "" : "danger", onclick: () => change(reason, out, "/web/api/console/maintenance", { on: !r.maintenance }, load) },
      r.maintenance ? "End maintenance" : "Start maintenance");
    clear(box, h("p", {}, `Maintenance: ${r.maintenance ? "ON" : "off"} `, maint),
      table(["Symbol", "Mode", "Maker fee (ppm)", "Taker fee (ppm)", "Band (bps)", "Last price", "Mode actions", "Fees and band"], r.markets.map((m) => {
        const maker = h("input", { type: "text", value: m.maker_fee_ppm, "aria-label": `Maker fee ppm ${m.symbol}`, size: 6 });
        const taker = h("input", { type: "text", value: m.taker_fee_ppm, "aria-label": `Taker fee ppm ${m.symbol}`, size: 6 });
        const band = h("input", { type: "text", value: m.band_bps, "aria-label": `Band bps ${m.symbol}`, size: 6 });
        const feeErr = h("div", { class: "field-error" });
        const bad = (msg: string) => { feeErr.textContent = msg; feeErr.setAttribute("role", "alert"); };
        return [m.symbol, h("span", { class: `mode ${m.mode}` }, m.mode), m.maker_fee_ppm, m.taker_fee_ppm, m.band_bps, num(m.last_price),
          h("div", { class: "actions" }, MODES.filter(([mode]) => mode !== m.mode).map(([mode, label]) =>
            h("button", { type: "button", class: "small", "aria-label": `${label} ${m.symbol}`, onclick: () => change(reason, out, `/web/api/console/markets/${m.symbol}/mode`, { mode }, load) }, label))),
          h("div", { class: "actions" }, maker, taker,
            h("button", { type: "button", class: "small", "aria-label": `Set fees ${m.symbol}`, onclick: () => {
              feeErr.textContent = "";
              if (!isUint(maker.value) || !isUint(taker.value)) return bad("Fees are whole numbers of ppm (2500 = 0.25%).");
              change(reason, out, `/web/api/console/markets/${m.symbol}/fees`, { maker_fee_ppm: Number(maker.value), taker_fee_ppm: Number(taker.value) }, load);
            } }, "Set fees"),
            band,
            h("button", { type: "button", class: "small", "aria-label": `Set band ${m.symbol}`, onclick: () => {
              feeErr.textContent = "";
              if (!isUint(band.value)) return bad("The band is a whole number of basis points.");
              change(reason, out, `/web/api/console/markets/${m.symbol}/band`, { band_bps: Number(band.value) }, load);
            } }, "Set band"), feeErr)];
      }), "Markets"));
  };
  await load();
}

export async function usersPage(view: HTMLElement) {
  view.append(h("h1", {}, "Users"));
  const q = field("Search (email or user id)", h("input", { type: "search" }));
  const list = h("div"), detail = h("section");
  const form = h("form", { novalidate: true, role: "search" }, q.wrap, h("button", { type: "submit" }, "Search"));
  form.onsubmit = async (e) => {
    e.preventDefault();
    const r = await get<{ users: any[] }>(`/web/api/console/users?q=${encodeURIComponent(q.input.value.trim())}`);
    clear(list, table(["User id", "Email", "2FA", "Locked", "Created", ""], r.users.map((u) => [u.user_id, u.email, u.totp_enabled ? "on" : "off", u.locked ? "LOCKED" : "no", dateTime(u.created_ms),
      h("button", { type: "button", class: "small", onclick: () => showUser(u.user_id) }, "Open")]), "Users"));
  };
  const showUser = async (id: number) => {
    const r = await get<{ account: any; balances: any; open_orders: any[] }>(`/web/api/console/users/${id}`);
    const reason = reasonField();
    const out = h("div", { role: "status" });
    const bals = Array.isArray(r.balances) ? r.balances : (r.balances?.assets ?? []);
    clear(detail, h("h2", {}, `${r.account.email} (user ${r.account.user_id})`), h("p", {}, `Locked: ${r.account.locked ? "yes" : "no"}`),
      reason.wrap, h("button", { type: "button", class: r.account.locked ? "" : "danger", onclick: () => change(reason, out, `/web/api/console/users/${id}/lock`, { locked: !r.account.locked }, () => showUser(id)) }, r.account.locked ? "Unlock" : "Lock"), out,
      h("h3", {}, "Balances"), table(["Asset", "Available", "Held"], bals.map((b: any) => [b.asset, num(b.available), num(b.held)]), "Balances"),
      h("h3", {}, "Open orders"), table(["Id", "Symbol", "Side", "Type", "Price", "Amount", "Filled"], (r.open_orders ?? []).map((o) => [o.id, o.symbol, o.side, o.type, num(o.price), num(o.amount), num(o.filled)]), "Open orders"));
  };
  view.append(form, list, detail);
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
