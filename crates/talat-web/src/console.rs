//! The staff console: login, two-factor setup (and an admin's reset of another staff member's),
//! role-checked routes, and the audit log. Every action that changes something appends exactly
//! one audit entry — success, validation failure, engine refusal or a refused role — before it
//! answers.
//!
//! When [`crate::WebConfig::require_staff_2fa`] is set, a staff member without 2FA gets a
//! restricted session: `me`, `logout` and the `2fa/*` routes work, every other route answers 403
//! `2fa_required` (checked by the [`Staff`] extractor, so a new route is restricted unless it
//! takes [`StaffEvenRestricted`]).

use crate::auth::{allow, submit_admin, Action, Role, Staff, StaffEvenRestricted};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::login::{totp_aad, Credentials, LoginForm, TOTP_REPLAYED};
use crate::secrets;
use crate::session::{self, Kind};
use crate::views::{account_hit_json, account_json, markets_json, staff_json};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use talat_core::{Command, TierLimits, TradingMode, UserId};
use talat_gateway::gateway::MarketRef;
use talat_onboarding::levels::{limits_restored_at_unlock, limits_saved_at_lock};

/// The console pages a role may open (`security`, where staff set up 2FA, is every role's).
fn pages(role: Role) -> Vec<&'static str> {
    [
        ("dashboard", allow::DASHBOARD),
        ("markets", allow::MARKETS),
        ("users", allow::USERS),
        ("support", allow::SUPPORT_READ),
        ("incidents", allow::INCIDENTS_READ),
        ("staffing", allow::STAFFING),
        ("reports", allow::STAFFING),
        ("mail", allow::MAIL),
        ("kyc", allow::KYC_READ),
        ("screening", allow::KYC_SCREENING_READ),
        ("admission", allow::KYC_ADMISSION),
        ("funds", allow::FUNDS_READ),
        ("custody", allow::FUNDS_READ),
        ("alerts", allow::SURVEILLANCE),
        ("cases", allow::SURVEILLANCE),
        ("tape-audit", allow::SURVEILLANCE),
        ("breaker", allow::SURVEILLANCE_BREAKER),
        ("status-page", allow::STATUS_READ),
        ("resume", allow::RESUME),
        ("compensation", allow::COMPENSATION_READ),
        ("por", allow::POR_READ),
        ("audit", allow::AUDIT),
        ("staff", allow::STAFF),
        ("security", &Role::ALL),
    ]
    .into_iter()
    .filter(|(_, roles)| roles.contains(&role))
    .map(|(p, _)| p)
    .collect()
}

/// The actions a role may take, named for the console: it shows a button only when its action
/// is listed (the route still checks the role: this only spares staff a button that would be
/// refused).
fn permissions(role: Role) -> Vec<&'static str> {
    [
        ("market.mode", allow::MODE),
        ("market.fees", allow::FEES),
        ("market.band", allow::BAND),
        ("maintenance", allow::MAINTENANCE),
        ("user.lock", allow::LOCK),
        ("staff.manage", allow::STAFF),
        ("staff.2fa.reset", allow::STAFF_2FA_RESET),
        ("support.write", allow::SUPPORT_WRITE),
        ("complaint", allow::COMPLAINT),
        ("incidents.create", allow::INCIDENTS_CREATE),
        ("incidents.answer", allow::INCIDENTS_ANSWER),
        ("status.post", allow::STATUS_POST),
        ("roster", allow::ROSTER),
        ("kyc.decide", allow::KYC_DECIDE),
        ("kyc.screening.decide", allow::KYC_SCREENING_DECIDE),
        ("funds.approve", allow::FUNDS_APPROVE),
        ("funds.check", allow::FUNDS_CHECK),
        ("funds.operate", allow::FUNDS_OPERATE),
        ("surveillance.breaker", allow::SURVEILLANCE_BREAKER),
        ("compensation.prepare", allow::COMPENSATION_PREPARE),
        ("compensation.approve", allow::COMPENSATION_APPROVE),
        ("por.publish", allow::POR_PUBLISH),
    ]
    .into_iter()
    .filter(|(_, roles)| roles.contains(&role))
    .map(|(p, _)| p)
    .collect()
}

/// What the console may show a signed-in staff member: pages and actions (none but `security`
/// while 2FA is required but not on).
fn access_json(role: Role, restricted: bool) -> Value {
    if restricted {
        json!({"pages": ["security"], "permissions": [], "two_factor_required": true})
    } else {
        json!({"pages": pages(role), "permissions": permissions(role), "two_factor_required": false})
    }
}

/// `access` (pages, permissions, two_factor_required) with the staff member and more fields.
fn with_access(role: Role, restricted: bool, mut v: Value) -> Value {
    if let (Value::Object(m), Value::Object(a)) = (&mut v, access_json(role, restricted)) {
        m.extend(a);
    }
    v
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/login", post(login))
        .route("/web/api/console/logout", post(logout))
        .route("/web/api/console/me", get(me))
        .route("/web/api/console/2fa/setup", post(totp_setup))
        .route("/web/api/console/2fa/enable", post(totp_enable))
        .route("/web/api/console/markets", get(markets))
        .route("/web/api/console/markets/{symbol}/mode", post(set_mode))
        .route("/web/api/console/markets/{symbol}/fees", post(set_fees))
        .route("/web/api/console/markets/{symbol}/band", post(set_band))
        .route("/web/api/console/maintenance", post(maintenance))
        .route("/web/api/console/users", get(users))
        .route("/web/api/console/users/{user_id}/lock", post(lock))
        .route("/web/api/console/audit", get(audit))
        .route("/web/api/console/staff", get(staff_list))
        .route("/web/api/console/staff/{staff_id}/2fa/reset", post(reset_staff_totp))
}

pub async fn login(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Response> {
    let form = LoginForm::read(&web, peer, &headers, &body)?;
    let row = web.store.staff_by_email(&form.email).await?;
    let credentials = row.as_ref().map(|r| Credentials { id: r.id, password_hash: r.password_hash.clone(), totp: r.totp.as_ref().filter(|_| r.totp_enabled) });
    form.check(&web, Kind::Staff, credentials).await?;
    let row = row.expect("checked above");
    // After the password: a disabled account learns it is disabled, nobody else does.
    if row.disabled_ms.is_some() {
        return Err(WebError::forbidden("this staff account is disabled"));
    }
    let role = Role::parse(&row.role).ok_or_else(|| WebError::forbidden("unknown role"))?;
    // Without 2FA where it is required, the password opens a restricted session only.
    let restricted = web.config.require_staff_2fa && !row.totp_enabled;
    let (token, csrf) = web.open_session(Kind::Staff, row.id).await?;
    let mut response = Json(with_access(role, restricted, json!({"staff": staff_json(&row), "csrf": csrf}))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::set_cookie(Kind::Staff, &token));
    Ok(response)
}

async fn logout(State(web): State<Arc<Web>>, StaffEvenRestricted(s): StaffEvenRestricted) -> WebResult<Response> {
    web.close_session(&s.session).await?;
    let mut response = Json(json!({})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie(Kind::Staff));
    Ok(response)
}

async fn me(StaffEvenRestricted(s): StaffEvenRestricted) -> WebResult<Json<Value>> {
    Ok(Json(with_access(s.role, s.restricted, json!({"staff": staff_json(&s.row), "csrf": s.session.csrf}))))
}

/// Starts (or restarts) 2FA setup: a new secret, stored sealed and inactive until `enable`.
/// Audited as `staff.2fa.setup` (the secret is never in the audit log).
async fn totp_setup(State(web): State<Arc<Web>>, StaffEvenRestricted(s): StaffEvenRestricted) -> WebResult<Json<Value>> {
    let act = Action { web: &web, staff: &s, action: "staff.2fa.setup", target: format!("staff:{}", s.row.id) };
    act.run_detail(&Role::ALL, "{}".into(), || async {
        if s.row.totp_enabled {
            return Err(WebError::conflict("two-factor authentication is already on"));
        }
        let secret = secrets::new_totp_secret();
        let (sealed, nonce) = web.gateway.master.seal(&totp_aad("staff", s.row.id), &secret);
        web.store.set_staff_totp(s.row.id, Some((&sealed, &nonce)), false).await?;
        let (b32, url) = secrets::totp_setup(&secret, &s.row.email);
        Ok(json!({"secret": b32, "otpauth_url": url}))
    })
    .await
}

/// Turns 2FA on with a current code of the pending secret; a restricted session becomes a full
/// one. Audited as `staff.2fa.enable`, a wrong code included (the code is not recorded).
async fn totp_enable(State(web): State<Arc<Web>>, headers: HeaderMap, StaffEvenRestricted(s): StaffEvenRestricted, body: Bytes) -> WebResult<Json<Value>> {
    let act = Action { web: &web, staff: &s, action: "staff.2fa.enable", target: format!("staff:{}", s.row.id) };
    act.run_detail(&Role::ALL, "{}".into(), || async {
        let m = body::object(&headers, &body, false)?;
        let code = body::str(&m, "code")?;
        if s.row.totp_enabled {
            return Err(WebError::conflict("two-factor authentication is already on"));
        }
        let (sealed, nonce) = s.row.totp.as_ref().ok_or_else(|| WebError::invalid("code", "set up two-factor authentication first"))?;
        let secret = web.gateway.master.open(&totp_aad("staff", s.row.id), sealed, nonce).map_err(WebError::internal)?;
        let step = secrets::totp_step(&secret, code, web.gateway.now_ms() / 1000).ok_or_else(|| WebError::invalid("code", "wrong two-factor code"))?;
        if !web.store.use_staff_totp_step(s.row.id, step).await? {
            return Err(WebError::invalid("code", TOTP_REPLAYED));
        }
        web.store.set_staff_totp(s.row.id, Some((sealed, nonce)), true).await?;
        let row = web.store.staff(s.row.id).await?.ok_or_else(|| WebError::internal("the staff account vanished"))?;
        Ok(with_access(s.role, false, json!({"staff": staff_json(&row)})))
    })
    .await
}

async fn markets(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::MARKETS)?;
    let list = markets_json(&web, true);
    Ok(Json(json!({"maintenance": web.gateway.read.maintenance(), "markets": list})))
}

fn market_of(web: &Web, symbol: &str) -> WebResult<MarketRef> {
    web.gateway.market(symbol, false).map_err(|_| WebError::not_found(format!("no market {symbol}")))
}

async fn set_mode(State(web): State<Arc<Web>>, headers: HeaderMap, Path(symbol): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "market.mode", target: symbol.clone() };
    act.run(allow::MODE, &m, || async {
        let market = market_of(&web, &symbol)?;
        let mode =
            TradingMode::parse(body::str(&m, "mode")?).ok_or_else(|| WebError::invalid("mode", "mode must be open, post_only, cancel_only or halted"))?;
        body::reason(&m)?;
        submit_admin(&web, Command::SetMarketMode { market: market.info.id, mode }).await
    })
    .await
}

async fn set_fees(State(web): State<Arc<Web>>, headers: HeaderMap, Path(symbol): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "market.fees", target: symbol.clone() };
    act.run(allow::FEES, &m, || async {
        let market = market_of(&web, &symbol)?;
        let maker = body::u32(&m, "maker_fee_ppm")?;
        let taker = body::u32(&m, "taker_fee_ppm")?;
        body::reason(&m)?;
        submit_admin(&web, Command::SetFees { market: market.info.id, maker_fee_ppm: maker, taker_fee_ppm: taker }).await
    })
    .await
}

async fn set_band(State(web): State<Arc<Web>>, headers: HeaderMap, Path(symbol): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "market.band", target: symbol.clone() };
    act.run(allow::BAND, &m, || async {
        let market = market_of(&web, &symbol)?;
        let band = body::u32(&m, "band_bps")?;
        body::reason(&m)?;
        submit_admin(&web, Command::SetBand { market: market.info.id, band_bps: band }).await
    })
    .await
}

async fn maintenance(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "maintenance", target: "exchange".into() };
    act.run(allow::MAINTENANCE, &m, || async {
        let on = body::bool(&m, "on")?;
        body::reason(&m)?;
        submit_admin(&web, Command::SetMaintenance { on }).await
    })
    .await
}

async fn users(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::USERS)?;
    let needle = q.get("q").map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    if needle.chars().count() > 254 {
        return Err(WebError::invalid("q", "the search is too long"));
    }
    let user = needle.parse::<u32>().ok().map(UserId);
    let hits = web.store.search_accounts(&needle, user, 50).await?;
    Ok(Json(json!({"users": hits.iter().map(account_hit_json).collect::<Vec<_>>()})))
}

fn user_id_of(text: &str) -> WebResult<UserId> {
    text.parse::<u32>().map(UserId).map_err(|_| WebError::invalid("user_id", "user_id must be a number"))
}

/// Lock: the engine's tier limits say no trading and no withdrawal of any listed asset. Unlock
/// restores the limits saved at lock time (the defaults if none were saved).
async fn lock(State(web): State<Arc<Web>>, headers: HeaderMap, Path(user_id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "user.lock", target: format!("user:{user_id}") };
    act.run(allow::LOCK, &m, || async {
        let user = user_id_of(&user_id)?;
        let locked = body::bool(&m, "locked")?;
        body::reason(&m)?;
        let account = web.store.web_account_of_user(user).await?.ok_or_else(|| WebError::not_found("no web account for this user"))?;
        if account.locked == locked {
            return Err(WebError::conflict(if locked { "the account is already locked" } else { "the account is not locked" }));
        }
        let kyc_level = if web.config.onboarding.require_kyc {
            Some(talat_onboarding::KycLevel::try_from(account.kyc_level).map_err(|e| WebError::internal(e.to_string()))?)
        } else {
            None
        };
        // What an unlock restores: with KYC, the limits of the customer's level (re-applied
        // from the level at unlock, so an approval during the lock counts); without, these.
        let level_limits = kyc_level.map(|level| crate::kyc::levels::limits_for(&web, level));
        let (limits, saved) = if locked {
            let saved = serde_json::to_string(&limits_saved_at_lock(level_limits)).map_err(WebError::internal)?;
            (crate::kyc::levels::frozen_limits(&web), Some(saved))
        } else {
            let saved: Option<TierLimits> = account.saved_limits.as_deref().map(serde_json::from_str).transpose().map_err(WebError::internal)?;
            (limits_restored_at_unlock(level_limits, saved), None)
        };
        let result = submit_admin(&web, Command::SetTierLimits { user, limits }).await?;
        web.store.set_web_account_lock(account.id, locked, saved.as_deref()).await?;
        let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
        Ok(json!({"account": account_json(&account), "seq": result["seq"]}))
    })
    .await
}

/// Most audit entries one CSV export holds (read 500 at a time).
const AUDIT_CSV_MAX: usize = 20_000;

/// The audit log's filters from the query: `staff` (email), `action` (or its family), `from`
/// and `to` (Bangkok dates, both included).
fn audit_filter(q: &HashMap<String, String>) -> WebResult<talat_store::AuditFilter> {
    let text = |k: &str| q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let day = |k: &'static str| -> WebResult<Option<(u64, u64)>> {
        text(k).map(|d| talat_gateway::funds::bangkok_day_bounds(&d).ok_or_else(|| WebError::invalid(k, format!("{k} must be a date, YYYY-MM-DD")))).transpose()
    };
    let from_ms = day("from")?.map(|(start, _)| start);
    let to_ms = day("to")?.map(|(_, end)| end);
    if let (Some(f), Some(t)) = (from_ms, to_ms) {
        if t <= f {
            return Err(WebError::invalid("to", "to must not be before from"));
        }
    }
    Ok(talat_store::AuditFilter { staff_email: text("staff").map(|s| s.to_ascii_lowercase()), action: text("action"), from_ms, to_ms })
}

/// An entry's detail as fields when it is a JSON object (it usually is: the request's own
/// fields), else as text.
fn detail_fields(detail: &str) -> Value {
    match serde_json::from_str::<Value>(detail) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => Value::String(detail.to_string()),
    }
}

async fn audit(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Response> {
    s.require(allow::AUDIT)?;
    let filter = audit_filter(&q)?;
    let before = match q.get("before_id").filter(|s| !s.is_empty()) {
        Some(t) => Some(t.parse::<u64>().map_err(|_| WebError::invalid("before_id", "before_id must be a number"))?),
        None => None,
    };
    let limit = match q.get("limit").filter(|s| !s.is_empty()) {
        Some(t) => {
            t.parse::<i64>().ok().filter(|l| (1..=talat_store::MAX_WEB_ROWS).contains(l)).ok_or_else(|| WebError::invalid("limit", "limit must be 1 to 500"))?
        }
        None => 100,
    };
    match q.get("format").map(String::as_str) {
        None | Some("") | Some("json") => {}
        Some("csv") => return audit_csv(&web, &filter).await,
        Some(_) => return Err(WebError::invalid("format", "format must be json or csv")),
    }
    let rows = web.store.audit_entries_where(&filter, before, limit).await?;
    let next_before_id = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"id": r.id, "ts_ms": r.ts_ms, "staff_email": r.staff_email, "role": r.role, "action": r.action, "target": r.target,
                "detail": r.detail, "detail_fields": detail_fields(&r.detail), "outcome": r.outcome})
        })
        .collect();
    Ok(Json(json!({"entries": entries, "next_before_id": next_before_id})).into_response())
}

/// Every entry the filter matches (at most [`AUDIT_CSV_MAX`]), newest first, as CSV.
async fn audit_csv(web: &Web, filter: &talat_store::AuditFilter) -> WebResult<Response> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "time_bangkok", "staff", "role", "action", "target", "detail", "outcome"]).map_err(WebError::internal)?;
    let (mut before, mut written) = (None, 0usize);
    while written < AUDIT_CSV_MAX {
        let rows = web.store.audit_entries_where(filter, before, talat_store::MAX_WEB_ROWS).await?;
        for r in &rows {
            let time = talat_core::calendar::bangkok_iso_datetime(r.ts_ms);
            w.write_record([r.id.to_string().as_str(), &time, &r.staff_email, &r.role, &r.action, &r.target, &r.detail, &r.outcome])
                .map_err(WebError::internal)?;
        }
        written += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == talat_store::MAX_WEB_ROWS => before = Some(last.id),
            _ => break,
        }
    }
    let bytes = w.into_inner().map_err(WebError::internal)?;
    Ok(crate::views::csv_download(format!("audit-{}.csv", web.gateway.now_ms()), bytes))
}

async fn staff_list(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::STAFF)?;
    let rows = web.store.staff_list().await?;
    Ok(Json(json!({"staff": rows.iter().map(staff_json).collect::<Vec<_>>()})))
}

/// An admin resets another staff member's 2FA (a lost authenticator): the secret, the enabled
/// flag and the last used step are cleared and that staff member's sessions end, so the next
/// login takes the password alone (a restricted session where 2FA is required, until they
/// enrol again). Four eyes: an admin's own 2FA is reset by another admin. Audited as
/// `staff.2fa.reset` with the reason, refusals included.
async fn reset_staff_totp(State(web): State<Arc<Web>>, headers: HeaderMap, Path(staff_id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "staff.2fa.reset", target: format!("staff:{staff_id}") };
    act.run(allow::STAFF_2FA_RESET, &m, || async {
        let id =
            staff_id.parse::<u64>().ok().filter(|&n| i64::try_from(n).is_ok()).ok_or_else(|| WebError::invalid("staff_id", "staff_id must be a number"))?;
        body::reason(&m)?;
        let target = web.store.staff(id).await?.ok_or_else(|| WebError::not_found(format!("no staff member {id}")))?;
        if target.id == s.row.id {
            return Err(WebError::forbidden("you may not reset your own two-factor authentication: another admin must do it"));
        }
        let off = || WebError::conflict(format!("{} does not have two-factor authentication on", target.email));
        if !target.totp_enabled {
            return Err(off());
        }
        // Conditional on 2FA being on, so a concurrent reset of the same staff member loses.
        let ended = web.store.reset_staff_totp(id).await?.ok_or_else(off)?;
        let row = web.store.staff(id).await?.ok_or_else(|| WebError::internal("the staff account vanished"))?;
        Ok(json!({"staff": staff_json(&row), "sessions_ended": ended}))
    })
    .await
}
