//! Session cookies — customers `talat_session` (Path=/), staff `talat_staff`
//! (Path=/web/api/console), both HttpOnly, SameSite=Strict: a random 256-bit token of which only
//! the SHA-256 is stored; idle timeout 30 min, absolute 12 h; and the CSRF check every non-GET
//! request must pass. Each kind reads only its own cookie, and a session row of the other kind is
//! refused, so one browser can hold both sessions and neither authenticates the other's routes.
//!
//! A customer session also records where it came from (market surveillance links accounts that
//! share an IP or a device): the peer address and the browser's device cookie `talat_device`.

use crate::error::{WebError, WebResult};
use crate::secrets;
use crate::Web;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use subtle::ConstantTimeEq;
use talat_store::SessionRow;

/// The customer session cookie.
pub const COOKIE: &str = "talat_session";
/// The staff session cookie, sent only to the console API.
pub const STAFF_COOKIE: &str = "talat_staff";
pub const STAFF_COOKIE_PATH: &str = "/web/api/console";
pub const IDLE_MS: u64 = 30 * 60 * 1000;
pub const ABSOLUTE_MS: u64 = 12 * 60 * 60 * 1000;
/// The browser's device cookie: a random 256-bit token kept two years and sent only to the web
/// API, so that customer accounts signing in from one browser share a device key. A hash of the
/// User-Agent would not do: it would link every customer on the same browser version.
pub const DEVICE_COOKIE: &str = "talat_device";
const DEVICE_COOKIE_PATH: &str = "/web/api";
const DEVICE_MAX_AGE_S: u64 = 2 * 365 * 24 * 60 * 60;

/// `last_seen_ms` is written at most this often, so reads do not each cost a write.
const TOUCH_EVERY_MS: u64 = 60 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Customer,
    Staff,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Staff => "staff",
        }
    }

    /// The cookie's name.
    pub fn cookie(self) -> &'static str {
        match self {
            Kind::Customer => COOKIE,
            Kind::Staff => STAFF_COOKIE,
        }
    }

    /// The cookie's path.
    pub fn cookie_path(self) -> &'static str {
        match self {
            Kind::Customer => "/",
            Kind::Staff => STAFF_COOKIE_PATH,
        }
    }
}

/// A live session: whose, and its CSRF token.
pub struct Session {
    pub token_sha256: String,
    pub owner_id: u64,
    pub csrf: String,
}

/// The token of the cookie `name`, if the request carries one.
fn cookie_token(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn set_cookie(kind: Kind, token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{}={token}; HttpOnly; SameSite=Strict; Path={}; Max-Age={}", kind.cookie(), kind.cookie_path(), ABSOLUTE_MS / 1000))
        .expect("hex is a valid header value")
}

/// Where a new customer session comes from: the peer address and the browser's device token
/// (the request's own, or a new one for the response to set).
pub struct Origin {
    pub ip: String,
    device_token: String,
    new_device: bool,
}

impl Origin {
    pub fn of(peer: std::net::IpAddr, headers: &HeaderMap) -> Origin {
        let (device_token, new_device) = match cookie_token(headers, DEVICE_COOKIE) {
            Some(token) => (token, false),
            None => (secrets::token(), true),
        };
        Origin { ip: peer.to_canonical().to_string(), device_token, new_device }
    }

    /// The device key stored with the session (the token's SHA-256, like a session token).
    pub fn device_key(&self) -> String {
        secrets::sha256_hex(&self.device_token)
    }

    /// The `Set-Cookie` of a device seen for the first time.
    pub fn set_cookie(&self) -> Option<HeaderValue> {
        self.new_device.then(|| {
            HeaderValue::from_str(&format!(
                "{DEVICE_COOKIE}={}; HttpOnly; SameSite=Strict; Path={DEVICE_COOKIE_PATH}; Max-Age={DEVICE_MAX_AGE_S}",
                self.device_token
            ))
            .expect("hex is a valid header value")
        })
    }
}

pub fn clear_cookie(kind: Kind) -> HeaderValue {
    HeaderValue::from_str(&format!("{}=; HttpOnly; SameSite=Strict; Path={}; Max-Age=0", kind.cookie(), kind.cookie_path())).expect("a valid header value")
}

impl Web {
    /// Opens a session for `owner_id`; returns (cookie token, csrf token).
    pub async fn open_session(&self, kind: Kind, owner_id: u64) -> WebResult<(String, String)> {
        let token = secrets::token();
        let csrf = secrets::csrf_of(&token);
        let now = self.gateway.now_ms();
        let row = SessionRow {
            token_sha256: secrets::sha256_hex(&token),
            kind: kind.as_str().into(),
            owner_id,
            // Hashed, like the session token.
            csrf: secrets::sha256_hex(&csrf),
            created_ms: now,
            last_seen_ms: now,
        };
        self.store.insert_session(&row).await?;
        Ok((token, csrf))
    }

    /// Opens a customer session and records its origin (IP, device key) for surveillance's
    /// account links; returns (cookie token, csrf token).
    pub async fn open_customer_session(&self, owner_id: u64, origin: &Origin) -> WebResult<(String, String)> {
        let (token, csrf) = self.open_session(Kind::Customer, owner_id).await?;
        self.store.set_session_origin(&secrets::sha256_hex(&token), Some(&origin.ip), Some(&origin.device_key())).await?;
        Ok((token, csrf))
    }

    /// The request's session of `kind`: 401 without a live one, 403 `csrf` when a non-GET
    /// request lacks the session's token.
    pub async fn session(&self, kind: Kind, method: &Method, headers: &HeaderMap) -> WebResult<Session> {
        let token = cookie_token(headers, kind.cookie()).ok_or_else(|| WebError::unauthenticated("not signed in"))?;
        let hash = secrets::sha256_hex(&token);
        let row = self.store.session(&hash).await?.filter(|r| r.kind == kind.as_str()).ok_or_else(|| WebError::unauthenticated("not signed in"))?;
        let now = self.gateway.now_ms();
        if now.saturating_sub(row.last_seen_ms) > IDLE_MS || now.saturating_sub(row.created_ms) > ABSOLUTE_MS {
            self.store.delete_session(&hash).await?;
            return Err(WebError::unauthenticated("the session expired; sign in again"));
        }
        if method != Method::GET && method != Method::HEAD {
            let given = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if given.is_empty() || !bool::from(secrets::sha256_hex(given).as_bytes().ct_eq(row.csrf.as_bytes())) {
                return Err(WebError::csrf());
            }
        }
        if now.saturating_sub(row.last_seen_ms) > TOUCH_EVERY_MS {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Session { token_sha256: hash, owner_id: row.owner_id, csrf: secrets::csrf_of(&token) })
    }

    pub async fn close_session(&self, session: &Session) -> WebResult<()> {
        Ok(self.store.delete_session(&session.token_sha256).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_must_look_like_a_token() {
        let mut h = HeaderMap::new();
        let t = "ab".repeat(32);
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("a=1; {COOKIE}={t}; b=2")).unwrap());
        assert_eq!(cookie_token(&h, COOKIE), Some(t.clone()));
        assert_eq!(cookie_token(&h, STAFF_COOKIE), None, "a customer cookie is not a staff cookie");
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("{STAFF_COOKIE}={t}")).unwrap());
        assert_eq!(cookie_token(&h, STAFF_COOKIE), Some(t));
        assert_eq!(cookie_token(&h, COOKIE), None, "a staff cookie is not a customer cookie");
        h.insert(header::COOKIE, HeaderValue::from_static("talat_session=short"));
        assert_eq!(cookie_token(&h, COOKIE), None);
    }

    #[test]
    fn each_kind_has_its_own_cookie_and_path() {
        let c = set_cookie(Kind::Customer, &"ab".repeat(32));
        assert!(c.to_str().unwrap().starts_with("talat_session=") && c.to_str().unwrap().contains("; Path=/;"));
        let s = set_cookie(Kind::Staff, &"ab".repeat(32));
        assert!(s.to_str().unwrap().starts_with("talat_staff=") && s.to_str().unwrap().contains("; Path=/web/api/console;"));
        assert!(s.to_str().unwrap().contains("HttpOnly; SameSite=Strict"));
        assert_eq!(clear_cookie(Kind::Staff).to_str().unwrap(), "talat_staff=; HttpOnly; SameSite=Strict; Path=/web/api/console; Max-Age=0");
    }
}
