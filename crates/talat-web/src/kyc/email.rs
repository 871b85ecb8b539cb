//! Email verification's routes: a random token goes out in a mail (through the outbox, see
//! `signup`) as the link `{public_url}/#/verify?token=…`; only its SHA-256 is stored. Using it
//! marks the account's email verified (once); a resend is allowed once a minute.

use super::signup::send_verification;
use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::secrets;
use crate::views::account_json;
use crate::Web;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// At most one verification mail per account per this many milliseconds.
pub const RESEND_EVERY_MS: u64 = 60_000;
/// A link works for this long.
pub const TOKEN_VALID_MS: u64 = 7 * 24 * 3_600_000;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/email/verify", post(verify)).route("/web/api/email/resend", post(resend))
}

/// `POST /web/api/email/verify {token}` → `{account}`.
pub async fn verify(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let token = body::str(&m, "token")?.trim();
    let wrong = || WebError::invalid("token", "this verification link is wrong, expired or already used");
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(wrong());
    }
    let now = web.gateway.now_ms();
    // Someone else's token is refused like a wrong one.
    if !web.store.use_email_verification(account.id, &secrets::sha256_hex(&token.to_ascii_lowercase()), now.saturating_sub(TOKEN_VALID_MS), now).await? {
        return Err(wrong());
    }
    super::levels::recompute(&web, account.id).await?;
    let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
    Ok(Json(json!({"account": account_json(&account)})))
}

/// `POST /web/api/email/resend` → `{}`; at most one a minute (429).
pub async fn resend(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    if account.email_verified_ms.is_some() {
        return Err(WebError::conflict("the email address is already verified"));
    }
    let now = web.gateway.now_ms();
    if let Some(last) = web.store.last_email_verification_ms(account.id).await? {
        if now.saturating_sub(last) < RESEND_EVERY_MS {
            return Err(WebError::rate_limited());
        }
    }
    send_verification(&web, &account).await?;
    Ok(Json(json!({})))
}
