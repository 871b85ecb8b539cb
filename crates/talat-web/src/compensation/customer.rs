//! The customer's compensation credits (the app's Compensation section): each credit an
//! approved incident ordered for them, pending until the engine applied it.

use super::view::credit_json;
use crate::auth::Customer;
use crate::error::WebResult;
use crate::Web;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// The most credits listed.
const MAX_LISTED: i64 = 200;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/compensations", get(list))
}

async fn list(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    web.gateway.store_at_read_seq().await?;
    let rows = web.store.comp_credits_of_user(account.user.0 as u64, MAX_LISTED).await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in &rows {
        let mut v = credit_json(&web, c);
        if let Some(i) = web.store.comp_incident(c.incident_id).await? {
            v["title"] = json!(i.title);
            v["t0_ms"] = json!(i.t0_ms);
            v["t1_ms"] = json!(i.t1_ms);
        }
        out.push(v);
    }
    Ok(Json(json!({"compensations": out})))
}
