//! The customer's crypto routes: the networks offered, a deposit address per network (with its
//! QR), deposits with their confirmations, the withdrawal whitelist (a new address needs the
//! 2FA code and waits out its cooling-off), withdrawals (each with a 2FA code) and cancelling
//! one not yet signed.

use super::view::{custody, decimals, deposit_json, whitelist_json, withdraw_error, withdrawal_json};
use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::login::use_customer_totp;
use crate::views::qr_svg;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_custody::chain::{format_units, parse_units};
use talat_custody::withdrawals::{Requester, WithdrawError};
use talat_funds::crypto::{CryptoRefusal, CryptoWithdrawalStatus};
use talat_store::WhitelistRow;

/// Longest whitelist label kept.
const MAX_LABEL_CHARS: usize = 60;
/// Most whitelist entries per customer.
const MAX_WHITELIST: usize = 50;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/crypto/networks", get(networks))
        .route("/web/api/crypto/address", post(address))
        .route("/web/api/crypto/deposits", get(deposits))
        .route("/web/api/crypto/whitelist", get(whitelist).post(add_whitelist))
        .route("/web/api/crypto/withdrawals", get(withdrawals).post(withdraw))
        .route("/web/api/crypto/withdrawals/{id}/cancel", post(cancel))
}

async fn networks(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let Ok(c) = custody(&web) else { return Ok(Json(json!({"networks": [], "enabled": false}))) };
    let addresses = c.addresses_of(u64::from(account.user.0)).await.map_err(|e| crate::error::WebError::internal(e.to_string()))?;
    let open = web.gateway.read.venue().funding;
    let out: Vec<Value> = c
        .networks
        .iter()
        .map(|n| {
            let k = &n.config;
            json!({
                "network": k.network, "asset": k.asset, "name": k.name, "decimals": k.engine_decimals,
                "deposit_enabled": k.deposit_enable && open.deposits_open, "withdraw_enabled": k.withdraw_enable && open.withdrawals_open,
                "min_confirmations": k.min_confirmations(),
                "confirmations": k.confirmations.iter().map(|t| json!({"up_to": t.up_to_units.map(|u| format_units(u, k.engine_decimals)), "confirmations": t.confirmations})).collect::<Vec<_>>(),
                "dust": format_units(k.dust_units, k.engine_decimals), "withdraw_min": format_units(k.withdraw_min_units, k.engine_decimals),
                "withdraw_fee": format_units(k.withdraw_fee_units, k.engine_decimals), "cooling_off_ms": k.whitelist_cooling_off_ms,
                "address": addresses.iter().find(|a| a.network == k.network).map(|a| a.address.clone()),
            })
        })
        .collect();
    let limit = crate::views::withdrawal_limit_json(&web, account.user);
    Ok(Json(json!({"networks": out, "enabled": true, "two_factor": account.totp_enabled, "limit": limit})))
}

async fn address(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let network = body::str(&m, "network")?.to_string();
    let c = custody(&web)?;
    let row = c.address_for(u64::from(account.user.0), &network).await.map_err(|e| WebError::invalid("network", e.to_string()))?;
    Ok(Json(json!({"network": row.network, "address": row.address, "qr_svg": qr_svg(&row.address), "created_ms": row.created_ms})))
}

async fn deposits(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let Ok(c) = custody(&web) else { return Ok(Json(json!({"deposits": []}))) };
    let rows = c.store.custody_deposits_of(u64::from(account.user.0), 100).await?;
    Ok(Json(json!({"deposits": rows.iter().map(|d| deposit_json(c, d)).collect::<Vec<_>>()})))
}

async fn whitelist(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let Ok(c) = custody(&web) else { return Ok(Json(json!({"whitelist": []}))) };
    let now = web.gateway.now_ms();
    let rows = c.store.custody_whitelist_of(u64::from(account.user.0)).await?;
    let out: Vec<Value> = rows.iter().map(|w| whitelist_json(w, c.network(&w.network).map_or(0, |n| n.config.whitelist_cooling_off_ms), now)).collect();
    Ok(Json(json!({"whitelist": out})))
}

/// A new trusted address: checked for the network's format, confirmed with the 2FA code, usable
/// after the network's cooling-off.
async fn add_whitelist(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let c = custody(&web)?;
    let network = body::str(&m, "network")?;
    let n = c.network(network).map_err(|e| WebError::invalid("network", e.to_string()))?;
    let typed = body::str(&m, "address")?;
    // Checked as typed (an Ethereum address's mixed case is its checksum), stored lower case.
    if !n.valid_destination(typed) {
        return Err(WebError::invalid("address", format!("this is not a {} address", n.config.name)));
    }
    let address = typed.trim().to_ascii_lowercase();
    let label: String = m.get("label").and_then(Value::as_str).unwrap_or("").trim().chars().take(MAX_LABEL_CHARS).collect();
    if !account.totp_enabled {
        return Err(WebError::invalid("totp", "turn on two-factor authentication (Security) before adding a withdrawal address"));
    }
    let user_id = u64::from(account.user.0);
    if c.store.custody_whitelist_of(user_id).await?.len() >= MAX_WHITELIST {
        return Err(WebError::conflict(format!("at most {MAX_WHITELIST} addresses can be whitelisted")));
    }
    if c.screen_destination(account.user, &address, "a withdrawal whitelist entry").await.map_err(withdraw_error)? {
        return Err(withdraw_error(WithdrawError::Refused(CryptoRefusal::SanctionedDestination)));
    }
    use_customer_totp(&web, &account, body::str(&m, "totp")?, "totp").await?;
    let row = WhitelistRow { user_id, network: n.config.network.clone(), address, label, added_ms: web.gateway.now_ms() };
    if !c.store.add_custody_whitelist(&row).await? {
        return Err(WebError::conflict("this address is already on your whitelist"));
    }
    Ok(Json(json!({"entry": whitelist_json(&row, n.config.whitelist_cooling_off_ms, web.gateway.now_ms())})))
}

async fn withdrawals(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let Ok(c) = custody(&web) else { return Ok(Json(json!({"withdrawals": []}))) };
    let rows = c.store.custody_withdrawals_of(u64::from(account.user.0), 100).await?;
    Ok(Json(json!({"withdrawals": rows.iter().map(|w| withdrawal_json(c, w)).collect::<Vec<_>>()})))
}

/// A withdrawal needs the customer's 2FA code, used up like a login's; everything that does not
/// need the code is checked first, so a refused request can be retried with the next code.
async fn withdraw(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let c = custody(&web)?;
    let network = body::str(&m, "network")?;
    let n = c.network(network).map_err(|e| WebError::invalid("network", e.to_string()))?;
    let d = decimals(c, &n.config.network);
    let amount = parse_units(body::str(&m, "amount")?.trim(), d)
        .filter(|a| *a > 0)
        .ok_or_else(|| WebError::invalid("amount", format!("the amount is a positive {} amount with at most {d} decimals", n.config.asset)))?;
    let address = body::str(&m, "address")?.to_string();
    if !account.totp_enabled {
        return Err(WebError::invalid("totp", "turn on two-factor authentication (Security) before withdrawing"));
    }
    use_customer_totp(&web, &account, body::str(&m, "totp")?, "totp").await?;
    let who = Requester { user: account.user, email: account.email.clone(), account_locked: account.locked, second_factor_ok: true, source: "web".into() };
    let network_id = n.config.network.clone();
    let row = c.request_withdrawal(&who, &network_id, &address, amount).await.map_err(withdraw_error)?;
    Ok(Json(json!({"withdrawal": withdrawal_json(c, &row)})))
}

async fn cancel(State(web): State<Arc<Web>>, Path(id): Path<String>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let c = custody(&web)?;
    let row = c.withdrawal(&id).await.map_err(withdraw_error)?;
    if row.user_id != u64::from(account.user.0) {
        return Err(WebError::not_found("no such withdrawal"));
    }
    let row = c.stop_withdrawal(&id, CryptoWithdrawalStatus::Cancelled, "cancelled by the customer").await.map_err(withdraw_error)?;
    Ok(Json(json!({"withdrawal": withdrawal_json(c, &row)})))
}
