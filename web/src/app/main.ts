// The customer app: shell (nav, language, banner), session and routes.
import "../style.css";
import { h, clear, every } from "../lib/dom";
import { post } from "../lib/api";
import { t, getLang, setLang, type Lang } from "../lib/i18n";
import { startRouter, navigate } from "../lib/router";
import { session, loadMe, loadStatus, setAccount, onSessionChange } from "./state";
import { marketsPage, portfolioPage, ordersPage, keysPage, loginPage, signupPage } from "./pages";
import { securityPage, forgotPage, resetPage } from "./security";
import { tradePage } from "./trade";
import { supportPage } from "./support";
import { kycPage, verifyPage } from "./kyc";
import { depositPage, withdrawPage, bankAccountsPage } from "./funds";
import { porPage } from "./por";
import { cryptoPage } from "./crypto";
import { bell, startNotifications, refreshNotifications } from "./notify";

const header = h("header", { class: "top" });
const banner = h("div", { id: "banner", role: "status", "aria-live": "polite" });
const kycNote = h("div", { id: "kyc-note", class: "kyc-note", "data-testid": "kyc-note" });
const view = h("main", { id: "view" });
const footer = h("footer", {}, "Charts by ", h("a", { href: "https://www.tradingview.com/", target: "_blank", rel: "noopener" }, "TradingView"), " Lightweight Charts™ · talat");
document.getElementById("app")!.append(header, banner, kycNote, view, footer);

let route = "";
/** On a phone the main nav folds behind a Menu button; a route change folds it again. */
let menuOpen = false;

function renderHeader(): void {
  const link = (hash: string, label: string, name: string) => h("a", { href: hash, class: route === name ? "active" : "", "aria-current": route === name ? "page" : undefined }, t(label));
  const lang = h("select", { id: "lang", "aria-label": t("Language"), onchange: (e: Event) => changeLang((e.target as HTMLSelectElement).value as Lang) },
    h("option", { value: "th", selected: getLang() === "th" }, "ไทย"), h("option", { value: "en", selected: getLang() === "en" }, "English"));
  const acct = session.account
    ? [bell(), h("span", { class: "muted" }, session.account.email), h("button", { type: "button", onclick: logout }, t("Log out"))]
    : [link("#/login", "Log in", "login"), link("#/signup", "Sign up", "signup")];
  const menu = h("button", { type: "button", class: "menu-button", "aria-expanded": String(menuOpen), "aria-controls": "main-nav", onclick: () => { menuOpen = !menuOpen; renderHeader(); } }, t("Menu"));
  clear(header,
    h("a", { href: "#/markets", class: "brand" }, "talat"), menu,
    h("nav", { id: "main-nav", class: menuOpen ? "open" : "", "aria-label": "Main" }, link("#/markets", "Markets", "markets"), link("#/trade/BTC_THB", "Trade", "trade"),
      session.account && [link("#/portfolio", "Portfolio", "portfolio"), link("#/orders", "Orders", "orders"), link("#/deposit", "Deposit", "deposit"), link("#/withdraw", "Withdraw", "withdraw"), link("#/crypto", "Crypto", "crypto"), link("#/bank-accounts", "Bank accounts", "bank-accounts"), link("#/keys", "API keys", "keys"), link("#/security", "Security", "security"), link("#/kyc", "Verification", "kyc"), link("#/support", "Support", "support"), link("#/por", "Proof of reserves", "por")]),
    h("div", { class: "right" }, h("label", { for: "lang", class: "sr-only" }, t("Language")), lang, acct));
}

/** Switches the app's language; signed in, the account's too, so mails come in it. */
function changeLang(l: Lang): void {
  setLang(l);
  rerender();
  if (session.account) post("/web/api/language", { lang: l }).catch(() => { /* the app keeps its language; mails stay in the old one */ });
}

async function logout(): Promise<void> {
  try { await post("/web/api/logout"); } catch { /* the session may have expired already */ }
  setAccount(null, "");
  navigate("#/login");
}

/** The banner: maintenance, and every market that is not open (the current one first). */
export function renderBanner(): void {
  const s = session.status;
  const lines: string[] = [];
  if (s?.maintenance) lines.push(t("The exchange is in maintenance: only cancels are accepted."));
  const current = location.hash.startsWith("#/trade/") ? decodeURIComponent(location.hash.split("/")[2] ?? "") : "";
  const markets = [...(s?.markets ?? [])].sort((a, b) => (b.symbol === current ? 1 : 0) - (a.symbol === current ? 1 : 0));
  for (const m of markets) {
    if (m.mode === "halted") lines.push(`${m.symbol} ${t("is halted: no orders are accepted.")}`);
    else if (m.mode === "cancel_only") lines.push(`${m.symbol} ${t("is cancel-only: new orders are refused.")}`);
    else if (m.mode === "post_only" && m.symbol === current) lines.push(`${m.symbol} ${t("is post-only: only post-only limit orders are accepted.")}`);
  }
  clear(banner, lines.map((l) => h("p", {}, l)));
  banner.className = lines.length ? "banner on" : "banner";
  renderKycNote();
}

/** Below level 1 a customer cannot trade: say so on every page but the KYC pages themselves. */
function renderKycNote(): void {
  const a = session.account;
  const show = !!a && a.kyc_level === 0 && route !== "kyc" && route !== "verify";
  clear(kycNote, show ? h("p", {}, t(a!.email_verified === false ? "Verify your email, then your identity, to start trading." : "Verify your identity to start trading."), " ",
    h("a", { href: "#/kyc" }, t("Verify your identity"))) : null);
  kycNote.className = show ? "kyc-note on" : "kyc-note";
}

/** The markets' modes last seen: a change is in the notifications too, so the bell looks again. */
let modes = "";
/** Settles once the first status has been asked for: pages render after it, so amounts are
 *  padded to their scales from the first paint. */
let statusAsked = () => {};
const firstStatus = new Promise<void>((r) => (statusAsked = r));
every(2000, async () => {
  try { await loadStatus(); } finally { statusAsked(); }
  renderBanner();
  const now = (session.status?.markets ?? []).map((m) => `${m.symbol}:${m.mode}`).join(",");
  if (modes && now !== modes && session.account) refreshNotifications();
  modes = now;
});

/** Notifications run while someone is signed in. */
let stopNotifications: (() => void) | null = null;
const followSession = () => {
  if (session.account && !stopNotifications) stopNotifications = startNotifications();
  else if (!session.account && stopNotifications) { stopNotifications(); stopNotifications = null; }
};

const needsLogin = (render: (v: HTMLElement, p: string[]) => any) => (v: HTMLElement, p: string[]) => {
  if (!session.account) { navigate("#/login"); return; }
  return render(v, p);
};

let rerender = () => {};
onSessionChange(() => { followSession(); renderHeader(); renderKycNote(); });
await Promise.all([loadMe(), firstStatus]);
followSession();
rerender = startRouter(view, {
  markets: marketsPage,
  trade: tradePage,
  portfolio: needsLogin(portfolioPage),
  orders: needsLogin(ordersPage),
  keys: needsLogin(keysPage),
  security: needsLogin(securityPage),
  support: needsLogin(supportPage),
  deposit: needsLogin(depositPage),
  withdraw: needsLogin(withdrawPage),
  "bank-accounts": needsLogin(bankAccountsPage),
  crypto: needsLogin(cryptoPage),
  kyc: needsLogin(kycPage),
  por: needsLogin(porPage),
  verify: verifyPage,
  login: loginPage,
  signup: signupPage,
  forgot: forgotPage,
  "reset-password": resetPage,
}, "markets", (name) => { route = name; menuOpen = false; renderHeader(); renderBanner(); });
