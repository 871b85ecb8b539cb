// Continuity: the public status page as staff run it (#/status-page: each component's measured
// state, overrides, incidents and maintenance with timed updates) and the resume runbook after an
// outage (#/resume: the documented order, one confirmed step at a time).
import { h, clear, field, table } from "../lib/dom";
import { get, post, call } from "../lib/api";
import { dateTime } from "../lib/i18n";
import { showRefusal } from "../lib/support";
import { can } from "./access";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const STATUS_COLOURS: Record<string, string> = {
  operational: "up", under_maintenance: "", degraded_performance: "warn", partial_outage: "down", major_outage: "down",
};
const words = (s: string) => s.replace(/_/g, " ");

interface Component { id: string; name_en: string; group: string; status: string; reason: string; overridden: boolean }
interface Update { id: number; status: string; body: string; created_ms: number }
interface Incident {
  id: number; kind: string; name: string; status: string; impact: string; components: string[];
  created_ms: number; resolved_ms: number | null; scheduled_for_ms: number | null; scheduled_until_ms: number | null; updates: Update[];
}
interface Overview { status: { indicator: string; description: string }; components: Component[]; incidents: Incident[]; statuses: string[] }

const INCIDENT_STATUSES: Record<string, string[]> = {
  incident: ["investigating", "identified", "monitoring", "resolved"],
  maintenance: ["scheduled", "in_progress", "verifying", "completed"],
};

export async function statusAdminPage(view: HTMLElement) {
  view.append(h("h1", {}, "Status page"), h("p", { class: "muted" },
    "What customers see at ", h("a", { href: "/status", target: "_blank" }, "/status"),
    " (and monitors at /api/v2/summary.json): each state is measured unless you override it."));
  const out = h("div", { role: "status", "aria-live": "polite" });
  const banner = h("p", { class: "panel", "data-testid": "page-status" });
  const components = h("section"), incidents = h("section"), form = h("section");
  view.append(out, banner, components, form, incidents);
  const done = (text: string) => { out.className = "ok"; out.textContent = text; };

  const load = async () => {
    const o = await get<Overview>("/web/api/console/status");
    banner.textContent = `${o.status.description} (indicator: ${o.status.indicator})`;
    clear(components, h("h2", {}, "Components"), table(["Component", "State", "Why", "Override"], o.components.map((c) => {
      const select = h("select", { "aria-label": `Override ${c.name_en}` }, h("option", { value: "" }, "— set —"), o.statuses.map((s) => h("option", { value: s }, words(s))));
      const reason = h("input", { type: "text", placeholder: "reason", "aria-label": `Reason for ${c.name_en}`, size: 14 });
      const err = errorBox();
      const set = h("button", { type: "button" }, "Override");
      set.onclick = async () => {
        err.textContent = "";
        if (!select.value || !reason.value.trim()) { err.textContent = "Pick a state and give a reason."; return; }
        try {
          await call("PUT", `/web/api/console/status/overrides/${encodeURIComponent(c.id)}`, { status: select.value, reason: reason.value.trim() });
          done(`${c.name_en} set to ${words(select.value)}.`);
          await load();
        } catch (e) { showRefusal(e, {}, err); }
      };
      const clearBtn = h("button", { type: "button", class: "secondary" }, "Clear");
      clearBtn.onclick = async () => {
        err.textContent = "";
        if (!reason.value.trim()) { err.textContent = "Give a reason."; return; }
        try {
          await call("DELETE", `/web/api/console/status/overrides/${encodeURIComponent(c.id)}`, { reason: reason.value.trim() });
          done(`${c.name_en} is measured again.`);
          await load();
        } catch (e) { showRefusal(e, {}, err); }
      };
      return [c.name_en, h("span", { class: STATUS_COLOURS[c.status] ?? "" }, words(c.status) + (c.overridden ? " (override)" : "")), c.reason || "—",
        can("status.post") ? h("span", { class: "inline-form" }, select, reason, set, c.overridden ? clearBtn : null, err) : ""];
    }), "Components"));

    clear(incidents, h("h2", {}, "Incidents and maintenance (90 days)"));
    if (!o.incidents.length) incidents.append(h("p", { class: "muted" }, "None."));
    for (const i of o.incidents) {
      const statuses = INCIDENT_STATUSES[i.kind] ?? INCIDENT_STATUSES.incident;
      const box = h("article", { class: "panel", "data-testid": `status-incident-${i.id}` },
        h("h3", {}, `#${i.id} ${i.name}`),
        h("p", { class: "muted" }, `${i.kind} · ${words(i.status)} · impact ${i.impact} · ${i.components.join(", ") || "no component"}`),
        i.scheduled_for_ms ? h("p", {}, `Scheduled ${dateTime(i.scheduled_for_ms)} – ${dateTime(i.scheduled_until_ms ?? 0)}`) : null,
        h("ol", {}, i.updates.map((u) => h("li", {}, h("strong", {}, words(u.status)), ` — ${u.body} `, h("small", {}, dateTime(u.created_ms))))));
      if (i.resolved_ms === null && can("status.post")) {
        const status = field("Status", h("select", {}, statuses.map((s) => h("option", { value: s }, words(s)))) as HTMLSelectElement);
        const body = field("Update", h("textarea", { rows: 2 }));
        const reason = field("Reason", h("input", { type: "text", placeholder: "why (audit log)" }));
        const err = errorBox();
        const f = h("form", { novalidate: true, class: "inline-form", "aria-label": `Update incident ${i.id}` }, status.wrap, body.wrap, reason.wrap, h("button", { type: "submit" }, "Post update"), err);
        f.onsubmit = async (e) => {
          e.preventDefault();
          err.textContent = "";
          try {
            await post(`/web/api/console/status/incidents/${i.id}/updates`, { status: status.input.value, body: body.input.value.trim(), reason: reason.input.value.trim() });
            done(`Update posted to #${i.id}.`);
            await load();
          } catch (e2) { showRefusal(e2, { status, body, reason }, err); }
        };
        box.append(f);
      }
      incidents.append(box);
    }

    // A new incident or maintenance window.
    const kind = field("Kind", h("select", {}, h("option", { value: "incident" }, "incident"), h("option", { value: "maintenance" }, "scheduled maintenance")) as HTMLSelectElement);
    const name = field("Title", h("input", { type: "text" }));
    const body = field("First update", h("textarea", { rows: 2 }));
    const impact = field("Impact", h("select", {}, ["none", "minor", "major", "critical"].map((s) => h("option", { value: s, selected: s === "minor" }, s))) as HTMLSelectElement);
    const comps = field("Components", h("select", { multiple: true, size: 4 }, o.components.map((c) => h("option", { value: c.id }, c.name_en))) as HTMLSelectElement);
    const from = field("Maintenance from", h("input", { type: "datetime-local" }));
    const until = field("until", h("input", { type: "datetime-local" }));
    const reason = field("Reason", h("input", { type: "text", placeholder: "why (audit log)" }));
    const err = errorBox();
    const f = h("form", { novalidate: true, "aria-label": "New status incident" }, h("h2", {}, "Post an incident or maintenance"),
      kind.wrap, name.wrap, body.wrap, impact.wrap, comps.wrap, from.wrap, until.wrap, reason.wrap, h("button", { type: "submit" }, "Post"), err);
    f.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      const ms = (v: string) => (v ? new Date(v).getTime() : null);
      const payload: Record<string, unknown> = {
        kind: kind.input.value, name: name.input.value.trim(), body: body.input.value.trim(), impact: impact.input.value,
        components: Array.from((comps.input as HTMLSelectElement).selectedOptions).map((o2) => o2.value), reason: reason.input.value.trim(),
      };
      if (kind.input.value === "maintenance") { payload.scheduled_for_ms = ms(from.input.value); payload.scheduled_until_ms = ms(until.input.value); }
      try {
        const r = await post<{ id: number }>("/web/api/console/status/incidents", payload);
        done(`Posted #${r.id}.`);
        await load();
      } catch (e2) { showRefusal(e2, { kind, name, body, impact, components: comps, scheduled_for_ms: from, scheduled_until_ms: until, reason }, err); }
    };
    clear(form, can("status.post") ? f : null);
  };
  await load();
}

interface ResumeState {
  active: boolean; last: string | null; last_at_ms: number; began_at_ms: number; cancel_only_ms: number;
  next: string; next_blocked: string | null; order: string[]; funding: { deposits_open: boolean; withdrawals_open: boolean };
}

const STEP_TEXT: Record<string, string> = {
  begin: "Declare the outage: every trading market halted, deposits and withdrawals suspended, a status-page incident opened.",
  deposits: "Deposits back.",
  "cancel-only": "Markets in cancel-only: customers can cancel what was left open.",
  "post-only": "Post-only limit orders (after the cancel-only time).",
  open: "Trading open.",
  withdrawals: "Withdrawals, once a reconciliation made after the outage began has passed.",
};

export async function resumePage(view: HTMLElement) {
  view.append(h("h1", {}, "Resume after an outage"), h("p", { class: "muted" },
    "The documented order. Each step is confirmed, audited, journaled and posted to the status page; a step out of order is refused with the reason."));
  const out = h("div", { role: "status", "aria-live": "polite" });
  const steps = h("ol", { class: "runbook", "data-testid": "runbook" });
  const form = h("section");
  view.append(out, steps, form);

  const load = async () => {
    const s = await get<ResumeState>("/web/api/console/resume");
    const doneUpTo = s.last ? s.order.indexOf(s.last) : -1;
    clear(steps, s.order.map((step, i) => h("li", { class: i <= doneUpTo ? "up" : step === s.next ? "" : "muted", "data-step": step },
      h("strong", {}, step), " — ", STEP_TEXT[step] ?? "", i <= doneUpTo ? " ✓" : "")));
    const confirm = field(`Type “${s.next}” to confirm`, h("input", { type: "text", autocomplete: "off" }));
    const reason = field("Reason", h("input", { type: "text", placeholder: "why (audit log)" }));
    const minutes = field("Cancel-only lasts at least (minutes)", h("input", { type: "number", min: "0", max: "1440", value: "10" }));
    const err = errorBox();
    const blocked = s.active && s.next_blocked ? h("p", { class: "warn" }, `Not yet: ${s.next_blocked}`) : null;
    const f = h("form", { novalidate: true, "aria-label": "Take the next step" }, h("h2", {}, `Next: ${s.next}`), blocked,
      s.next === "begin" ? minutes.wrap : null, confirm.wrap, reason.wrap, h("button", { type: "submit" }, `Take step: ${s.next}`), err,
      h("p", { class: "muted" }, `Deposits ${s.funding.deposits_open ? "open" : "suspended"} · withdrawals ${s.funding.withdrawals_open ? "open" : "suspended"}`));
    f.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      const body: Record<string, unknown> = { confirm: confirm.input.value.trim(), reason: reason.input.value.trim() };
      if (s.next === "begin") body.cancel_only_ms = Math.round(Number(minutes.input.value) * 60_000);
      try {
        await post(`/web/api/console/resume/${s.next}`, body);
        out.className = "ok";
        out.textContent = `Step ${s.next} taken.`;
        await load();
      } catch (e2) { showRefusal(e2, { confirm, reason, cancel_only_ms: minutes }, err); }
    };
    clear(form, f);
  };
  await load();
}
