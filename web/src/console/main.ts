// The staff console: login, role-filtered nav from the page registry, hash routing.
import "../style.css";
import { h, clear, field } from "../lib/dom";
import { get, post, setCsrf, ApiError } from "../lib/api";
import { startRouter, navigate } from "../lib/router";
import { PAGES } from "./registry";
import { setPermissions } from "./access";
import { setPasswordPage } from "./set-password";

interface Me { staff: { id: number; email: string; role: string; totp_enabled: boolean }; csrf: string; pages: string[]; permissions: string[]; two_factor_required: boolean }

const root = document.getElementById("app")!;
const header = h("header", { class: "top console" });
const view = h("main", { id: "view" });
const footer = h("footer", {}, "Charts by ", h("a", { href: "https://www.tradingview.com/", target: "_blank", rel: "noopener" }, "TradingView"), " Lightweight Charts™ · talat console");
root.append(header, view, footer);

let me: Me | null = null;
// An invited staff member's one-time link (#/set-password/<token>) works without a session.
const invite = /^#\/set-password\/([^/?#]+)/.exec(location.hash);
if (invite) {
  clear(header, h("span", { class: "brand" }, "talat console"));
  setPasswordPage(view, decodeURIComponent(invite[1]));
} else {
  try {
    me = await get<Me>("/web/api/console/me");
    setCsrf(me.csrf);
    setPermissions(me.permissions);
  } catch { me = null; }
  if (!me) loginForm();
  else shell(me);
}

function loginForm(): void {
  clear(header, h("span", { class: "brand" }, "talat console"));
  const email = field("Email", h("input", { type: "email", autocomplete: "username" }));
  const password = field("Password", h("input", { type: "password", autocomplete: "current-password" }));
  const totp = field("2FA code", h("input", { type: "text", inputmode: "numeric", maxlength: 6 }));
  totp.wrap.hidden = true;
  const err = h("div", { class: "form-error", role: "alert" });
  const form = h("form", { novalidate: true, class: "card", "aria-label": "Staff log in" }, h("h1", {}, "Staff log in"), email.wrap, password.wrap, totp.wrap, h("button", { type: "submit" }, "Log in"), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    let ok = true;
    email.error(/^[^\s@]+@[^\s@]+$/.test(email.input.value.trim()) ? null : (ok = false, "Enter a valid email address."));
    password.error(password.input.value ? null : (ok = false, "Required."));
    if (!ok) return;
    const body: any = { email: email.input.value.trim(), password: password.input.value };
    if (!totp.wrap.hidden) body.totp = totp.input.value.trim();
    try {
      await post("/web/api/console/login", body);
      location.reload();
    } catch (e) {
      if (e instanceof ApiError && e.code === "totp_required") totp.wrap.hidden = false;
      err.textContent = e instanceof ApiError ? e.message : String(e);
    }
  };
  clear(view, form);
}

function shell(me: Me): void {
  const allowed = PAGES.filter((p) => me.pages.includes(p.id));
  const nav = h("nav", { "aria-label": "Console" });
  const renderNav = (current: string) => clear(nav, allowed.map((p) => h("a", { href: `#/${p.id}`, class: p.id === current ? "active" : "", "aria-current": p.id === current ? "page" : undefined }, p.title)));
  clear(header, h("span", { class: "brand" }, "talat console"), nav,
    h("div", { class: "right" }, h("span", { class: "muted" }, `${me.staff.email} (${me.staff.role})`),
      h("button", { type: "button", onclick: async () => { await post("/web/api/console/logout").catch(() => {}); location.hash = ""; location.reload(); } }, "Log out")));
  const routes: Record<string, any> = {};
  for (const p of PAGES) {
    routes[p.id] = me.pages.includes(p.id) ? p.render : (v: HTMLElement) => {
      v.append(h("div", { class: "form-error", role: "alert" }, me.two_factor_required
        ? `Set up two-factor authentication on the Security page before opening “${p.title}”.`
        : `Your role (${me.staff.role}) may not open the page “${p.title}”.`));
    };
  }
  routes.home = (v: HTMLElement) => {
    if (allowed[0]) navigate(`#/${allowed[0].id}`);
    else v.append(h("p", {}, "No pages for this role."));
  };
  startRouter(view, routes, "home", renderNav);
}
