// Crypto in and out (docs/web-api.md, "Crypto"): per network the deposit address with its QR and
// the deposits confirming live (n of N, refreshed every few seconds), the withdrawal whitelist
// (a new address needs the 2FA code and waits out its cooling-off), a withdrawal to a trusted
// address with the fee and what arrives, and my withdrawals with their state on the chain. The
// forms check what they can first; the server decides and its message is shown by the field it
// names, else next to the form.
import { h, clear, field, every, table } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { t, dateTime } from "../lib/i18n";
import { coin } from "../lib/amounts";
import { showRefusal } from "../lib/support";
import { svgElement, copyButton } from "../lib/funds";
import { fromUnits, toUnits } from "../lib/dec";

interface Network {
  network: string; asset: string; name: string; decimals: number; deposit_enabled: boolean; withdraw_enabled: boolean;
  min_confirmations: number; dust: string; withdraw_min: string; withdraw_fee: string; cooling_off_ms: number; address: string | null;
}
interface Deposit {
  network: string; asset: string; txid: string; output_index: number; amount: string; status: string;
  confirmations: number; required_confirmations: number; seen_ms: number; credited_ms: number | null;
}
interface WhitelistEntry { network: string; address: string; label: string; added_ms: number; usable_from_ms: number; usable: boolean }
interface Withdrawal {
  id: string; network: string; asset: string; address: string; amount: string; receives: string; fee: string; status: string;
  can_cancel: boolean; txid: string | null; confirmations: number; reason: string | null; created_ms: number;
}

const DEPOSIT_STATUS: Record<string, string> = {
  confirming: "Confirming", credited: "Credited", dropped: "Dropped by a reorganisation", dust: "Below the minimum: not credited", reorged: "Under review",
};
const WITHDRAWAL_STATUS: Record<string, string> = {
  requested: "Requested", awaiting_approval: "Awaiting approval", approved: "Approved", signed: "Sending", broadcast: "Sent: confirming",
  completed: "Completed", rejected: "Rejected", cancelled: "Cancelled",
};
const label = (labels: Record<string, string>, s: string) => (labels[s] ? t(labels[s]) : s.replace(/_/g, " "));
const short = (s: string) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-8)}` : s);
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

interface Limit { asset: string; daily: string; used: string; left: string }
interface Info { enabled: boolean; two_factor: boolean; networks: Network[]; limit: Limit | null }

export async function cryptoPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Crypto deposits and withdrawals")));
  const info = await get<Info>("/web/api/crypto/networks");
  if (!info.enabled || !info.networks.length) {
    view.append(h("p", { class: "notice panel", role: "note", "data-testid": "crypto-off" }, t("Crypto deposits and withdrawals are not offered on this exchange.")));
    return;
  }
  // One network at a time (LTC, ETH, a token…): picking another draws its page afresh.
  const picker = h("select", { "data-testid": "crypto-network" }, info.networks.map((n) => h("option", { value: n.network }, `${n.asset} · ${n.name}`)));
  const body = h("div", {});
  view.append(field(t("Network"), picker).wrap, body);
  let stop = await networkPage(body, info, info.networks[0]);
  picker.onchange = async () => {
    stop?.();
    clear(body);
    const net = info.networks.find((n) => n.network === picker.value) ?? info.networks[0];
    stop = await networkPage(body, await get<Info>("/web/api/crypto/networks"), net);
  };
  return () => stop?.();
}

async function networkPage(view: HTMLElement, info: Info, net: Network): Promise<(() => void) | undefined> {
  const depositBox = h("section", { class: "panel", "aria-label": t("Deposit") });
  const deposits = h("section", { "aria-label": t("My deposits") });
  const whitelistBox = h("section", { "aria-label": t("Withdrawal addresses") });
  const withdrawBox = h("section", { "aria-label": t("Withdraw") });
  const withdrawals = h("section", { "aria-label": t("My withdrawals") });
  view.append(
    h("h2", {}, `${t("Deposit")} ${net.asset}`), depositBox, h("h3", {}, t("My deposits")), deposits,
    h("h2", {}, `${t("Withdraw")} ${net.asset}`), withdrawBox, h("h3", {}, t("Withdrawal addresses")), whitelistBox,
    h("h3", {}, t("My withdrawals")), withdrawals);

  renderDeposit(depositBox, net);
  // The forms are drawn again only when the whitelist changed (not on every refresh, which would
  // wipe what the customer is typing); `null` draws them the first time.
  let whitelistSeen: string | null = null;
  const refresh = async () => {
    const [d, w, l] = await Promise.all([
      get<{ deposits: Deposit[] }>("/web/api/crypto/deposits"),
      get<{ withdrawals: Withdrawal[] }>("/web/api/crypto/withdrawals"),
      get<{ whitelist: WhitelistEntry[] }>("/web/api/crypto/whitelist"),
    ]);
    renderDeposits(deposits, d.deposits);
    renderWithdrawals(withdrawals, w.withdrawals, refresh);
    const seen = JSON.stringify(l.whitelist);
    if (seen !== whitelistSeen) {
      whitelistSeen = seen;
      renderWhitelist(whitelistBox, net, info.two_factor, l.whitelist, refresh);
      renderWithdraw(withdrawBox, net, info.two_factor, info.limit, l.whitelist, refresh);
    }
  };
  await refresh();
  // Confirmations arrive with the chain's blocks: follow them while the page is open.
  return every(4000, refresh);
}

function renderDeposit(box: HTMLElement, net: Network) {
  const status = h("p", { class: "muted small" });
  const show = (address: string, qr: string | null) => {
    const picture = qr ? svgElement(qr) : null;
    clear(box,
      h("p", {}, `${t("Send only")} ${net.asset} (${net.name}) ${t("to this address. It is yours alone and stays the same.")}`),
      picture ? h("div", { class: "qr" }, picture) : null,
      h("p", {}, h("code", { "data-testid": "deposit-address" }, address), " ", copyButton(() => address, t("Copy"), t("Copied"), t("Copy the address"))),
      h("p", { class: "muted small" }, `${t("Credited after")} ${net.min_confirmations} ${t("confirmations (more for large amounts). Below")} ${coin(net.dust, net.asset)} ${t("is not credited.")}`),
      status);
  };
  if (!net.deposit_enabled) {
    clear(box, h("p", { class: "notice", role: "note" }, t("Deposits on this network are suspended for now.")));
    return;
  }
  const make = h("button", { type: "button", "data-testid": "show-address" }, t("Show my deposit address"));
  make.onclick = async () => {
    make.disabled = true;
    try {
      const r = await post<{ address: string; qr_svg: string }>("/web/api/crypto/address", { network: net.network });
      show(r.address, r.qr_svg);
    } catch (e) {
      status.textContent = message(e);
      make.disabled = false;
    }
  };
  clear(box, h("p", {}, t("Your deposit address is made for you when you first ask for it.")), make, status);
  if (net.address) make.click();
}

function renderDeposits(box: HTMLElement, rows: Deposit[]) {
  clear(box, table([t("Time"), t("Amount"), t("Status"), t("Confirmations"), t("Transaction")], rows.map((d) => [
    dateTime(d.seen_ms),
    coin(d.amount, d.asset),
    h("span", { class: `badge st-${d.status}`, "data-status": d.status, "data-testid": "deposit-status" }, label(DEPOSIT_STATUS, d.status)),
    d.status === "confirming" ? `${d.confirmations} / ${d.required_confirmations}` : String(d.confirmations),
    h("code", { title: d.txid }, short(d.txid)),
  ]), t("My deposits")));
}

function renderWhitelist(box: HTMLElement, net: Network, twoFactor: boolean, rows: WhitelistEntry[], refresh: () => Promise<void>) {
  const list = table([t("Label"), t("Address"), t("Usable")], rows.map((w) => [
    w.label || "—",
    h("code", {}, w.address),
    w.usable ? t("Yes") : `${t("From")} ${dateTime(w.usable_from_ms)}`,
  ]), t("Withdrawal addresses"));
  if (!twoFactor) {
    clear(box, list, h("p", { class: "notice", role: "note" }, t("Two-factor authentication must be enabled before you can add an address."), " ", h("a", { href: "#/security" }, t("Enable 2FA"))));
    return;
  }
  const err = h("div", { class: "form-error", role: "alert" });
  const address = field(t("Address"), h("input", { type: "text", autocomplete: "off", spellcheck: false }));
  const name = field(t("Label (optional)"), h("input", { type: "text", maxlength: 60 }));
  const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
  const submit = h("button", { type: "submit" }, t("Add address"));
  const hours = Math.round(net.cooling_off_ms / 3_600_000);
  const form = h("form", { novalidate: true, "aria-label": t("Add a withdrawal address") },
    h("p", { class: "muted small" }, `${t("A new address can be used")} ${hours} ${t("hours after you add it, so a stolen session cannot send your coins away at once.")}`),
    address.wrap, name.wrap, code.wrap, submit, err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const a = address.input.value.trim();
    address.error(a ? null : t("Required."));
    const c = code.input.value.trim();
    code.error(/^\d{6}$/.test(c) ? null : t("Enter the 6-digit code."));
    if (!a || !/^\d{6}$/.test(c)) return;
    submit.disabled = true;
    try {
      await post("/web/api/crypto/whitelist", { network: net.network, address: a, label: name.input.value.trim(), totp: c });
      await refresh();
    } catch (e) {
      showRefusal(e, { address, totp: code, label: name }, err);
      submit.disabled = false;
    }
  };
  clear(box, list, form);
}

function renderWithdraw(box: HTMLElement, net: Network, twoFactor: boolean, limit: Limit | null, whitelist: WhitelistEntry[], refresh: () => Promise<void>) {
  if (!net.withdraw_enabled) {
    clear(box, h("p", { class: "notice panel", role: "note" }, t("Withdrawals on this network are suspended for now.")));
    return;
  }
  if (!twoFactor) {
    clear(box, h("p", { class: "notice panel", role: "alert", "data-testid": "needs-2fa" }, t("Two-factor authentication must be enabled before you can withdraw."), " ", h("a", { href: "#/security" }, t("Enable 2FA"))));
    return;
  }
  const usable = whitelist.filter((w) => w.usable && w.network === net.network);
  if (!usable.length) {
    clear(box, h("p", { class: "notice panel", role: "note", "data-testid": "no-trusted-address" }, t("Withdrawals go only to an address on your list once its waiting time is over. Add one below.")));
    return;
  }
  const err = h("div", { class: "form-error", role: "alert" });
  const out = h("div", { class: "ok", role: "status", "aria-live": "polite" });
  const to = field(t("To address"), h("select", {}, usable.map((w) => h("option", { value: w.address }, w.label ? `${w.label} · ${short(w.address)}` : w.address))));
  const amount = field(`${t("Amount")} (${net.asset})`, h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: net.withdraw_min }));
  const receive = h("dd", { "data-testid": "crypto-receive" }, "—");
  const summary = h("dl", { class: "summary" }, h("dt", {}, t("Fee")), h("dd", {}, coin(net.withdraw_fee, net.asset)), h("dt", {}, t("You receive")), receive);
  // One daily budget in THB for THB and every coin, each withdrawal valued when it is made.
  if (limit) summary.append(h("dt", {}, t("Left to withdraw today")), h("dd", { "data-testid": "crypto-limit-left" }, `${coin(limit.left, limit.asset)} / ${coin(limit.daily, limit.asset)}`));
  const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
  const submit = h("button", { type: "submit" }, t("Withdraw"));
  const units = (s: string) => toUnits(s.trim(), net.decimals);
  amount.input.addEventListener("input", () => {
    const u = units(amount.input.value), fee = toUnits(net.withdraw_fee, net.decimals)!;
    receive.textContent = u !== null && u > fee ? coin(fromUnits(u - fee, net.decimals), net.asset) : "—";
  });
  const form = h("form", { novalidate: true, "aria-label": `${t("Withdraw")} ${net.asset}` },
    h("p", { class: "muted small" }, `${t("Minimum")} ${coin(net.withdraw_min, net.asset)} · ${t("the fee is included in the amount.")}`),
    to.wrap, amount.wrap, summary, code.wrap, submit, err, out);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    out.textContent = "";
    const u = units(amount.input.value), min = toUnits(net.withdraw_min, net.decimals)!, fee = toUnits(net.withdraw_fee, net.decimals)!;
    const problem = u === null ? `${t("Enter an amount with at most")} ${net.decimals} ${t("decimals.")}` : u < min ? `${t("The minimum is")} ${coin(net.withdraw_min, net.asset)}.` : u <= fee ? t("The amount must be more than the fee.") : null;
    amount.error(problem);
    const c = code.input.value.trim();
    code.error(/^\d{6}$/.test(c) ? null : t("Enter the 6-digit code."));
    if (problem || !/^\d{6}$/.test(c)) return;
    submit.disabled = true;
    try {
      await post("/web/api/crypto/withdrawals", { network: net.network, address: to.input.value, amount: amount.input.value.trim(), totp: c });
      out.textContent = t("Withdrawal requested: it is checked, approved where needed, then sent on the chain.");
      amount.input.value = "";
      code.input.value = "";
      await refresh();
    } catch (e) {
      showRefusal(e, { amount, totp: code, address: to }, err);
    } finally {
      submit.disabled = false;
    }
  };
  clear(box, form);
}

function renderWithdrawals(box: HTMLElement, rows: Withdrawal[], refresh: () => Promise<void>) {
  clear(box, table([t("Time"), t("Amount"), t("You receive"), t("To"), t("Status"), t("Transaction"), ""], rows.map((w) => {
    const cancel = w.can_cancel ? h("button", { type: "button", class: "small" }, t("Cancel")) : null;
    if (cancel) cancel.onclick = async () => {
      cancel.disabled = true;
      try { await post(`/web/api/crypto/withdrawals/${encodeURIComponent(w.id)}/cancel`); await refresh(); } catch (e) { cancel.disabled = false; alert(message(e)); }
    };
    return [
      dateTime(w.created_ms),
      coin(w.amount, w.asset),
      coin(w.receives, w.asset),
      h("code", { title: w.address }, short(w.address)),
      h("span", { class: `badge st-${w.status}`, "data-status": w.status, "data-testid": "withdrawal-status" }, label(WITHDRAWAL_STATUS, w.status), w.reason ? ` — ${w.reason}` : ""),
      w.txid ? h("code", { title: w.txid }, `${short(w.txid)} (${w.confirmations})`) : "—",
      cancel,
    ];
  }), t("My withdrawals")));
}
