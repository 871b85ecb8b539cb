//! The console's case routes (page `cases`): list and read cases (with their alerts, timeline
//! and the question to the customer), open one from alerts, assign it, add a note, ask the
//! customer to explain within 24 hours (a support ticket), escalate it, close it with a
//! disposition. Every action is audited, refused ones too; which move is allowed from where is
//! `talat_surveillance::cases`, and the store applies a move only from the status it leaves.

use super::view::{
    alert_accounts, alert_ids, alert_json, case_json, changed_meanwhile, event_json, load_case, opt_text, Accounts, StaffNames, MAX_CASE_ALERTS, MAX_LISTED,
    MAX_NOTE_CHARS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS,
};
use crate::auth::{allow, Action, Role, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::support::view::{ticket_mail, Recipient};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use talat_store::{CaseChange, CaseOpened, CaseRow, CaseSet, NewCaseEvent, NewEvent, NewMessage, NewTicket};
use talat_support::sla::Category;
use talat_surveillance::cases::{is_disposition, CaseAction, CaseStatus, DISPOSITIONS, EXPLAIN_WITHIN_MS};

/// `?status=open|awaiting_customer|escalated|closed|all` (default all), most recently changed
/// first.
pub async fn list(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE)?;
    let status = match q.get("status").map(String::as_str) {
        None | Some("") | Some("all") => None,
        Some(st) => {
            Some(CaseStatus::parse(st).ok_or_else(|| WebError::invalid("status", "status is open, awaiting_customer, escalated, closed or all"))?.as_str())
        }
    };
    let mut names = StaffNames::default();
    let mut cases = Vec::new();
    for c in web.store.surveillance_cases(status, MAX_LISTED).await? {
        let mut v = case_json(&web, &c, &mut names).await?;
        v["alert_count"] = json!(web.store.surveillance_case_alerts(c.id).await?.len());
        cases.push(v);
    }
    Ok(Json(json!({"cases": cases, "dispositions": DISPOSITIONS})))
}

/// The engine user ids a case's alerts name, in order.
async fn case_users(web: &Web, case_id: u64) -> WebResult<Vec<u32>> {
    let users: BTreeSet<u32> = web.store.surveillance_case_alerts(case_id).await?.iter().flat_map(alert_accounts).collect();
    Ok(users.into_iter().collect())
}

/// A case with its alerts (and their evidence), accounts, timeline and ticket.
async fn detail(web: &Web, c: &CaseRow) -> WebResult<Value> {
    let mut names = StaffNames::default();
    let mut v = case_json(web, c, &mut names).await?;
    let alerts = web.store.surveillance_case_alerts(c.id).await?;
    let accounts = Accounts::of(web, alerts.iter().flat_map(alert_accounts)).await?;
    v["alerts"] = alerts.iter().map(|a| alert_json(web, a, &accounts, true)).collect();
    v["accounts"] = case_users(web, c.id).await?.into_iter().map(|u| accounts.get(u)).collect();
    let mut events = Vec::new();
    for e in web.store.surveillance_case_events(c.id).await? {
        events.push(event_json(web, &e, &mut names).await?);
    }
    v["events"] = events.into();
    v["ticket"] = match c.ticket_id {
        Some(id) => web.store.ticket(id).await?.map_or(Value::Null, |t| {
            json!({"id": t.id, "account_id": t.account_id, "subject": t.subject, "status": t.status, "updated_ms": t.updated_ms, "console_url": format!("/console#/support/{}", t.id)})
        }),
        None => Value::Null,
    };
    Ok(v)
}

async fn answer(web: &Web, id: u64) -> WebResult<Value> {
    let c = web.store.surveillance_case(id).await?.ok_or_else(|| WebError::internal(format!("case {id} vanished")))?;
    Ok(json!({"case": detail(web, &c).await?}))
}

pub async fn show(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE)?;
    let c = load_case(&web, &id).await?;
    Ok(Json(json!({"case": detail(&web, &c).await?})))
}

fn staff_event(s: &Staff, action: CaseAction, note: Option<String>, detail: Value) -> NewCaseEvent {
    NewCaseEvent { staff_id: s.row.id, action: action.as_str().into(), note: note.unwrap_or_default(), detail: detail.to_string() }
}

/// `{alert_ids: [...], title?, note?}` → 201 `{case}`: every alert must be open; they move
/// into the new case together.
pub async fn open(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Response> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "surveillance.case.open", target: "cases".into() };
    let answered = act
        .run(allow::SURVEILLANCE, &m, || async {
            body::object(&headers, &body, false)?;
            let ids = alert_ids(&m, MAX_CASE_ALERTS)?;
            let title = opt_text(&m, "title", MAX_TITLE_CHARS)?.map(|t| t.replace(['\r', '\n'], " "));
            let note = opt_text(&m, "note", MAX_NOTE_CHARS)?;
            let mut first = None;
            for id in &ids {
                let a = web.store.surveillance_alert(id).await?.ok_or_else(|| WebError::invalid("alert_ids", format!("no alert {id}")))?;
                if a.status != "open" {
                    return Err(WebError::conflict(format!("alert {id} is {}, not open", a.status.replace('_', " "))));
                }
                first.get_or_insert(a);
            }
            let first = first.expect("at least one alert");
            let title = title.unwrap_or_else(|| {
                let more = if ids.len() > 1 { format!(" (+{} more)", ids.len() - 1) } else { String::new() };
                format!("{}: {}{more}", super::view::detector_title(&first.detector), first.symbol)
            });
            let event =
                NewCaseEvent { staff_id: s.row.id, action: "opened".into(), note: note.unwrap_or_default(), detail: json!({"alert_ids": ids}).to_string() };
            match web.store.surveillance_open_case(&title, &ids, &event, web.gateway.now_ms()).await? {
                CaseOpened::Opened(c) => answer(&web, c.id).await,
                CaseOpened::AlertNotOpen(id) => Err(WebError::conflict(format!("alert {id} is no longer open; reload and try again"))),
            }
        })
        .await?;
    Ok((StatusCode::CREATED, answered).into_response())
}

/// Applies one move to the case: refused (409, nothing changes) unless `talat_surveillance::cases` allows it
/// from the case's status; the store applies it only from that status.
async fn apply(web: &Web, c: &CaseRow, action: CaseAction, mut set: Vec<(&'static str, CaseSet)>, event: NewCaseEvent) -> WebResult<Value> {
    if !action.allowed_from(&c.status) {
        return Err(WebError::conflict(action.refusal(&c.status)));
    }
    if let Some(to) = action.to() {
        set.push(("status", CaseSet::Text(to.as_str().into())));
    }
    let change = CaseChange { case_id: c.id, from: action.from(), now_ms: web.gateway.now_ms(), set, event };
    if !web.store.surveillance_change_case(&change).await? {
        return Err(changed_meanwhile());
    }
    answer(web, c.id).await
}

/// The audited frame every case action shares: the role check, the body, the case.
async fn case_action<F, Fut>(web: &Web, headers: &HeaderMap, id: &str, s: &Staff, body: &Bytes, action: CaseAction, f: F) -> WebResult<Json<Value>>
where
    F: FnOnce(Map<String, Value>, CaseRow) -> Fut,
    Fut: std::future::Future<Output = WebResult<Value>>,
{
    let m = body::object(headers, body, false).unwrap_or_default();
    let audit_name = match action {
        CaseAction::Assign => "surveillance.case.assign",
        CaseAction::Note => "surveillance.case.note",
        CaseAction::AskCustomer => "surveillance.case.ask_customer",
        CaseAction::Escalate => "surveillance.case.escalate",
        CaseAction::Close => "surveillance.case.close",
    };
    let act = Action { web, staff: s, action: audit_name, target: format!("case:{id}") };
    act.run(allow::SURVEILLANCE, &m, || async {
        let m = body::object(headers, body, false)?;
        let c = load_case(web, id).await?;
        f(m, c).await
    })
    .await
}

/// `{staff_id: n | null, note?}`: only someone who may act on cases can hold one.
pub async fn assign(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let (web, s) = (&*web, &s);
    case_action(web, &headers, &id, s, &body, CaseAction::Assign, move |m, c| async move {
        let to = match m.get("staff_id") {
            Some(Value::Null) => None,
            Some(_) => Some(u64::from(body::u32(&m, "staff_id")?)),
            None => return Err(WebError::invalid("staff_id", "staff_id is required (null to unassign)")),
        };
        if let Some(staff_id) = to {
            let row = web.store.staff(staff_id).await?.ok_or_else(|| WebError::invalid("staff_id", format!("no staff member {staff_id}")))?;
            if !Role::parse(&row.role).is_some_and(|r| allow::SURVEILLANCE.contains(&r)) {
                return Err(WebError::invalid("staff_id", format!("{} ({}) may not work on surveillance cases", row.email, row.role)));
            }
        }
        let note = opt_text(&m, "note", MAX_NOTE_CHARS)?;
        let set = vec![("assignee_staff_id", to.map_or(CaseSet::Null, CaseSet::Int))];
        let event = staff_event(s, CaseAction::Assign, note, json!({"from": c.assignee_staff_id, "to": to}));
        apply(web, &c, CaseAction::Assign, set, event).await
    })
    .await
}

/// `{note}`.
pub async fn note(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let (web, s) = (&*web, &s);
    case_action(web, &headers, &id, s, &body, CaseAction::Note, move |m, c| async move {
        let note = crate::support::input::text(&m, "note", MAX_NOTE_CHARS)?;
        apply(web, &c, CaseAction::Note, Vec::new(), staff_event(s, CaseAction::Note, Some(note), json!({}))).await
    })
    .await
}

/// `{reason}`: handed up (to the money-laundering reporting officer).
pub async fn escalate(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let (web, s) = (&*web, &s);
    case_action(web, &headers, &id, s, &body, CaseAction::Escalate, move |m, c| async move {
        let reason = body::reason(&m)?;
        apply(web, &c, CaseAction::Escalate, Vec::new(), staff_event(s, CaseAction::Escalate, Some(reason), json!({"from": c.status}))).await
    })
    .await
}

/// `{disposition, reason}`: both required; a closed case is final.
pub async fn close(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let (web, s) = (&*web, &s);
    case_action(web, &headers, &id, s, &body, CaseAction::Close, move |m, c| async move {
        let disposition = match body::opt_str(&m, "disposition")? {
            Some(d) if is_disposition(d) => d.to_string(),
            Some(d) => return Err(WebError::invalid("disposition", format!("{d:?} is not a disposition: one of {}", DISPOSITIONS.join(", ")))),
            None => return Err(WebError::invalid("disposition", format!("a case closes with a disposition: one of {}", DISPOSITIONS.join(", ")))),
        };
        let reason = body::reason(&m)?;
        let set = vec![("disposition", CaseSet::Text(disposition.clone()))];
        let event = staff_event(s, CaseAction::Close, Some(reason), json!({"from": c.status, "disposition": disposition}));
        apply(web, &c, CaseAction::Close, set, event).await
    })
    .await
}

/// The subject of the question when staff give none. It says nothing of surveillance: the
/// customer must not be tipped off that a report is being considered.
const DEFAULT_SUBJECT: &str = "A question about your recent trading";

/// Whom a question goes to: `user_id` if given (one of the case's accounts), else the case's
/// only account.
fn asked_user(m: &serde_json::Map<String, Value>, users: &[u32]) -> WebResult<u32> {
    match m.get("user_id") {
        None | Some(Value::Null) => match users {
            [only] => Ok(*only),
            _ => {
                let list = users.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                Err(WebError::invalid("user_id", format!("this case names several accounts ({list}): say which one to ask")))
            }
        },
        Some(_) => {
            let u = body::u32(m, "user_id")?;
            if !users.contains(&u) {
                return Err(WebError::invalid("user_id", format!("user {u} is not one of this case's accounts")));
            }
            Ok(u)
        }
    }
}

/// The question's ticket: a trading question, waiting for the customer from the start.
fn question_ticket(account_id: u64, subject: &str, now_ms: u64) -> NewTicket {
    let category = Category::Trading;
    NewTicket {
        account_id,
        category: category.as_str().into(),
        priority: category.initial_priority().as_str().into(),
        subject: subject.to_string(),
        status: "waiting_customer".into(),
        // No link back to the case: the customer sees a ticket's link.
        link_kind: None,
        link_ref: None,
        complaint_status: None,
        complaint_reason: None,
        created_ms: now_ms,
    }
}

/// The question ticket's events: created, then at once waiting for the customer, so the support
/// clocks stand still from the start (their pauses are read from status events); assigned to
/// whoever asked, as the answer is compliance's to read, not the support queue's.
fn question_events(staff_id: u64) -> [NewEvent; 4] {
    let ev = |kind: &str, from: Option<&str>, to: Option<&str>| NewEvent {
        actor: "staff".into(),
        actor_id: staff_id,
        kind: kind.into(),
        from_state: from.map(Into::into),
        to_state: to.map(Into::into),
        detail: String::new(),
    };
    let assigned = NewEvent { to_state: Some(staff_id.to_string()), ..ev("assigned", None, None) };
    [ev("created", None, Some("new")), assigned, ev("message", None, None), ev("status", Some("new"), Some("waiting_customer"))]
}

/// `{text, subject?, user_id?}`: opens a support ticket to the customer (the case's only
/// account, or `user_id` among its accounts) with `text` as its first message, waiting for
/// their answer; the case waits for the customer until now + 24 hours.
pub async fn ask(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let (web, s) = (&*web, &s);
    case_action(web, &headers, &id, s, &body, CaseAction::AskCustomer, move |m, c| async move {
        let text = crate::support::input::text(&m, "text", MAX_QUESTION_CHARS)?;
        // One line: a subject goes into mail headers.
        let subject = opt_text(&m, "subject", MAX_TITLE_CHARS)?.map_or_else(|| DEFAULT_SUBJECT.to_string(), |t| t.replace(['\r', '\n'], " "));
        let user = asked_user(&m, &case_users(web, c.id).await?)?;
        if !CaseAction::AskCustomer.allowed_from(&c.status) {
            return Err(WebError::conflict(CaseAction::AskCustomer.refusal(&c.status)));
        }
        let account = web
            .store
            .web_account_of_user(talat_core::UserId(user))
            .await?
            .ok_or_else(|| WebError::conflict(format!("user {user} has no web account to write to")))?;
        let now = web.gateway.now_ms();
        let due = now + EXPLAIN_WITHIN_MS;
        let ticket = question_ticket(account.id, &subject, now);
        let first = NewMessage { author: "staff".into(), author_id: s.row.id, internal: false, body: text };
        let ticket_events = question_events(s.row.id);
        let (site, to, mail_subject) = (web.config.support.site_name.clone(), Recipient::of(&account), subject.clone());
        let what = to.lang.pick(
            "We have a question for you about your account. Please read it and answer in the app within 24 hours.",
            "เรามีคำถามเกี่ยวกับบัญชีของคุณ โปรดอ่านและตอบในแอปภายใน 24 ชั่วโมง",
        );
        let mail = move |ticket_id: u64| vec![ticket_mail(&site, &to, "ticket.question", ticket_id, &mail_subject, what)];
        let (case_id, staff_id) = (c.id, s.row.id);
        let change = move |ticket_id: u64| CaseChange {
            case_id,
            from: CaseAction::AskCustomer.from(),
            now_ms: now,
            set: vec![("status", CaseSet::Text(CaseStatus::AwaitingCustomer.as_str().into())), ("explain_due_ms", CaseSet::Int(due))],
            event: NewCaseEvent {
                staff_id,
                action: CaseAction::AskCustomer.as_str().into(),
                note: String::new(),
                detail: json!({"ticket_id": ticket_id, "user_id": user, "account_id": account.id, "subject": subject, "due_ms": due}).to_string(),
            },
        };
        if web.store.surveillance_ask_customer(&ticket, &first, &ticket_events, Some(s.row.id), &mail, &change).await?.is_none() {
            return Err(changed_meanwhile());
        }
        answer(web, c.id).await
    })
    .await
}
