//! The console's admission page (`GET /web/api/console/onboarding/admission`): the admission
//! model's inputs, each limit, the decision and the waitlist.

use super::admission::decision;
use crate::auth::{allow, Staff};
use crate::error::WebResult;
use crate::Web;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_onboarding::admission::estimate_wait_ms;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/console/onboarding/admission", get(admission))
}

/// The console's view: the model's inputs, each limit, the decision, the waitlist.
async fn admission(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::KYC_ADMISSION)?;
    let (i, d) = decision(&web).await?;
    let (length, oldest_ms) = web.store.waitlist_length().await?;
    Ok(Json(json!({
        "decision": {"admit": d.admit, "binding": d.binding, "headroom": d.headroom, "reviews_per_day": d.reviews_per_day, "enabled": web.config.onboarding.admission.enabled && web.config.onboarding.require_kyc},
        "inputs": i,
        "config": web.config.onboarding.admission,
        "limits": d.limits,
        "waitlist": {"length": length, "oldest_ms": oldest_ms, "next_estimate_ms": if length > 0 { estimate_wait_ms(&d, 1) } else { None }},
    })))
}
