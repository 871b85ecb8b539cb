// Support desk: the ticket queue (#/support) with its filters, counts and SLA clocks, and one
// ticket (#/support/<id>): the customer, the thread (internal notes marked), the events, a reply
// (or an internal note) with what happens next, assignment, priority and the complaint's status.
// Incidents (#/incidents) answer many tickets at once; the outbox (#/mail) is the demo's mail.
// The server decides every rule (roles, complaint moves) and says why it refuses.
import { h, clear, field, table, every } from "../lib/dom";
import { get, post, ApiError } from "../lib/api";
import { dateTime } from "../lib/i18n";
import { checkFiles, readAttachments, sizeText, ATTACH_MAX, type Attachment } from "../lib/files";
import { PRIORITIES, STATUSES, COMPLAINT_STATUSES, showRefusal, plain, assigneeText, assigneeId, type Ticket, type Clock, type Message } from "../lib/support";
import { can } from "./access";

export interface StaffMe { staff: { id: number; email: string; role: string } }

let meCache: Promise<StaffMe> | null = null;
/** The signed-in staff member (id and role: which forms to offer; the server checks anyway). */
export function staffMe(): Promise<StaffMe> {
  meCache ??= get<StaffMe>("/web/api/console/me");
  meCache.catch(() => (meCache = null));
  return meCache;
}

const errorBox = () => h("div", { class: "form-error", role: "alert" });
const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
const words = (s: string) => s.replace(/_/g, " ");

const CLOCK_NAME: Record<string, string> = { first_response: "First response", resolution: "Resolution" };

/** An SLA clock as a badge: its state and the business minutes left (or over). */
export function clockBadge(name: string, c: Clock | undefined | null) {
  if (!c) return h("span", { class: "muted" }, "—");
  const left = Number(c.remaining_min);
  const mins = (m: number) => (Math.abs(m) >= 120 ? `${Math.floor(Math.abs(m) / 60)} h ${Math.abs(m) % 60} min` : `${Math.abs(m)} min`);
  const text = c.state === "met" ? "met"
    : c.state === "breached" ? (left < 0 ? `breached, ${mins(left)} over` : "breached")
    : `${words(c.state)}, ${mins(left)} left`;
  const due = c.due_ms ? ` (due ${dateTime(c.due_ms)})` : "";
  return h("span", { class: `clock ${c.state}`, title: `${CLOCK_NAME[name] ?? name}: ${c.elapsed_min} of ${c.target_min} business minutes${due}` }, text);
}

/** Who a ticket is assigned to: "you", or the staff member as the server names them. */
function assigneeLabel(a: unknown, me: StaffMe | null): string {
  if (a === null || a === undefined) return "";
  if (me && assigneeId(a) === me.staff.id) return `you (${me.staff.email})`;
  const text = assigneeText(a);
  return /^\d+$/.test(text) ? `staff #${text}` : text;
}

function complaintBadge(tk: Ticket) {
  return tk.complaint ? h("span", { class: `badge complaint complaint-${tk.complaint.status}` }, `complaint: ${tk.complaint.status}`) : null;
}

function fileField(label = "Attachments (up to 3)") {
  const input = h("input", { type: "file", multiple: true, accept: "image/png,image/jpeg,application/pdf,text/plain" });
  const f = field(label, input);
  return {
    ...f,
    async files(): Promise<Attachment[] | null> {
      const list = Array.from(input.files ?? []);
      const bad = checkFiles(list);
      if (bad) {
        f.error(bad.problem === "count" ? `At most ${ATTACH_MAX} files.` : bad.problem === "type" ? `Only PNG, JPEG, PDF or text files: ${bad.name}` : `Each file must be at most 2 MB: ${bad.name}`);
        return null;
      }
      f.error(null);
      return readAttachments(list);
    },
  };
}

// ---- the queue ----

const filters = { status: "", complaint: false, clock: "", mine: false, q: "" };

export async function supportPage(view: HTMLElement, params: string[]) {
  if (params[0]) return ticketPage(view, params[0]);
  view.append(h("h1", {}, "Support tickets"));
  const me = await staffMe().catch(() => null);
  const counts = h("div", { class: "tiles", "aria-label": "Ticket counts" });
  const status = field("Status", h("select", {}, h("option", { value: "" }, "open or waiting"), STATUSES.map((s) => h("option", { value: s, selected: filters.status === s }, words(s))), h("option", { value: "all", selected: filters.status === "all" }, "all")));
  const clock = field("SLA", h("select", {}, h("option", { value: "" }, "any"), h("option", { value: "at_risk", selected: filters.clock === "at_risk" }, "at risk"), h("option", { value: "breached", selected: filters.clock === "breached" }, "breached")));
  const complaint = h("input", { type: "checkbox", checked: filters.complaint });
  const mine = h("input", { type: "checkbox", checked: filters.mine });
  const q = field("Search (subject, email, ticket id)", h("input", { type: "search", value: filters.q }));
  const err = errorBox();
  const list = h("div");
  const form = h("form", { novalidate: true, role: "search", class: "filters", "aria-label": "Ticket filters" }, status.wrap, clock.wrap,
    h("label", { class: "check" }, complaint, " complaints only"), h("label", { class: "check" }, mine, " assigned to me"), q.wrap,
    h("button", { type: "submit" }, "Filter"));
  view.append(counts, form, err, list);

  const load = async () => {
    const p = new URLSearchParams();
    if (filters.status) p.set("status", filters.status);
    if (filters.complaint) p.set("complaint", "true");
    if (filters.clock) p.set("clock", filters.clock);
    if (filters.mine) p.set("assignee", "me");
    if (filters.q) p.set("q", filters.q);
    try {
      const r = await get<{ tickets: Ticket[]; counts: Record<string, number> }>(`/web/api/console/support/tickets?${p}`);
      err.textContent = "";
      const c = r.counts ?? {};
      const tile = (label: string, value: unknown, cls = "") => h("div", { class: `tile ${cls}` }, h("div", { class: "muted small" }, label), h("div", { class: "big" }, String(value ?? 0)));
      clear(counts, tile("Open", c.open), tile("Waiting for customer", c.waiting_customer), tile("At risk", c.at_risk, c.at_risk ? "warn" : ""),
        tile("Breached", c.breached, c.breached ? "bad" : ""), c.breaches_30d !== undefined && tile("Breaches (30 days)", c.breaches_30d), tile("Complaints open", c.complaints_open));
      clear(list, h("div", { class: "text-table" }, table(["#", "Subject", "Customer", "Category", "Priority", "Status", "Complaint", "Assignee", "First response", "Resolution", "Created"],
        r.tickets.map((tk) => [h("a", { href: `#/support/${tk.id}` }, String(tk.id)), h("a", { href: `#/support/${tk.id}` }, tk.subject), tk.customer_email ?? "", tk.category,
          h("span", { class: `prio ${tk.priority}` }, tk.priority), words(tk.status), complaintBadge(tk) ?? "—", assigneeLabel(tk.assignee, me) || "—",
          clockBadge("first_response", tk.clocks?.first_response), clockBadge("resolution", tk.clocks?.resolution), dateTime(tk.created_ms)]), "Tickets")));
    } catch (e) {
      if (e instanceof ApiError && e.field) {
        const f = ({ status, clock, q } as Record<string, ReturnType<typeof field>>)[e.field];
        if (f) { f.error(e.message); return; }
      }
      err.textContent = message(e);
    }
  };
  form.onsubmit = (e) => {
    e.preventDefault();
    [status, clock, q].forEach((f) => f.error(null));
    Object.assign(filters, { status: status.input.value, clock: clock.input.value, complaint: complaint.checked, mine: mine.checked, q: q.input.value.trim() });
    load();
  };
  return every(15000, load);
}

// ---- one ticket ----

function messageView(m: Message) {
  const who = m.author === "staff" ? (m.staff_email ? `Staff (${m.staff_email})` : "Staff") : m.author === "customer" ? "Customer" : "System";
  return h("article", { class: `msg from-${m.author}${m.internal ? " internal" : ""}`, "aria-label": `${m.internal ? "Internal note" : "Message"} from ${who}` },
    h("div", { class: "msg-head" }, h("b", {}, who), " ", h("span", { class: "muted small" }, dateTime(m.ts_ms)), m.internal ? h("span", { class: "badge internal-badge" }, "Internal note") : null),
    h("div", { class: "msg-text" }, m.text),
    m.attachments?.length ? h("ul", { class: "attachments" }, m.attachments.map((a) => h("li", {},
      h("a", { href: `/web/api/console/support/attachments/${encodeURIComponent(String(a.id))}`, download: a.name }, a.name), " ", h("span", { class: "muted small" }, `(${a.content_type}, ${sizeText(a.size)})`)))) : null);
}

async function ticketPage(view: HTMLElement, id: string) {
  const path = `/web/api/console/support/tickets/${encodeURIComponent(id)}`;
  const me = await staffMe().catch(() => null);
  const handles = can("support.write");
  const movesComplaints = can("complaint");
  const out = h("div", { role: "status", "aria-live": "polite" });
  const head = h("section"), info = h("section", { class: "ticket-info" }), thread = h("section", { "aria-label": "Messages" }), events = h("section");
  const actions = h("section", { class: "ticket-actions" }), replyArea = h("section"), complaintArea = h("section", { "aria-label": "Complaint" });
  view.append(h("p", {}, h("a", { href: "#/support" }, "← Ticket queue")), head, out,
    h("div", { class: "ticket-grid" }, h("div", { class: "ticket-main" }, thread, replyArea, events), h("aside", { class: "ticket-side" }, info, actions, complaintArea)));

  let ticket: Ticket;
  const done = (text: string) => { out.className = "ok"; out.textContent = text; };
  const load = async () => {
    const r = await get<{ ticket: Ticket; customer: any }>(path);
    ticket = r.ticket;
    const tk = r.ticket, c = r.customer ?? {};
    clear(head, h("h1", {}, `#${tk.id} ${tk.subject}`));
    const row = (k: string, v: any) => [h("dt", {}, k), h("dd", {}, v ?? "—")];
    clear(info, h("dl", { class: "kv" },
      row("Customer", c.email ? `${c.email} (user ${c.user_id}${c.locked ? ", LOCKED" : ""}${c.totp_enabled ? ", 2FA on" : ""})` : "—"),
      row("Category", tk.category), row("Priority", h("span", { class: `prio ${tk.priority}` }, tk.priority)), row("Status", h("span", { "data-testid": "ticket-status" }, words(tk.status))),
      row("Assignee", assigneeLabel(tk.assignee, me) || "nobody"), row("Incident", tk.incident_id ? h("a", { href: "#/incidents" }, `#${tk.incident_id}`) : "—"),
      row("Related to", tk.link ? `${tk.link.kind} ${tk.link.id}` : "—"), row("Created", dateTime(tk.created_ms)),
      row("First response", h("span", { "data-testid": "clock-first_response" }, clockBadge("first_response", tk.clocks?.first_response))),
      row("Resolution", h("span", { "data-testid": "clock-resolution" }, clockBadge("resolution", tk.clocks?.resolution))),
      row("Complaint", tk.complaint ? h("span", { "data-testid": "complaint-status" }, complaintBadge(tk), tk.complaint.reason ? ` — ${tk.complaint.reason}` : "",
        tk.complaint.received_ms ? h("span", { class: "muted small" }, ` received ${dateTime(tk.complaint.received_ms)}`) : "",
        tk.complaint.acknowledged_ms ? h("span", { class: "muted small" }, `, acknowledged ${dateTime(tk.complaint.acknowledged_ms)}`) : "",
        tk.complaint.resolved_ms ? h("span", { class: "muted small" }, `, closed ${dateTime(tk.complaint.resolved_ms)}`) : "") : "no")));
    clear(thread, h("h2", {}, "Messages"), (tk.messages ?? []).map(messageView));
    clear(events, h("h2", {}, "Events"), table(["Time", "Actor", "Event", "From", "To", "Detail"],
      (tk.events ?? []).map((ev) => [dateTime(ev.ts_ms), plain(ev.actor), words(ev.kind), plain(ev.from), plain(ev.to), plain(ev.detail)]), "Events"));
    renderComplaint();
    renderActions();
  };

  // Assignment and priority (support, admin).
  const renderActions = () => {
    if (!handles) return clear(actions);
    const mineNow = me && assigneeId(ticket.assignee) === me.staff.id;
    const assignErr = errorBox();
    const assign = async (staffId: number | null) => {
      assignErr.textContent = "";
      try { await post(`${path}/assign`, { staff_id: staffId }); done(staffId === null ? "Unassigned." : "Assigned to you."); await load(); } catch (e) { assignErr.textContent = message(e); }
    };
    const prio = field("Priority", h("select", {}, PRIORITIES.map((p) => h("option", { value: p, selected: p === ticket.priority }, p))));
    const reason = field("Reason for the priority change", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
    const pErr = errorBox();
    const pForm = h("form", { novalidate: true, class: "inline-form", "aria-label": "Change priority" }, prio.wrap, reason.wrap, h("button", { type: "submit" }, "Change priority"), pErr);
    pForm.onsubmit = async (e) => {
      e.preventDefault();
      pErr.textContent = "";
      const r = reason.input.value.trim();
      if (!r) { reason.error("Give a reason: it goes into the audit log."); reason.input.focus(); return; }
      reason.error(null);
      try { await post(`${path}/priority`, { priority: prio.input.value, reason: r }); done(`Priority is ${prio.input.value}.`); await load(); } catch (e) { showRefusal(e, { priority: prio, reason }, pErr); }
    };
    clear(actions, h("div", { class: "actions" },
      me && !mineNow ? h("button", { type: "button", onclick: () => assign(me.staff.id) }, "Assign to me") : null,
      ticket.assignee ? h("button", { type: "button", onclick: () => assign(null) }, "Unassign") : null, assignErr), pForm);
  };

  // The complaint: flag it, or move it on (support, compliance, admin). Which moves are allowed
  // is the server's rule: a refused one comes back as 409 with the rule, shown here.
  const renderComplaint = () => {
    if (!movesComplaints) return clear(complaintArea);
    const cur = ticket.complaint?.status;
    const next = cur ? COMPLAINT_STATUSES.filter((s) => s !== cur) : ["received"];
    const to = field(cur ? "Move the complaint to" : "Flag as a complaint", h("select", {}, next.map((s) => h("option", { value: s }, s))));
    const reason = field("Reason (required to reject)", h("input", { type: "text", autocomplete: "off" }));
    const err = errorBox();
    const form = h("form", { novalidate: true, class: "inline-form", "aria-label": cur ? "Move the complaint" : "Flag as a complaint" }, h("h2", {}, `Complaint${cur ? `: ${cur}` : ""}`), to.wrap, reason.wrap,
      h("button", { type: "submit" }, cur ? "Move complaint" : "Flag as complaint"), err);
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      reason.error(null);
      to.error(null);
      const r = reason.input.value.trim();
      try {
        await post(`${path}/complaint`, r ? { status: to.input.value, reason: r } : { status: to.input.value });
        done(`Complaint ${to.input.value}.`);
        await load();
      } catch (e) { showRefusal(e, { reason, status: to }, err); }
    };
    clear(complaintArea, form);
  };

  // Reply or internal note, and what happens next (support, admin).
  if (handles) {
    const text = field("Reply", h("textarea", { rows: 5, maxlength: 5000 }));
    const internal = h("input", { type: "checkbox" });
    const then = field("Then", h("select", {}, h("option", { value: "waiting_customer" }, "waiting for customer"), h("option", { value: "resolved" }, "resolved"), h("option", { value: "open" }, "keep open")));
    const files = fileField();
    const err = errorBox();
    internal.addEventListener("change", () => { then.wrap.hidden = internal.checked; });
    const form = h("form", { novalidate: true, "aria-label": "Reply to the customer" }, h("h2", {}, "Reply"), text.wrap,
      h("div", { class: "field" }, h("label", { class: "check" }, internal, " Internal note (not shown to the customer)")), then.wrap, files.wrap,
      h("button", { type: "submit" }, "Send"), err);
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      const v = text.input.value.trim();
      text.error(v ? null : "Required.");
      const attachments = await files.files();
      if (!v || !attachments) return;
      const body: Record<string, unknown> = { text: v };
      if (internal.checked) body.internal = true;
      else body.then = then.input.value;
      if (attachments.length) body.attachments = attachments;
      try {
        await post(`${path}/reply`, body);
        text.input.value = "";
        (files.input as HTMLInputElement).value = "";
        done(internal.checked ? "Note added." : "Reply sent.");
        await load();
      } catch (e) { showRefusal(e, { text, then, attachments: files, internal: { error: (m) => { err.textContent = m ?? ""; } } }, err); }
    };
    replyArea.append(form);
  }

  try { await load(); } catch (e) { clear(head, h("div", { class: "form-error", role: "alert" }, message(e))); }
}

// ---- incidents ----

export async function incidentsPage(view: HTMLElement) {
  view.append(h("h1", {}, "Incidents"));
  const me = await staffMe().catch(() => null);
  const out = h("div", { role: "status", "aria-live": "polite" });
  const list = h("div"), detail = h("section");
  view.append(out, list);
  const done = (text: string) => { out.className = "ok"; out.textContent = text; };

  if (can("incidents.create")) {
    const title = field("Title", h("input", { type: "text", autocomplete: "off" }));
    const description = field("Description", h("textarea", { rows: 3 }));
    const reason = field("Reason", h("input", { type: "text", autocomplete: "off", placeholder: "why (kept in the audit log)" }));
    const err = errorBox();
    const form = h("form", { novalidate: true, "aria-label": "New incident" }, h("h2", {}, "New incident"), title.wrap, description.wrap, reason.wrap, h("button", { type: "submit" }, "Create incident"), err);
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = "";
      let ok = true;
      for (const f of [title, description, reason]) { const v = f.input.value.trim(); f.error(v ? null : "Required."); if (!v) ok = false; }
      if (!ok) return;
      try {
        const r = await post<{ incident: any }>("/web/api/console/support/incidents", { title: title.input.value.trim(), description: description.input.value.trim(), reason: reason.input.value.trim() });
        title.input.value = description.input.value = reason.input.value = "";
        done(`Incident #${r.incident?.id ?? ""} created.`);
        await load();
      } catch (e) { showRefusal(e, { title, description, reason }, err); }
    };
    view.append(form);
  }
  view.append(detail);

  const open = (inc: any) => {
    const ids = field("Ticket ids (comma-separated)", h("input", { type: "text", autocomplete: "off", placeholder: "12, 15, 18" }));
    const lErr = errorBox();
    const link = h("form", { novalidate: true, class: "inline-form", "aria-label": `Link tickets to incident ${inc.id}` }, ids.wrap, h("button", { type: "submit" }, "Link tickets"), lErr);
    link.onsubmit = async (e) => {
      e.preventDefault();
      lErr.textContent = "";
      const parts = ids.input.value.split(",").map((s) => s.trim()).filter(Boolean);
      const bad = parts.find((s) => !/^\d+$/.test(s));
      ids.error(!parts.length ? "Give at least one ticket id." : bad ? `Not a ticket id: ${bad}` : parts.length > 500 ? "At most 500 tickets at once." : null);
      if (!parts.length || bad || parts.length > 500) return;
      try {
        const r = await post<{ incident: any; linked: unknown }>(`/web/api/console/support/incidents/${inc.id}/link`, { ticket_ids: parts.map(Number) });
        const n = Array.isArray(r.linked) ? r.linked.length : r.linked;
        done(`Linked ${n} ticket${n === 1 ? "" : "s"} to incident #${inc.id}.`);
        await load();
        if (r.incident) open(r.incident);
      } catch (e) { showRefusal(e, { ticket_ids: ids }, lErr); }
    };
    const text = field("Answer to every linked ticket", h("textarea", { rows: 4 }));
    const resolve = h("input", { type: "checkbox" });
    const rErr = errorBox();
    const reply = h("form", { novalidate: true, "aria-label": `Answer the tickets of incident ${inc.id}` }, text.wrap,
      h("div", { class: "field" }, h("label", { class: "check" }, resolve, " and resolve the incident and its open tickets")), h("button", { type: "submit" }, "Send to all"), rErr);
    reply.onsubmit = async (e) => {
      e.preventDefault();
      rErr.textContent = "";
      const v = text.input.value.trim();
      text.error(v ? null : "Required.");
      if (!v) return;
      try {
        const r = await post<any>(`/web/api/console/support/incidents/${inc.id}/reply`, resolve.checked ? { text: v, resolve: true } : { text: v });
        const n = r.answered ?? r.tickets ?? r.sent;
        done(`Answer sent${typeof n === "number" ? ` to ${n} ticket${n === 1 ? "" : "s"}` : ""}${resolve.checked ? "; the incident is resolved" : ""}.`);
        await load();
        if (r.incident) open(r.incident);
      } catch (e) { showRefusal(e, { text, resolve: { error: (m) => { rErr.textContent = m ?? ""; } } }, rErr); }
    };
    clear(detail, h("h2", {}, `Incident #${inc.id}: ${inc.title}`), h("p", { class: "muted" }, `${inc.status}${inc.resolved_ms ? ` ${dateTime(inc.resolved_ms)}` : ""} · ${inc.ticket_count} tickets`),
      inc.description ? h("p", {}, inc.description) : null, inc.status === "resolved" ? h("p", { class: "muted" }, "Resolved: nothing more to link or answer.") : [link, reply]);
  };

  const load = async () => {
    try {
      const r = await get<{ incidents: any[] }>("/web/api/console/support/incidents");
      clear(list, h("div", { class: "text-table" }, table(["#", "Title", "Status", "Created", "Resolved", "Tickets", ""], r.incidents.map((i) => [i.id, i.title, i.status, dateTime(i.created_ms),
        i.resolved_ms ? dateTime(i.resolved_ms) : "—", i.ticket_count, h("button", { type: "button", class: "small", "aria-label": `Open incident ${i.id}`, onclick: () => open(i) }, "Open")]), "Incidents")));
    } catch (e) { clear(list, h("div", { class: "form-error", role: "alert" }, message(e))); }
  };
  await load();
}

// ---- the outbox ----

export async function mailPage(view: HTMLElement) {
  view.append(h("h1", {}, "Mail outbox"), h("p", { class: "muted" }, "Mail the exchange sent or will send (acknowledgements, replies, escalations)."));
  const list = h("div"), reader = h("section", { class: "panel mail-reader", "aria-label": "Mail" });
  reader.hidden = true;
  view.append(h("button", { type: "button", onclick: () => load() }, "Refresh"), list, reader);
  const read = (m: any) => {
    reader.hidden = false;
    clear(reader, h("h2", {}, m.subject), h("p", { class: "muted" }, `To ${m.to} · ${m.kind ?? ""} · ${dateTime(m.created_ms)} · ${m.sent_ms ? `sent ${dateTime(m.sent_ms)}` : "not sent yet"}`),
      h("pre", { class: "mail-body" }, m.body));
  };
  const load = async () => {
    try {
      const r = await get<{ mail: any[] }>("/web/api/console/mail?limit=200");
      clear(list, h("div", { class: "text-table" }, table(["Time", "To", "Subject", "Kind", "Sent"], r.mail.map((m) => [dateTime(m.created_ms), m.to,
        h("button", { type: "button", class: "link", onclick: () => read(m) }, m.subject), m.kind ?? "", m.sent_ms ? dateTime(m.sent_ms) : h("span", { class: "muted" }, "not sent")]), "Outbox")));
    } catch (e) { clear(list, h("div", { class: "form-error", role: "alert" }, message(e))); }
  };
  await load();
}
