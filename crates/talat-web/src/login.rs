//! Signing in, customer or staff: the form is read and rate-limited the same way, the password
//! checked in constant-ish time, and a TOTP code, when 2FA is on, used up so it cannot be
//! replayed. Also the additional data a sealed TOTP secret is bound to.

use crate::body;
use crate::error::{WebError, WebResult};
use crate::secrets;
use crate::session::Kind;
use crate::Web;
use axum::body::Bytes;
use axum::http::HeaderMap;
use std::net::SocketAddr;

/// What a replayed TOTP code is told (the same status as a wrong code).
pub(crate) const TOTP_REPLAYED: &str = "this code was already used; wait for the next one";

/// Checks a password (and TOTP when enabled) in constant-ish time; the caller maps failures.
/// With TOTP on, returns the time step the code matched: the caller must still use it up
/// (`use_*_totp_step`) and refuse the login if it was used before.
async fn check_login(password: &str, hash: Option<String>, totp: Option<(&[u8], bool)>, code: Option<&str>, now_s: u64) -> WebResult<Option<u64>> {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| secrets::dummy_hash().to_string());
    let password = password.to_string();
    let ok = secrets::blocking(move || secrets::verify_password(&password, &hash)).await;
    if !(ok && known) {
        return Err(WebError::unauthenticated("wrong email or password"));
    }
    if let Some((secret, true)) = totp {
        let code = code.filter(|c| !c.is_empty()).ok_or_else(WebError::totp_required)?;
        let step = secrets::totp_step(secret, code, now_s).ok_or_else(|| WebError::unauthenticated("wrong two-factor code"))?;
        return Ok(Some(step));
    }
    Ok(None)
}

pub(crate) fn totp_aad(kind: &str, id: u64) -> String {
    format!("totp:{kind}:{id}")
}

/// What a login is checked against: the account's id, password hash, and sealed TOTP secret
/// (with its nonce) when 2FA is on.
pub(crate) struct Credentials<'a> {
    pub id: u64,
    pub password_hash: String,
    pub totp: Option<&'a (Vec<u8>, Vec<u8>)>,
}

/// A login request, customer or staff: read, checked and rate-limited the same way.
pub(crate) struct LoginForm {
    pub email: String,
    password: String,
    code: Option<String>,
}

impl LoginForm {
    /// Reads `{email, password, totp?}` and takes one attempt from the per-IP/email budget.
    pub(crate) fn read(web: &Web, peer: SocketAddr, headers: &HeaderMap, body: &Bytes) -> WebResult<LoginForm> {
        let m = body::object(headers, body, true)?;
        let email = body::str(&m, "email")?.trim().to_ascii_lowercase();
        let password = body::str(&m, "password")?.to_string();
        let code = body::opt_str(&m, "totp")?.map(str::to_string);
        if !web.limits.allow(peer.ip(), &email) {
            return Err(WebError::rate_limited());
        }
        Ok(LoginForm { email, password, code })
    }

    /// Checks the password against `account` (`None` when the email is unknown) and, with 2FA,
    /// the code, which is then used up (a replay is refused).
    pub(crate) async fn check(&self, web: &Web, kind: Kind, account: Option<Credentials<'_>>) -> WebResult<()> {
        let aad_kind = match kind {
            Kind::Customer => "account",
            Kind::Staff => "staff",
        };
        let secret = match account.as_ref().and_then(|a| a.totp.map(|t| (a.id, t))) {
            Some((id, (sealed, nonce))) => Some(web.gateway.master.open(&totp_aad(aad_kind, id), sealed, nonce).map_err(WebError::internal)?),
            None => None,
        };
        let id = account.as_ref().map(|a| a.id);
        let hash = account.map(|a| a.password_hash);
        // Recent failures for this email make every attempt wait a little longer (never refused).
        let delay = web.limits.delay(&self.email, web.gateway.now_ms());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // A customer with 2FA may give one of their backup codes instead of a code: the password
        // is checked alone, then the backup code is used up.
        let backup = match (kind, &secret, self.code.as_deref().and_then(secrets::normalise_backup_code)) {
            (Kind::Customer, Some(_), Some(code)) => Some(code),
            _ => None,
        };
        let totp = if backup.is_some() { None } else { secret.as_deref().map(|s| (s, true)) };
        let mut checked = check_login(&self.password, hash, totp, self.code.as_deref(), web.gateway.now_ms() / 1000).await;
        if let (Ok(_), Some(code), Some(id)) = (&checked, &backup, id) {
            if web.store.use_backup_code(id, &secrets::sha256_hex(code), web.gateway.now_ms()).await? {
                let left = web.store.backup_codes_left(id).await?;
                crate::security_mail::send(web, &self.email, crate::security_mail::SecurityEvent::BackupCodeUsed { left }).await;
            } else {
                checked = Err(WebError::unauthenticated("wrong two-factor code or backup code"));
            }
        }
        // A missing 2FA code is not a failed guess.
        if !matches!(&checked, Err(e) if e.code == "totp_required") {
            web.limits.record(&self.email, checked.is_ok(), web.gateway.now_ms());
        }
        let step = checked?;
        if let (Some(step), Some(id)) = (step, id) {
            let fresh = match kind {
                Kind::Customer => web.store.use_web_account_totp_step(id, step).await?,
                Kind::Staff => web.store.use_staff_totp_step(id, step).await?,
            };
            if !fresh {
                return Err(WebError::unauthenticated(TOTP_REPLAYED));
            }
        }
        Ok(())
    }
}

/// Checks a customer's 2FA code for an action (a withdrawal) and uses its time step up, so the
/// same code never works twice. A wrong or reused code is 400 `invalid` on `field`.
pub(crate) async fn use_customer_totp(web: &Web, account: &talat_store::WebAccountRow, code: &str, field: &'static str) -> crate::error::WebResult<()> {
    let (sealed, nonce) =
        account.totp.as_ref().filter(|_| account.totp_enabled).ok_or_else(|| WebError::invalid(field, "turn on two-factor authentication first"))?;
    let secret = web.gateway.master.open(&totp_aad("account", account.id), sealed, nonce).map_err(WebError::internal)?;
    let step = secrets::totp_step(&secret, code, web.gateway.now_ms() / 1000).ok_or_else(|| WebError::invalid(field, "wrong two-factor code"))?;
    if !web.store.use_web_account_totp_step(account.id, step).await? {
        return Err(WebError::invalid(field, TOTP_REPLAYED));
    }
    Ok(())
}
