//! The customer's funds routes: the overview (today's limit, the rails' bounds), deposit QRs,
//! bank accounts and withdrawals, each with its timeline.

use super::view::{bank_account_json, customer, deposit_json, withdrawal_json};
use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::login::use_customer_totp;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_funds::banks::{normalise_account, BANKS};
use talat_funds::names::same_person;
use talat_funds::{format_thb, parse_thb};
use talat_store::BankAccountRow;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/funds", get(overview))
        .route("/web/api/funds/banks", get(banks))
        .route("/web/api/funds/bank-accounts", get(bank_accounts).post(add_bank_account))
        .route("/web/api/funds/deposits", get(deposits).post(create_deposit))
        .route("/web/api/funds/withdrawals", get(withdrawals).post(create_withdrawal))
        .route("/web/api/funds/withdrawals/{id}/cancel", post(cancel_withdrawal))
}

/// A THB amount field: a decimal string with at most two places.
fn amount(m: &serde_json::Map<String, Value>) -> WebResult<u64> {
    let text = body::str(m, "amount")?;
    parse_thb(text).filter(|a| *a > 0).ok_or_else(|| WebError::invalid("amount", "the amount is a positive THB amount with at most two decimals"))
}

async fn overview(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let f = &web.gateway.funds().config;
    // The engine's one daily budget, for THB and every coin together (each valued when held).
    let limit = match crate::views::withdrawal_budget(&web, account.user) {
        Some(b) => json!({"daily_thb": format_thb(b.daily), "used_thb": format_thb(b.used_today), "left_thb": format_thb(b.left_today)}),
        None => {
            let used = web.gateway.fiat()?.withdrawn_today_satang(account.id).await?;
            json!({"daily_thb": null, "used_thb": format_thb(used), "left_thb": null})
        }
    };
    let pending = web
        .store
        .fiat_withdrawals_of(account.id, 20)
        .await?
        .into_iter()
        .find(|w| talat_gateway::funds::withdrawals::pending_statuses().contains(&w.status.as_str()));
    Ok(Json(json!({
        "limit": limit,
        "deposit": {"min_thb": format_thb(f.limits.deposit_min_satang), "max_thb": format_thb(f.limits.deposit_max_satang), "expiry_ms": f.limits.deposit_expiry_ms},
        "withdraw": {"min_thb": format_thb(f.limits.withdraw_min_satang), "max_thb": format_thb(f.limits.withdraw_max_satang), "fee_thb": format_thb(f.limits.withdraw_fee_satang)},
        "pending_withdrawal": pending.map(|w| w.id),
        "two_factor": account.totp_enabled,
    })))
}

async fn banks() -> Json<Value> {
    Json(json!({"banks": BANKS}))
}

async fn bank_accounts(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let cooling = web.gateway.funds().config.limits.cooling_off_ms;
    let now = web.gateway.now_ms();
    let rows = web.store.bank_accounts_of(account.id).await?;
    Ok(Json(json!({"accounts": rows.iter().map(|a| bank_account_json(a, cooling, now)).collect::<Vec<_>>()})))
}

/// Registers a withdrawal account: a known bank, its account-number format, and the holder's
/// name the customer's own (as verified at KYC). It is then verified by staff.
async fn add_bank_account(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let (bank, number) = normalise_account(body::str(&m, "bank_code")?, body::str(&m, "account_no")?).map_err(|e| match e {
        talat_funds::banks::AccountError::UnknownBank(_) => WebError::invalid("bank_code", e.to_string()),
        other => WebError::invalid("account_no", other.to_string()),
    })?;
    let name = body::str(&m, "name")?.trim();
    if name.is_empty() || name.chars().count() > 140 {
        return Err(WebError::invalid("name", "the account holder's name, as the bank has it"));
    }
    let funds = web.gateway.fiat()?;
    let kyc = funds.kyc_names(account.id).await?;
    if kyc.is_empty() {
        return Err(WebError::conflict("verify your identity first: a bank account must be in your verified name"));
    }
    if !kyc.iter().any(|k| same_person(k, name)) {
        return Err(WebError::invalid("name", "this account is not in your name: withdrawals go only to your own account"));
    }
    let row = BankAccountRow {
        id: 0,
        account_id: account.id,
        user_id: u64::from(account.user.0),
        bank_code: bank.code.into(),
        account_no: number,
        holder_name: name.into(),
        name_matches: true,
        status: "pending_verification".into(),
        verified_ms: None,
        decided_by: None,
        reason: None,
        created_ms: web.gateway.now_ms(),
    };
    let id = web.store.insert_bank_account(&row).await?.ok_or_else(|| WebError::conflict("this bank account is registered already"))?;
    let saved = web.store.bank_account(id).await?.ok_or_else(|| WebError::internal("the bank account vanished"))?;
    let cooling = web.gateway.funds().config.limits.cooling_off_ms;
    Ok(Json(json!({"account": bank_account_json(&saved, cooling, web.gateway.now_ms())})))
}

async fn deposits(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.fiat_deposits_of(account.id, 50).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in &rows {
        out.push(deposit_json(&web, d).await?);
    }
    Ok(Json(json!({"deposits": out})))
}

async fn create_deposit(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let amount = amount(&m)?;
    let row = web.gateway.fiat()?.create_deposit(&customer(&account), amount).await?;
    Ok(Json(json!({"deposit": deposit_json(&web, &row).await?})))
}

async fn withdrawals(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let rows = web.store.fiat_withdrawals_of(account.id, 50).await?;
    let mut out = Vec::with_capacity(rows.len());
    for w in &rows {
        out.push(withdrawal_json(&web, w).await?);
    }
    Ok(Json(json!({"withdrawals": out})))
}

/// A withdrawal needs the customer's 2FA code, used up like a login's.
async fn create_withdrawal(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let amount = amount(&m)?;
    let bank_account_id =
        m.get("bank_account_id").and_then(Value::as_u64).ok_or_else(|| WebError::invalid("bank_account_id", "choose one of your bank accounts"))?;
    if !account.totp_enabled {
        return Err(WebError::invalid("totp", "turn on two-factor authentication (Security) before withdrawing"));
    }
    // Everything that does not need the code is checked by the service; the code is used up
    // only when it is right, so a refused request can be retried with the next code.
    let code = body::str(&m, "totp")?;
    use_customer_totp(&web, &account, code, "totp").await?;
    let row = web.gateway.fiat()?.request_withdrawal(&customer(&account), bank_account_id, amount, true, "web").await?;
    Ok(Json(json!({"withdrawal": withdrawal_json(&web, &row).await?})))
}

async fn cancel_withdrawal(State(web): State<Arc<Web>>, Path(id): Path<String>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let row = web.gateway.fiat()?.cancel_withdrawal(&customer(&account), &id).await?;
    Ok(Json(json!({"withdrawal": withdrawal_json(&web, &row).await?})))
}
