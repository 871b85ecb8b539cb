// Support: the customer's tickets (#/support), a new ticket (#/support/new) and one ticket's
// thread (#/support/<id>): reply, attachments, raising it as a complaint. The server decides
// (docs/web-api.md, "Support"); the forms check what they can first and show the server's
// refusal under the field it names.
import { h, clear, field, table, every } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { t, dateTime } from "../lib/i18n";
import { coin } from "../lib/amounts";
import { ORDER_TYPE, FUNDS_STATUS } from "./pages";
import { navigate } from "../lib/router";
import { checkFiles, readAttachments, sizeText, ATTACH_MAX, type Attachment } from "../lib/files";
import { CATEGORIES, LINK_KINDS, showRefusal, plain, type Ticket, type Message } from "../lib/support";

const CATEGORY_LABEL: Record<string, string> = {
  account: "Account", deposit: "Deposit", withdrawal: "Withdrawal", trading: "Trading", kyc: "Identity verification (KYC)", security: "Security", other: "Other",
};
const STATUS_LABEL: Record<string, string> = {
  open: "Waiting for us", waiting_customer: "Waiting for your reply", resolved: "Resolved", closed: "Closed",
};
const COMPLAINT_LABEL: Record<string, string> = {
  received: "Complaint received", acknowledged: "Complaint acknowledged", investigating: "Complaint under investigation", resolved: "Complaint resolved", rejected: "Complaint rejected",
};
const LINK_LABEL: Record<string, string> = { order: "Order", deposit: "Deposit", withdrawal: "Withdrawal" };
const EVENT_LABEL: Record<string, string> = {
  created: "Ticket opened", status: "Status changed", complaint: "Complaint", message: "Message", reply: "Reply", escalated: "Escalated",
  priority: "Priority changed", assigned: "Assigned", assign: "Assigned", incident: "Linked to an incident", closed: "Closed", reopened: "Reopened", resolved: "Resolved",
};
const AUTHOR_LABEL: Record<string, string> = { customer: "You", staff: "Support team", system: "talat" };

const category = (c: string) => t(CATEGORY_LABEL[c] ?? c);
const statusText = (s: string) => t(STATUS_LABEL[s] ?? s);
const complaintText = (s: string) => t(COMPLAINT_LABEL[s] ?? s);
/** A vocabulary word from an event (a status, a complaint status, a category) in the reader's language. */
const word = (v: unknown, kind: string) => {
  const s = plain(v);
  if (kind.includes("complaint") && COMPLAINT_LABEL[s]) return complaintText(s);
  if (STATUS_LABEL[s]) return statusText(s);
  if (CATEGORY_LABEL[s]) return category(s);
  return s;
};

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const showError = (box: HTMLElement, e: unknown) => { box.textContent = e instanceof ApiError ? e.message : String(e); };

function statusBadge(tk: Ticket) {
  return h("span", { class: `badge status-${tk.status}` }, statusText(tk.status));
}

function complaintBadge(tk: Ticket) {
  return tk.complaint ? h("span", { class: `badge complaint complaint-${tk.complaint.status}` }, complaintText(tk.complaint.status)) : null;
}

/** When the customer hears back, simply: "we answer by …", "we aim to resolve it by …". */
export function slaText(tk: Ticket): string {
  if (tk.status === "waiting_customer") return t("We answered: read the reply and tell us if you need more help.");
  if (tk.status === "resolved" || tk.status === "closed") return "—";
  const fr = tk.clocks?.first_response, res = tk.clocks?.resolution;
  // A complaint runs on the complaint clocks: an acknowledgement, then the outcome.
  const complaint = !!tk.complaint;
  if (fr && fr.state !== "met" && (complaint || !tk.first_response_ms)) {
    if (fr.state === "breached") return t("We are late: we answer as soon as we can.");
    return fr.due_ms ? `${t(complaint ? "We acknowledge your complaint by" : "We answer by")} ${dateTime(fr.due_ms)}` : "—";
  }
  if (res && res.state !== "met") {
    if (res.state === "breached") return t("We are late: we resolve it as soon as we can.");
    return res.due_ms ? `${t(complaint ? "We tell you the outcome by" : "We aim to resolve it by")} ${dateTime(res.due_ms)}` : "—";
  }
  return "—";
}

/** A file picker with its error slot; `files()` checks count, type and size (null when refused). */
function attachmentsField() {
  const input = h("input", { type: "file", multiple: true, accept: "image/png,image/jpeg,application/pdf,text/plain,.png,.jpg,.jpeg,.pdf,.txt" });
  const f = field(t("Attachments (up to 3: PNG, JPEG, PDF or text, 2 MB each)"), input);
  input.addEventListener("change", () => f.error(null));
  return {
    ...f,
    clearFiles() { input.value = ""; },
    async files(): Promise<Attachment[] | null> {
      const list = Array.from(input.files ?? []);
      const bad = checkFiles(list);
      if (bad) {
        f.error(bad.problem === "count" ? t(`At most ${ATTACH_MAX} files.`)
          : bad.problem === "type" ? `${t("Only PNG, JPEG, PDF or text files:")} ${bad.name}`
          : `${t("Each file must be at most 2 MB:")} ${bad.name}`);
        return null;
      }
      f.error(null);
      try { return await readAttachments(list); } catch (e) { f.error(String(e)); return null; }
    },
  };
}

function textCheck(f: ReturnType<typeof field>, max: number): boolean {
  const v = f.input.value.trim();
  const msg = !v ? t("Required.") : v.length > max ? t(`At most ${max} characters.`) : null;
  f.error(msg);
  return !msg;
}

export async function supportPage(view: HTMLElement, params: string[]) {
  if (params[0] === "new") return newTicketPage(view);
  if (params[0]) return ticketPage(view, params[0]);
  return listPage(view);
}

// ---- my tickets ----

async function listPage(view: HTMLElement) {
  view.append(h("div", { class: "row-between" }, h("h1", {}, t("Support")), h("a", { href: "#/support/new", class: "button" }, t("New ticket"))));
  const box = h("section");
  view.append(h("h2", {}, t("My tickets")), box);
  return every(15000, async () => {
    try {
      const r = await get<{ tickets: Ticket[] }>("/web/api/support/tickets");
      clear(box, r.tickets.length ? table([t("Subject"), t("Category"), t("Status"), t("Complaint"), t("Created"), t("Response")],
        r.tickets.map((tk) => [h("a", { href: `#/support/${tk.id}` }, tk.subject), category(tk.category), statusBadge(tk), complaintBadge(tk) ?? "—", dateTime(tk.created_ms), slaText(tk)]),
        t("My tickets")) : h("p", { class: "muted" }, t("No tickets yet.")));
    } catch (e) {
      clear(box, errorBox());
      showError(box.firstElementChild as HTMLElement, e);
    }
  });
}

// ---- a new ticket ----

/** The customer's recent orders (or deposits, or withdrawals) as [id, label] choices, newest first. */
async function linkChoices(kind: string): Promise<[string, string][]> {
  if (kind === "order") {
    const r = await get<{ orders: any[] }>("/web/api/orders/history?limit=50");
    return r.orders.map((o) => {
      const [base, quote] = String(o.symbol).split("_");
      const unit = o.type === "market" && o.side === "buy" ? quote : base;
      return [o.id, `${dateTime(o.ts_ms)} · ${o.symbol} · ${t(o.side === "buy" ? "Buy" : "Sell")} · ${t(ORDER_TYPE[o.type] ?? o.type)} · ${coin(o.amount, unit)} · #${o.id}`];
    });
  }
  const r = await get<{ items: any[] }>("/web/api/funds/history?limit=50");
  return r.items.filter((i) => i.kind === kind).map((i) => [i.id, `${dateTime(i.ts_ms)} · ${coin(i.amount, i.asset)} · ${t(FUNDS_STATUS[i.status] ?? i.status)} · ${i.id}`]);
}

function newTicketPage(view: HTMLElement) {
  view.append(h("p", {}, h("a", { href: "#/support" }, `← ${t("My tickets")}`)), h("h1", {}, t("New ticket")));
  const cat = field(t("Category"), h("select", {}, CATEGORIES.map((c) => h("option", { value: c }, category(c)))));
  const subject = field(t("Subject"), h("input", { type: "text", maxlength: 200, autocomplete: "off" }));
  const text = field(t("Message"), h("textarea", { rows: 6, maxlength: 5000 }));
  const linkKind = field(t("Related to"), h("select", {}, h("option", { value: "" }, t("Nothing")), LINK_KINDS.map((k) => h("option", { value: k }, t(LINK_LABEL[k])))));
  const linkId = field(t("Order, deposit or withdrawal id"), h("input", { type: "text", autocomplete: "off" }));
  linkId.wrap.hidden = true;
  // The customer's own orders, deposits or withdrawals to pick from; the id can still be typed.
  const pick = field(t("Pick one of yours"), h("select", {}));
  pick.wrap.hidden = true;
  pick.input.addEventListener("change", () => { linkId.input.value = pick.input.value; linkId.error(null); });
  linkKind.input.addEventListener("change", async () => {
    const kind = linkKind.input.value;
    linkId.wrap.hidden = !kind;
    pick.wrap.hidden = !kind;
    linkId.error(null);
    linkId.input.value = "";
    clear(pick.input, h("option", { value: "" }, "—"));
    if (!kind) return;
    const choices = await linkChoices(kind).catch(() => []);
    if (linkKind.input.value === kind) pick.input.append(...choices.map(([id, label]) => h("option", { value: id }, label)));
  });
  const complaint = h("input", { type: "checkbox", id: "complaint" });
  const files = attachmentsField();
  const err = errorBox();
  const form = h("form", { novalidate: true, "aria-label": t("New ticket") }, cat.wrap, subject.wrap, text.wrap, linkKind.wrap, pick.wrap, linkId.wrap,
    h("div", { class: "field" }, h("label", { class: "check" }, complaint, ` ${t("This is a complaint")}`),
      h("div", { class: "muted small" }, t("A complaint is handled under the complaint procedure: we acknowledge it, investigate and tell you the outcome."))),
    files.wrap, h("button", { type: "submit" }, t("Send")), err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    let ok = textCheck(subject, 200);
    ok = textCheck(text, 5000) && ok;
    if (linkKind.input.value) {
      const id = linkId.input.value.trim();
      linkId.error(id ? null : t("Required."));
      if (!id) ok = false;
    }
    const attachments = await files.files();
    if (!attachments) ok = false;
    if (!ok) return;
    const body: Record<string, unknown> = { category: cat.input.value, subject: subject.input.value.trim(), text: text.input.value.trim() };
    if (complaint.checked) body.complaint = true;
    if (linkKind.input.value) body.link = { kind: linkKind.input.value, id: linkId.input.value.trim() };
    if (attachments!.length) body.attachments = attachments;
    const submit = form.querySelector("button[type=submit]") as HTMLButtonElement;
    submit.disabled = true;
    try {
      const r = await post<{ ticket: Ticket }>("/web/api/support/tickets", body);
      navigate(`#/support/${r.ticket.id}`);
    } catch (e) {
      showRefusal(e, { category: cat, subject, text, link: linkId.wrap.hidden ? linkKind : linkId, attachments: files, complaint: { error: (m) => { err.textContent = m ?? ""; } } }, err);
    } finally {
      submit.disabled = false;
    }
  };
  view.append(form);
}

// ---- one ticket ----

function messageView(m: Message) {
  return h("article", { class: `msg from-${m.author}`, "aria-label": `${t(AUTHOR_LABEL[m.author] ?? m.author)} ${dateTime(m.ts_ms)}` },
    h("div", { class: "msg-head" }, h("b", {}, t(AUTHOR_LABEL[m.author] ?? m.author)), " ", h("span", { class: "muted small" }, dateTime(m.ts_ms))),
    h("div", { class: "msg-text" }, m.text),
    m.attachments?.length ? h("ul", { class: "attachments" }, m.attachments.map((a) =>
      h("li", {}, h("a", { href: `/web/api/support/attachments/${encodeURIComponent(String(a.id))}`, download: a.name }, a.name), " ", h("span", { class: "muted small" }, `(${sizeText(a.size)})`)))) : null);
}

async function ticketPage(view: HTMLElement, id: string) {
  const head = h("section"), thread = h("section", { "aria-label": t("Messages") }), events = h("section");
  const replyArea = h("section"), complaintArea = h("section");
  view.append(h("p", {}, h("a", { href: "#/support" }, `← ${t("My tickets")}`)), head, thread, replyArea, complaintArea, events);

  const render = (tk: Ticket) => {
    clear(head, h("h1", {}, tk.subject),
      h("div", { class: "ticket-meta" }, statusBadge(tk), " ", complaintBadge(tk), " ",
        h("span", { class: "muted" }, `#${tk.id} · ${category(tk.category)} · ${t("Created")} ${dateTime(tk.created_ms)}`),
        tk.link && h("span", { class: "muted" }, ` · ${t(LINK_LABEL[tk.link.kind] ?? tk.link.kind)} ${tk.link.id}`)),
      h("p", { class: "sla", "data-testid": "sla" }, slaText(tk)),
      tk.complaint?.reason ? h("p", { class: "muted" }, `${t("Complaint")}: ${tk.complaint.reason}`) : null,
      tk.status === "closed" ? h("p", { class: "muted" }, t("This ticket is closed: open a new ticket if you need more help.")) : null);
    clear(thread, h("h2", {}, t("Messages")), (tk.messages ?? []).map(messageView));
    clear(events, h("h2", {}, t("History")), h("ol", { class: "timeline", "aria-label": t("History") }, (tk.events ?? []).map((ev) => {
      // The detail is staff's English (a category, a reason), except a complaint's: the customer's own words.
      const from = word(ev.from, ev.kind), to = word(ev.to, ev.kind), detail = ev.kind === "complaint" ? plain(ev.detail) : "";
      return h("li", {}, h("span", { class: "muted small" }, dateTime(ev.ts_ms)), " ", h("b", {}, t(EVENT_LABEL[ev.kind] ?? ev.kind)),
        from || to ? ` ${from}${from && to ? " → " : ""}${to}` : "", detail ? h("span", { class: "muted" }, ` — ${detail}`) : null);
    })));
    replyArea.hidden = tk.status === "closed";
    complaintArea.hidden = !!tk.complaint || tk.status === "closed";
  };

  const load = async () => render((await get<{ ticket: Ticket }>(`/web/api/support/tickets/${encodeURIComponent(id)}`)).ticket);
  try { await load(); } catch (e) {
    const box = errorBox();
    showError(box, e);
    view.append(box);
    return;
  }

  // Reply.
  const text = field(t("Your reply"), h("textarea", { rows: 4, maxlength: 5000 }));
  const files = attachmentsField();
  const err = errorBox();
  const replyForm = h("form", { novalidate: true, "aria-label": t("Reply") }, h("h2", {}, t("Reply")), text.wrap, files.wrap, h("button", { type: "submit" }, t("Send reply")), err);
  replyForm.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const ok = textCheck(text, 5000);
    const attachments = await files.files();
    if (!ok || !attachments) return;
    try {
      const body: Record<string, unknown> = { text: text.input.value.trim() };
      if (attachments.length) body.attachments = attachments;
      render((await post<{ ticket: Ticket }>(`/web/api/support/tickets/${encodeURIComponent(id)}/messages`, body)).ticket);
      text.input.value = "";
      files.clearFiles();
    } catch (e) { showRefusal(e, { text, attachments: files }, err); }
  };
  clear(replyArea, replyForm);

  // Raise as a complaint.
  const raise = h("button", { type: "button" }, t("Raise as a complaint"));
  const reason = field(t("What went wrong (optional)"), h("textarea", { rows: 3, maxlength: 2000 }));
  const cErr = errorBox();
  const cForm = h("form", { novalidate: true, "aria-label": t("Raise as a complaint") }, reason.wrap, h("button", { type: "submit" }, t("Confirm the complaint")), cErr);
  cForm.hidden = true;
  raise.onclick = () => { cForm.hidden = false; raise.hidden = true; reason.input.focus(); };
  cForm.onsubmit = async (e) => {
    e.preventDefault();
    cErr.textContent = "";
    const r = reason.input.value.trim();
    try {
      render((await post<{ ticket: Ticket }>(`/web/api/support/tickets/${encodeURIComponent(id)}/complaint`, r ? { reason: r } : {})).ticket);
    } catch (e) { showRefusal(e, { reason }, cErr); }
  };
  clear(complaintArea, h("h2", {}, t("Not happy with how this is handled?")),
    h("p", { class: "muted small" }, t("A complaint is handled under the complaint procedure: we acknowledge it, investigate and tell you the outcome.")), raise, cForm);

  // New staff answers show up without a reload.
  let first = true;
  return every(10000, async () => {
    if (first) { first = false; return; }
    if (document.activeElement && replyArea.contains(document.activeElement)) return;
    await load().catch(() => {});
  });
}
