//! The v4 crypto endpoints a custody network serves (reference §12.1): deposit addresses (GET,
//! and POST which derives the customer's address on first use), deposits, withdrawals (GET,
//! and POST through talat-custody's checks, hold and approvals) and coins. Signed like every
//! v4 endpoint; v4 envelope and error codes. The custody service is handed in by the server
//! that runs it (`routes(Some(custody))`); without one, lists are truthfully empty and a new
//! address or withdrawal is refused with "Network is disabled". An API key with withdraw
//! permission stands for the second factor, as at Bitkub; the destination must be on the
//! customer's whitelist past its cooling-off.
//!
//! The retired v3 crypto endpoints SDKs still call (§11.2: `addresses`, `generate-address`,
//! `deposit-history`, `withdraw-history`, `withdraw`) answer from the same service in the v3
//! shape, `p`/`lmt` in the query string.

use super::compensations::iso_utc_ms;
use super::fiat::V4Error;
use super::json_response;
use super::secure::Signed;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_custody::chain::format_units;
use talat_custody::deposit::DepositStatus;
use talat_custody::service::Network;
use talat_custody::withdrawals::{Requester, WithdrawError};
use talat_custody::{Custody, CustodyError};
use talat_funds::crypto::CryptoWithdrawalStatus;
use talat_gateway::decimal::Dec;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::AppState;
use talat_gateway::limits::{Caller, Endpoint};
use talat_store::CustodyWithdrawalRow;

const MAX_LIMIT: u64 = 200;
/// The last 90 days only, as Bitkub.
const DEPOSIT_WINDOW_MS: u64 = 90 * 86_400_000;

#[derive(Clone)]
struct Slot(Option<Arc<Custody>>);

pub fn routes(custody: Option<Arc<Custody>>) -> Router<AppState> {
    Router::new()
        .route("/api/v4/crypto/addresses", get(addresses).post(new_address))
        .route("/api/v4/crypto/deposits", get(deposits))
        .route("/api/v4/crypto/withdraws", get(withdrawals).post(withdraw))
        .route("/api/v4/crypto/coins", get(coins))
        .route("/api/v3/crypto/addresses", post(v3_addresses))
        .route("/api/v3/crypto/generate-address", post(v3_generate_address))
        .route("/api/v3/crypto/deposit-history", post(v3_deposits))
        .route("/api/v3/crypto/withdraw-history", post(v3_withdrawals))
        .route("/api/v3/crypto/withdraw", post(v3_withdraw))
        .layer(Extension(Slot(custody)))
}

fn v4(code: &'static str, status: StatusCode, message: impl Into<String>) -> V4Error {
    V4Error(status, code, message.into())
}

impl From<CustodyError> for V4Error {
    fn from(e: CustodyError) -> V4Error {
        match e {
            CustodyError::UnknownNetwork(_) | CustodyError::DepositsDisabled(_) => v4("B1001-CW", StatusCode::BAD_REQUEST, "Network is disabled"),
            other => v4("S1000-CW", StatusCode::INTERNAL_SERVER_ERROR, format!("Internal service error: {other}")),
        }
    }
}

fn page_limit(signed: &Signed) -> Result<(u64, u64), V4Error> {
    let page = signed.params.opt_u64("page")?.unwrap_or(1);
    let limit = signed.params.opt_u64("limit")?.unwrap_or(MAX_LIMIT);
    if page == 0 || limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid_parameter("page starts at 1 and limit is 1 to 200").into());
    }
    Ok((page, limit))
}

fn paged(items: Vec<Value>, page: u64, limit: u64) -> Response {
    let total = items.len() as u64;
    let page_items: Vec<Value> = items.into_iter().skip(((page - 1) * limit) as usize).take(limit as usize).collect();
    let data = json!({"page": page, "total_page": total.div_ceil(limit).max(1), "total_item": total, "items": page_items});
    json_response(&json!({"code": "0", "message": "success", "data": data}))
}

fn upper(signed: &Signed, key: &str) -> Result<Option<String>, V4Error> {
    Ok(upper_param(signed, key)?)
}

/// A code parameter (`symbol`, `cur`, `net`…), trimmed and upper-cased; empty is absent.
fn upper_param(signed: &Signed, key: &str) -> Result<Option<String>, ApiError> {
    Ok(signed.params.opt_str(key)?.map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()))
}

/// Who asks for a withdrawal over the API: the key's user, locked or not; a key with withdraw
/// permission stands for the second factor, as at Bitkub.
async fn requester(custody: &Custody, signed: &Signed) -> Result<Requester, ApiError> {
    let account = custody.store.web_account_of_user(signed.key.user).await.map_err(ApiError::unavailable)?;
    Ok(Requester {
        user: signed.key.user,
        email: account.as_ref().map_or_else(String::new, |a| a.email.clone()),
        account_locked: account.as_ref().is_some_and(|a| a.locked),
        second_factor_ok: true,
        source: "api".into(),
    })
}

/// The network a (symbol, network) pair names: the symbol must be a coin served here.
fn network_of<'c>(custody: &'c Custody, symbol: &str, network: &str) -> Result<&'c Network, V4Error> {
    let networks = custody.networks_of(symbol);
    if networks.is_empty() {
        return Err(v4("V1007-CW", StatusCode::NOT_FOUND, "Symbol not found"));
    }
    networks.into_iter().find(|n| n.config.network.eq_ignore_ascii_case(network)).ok_or_else(|| v4("B1001-CW", StatusCode::BAD_REQUEST, "Network is disabled"))
}

async fn addresses(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = page_limit(&signed)?;
    let (symbol, network) = (upper(&signed, "symbol")?, upper(&signed, "network")?);
    let Some(custody) = custody else { return Ok(paged(Vec::new(), page, limit)) };
    let rows = custody.addresses_of(u64::from(signed.key.user.0)).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .filter_map(|row| custody.network(&row.network).ok().map(|n| (row, n)))
        .filter(|(row, n)| {
            symbol.as_ref().is_none_or(|s| n.config.asset.eq_ignore_ascii_case(s)) && network.as_ref().is_none_or(|w| row.network.eq_ignore_ascii_case(w))
        })
        .map(|(row, n)| json!({"symbol": n.config.asset, "network": row.network, "address": row.address, "memo": "", "created_at": iso_utc_ms(row.created_ms)}))
        .collect();
    Ok(paged(items, page, limit))
}

async fn new_address(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.deposit {
        return Err(ApiError::permission_denied("deposit").into());
    }
    let symbol = upper(&signed, "symbol")?.ok_or_else(|| v4("B1007-CW", StatusCode::BAD_REQUEST, "Symbol required"))?;
    let network = upper(&signed, "network")?.ok_or_else(|| v4("V1006-CW", StatusCode::BAD_REQUEST, "Invalid parameter: network is required"))?;
    let Some(custody) = custody else { return Err(v4("B1001-CW", StatusCode::BAD_REQUEST, "Network is disabled")) };
    let n = network_of(&custody, &symbol, &network)?;
    let row = custody.address_for(u64::from(signed.key.user.0), &n.config.network).await?;
    let data = json!([{"symbol": n.config.asset, "network": row.network, "address": row.address, "memo": ""}]);
    Ok(json_response(&json!({"code": "0", "message": "success", "data": data})))
}

async fn deposits(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = page_limit(&signed)?;
    let symbol = upper(&signed, "symbol")?;
    let status = signed.params.opt_str("status")?.map(|s| s.to_ascii_lowercase());
    if status.as_deref().is_some_and(|s| !["pending", "rejected", "complete"].contains(&s)) {
        return Err(ApiError::invalid_parameter("status is pending, rejected or complete").into());
    }
    let Some(custody) = custody else { return Ok(paged(Vec::new(), page, limit)) };
    let since_ms = state.now_ms().saturating_sub(DEPOSIT_WINDOW_MS);
    let rows = custody.store.custody_deposits_of(u64::from(signed.key.user.0), talat_store::MAX_CUSTODY_ROWS).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .filter(|d| d.seen_ms >= since_ms)
        .filter(|d| symbol.as_ref().is_none_or(|s| d.asset.eq_ignore_ascii_case(s)))
        .filter_map(|d| {
            let word = DepositStatus::parse(&d.status).map_or("pending", DepositStatus::bitkub_status);
            if status.as_deref().is_some_and(|s| s != word) {
                return None;
            }
            let decimals = custody.network(&d.network).map_or(8, |n| n.config.engine_decimals);
            Some(json!({
                "hash": d.txid,
                "symbol": d.asset,
                "network": d.network,
                "amount": format_units(d.amount_units, decimals),
                "from_address": "",
                "to_address": d.address,
                "confirmations": d.confirmations,
                "status": word,
                "created_at": iso_utc_ms(d.seen_ms),
                "completed_at": d.credited_ms.map(iso_utc_ms),
            }))
        })
        .collect();
    Ok(paged(items, page, limit))
}

/// A SegWit address of the network's human-readable part, as a regex a client can check.
fn address_regex(c: &talat_custody::network::NetworkConfig) -> String {
    if c.is_evm() {
        "^0x[0-9a-fA-F]{40}$".into()
    } else {
        format!("^{}1[02-9ac-hj-np-z]{{38,58}}$", c.hrp)
    }
}

async fn coins(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (symbol, network) = (upper(&signed, "symbol")?, upper(&signed, "network")?);
    let mut items: Vec<Value> = Vec::new();
    if let Some(custody) = custody {
        let mut assets: Vec<&str> = Vec::new();
        for n in &custody.networks {
            if !assets.contains(&n.config.asset.as_str()) {
                assets.push(&n.config.asset);
            }
        }
        for asset in assets.into_iter().filter(|a| symbol.as_ref().is_none_or(|s| a.eq_ignore_ascii_case(s))) {
            let networks: Vec<&Network> =
                custody.networks_of(asset).into_iter().filter(|n| network.as_ref().is_none_or(|w| n.config.network.eq_ignore_ascii_case(w))).collect();
            if networks.is_empty() {
                continue;
            }
            let deposit_enable = networks.iter().any(|n| n.config.deposit_enable);
            let listed: Vec<Value> = networks
                .iter()
                .map(|n| {
                    let c = &n.config;
                    json!({
                        "name": c.name, "network": c.network, "address_regex": address_regex(c), "memo_regex": "",
                        "explorer": c.explorer, "contract_address": c.token_contract,
                        "withdraw_min": format_units(c.withdraw_min_units, c.engine_decimals), "withdraw_fee": format_units(c.withdraw_fee_units, c.engine_decimals),
                        "withdraw_internal_min": format_units(c.withdraw_min_units, c.engine_decimals), "withdraw_internal_fee": "0",
                        "withdraw_decimal_places": c.engine_decimals, "min_confirm": c.min_confirmations(), "decimal": c.decimals,
                        "deposit_enable": c.deposit_enable, "withdraw_enable": c.withdraw_enable, "is_memo": false,
                    })
                })
                .collect();
            let withdraw_enable = networks.iter().any(|n| n.config.withdraw_enable);
            items.push(json!({"name": networks[0].config.name, "symbol": asset, "networks": listed, "deposit_enable": deposit_enable, "withdraw_enable": withdraw_enable}));
        }
    }
    if items.is_empty() && (symbol.is_some() || network.is_some()) {
        return Err(v4("V1015-CW", StatusCode::NOT_FOUND, "Coin not found"));
    }
    let total = items.len();
    Ok(json_response(&json!({"code": "0", "message": "success", "data": {"page": 1, "total_page": 1, "total_item": total, "items": items}})))
}

impl From<WithdrawError> for V4Error {
    fn from(e: WithdrawError) -> V4Error {
        let (code, status, message) = e.v4();
        V4Error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, message)
    }
}

fn withdrawal_json(w: &CustodyWithdrawalRow, decimals: u8) -> Value {
    let word = CryptoWithdrawalStatus::parse(&w.status).map_or("pending", CryptoWithdrawalStatus::bitkub_status);
    json!({
        "txn_id": w.id,
        "external_ref": w.id,
        "hash": w.txid,
        "symbol": w.asset,
        "network": w.network,
        "amount": format_units(w.amount_units - w.fee_units, decimals),
        "fee": format_units(w.fee_units, decimals),
        "address": w.address,
        "memo": "",
        "status": word,
        "created_at": iso_utc_ms(w.created_ms),
        "completed_at": w.completed_ms.map(iso_utc_ms),
    })
}

async fn withdrawals(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = page_limit(&signed)?;
    let symbol = upper(&signed, "symbol")?;
    let status = signed.params.opt_str("status")?.map(|s| s.to_ascii_lowercase());
    if status.as_deref().is_some_and(|s| !["pending", "processing", "reported", "rejected", "complete"].contains(&s)) {
        return Err(ApiError::invalid_parameter("status is pending, processing, reported, rejected or complete").into());
    }
    let Some(custody) = custody else { return Ok(paged(Vec::new(), page, limit)) };
    let rows = custody.store.custody_withdrawals_of(u64::from(signed.key.user.0), talat_store::MAX_CUSTODY_ROWS).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .filter(|w| symbol.as_ref().is_none_or(|s| w.asset.eq_ignore_ascii_case(s)))
        .filter(|w| status.as_deref().is_none_or(|s| CryptoWithdrawalStatus::parse(&w.status).is_some_and(|x| x.bitkub_status() == s)))
        .map(|w| withdrawal_json(w, custody.network(&w.network).map_or(8, |n| n.config.engine_decimals)))
        .collect();
    Ok(paged(items, page, limit))
}

async fn withdraw(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.withdraw {
        return Err(ApiError::permission_denied("withdraw").into());
    }
    let symbol = upper(&signed, "symbol")?.ok_or_else(|| v4("B1007-CW", StatusCode::BAD_REQUEST, "Symbol required"))?;
    let network = upper(&signed, "network")?.ok_or_else(|| v4("V1006-CW", StatusCode::BAD_REQUEST, "Invalid parameter: network is required"))?;
    let address = signed.params.opt_str("address")?.filter(|a| !a.trim().is_empty());
    let address = address.ok_or_else(|| v4("V1006-CW", StatusCode::BAD_REQUEST, "Invalid parameter: address is required"))?;
    if signed.params.opt_str("memo")?.is_some_and(|m| !m.is_empty()) {
        return Err(v4("V1006-CW", StatusCode::BAD_REQUEST, "Invalid parameter: this network takes no memo"));
    }
    let Some(custody) = custody else { return Err(v4("B1001-CW", StatusCode::BAD_REQUEST, "Network is disabled")) };
    let n = network_of(&custody, &symbol, &network)?;
    let decimals = n.config.engine_decimals;
    let amount = match signed.params.decimal("amount", decimals, talat_core::money::MAX_AMOUNT) {
        Some(Ok(units)) if units > 0 => units,
        None => return Err(v4("V1006-CW", StatusCode::BAD_REQUEST, "Invalid parameter: amount is required")),
        _ => return Err(v4("V1006-CW", StatusCode::BAD_REQUEST, format!("Invalid parameter: amount must be positive with at most {decimals} decimals"))),
    };
    let who = requester(&custody, &signed).await?;
    let network_id = n.config.network.clone();
    let w = custody.request_withdrawal(&who, &network_id, &address, amount).await?;
    let data = json!({
        "txn_id": w.id, "symbol": w.asset, "network": w.network,
        "amount": format_units(w.amount_units - w.fee_units, decimals), "fee": format_units(w.fee_units, decimals),
        "address": w.address, "memo": "", "created_at": iso_utc_ms(w.created_ms),
    });
    Ok(json_response(&json!({"code": "0", "message": "success", "data": data})))
}

fn v3_error(e: WithdrawError) -> ApiError {
    ApiError::new(e.v3(), e.to_string())
}

/// `p` and `lmt` (v3 lists; in the query string even on POST).
fn v3_page(signed: &Signed) -> Result<(u64, u64), ApiError> {
    let page = signed.params.opt_u64("p")?.unwrap_or(1);
    let limit = signed.params.opt_u64("lmt")?.unwrap_or(100);
    if page == 0 || limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid_parameter("p starts at 1 and lmt is 1 to 200"));
    }
    Ok((page, limit))
}

fn v3_paged(items: Vec<Value>, page: u64, limit: u64) -> Response {
    let last = (items.len() as u64).div_ceil(limit).max(1);
    let result: Vec<Value> = items.into_iter().skip(((page - 1) * limit) as usize).take(limit as usize).collect();
    json_response(&json!({"error": 0, "result": result, "pagination": {"page": page, "last": last}}))
}

fn v3_amount(state: &AppState, units: u64, decimals: u8) -> Value {
    serde_json::to_value(Dec::styled(units, decimals, state.config.decimals)).unwrap_or(Value::Null)
}

async fn v3_addresses(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = v3_page(&signed)?;
    let Some(custody) = custody else { return Ok(v3_paged(Vec::new(), page, limit)) };
    let rows = custody.addresses_of(u64::from(signed.key.user.0)).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .filter_map(|r| {
            custody.network(&r.network).ok().map(|n| json!({"currency": n.config.asset, "address": r.address, "tag": 0, "time": r.created_ms / 1000}))
        })
        .collect();
    Ok(v3_paged(items, page, limit))
}

async fn v3_generate_address(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.deposit {
        return Err(ApiError::permission_denied("deposit"));
    }
    let symbol = upper_param(&signed, "sym")?.ok_or_else(|| ApiError::invalid_parameter("sym is required"))?;
    let symbol = symbol.split('_').next_back().unwrap_or(&symbol).to_string();
    let Some(custody) = custody else { return Err(ApiError::new(41, "crypto deposits are not offered on this exchange")) };
    let network = custody
        .networks_of(&symbol)
        .first()
        .map(|n| n.config.network.clone())
        .ok_or_else(|| ApiError::new(41, format!("{symbol} cannot be deposited here")))?;
    let row = custody.address_for(u64::from(signed.key.user.0), &network).await.map_err(|e| ApiError::new(41, e.to_string()))?;
    Ok(json_response(&json!({"error": 0, "result": [{"currency": symbol, "address": row.address, "memo": ""}]})))
}

async fn v3_deposits(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = v3_page(&signed)?;
    let Some(custody) = custody else { return Ok(v3_paged(Vec::new(), page, limit)) };
    let rows = custody.store.custody_deposits_of(u64::from(signed.key.user.0), talat_store::MAX_CUSTODY_ROWS).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .map(|d| {
            let decimals = custody.network(&d.network).map_or(8, |n| n.config.engine_decimals);
            json!({
                "hash": d.txid, "currency": d.asset, "amount": v3_amount(&state, d.amount_units, decimals),
                "from_address": "", "to_address": d.address, "confirmations": d.confirmations,
                "status": DepositStatus::parse(&d.status).map_or("pending", DepositStatus::bitkub_status), "time": d.seen_ms / 1000,
            })
        })
        .collect();
    Ok(v3_paged(items, page, limit))
}

async fn v3_withdrawals(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let (page, limit) = v3_page(&signed)?;
    let Some(custody) = custody else { return Ok(v3_paged(Vec::new(), page, limit)) };
    let rows = custody.store.custody_withdrawals_of(u64::from(signed.key.user.0), talat_store::MAX_CUSTODY_ROWS).await.map_err(ApiError::unavailable)?;
    let items = rows
        .iter()
        .map(|w| {
            let decimals = custody.network(&w.network).map_or(8, |n| n.config.engine_decimals);
            json!({
                "txn_id": w.id, "ext_ref": w.id, "hash": w.txid, "currency": w.asset,
                "amount": v3_amount(&state, w.amount_units - w.fee_units, decimals), "fee": v3_amount(&state, w.fee_units, decimals),
                "address": w.address, "memo": "",
                "status": CryptoWithdrawalStatus::parse(&w.status).map_or("pending", CryptoWithdrawalStatus::bitkub_status),
                "note": w.reason.clone().unwrap_or_default(), "time": w.created_ms / 1000,
            })
        })
        .collect();
    Ok(v3_paged(items, page, limit))
}

async fn v3_withdraw(State(state): State<AppState>, Extension(Slot(custody)): Extension<Slot>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.withdraw {
        return Err(ApiError::permission_denied("withdraw"));
    }
    let currency = upper_param(&signed, "cur")?.ok_or_else(|| ApiError::invalid_parameter("cur is required"))?;
    let address = signed.params.opt_str("adr")?.filter(|a| !a.trim().is_empty()).ok_or_else(|| ApiError::invalid_parameter("adr is required"))?;
    let network = upper_param(&signed, "net")?.ok_or_else(|| ApiError::invalid_parameter("net is required"))?;
    if signed.params.opt_str("mem")?.is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::invalid_parameter("this network takes no memo"));
    }
    let Some(custody) = custody else { return Err(ApiError::new(51, "crypto withdrawals are not offered on this exchange")) };
    let n = custody
        .networks_of(&currency)
        .into_iter()
        .find(|n| n.config.network.eq_ignore_ascii_case(&network))
        .ok_or_else(|| ApiError::new(41, format!("{currency} cannot be withdrawn on {network}")))?;
    let decimals = n.config.engine_decimals;
    let amount = match signed.params.decimal("amt", decimals, talat_core::money::MAX_AMOUNT) {
        Some(Ok(units)) if units > 0 => units,
        None => return Err(ApiError::new(12, "amt is required")),
        _ => return Err(ApiError::new(12, format!("amt must be positive with at most {decimals} decimals"))),
    };
    let who = requester(&custody, &signed).await?;
    let network_id = n.config.network.clone();
    let w = custody.request_withdrawal(&who, &network_id, &address, amount).await.map_err(v3_error)?;
    let result = json!({
        "txn": w.id, "adr": w.address, "mem": "", "cur": w.asset,
        "amt": v3_amount(&state, w.amount_units - w.fee_units, decimals), "fee": v3_amount(&state, w.fee_units, decimals), "ts": w.created_ms / 1000,
    });
    Ok(json_response(&json!({"error": 0, "result": result})))
}
