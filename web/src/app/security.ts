// Account security (#/security): two-factor authentication, changing the password (ends the
// other sessions), the signed-in sessions with sign-out of one or of every other; and, signed
// out, "forgot password" (#/forgot) and the mailed link's page (#/reset-password?token=…).
import { h, clear, field, table } from "../lib/dom";
import { get, post, del, ApiError } from "../lib/api";
import { t, dateTime } from "../lib/i18n";
import { navigate, hashQuery } from "../lib/router";
import { session, setAccount, type Account } from "./state";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const okBox = () => h("div", { role: "status", "aria-live": "polite" });

function showError(box: HTMLElement, e: unknown, fields: Record<string, ReturnType<typeof field>> = {}): void {
  if (e instanceof ApiError && e.field && fields[e.field]) { fields[e.field].error(t(e.message)); return; }
  box.textContent = e instanceof ApiError ? t(e.message) : String(e);
}

const sixDigits = (f: ReturnType<typeof field>) => {
  const ok = /^\d{6}$/.test(f.input.value.trim());
  f.error(ok ? null : t("Enter the 6-digit code."));
  return ok;
};
const goodPassword = (pw: string) => pw.length >= 10 && !/^\d+$/.test(pw);

/** Backup codes, shown once: each signs in once in place of a 2FA code. */
function backupList(codes: string[]) {
  return h("div", { class: "secret", role: "alert", "data-testid": "backup-codes" },
    h("p", {}, t("Backup codes: write them down now, they are shown this once. Each works once in place of a 2FA code.")),
    h("ol", { class: "mono" }, codes.map((c) => h("li", {}, c))));
}

function twoFactor(box: HTMLElement) {
  const render = () => {
    const a = session.account!;
    const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
    const err = errorBox();
    if (a.totp_enabled) {
      const form = h("form", { novalidate: true }, h("p", {}, t("2FA is on.")), code.wrap, h("button", { type: "submit" }, t("Disable 2FA")), err);
      form.onsubmit = async (e) => {
        e.preventDefault();
        if (!sixDigits(code)) return;
        try { const r = await post<{ account: Account }>("/web/api/2fa/disable", { code: code.input.value.trim() }); setAccount(r.account); render(); } catch (e2) { showError(err, e2, { code }); }
      };
      const left = h("p", { class: "muted", "data-testid": "backup-left" });
      get<{ left: number }>("/web/api/2fa/backup-codes").then((r) => { left.textContent = `${t("Backup codes left:")} ${r.left}`; }).catch(() => {});
      const codesArea = h("div");
      const again = h("button", { type: "button", class: "secondary" }, t("New backup codes"));
      again.onclick = async () => {
        err.textContent = "";
        if (!sixDigits(code)) return;
        try {
          const r = await post<{ backup_codes: string[] }>("/web/api/2fa/backup-codes", { code: code.input.value.trim() });
          code.input.value = "";
          clear(codesArea, backupList(r.backup_codes));
          left.textContent = `${t("Backup codes left:")} ${r.backup_codes.length}`;
        } catch (e2) { showError(err, e2, { code }); }
      };
      clear(box, h("h2", {}, t("Two-factor authentication")), form, left, again, codesArea);
      return;
    }
    const setup = h("button", { type: "button" }, t("Set up 2FA"));
    const secretArea = h("div");
    setup.onclick = async () => {
      try {
        const s = await post<{ secret: string; otpauth_url: string; qr_png_base64: string }>("/web/api/2fa/setup");
        const form = h("form", { novalidate: true },
          h("p", {}, t("Scan this with your authenticator app, or type the secret.")),
          h("img", { src: `data:image/png;base64,${s.qr_png_base64}`, alt: t("QR code of your 2FA secret"), width: 200, height: 200, class: "qr", "data-testid": "totp-qr" }),
          h("p", {}, "Secret: ", h("code", { "data-testid": "totp-secret", class: "mono" }, s.secret)),
          h("p", { class: "muted small" }, s.otpauth_url), code.wrap, h("button", { type: "submit" }, t("Enable 2FA")), err);
        form.onsubmit = async (e) => {
          e.preventDefault();
          if (!sixDigits(code)) return;
          try {
            const r = await post<{ account: Account; backup_codes: string[] }>("/web/api/2fa/enable", { code: code.input.value.trim() });
            setAccount(r.account);
            render();
            box.append(backupList(r.backup_codes));
          } catch (e2) { showError(err, e2, { code }); }
        };
        clear(secretArea, form);
      } catch (e) { showError(err, e); secretArea.append(err); }
    };
    clear(box, h("h2", {}, t("Two-factor authentication")), h("p", {}, t("2FA is off.")), setup, secretArea);
  };
  render();
}

function changePassword(box: HTMLElement, onDone: () => Promise<void>) {
  const current = field(t("Current password"), h("input", { type: "password", autocomplete: "current-password" }));
  const next = field(t("New password"), h("input", { type: "password", autocomplete: "new-password" }));
  const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
  const err = errorBox(), out = okBox();
  const form = h("form", { novalidate: true, "aria-label": t("Change password") }, h("h2", {}, t("Change password")),
    current.wrap, next.wrap, h("p", { class: "muted small" }, t("At least 10 characters, not all digits.")),
    session.account?.totp_enabled ? code.wrap : null, h("button", { type: "submit" }, t("Change password")), err, out);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = out.textContent = "";
    let ok = true;
    current.error(current.input.value ? null : (ok = false, t("Required.")));
    next.error(goodPassword(next.input.value) ? null : (ok = false, t("At least 10 characters, not all digits.")));
    if (session.account?.totp_enabled && !sixDigits(code)) ok = false;
    if (!ok) return;
    const body: Record<string, unknown> = { current: current.input.value, password: next.input.value };
    if (session.account?.totp_enabled) body.totp = code.input.value.trim();
    try {
      const r = await post<{ sessions_ended: number }>("/web/api/password/change", body);
      current.input.value = next.input.value = code.input.value = "";
      out.className = "ok";
      out.textContent = `${t("Password changed. Other sessions signed out:")} ${r.sessions_ended}`;
      await onDone();
    } catch (e2) { showError(err, e2, { current, password: next, totp: code }); }
  };
  clear(box, form);
}

interface SessionInfo { id: string; ip: string | null; device: string | null; created_ms: number; last_seen_ms: number; current: boolean }

async function sessions(box: HTMLElement) {
  const err = errorBox();
  const r = await get<{ sessions: SessionInfo[] }>("/web/api/sessions");
  const everywhere = h("button", { type: "button", class: "danger" }, t("Sign out everywhere else"));
  everywhere.onclick = async () => {
    try { await post("/web/api/sessions/logout-others", {}); await sessions(box); } catch (e) { showError(err, e); }
  };
  clear(box, h("h2", {}, t("Signed-in sessions")),
    table([t("Address"), t("Device"), t("Signed in"), t("Last seen"), ""], r.sessions.map((s) => [
      s.ip ?? "—", h("span", { class: "mono" }, s.device ?? "—"), dateTime(s.created_ms), dateTime(s.last_seen_ms),
      s.current ? h("strong", {}, t("This device")) : h("button", { type: "button", class: "small", "aria-label": `${t("Sign out")} ${s.id}`,
        onclick: async () => { try { await del(`/web/api/sessions/${s.id}`); await sessions(box); } catch (e) { showError(err, e); } } }, t("Sign out")),
    ]), t("Signed-in sessions")),
    r.sessions.length > 1 ? everywhere : null, err);
}

export async function securityPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Security")));
  const tfa = h("section", { class: "panel" }), pw = h("section", { class: "panel" }), list = h("section", { class: "panel", "data-testid": "sessions" });
  view.append(tfa, pw, list);
  twoFactor(tfa);
  changePassword(pw, () => sessions(list));
  await sessions(list);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function forgotPage(view: HTMLElement) {
  const email = field(t("Email"), h("input", { type: "email", autocomplete: "username" }));
  const err = errorBox(), out = okBox();
  const form = h("form", { novalidate: true, class: "card", "aria-label": t("Forgot password?") }, h("h1", {}, t("Forgot password?")),
    h("p", { class: "muted" }, t("We mail a link to choose a new password. It works once, for 30 minutes.")),
    email.wrap, h("button", { type: "submit" }, t("Send the link")), err, out, h("p", {}, h("a", { href: "#/login" }, t("Log in"))));
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = out.textContent = "";
    if (!EMAIL.test(email.input.value.trim())) { email.error(t("Enter a valid email address.")); return; }
    email.error(null);
    try {
      await post("/web/api/password/forgot", { email: email.input.value.trim() });
      out.className = "ok";
      out.textContent = t("If an account uses this address, a link is on its way.");
    } catch (e2) { showError(err, e2, { email }); }
  };
  view.append(form);
}

export function resetPage(view: HTMLElement) {
  const token = hashQuery().get("token")?.trim() ?? "";
  const password = field(t("New password"), h("input", { type: "password", autocomplete: "new-password" }));
  const err = errorBox();
  const form = h("form", { novalidate: true, class: "card", "aria-label": t("Choose a new password") }, h("h1", {}, t("Choose a new password")),
    password.wrap, h("p", { class: "muted small" }, t("At least 10 characters, not all digits.")), h("button", { type: "submit" }, t("Save the new password")), err);
  if (!token) err.textContent = t("This link is incomplete: open the link from the mail again.");
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (!goodPassword(password.input.value)) { password.error(t("At least 10 characters, not all digits.")); return; }
    password.error(null);
    try {
      await post("/web/api/password/reset", { token, password: password.input.value });
      navigate("#/login");
    } catch (e2) { showError(err, e2, { password }); }
  };
  view.append(form);
}
