//! The customer's support routes: open, list, read and answer their tickets, raise one as a
//! complaint, download its attachments. Someone else's ticket is "not found".

use super::input::{self, MAX_SUBJECT_CHARS, MAX_SUPPORT_BODY_BYTES, MAX_TEXT_CHARS};
use super::view::{self, changed_meanwhile, customer_mail, detail_json, event, load, refused_move, status_event, ticket_json, Loaded, MAX_LISTED};
use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;

/// The acknowledgements of a new request and of a complaint, (English, Thai).
const REQUEST_RECEIVED: (&str, &str) = ("We have received your request and will answer as soon as we can.", "เราได้รับคำขอของคุณแล้ว และจะตอบโดยเร็วที่สุด");
const COMPLAINT_RECEIVED: (&str, &str) = (
    "We have received your complaint. We will acknowledge it within one business day and keep you informed until it is resolved.",
    "เราได้รับข้อร้องเรียนของคุณแล้ว เราจะแจ้งรับทราบภายในหนึ่งวันทำการ และแจ้งความคืบหน้าจนกว่าจะได้รับการแก้ไข",
);
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_core::{OrderId, UserId};
use talat_store::{NewMessage, NewTicket, Set, TicketChange, WebAccountRow};
use talat_support::lifecycle::{ticket_next, Actor, TicketEvent, TicketStatus};
use talat_support::sla::Category;

/// A linked order must be the customer's own (deposits and withdrawals are checked by format
/// only: their ids are the customer's to quote).
async fn check_link(web: &Web, user: UserId, link: &Option<(String, String)>) -> WebResult<()> {
    let Some((kind, id)) = link else { return Ok(()) };
    if kind == "order" {
        let n: u64 = id.parse().map_err(|_| WebError::invalid("link", "an order id is a number"))?;
        let order = web.store.order(OrderId(n)).await?;
        if order.is_none_or(|o| o.user != user) {
            return Err(WebError::invalid("link", format!("you have no order {n}")));
        }
    }
    Ok(())
}

pub async fn list(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.tickets_of_account(account.id, MAX_LISTED).await?;
    let mut tickets = Vec::with_capacity(rows.len());
    for t in rows {
        let events = web.store.ticket_events(t.id).await?;
        tickets.push(ticket_json(&web, &Loaded { ticket: t, events }));
    }
    Ok(Json(json!({"tickets": tickets})))
}

pub async fn create(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Response> {
    let m = body::object_up_to(&headers, &body, false, MAX_SUPPORT_BODY_BYTES)?;
    let category = Category::parse(body::str(&m, "category")?)
        .map_err(|_| WebError::invalid("category", "category must be account, deposit, withdrawal, trading, kyc, security or other"))?;
    // One line: a subject goes into mail headers, where a line break could start a new header.
    let subject = input::text(&m, "subject", MAX_SUBJECT_CHARS)?.replace(['\r', '\n'], " ");
    let text = input::text(&m, "text", MAX_TEXT_CHARS)?;
    let complaint = match m.get("complaint") {
        None | Some(Value::Null) => false,
        Some(_) => body::bool(&m, "complaint")?,
    };
    let reason = input::opt_reason(&m)?;
    let link = input::link(&m)?;
    let files = input::attachments(&m).await?;
    check_link(&web, account.user, &link).await?;

    let now = web.gateway.now_ms();
    let priority = category.initial_priority();
    let new = NewTicket {
        account_id: account.id,
        category: category.as_str().into(),
        priority: priority.as_str().into(),
        subject,
        status: "open".into(),
        link_kind: link.as_ref().map(|l| l.0.clone()),
        link_ref: link.as_ref().map(|l| l.1.clone()),
        complaint_status: complaint.then(|| "received".to_string()),
        complaint_reason: if complaint { reason.clone() } else { None },
        created_ms: now,
    };
    let first = NewMessage { author: "customer".into(), author_id: account.id, internal: false, body: text };
    let mut events =
        vec![event("customer", account.id, "created", None, Some("open"), format!("category {}, priority {}", category.as_str(), priority.as_str()))];
    if complaint {
        events.push(event("customer", account.id, "complaint", None, Some("received"), reason.clone().unwrap_or_default()));
    }
    let to = view::Recipient::of(&account);
    let what = if complaint { COMPLAINT_RECEIVED } else { REQUEST_RECEIVED };
    let what = to.lang.pick(what.0, what.1);
    let (site, subject) = (web.config.support.site_name.clone(), new.subject.clone());
    let kind = if complaint { "complaint.received" } else { "ticket.received" };
    let ack = move |id: u64| vec![view::ticket_mail(&site, &to, kind, id, &subject, what)];
    let ticket = web.store.create_ticket(&new, &first, &files, &events, &ack).await?;
    let loaded = load(&web, ticket.id, Some(account.id)).await?;
    let body = detail_json(&web, &loaded, false).await?;
    Ok((StatusCode::CREATED, Json(json!({"ticket": body}))).into_response())
}

pub async fn show(State(web): State<Arc<Web>>, Path(id): Path<String>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let loaded = load(&web, input::ticket_id(&id)?, Some(account.id)).await?;
    Ok(Json(json!({"ticket": detail_json(&web, &loaded, false).await?})))
}

/// The customer answers: the ticket goes back to staff (`open`), a resolved one reopens.
pub async fn message(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Customer { account, .. }: Customer,
    body: Bytes,
) -> WebResult<Json<Value>> {
    let loaded = load(&web, input::ticket_id(&id)?, Some(account.id)).await?;
    let m = body::object_up_to(&headers, &body, false, MAX_SUPPORT_BODY_BYTES)?;
    let text = input::text(&m, "text", MAX_TEXT_CHARS)?;
    let files = input::attachments(&m).await?;
    let t = &loaded.ticket;
    let now = web.gateway.now_ms();
    let from = TicketStatus::parse(&t.status).map_err(|e| WebError::internal(e.to_string()))?;
    let event_kind = if from == TicketStatus::Resolved { TicketEvent::CustomerReopened } else { TicketEvent::CustomerReplied };
    let to = ticket_next(&web.config.support.ticket_rules, from, event_kind, Actor::Customer, t.resolved_ms, now).map_err(|e| match from {
        TicketStatus::Closed => WebError::conflict("this ticket is closed; please open a new one"),
        _ => refused_move(e),
    })?;
    let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
    change.message = Some((NewMessage { author: "customer".into(), author_id: account.id, internal: false, body: text }, files));
    change.events.push(event("customer", account.id, "message", None, None, ""));
    if let Some(e) = status_event("customer", account.id, from.as_str(), to.as_str()) {
        change.events.push(e);
        change.set.push(("status", Set::Text(to.as_str().into())));
        if from == TicketStatus::Resolved {
            change.set.push(("resolved_ms", Set::Null));
        }
    }
    if !web.store.change_ticket(&change).await? {
        return Err(changed_meanwhile());
    }
    let loaded = load(&web, t.id, Some(account.id)).await?;
    Ok(Json(json!({"ticket": detail_json(&web, &loaded, false).await?})))
}

/// The customer raises the ticket as a complaint (`received`).
pub async fn complaint(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Customer { account, .. }: Customer,
    body: Bytes,
) -> WebResult<Json<Value>> {
    let loaded = load(&web, input::ticket_id(&id)?, Some(account.id)).await?;
    let m = body::object(&headers, &body, false)?;
    let reason = input::opt_reason(&m)?;
    flag_complaint(&web, &loaded, &account, reason).await?;
    let loaded = load(&web, loaded.ticket.id, Some(account.id)).await?;
    Ok(Json(json!({"ticket": detail_json(&web, &loaded, false).await?})))
}

async fn flag_complaint(web: &Web, l: &Loaded, account: &WebAccountRow, reason: Option<String>) -> WebResult<()> {
    let t = &l.ticket;
    if t.complaint_status.is_some() {
        return Err(WebError::conflict("this ticket is already a complaint"));
    }
    let now = web.gateway.now_ms();
    let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
    change.set.push(("complaint_status", Set::Text("received".into())));
    change.set.push(("complaint_received_ms", Set::Int(now)));
    if let Some(r) = &reason {
        change.set.push(("complaint_reason", Set::Text(r.clone())));
    }
    change.events.push(event("customer", account.id, "complaint", None, Some("received"), reason.unwrap_or_default()));
    let to = view::Recipient::of(account);
    let what = to.lang.pick(COMPLAINT_RECEIVED.0, COMPLAINT_RECEIVED.1);
    change.mail.push(customer_mail(web, &to, "complaint.received", t, what));
    if !web.store.change_ticket(&change).await? {
        return Err(changed_meanwhile());
    }
    Ok(())
}

pub async fn attachment(State(web): State<Arc<Web>>, Path(id): Path<String>, Customer { account, .. }: Customer) -> WebResult<Response> {
    let not_found = || WebError::not_found(format!("no attachment {id}"));
    let n: u64 = id.parse().map_err(|_| not_found())?;
    let (meta, bytes) = web.store.attachment(n).await?.ok_or_else(not_found)?;
    let ticket = web.store.ticket(meta.ticket_id).await?.ok_or_else(not_found)?;
    if ticket.account_id != account.id {
        return Err(not_found());
    }
    // An attachment of an internal note is staff-only.
    let internal = web.store.ticket_messages(ticket.id).await?.iter().any(|m| m.id == meta.message_id && m.internal);
    if internal {
        return Err(not_found());
    }
    Ok(view::file_response(&meta, bytes))
}
