//! Admins manage the staff (issue 21): invite, disable and change a role, each proposed by one
//! admin and approved (or rejected) by another — four eyes, as custody and compensation do —
//! and each step audited (`staff.invite`, `staff.disable`, `staff.role`, `staff.change.approve`,
//! `staff.change.reject`), refusals included. Whether a step may happen is `talat_staff`'s
//! rule; these routes gather the facts, store the proposal and apply an approval in one store
//! transaction. An approved invite creates an account that cannot log in until its owner sets
//! a password through a one-time link, mailed through the outbox and shown to the approver; an
//! approved disable ends the staff member's sessions, and login refuses them from then on.

use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::secrets;
use crate::views::staff_json;
use crate::{Role, Web};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use talat_staff::{check_approval, check_proposal, Change, Member, StaffError};
use talat_store::{NewMail, StaffChangeRow, StaffEffect, StaffRow};

/// How long an invited staff member's set-password link works.
pub const INVITE_VALID_MS: u64 = 72 * 3_600_000;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/staff/changes", get(changes))
        .route("/web/api/console/staff/invite", post(invite))
        .route("/web/api/console/staff/{staff_id}/disable", post(disable))
        .route("/web/api/console/staff/{staff_id}/role", post(set_role))
        .route("/web/api/console/staff/changes/{id}/approve", post(approve))
        .route("/web/api/console/staff/changes/{id}/reject", post(reject))
        .route("/web/api/console/password/set", post(set_password))
}

/// A refusal of the rules as the console shows it.
fn refused(e: StaffError) -> WebError {
    let message = e.to_string();
    match e {
        StaffError::NotAdmin | StaffError::SameAdmin | StaffError::DisableSelf | StaffError::OwnRole => WebError::forbidden(message),
        StaffError::NoSuchStaff(_) => WebError::not_found(message),
        StaffError::SameRole(..) => WebError::invalid("role", message),
        StaffError::EmailTaken(_) | StaffError::LastAdmin | StaffError::Disabled(_) | StaffError::AlreadyPending | StaffError::ProposerGone => {
            WebError::conflict(message)
        }
    }
}

fn member(row: &StaffRow) -> WebResult<Member> {
    let role = Role::parse(&row.role).ok_or_else(|| WebError::internal(format!("staff {} has an unknown role", row.id)))?;
    Ok(Member { id: row.id, email: row.email.clone(), role, disabled: row.disabled_ms.is_some() })
}

fn number(text: &str, field: &'static str) -> WebResult<u64> {
    text.parse::<u64>().ok().filter(|&n| i64::try_from(n).is_ok()).ok_or_else(|| WebError::invalid(field, format!("{field} must be a number")))
}

fn role_of(m: &Map<String, Value>) -> WebResult<Role> {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    Role::parse(body::str(m, "role")?).ok_or_else(|| WebError::invalid("role", format!("role must be one of {}", names.join(", "))))
}

/// The stored change as the rules see it.
fn change_of(row: &StaffChangeRow) -> WebResult<Change> {
    let role = || row.role.as_deref().and_then(Role::parse).ok_or_else(|| WebError::internal(format!("staff change {} has no valid role", row.id)));
    let target = || row.target_id.ok_or_else(|| WebError::internal(format!("staff change {} has no target", row.id)));
    match row.kind.as_str() {
        "invite" => Ok(Change::Invite { email: row.email.clone().unwrap_or_default(), role: role()? }),
        "disable" => Ok(Change::Disable { staff: target()? }),
        "role" => Ok(Change::SetRole { staff: target()?, role: role()? }),
        other => Err(WebError::internal(format!("staff change {} has an unknown kind {other}", row.id))),
    }
}

fn change_json(row: &StaffChangeRow, staff: &[StaffRow]) -> Value {
    let email_of = |id: Option<u64>| id.and_then(|id| staff.iter().find(|s| s.id == id)).map(|s| s.email.clone());
    json!({
        "id": row.id, "kind": row.kind, "target_id": row.target_id, "target_email": email_of(row.target_id).or_else(|| row.email.clone()),
        "role": row.role, "reason": row.reason, "proposed_by": row.proposed_by, "proposed_by_email": email_of(Some(row.proposed_by)),
        "proposed_ms": row.proposed_ms, "status": row.status, "decided_by": row.decided_by, "decided_by_email": email_of(row.decided_by),
        "decided_ms": row.decided_ms,
    })
}

/// `GET /web/api/console/staff/changes` → `{changes}`: pending first, then the latest decided.
async fn changes(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::STAFF)?;
    let staff = web.store.staff_list().await?;
    let mut rows = web.store.staff_changes(Some("pending"), talat_store::MAX_STAFF_CHANGES).await?;
    rows.extend(web.store.staff_changes(None, 50).await?.into_iter().filter(|r| r.status != "pending"));
    Ok(Json(json!({"changes": rows.iter().map(|r| change_json(r, &staff)).collect::<Vec<_>>()})))
}

/// Checks a proposal against the staff and the pending changes, then stores it.
async fn propose(web: &Web, s: &Staff, change: Change, reason: String) -> WebResult<Value> {
    let rows = web.store.staff_list().await?;
    let staff = rows.iter().map(member).collect::<WebResult<Vec<_>>>()?;
    let pending_rows = web.store.staff_changes(Some("pending"), talat_store::MAX_STAFF_CHANGES).await?;
    let pending = pending_rows.iter().map(change_of).collect::<WebResult<Vec<_>>>()?;
    check_proposal(&member(&s.row)?, &change, &staff, &pending).map_err(refused)?;
    let (target_id, email, role) = match &change {
        Change::Invite { email, role } => (None, Some(email.clone()), Some(role.as_str().to_string())),
        Change::Disable { staff } => (Some(*staff), None, None),
        Change::SetRole { staff, role } => (Some(*staff), None, Some(role.as_str().to_string())),
    };
    let mut row = StaffChangeRow {
        id: 0,
        kind: change.kind().into(),
        target_id,
        email,
        role,
        reason,
        proposed_by: s.row.id,
        proposed_ms: web.gateway.now_ms(),
        status: "pending".into(),
        decided_by: None,
        decided_ms: None,
    };
    row.id = web.store.insert_staff_change(&row).await?;
    Ok(json!({"change": change_json(&row, &rows)}))
}

/// `{email, role, reason}`: proposes a new staff account.
async fn invite(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let target = m.get("email").and_then(Value::as_str).unwrap_or("").trim().to_ascii_lowercase();
    let act = Action { web: &web, staff: &s, action: "staff.invite", target: format!("email:{target}") };
    act.run(allow::STAFF, &m, || async {
        let email = body::str(&m, "email")?.trim().to_ascii_lowercase();
        if !talat_onboarding::account::valid_email(&email) {
            return Err(WebError::invalid("email", "enter a valid email address"));
        }
        let role = role_of(&m)?;
        let reason = body::reason(&m)?;
        propose(&web, &s, Change::Invite { email, role }, reason).await
    })
    .await
}

/// `{reason}`: proposes disabling a staff member.
async fn disable(State(web): State<Arc<Web>>, headers: HeaderMap, Path(staff_id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "staff.disable", target: format!("staff:{staff_id}") };
    act.run(allow::STAFF, &m, || async {
        let id = number(&staff_id, "staff_id")?;
        let reason = body::reason(&m)?;
        propose(&web, &s, Change::Disable { staff: id }, reason).await
    })
    .await
}

/// `{role, reason}`: proposes a staff member's new role.
async fn set_role(State(web): State<Arc<Web>>, headers: HeaderMap, Path(staff_id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "staff.role", target: format!("staff:{staff_id}") };
    act.run(allow::STAFF, &m, || async {
        let id = number(&staff_id, "staff_id")?;
        let role = role_of(&m)?;
        let reason = body::reason(&m)?;
        propose(&web, &s, Change::SetRole { staff: id, role }, reason).await
    })
    .await
}

/// A pending change by id (404 unknown, 409 decided).
async fn pending_change(web: &Web, id: &str) -> WebResult<StaffChangeRow> {
    let id = number(id, "id")?;
    let row = web.store.staff_change(id).await?.ok_or_else(|| WebError::not_found(format!("no staff change {id}")))?;
    if row.status != "pending" {
        return Err(WebError::conflict(format!("staff change {id} is already {}", row.status)));
    }
    Ok(row)
}

/// What the approval of `change` does; for an invite also the set-password link.
fn effect_of(web: &Web, change: &Change, now_ms: u64) -> (StaffEffect, Option<String>) {
    match change {
        Change::Invite { email, role } => {
            let token = secrets::token();
            let link = format!("{}/console#/set-password/{token}", web.config.onboarding.public_url.trim_end_matches('/'));
            let hours = INVITE_VALID_MS / 3_600_000;
            let mail = NewMail {
                kind: "staff_invite".into(),
                to_addr: email.clone(),
                subject: "Your talat staff account".into(),
                body: format!(
                    "You are invited to the talat staff console as {}.\n\nSet your password within {hours} hours, once, at:\n{link}\n",
                    role.as_str()
                ),
            };
            // No password opens the account until the link sets one ("!" is no argon2 hash).
            let effect = StaffEffect::Invite {
                email: email.clone(),
                role: role.as_str().into(),
                password_hash: "!".into(),
                link_sha256: secrets::sha256_hex(&token),
                expires_ms: now_ms + INVITE_VALID_MS,
                mail,
            };
            (effect, Some(link))
        }
        Change::Disable { staff } => (StaffEffect::Disable { staff_id: *staff }, None),
        Change::SetRole { staff, role } => (StaffEffect::SetRole { staff_id: *staff, role: role.as_str().into() }, None),
    }
}

/// `{reason}`: a different admin approves a pending change, which applies it.
async fn approve(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "staff.change.approve", target: format!("staff-change:{id}") };
    act.run(allow::STAFF, &m, || async {
        body::reason(&m)?;
        let row = pending_change(&web, &id).await?;
        let change = change_of(&row)?;
        let rows = web.store.staff_list().await?;
        let staff = rows.iter().map(member).collect::<WebResult<Vec<_>>>()?;
        check_approval(row.proposed_by, &member(&s.row)?, &change, &staff).map_err(refused)?;
        let now = web.gateway.now_ms();
        let (effect, link) = effect_of(&web, &change, now);
        let applied = web
            .store
            .approve_staff_change(row.id, s.row.id, now, &effect)
            .await?
            .ok_or_else(|| WebError::conflict("the change was decided meanwhile or no longer applies; reload"))?;
        let target = web.store.staff(applied.staff_id).await?.ok_or_else(|| WebError::internal("the staff member vanished"))?;
        let decided = web.store.staff_change(row.id).await?.ok_or_else(|| WebError::internal("the staff change vanished"))?;
        let rows = web.store.staff_list().await?;
        Ok(json!({"change": change_json(&decided, &rows), "staff": staff_json(&target), "sessions_ended": applied.sessions_ended, "set_password_link": link}))
    })
    .await
}

/// `{reason}`: an admin (the proposer withdrawing, or another) rejects a pending change.
async fn reject(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "staff.change.reject", target: format!("staff-change:{id}") };
    act.run(allow::STAFF, &m, || async {
        body::reason(&m)?;
        let row = pending_change(&web, &id).await?;
        if !web.store.reject_staff_change(row.id, s.row.id, web.gateway.now_ms()).await? {
            return Err(WebError::conflict("the change was decided meanwhile; reload"));
        }
        let decided = web.store.staff_change(row.id).await?.ok_or_else(|| WebError::internal("the staff change vanished"))?;
        Ok(json!({"change": change_json(&decided, &web.store.staff_list().await?)}))
    })
    .await
}

/// `{token, password}` (no session): an invited staff member sets their password, once per
/// link, before it expires (audited as `staff.password.set`, by them). They then log in as any
/// staff member does.
async fn set_password(State(web): State<Arc<Web>>, headers: HeaderMap, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let token = body::str(&m, "token")?.to_string();
    let password = body::str(&m, "password")?.to_string();
    talat_onboarding::account::check_password(&password).map_err(|e| WebError::invalid("password", e.to_string()))?;
    let hash = secrets::blocking(move || secrets::hash_password(&password)).await;
    let staff = web
        .store
        .use_staff_password_link(&secrets::sha256_hex(&token), &hash, web.gateway.now_ms())
        .await?
        .ok_or_else(|| WebError::invalid("token", "this link is invalid, used or expired: ask an admin for a new invitation"))?;
    // The account's first password is part of its story in the audit log (who, when).
    let entry = talat_store::AuditRow {
        id: 0,
        ts_ms: web.gateway.now_ms(),
        staff_id: staff.id,
        staff_email: staff.email.clone(),
        role: staff.role.clone(),
        action: "staff.password.set".into(),
        target: format!("staff:{}", staff.id),
        detail: "{}".into(),
        outcome: "ok".into(),
    };
    web.store.append_audit(&entry).await?;
    Ok(Json(json!({"staff": {"email": staff.email, "role": staff.role}})))
}
