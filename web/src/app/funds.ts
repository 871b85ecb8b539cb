// THB in and out (docs/web-api.md, "Funds: THB deposits and withdrawals"): a deposit by Thai QR
// (#/deposit: the amount, the server's QR with its expiry counting down, Ref1/Ref2, my deposits
// with their timelines), a withdrawal (#/withdraw: the daily limit left, an active bank account,
// the fee and what arrives, the 2FA code; my withdrawals, cancel while allowed) and the bank
// accounts withdrawals go to (#/bank-accounts). The forms check what they can first; the server
// decides and its message is shown by the field it names, else next to the form.
import { h, clear, field, every, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { t, dateTime, getLang } from "../lib/i18n";
import { amount as shownAmount } from "../lib/amounts";
import { showRefusal } from "../lib/support";
import {
  satang, thb, minus, amountProblem, svgElement, copyButton, countdown,
  type FundsInfo, type Bank, type BankAccount, type Deposit, type Withdrawal, type TimelineEntry,
} from "../lib/funds";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const showError = (box: HTMLElement, e: unknown) => { box.textContent = message(e); };
const baht = (s: string | null | undefined) => (s === null || s === undefined || s === "" ? "—" : `฿${shownAmount(s, "THB")}`);

const DEPOSIT_STATUS: Record<string, string> = {
  awaiting_payment: "Awaiting payment", credited: "Credited", expired: "Expired", exception: "Being checked by our team", refunded: "Refunded",
};
const WITHDRAWAL_STATUS: Record<string, string> = {
  requested: "Requested", awaiting_2fa: "Awaiting 2FA", awaiting_approval: "Awaiting approval", approved: "Approved", processing: "Processing",
  sent: "Sent to the bank", unknown_outcome: "Checking with the bank", completed: "Completed", rejected: "Rejected", cancelled: "Cancelled", refunded: "Refunded",
};
const ACCOUNT_STATUS: Record<string, string> = {
  pending_verification: "Pending verification", cooling_off: "Cooling off", active: "Active", rejected: "Rejected",
};
// A timeline entry may name a step that is not a status of its own (e.g. "created").
const STEP: Record<string, string> = { created: "Request created", ...DEPOSIT_STATUS, ...WITHDRAWAL_STATUS };

const statusText = (labels: Record<string, string>, s: string) => (labels[s] ? t(labels[s]) : s.replace(/_/g, " "));

function badge(labels: Record<string, string>, status: string, testid?: string) {
  return h("span", { class: `badge fund-status st-${status}`, "data-status": status, "data-testid": testid }, statusText(labels, status));
}

function timeline(entries: TimelineEntry[] | undefined): HTMLElement {
  return h("ol", { class: "timeline fund-timeline", "aria-label": t("Status timeline") }, (entries ?? []).map((e) =>
    h("li", { "data-status": e.status }, h("span", { class: "muted small" }, dateTime(e.at_ms)), " ", h("b", {}, statusText(STEP, e.status)),
      e.note ? h("span", { class: "muted" }, ` — ${e.note}`) : null)));
}

/** A hint under a field's input, above its error slot. */
function hint(f: ReturnType<typeof field>, el: HTMLElement): void {
  f.wrap.insertBefore(el, f.input.nextSibling);
}

/** The words for an amount the form refused before sending. */
function amountText(problem: ReturnType<typeof amountProblem>, min: string, max: string): string | null {
  switch (problem) {
    case "required": return t("Required.");
    case "format": return t("Enter an amount in baht with at most two decimals, e.g. 1500.00.");
    case "min": return `${t("The minimum is")} ${baht(min)}.`;
    case "max": return `${t("The maximum is")} ${baht(max)}.`;
    default: return null;
  }
}

let banksCache: Promise<Bank[]> | null = null;
function banks(): Promise<Bank[]> {
  banksCache ??= get<{ banks: Bank[] }>("/web/api/funds/banks").then((r) => r.banks);
  banksCache.catch(() => (banksCache = null));
  return banksCache;
}

/** A bank's name in the reader's language (Thai name in Thai). */
function bankName(list: Bank[], code: string, fallback?: string): string {
  const b = list.find((x) => x.code === code);
  if (!b) return fallback || code;
  return getLang() === "th" && b.name_th ? b.name_th : b.name;
}

// ---- deposit ----

export async function depositPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Deposit THB")));
  const err = errorBox();
  let info: FundsInfo;
  try {
    info = await get<FundsInfo>("/web/api/funds");
  } catch (e) {
    showError(err, e);
    view.append(err);
    return;
  }
  const { min_thb: min, max_thb: max, expiry_ms: expiry } = info.deposit;
  const amount = field(t("Amount (THB)"), h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: min }));
  hint(amount, h("div", { class: "muted small", "data-testid": "deposit-bounds" },
    `${t("Minimum")} ${baht(min)} · ${t("Maximum")} ${baht(max)} · ${t("The QR code is valid for")} ${Math.round(expiry / 60000)} ${t("minutes")}`));
  const submit = h("button", { type: "submit" }, t("Create the QR code"));
  const form = h("form", { novalidate: true, "aria-label": t("Deposit THB") }, amount.wrap, submit, err);
  const card = h("section", { class: "panel deposit-card", "data-testid": "deposit-card", "aria-label": t("Pay with a Thai QR code"), "aria-live": "polite" });
  card.hidden = true;
  const list = h("section", { "aria-label": t("My deposits") });
  view.append(h("p", { class: "muted" }, t("Scan the QR code with your bank's app and pay the exact amount from an account in your own name.")),
    form, card, h("h2", {}, t("My deposits")), list);

  let shown: Deposit | null = null;
  let skew = 0; // server clock − ours, from the last deposit created here
  let tick: () => void = () => {};

  const showCard = (d: Deposit) => {
    shown = d;
    const qr = d.qr_svg ? svgElement(d.qr_svg) : null;
    if (qr) qr.setAttribute("aria-label", `${t("Thai QR code for")} ${baht(d.amount)}`);
    const timer = h("p", { class: "qr-timer", role: "timer", "aria-live": "off", "data-testid": "deposit-expiry" });
    const status = h("span", {}, badge(DEPOSIT_STATUS, d.status, "deposit-card-status"));
    const qrBox = h("div", { class: "qr" }, qr ?? h("p", { class: "form-error" }, t("The QR picture cannot be shown: pay with the code below.")));
    clear(card,
      h("h2", {}, `${t("Scan to pay")} ${baht(d.amount)}`),
      qrBox, timer,
      h("dl", { class: "kv" },
        h("dt", {}, t("Amount")), h("dd", {}, baht(d.amount)),
        h("dt", {}, "Ref1"), h("dd", { class: "mono", "data-testid": "ref1" }, d.ref1),
        h("dt", {}, "Ref2"), h("dd", { class: "mono", "data-testid": "ref2" }, d.ref2),
        h("dt", {}, t("Status")), h("dd", {}, status)),
      h("div", { class: "qr-payload" }, h("div", { class: "muted small" }, t("QR code as text")),
        h("code", { class: "mono", "data-testid": "qr-payload" }, d.qr_payload), " ",
        copyButton(() => d.qr_payload, t("Copy"), t("Copied"), t("Copy the QR code text"))),
      h("p", { class: "muted small" }, t("One payment only, of exactly this amount. Money from someone else's account is held for checking.")));
    card.hidden = false;
    tick = () => {
      const d2 = shown!;
      clear(status, badge(DEPOSIT_STATUS, d2.status, "deposit-card-status"));
      const left = d2.expires_ms - (Date.now() + skew);
      const waiting = d2.status === "awaiting_payment";
      qrBox.classList.toggle("expired", !waiting || left <= 0);
      if (d2.status === "credited") timer.textContent = t("Received: your THB balance is credited.");
      else if (!waiting) timer.textContent = statusText(DEPOSIT_STATUS, d2.status);
      else if (left <= 0) timer.textContent = t("This QR code has expired: create a new one.");
      else timer.textContent = `${t("Expires in")} ${countdown(left)}`;
    };
    tick();
  };

  const renderList = (deposits: Deposit[]) => {
    clear(list, deposits.length ? deposits.map((d) => h("article", { class: "fund-item", "data-testid": "deposit", "data-id": String(d.id), "data-ref2": d.ref2 },
      h("div", { class: "row-between" }, h("b", {}, baht(d.amount)), badge(DEPOSIT_STATUS, d.status, "deposit-status")),
      h("div", { class: "muted small" }, `${dateTime(d.created_ms)} · Ref1 ${d.ref1} · Ref2 ${d.ref2}`),
      timeline(d.timeline),
      d.status === "awaiting_payment" && d.expires_ms > Date.now() + skew
        ? h("button", { type: "button", class: "small", onclick: () => { showCard(d); card.scrollIntoView({ block: "nearest" }); } }, t("Show the QR code")) : null))
      : h("p", { class: "muted" }, t("No deposits yet.")));
  };

  const load = async () => {
    const r = await get<{ deposits: Deposit[] }>("/web/api/funds/deposits");
    renderList(r.deposits);
    if (shown) {
      const now = r.deposits.find((d) => String(d.id) === String(shown!.id));
      if (now) { shown = { ...shown, status: now.status, timeline: now.timeline }; tick(); }
    }
  };

  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const msg = amountText(amountProblem(amount.input.value, min, max), min, max);
    amount.error(msg);
    if (msg) { amount.input.focus(); return; }
    submit.disabled = true;
    try {
      const r = await post<{ deposit: Deposit }>("/web/api/funds/deposits", { amount: thb(satang(amount.input.value)!) });
      skew = r.deposit.created_ms ? r.deposit.created_ms - Date.now() : 0;
      if (Math.abs(skew) < 2000) skew = 0;
      showCard(r.deposit);
      await load().catch(() => {});
    } catch (e) {
      showRefusal(e, { amount }, err);
    } finally {
      submit.disabled = false;
    }
  };

  const timer = window.setInterval(() => { if (shown) tick(); }, 1000);
  const stop = every(5000, async () => {
    try { await load(); } catch (e) { clear(list, errorBox()); showError(list.firstElementChild as HTMLElement, e); }
  });
  return () => { clearInterval(timer); stop(); };
}

// ---- withdraw ----

export async function withdrawPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Withdraw THB")));
  const err = errorBox();
  const tiles = h("section", { class: "tiles", "aria-label": t("Limits") });
  const top = h("div");
  const formBox = h("section");
  const list = h("section", { "aria-label": t("My withdrawals") });
  const out = h("div", { class: "ok", role: "status", "aria-live": "polite" });
  view.append(tiles, top, out, formBox, h("h2", {}, t("My withdrawals")), list);

  let info: FundsInfo;
  let accounts: BankAccount[] = [];
  let bankList: Bank[] = [];
  let available: string | null = null;

  const renderTop = () => {
    const l = info.limit, w = info.withdraw;
    const tile = (label: string, value: Child, testid?: string) => h("div", { class: "tile" }, h("div", { class: "muted small" }, label), h("div", { class: "big", "data-testid": testid }, value));
    clear(tiles,
      tile(t("Left to withdraw today"), baht(l.left_thb), "limit-left"),
      h("div", { class: "tile" }, h("div", { class: "muted small" }, t("Daily limit")), h("div", { class: "big" }, baht(l.daily_thb)),
        h("div", { class: "muted small" }, `${t("Used today")} ${baht(l.used_thb)}`)),
      tile(t("Fee per withdrawal"), baht(w.fee_thb)),
      available !== null ? tile(t("Available THB"), baht(available), "available-thb") : null);
    clear(top, info.pending_withdrawal !== null && info.pending_withdrawal !== undefined
      ? h("p", { class: "notice panel", role: "note" }, t("You have a withdrawal in progress: one at a time. Wait for it to finish or cancel it below.")) : null);
  };

  const renderForm = () => {
    if (!info.two_factor) {
      clear(formBox, h("p", { class: "notice panel", role: "alert", "data-testid": "needs-2fa" },
        t("Two-factor authentication must be enabled before you can withdraw."), " ", h("a", { href: "#/security" }, t("Enable 2FA"))));
      return;
    }
    const active = accounts.filter((a) => a.status === "active");
    if (!active.length) {
      const waiting = accounts.filter((a) => a.status === "pending_verification" || a.status === "cooling_off");
      clear(formBox, h("p", { class: "notice panel", role: "note" },
        t(waiting.length ? "Your bank account is not ready yet: see its status." : "Add a bank account in your own name first."), " ",
        h("a", { href: "#/bank-accounts" }, t(waiting.length ? "Bank accounts" : "Add a bank account"))));
      return;
    }
    const w = info.withdraw;
    const acct = field(t("To bank account"), h("select", {}, active.map((a) =>
      h("option", { value: String(a.id) }, `${bankName(bankList, a.bank_code, a.bank)} ${a.account_no} · ${a.name}`))));
    const amount = field(t("Amount (THB)"), h("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: w.min_thb }));
    hint(amount, h("div", { class: "muted small" }, `${t("Minimum")} ${baht(w.min_thb)} · ${t("Maximum")} ${baht(w.max_thb)}`));
    const fee = h("dd", {}, baht(w.fee_thb)), receive = h("dd", { "data-testid": "receive" }, "—");
    const summary = h("dl", { class: "summary", "aria-label": t("What you receive") }, h("dt", {}, t("Fee")), fee, h("dt", {}, t("You receive")), receive);
    const code = field(t("2FA code"), h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6 }));
    const submit = h("button", { type: "submit" }, t("Withdraw"));
    const form = h("form", { novalidate: true, "aria-label": t("Withdraw THB") }, acct.wrap, amount.wrap, summary, code.wrap, submit, err,
      h("p", { class: "small" }, h("a", { href: "#/bank-accounts" }, t("Manage bank accounts"))));
    const update = () => {
      const u = satang(amount.input.value);
      const r = u === null ? null : minus(thb(u), w.fee_thb);
      receive.textContent = r !== null && !r.startsWith("-") && satang(r)! > 0n ? baht(r) : "—";
    };
    amount.input.addEventListener("input", update);
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      out.textContent = "";
      acct.error(null);
      let problem = amountText(amountProblem(amount.input.value, w.min_thb, w.max_thb), w.min_thb, w.max_thb);
      const u = satang(amount.input.value);
      if (!problem && u !== null) {
        const left = satang(info.limit.left_thb), feeU = satang(w.fee_thb) ?? 0n;
        if (left !== null && u > left) problem = `${t("More than you can withdraw today")} (${baht(info.limit.left_thb)}).`;
        else if (u <= feeU) problem = t("The amount must be more than the fee.");
      }
      amount.error(problem);
      const c = code.input.value.trim();
      const codeProblem = /^\d{6}$/.test(c) ? null : t("Enter the 6-digit code.");
      code.error(codeProblem);
      if (problem || codeProblem) { (problem ? amount.input : code.input).focus(); return; }
      submit.disabled = true;
      try {
        // The id as the server gave it (a number stays a number).
        const to = active.find((x) => String(x.id) === acct.input.value)?.id ?? acct.input.value;
        await post<{ withdrawal: Withdrawal }>("/web/api/funds/withdrawals", { bank_account_id: to, amount: thb(u!), totp: c });
        out.textContent = t("Withdrawal requested: it is checked and approved before it is sent.");
        amount.input.value = "";
        code.input.value = "";
        update();
        await refresh();
      } catch (e) {
        showRefusal(e, { bank_account_id: acct, amount, totp: code, code }, err);
      } finally {
        submit.disabled = false;
      }
    };
    clear(formBox, form);
  };

  const renderList = (ws: Withdrawal[]) => {
    clear(list, ws.length ? ws.map((x) => {
      const itemErr = errorBox();
      const cancel = x.can_cancel ? h("button", { type: "button", class: "small danger", "aria-label": `${t("Cancel")} #${x.id}` }, t("Cancel")) : null;
      if (cancel) cancel.onclick = async () => {
        itemErr.textContent = "";
        cancel.disabled = true;
        try { await post(`/web/api/funds/withdrawals/${encodeURIComponent(String(x.id))}/cancel`); out.textContent = t("Withdrawal cancelled."); await refresh(); }
        catch (e) { showError(itemErr, e); cancel.disabled = false; }
      };
      return h("article", { class: "fund-item", "data-testid": "withdrawal", "data-id": String(x.id) },
        h("div", { class: "row-between" }, h("b", {}, baht(x.amount)), badge(WITHDRAWAL_STATUS, x.status, "withdrawal-status")),
        h("div", { class: "muted small" }, `${dateTime(x.created_ms)} · ${x.bank} ${x.account_no} · #${x.id}`),
        h("div", { class: "small" }, `${t("Fee")} ${baht(x.fee)} · ${t("You receive")} `, h("span", { "data-testid": "withdrawal-receive" }, baht(x.receive))),
        x.reason ? h("p", { class: "small", "data-testid": "withdrawal-reason" }, `${t("Reason")}: ${x.reason}`) : null,
        timeline(x.timeline), cancel, itemErr);
    }) : h("p", { class: "muted" }, t("No withdrawals yet.")));
  };

  const refresh = async () => {
    const [i, a, w] = await Promise.all([
      get<FundsInfo>("/web/api/funds"),
      get<{ accounts: BankAccount[] }>("/web/api/funds/bank-accounts"),
      get<{ withdrawals: Withdrawal[] }>("/web/api/funds/withdrawals"),
    ]);
    const formChanged = !info || i.two_factor !== info.two_factor || JSON.stringify(a.accounts.map((x) => [x.id, x.status])) !== JSON.stringify(accounts.map((x) => [x.id, x.status]));
    info = i;
    accounts = a.accounts;
    renderTop();
    if (formChanged) renderForm();
    renderList(w.withdrawals);
  };

  try {
    [bankList] = await Promise.all([banks().catch(() => []), refresh()]);
    const b = await get<{ assets: { asset: string; available: string }[] }>("/web/api/balances").catch(() => null);
    available = b?.assets.find((x) => x.asset === "THB")?.available ?? null;
    renderTop();
  } catch (e) {
    showError(err, e);
    view.append(err);
    return;
  }
  // Statuses move on the staff side: refresh the list (the form keeps what is typed unless the accounts changed).
  let first = true;
  return every(10000, async () => {
    if (first) { first = false; return; }
    if (document.activeElement && formBox.contains(document.activeElement)) return;
    await refresh().catch(() => {});
  });
}

// ---- bank accounts ----

export async function bankAccountsPage(view: HTMLElement) {
  view.append(h("h1", {}, t("Bank accounts")),
    h("p", { class: "muted" }, t("Withdrawals go only to a bank account in your own name, as on your verified identity. We check a new account first; it can be used after a short waiting period.")));
  const list = h("section", { "aria-label": t("My bank accounts") });
  const formBox = h("section");
  const out = h("div", { class: "ok", role: "status", "aria-live": "polite" });
  const err = errorBox();
  view.append(list, out, formBox);
  let bankList: Bank[] = [];

  const statusLine = (a: BankAccount): Child => {
    const b = badge(ACCOUNT_STATUS, a.status, "account-status");
    if (a.status === "cooling_off" && a.usable_from_ms) return [b, " ", h("span", { class: "small" }, `${t("usable from")} ${dateTime(a.usable_from_ms)}`)];
    if (a.status === "rejected" && a.reason) return [b, " ", h("span", { class: "small" }, `${t("Reason")}: ${a.reason}`)];
    if (a.status === "pending_verification") return [b, " ", h("span", { class: "muted small" }, t("We check it soon."))];
    return b;
  };

  const load = async () => {
    const r = await get<{ accounts: BankAccount[] }>("/web/api/funds/bank-accounts");
    clear(list, h("h2", {}, t("My bank accounts")), r.accounts.length ? r.accounts.map((a) =>
      h("article", { class: "fund-item", "data-testid": "bank-account", "data-id": String(a.id) },
        h("div", { class: "row-between" }, h("b", {}, bankName(bankList, a.bank_code, a.bank)), h("span", { class: "mono" }, a.account_no)),
        h("div", {}, a.name),
        h("div", {}, statusLine(a)),
        h("div", { class: "muted small" }, `${t("Added")} ${dateTime(a.created_ms)}`)))
      : h("p", { class: "muted" }, t("No bank accounts yet.")));
  };

  try {
    bankList = await banks();
    await load();
  } catch (e) {
    showError(err, e);
    view.append(err);
    return;
  }

  const bank = field(t("Bank"), h("select", {}, h("option", { value: "" }, t("Choose…")),
    bankList.map((b) => h("option", { value: b.code }, getLang() === "th" && b.name_th ? b.name_th : b.name))));
  const number = field(t("Account number"), h("input", { type: "text", inputmode: "numeric", autocomplete: "off" }));
  const digitsHint = h("div", { class: "muted small" });
  hint(number, digitsHint);
  const name = field(t("Account name (as on your verified identity)"), h("input", { type: "text", autocomplete: "name", maxlength: 200 }));
  const submit = h("button", { type: "submit" }, t("Add the account"));
  const form = h("form", { novalidate: true, "aria-label": t("Add a bank account") }, h("h2", {}, t("Add a bank account")), bank.wrap, number.wrap, name.wrap, submit, err);
  const chosen = () => bankList.find((b) => b.code === bank.input.value);
  const showDigits = () => {
    const b = chosen();
    digitsHint.textContent = b?.digits?.length ? `${b.digits.join(` ${t("or")} `)} ${t("digits")}` : "";
  };
  bank.input.addEventListener("change", () => { bank.error(null); showDigits(); });
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    out.textContent = "";
    const b = chosen();
    const no = number.input.value.replace(/[\s-]/g, "");
    const nm = name.input.value.trim();
    const bankProblem = b ? null : t("Choose your bank.");
    const noProblem = !no ? t("Required.") : !/^\d+$/.test(no) ? t("Digits only.")
      : b?.digits?.length && !b.digits.includes(no.length) ? `${t("An account number of this bank has")} ${b.digits.join(` ${t("or")} `)} ${t("digits")}.` : null;
    const nameProblem = nm ? null : t("Required.");
    bank.error(bankProblem);
    number.error(noProblem);
    name.error(nameProblem);
    if (bankProblem || noProblem || nameProblem) return;
    submit.disabled = true;
    try {
      await post<{ account: BankAccount }>("/web/api/funds/bank-accounts", { bank_code: b!.code, account_no: no, name: nm });
      out.textContent = t("Account added: we check it before it can be used.");
      number.input.value = "";
      await load();
    } catch (e) {
      showRefusal(e, { bank_code: bank, account_no: number, name }, err);
    } finally {
      submit.disabled = false;
    }
  };
  clear(formBox, form);
  let first = true;
  return every(15000, async () => {
    if (first) { first = false; return; }
    await load().catch(() => {});
  });
}
