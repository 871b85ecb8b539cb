//! The console's alert routes (page `alerts`): the list with its filters, one alert with its
//! evidence, dismissing an alert (the reason goes into the audit log), and recording a listing
//! announcement, which asks the running monitor for staff-linked buying ahead of it.

use super::view::{alert_accounts, alert_json, Accounts, MAX_LISTED};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_surveillance::DetectorKind;

const STATUSES: [&str; 3] = ["open", "in_case", "dismissed"];

/// `?status=open|in_case|dismissed|all&detector=…&limit=…&evidence=false`; each filter is
/// checked, so a typo is an error rather than an empty list.
pub async fn list(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE)?;
    let status = match q.get("status").map(String::as_str) {
        None | Some("") | Some("all") => None,
        Some(st) if STATUSES.contains(&st) => Some(st),
        Some(_) => return Err(WebError::invalid("status", "status is open, in_case, dismissed or all")),
    };
    let detector = match q.get("detector").map(String::as_str) {
        None | Some("") => None,
        Some(d) => Some(DetectorKind::parse(d).ok_or_else(|| WebError::invalid("detector", format!("no detector is called {d:?}")))?.as_str()),
    };
    let limit = match q.get("limit") {
        None => MAX_LISTED,
        Some(l) => {
            l.parse::<i64>().ok().filter(|n| (1..=MAX_LISTED).contains(n)).ok_or_else(|| WebError::invalid("limit", format!("limit is 1 to {MAX_LISTED}")))?
        }
    };
    let with_evidence = match q.get("evidence").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(WebError::invalid("evidence", "evidence is true or false")),
    };
    let rows = web.store.surveillance_alerts(status, detector, limit).await?;
    let accounts = Accounts::of(&web, rows.iter().flat_map(alert_accounts)).await?;
    let alerts: Vec<Value> = rows.iter().map(|a| alert_json(&web, a, &accounts, with_evidence)).collect();
    let detectors: Vec<Value> = DetectorKind::ALL.iter().map(|d| json!({"id": d.as_str(), "title": d.title()})).collect();
    Ok(Json(json!({"alerts": alerts, "detectors": detectors})))
}

async fn load(web: &Web, id: &str) -> WebResult<talat_store::AlertRow> {
    web.store.surveillance_alert(id).await?.ok_or_else(|| WebError::not_found(format!("no alert {id}")))
}

async fn answer(web: &Web, id: &str) -> WebResult<Value> {
    let a = load(web, id).await?;
    let accounts = Accounts::of(web, alert_accounts(&a)).await?;
    Ok(json!({"alert": alert_json(web, &a, &accounts, true)}))
}

pub async fn show(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE)?;
    Ok(Json(answer(&web, &id).await?))
}

/// An open alert is dismissed (a false positive, or nothing to act on): `{reason}`.
pub async fn dismiss(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "surveillance.alert.dismiss", target: format!("alert:{id}") };
    act.run(allow::SURVEILLANCE, &m, || async {
        body::object(&headers, &body, false)?;
        let reason = body::reason(&m)?;
        let a = load(&web, &id).await?;
        if !web.store.surveillance_set_alert_status(&a.id, "open", "dismissed", None).await? {
            return Err(WebError::conflict(format!("alert {id} is {}, not open", a.status.replace('_', " "))));
        }
        tracing::info!(alert = %id, staff = %s.row.email, %reason, "surveillance: alert dismissed");
        answer(&web, &id).await
    })
    .await
}

/// `{asset}`: a listing of `asset` is announced now. The monitor looks back for net buying by
/// staff-linked accounts; what it finds is stored as alerts and answered (201).
pub async fn announce_listing(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Response> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let asset = m.get("asset").and_then(Value::as_str).unwrap_or("").to_string();
    let act = Action { web: &web, staff: &s, action: "surveillance.listing.announce", target: format!("asset:{asset}") };
    let answered = act
        .run(allow::SURVEILLANCE, &m, || async {
            body::object(&headers, &body, false)?;
            let asset = body::str(&m, "asset")?.trim();
            if asset.is_empty() || asset.len() > 16 || !asset.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                return Err(WebError::invalid("asset", "asset is an asset code: 1 to 16 capital letters or digits"));
            }
            let monitor = web.gateway.surveillance().ok_or_else(|| WebError::busy(60, "market surveillance is not running on this node"))?;
            let now = web.gateway.now_ms();
            let found = monitor.announce_listing(asset, now).await.map_err(|e| WebError::invalid("asset", e))?;
            let rows: Vec<talat_store::AlertRow> = found.iter().map(|a| talat_gateway::surveillance::alert_row(a, now)).collect();
            let stored = web.store.surveillance_record_alerts(&rows).await?;
            let accounts = Accounts::of(&web, rows.iter().flat_map(alert_accounts)).await?;
            let mut alerts = Vec::with_capacity(rows.len());
            for r in &rows {
                // The stored row (an alert raised before keeps its status and case).
                let row = web.store.surveillance_alert(&r.id).await?.unwrap_or_else(|| r.clone());
                alerts.push(alert_json(&web, &row, &accounts, false));
            }
            Ok(json!({"asset": asset, "announced_ms": now, "alerts": alerts, "new_alerts": stored}))
        })
        .await?;
    Ok((StatusCode::CREATED, answered).into_response())
}
