//! Customer routes: signup, login, logout, me, 2FA, API keys, market status and balances.

use crate::auth::{Customer, CustomerSession};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::lang::Lang;
use crate::login::{totp_aad, use_customer_totp, Credentials, LoginForm, TOTP_REPLAYED};
use crate::secrets;
use crate::security_mail::{send, SecurityEvent};
use crate::session::{self, Kind, Origin};
use crate::views::{account_json, assets_json, balances_json, markets_json};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use talat_core::{Amount, Command, Event, ExternalId, UserId};
use talat_onboarding::account::{check_password, valid_email};
use talat_store::WebAccountRow;

/// The answer with the session cookie set.
fn with_cookie(token: &str, origin: &Origin, body: Value) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::set_cookie(Kind::Customer, token));
    if let Some(device) = origin.set_cookie() {
        response.headers_mut().append(header::SET_COOKIE, device);
    }
    response
}

/// Demo funds for a new customer: 1,000,000 THB and 1 BTC (if listed).
fn demo_funding(web: &Web, user: UserId) -> Vec<Command> {
    let mut commands = Vec::new();
    for (code, whole) in [("THB", 1_000_000u64), ("BTC", 1)] {
        let Some(asset) = web.gateway.read.asset_id(code) else { continue };
        let Some(spec) = web.gateway.read.assets().into_iter().find(|a| a.code == code) else { continue };
        let units = whole * 10u64.pow(spec.scale as u32);
        commands.push(Command::Deposit { user, asset, amount: Amount(units), external_id: ExternalId(format!("demo-signup:{}:{code}", user.0)) });
    }
    commands
}

pub async fn signup(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Response> {
    let m = body::object(&headers, &body, true)?;
    let email = body::str(&m, "email")?.trim().to_ascii_lowercase();
    if !valid_email(&email) {
        return Err(WebError::invalid("email", "that is not an email address"));
    }
    // Before any cost (argon2, an engine user, a mail): sign-ups per address and per email.
    if !web.signup_limits.allow(peer.ip(), &email) {
        return Err(WebError {
            retry_after_s: Some(3_600),
            message: "too many sign-ups from here or for this email; try again later".into(),
            ..WebError::rate_limited()
        });
    }
    let password = body::str(&m, "password")?.to_string();
    check_password(&password).map_err(|e| WebError::invalid("password", e.to_string()))?;
    let lang = match m.get("lang") {
        None | Some(Value::Null) => Lang::accepted(&headers).unwrap_or(Lang::Th),
        Some(v) => v.as_str().and_then(Lang::parse).ok_or_else(bad_lang)?,
    };
    if web.store.web_account_by_email(&email).await?.is_some() {
        return Err(WebError::conflict("an account with this email exists"));
    }
    let hash = secrets::blocking(move || secrets::hash_password(&password)).await;
    let outcome = web.gateway.submit(Command::CreateUser).await?;
    let user = outcome
        .events
        .iter()
        .find_map(|e| match e {
            Event::UserCreated { user } => Some(*user),
            _ => None,
        })
        .ok_or_else(|| WebError::internal("the engine created no user"))?;
    // A concurrent signup with the same email loses here; its engine user stays unused.
    let id = web
        .store
        .insert_web_account_in(&email, &hash, user, web.gateway.now_ms(), lang.as_str())
        .await?
        .ok_or_else(|| WebError::conflict("an account with this email exists"))?;
    // Demo funds for the first `demo_funded_max` accounts only: free money is capped.
    if web.config.demo && web.store.count_web_accounts().await? <= web.config.demo_funded_max {
        for command in demo_funding(&web, user) {
            let outcome = web.gateway.submit(command).await?;
            if let Some(Event::Rejected { reason }) = outcome.events.iter().find(|e| matches!(e, Event::Rejected { .. })) {
                tracing::warn!("demo funding of user {} refused: {reason}", user.0);
            }
        }
    }
    let account = web.store.web_account(id).await?.ok_or_else(|| WebError::internal("the new account vanished"))?;
    crate::kyc::signup::on_signup(&web, &account).await?;
    let account = web.store.web_account(id).await?.ok_or_else(|| WebError::internal("the new account vanished"))?;
    let origin = Origin::of(peer.ip(), &headers);
    let (token, csrf) = web.open_customer_session(id, &origin).await?;
    Ok(with_cookie(&token, &origin, json!({"account": account_json(&account), "csrf": csrf})))
}

pub async fn login(State(web): State<Arc<Web>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, body: Bytes) -> WebResult<Response> {
    let form = LoginForm::read(&web, peer, &headers, &body)?;
    let account = web.store.web_account_by_email(&form.email).await?;
    let credentials =
        account.as_ref().map(|a| Credentials { id: a.id, password_hash: a.password_hash.clone(), totp: a.totp.as_ref().filter(|_| a.totp_enabled) });
    form.check(&web, Kind::Customer, credentials).await?;
    let account = account.expect("checked above");
    let origin = Origin::of(peer.ip(), &headers);
    // A sign-in from an address or a device this account never used is worth a mail.
    let (ip_seen, device_seen) = web.store.origin_seen(account.id, &origin.ip, &origin.device_key()).await?;
    let (token, csrf) = web.open_customer_session(account.id, &origin).await?;
    if !(ip_seen && device_seen) {
        send(&web, &account.email, SecurityEvent::NewSignIn { ip: &origin.ip, new_device: !device_seen }).await;
    }
    Ok(with_cookie(&token, &origin, json!({"account": account_json(&account), "csrf": csrf})))
}

pub async fn logout(State(web): State<Arc<Web>>, CustomerSession(s): CustomerSession) -> WebResult<Response> {
    web.close_session(&s).await?;
    let mut response = Json(json!({})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie(Kind::Customer));
    Ok(response)
}

pub async fn me(Customer { session: s, account }: Customer) -> WebResult<Json<Value>> {
    Ok(Json(json!({"account": account_json(&account), "csrf": s.csrf})))
}

fn bad_lang() -> WebError {
    WebError::invalid("lang", "lang must be th or en")
}

/// `POST /web/api/language {lang}`: the language the customer's mails are written in (the app
/// sends it when its own language switch changes).
pub async fn set_language(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let lang = m.get("lang").and_then(Value::as_str).and_then(Lang::parse).ok_or_else(bad_lang)?;
    if !web.store.set_web_account_lang(account.id, lang.as_str()).await? {
        return Err(WebError::internal("the account vanished"));
    }
    let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
    Ok(Json(json!({"account": account_json(&account)})))
}

pub async fn totp_setup(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    if account.totp_enabled {
        return Err(WebError::conflict("two-factor authentication is already on; disable it first"));
    }
    let secret = secrets::new_totp_secret();
    let (sealed, nonce) = web.gateway.master.seal(&totp_aad("account", account.id), &secret);
    web.store.set_web_account_totp(account.id, Some((&sealed, &nonce)), false).await?;
    let (b32, url) = secrets::totp_setup(&secret, &account.email);
    let qr = secrets::totp_qr_png_base64(&secret, &account.email).map_err(WebError::internal)?;
    Ok(Json(json!({"secret": b32, "otpauth_url": url, "qr_png_base64": qr})))
}

/// The pending or active TOTP secret of an account, opened.
fn open_totp(web: &Web, account: &WebAccountRow) -> WebResult<Vec<u8>> {
    let (sealed, nonce) = account.totp.as_ref().ok_or_else(|| WebError::invalid("code", "set up two-factor authentication first"))?;
    web.gateway.master.open(&totp_aad("account", account.id), sealed, nonce).map_err(WebError::internal)
}

async fn totp_switch(web: Arc<Web>, headers: HeaderMap, account: WebAccountRow, body: Bytes, enable: bool) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let code = body::str(&m, "code")?;
    if account.totp_enabled == enable {
        return Err(WebError::conflict(if enable { "two-factor authentication is already on" } else { "two-factor authentication is off" }));
    }
    let secret = open_totp(&web, &account)?;
    let step = secrets::totp_step(&secret, code, web.gateway.now_ms() / 1000).ok_or_else(|| WebError::invalid("code", "wrong two-factor code"))?;
    if !web.store.use_web_account_totp_step(account.id, step).await? {
        return Err(WebError::invalid("code", TOTP_REPLAYED));
    }
    let mut backup_codes = Vec::new();
    if enable {
        let (sealed, nonce) = account.totp.as_ref().expect("opened above");
        web.store.set_web_account_totp(account.id, Some((sealed, nonce)), true).await?;
        backup_codes = new_backup_codes(&web, account.id).await?;
    } else {
        web.store.set_web_account_totp(account.id, None, false).await?;
        web.store.replace_backup_codes(account.id, &[], web.gateway.now_ms()).await?;
        // Turning 2FA off is a security change: withdrawals wait out the cooling-off.
        web.store.set_security_changed(account.id, web.gateway.now_ms()).await?;
    }
    let account = web.store.web_account(account.id).await?.ok_or_else(|| WebError::internal("the account vanished"))?;
    send(&web, &account.email, SecurityEvent::TwoFactor { on: enable }).await;
    let mut answer = json!({"account": account_json(&account)});
    if enable {
        // Shown this once: only their hashes are kept.
        answer["backup_codes"] = json!(backup_codes);
    }
    Ok(Json(answer))
}

/// Ten fresh backup codes for the account (the old ones stop working); only hashes are kept.
async fn new_backup_codes(web: &Web, account_id: u64) -> WebResult<Vec<String>> {
    let codes = secrets::backup_codes(secrets::BACKUP_CODES);
    let hashes: Vec<String> = codes.iter().map(|c| secrets::sha256_hex(c)).collect();
    web.store.replace_backup_codes(account_id, &hashes, web.gateway.now_ms()).await?;
    Ok(codes)
}

/// `{code}`: a current 2FA code buys ten new backup codes; the old ones stop working.
pub async fn backup_codes(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let code = body::str(&m, "code")?;
    use_customer_totp(&web, &account, code, "code").await?;
    let codes = new_backup_codes(&web, account.id).await?;
    Ok(Json(json!({"backup_codes": codes})))
}

/// How many unused backup codes the account has.
pub async fn backup_codes_left(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    Ok(Json(json!({"left": web.store.backup_codes_left(account.id).await?, "totp_enabled": account.totp_enabled})))
}

pub async fn totp_enable(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    totp_switch(web, headers, account, body, true).await
}

pub async fn totp_disable(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    totp_switch(web, headers, account, body, false).await
}

fn perm_names(bits: u32) -> Vec<&'static str> {
    [(talat_store::PERM_TRADE, "trade"), (talat_store::PERM_DEPOSIT, "deposit"), (talat_store::PERM_WITHDRAW, "withdraw")]
        .into_iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n)
        .collect()
}

pub async fn keys(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.api_keys_of(account.user).await?;
    let keys: Vec<Value> = rows
        .iter()
        .filter(|r| r.revoked_ms.is_none())
        .map(|r| {
            let ips: Vec<&str> = r.ip_allow.split(',').filter(|s| !s.is_empty()).collect();
            // The full key id is what DELETE takes; the prefix is what the page shows.
            json!({"key": r.api_key, "key_prefix": &r.api_key[..8.min(r.api_key.len())], "permissions": perm_names(r.perms), "ip_allow": ips, "created_ms": r.created_ms})
        })
        .collect();
    Ok(Json(json!({"keys": keys})))
}

pub async fn create_key(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let mut perms = talat_gateway::auth::Perms::default();
    for p in body::str_list(&m, "permissions", 3)? {
        match p {
            "trade" => perms.trade = true,
            "deposit" => perms.deposit = true,
            "withdraw" => perms.withdraw = true,
            _ => return Err(WebError::invalid("permissions", "permissions are trade, deposit and withdraw")),
        }
    }
    if perms == talat_gateway::auth::Perms::default() {
        return Err(WebError::invalid("permissions", "choose at least one permission"));
    }
    let ips = body::str_list(&m, "ip_allow", 20)?
        .into_iter()
        .map(|s| s.trim().parse::<std::net::IpAddr>().map_err(|_| WebError::invalid("ip_allow", format!("{s:?} is not an IP address"))))
        .collect::<WebResult<Vec<_>>>()?;
    // A key that can move money out is as strong as a withdrawal: it needs the 2FA code.
    if perms.withdraw {
        let code = body::opt_str(&m, "totp")?
            .filter(|c| !c.is_empty())
            .ok_or_else(|| WebError::invalid("totp", "a key that can withdraw needs your two-factor code"))?;
        use_customer_totp(&web, &account, code, "totp").await?;
    }
    if web.gateway.keys.count_of(account.user) >= talat_gateway::auth::keys::KEYS_PER_USER_MAX {
        return Err(WebError::conflict(format!("at most {} keys per account", talat_gateway::auth::keys::KEYS_PER_USER_MAX)));
    }
    let (key, secret) = talat_gateway::setup::create_key(&web.gateway, account.user, perms, ips.clone()).await.map_err(WebError::internal)?;
    let names = perm_names(perms.bits() as u32);
    send(&web, &account.email, SecurityEvent::ApiKeyCreated { withdraw: perms.withdraw }).await;
    Ok(Json(json!({"key": key, "secret": secret, "key_prefix": &key[..8], "permissions": names, "ip_allow": ips, "created_ms": web.gateway.now_ms()})))
}

pub async fn revoke_key(State(web): State<Arc<Web>>, Path(key): Path<String>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let row = web.store.api_key(&key).await?.filter(|r| r.user == account.user && r.revoked_ms.is_none()).ok_or_else(|| WebError::not_found("no such key"))?;
    // Out of the ring first: from here the key authenticates nothing.
    web.gateway.keys.remove(&row.api_key);
    web.store.revoke_api_key(&row.api_key, web.gateway.now_ms()).await?;
    Ok(Json(json!({})))
}

/// Public: needs no session (the login page shows it too).
pub async fn status(State(web): State<Arc<Web>>) -> Json<Value> {
    Json(json!({"maintenance": web.gateway.read.maintenance(), "assets": assets_json(&web), "markets": markets_json(&web, false)}))
}

pub async fn balances(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    Ok(Json(balances_json(&web, account.user)))
}
