// Staff (admins only): the staff list, and the reset of another staff member's two-factor
// authentication when they lost their authenticator. The server decides: an admin's own 2FA is
// reset by another admin (four eyes), a staff member without 2FA has nothing to reset, and every
// attempt goes into the audit log with its reason.
import { h, clear, field, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";

interface StaffRow { id: number; email: string; role: string; totp_enabled: boolean }

export async function staffPage(view: HTMLElement) {
  view.append(h("h1", {}, "Staff"));
  const out = h("div", { role: "status", "aria-live": "polite" });
  const list = h("div");
  const formArea = h("section");
  view.append(out, list, formArea);
  let myId: number | null = null;
  try { myId = (await get<{ staff: { id: number } }>("/web/api/console/me")).staff.id; } catch { /* the server still refuses an own reset */ }

  const load = async () => {
    try {
      const r = await get<{ staff: StaffRow[] }>("/web/api/console/staff");
      clear(list, table(["Id", "Email", "Role", "2FA", ""], r.staff.map((s) => [s.id, s.email, s.role, s.totp_enabled ? "on" : "off",
        s.id === myId ? h("span", { class: "muted small" }, "yours: another admin resets it")
          : s.totp_enabled && h("button", { type: "button", class: "small danger", "aria-label": `Reset 2FA of ${s.email}`, onclick: () => resetForm(s) }, "Reset 2FA")]), "Staff"));
    } catch (e) {
      clear(list, h("div", { class: "form-error", role: "alert" }, e instanceof ApiError ? e.message : String(e)));
    }
  };

  const resetForm = (s: StaffRow) => {
    out.textContent = "";
    const reason = field("Reason", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
    reason.input.addEventListener("input", () => reason.error(null));
    const err = h("div", { class: "form-error", role: "alert" });
    const form = h("form", { novalidate: true, class: "card", "aria-label": `Reset 2FA of ${s.email}` },
      h("h2", {}, `Reset 2FA of ${s.email} (${s.role})`),
      h("p", {}, "This turns their two-factor authentication off and ends their sessions: they log in with their password and set up 2FA again."),
      reason.wrap,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "danger" }, "Confirm reset"),
        h("button", { type: "button", onclick: () => clear(formArea) }, "Cancel")),
      err);
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      const r = reason.input.value.trim();
      if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
      reason.error(null);
      try {
        const res = await post<{ staff: StaffRow; sessions_ended: number }>(`/web/api/console/staff/${s.id}/2fa/reset`, { reason: r });
        clear(formArea);
        out.className = "ok";
        const n = res.sessions_ended;
        out.textContent = `2FA of ${res.staff.email} is reset; ${n} session${n === 1 ? "" : "s"} ended.`;
        await load();
      } catch (e) {
        if (e instanceof ApiError && e.field === "reason") { reason.error(e.message); reason.input.focus(); return; }
        err.textContent = e instanceof ApiError ? e.message : String(e);
        // Someone else may have changed the list (another admin's reset, a removed account).
        if (e instanceof ApiError && (e.status === 404 || e.status === 409)) await load();
      }
    };
    clear(formArea, form);
    reason.input.focus();
  };

  await load();
}
