// Staff (admins): the staff list; invite, disable and change a role — each proposed by one admin
// and approved or rejected by a different one (four eyes) — and the reset of another staff
// member's two-factor authentication. The server decides every rule (no admin disables or
// re-roles themselves, the last admin stays, the proposer never approves) and says why; every
// step goes into the audit log with its reason. An approved invitation's one-time link is
// mailed and shown here once.
import { h, clear, field, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime } from "../lib/i18n";
import { can } from "./access";

interface StaffRow { id: number; email: string; role: string; totp_enabled: boolean; disabled?: boolean }
interface ChangeRow { id: number; kind: string; target_id: number | null; target_email: string | null; role: string | null; reason: string; proposed_by: number; proposed_by_email: string | null; proposed_ms: number; status: string; decided_by_email: string | null; decided_ms: number | null }

const ROLES = ["operator", "support", "kyc", "compliance", "finance", "admin"];
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const reasonField = (label = "Reason") => field(label, h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));

function describe(c: ChangeRow): string {
  if (c.kind === "invite") return `Invite ${c.target_email} as ${c.role}`;
  if (c.kind === "disable") return `Disable ${c.target_email ?? `staff #${c.target_id}`}`;
  return `Make ${c.target_email ?? `staff #${c.target_id}`} ${c.role}`;
}

/** A small form: its fields, a reason, a submit; `send` posts, `done` gets the answer. */
function actionForm(label: string, fields: ReturnType<typeof field>[], submit: string, send: (reason: string) => Promise<any>, done: (r: any) => void, cls = "") {
  const reason = reasonField();
  const err = h("div", { class: "form-error", role: "alert" });
  const form = h("form", { novalidate: true, class: "card inline-form", "aria-label": label }, h("h2", {}, label), fields.map((f) => f.wrap), reason.wrap,
    h("button", { type: "submit", class: cls }, submit), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    for (const f of [...fields, reason]) f.error(null);
    const r = reason.input.value.trim();
    if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
    try { done(await send(r)); } catch (e) {
      const f = e instanceof ApiError && e.field ? [...fields, reason].find((x) => x.input.name === e.field || (e.field === "reason" && x === reason)) : undefined;
      if (f) f.error(message(e)); else err.textContent = message(e);
    }
  };
  return form;
}

export async function staffPage(view: HTMLElement) {
  view.append(h("h1", {}, "Staff"));
  const manages = can("staff.manage"), resets = can("staff.2fa.reset");
  const out = h("div", { role: "status", "aria-live": "polite" });
  const list = h("div"), changes = h("section"), formArea = h("section");
  view.append(out, list, formArea, changes);
  let myId: number | null = null;
  try { myId = (await get<{ staff: { id: number } }>("/web/api/console/me")).staff.id; } catch { /* the server still refuses what is not allowed */ }
  const say = (text: string) => { out.className = "ok"; out.textContent = text; };

  const load = async () => {
    try {
      const r = await get<{ staff: StaffRow[] }>("/web/api/console/staff");
      clear(list, manages ? h("p", { class: "actions" }, h("button", { type: "button", onclick: () => inviteForm() }, "Invite a staff member"),
        h("button", { type: "button", onclick: () => changeForm(r.staff) }, "Change a role or disable")) : null,
        table(["Id", "Email", "Role", "2FA", "Status", ""], r.staff.map((s) => [s.id, s.email, s.role, s.totp_enabled ? "on" : "off", s.disabled ? "disabled" : "active",
          s.id === myId ? h("span", { class: "muted small" }, "yours: another admin resets it or changes your account")
            : resets && !s.disabled && s.totp_enabled && h("button", { type: "button", class: "small danger", "aria-label": `Reset 2FA of ${s.email}`, onclick: () => resetForm(s) }, "Reset 2FA")]), "Staff"));
      if (manages) await loadChanges();
    } catch (e) {
      clear(list, h("div", { class: "form-error", role: "alert" }, message(e)));
    }
  };

  const proposed = (what: string) => async () => { clear(formArea); say(`${what} proposed: another admin must approve it.`); await load(); };

  const inviteForm = () => {
    const email = field("Email", h("input", { type: "email", name: "email", autocomplete: "off" }));
    const role = field("Role", h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, r))));
    clear(formArea, actionForm("Invite a staff member", [email, role], "Propose invitation", async (reason) => {
      if (!/^[^\s@]+@[^\s@]+$/.test(email.input.value.trim())) throw new ApiError(400, "invalid", "Enter a valid email address.", "email");
      return post("/web/api/console/staff/invite", { email: email.input.value.trim(), role: role.input.value, reason });
    }, proposed("Invitation")));
    email.input.focus();
  };

  // Another active staff member's role, or disabling them (which ends their sessions and refuses
  // their logins once approved).
  const changeForm = (all: StaffRow[]) => {
    const others = all.filter((s) => s.id !== myId && !s.disabled);
    const who = field("Staff member", h("select", { name: "staff_id" }, others.map((s) => h("option", { value: String(s.id) }, `${s.email} (${s.role})`))));
    const what = field("Change", h("select", { name: "change" }, ROLES.map((r) => h("option", { value: `role:${r}` }, `make ${r}`)), h("option", { value: "disable" }, "disable (ends their sessions)")));
    clear(formArea, actionForm("Change a role or disable", [who, what], "Propose change", (reason) => {
      const id = who.input.value, choice = what.input.value;
      if (!id) throw new ApiError(400, "invalid", "Choose a staff member.", "staff_id");
      return choice === "disable" ? post(`/web/api/console/staff/${id}/disable`, { reason })
        : post(`/web/api/console/staff/${id}/role`, { role: choice.slice("role:".length), reason });
    }, proposed("Change")));
  };

  const resetForm = (s: StaffRow) => {
    out.textContent = "";
    clear(formArea, h("div", {}, h("p", {}, `This turns ${s.email}'s two-factor authentication off and ends their sessions: they log in with their password and set up 2FA again.`),
      actionForm(`Reset 2FA of ${s.email} (${s.role})`, [], "Confirm reset", (reason) => post<{ staff: StaffRow; sessions_ended: number }>(`/web/api/console/staff/${s.id}/2fa/reset`, { reason }), async (res) => {
        clear(formArea);
        const n = res.sessions_ended;
        say(`2FA of ${res.staff.email} is reset; ${n} session${n === 1 ? "" : "s"} ended.`);
        await load();
      }, "danger")));
  };

  const decide = async (c: ChangeRow, what: "approve" | "reject", reason: string) => {
    const r = await post<{ change: ChangeRow; set_password_link?: string | null; sessions_ended?: number }>(`/web/api/console/staff/changes/${c.id}/${what}`, { reason });
    clear(formArea);
    say(what === "reject" ? `${describe(c)}: rejected.` : `${describe(c)}: approved.${r.sessions_ended ? ` ${r.sessions_ended} session(s) ended.` : ""}`);
    if (r.set_password_link) out.append(h("p", {}, "The set-password link (mailed; it works once): ", h("code", { "data-testid": "set-password-link" }, r.set_password_link)));
    await load();
  };

  const loadChanges = async () => {
    const r = await get<{ changes: ChangeRow[] }>("/web/api/console/staff/changes");
    const pending = r.changes.filter((c) => c.status === "pending"), decided = r.changes.filter((c) => c.status !== "pending");
    clear(changes, h("h2", {}, "Waiting for a second admin"), pending.length ? table(["Change", "Reason", "Proposed by", "When", ""], pending.map((c) => [describe(c), c.reason, c.proposed_by_email ?? `#${c.proposed_by}`, dateTime(c.proposed_ms),
      h("div", { class: "actions" },
        c.proposed_by === myId ? h("span", { class: "muted small" }, "yours: another admin approves") : h("button", { type: "button", class: "small", onclick: () => clear(formArea, actionForm(`Approve: ${describe(c)}`, [], "Approve", (reason) => decide(c, "approve", reason), () => {})) }, "Approve"),
        h("button", { type: "button", class: "small danger", onclick: () => clear(formArea, actionForm(`Reject: ${describe(c)}`, [], "Reject", (reason) => decide(c, "reject", reason), () => {}, "danger")) }, c.proposed_by === myId ? "Withdraw" : "Reject"))]), "Changes waiting for a second admin")
      : h("p", { class: "muted" }, "Nothing waiting."),
      decided.length ? [h("h2", {}, "Decided"), table(["Change", "Reason", "Proposed by", "Outcome", "By", "When"], decided.map((c) => [describe(c), c.reason, c.proposed_by_email ?? `#${c.proposed_by}`, c.status, c.decided_by_email ?? "", c.decided_ms ? dateTime(c.decided_ms) : ""]), "Decided changes")] : null);
  };

  await load();
}
