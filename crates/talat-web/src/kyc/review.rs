//! The reviewer queue: applications oldest first with their SLA ageing (`review_sla_hours`;
//! at risk past 80 %), an application with everything on it (data, documents, identity
//! evidence, risk factors, screening hits, events), and the decisions — assign, approve (four
//! eyes for a high-risk or prohibited customer), reject, request information. Every decision is
//! audited (`kyc.*`), recorded as a `kyc_events` row, conditional on the application's version,
//! and mailed to the customer; an approval raises the customer's level when the rest of the
//! evidence is there.

use super::levels;
use super::view::{application_json, document_json};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::lang::Lang;
use crate::views::account_json;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_onboarding::review::{approval, review_sla, Approval, ApprovalFacts};
use talat_store::{KycApplicationRow, KycChange, NewKycEvent, NewMail, Set};

/// Most applications the queue lists.
pub const MAX_LISTED: i64 = 200;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/kyc/applications", get(queue))
        .route("/web/api/console/kyc/applications/{id}", get(show))
        .route("/web/api/console/kyc/applications/{id}/assign", post(assign))
        .route("/web/api/console/kyc/applications/{id}/approve", post(approve))
        .route("/web/api/console/kyc/applications/{id}/reject", post(reject))
        .route("/web/api/console/kyc/applications/{id}/request-info", post(request_info))
}

/// `ok`, `at_risk` or `breached`, and the age: until the decision, or until now
/// (`talat_onboarding::review`'s rule).
pub fn sla(web: &Web, app: &KycApplicationRow, now_ms: u64) -> (u64, &'static str) {
    let (age, state) = review_sla(app.submitted_ms, app.decided_ms, now_ms, web.config.onboarding.review_sla_hours);
    (age, state.as_str())
}

async fn listed_json(web: &Web, app: &KycApplicationRow, now_ms: u64) -> WebResult<Value> {
    let events = web.store.kyc_events(app.id).await?;
    let mut v = application_json(app, &events);
    let (age, state) = sla(web, app, now_ms);
    let email = web.store.web_account(app.account_id).await?.map(|a| a.email).unwrap_or_default();
    v["customer_email"] = email.into();
    v["account_id"] = app.account_id.into();
    v["age_ms"] = age.into();
    v["sla_state"] = state.into();
    v["assignee"] = app.assignee_staff_id.into();
    v["first_approver"] = app.first_approver_staff_id.into();
    v["decided_by"] = app.decided_by_staff_id.into();
    Ok(v)
}

async fn queue(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::KYC_READ)?;
    let statuses: Vec<&str> = match q.get("status").map(String::as_str) {
        None | Some("") => Vec::new(),
        Some(st @ ("submitted" | "more_info" | "approved" | "rejected")) => vec![st],
        Some("all") => vec!["submitted", "more_info", "approved", "rejected"],
        Some(_) => return Err(WebError::invalid("status", "status must be submitted, more_info, approved, rejected or all")),
    };
    let assignee = match q.get("assignee").map(String::as_str) {
        None | Some("") => None,
        Some("me") => Some(s.row.id),
        Some(_) => return Err(WebError::invalid("assignee", "assignee must be me")),
    };
    let rows = web.store.kyc_queue(&statuses, assignee, MAX_LISTED).await?;
    let now = web.gateway.now_ms();
    let mut listed = Vec::with_capacity(rows.len());
    let (mut at_risk, mut breached) = (0u64, 0u64);
    for app in &rows {
        let v = listed_json(&web, app, now).await?;
        match v["sla_state"].as_str() {
            Some("at_risk") if app.decided_ms.is_none() => at_risk += 1,
            Some("breached") if app.decided_ms.is_none() => breached += 1,
            _ => {}
        }
        listed.push(v);
    }
    let c = web.store.kyc_counts().await?;
    Ok(Json(json!({
        "applications": listed,
        "counts": {"submitted": c.submitted, "more_info": c.more_info, "approved": c.approved, "rejected": c.rejected, "at_risk": at_risk, "breached": breached},
    })))
}

fn application_id(id: &str) -> WebResult<u64> {
    id.parse::<u64>().ok().filter(|&n| n <= i64::MAX as u64).ok_or_else(|| WebError::not_found(format!("no application {id}")))
}

async fn load(web: &Web, id: &str) -> WebResult<KycApplicationRow> {
    let n = application_id(id)?;
    web.store.kyc_application(n).await?.ok_or_else(|| WebError::not_found(format!("no application {id}")))
}

/// Everything a reviewer sees about an application.
async fn detail_json(web: &Web, app: &KycApplicationRow) -> WebResult<Value> {
    let now = web.gateway.now_ms();
    let mut v = listed_json(web, app, now).await?;
    let parse = |t: &Option<String>| t.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(Value::Null);
    v["data"] = serde_json::from_str::<Value>(&app.data).unwrap_or(Value::Null);
    v["documents"] = web.store.kyc_documents_of_application(app.id).await?.iter().map(document_json).collect();
    v["identity"]["evidence"] = parse(&app.idv_evidence);
    v["risk_factors"] = parse(&app.risk_factors);
    v["screening_hits"] = web
        .store
        .screening_hits_of_account(app.account_id, talat_store::MAX_KYC_ROWS)
        .await?
        .iter()
        .map(|h| {
            json!({"id": h.id, "list": h.list_name, "entity_id": h.entity_id, "entity_version": h.entity_version, "score": h.score_milli as f64 / 1000.0,
                   "matched_name": h.matched_name, "reasons": serde_json::from_str::<Value>(&h.reasons).unwrap_or(Value::String(h.reasons.clone())),
                   "status": h.status, "created_ms": h.created_ms, "decided_ms": h.decided_ms, "decision_reason": h.decision_reason})
        })
        .collect();
    v["events"] = web
        .store
        .kyc_events(app.id)
        .await?
        .iter()
        .map(|e| json!({"ts_ms": e.ts_ms, "actor": e.actor, "actor_id": e.actor_id, "kind": e.kind, "detail": e.detail}))
        .collect();
    Ok(v)
}

async fn show(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::KYC_READ)?;
    let app = load(&web, &id).await?;
    let customer = web.store.web_account(app.account_id).await?.map(|a| account_json(&a));
    let knowledge = super::knowledge::knowledge_result(&web, app.account_id).await?;
    Ok(Json(json!({"application": detail_json(&web, &app).await?, "customer": customer, "knowledge": knowledge})))
}

fn event(staff_id: u64, kind: &str, detail: impl Into<String>) -> NewKycEvent {
    NewKycEvent { actor: "staff".into(), actor_id: staff_id, kind: kind.into(), detail: detail.into() }
}

fn changed_meanwhile() -> WebError {
    WebError::conflict("the application changed meanwhile; reload it and try again")
}

/// The customer's email address and language, for a mail about their application.
async fn recipient(web: &Web, app: &KycApplicationRow) -> WebResult<(String, Lang)> {
    Ok(web.store.web_account(app.account_id).await?.map_or((String::new(), Lang::Th), |a| (a.email.clone(), Lang::of(&a))))
}

/// The decision's mail; `what` says it in the customer's language.
fn customer_mail(web: &Web, app: &KycApplicationRow, (to, lang): (String, Lang), kind: &str, what: &str) -> NewMail {
    let site = &web.config.support.site_name;
    let link = format!("{}/#/kyc", web.config.onboarding.public_url.trim_end_matches('/'));
    let level = app.level;
    let (subject, see) = lang.pick(
        (format!("Your verification (level {level})"), "See your verification status:"),
        (format!("ผลการยืนยันตัวตนของคุณ (ระดับ {level})"), "ดูสถานะการยืนยันตัวตนของคุณ:"),
    );
    NewMail { kind: kind.into(), to_addr: to, subject: format!("[{site}] {subject}"), body: format!("{what}\n\n{see} {link}\n\n— {site}") }
}

async fn answer(web: &Web, id: u64, extra: Option<(&str, Value)>) -> WebResult<Value> {
    let app = web.store.kyc_application(id).await?.ok_or_else(|| WebError::internal("the application vanished"))?;
    let mut v = json!({"application": detail_json(web, &app).await?});
    if let Some((k, x)) = extra {
        v[k] = x;
    }
    Ok(v)
}

async fn assign(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "kyc.assign", target: format!("kyc_application:{id}") };
    act.run(allow::KYC_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let app = load(&web, &id).await?;
        let to = match m.get("staff_id") {
            Some(Value::Null) => None,
            Some(Value::Number(n)) => {
                Some(n.as_u64().filter(|&n| n <= i64::MAX as u64).ok_or_else(|| WebError::invalid("staff_id", "staff_id must be a staff id or null"))?)
            }
            _ => return Err(WebError::invalid("staff_id", "staff_id must be a staff id or null")),
        };
        if let Some(staff_id) = to {
            let member = web.store.staff(staff_id).await?.ok_or_else(|| WebError::invalid("staff_id", format!("no staff member {staff_id}")))?;
            if !matches!(member.role.as_str(), "kyc" | "admin") {
                return Err(WebError::invalid("staff_id", format!("{} ({}) does not review applications", member.email, member.role)));
            }
        }
        let change = KycChange {
            application_id: app.id,
            expect_version: app.version,
            now_ms: web.gateway.now_ms(),
            set: vec![("assignee_staff_id", to.map_or(Set::Null, Set::Int))],
            events: vec![event(s.row.id, "assigned", to.map_or_else(|| "unassigned".to_string(), |t| format!("staff {t}")))],
            ..Default::default()
        };
        if !web.store.change_kyc_application(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, app.id, None).await
    })
    .await
}

fn open_for_decision(app: &KycApplicationRow) -> WebResult<()> {
    match app.status.as_str() {
        "submitted" => Ok(()),
        "more_info" => Err(WebError::conflict("the application is waiting for the customer's information")),
        other => Err(WebError::conflict(format!("the application is already {other}"))),
    }
}

async fn approve(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "kyc.approve", target: format!("kyc_application:{id}") };
    act.run(allow::KYC_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let app = load(&web, &id).await?;
        open_for_decision(&app)?;
        let hits = web.store.screening_hits_of_account(app.account_id, talat_store::MAX_KYC_ROWS).await?;
        let hit_statuses: Vec<&str> = hits.iter().map(|h| h.status.as_str()).collect();
        let facts = ApprovalFacts {
            level: app.level,
            screening_status: &app.screening_status,
            hit_statuses: &hit_statuses,
            idv_outcome: app.idv_outcome.as_deref(),
            risk_rating: app.risk_rating.as_deref().and_then(|r| serde_json::from_value(Value::String(r.to_string())).ok()),
            first_approver: app.first_approver_staff_id,
            approver: s.row.id,
        };
        let now = web.gateway.now_ms();
        let mut change = KycChange { application_id: app.id, expect_version: app.version, now_ms: now, ..Default::default() };
        match approval(&facts) {
            Approval::Refused(why) => return Err(WebError::conflict(why.to_string())),
            Approval::FirstOfTwo => {
                change.set.push(("first_approver_staff_id", Set::Int(s.row.id)));
                change.events.push(event(s.row.id, "first_approval", reason));
                if !web.store.change_kyc_application(&change).await? {
                    return Err(changed_meanwhile());
                }
                return answer(&web, app.id, Some(("awaiting_second_reviewer", Value::Bool(true)))).await;
            }
            Approval::Approve => {}
        }
        change.set.push(("status", Set::Text("approved".into())));
        change.set.push(("decided_by_staff_id", Set::Int(s.row.id)));
        change.set.push(("decision_reason", Set::Text(reason.clone())));
        change.set.push(("decided_ms", Set::Int(now)));
        change.events.push(event(s.row.id, "approved", reason));
        if app.level == 1 {
            let factors: Value = app.risk_factors.as_deref().and_then(|f| serde_json::from_str(f).ok()).unwrap_or(Value::Null);
            if let Some(r) = &app.risk_rating {
                change.account_risk = Some((r.clone(), factors["next_review_ms"].as_u64()));
            }
        }
        let to = recipient(&web, &app).await?;
        let what = match (app.level, to.1) {
            (1, Lang::En) => "Your identity verification is approved. Once you have passed the knowledge test you can trade.",
            (1, Lang::Th) => "การยืนยันตัวตนของคุณได้รับการอนุมัติแล้ว เมื่อผ่านแบบทดสอบความรู้แล้วคุณจะซื้อขายได้",
            (_, Lang::En) => "Your income or asset documents are accepted: your account is now at level 2, with higher limits.",
            (_, Lang::Th) => "เอกสารรายได้หรือทรัพย์สินของคุณได้รับการยอมรับแล้ว บัญชีของคุณอยู่ที่ระดับ 2 พร้อมวงเงินที่สูงขึ้น",
        };
        change.mail.push(customer_mail(&web, &app, to, "kyc.approved", what));
        if !web.store.change_kyc_application(&change).await? {
            return Err(changed_meanwhile());
        }
        let level = levels::recompute(&web, app.account_id).await?;
        answer(&web, app.id, Some(("customer_level", Value::from(level)))).await
    })
    .await
}

async fn reject(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "kyc.reject", target: format!("kyc_application:{id}") };
    act.run(allow::KYC_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let app = load(&web, &id).await?;
        if !matches!(app.status.as_str(), "submitted" | "more_info") {
            return Err(WebError::conflict(format!("the application is already {}", app.status)));
        }
        let now = web.gateway.now_ms();
        let to = recipient(&web, &app).await?;
        let what = to.1.pick(
            format!("We could not approve your verification: {reason}\n\nYou may submit a new application."),
            format!("เราไม่สามารถอนุมัติการยืนยันตัวตนของคุณได้: {reason}\n\nคุณยื่นคำขอใหม่ได้"),
        );
        let change = KycChange {
            application_id: app.id,
            expect_version: app.version,
            now_ms: now,
            set: vec![
                ("status", Set::Text("rejected".into())),
                ("decided_by_staff_id", Set::Int(s.row.id)),
                ("decision_reason", Set::Text(reason.clone())),
                ("decided_ms", Set::Int(now)),
            ],
            events: vec![event(s.row.id, "rejected", reason)],
            mail: vec![customer_mail(&web, &app, to, "kyc.rejected", &what)],
            ..Default::default()
        };
        if !web.store.change_kyc_application(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, app.id, None).await
    })
    .await
}

async fn request_info(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "kyc.request_info", target: format!("kyc_application:{id}") };
    act.run(allow::KYC_DECIDE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let app = load(&web, &id).await?;
        open_for_decision(&app)?;
        let to = recipient(&web, &app).await?;
        let what = to.1.pick(
            format!("We need more information to complete your verification:\n\n{reason}\n\nPlease answer in the app."),
            format!("เราต้องการข้อมูลเพิ่มเติมเพื่อยืนยันตัวตนของคุณให้เสร็จสิ้น:\n\n{reason}\n\nโปรดตอบในแอป"),
        );
        let change = KycChange {
            application_id: app.id,
            expect_version: app.version,
            now_ms: web.gateway.now_ms(),
            set: vec![("status", Set::Text("more_info".into()))],
            events: vec![event(s.row.id, "info_requested", reason)],
            mail: vec![customer_mail(&web, &app, to, "kyc.more_info", &what)],
            ..Default::default()
        };
        if !web.store.change_kyc_application(&change).await? {
            return Err(changed_meanwhile());
        }
        answer(&web, app.id, None).await
    })
    .await
}
