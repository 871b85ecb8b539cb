// Funds in the console (docs/web-api.md, "Funds: THB deposits and withdrawals"), one page with
// tabs (#/funds/<tab>): withdrawals awaiting approval (maker-checker: who asked, the tier needed,
// the approvals so far; approve, reject with a reason), bank accounts to verify, payout batches
// (create from the approved withdrawals, the CSV file), bank statements to import (camt.053 or
// CSV, from a file or pasted), exceptions (propose an action; a second staff member approves
// it) and the daily reconciliation (run for a date, the reports with their items and CSV, the
// difference charted per day). The server decides every rule (roles, four eyes) and says why.
import { h, clear, field, table, every, type Child } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime, num } from "../lib/i18n";
import { dateBarChart } from "../lib/chart";
import { ageText, fieldFor } from "../lib/kyc";
import { bangkokToday, satang, thb, type BankAccount, type StaffWithdrawal, type PayoutBatch, type ImportSummary, type FundsException, type ReconReport } from "../lib/funds";
import { staffMe, type StaffMe } from "./support";
import { can } from "./access";

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const words = (s: unknown) => String(s ?? "").replace(/_/g, " ");
const baht = (s: string | null | undefined) => (s === null || s === undefined || s === "" ? "—" : `฿${num(s, 2)}`);
const badge = (status: string, testid?: string) => h("span", { class: `badge st-${status}`, "data-status": status, "data-testid": testid }, words(status));
const enc = (id: unknown) => encodeURIComponent(String(id));
const reasonInput = (label: string) => field(label, h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));

interface Ctx {
  me: StaffMe | null;
  /** May approve withdrawals (finance, admin; compliance as the independent checker). */
  approves: boolean;
  /** May verify accounts, import statements, create payouts, propose and approve exceptions. */
  acts: boolean;
  done: (text: string) => void;
  /** Clears the outcome line (a refusal is shown next to what was refused). */
  quiet: () => void;
}

const TABS: { id: string; title: string; render: (box: HTMLElement, ctx: Ctx) => Promise<void | (() => void)> }[] = [
  { id: "withdrawals", title: "Withdrawals", render: withdrawalsTab },
  { id: "bank-accounts", title: "Bank accounts", render: bankAccountsTab },
  { id: "payouts", title: "Payouts", render: payoutsTab },
  { id: "statements", title: "Statements", render: statementsTab },
  { id: "exceptions", title: "Exceptions", render: exceptionsTab },
  { id: "reconciliation", title: "Reconciliation", render: reconciliationTab },
];

export async function fundsPage(view: HTMLElement, params: string[]) {
  const tab = TABS.find((x) => x.id === params[0]) ?? TABS[0];
  const out = h("div", { role: "status", "aria-live": "polite", "data-testid": "funds-outcome" });
  const box = h("section", { "aria-label": tab.title });
  view.append(h("h1", {}, "Funds"),
    h("nav", { class: "tabs", "aria-label": "Funds" }, TABS.map((x) => h("a", { href: `#/funds/${x.id}`, class: x === tab ? "active" : "", "aria-current": x === tab ? "page" : undefined }, x.title))),
    out, box);
  const me = await staffMe().catch(() => null);
  const acts = can("funds.operate");
  const ctx: Ctx = {
    me, acts, approves: can("funds.approve") || can("funds.check"),
    done: (text) => { out.className = "ok"; out.textContent = text; },
    quiet: () => { out.className = ""; out.textContent = ""; },
  };
  return tab.render(box, ctx);
}

/** A list that reloads every 15 s, except while someone is typing in it. */
function poll(box: HTMLElement, load: () => Promise<void>): () => void {
  let first = true;
  return every(15000, async () => {
    if (first) { first = false; return; }
    if (document.activeElement && box.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") return;
    await load();
  });
}

function statusFilter(values: [string, string][], initial: string, onChange: (v: string) => void) {
  const f = field("Show", h("select", {}, values.map(([v, label]) => h("option", { value: v, selected: v === initial }, label))));
  f.input.addEventListener("change", () => onChange(f.input.value));
  return h("form", { class: "filters", "aria-label": "Filter", onsubmit: (e: Event) => e.preventDefault() }, f.wrap);
}

// ---- withdrawals ----

const withdrawalFilter = { status: "open" };

function tierText(w: StaffWithdrawal): string {
  const n = Number(w.tier?.approvers ?? 1);
  return `${n} approver${n === 1 ? "" : "s"}${w.tier?.checker ? " + independent checker" : ""}`;
}

async function withdrawalsTab(box: HTMLElement, ctx: Ctx) {
  const err = errorBox(), list = h("div");
  box.append(statusFilter([["open", "awaiting approval"], ["all", "all"]], withdrawalFilter.status, (v) => { withdrawalFilter.status = v; load(); }),
    h("p", { class: "muted small" }, "Four eyes: from THB 2,000,000 two different approvers, from THB 50,000,000 also an independent checker (compliance). The same person cannot approve twice."),
    err, list);

  const load = async () => {
    try {
      const r = await get<{ withdrawals: StaffWithdrawal[] }>(`/web/api/console/funds/withdrawals?status=${withdrawalFilter.status}`);
      err.textContent = "";
      clear(list, h("div", { class: "text-table" }, table(["#", "Customer", "Amount", "Fee", "Receives", "To", "Status", "Requested", "Needs", "Approvals so far", "Batch", "Decision"],
        r.withdrawals.map((w) => [String(w.id), w.user_email ?? `user ${w.user_id}`, baht(w.amount), baht(w.fee), baht(w.receive), `${w.bank} ${w.account_no}`,
          [badge(w.status), w.reason ? h("div", { class: "small" }, `reason: ${w.reason}`) : null], dateTime(w.created_ms), tierText(w),
          w.approvals?.length ? h("ul", { class: "plain" }, w.approvals.map((a) => h("li", {}, `${a.staff_email} (${a.kind}) ${dateTime(a.at_ms)}`))) : h("span", { class: "muted" }, "none yet"),
          w.payout_batch !== null && w.payout_batch !== undefined ? `#${w.payout_batch}` : "—",
          ctx.approves && w.status === "awaiting_approval" ? decision(w) : "—"]), "Withdrawals")));
    } catch (e) { err.textContent = message(e); }
  };

  const decision = (w: StaffWithdrawal) => {
    const reason = reasonInput(`Reason for rejecting withdrawal ${w.id}`);
    const rowErr = errorBox();
    const act = async (what: "approve" | "reject") => {
      rowErr.textContent = "";
      const body: Record<string, unknown> = {};
      if (what === "reject") {
        const r = reason.input.value.trim();
        if (!r) { reason.error("Give a reason: the customer sees it."); reason.input.focus(); return; }
        reason.error(null);
        body.reason = r;
      }
      try {
        const res = await post<{ withdrawal: StaffWithdrawal }>(`/web/api/console/funds/withdrawals/${enc(w.id)}/${what}`, body);
        const s = res.withdrawal?.status ?? "";
        ctx.done(what === "reject" ? `Withdrawal #${w.id} rejected.`
          : s === "awaiting_approval" ? `Withdrawal #${w.id}: your approval is recorded; it needs ${tierText(res.withdrawal)}.`
          : `Withdrawal #${w.id} approved${s ? ` (${words(s)})` : ""}.`);
        await load();
      } catch (e) {
        if (fieldFor(e, { reason })) reason.error(message(e));
        else rowErr.textContent = message(e);
        ctx.quiet();
      }
    };
    return h("div", { class: "hit-decision" },
      h("div", { class: "actions" }, h("button", { type: "button", class: "small", "aria-label": `Approve withdrawal ${w.id}`, onclick: () => act("approve") }, "Approve")),
      reason.wrap,
      h("div", { class: "actions" }, h("button", { type: "button", class: "small danger", "aria-label": `Reject withdrawal ${w.id}`, onclick: () => act("reject") }, "Reject")), rowErr);
  };

  await load();
  return poll(box, load);
}

// ---- bank accounts ----

const accountFilter = { status: "pending" };

async function bankAccountsTab(box: HTMLElement, ctx: Ctx) {
  const err = errorBox(), list = h("div");
  box.append(statusFilter([["pending", "pending verification"], ["all", "all"]], accountFilter.status, (v) => { accountFilter.status = v; load(); }),
    h("p", { class: "muted small" }, "Verify only an account in the customer's own name, as on their verified identity. A verified account can be used after the cooling-off period."),
    err, list);

  const load = async () => {
    try {
      const r = await get<{ accounts: BankAccount[] }>(`/web/api/console/funds/bank-accounts?status=${accountFilter.status}`);
      err.textContent = "";
      clear(list, h("div", { class: "text-table" }, table(["#", "Customer", "Bank", "Account", "Name", "Status", "Added", "Decision"],
        r.accounts.map((a) => [String(a.id), a.user_email ?? "", `${a.bank} (${a.bank_code})`, h("span", { class: "mono nowrap" }, a.account_no), a.name,
          [badge(a.status), a.status === "cooling_off" && a.usable_from_ms ? h("div", { class: "small" }, `usable from ${dateTime(a.usable_from_ms)}`) : null,
            a.reason ? h("div", { class: "small" }, `reason: ${a.reason}`) : null],
          dateTime(a.created_ms), ctx.acts && a.status === "pending_verification" ? decision(a) : "—"]), "Bank accounts")));
    } catch (e) { err.textContent = message(e); }
  };

  const decision = (a: BankAccount) => {
    const reason = reasonInput(`Reason for rejecting bank account ${a.id}`);
    const rowErr = errorBox();
    const act = async (what: "verify" | "reject") => {
      rowErr.textContent = "";
      const body: Record<string, unknown> = {};
      if (what === "reject") {
        const r = reason.input.value.trim();
        if (!r) { reason.error("Give a reason: the customer sees it."); reason.input.focus(); return; }
        reason.error(null);
        body.reason = r;
      }
      try {
        const res = await post<{ account: BankAccount }>(`/web/api/console/funds/bank-accounts/${enc(a.id)}/${what}`, body);
        ctx.done(what === "verify" ? `Bank account #${a.id} verified${res.account?.status ? ` (${words(res.account.status)})` : ""}.` : `Bank account #${a.id} rejected.`);
        await load();
      } catch (e) {
        if (fieldFor(e, { reason })) reason.error(message(e));
        else rowErr.textContent = message(e);
        ctx.quiet();
      }
    };
    return h("div", { class: "hit-decision" },
      h("div", { class: "actions" }, h("button", { type: "button", class: "small", "aria-label": `Verify bank account ${a.id}`, onclick: () => act("verify") }, "Verify")),
      reason.wrap,
      h("div", { class: "actions" }, h("button", { type: "button", class: "small danger", "aria-label": `Reject bank account ${a.id}`, onclick: () => act("reject") }, "Reject")), rowErr);
  };

  await load();
  return poll(box, load);
}

// ---- payouts ----

async function payoutsTab(box: HTMLElement, ctx: Ctx) {
  const err = errorBox(), waiting = h("p", { "data-testid": "payout-waiting" }), list = h("div");
  const create = h("button", { type: "button" }, "Create a payout batch");
  box.append(h("p", { class: "muted small" }, "A batch takes every approved withdrawal not yet in a batch and marks them sent; upload its file to the bank."),
    waiting, h("div", { class: "actions", hidden: !ctx.acts }, create), err, h("h2", {}, "Batches"), list);

  const load = async () => {
    try {
      const [b, w] = await Promise.all([
        get<{ batches: PayoutBatch[] }>("/web/api/console/funds/payouts"),
        get<{ withdrawals: StaffWithdrawal[] }>("/web/api/console/funds/withdrawals?status=all").catch(() => null),
      ]);
      err.textContent = "";
      if (w) {
        const ready = w.withdrawals.filter((x) => x.status === "approved" && (x.payout_batch === null || x.payout_batch === undefined));
        const total = ready.reduce((sum, x) => sum + (satang(String(x.receive ?? "")) ?? 0n), 0n);
        waiting.textContent = `Approved withdrawals waiting for a batch: ${ready.length}${ready.length ? ` (${baht(thb(total))} to send)` : ""}.`;
      }
      clear(list, h("div", { class: "text-table" }, table(["#", "Created", "By", "Withdrawals", "Total", "Status", "File"],
        b.batches.map((x) => [String(x.id), dateTime(x.created_ms), x.created_by, String(x.count), baht(x.total), badge(x.status),
          h("a", { href: `/web/api/console/funds/payouts/${enc(x.id)}/csv`, download: `payout-${x.id}.csv`, "aria-label": `CSV of batch ${x.id}` }, "CSV")]), "Payout batches")));
    } catch (e) { err.textContent = message(e); }
  };

  create.onclick = async () => {
    err.textContent = "";
    create.disabled = true;
    try {
      const r = await post<{ batch: PayoutBatch }>("/web/api/console/funds/payouts", {});
      const x = r.batch;
      ctx.done(`Batch #${x.id}: ${x.count} withdrawal${x.count === 1 ? "" : "s"}, ${baht(x.total)}. Download its CSV below.`);
      await load();
    } catch (e) { err.textContent = message(e); ctx.quiet(); } finally { create.disabled = false; }
  };
  await load();
}

// ---- statements ----

const imports: ImportSummary[] = []; // this session's, newest first

async function statementsTab(box: HTMLElement, ctx: Ctx) {
  const format = field("Format", h("select", {}, h("option", { value: "camt053" }, "camt.053 (ISO 20022 XML)"), h("option", { value: "csv" }, "CSV")));
  const file = field("Statement file", h("input", { type: "file", accept: ".xml,.csv,.txt,text/xml,application/xml,text/csv" }));
  const content = field("…or paste the statement", h("textarea", { rows: 8, class: "statement", spellcheck: "false" }));
  const err = errorBox();
  const submit = h("button", { type: "submit" }, "Import");
  const summary = h("section", { "aria-label": "Import summary", "data-testid": "import-summary" });
  const history = h("div");
  const form = h("form", { novalidate: true, "aria-label": "Import a statement", class: "statement-form" }, h("h2", {}, "Import a bank statement"),
    h("p", { class: "muted small" }, "Each line enters once, by the bank's reference: importing the same statement again credits nothing more. Credits that match a deposit are credited, debits that match a payout settle the withdrawal, the rest become exceptions."),
    format.wrap, file.wrap, content.wrap, submit, err);
  if (ctx.acts) box.append(form);
  else box.append(h("p", { class: "muted" }, "Importing statements is for finance and admin."));
  box.append(summary, h("h2", {}, "Imports this session"), history);

  const fileInput = file.input as HTMLInputElement;
  fileInput.addEventListener("change", () => {
    const f = fileInput.files?.[0];
    file.error(null);
    if (f && /\.csv$/i.test(f.name)) format.input.value = "csv";
    else if (f && /\.xml$/i.test(f.name)) format.input.value = "camt053";
  });

  const renderHistory = () => clear(history, h("div", { class: "text-table" }, table(["#", "Statement date", "Lines", "Credited", "Settled", "Duplicates", "Exceptions"],
    imports.map((i) => [String(i.id), i.date, String(i.lines), String(i.credited), String(i.settled), String(i.duplicates), String(i.exceptions)]), "Imports")));
  renderHistory();

  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    for (const x of [format, file, content]) x.error(null);
    clear(summary);
    const f = fileInput.files?.[0];
    let text = "";
    try { text = f ? await f.text() : (content.input as HTMLTextAreaElement).value; } catch (x) { file.error(`The file cannot be read: ${String(x)}`); return; }
    if (!text.trim()) { (f ? file : content).error("Choose a statement file or paste its content."); return; }
    submit.disabled = true;
    try {
      const r = await post<{ import: ImportSummary }>("/web/api/console/funds/statements", { format: format.input.value, content: text });
      const i = r.import;
      imports.unshift(i);
      renderHistory();
      const kv = (k: keyof ImportSummary, label: string) => [h("dt", {}, label), h("dd", { "data-testid": `import-${k}` }, String(i[k] ?? "—"))];
      clear(summary, h("h2", {}, `Import #${i.id}`), h("dl", { class: "kv" }, kv("date", "Statement date"), kv("lines", "Lines"), kv("credited", "Credited"),
        kv("settled", "Settled"), kv("duplicates", "Duplicates (already imported)"), kv("exceptions", "Exceptions")),
        Number(i.exceptions) ? h("p", {}, h("a", { href: "#/funds/exceptions" }, "Open the exceptions")) : null);
      ctx.done(`Statement of ${i.date} imported: ${i.lines} lines, ${i.credited} credited, ${i.settled} settled, ${i.duplicates} duplicates, ${i.exceptions} exceptions.`);
    } catch (e) {
      const slot = fieldFor(e, { format, content, file });
      if (slot) slot.error(message(e)); else err.textContent = message(e);
      ctx.quiet();
    } finally { submit.disabled = false; }
  };
}

// ---- exceptions ----

const exceptionFilter = { status: "open" };

async function exceptionsTab(box: HTMLElement, ctx: Ctx) {
  const err = errorBox(), list = h("div");
  box.append(statusFilter([["open", "open and proposed"], ["all", "all"]], exceptionFilter.status, (v) => { exceptionFilter.status = v; load(); }),
    h("p", { class: "muted small" }, "Bank lines that could not be matched by themselves. One staff member proposes what to do; a different one approves it, and only then is it carried out."),
    err, list);

  const lineView = (x: FundsException) => {
    const l = x.line ?? ({} as FundsException["line"]);
    return h("dl", { class: "kv small" },
      h("dt", {}, "reference"), h("dd", { class: "mono" }, l.reference ?? "—"), h("dt", {}, "booked"), h("dd", {}, l.booked_on ?? "—"),
      h("dt", {}, "amount"), h("dd", {}, `${baht(l.amount)} ${words(l.direction)}`), h("dt", {}, "counterparty"), h("dd", {}, l.counterparty_name ?? "—"),
      h("dt", {}, "Ref1 / Ref2"), h("dd", { class: "mono" }, `${l.ref1 ?? "—"} / ${l.ref2 ?? "—"}`), l.description ? [h("dt", {}, "description"), h("dd", {}, l.description)] : null,
      x.intent_id ? [h("dt", {}, "deposit intent"), h("dd", { class: "mono" }, x.intent_id)] : null);
  };

  const proposalView = (x: FundsException): Child => {
    const parts: Child[] = [];
    if (x.proposal) parts.push(h("div", {}, h("b", {}, words(x.proposal.action)), x.proposal.user_email ? ` to ${x.proposal.user_email}` : "", ` — ${x.proposal.reason}`,
      h("div", { class: "muted small" }, `proposed by ${x.proposal.by}, ${dateTime(x.proposal.at_ms)}`)));
    if (x.resolution) parts.push(h("div", { class: "ok" }, `${words(x.resolution.action)} by ${x.resolution.by}, ${dateTime(x.resolution.at_ms)}`));
    return parts.length ? parts : h("span", { class: "muted" }, "none");
  };

  const actionView = (x: FundsException): Child => {
    if (!ctx.acts || x.status === "resolved") return "—";
    const rowErr = errorBox();
    if (x.status === "proposed" && x.proposal) {
      if (ctx.me && x.proposal.by === ctx.me.staff.email) return h("span", { class: "muted small" }, "Your proposal: a different staff member approves it.");
      const approve = h("button", { type: "button", class: "small", "aria-label": `Approve exception ${x.id}` }, `Approve: ${words(x.proposal.action)}`);
      approve.onclick = async () => {
        rowErr.textContent = "";
        try { await post(`/web/api/console/funds/exceptions/${enc(x.id)}/approve`, {}); ctx.done(`Exception #${x.id}: ${words(x.proposal!.action)} approved and carried out.`); await load(); }
        catch (e) { rowErr.textContent = message(e); ctx.quiet(); }
      };
      return h("div", {}, approve, rowErr);
    }
    // Money that came in is credited, refunded or returned; anything else (a reconciliation
    // difference, an unmatched debit, an unconfirmed callback) is closed with a reason.
    const moneyIn = x.line?.direction === "credit";
    const options = moneyIn
      ? [h("option", { value: "credit" }, "credit a customer"), h("option", { value: "refund" }, "refund the payer"), h("option", { value: "return" }, "return to the bank")]
      : [h("option", { value: "close" }, "close with a reason")];
    const action = field(`Action for exception ${x.id}`, h("select", {}, options));
    const email = field(`Customer email for exception ${x.id}`, h("input", { type: "email", autocomplete: "off" }));
    const reason = reasonInput(`Reason for exception ${x.id}`);
    const sync = () => { email.wrap.hidden = action.input.value !== "credit"; };
    action.input.addEventListener("change", sync);
    sync();
    const form = h("form", { novalidate: true, class: "hit-decision", "aria-label": `Propose for exception ${x.id}` }, action.wrap, email.wrap, reason.wrap,
      h("button", { type: "submit", class: "small" }, "Propose"), rowErr);
    form.onsubmit = async (e) => {
      e.preventDefault();
      rowErr.textContent = "";
      const body: Record<string, unknown> = { action: action.input.value, reason: reason.input.value.trim() };
      const mail = email.input.value.trim();
      const emailProblem = action.input.value === "credit" && !/^[^\s@]+@[^\s@]+$/.test(mail) ? "The customer to credit: their email." : null;
      const reasonProblem = body.reason ? null : "Give a reason: it goes into the audit log.";
      email.error(emailProblem);
      reason.error(reasonProblem);
      if (emailProblem || reasonProblem) return;
      if (action.input.value === "credit") body.user_email = mail;
      try {
        await post(`/web/api/console/funds/exceptions/${enc(x.id)}/propose`, body);
        ctx.done(`Exception #${x.id}: ${action.input.value} proposed; a different staff member approves it.`);
        await load();
      } catch (e) {
        const slot = fieldFor(e, { action, user_email: email, reason });
        if (slot) slot.error(message(e)); else rowErr.textContent = message(e);
        ctx.quiet();
      }
    };
    return form;
  };

  const load = async () => {
    try {
      const r = await get<{ exceptions: FundsException[] }>(`/web/api/console/funds/exceptions?status=${exceptionFilter.status}`);
      err.textContent = "";
      clear(list, h("div", { class: "text-table" }, table(["#", "Age", "Class", "Status", "Bank line", "Proposal", "Action"],
        r.exceptions.map((x) => [String(x.id), h("span", { title: dateTime(x.created_ms) }, ageText(x.age_ms ?? Date.now() - x.created_ms)), words(x.class), badge(x.status),
          lineView(x), proposalView(x), actionView(x)]), "Exceptions")));
    } catch (e) { err.textContent = message(e); }
  };
  await load();
  return poll(box, load);
}

// ---- reconciliation ----

async function reconciliationTab(box: HTMLElement, ctx: Ctx) {
  const date = field("Date (Bangkok)", h("input", { type: "date", value: bangkokToday() }));
  const err = errorBox();
  const form = h("form", { novalidate: true, class: "inline-form", "aria-label": "Run a reconciliation" }, date.wrap, h("button", { type: "submit" }, "Run the reconciliation"), err);
  const chartEl = h("div", { class: "chart small-chart", role: "img", "aria-label": "Difference per day (THB)", "data-testid": "recon-chart" });
  const reports = h("div");
  if (ctx.acts) box.append(form);
  box.append(h("section", { class: "panel" }, h("h2", {}, "Difference per day (bank − (ledger + in transit), THB)"), chartEl), reports);
  const chart = dateBarChart(chartEl, "difference THB");

  const reportView = (r: ReconReport) => h("section", { class: "report", "aria-label": `Reconciliation ${r.date}`, "data-testid": "recon-report" },
    h("h3", {}, `${r.date} `, badge(r.status, "recon-status")),
    h("dl", { class: "kv" }, h("dt", {}, "ledger"), h("dd", {}, baht(r.ledger_thb)), h("dt", {}, "bank"), h("dd", {}, baht(r.bank_thb)),
      h("dt", {}, "in transit"), h("dd", {}, baht(r.in_transit_thb)), h("dt", {}, "difference"), h("dd", { "data-testid": "recon-difference" }, baht(r.difference_thb)),
      h("dt", {}, "run"), h("dd", {}, `${dateTime(r.created_ms)} by ${r.created_by}`)),
    h("div", { class: "text-table" }, table(["Kind", "Reference", "Amount", "Note"], (r.items ?? []).map((i) => [words(i.kind), h("span", { class: "mono" }, i.reference), baht(i.amount), i.note ?? ""]), `Items of ${r.date}`)),
    h("p", {}, h("a", { href: `/web/api/console/funds/reconciliations/${enc(r.date)}/csv`, download: `reconciliation-${r.date}.csv`, "aria-label": `CSV of ${r.date}` }, "CSV")));

  const load = async () => {
    try {
      const r = await get<{ reports: ReconReport[] }>("/web/api/console/funds/reconciliations");
      err.textContent = "";
      clear(reports, r.reports.length ? r.reports.map(reportView) : h("p", { class: "muted" }, "No reports yet."));
      const byDate = new Map<string, ReconReport>();
      for (const x of r.reports) if (/^\d{4}-\d{2}-\d{2}$/.test(x.date) && !byDate.has(x.date)) byDate.set(x.date, x); // newest first: the latest run of a day
      chart.set([...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).map((x) => {
        const v = Number(x.difference_thb) || 0;
        return { date: x.date, value: v, color: v === 0 ? "#26a69a" : "#ef5350" };
      }));
    } catch (e) { err.textContent = message(e); }
  };

  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const d = date.input.value.trim();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) { date.error("Choose a date."); return; }
    date.error(null);
    try {
      const r = await post<{ report: ReconReport }>("/web/api/console/funds/reconciliations", { date: d });
      ctx.done(`Reconciliation of ${r.report.date}: ${words(r.report.status)}, difference ${baht(r.report.difference_thb)}.`);
      await load();
    } catch (e) {
      if (fieldFor(e, { date })) date.error(message(e)); else err.textContent = message(e);
      ctx.quiet();
    }
  };
  await load();
  return () => chart.chart.remove();
}
