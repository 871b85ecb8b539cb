//! A customer's account security: change the password (ends the other sessions), forgot
//! password by a mailed single-use link with an expiry, the list of signed-in sessions and
//! "sign out everywhere else". Each change sends a security mail.

use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::login::use_customer_totp;
use crate::secrets;
use crate::security_mail::{send, SecurityEvent};
use crate::session::Kind;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use talat_onboarding::account::check_password;

/// How long a reset link works.
pub const RESET_VALID_MS: u64 = 30 * 60 * 1_000;
/// Reset links one account may be sent an hour (the rest are quietly not sent).
pub const RESETS_PER_HOUR: u64 = 3;
/// Forgot-password and reset requests one address may make an hour.
pub const RESETS_PER_IP_PER_HOUR: u32 = 60;
/// Characters of a session's hash shown as its id.
const SESSION_ID_CHARS: usize = 16;

fn new_password(m: &serde_json::Map<String, Value>, field: &'static str) -> WebResult<String> {
    let password = body::str(m, field)?.to_string();
    check_password(&password).map_err(|e| WebError::invalid(field, e.to_string()))?;
    Ok(password)
}

async fn hash(password: String) -> String {
    secrets::blocking(move || secrets::hash_password(&password)).await
}

/// `{current, password, totp?}`: the current password (and the 2FA code when 2FA is on), then
/// the new one; every other session ends.
pub async fn change(
    State(web): State<Arc<Web>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    c: Customer,
    body: Bytes,
) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, true)?;
    // Guessing the current password here is guessing a login: the same budget.
    if !web.limits.allow(peer.ip(), &c.account.email) {
        return Err(WebError::rate_limited());
    }
    let current = body::str(&m, "current")?.to_string();
    let password = new_password(&m, "password")?;
    if password == current {
        return Err(WebError::invalid("password", "choose a password different from the current one"));
    }
    let stored = c.account.password_hash.clone();
    if !secrets::blocking(move || secrets::verify_password(&current, &stored)).await {
        web.limits.record(&c.account.email, false, web.gateway.now_ms());
        return Err(WebError::invalid("current", "the current password is wrong"));
    }
    if c.account.totp_enabled {
        let code = body::opt_str(&m, "totp")?.filter(|s| !s.is_empty()).ok_or_else(|| WebError::invalid("totp", "enter your two-factor code"))?;
        use_customer_totp(&web, &c.account, code, "totp").await?;
    }
    web.store.set_web_account_password(c.account.id, &hash(password).await).await?;
    let ended = web.store.delete_sessions_of(Kind::Customer.as_str(), c.account.id, Some(&c.session.token_sha256)).await?;
    send(&web, &c.account.email, SecurityEvent::PasswordChanged).await;
    Ok(Json(json!({"changed": true, "sessions_ended": ended})))
}

/// `{email}`: mails a single-use reset link if the address has an account. The answer is the
/// same either way, so the form cannot tell who has an account.
pub async fn forgot(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, true)?;
    let email = body::str(&m, "email")?.trim().to_ascii_lowercase();
    if !web.reset_limits.allow(peer.ip(), &email) {
        return Err(WebError::rate_limited());
    }
    let now = web.gateway.now_ms();
    if let Some(account) = web.store.web_account_by_email(&email).await? {
        if web.store.password_resets_since(account.id, now.saturating_sub(3_600_000)).await? < RESETS_PER_HOUR {
            let token = secrets::token();
            web.store.insert_password_reset(&secrets::sha256_hex(&token), account.id, now, now + RESET_VALID_MS).await?;
            let link = format!("{}/#/reset-password?token={token}", web.config.onboarding.public_url.trim_end_matches('/'));
            send(&web, &account.email, SecurityEvent::ResetLink { link: &link, valid_min: RESET_VALID_MS / 60_000 }).await;
        }
    }
    Ok(Json(json!({"sent": true})))
}

/// `{token, password}`: sets the new password once per link; every session ends.
pub async fn reset(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, true)?;
    let token = body::str(&m, "token")?.trim().to_string();
    let password = new_password(&m, "password")?;
    // Per address, and per link (its first characters): guessing links is bounded both ways.
    if !web.reset_limits.allow(peer.ip(), &format!("link:{}", token.get(..12).unwrap_or(&token))) {
        return Err(WebError::rate_limited());
    }
    let account_id = web
        .store
        .use_password_reset(&secrets::sha256_hex(&token), web.gateway.now_ms())
        .await?
        .ok_or_else(|| WebError::invalid("token", "this link is invalid, used or expired: ask for a new one"))?;
    let account = web.store.web_account(account_id).await?.ok_or_else(|| WebError::internal("a reset link of no account"))?;
    web.store.set_web_account_password(account.id, &hash(password).await).await?;
    web.store.delete_sessions_of(Kind::Customer.as_str(), account.id, None).await?;
    send(&web, &account.email, SecurityEvent::PasswordReset).await;
    Ok(Json(json!({"reset": true})))
}

/// The customer's signed-in sessions, newest first; `current` marks this one.
pub async fn sessions(State(web): State<Arc<Web>>, c: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.sessions_of(Kind::Customer.as_str(), c.account.id).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|(s, ip, device)| {
            json!({
                "id": &s.token_sha256[..SESSION_ID_CHARS],
                "ip": ip,
                "device": device.as_deref().map(|d| &d[..d.len().min(8)]),
                "created_ms": s.created_ms,
                "last_seen_ms": s.last_seen_ms,
                "current": s.token_sha256 == c.session.token_sha256,
            })
        })
        .collect();
    Ok(Json(json!({"sessions": list})))
}

/// Signs out every other session of the customer.
pub async fn logout_others(State(web): State<Arc<Web>>, c: Customer) -> WebResult<Json<Value>> {
    let ended = web.store.delete_sessions_of(Kind::Customer.as_str(), c.account.id, Some(&c.session.token_sha256)).await?;
    Ok(Json(json!({"ended": ended})))
}

/// Signs out one other session, named by its id from the list.
pub async fn logout_one(State(web): State<Arc<Web>>, Path(id): Path<String>, c: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.sessions_of(Kind::Customer.as_str(), c.account.id).await?;
    let found = rows
        .into_iter()
        .find(|(s, _, _)| id.len() == SESSION_ID_CHARS && s.token_sha256.starts_with(&id))
        .ok_or_else(|| WebError::not_found("no such session"))?;
    if found.0.token_sha256 == c.session.token_sha256 {
        return Err(WebError::invalid("id", "this is the session you are using: sign out instead"));
    }
    web.store.delete_session(&found.0.token_sha256).await?;
    Ok(Json(json!({"ended": 1})))
}
