// Security: a staff member sets up two-factor authentication (TOTP). Where the server requires
// it, this is the only page a staff member without 2FA may open.
import { h, clear, field } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";

interface StaffMe { staff: { email: string; totp_enabled: boolean }; two_factor_required: boolean }

export async function securityPage(view: HTMLElement) {
  view.append(h("h1", {}, "Security"));
  const box = h("section", { "aria-label": "Two-factor authentication" });
  view.append(box);
  const err = h("div", { class: "form-error", role: "alert" });
  const showError = (e: unknown) => { err.textContent = e instanceof ApiError ? e.message : String(e); };
  let me: StaffMe;
  try { me = await get<StaffMe>("/web/api/console/me"); } catch (e) { showError(e); box.append(err); return; }
  const wasRestricted = me.two_factor_required;

  const on = () => clear(box, h("h2", {}, "Two-factor authentication"), h("p", { role: "status" }, "2FA is on."),
    h("p", { class: "muted" }, "Log in with your password and the 6-digit code from your authenticator app."),
    wasRestricted && h("button", { type: "button", onclick: () => { location.hash = ""; location.reload(); } }, "Open the console"));
  if (me.staff.totp_enabled) return on();

  const setup = h("button", { type: "button" }, "Set up 2FA");
  const secretArea = h("div");
  setup.onclick = async () => {
    err.textContent = "";
    try {
      const s = await post<{ secret: string; otpauth_url: string }>("/web/api/console/2fa/setup");
      const code = field("2FA code", h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
      const form = h("form", { novalidate: true, "aria-label": "Enable 2FA" },
        h("p", {}, "Add this secret to your authenticator app, then enter the code it shows."),
        h("p", {}, "Secret: ", h("code", { "data-testid": "totp-secret", class: "mono" }, s.secret)),
        h("p", {}, "Setup URL: ", h("code", { "data-testid": "totp-url", class: "mono small" }, s.otpauth_url)),
        code.wrap, h("button", { type: "submit" }, "Enable 2FA"), err);
      form.onsubmit = async (e) => {
        e.preventDefault();
        err.textContent = "";
        const value = code.input.value.trim();
        if (!/^\d{6}$/.test(value)) { code.error("Enter the 6-digit code."); code.input.focus(); return; }
        code.error(null);
        try {
          await post("/web/api/console/2fa/enable", { code: value });
          on();
        } catch (e) {
          if (e instanceof ApiError && e.field === "code") code.error(e.message);
          else showError(e);
        }
      };
      setup.hidden = true;
      clear(secretArea, form);
      code.input.focus();
    } catch (e) { showError(e); secretArea.append(err); }
  };
  clear(box, h("h2", {}, "Two-factor authentication"), h("p", {}, "2FA is off."),
    wasRestricted && h("p", { class: "form-error", role: "alert" }, "Two-factor authentication is required: set it up to use the console."),
    setup, secretArea);
}
