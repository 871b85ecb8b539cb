//! The staff console: login, two-factor setup (and an admin's reset of another staff member's),
//! role-checked routes, and the audit log. Every action that changes something appends exactly
//! one audit entry — success, validation failure, engine refusal or a refused role — before it
//! answers.
//!
//! When [`crate::WebConfig::require_staff_2fa`] is set, a staff member without 2FA gets a
//! restricted session: `me`, `logout` and the `2fa/*` routes work, every other route answers 403
//! `2fa_required` (checked in [`staff`], so a new route is restricted unless it opts out).

use crate::body;
use crate::customer::{account_json, balances_json, markets_json, totp_aad, Credentials, LoginForm, TOTP_REPLAYED};
use crate::error::{WebError, WebResult};
use crate::orders::order_json;
use crate::secrets;
use crate::session::{self, Kind};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use talat_core::{Amount, Command, TierLimits, TradingMode, UserId};
use talat_gateway::gateway::MarketRef;
use talat_store::{AuditRow, StaffRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Operator,
    Support,
    Kyc,
    Compliance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Operator, Role::Support, Role::Kyc, Role::Compliance, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Support => "support",
            Role::Kyc => "kyc",
            Role::Compliance => "compliance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What each route allows (docs/web-api.md, staff console table).
pub mod allow {
    use super::Role::{self, *};
    pub const DASHBOARD: &[Role] = &[Operator, Admin];
    pub const MARKETS: &[Role] = &[Operator, Admin];
    pub const MODE: &[Role] = &[Operator, Admin];
    pub const FEES: &[Role] = &[Admin];
    pub const BAND: &[Role] = &[Admin];
    pub const MAINTENANCE: &[Role] = &[Operator, Admin];
    pub const USERS: &[Role] = &[Support, Compliance, Admin];
    pub const LOCK: &[Role] = &[Compliance, Admin];
    pub const AUDIT: &[Role] = &[Compliance, Admin];
    pub const STAFF: &[Role] = &[Admin];
    pub const STAFF_2FA_RESET: &[Role] = &[Admin];
    pub const SUPPORT_READ: &[Role] = &[Support, Compliance, Admin];
    pub const SUPPORT_WRITE: &[Role] = &[Support, Admin];
    pub const COMPLAINT: &[Role] = &[Support, Compliance, Admin];
    pub const INCIDENTS_READ: &[Role] = &[Operator, Support, Admin];
    pub const INCIDENTS_CREATE: &[Role] = &[Operator, Admin];
    pub const INCIDENTS_ANSWER: &[Role] = &[Operator, Support, Admin];
    pub const STAFFING: &[Role] = &[Support, Compliance, Admin];
    pub const ROSTER: &[Role] = &[Admin];
    pub const MAIL: &[Role] = &[Support, Admin];
    /// Onboarding: reading the KYC queue, deciding applications, screening, admission.
    pub const KYC_READ: &[Role] = &[Kyc, Compliance, Admin];
    pub const KYC_DECIDE: &[Role] = &[Kyc, Admin];
    pub const KYC_SCREENING_READ: &[Role] = &[Kyc, Compliance, Admin];
    pub const KYC_SCREENING_DECIDE: &[Role] = &[Compliance, Admin];
    pub const KYC_ADMISSION: &[Role] = &[Kyc, Support, Compliance, Admin];
}

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
        ("audit", allow::AUDIT),
        ("staff", allow::STAFF),
        ("security", &Role::ALL),
    ]
    .into_iter()
    .filter(|(_, roles)| roles.contains(&role))
    .map(|(p, _)| p)
    .collect()
}

/// The pages of a signed-in staff member: only `security` while 2FA is required but not on.
fn pages_of(s: &Staff) -> Vec<&'static str> {
    if s.restricted {
        vec!["security"]
    } else {
        pages(s.role)
    }
}

fn staff_json(row: &StaffRow) -> Value {
    json!({"id": row.id, "email": row.email, "role": row.role, "totp_enabled": row.totp_enabled})
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/login", post(login))
        .route("/web/api/console/logout", post(logout))
        .route("/web/api/console/me", get(me))
        .route("/web/api/console/2fa/setup", post(totp_setup))
        .route("/web/api/console/2fa/enable", post(totp_enable))
        .route("/web/api/console/dashboard", get(dashboard))
        .route("/web/api/console/markets", get(markets))
        .route("/web/api/console/markets/{symbol}/mode", post(set_mode))
        .route("/web/api/console/markets/{symbol}/fees", post(set_fees))
        .route("/web/api/console/markets/{symbol}/band", post(set_band))
        .route("/web/api/console/maintenance", post(maintenance))
        .route("/web/api/console/users", get(users))
        .route("/web/api/console/users/{user_id}", get(user))
        .route("/web/api/console/users/{user_id}/lock", post(lock))
        .route("/web/api/console/audit", get(audit))
        .route("/web/api/console/staff", get(staff_list))
        .route("/web/api/console/staff/{staff_id}/2fa/reset", post(reset_staff_totp))
}

/// A signed-in staff member.
pub struct Staff {
    pub session: session::Session,
    pub row: StaffRow,
    pub role: Role,
    /// 2FA is required and this staff member has not enabled it yet.
    pub restricted: bool,
}

impl Staff {
    pub(crate) fn require(&self, roles: &[Role]) -> WebResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(WebError::forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }
}

/// The signed-in staff member, refused (403 `2fa_required`) while the session is restricted.
pub(crate) async fn staff(web: &Web, method: &Method, headers: &HeaderMap) -> WebResult<Staff> {
    let s = staff_even_restricted(web, method, headers).await?;
    if s.restricted {
        return Err(WebError::two_factor_required());
    }
    Ok(s)
}

/// The signed-in staff member, restricted or not: only for `me`, `logout` and `2fa/*`.
async fn staff_even_restricted(web: &Web, method: &Method, headers: &HeaderMap) -> WebResult<Staff> {
    let session = web.session(Kind::Staff, method, headers).await?;
    let row = web.store.staff(session.owner_id).await?.ok_or_else(|| WebError::unauthenticated("the staff account no longer exists"))?;
    let role = Role::parse(&row.role).ok_or_else(|| WebError::forbidden("unknown role"))?;
    let restricted = web.config.require_staff_2fa && !row.totp_enabled;
    Ok(Staff { session, row, role, restricted })
}

pub async fn login(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Response> {
    let form = LoginForm::read(&web, peer, &headers, &body)?;
    let row = web.store.staff_by_email(&form.email).await?;
    let credentials = row.as_ref().map(|r| Credentials { id: r.id, password_hash: r.password_hash.clone(), totp: r.totp.as_ref().filter(|_| r.totp_enabled) });
    form.check(&web, Kind::Staff, credentials).await?;
    let row = row.expect("checked above");
    let role = Role::parse(&row.role).ok_or_else(|| WebError::forbidden("unknown role"))?;
    // Without 2FA where it is required, the password opens a restricted session only.
    let restricted = web.config.require_staff_2fa && !row.totp_enabled;
    let pages = if restricted { vec!["security"] } else { pages(role) };
    let (token, csrf) = web.open_session(Kind::Staff, row.id).await?;
    let mut response = Json(json!({"staff": staff_json(&row), "csrf": csrf, "pages": pages, "two_factor_required": restricted})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::set_cookie(Kind::Staff, &token));
    Ok(response)
}

async fn logout(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Response> {
    let s = staff_even_restricted(&web, &method, &headers).await?;
    web.close_session(&s.session).await?;
    let mut response = Json(json!({})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie(Kind::Staff));
    Ok(response)
}

async fn me(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Json<Value>> {
    let s = staff_even_restricted(&web, &method, &headers).await?;
    Ok(Json(json!({"staff": staff_json(&s.row), "csrf": s.session.csrf, "pages": pages_of(&s), "two_factor_required": s.restricted})))
}

/// Starts (or restarts) 2FA setup: a new secret, stored sealed and inactive until `enable`.
/// Audited as `staff.2fa.setup` (the secret is never in the audit log).
async fn totp_setup(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Json<Value>> {
    let s = staff_even_restricted(&web, &method, &headers).await?;
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
async fn totp_enable(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff_even_restricted(&web, &method, &headers).await?;
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
        Ok(json!({"staff": staff_json(&row), "pages": pages(s.role), "two_factor_required": false}))
    })
    .await
}

async fn dashboard(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::DASHBOARD)?;
    let g = &web.gateway;
    let text = g.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    let live = crate::dashboard::Live {
        ts_ms: g.now_ms(),
        applied_seq: g.read.applied_seq(),
        lanes: g.sequencer.lane_depths(),
        ws_connections: g.ws_connections.load(std::sync::atomic::Ordering::Relaxed),
    };
    let mut body = crate::dashboard::dashboard(&text, &live);
    // Support's figures: open work, clocks at risk or breached, breaches in the last 30 days.
    let counts = web.store.support_counts(live.ts_ms.saturating_sub(30 * 24 * 3_600_000)).await?;
    body["support"] = json!({"open": counts.open, "waiting_customer": counts.waiting_customer, "at_risk": counts.at_risk, "breached": counts.breached, "breaches_30d": counts.breaches_since, "complaints_open": counts.complaints_open});
    Ok(Json(body))
}

async fn markets(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::MARKETS)?;
    let list = markets_json(&web, true);
    Ok(Json(json!({"maintenance": web.gateway.read.maintenance(), "markets": list})))
}

/// One audited console action: checks the role, parses, submits, and records the outcome
/// (whatever it is) before answering.
pub(crate) struct Action<'a> {
    pub(crate) web: &'a Web,
    pub(crate) staff: &'a Staff,
    pub(crate) action: &'static str,
    pub(crate) target: String,
}

impl Action<'_> {
    async fn record(&self, detail: &str, result: &WebResult<Value>) -> WebResult<()> {
        let outcome = match result {
            Ok(_) => "ok".to_string(),
            Err(e) => match e.bitkub_code {
                Some(code) => format!("{}:{code}: {}", e.code, e.message),
                None => format!("{}: {}", e.code, e.message),
            },
        };
        let row = AuditRow {
            id: 0,
            ts_ms: self.web.gateway.now_ms(),
            staff_id: self.staff.row.id,
            staff_email: self.staff.row.email.clone(),
            role: self.staff.row.role.clone(),
            action: self.action.into(),
            target: self.target.clone(),
            detail: detail.into(),
            outcome,
        };
        self.web.store.append_audit(&row).await?;
        Ok(())
    }

    /// Runs `f` (after the role check), audits, answers.
    pub(crate) async fn run<F, Fut>(self, roles: &[Role], m: &Map<String, Value>, f: F) -> WebResult<Json<Value>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = WebResult<Value>>,
    {
        // The detail is the request as given (reason included); it never holds a secret.
        let detail = serde_json::to_string(m).unwrap_or_default();
        self.run_detail(roles, detail, f).await
    }

    /// [`Action::run`] with the audit detail given (for requests that carry a secret).
    pub(crate) async fn run_detail<F, Fut>(self, roles: &[Role], detail: String, f: F) -> WebResult<Json<Value>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = WebResult<Value>>,
    {
        let result = match self.staff.require(roles) {
            Ok(()) => f().await,
            Err(e) => Err(e),
        };
        self.record(&detail, &result).await?;
        result.map(Json)
    }
}

pub(crate) async fn submit_admin(web: &Web, command: Command) -> WebResult<Value> {
    let outcome = web.gateway.execute(command).await?;
    Ok(json!({"seq": outcome.seq}))
}

fn market_of(web: &Web, symbol: &str) -> WebResult<MarketRef> {
    web.gateway.market(symbol, false).map_err(|_| WebError::not_found(format!("no market {symbol}")))
}

async fn set_mode(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Path(symbol): Path<String>, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "market.mode", target: symbol.clone() };
    act.run(allow::MODE, &m, || async {
        let market = market_of(&web, &symbol)?;
        let mode = match body::str(&m, "mode")? {
            "open" => TradingMode::Open,
            "post_only" => TradingMode::PostOnly,
            "cancel_only" => TradingMode::CancelOnly,
            "halted" => TradingMode::Halted,
            _ => return Err(WebError::invalid("mode", "mode must be open, post_only, cancel_only or halted")),
        };
        body::reason(&m)?;
        submit_admin(&web, Command::SetMarketMode { market: market.info.id, mode }).await
    })
    .await
}

async fn set_fees(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Path(symbol): Path<String>, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
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

async fn set_band(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Path(symbol): Path<String>, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
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

async fn maintenance(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "maintenance", target: "exchange".into() };
    act.run(allow::MAINTENANCE, &m, || async {
        let on = body::bool(&m, "on")?;
        body::reason(&m)?;
        submit_admin(&web, Command::SetMaintenance { on }).await
    })
    .await
}

async fn users(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::USERS)?;
    let needle = q.get("q").map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    if needle.chars().count() > 254 {
        return Err(WebError::invalid("q", "the search is too long"));
    }
    let user = needle.parse::<u32>().ok().map(UserId);
    let rows = web.store.search_web_accounts(&needle, user, 50).await?;
    Ok(Json(json!({"users": rows.iter().map(account_json).collect::<Vec<_>>()})))
}

fn user_id_of(text: &str) -> WebResult<UserId> {
    text.parse::<u32>().map(UserId).map_err(|_| WebError::invalid("user_id", "user_id must be a number"))
}

async fn user(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Path(user_id): Path<String>) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::USERS)?;
    let user = user_id_of(&user_id)?;
    let account = web.store.web_account_of_user(user).await?.ok_or_else(|| WebError::not_found("no web account for this user"))?;
    let open: Vec<Value> = web
        .gateway
        .read
        .open_orders(user, None)
        .iter()
        .filter_map(|o| {
            let state = web.gateway.read.market(o.market)?;
            let info = Arc::clone(&state.read().info);
            Some(order_json(&MarketRef { state, info }, o))
        })
        .collect();
    Ok(Json(json!({"account": account_json(&account), "balances": balances_json(&web, user), "open_orders": open})))
}

/// Lock: the engine's tier limits say no trading and no withdrawal of any listed asset. Unlock
/// restores the limits saved at lock time (the defaults if none were saved).
async fn lock(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Path(user_id): Path<String>, body: Bytes) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
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
        let (limits, saved) = if locked {
            let frozen = web.gateway.read.assets().iter().filter_map(|a| web.gateway.read.asset_id(&a.code)).map(|id| (id, Amount(0))).collect();
            let restore = match kyc_level {
                Some(level) => crate::kyc::levels::limits_for(&web, level),
                None => TierLimits::default(),
            };
            let saved = serde_json::to_string(&restore).map_err(WebError::internal)?;
            (TierLimits { can_trade: false, daily_withdrawal: frozen }, Some(saved))
        } else {
            let restored = match (kyc_level, &account.saved_limits) {
                (Some(level), _) => crate::kyc::levels::limits_for(&web, level),
                (None, Some(text)) => serde_json::from_str(text).map_err(WebError::internal)?,
                (None, None) => TierLimits::default(),
            };
            (restored, None)
        };
        let result = submit_admin(&web, Command::SetTierLimits { user, limits }).await?;
        web.store.set_web_account_lock(account.id, locked, saved.as_deref()).await?;
        let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
        Ok(json!({"account": account_json(&account), "seq": result["seq"]}))
    })
    .await
}

async fn audit(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::AUDIT)?;
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
    let rows = web.store.audit_entries(before, limit).await?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "ts_ms": r.ts_ms, "staff_email": r.staff_email, "role": r.role, "action": r.action, "target": r.target, "detail": r.detail, "outcome": r.outcome}))
        .collect();
    Ok(Json(json!({"entries": entries})))
}

async fn staff_list(State(web): State<Arc<Web>>, method: Method, headers: HeaderMap) -> WebResult<Json<Value>> {
    staff(&web, &method, &headers).await?.require(allow::STAFF)?;
    let rows = web.store.staff_list().await?;
    Ok(Json(json!({"staff": rows.iter().map(staff_json).collect::<Vec<_>>()})))
}

/// An admin resets another staff member's 2FA (a lost authenticator): the secret, the enabled
/// flag and the last used step are cleared and that staff member's sessions end, so the next
/// login takes the password alone (a restricted session where 2FA is required, until they
/// enrol again). Four eyes: an admin's own 2FA is reset by another admin. Audited as
/// `staff.2fa.reset` with the reason, refusals included.
async fn reset_staff_totp(
    State(web): State<Arc<Web>>,
    method: Method,
    headers: HeaderMap,
    Path(staff_id): Path<String>,
    body: Bytes,
) -> WebResult<Json<Value>> {
    let s = staff(&web, &method, &headers).await?;
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
