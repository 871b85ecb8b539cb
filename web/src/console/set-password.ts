// An invited staff member sets their password once, through the link an admin's approved
// invitation mailed (#/set-password/<token>), then logs in as any staff member does.
import { h, clear, field } from "../lib/dom";
import { post, ApiError } from "../lib/api";

export function setPasswordPage(view: HTMLElement, token: string): void {
  const password = field("New password", h("input", { type: "password", autocomplete: "new-password" }));
  const again = field("The same password again", h("input", { type: "password", autocomplete: "new-password" }));
  const err = h("div", { class: "form-error", role: "alert" });
  const form = h("form", { novalidate: true, class: "card", "aria-label": "Set your staff password" },
    h("h1", {}, "Set your staff password"), h("p", { class: "muted" }, "This link works once. At least 10 characters, not all digits."),
    password.wrap, again.wrap, h("button", { type: "submit" }, "Set password"), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const p = password.input.value;
    let ok = true;
    password.error(p ? null : (ok = false, "Required."));
    again.error(again.input.value === p ? null : (ok = false, "The two passwords differ."));
    if (!ok) return;
    try {
      const r = await post<{ staff: { email: string; role: string } }>("/web/api/console/password/set", { token, password: p });
      clear(view, h("div", { class: "card" }, h("h1", {}, "Password set"),
        h("p", { class: "ok", role: "status" }, `You can now log in as ${r.staff.email} (${r.staff.role}).`),
        h("a", { href: "#/", onclick: () => { location.hash = ""; location.reload(); } }, "Go to the log in")));
    } catch (e) {
      if (e instanceof ApiError && e.field === "password") { password.error(e.message); return; }
      err.textContent = e instanceof ApiError ? e.message : String(e);
    }
  };
  clear(view, form);
  password.input.focus();
}
