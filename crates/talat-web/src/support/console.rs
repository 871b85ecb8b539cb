//! Staff's support routes: the queue (most urgent first), a ticket with everything on it, a
//! reply (or an internal note), assignment, priority and the complaint lifecycle, attachments,
//! and the mail outbox (the demo's mail viewer). Every change is audited (`support.*`).

use super::clocks::clocks;
use super::input::{self, MAX_SUPPORT_BODY_BYTES, MAX_TEXT_CHARS};
use super::view::{
    self, changed_meanwhile, customer_email, customer_mail, detail_json, event, load, refused_move, status_event, ticket_json, Loaded, MAX_LISTED,
};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::lang::Lang;
use crate::views::account_json;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_store::{NewMessage, QueueFilter, Set, TicketChange};
use talat_support::lifecycle::{complaint_transition, ticket_next, Actor, ComplaintStatus, TicketEvent, TicketStatus};
use talat_support::sla::Priority;

fn flag(q: &HashMap<String, String>, name: &'static str) -> WebResult<bool> {
    match q.get(name).map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(WebError::invalid(name, format!("{name} must be true or false"))),
    }
}

pub async fn queue(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SUPPORT_READ)?;
    let statuses = match q.get("status").map(String::as_str) {
        None | Some("") => Vec::new(),
        Some(st @ ("open" | "waiting_customer" | "resolved" | "closed")) => vec![st.to_string()],
        Some("all") => vec!["open".into(), "waiting_customer".into(), "resolved".into(), "closed".into()],
        Some(_) => return Err(WebError::invalid("status", "status must be open, waiting_customer, resolved, closed or all")),
    };
    let (escalated_only, breached_only) = match q.get("clock").map(String::as_str) {
        None | Some("") => (false, false),
        Some("at_risk") => (true, false),
        Some("breached") => (false, true),
        Some(_) => return Err(WebError::invalid("clock", "clock must be at_risk or breached")),
    };
    let assignee = match q.get("assignee").map(String::as_str) {
        None | Some("") => None,
        Some("me") => Some(s.row.id),
        Some(_) => return Err(WebError::invalid("assignee", "assignee must be me")),
    };
    let text = q.get("q").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(WebError::invalid("q", "the search may have at most 100 characters"));
    }
    let filter = QueueFilter { statuses, complaints_only: flag(&q, "complaint")?, escalated_only, breached_only, assignee, text, limit: MAX_LISTED };
    let rows = web.store.ticket_queue(&filter).await?;
    let cfg = &web.config.support;
    let now = web.gateway.now_ms();
    let mut listed = Vec::with_capacity(rows.len());
    for t in rows {
        let events = web.store.ticket_events(t.id).await?;
        let c = clocks(&cfg.calendar, &cfg.policy, &t, &events, now);
        let key =
            (c.first_response.state.urgency().min(c.resolution.state.urgency()), c.first_response.due_ms.min(c.resolution.due_ms).unwrap_or(u64::MAX), t.id);
        let email = customer_email(&web, &t).await?.email;
        let mut v = ticket_json(&web, &Loaded { ticket: t, events });
        v["customer_email"] = email.into();
        listed.push((key, v));
    }
    listed.sort_by_key(|(key, _)| *key);
    let counts = web.store.support_counts(now.saturating_sub(talat_support::reports::RECENT_COUNTS_MS)).await?;
    Ok(Json(json!({
        "tickets": listed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "counts": {"open": counts.open, "waiting_customer": counts.waiting_customer, "at_risk": counts.at_risk, "breached": counts.breached, "breaches_30d": counts.breaches_since, "complaints_open": counts.complaints_open},
    })))
}

pub async fn show(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SUPPORT_READ)?;
    let loaded = load(&web, input::ticket_id(&id)?, None).await?;
    let customer = web.store.web_account(loaded.ticket.account_id).await?.map(|a| account_json(&a));
    Ok(Json(json!({"ticket": detail_json(&web, &loaded, true).await?, "customer": customer})))
}

async fn answer(web: &Web, id: u64) -> WebResult<Value> {
    let loaded = load(web, id, None).await?;
    Ok(json!({"ticket": detail_json(web, &loaded, true).await?}))
}

/// Staff answer (or note): the first answer the customer can see stops the first-response
/// clock; `then` moves the ticket on (by default an answer waits for the customer).
pub async fn reply(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object_up_to(&headers, &body, false, MAX_SUPPORT_BODY_BYTES).unwrap_or_default();
    // The audit detail leaves out the files' bytes.
    let detail: Map<String, Value> = m.iter().filter(|(k, _)| k.as_str() != "attachments").map(|(k, v)| (k.clone(), v.clone())).collect();
    let act = Action { web: &web, staff: &s, action: "support.reply", target: format!("ticket:{id}") };
    act.run(allow::SUPPORT_WRITE, &detail, || async {
        body::object_up_to(&headers, &body, false, MAX_SUPPORT_BODY_BYTES)?;
        let loaded = load(&web, input::ticket_id(&id)?, None).await?;
        let t = &loaded.ticket;
        let text = input::text(&m, "text", MAX_TEXT_CHARS)?;
        let internal = match m.get("internal") {
            None | Some(Value::Null) => false,
            Some(_) => body::bool(&m, "internal")?,
        };
        let files = input::attachments(&m).await?;
        let then = TicketEvent::of_staff_reply(body::opt_str(&m, "then")?, internal)
            .map_err(|_| WebError::invalid("then", "then must be open, waiting_customer or resolved"))?;
        let now = web.gateway.now_ms();
        let from = TicketStatus::parse(&t.status).map_err(|e| WebError::internal(e.to_string()))?;
        if from == TicketStatus::Closed {
            return Err(WebError::conflict("this ticket is closed"));
        }
        let to = match then {
            None => from,
            Some(ev) => ticket_next(&web.config.support.ticket_rules, from, ev, Actor::Staff, t.resolved_ms, now).map_err(refused_move)?,
        };
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
        change.message = Some((NewMessage { author: "staff".into(), author_id: s.row.id, internal, body: text }, files));
        change.events.push(event("staff", s.row.id, "message", None, None, if internal { "internal note" } else { "" }));
        if !internal && t.first_response_ms.is_none() {
            change.set.push(("first_response_ms", Set::Int(now)));
        }
        if let Some(e) = status_event("staff", s.row.id, from.as_str(), to.as_str()) {
            change.events.push(e);
            change.set.push(("status", Set::Text(to.as_str().into())));
            if to == TicketStatus::Resolved {
                change.set.push(("resolved_ms", Set::Int(now)));
            }
        }
        let then = to.as_str();
        if !internal {
            let to = customer_email(&web, t).await?;
            let what = match (then == "resolved", to.lang) {
                (true, Lang::En) => "We have answered your request and consider it resolved. If something is still wrong, just reply in the app.",
                (true, Lang::Th) => "เราได้ตอบคำขอของคุณและถือว่าเรื่องได้รับการแก้ไขแล้ว หากยังมีปัญหา ตอบกลับในแอปได้เลย",
                (false, Lang::En) => "We have answered your request. Read the answer and reply in the app.",
                (false, Lang::Th) => "เราได้ตอบคำขอของคุณแล้ว อ่านคำตอบและตอบกลับได้ในแอป",
            };
            change.mail.push(customer_mail(&web, &to, "ticket.answered", t, what));
        }
        if !web.store.change_ticket(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, t.id).await
    })
    .await
}

pub async fn assign(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.assign", target: format!("ticket:{id}") };
    act.run(allow::SUPPORT_WRITE, &m, || async {
        body::object(&headers, &body, false)?;
        let loaded = load(&web, input::ticket_id(&id)?, None).await?;
        let t = &loaded.ticket;
        let to = match m.get("staff_id") {
            Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| WebError::invalid("staff_id", "staff_id must be a staff id or null"))?),
            _ => return Err(WebError::invalid("staff_id", "staff_id must be a staff id or null")),
        };
        if let Some(staff_id) = to {
            let member = web.store.staff(staff_id).await?.ok_or_else(|| WebError::invalid("staff_id", format!("no staff member {staff_id}")))?;
            if !matches!(member.role.as_str(), "support" | "admin") {
                return Err(WebError::invalid("staff_id", format!("{} ({}) does not handle tickets", member.email, member.role)));
            }
        }
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: web.gateway.now_ms(), ..Default::default() };
        change.set.push(("assignee_staff_id", to.map_or(Set::Null, Set::Int)));
        change.events.push(event(
            "staff",
            s.row.id,
            "assigned",
            t.assignee_staff_id.map(|a| a.to_string()).as_deref(),
            to.map(|a| a.to_string()).as_deref(),
            "",
        ));
        if !web.store.change_ticket(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, t.id).await
    })
    .await
}

pub async fn priority(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.priority", target: format!("ticket:{id}") };
    act.run(allow::SUPPORT_WRITE, &m, || async {
        body::object(&headers, &body, false)?;
        let loaded = load(&web, input::ticket_id(&id)?, None).await?;
        let t = &loaded.ticket;
        let p = Priority::parse(body::str(&m, "priority")?).map_err(|_| WebError::invalid("priority", "priority must be urgent, high, normal or low"))?;
        let reason = body::reason(&m)?;
        if p.as_str() == t.priority {
            return Err(WebError::conflict(format!("the priority is already {}", t.priority)));
        }
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: web.gateway.now_ms(), ..Default::default() };
        change.set.push(("priority", Set::Text(p.as_str().into())));
        change.events.push(event("staff", s.row.id, "priority", Some(&t.priority), Some(p.as_str()), reason));
        if !web.store.change_ticket(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, t.id).await
    })
    .await
}

/// Flags a ticket as a complaint (`received`) or moves its complaint on; each change is
/// timestamped in the ticket's events, audited, and mailed to the customer.
pub async fn complaint(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.complaint", target: format!("ticket:{id}") };
    act.run(allow::COMPLAINT, &m, || async {
        body::object(&headers, &body, false)?;
        let loaded = load(&web, input::ticket_id(&id)?, None).await?;
        let t = &loaded.ticket;
        let to = ComplaintStatus::parse(body::str(&m, "status")?)
            .map_err(|_| WebError::invalid("status", "status must be received, acknowledged, investigating, resolved or rejected"))?;
        let reason = input::opt_reason(&m)?;
        let now = web.gateway.now_ms();
        let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: now, ..Default::default() };
        match t.complaint_status.as_deref().map(|c| ComplaintStatus::parse(c).ok()) {
            None => {
                if to != ComplaintStatus::Received {
                    return Err(WebError::conflict("this ticket is not a complaint yet: flag it as received first"));
                }
                change.set.push(("complaint_received_ms", Set::Int(now)));
            }
            Some(None) => return Err(WebError::internal(format!("ticket {} has an unknown complaint status", t.id))),
            Some(Some(from)) => {
                complaint_transition(from, to, reason.as_deref()).map_err(|e| {
                    if reason.is_none() && to == ComplaintStatus::Rejected {
                        WebError::invalid("reason", e.to_string())
                    } else {
                        WebError::conflict(e.to_string())
                    }
                })?;
            }
        }
        change.set.push(("complaint_status", Set::Text(to.as_str().into())));
        // `complaint_reason` stays the customer's words; staff's reasons live in the events.
        if t.complaint_reason.is_none() && to == ComplaintStatus::Received {
            if let Some(r) = &reason {
                change.set.push(("complaint_reason", Set::Text(r.clone())));
            }
        }
        match to {
            ComplaintStatus::Acknowledged => change.set.push(("complaint_acknowledged_ms", Set::Int(now))),
            ComplaintStatus::Resolved | ComplaintStatus::Rejected => change.set.push(("complaint_closed_ms", Set::Int(now))),
            _ => {}
        }
        change.events.push(event("staff", s.row.id, "complaint", t.complaint_status.as_deref(), Some(to.as_str()), reason.clone().unwrap_or_default()));
        let email = customer_email(&web, t).await?;
        let why = reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
        let what = match (to, email.lang) {
            (ComplaintStatus::Received, Lang::En) => "Your request is now handled as a complaint.".to_string(),
            (ComplaintStatus::Received, Lang::Th) => "คำขอของคุณได้รับการดำเนินการในฐานะข้อร้องเรียนแล้ว".to_string(),
            (ComplaintStatus::Acknowledged, Lang::En) => "We acknowledge your complaint and are looking into it.".to_string(),
            (ComplaintStatus::Acknowledged, Lang::Th) => "เราได้รับทราบข้อร้องเรียนของคุณและกำลังตรวจสอบ".to_string(),
            (ComplaintStatus::Investigating, Lang::En) => "We are investigating your complaint.".to_string(),
            (ComplaintStatus::Investigating, Lang::Th) => "เรากำลังสอบสวนข้อร้องเรียนของคุณ".to_string(),
            (ComplaintStatus::Resolved, Lang::En) => format!("Your complaint is resolved.{why}"),
            (ComplaintStatus::Resolved, Lang::Th) => format!("ข้อร้องเรียนของคุณได้รับการแก้ไขแล้ว{why}"),
            (ComplaintStatus::Rejected, Lang::En) => format!("We have rejected your complaint:{why}"),
            (ComplaintStatus::Rejected, Lang::Th) => format!("เราปฏิเสธข้อร้องเรียนของคุณ:{why}"),
        };
        change.mail.push(customer_mail(&web, &email, "complaint.status", t, &what));
        if !web.store.change_ticket(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, t.id).await
    })
    .await
}

pub async fn attachment(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    s.require(allow::SUPPORT_READ)?;
    let n: u64 = id.parse().map_err(|_| WebError::not_found(format!("no attachment {id}")))?;
    let (meta, bytes) = web.store.attachment(n).await?.ok_or_else(|| WebError::not_found(format!("no attachment {id}")))?;
    Ok(view::file_response(&meta, bytes))
}

/// The outbox, newest first: the demo's mail viewer.
pub async fn mail(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::MAIL)?;
    let limit = match q.get("limit").map(String::as_str) {
        None | Some("") => 100,
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=500).contains(n)).ok_or_else(|| WebError::invalid("limit", "limit must be 1 to 500"))?,
    };
    let rows = web.store.outbox(limit).await?;
    let mail: Vec<Value> = rows.iter().map(|r| json!({"id": r.id, "to": r.to_addr, "subject": r.subject, "body": r.body, "created_ms": r.created_ms, "sent_ms": r.sent_ms, "kind": r.kind, "attempts": r.attempts, "last_error": r.last_error})).collect();
    Ok(Json(json!({"mail": mail})))
}
