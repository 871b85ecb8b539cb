//! The customer's and the public's proof-of-reserves routes: the latest published root and
//! totals, the customer's inclusion proof for it (a file to keep and check), and the public
//! `/api/por/latest.json` anyone can compare a proof's root with.

use super::publish::{latest, report_json, tree_of};
use crate::auth::Customer;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/por/latest", get(customer_latest)).route("/web/api/por/proof", get(proof)).route("/api/por/latest.json", get(public_latest))
}

fn none_yet() -> WebError {
    WebError::not_found("no proof of reserves has been published yet")
}

/// The latest report, and whether this customer is in it.
async fn customer_latest(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let report = latest(&web).await?.ok_or_else(none_yet)?;
    let included = web.store.por_leaf(report.id, u64::from(account.user.0)).await?.is_some();
    let mut out = report_json(&web, &report);
    out["included"] = included.into();
    Ok(Json(out))
}

/// The customer's proof for the latest report, as a file (`talat_por::Proof` JSON).
async fn proof(State(web): State<Arc<Web>>, Customer { account, .. }: Customer) -> WebResult<Response> {
    let report = latest(&web).await?.ok_or_else(none_yet)?;
    let user = u64::from(account.user.0);
    // The cheap check first: a customer not in the report costs no tree.
    if web.store.por_leaf(report.id, user).await?.is_none() {
        return Err(WebError::not_found(format!(
            "your account is not in the latest proof of reserves (as of {}): it opened after that report; the next report includes it",
            talat_core::calendar::bangkok_iso_datetime(report.as_of_ms)
        )));
    }
    let tree = tree_of(&web, &report).await?;
    let proof = tree.proof(user).ok_or_else(|| WebError::internal(format!("user {user} has a leaf in report {} but no proof", report.id)))?;
    assert_eq!(proof.root.hash_hex, report.root_hash_hex, "a proof belongs to the report it was asked for");
    let disposition = format!("attachment; filename=\"talat-por-proof-{}.json\"", report.id);
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], proof.to_json_pretty()).into_response())
}

/// The latest root and totals, for anyone, without a session. Served from memory (the report
/// is read once per publication), so it needs no rate limit of its own beyond the server's.
async fn public_latest(State(web): State<Arc<Web>>) -> WebResult<Json<Value>> {
    let report = latest(&web).await?.ok_or_else(none_yet)?;
    Ok(Json(report_json(&web, &report)))
}
