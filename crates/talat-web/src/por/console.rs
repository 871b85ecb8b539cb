//! The console's proof-of-reserves routes: the published reports, publishing one now
//! (audited; the daily job publishes on its own), and attaching a cold address's proof of
//! control (a signature made offline over a report's message, verified before it is kept).

use super::publish::{attach_cold_proof, publish, report_json};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use talat_store::MAX_POR_REPORTS;

/// Reports one listing shows (a year of daily reports and some).
const REPORTS_LISTED: i64 = 400;
const _: () = assert!(REPORTS_LISTED <= MAX_POR_REPORTS);

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/por/reports", get(reports))
        .route("/web/api/console/por/publish", post(publish_now))
        .route("/web/api/console/por/reports/{id}/cold-proofs", post(cold_proof))
}

async fn reports(State(web): State<Arc<Web>>, s: Staff) -> crate::error::WebResult<Json<Value>> {
    s.require(allow::POR_READ)?;
    let rows = web.store.por_reports(REPORTS_LISTED).await?;
    let reports: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = report_json(&web, r);
            v["published_by"] = r.published_by.into();
            v
        })
        .collect();
    Ok(Json(json!({"reports": reports, "can_publish": allow::POR_PUBLISH.contains(&s.role)})))
}

async fn publish_now(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> crate::error::WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "por.publish", target: "por-report:new".into() };
    act.run(allow::POR_PUBLISH, &m, || async {
        let report = publish(&web, Some(s.row.id)).await?;
        let mut v = report_json(&web, &report);
        v["published_by"] = report.published_by.into();
        Ok(json!({"report": v}))
    })
    .await
}

/// A cold address's signature over the report's message (made offline by the cold key):
/// verified, then shown in the report as proven; a wrong one is a 400 and stores nothing.
async fn cold_proof(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> crate::error::WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "por.cold_proof", target: format!("por-report:{id}") };
    act.run(allow::POR_PUBLISH, &m, || async {
        let report_id: u64 = id.parse().map_err(|_| crate::error::WebError::not_found(format!("no report {id}")))?;
        let (network, address, signature) = (body::str(&m, "network")?, body::str(&m, "address")?, body::str(&m, "signature")?);
        let report = attach_cold_proof(&web, report_id, network, address, signature, s.row.id).await?;
        Ok(json!({"report": report_json(&web, &report)}))
    })
    .await
}
