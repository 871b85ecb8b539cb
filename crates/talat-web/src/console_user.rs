//! The console's customer picture: one answer with everything support needs about a customer —
//! profile (web account or API-only), API keys, KYC applications and the knowledge test,
//! balances, open orders, recent orders and trades, funding (deposits and withdrawals) and
//! support tickets. Read-only: from the read model and the query store (read-your-writes, as
//! the customer's own history is), so what support sees is what the customer sees.

use crate::auth::{allow, Staff};
use crate::error::{WebError, WebResult};
use crate::kyc::knowledge::knowledge_result;
use crate::kyc::view::application_json;
use crate::views::{account_json, balances_json, fill_json, funds_items, market_ref, order_json};
use crate::Web;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_core::UserId;
use talat_store::{HistoryQuery, WebAccountRow};

/// Rows of each history list the picture holds (the newest).
pub const PICTURE_ROWS: u32 = 20;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/console/users/{user_id}", get(picture))
}

fn user_id_of(text: &str) -> WebResult<UserId> {
    text.parse::<u32>().map(UserId).map_err(|_| WebError::invalid("user_id", "user_id must be a number"))
}

/// `GET /web/api/console/users/{user_id}` → `{user_id, kind, account, profile, api_keys, kyc,
/// balances, open_orders, open_orders_total, orders, trades, funding, tickets}`; `account`,
/// `kyc` and `tickets` are empty for an API-only user (they belong to web accounts).
async fn picture(State(web): State<Arc<Web>>, Path(user_id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::USERS)?;
    let user = user_id_of(&user_id)?;
    let account = web.store.web_account_of_user(user).await?;
    let created_ms = match &account {
        Some(a) => a.created_ms,
        None => web.store.engine_user_created_ms(user).await?.ok_or_else(|| WebError::not_found(format!("no user {}", user.0)))?,
    };
    let mut v = json!({
        "user_id": user.0,
        "kind": if account.is_some() { "web" } else { "api" },
        "account": account.as_ref().map(account_json),
        "profile": profile_json(account.as_ref(), created_ms),
        "api_keys": api_keys_json(&web, user).await?,
        "balances": balances_json(&web, user),
    });
    let (open_orders, open_orders_total) = open_orders_json(&web, user);
    v["open_orders"] = open_orders;
    v["open_orders_total"] = json!(open_orders_total);
    trading_json(&web, user, &mut v).await?;
    let (kyc, tickets) = match &account {
        Some(a) => (kyc_json(&web, a).await?, tickets_json(&web, a.id).await?),
        None => (json!({"applications": [], "knowledge": null}), json!([])),
    };
    v["kyc"] = kyc;
    v["tickets"] = tickets;
    Ok(Json(v))
}

fn profile_json(account: Option<&WebAccountRow>, created_ms: u64) -> Value {
    match account {
        Some(a) => json!({
            "email": a.email, "created_ms": created_ms, "email_verified_ms": a.email_verified_ms, "kyc_level": a.kyc_level,
            "admitted_ms": a.admitted_ms, "waitlisted_ms": a.waitlisted_ms, "risk_rating": a.risk_rating, "next_review_ms": a.next_review_ms,
            "locked": a.locked, "totp_enabled": a.totp_enabled,
        }),
        None => json!({"email": null, "created_ms": created_ms, "locked": false, "totp_enabled": false}),
    }
}

/// The customer's API keys: the key (public), permissions, address list, when made and
/// revoked. Never the secret.
async fn api_keys_json(web: &Web, user: UserId) -> WebResult<Value> {
    let keys = web.store.api_keys_of(user).await?;
    Ok(keys
        .iter()
        .map(|k| {
            let perms: Vec<&str> = [(talat_store::PERM_TRADE, "trade"), (talat_store::PERM_DEPOSIT, "deposit"), (talat_store::PERM_WITHDRAW, "withdraw")]
                .into_iter()
                .filter(|(bit, _)| k.perms & bit != 0)
                .map(|(_, name)| name)
                .collect();
            json!({"key": k.api_key, "permissions": perms, "ip_allow": k.ip_allow, "created_ms": k.created_ms, "revoked_ms": k.revoked_ms})
        })
        .collect())
}

/// The newest [`PICTURE_ROWS`] open orders (a market maker has hundreds) and how many are open.
fn open_orders_json(web: &Web, user: UserId) -> (Value, usize) {
    let open = web.gateway.read.open_orders(user, None);
    // Ids are handed out in order, so the highest ids are the newest orders.
    let newest = open.iter().rev().take(PICTURE_ROWS as usize).filter_map(|o| Some(order_json(&market_ref(web, o.market)?, o))).collect();
    (newest, open.len())
}

/// `orders`, `trades` and `funding`: the newest [`PICTURE_ROWS`] of each, once the store has
/// caught up with the exchange.
async fn trading_json(web: &Web, user: UserId, v: &mut Value) -> WebResult<()> {
    let store = web.gateway.store_at_read_seq().await?;
    let query = HistoryQuery { page: Some(1), limit: PICTURE_ROWS, ..Default::default() };
    let orders = store.user_order_history(user, None, &query).await?;
    v["orders"] =
        orders.orders.iter().filter_map(|row| Some(order_json(&market_ref(web, row.market)?, &talat_gateway::read::OrderView::from_row(row)))).collect();
    v["trades"] = store.user_fills(user, None, PICTURE_ROWS).await?.iter().filter_map(|f| Some(fill_json(&market_ref(web, f.market)?, f))).collect();
    let deposits = store.deposits_of(user, PICTURE_ROWS).await?;
    let withdrawals = store.withdrawals_of(user, PICTURE_ROWS).await?;
    v["funding"] = Value::Array(funds_items(web, &deposits, &withdrawals, PICTURE_ROWS as usize)?);
    Ok(())
}

async fn kyc_json(web: &Web, account: &WebAccountRow) -> WebResult<Value> {
    let apps = web.store.kyc_applications_of_account(account.id).await?;
    let applications: Vec<Value> = apps.iter().map(|a| application_json(a, &[])).collect();
    Ok(json!({"level": account.kyc_level, "applications": applications, "knowledge": knowledge_result(web, account.id).await?}))
}

async fn tickets_json(web: &Web, account_id: u64) -> WebResult<Value> {
    let tickets = web.store.tickets_of_account(account_id, i64::from(PICTURE_ROWS)).await?;
    Ok(tickets
        .iter()
        .map(|t| {
            json!({"id": t.id, "subject": t.subject, "category": t.category, "priority": t.priority, "status": t.status,
                   "complaint_status": t.complaint_status, "created_ms": t.created_ms, "updated_ms": t.updated_ms})
        })
        .collect())
}
