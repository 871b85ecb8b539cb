//! Tickets as JSON (one shape for the customer and the console; the console also sees internal
//! notes), the shared loading of a ticket with its history, the mail texts, and the answers to a
//! refused or conflicting change.

use super::clocks::{clocks, clocks_json};
use crate::error::{WebError, WebResult};
use crate::lang::Lang;
use crate::Web;
use serde_json::{json, Value};
use talat_store::{AttachmentMeta, EventRow, MessageRow, NewEvent, NewMail, TicketRow};
use talat_support::lifecycle::TransitionError;

/// A ticket with its history, as read for one request.
pub struct Loaded {
    pub ticket: TicketRow,
    pub events: Vec<EventRow>,
}

/// The ticket `id`, or 404 — also when `owner` is given and it is someone else's (the same
/// answer, so ids cannot be probed).
pub async fn load(web: &Web, id: u64, owner: Option<u64>) -> WebResult<Loaded> {
    let ticket =
        web.store.ticket(id).await?.filter(|t| owner.is_none_or(|o| o == t.account_id)).ok_or_else(|| WebError::not_found(format!("no ticket {id}")))?;
    let events = web.store.ticket_events(id).await?;
    Ok(Loaded { ticket, events })
}

/// Most tickets a customer's list or the console's queue shows.
pub const MAX_LISTED: i64 = 200;

/// A move the ticket lifecycle does not allow: 409 with the rule's words.
pub fn refused_move(e: TransitionError) -> WebError {
    WebError::conflict(e.to_string())
}

/// Someone changed the ticket between our read and our write.
pub fn changed_meanwhile() -> WebError {
    WebError::conflict("the ticket changed meanwhile; reload it and try again")
}

fn complaint_json(t: &TicketRow) -> Value {
    match &t.complaint_status {
        None => Value::Null,
        Some(status) => json!({
            "status": status,
            "reason": t.complaint_reason,
            "received_ms": t.complaint_received_ms,
            "acknowledged_ms": t.complaint_acknowledged_ms,
            "resolved_ms": t.complaint_closed_ms,
        }),
    }
}

pub fn ticket_json(web: &Web, l: &Loaded) -> Value {
    let t = &l.ticket;
    let cfg = &web.config.support;
    let c = clocks(&cfg.calendar, &cfg.policy, t, &l.events, web.gateway.now_ms());
    let link = match (&t.link_kind, &t.link_ref) {
        (Some(kind), Some(id)) => json!({"kind": kind, "id": id}),
        _ => Value::Null,
    };
    json!({
        "id": t.id,
        "category": t.category,
        "priority": t.priority,
        "subject": t.subject,
        "status": t.status,
        "link": link,
        "complaint": complaint_json(t),
        "incident_id": t.incident_id,
        "assignee": t.assignee_staff_id,
        "created_ms": t.created_ms,
        "updated_ms": t.updated_ms,
        "first_response_ms": t.first_response_ms,
        "resolved_ms": t.resolved_ms,
        "escalated_ms": t.escalated_ms,
        "clocks": clocks_json(&c),
    })
}

/// The ticket with its messages, attachments and events; internal notes only for staff.
pub async fn detail_json(web: &Web, l: &Loaded, staff_view: bool) -> WebResult<Value> {
    let messages: Vec<MessageRow> = web.store.ticket_messages(l.ticket.id).await?.into_iter().filter(|m| staff_view || !m.internal).collect();
    let files: Vec<AttachmentMeta> = web.store.ticket_attachments(l.ticket.id).await?;
    let mut v = ticket_json(web, l);
    v["messages"] = messages
        .iter()
        .map(|m| {
            let attachments: Vec<Value> = files
                .iter()
                .filter(|f| f.message_id == m.id)
                .map(|f| json!({"id": f.id, "name": f.file_name, "content_type": f.content_type, "size": f.size_bytes}))
                .collect();
            json!({"id": m.id, "author": m.author, "internal": m.internal, "text": m.body, "ts_ms": m.created_ms, "attachments": attachments})
        })
        .collect();
    v["events"] = l
        .events
        .iter()
        .filter(|e| staff_view || e.kind != "assigned")
        .map(|e| json!({"ts_ms": e.ts_ms, "actor": e.actor, "kind": e.kind, "from": e.from_state, "to": e.to_state, "detail": e.detail}))
        .collect();
    Ok(v)
}

pub fn event(actor: &str, actor_id: u64, kind: &str, from: Option<&str>, to: Option<&str>, detail: impl Into<String>) -> NewEvent {
    NewEvent { actor: actor.into(), actor_id, kind: kind.into(), from_state: from.map(Into::into), to_state: to.map(Into::into), detail: detail.into() }
}

/// A status change's event, if the status changes.
pub fn status_event(actor: &str, actor_id: u64, from: &str, to: &str) -> Option<NewEvent> {
    (from != to).then(|| event(actor, actor_id, "status", Some(from), Some(to), ""))
}

/// Who a mail about a ticket goes to: the customer's address and language.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub email: String,
    pub lang: Lang,
}

impl Recipient {
    pub fn of(account: &talat_store::WebAccountRow) -> Recipient {
        Recipient { email: account.email.clone(), lang: Lang::of(account) }
    }
}

/// A mail to the customer about their ticket; `what` is in `to.lang`.
pub fn customer_mail(web: &Web, to: &Recipient, kind: &str, t: &TicketRow, what: &str) -> NewMail {
    ticket_mail(&web.config.support.site_name, to, kind, t.id, &t.subject, what)
}

pub fn ticket_mail(site: &str, to: &Recipient, kind: &str, ticket_id: u64, subject: &str, what: &str) -> NewMail {
    let footer = to.lang.pick(
        format!("Ticket #{ticket_id}: {subject}\nFollow it in the app under Support.\n\n— {site} customer support"),
        format!("คำขอ #{ticket_id}: {subject}\nติดตามได้ในแอปที่เมนูช่วยเหลือ\n\n— ฝ่ายบริการลูกค้า {site}"),
    );
    NewMail { kind: kind.into(), to_addr: to.email.clone(), subject: format!("[{site} #{ticket_id}] {subject}"), body: format!("{what}\n\n{footer}") }
}

/// The customer a mail about a ticket goes to.
pub async fn customer_email(web: &Web, t: &TicketRow) -> WebResult<Recipient> {
    Ok(web.store.web_account(t.account_id).await?.map_or(Recipient { email: String::new(), lang: Lang::Th }, |a| Recipient::of(&a)))
}

/// `Content-Disposition` for a customer's file name (RFC 6266): an ASCII fallback in
/// `filename` (anything else, quotes and backslashes as `_`) and the exact name, UTF-8 and
/// percent-encoded, in `filename*` — so a Thai file name arrives intact and no name can break
/// out of the header.
pub fn attachment_disposition(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded: String =
        name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An attachment as a download.
pub fn file_response(meta: &AttachmentMeta, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = attachment_disposition(&meta.file_name);
    (
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_download_intact_and_cannot_break_the_header() {
        assert_eq!(attachment_disposition("slip.pdf"), "attachment; filename=\"slip.pdf\"; filename*=UTF-8''slip.pdf");
        let thai = attachment_disposition("สลิป 1.png");
        assert!(thai.starts_with("attachment; filename=\"____ 1.png\"; filename*=UTF-8''%E0%B8%AA"), "{thai}");
        let hostile = attachment_disposition("a\"; x=\r\n.txt");
        assert!(!hostile.contains('\r') && !hostile.contains('\n') && hostile.matches('"').count() == 2, "{hostile}");
    }
}
