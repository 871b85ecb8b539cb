//! The console's compensation routes (page `compensation`): the refusal log, incidents
//! prepared with their preview (window, scope, policy → each affected customer with the
//! evidence and credits), approval by a second staff member (four eyes: the preparer cannot
//! approve), the credits' status and the regulator's report. Every action is audited.

use super::credits::{credits_of, submit_pending};
use super::evidence::preview;
use super::view::{incident_json, preview_of, report_csv};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_compensation::{Incident, Policy, RequestKind, Window};
use talat_store::{CompIncidentRow, MAX_COMP_ROWS};

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/compensation/incidents", get(list).post(prepare))
        .route("/web/api/console/compensation/incidents/{id}", get(one))
        .route("/web/api/console/compensation/incidents/{id}/approve", post(approve))
        .route("/web/api/console/compensation/incidents/{id}/report", get(report))
        .route("/web/api/console/compensation/refusals", get(refusals))
}

/// Most markets, kinds and networks one incident names; longest title.
const MAX_SCOPE: usize = 50;
const MAX_TITLE_CHARS: usize = 200;
/// Most refusal-log rows the console lists at once.
const MAX_LISTED_REFUSALS: i64 = 1_000;

fn u64_field(m: &Map<String, Value>, field: &'static str) -> WebResult<u64> {
    match m.get(field) {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| WebError::invalid(field, format!("{field} must be a whole number of milliseconds"))),
        None | Some(Value::Null) => Err(WebError::invalid(field, format!("{field} is required"))),
        Some(_) => Err(WebError::invalid(field, format!("{field} must be a whole number of milliseconds"))),
    }
}

fn id_of(text: &str) -> WebResult<u64> {
    text.parse().map_err(|_| WebError::not_found(format!("no such incident {text}")))
}

async fn incident_row(web: &Web, id: &str) -> WebResult<CompIncidentRow> {
    web.store.comp_incident(id_of(id)?).await?.ok_or_else(|| WebError::not_found(format!("no such incident {id}")))
}

async fn list(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::COMPENSATION_READ)?;
    let mut out = Vec::new();
    for row in web.store.comp_incidents(MAX_COMP_ROWS).await? {
        out.push(incident_json(&web, &row, false).await?);
    }
    Ok(Json(json!({"incidents": out})))
}

async fn one(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::COMPENSATION_READ)?;
    let row = incident_row(&web, &id).await?;
    // Read-your-writes for the credits' status: the projection holds what the engine applied.
    web.gateway.store_at_read_seq().await?;
    Ok(Json(json!({"incident": incident_json(&web, &row, true).await?})))
}

/// Defines an incident and computes its preview. Body: `title`, `t0_ms`, `t1_ms`, `markets`
/// (symbols), `kinds`, `networks`, optional `support_incident_id` and `policy`.
async fn prepare(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "compensation.prepare", target: "compensation".into() };
    act.run(allow::COMPENSATION_PREPARE, &m, || async {
        let title = body::str(&m, "title")?.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
            return Err(WebError::invalid("title", "title must be 1 to 200 printable characters"));
        }
        let window =
            Window::new(u64_field(&m, "t0_ms")?, u64_field(&m, "t1_ms")?, web.gateway.now_ms()).map_err(|e| WebError::invalid("t1_ms", e.to_string()))?;
        let mut markets = Vec::new();
        for symbol in body::str_list(&m, "markets", MAX_SCOPE)? {
            markets.push(web.gateway.market(symbol, false).map_err(|_| WebError::invalid("markets", format!("no such market {symbol}")))?);
        }
        let kinds = body::str_list(&m, "kinds", MAX_SCOPE)?
            .into_iter()
            .map(|k| RequestKind::parse(k).ok_or_else(|| WebError::invalid("kinds", format!("{k} is not place, cancel, withdraw, login or other"))))
            .collect::<WebResult<Vec<_>>>()?;
        let networks: Vec<String> = body::str_list(&m, "networks", MAX_SCOPE)?
            .into_iter()
            .map(|n| talat_gateway::refusals::field(n.trim()))
            .filter(|n| !n.is_empty() && !n.contains(','))
            .collect();
        // One pay asset: the scoped markets' quote (THB unless they say otherwise).
        let quotes: std::collections::BTreeSet<&str> = markets.iter().map(|mk| mk.info.spec.quote.as_str()).collect();
        if quotes.len() > 1 {
            return Err(WebError::invalid("markets", "the markets have different quote assets: define one incident per quote asset"));
        }
        let pay_asset = quotes.into_iter().next().unwrap_or("THB").to_string();
        web.gateway.read.asset_id(&pay_asset).ok_or_else(|| WebError::invalid("markets", format!("no asset {pay_asset} to pay in")))?;
        let policy: Policy = match m.get("policy") {
            None | Some(Value::Null) => Policy::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| WebError::invalid("policy", format!("policy: {e}")))?,
        };
        policy.validate().map_err(|e| WebError::invalid("policy", e.to_string()))?;
        let support_incident = match m.get("support_incident_id") {
            None | Some(Value::Null) => None,
            Some(_) => Some(u64_field(&m, "support_incident_id")?),
        };
        let ids = markets.iter().map(|mk| mk.info.id.0 as u32).collect();
        let incident = Incident::new(window, ids, kinds.clone(), networks.clone()).map_err(|e| WebError::invalid("markets", e.to_string()))?;
        let preview = preview(&web, &incident, &markets, &policy, support_incident).await?;
        let total = preview.assessments.iter().map(|a| a.total).fold(0u64, u64::saturating_add);
        let row = CompIncidentRow {
            id: 0,
            title,
            t0_ms: window.t0_ms,
            t1_ms: window.t1_ms,
            markets: markets.iter().map(|mk| mk.info.spec.symbol.clone()).collect::<Vec<_>>().join(","),
            kinds: kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
            networks: networks.join(","),
            support_incident_id: support_incident,
            pay_asset,
            policy: serde_json::to_string(&policy).map_err(WebError::internal)?,
            preview: serde_json::to_string(&preview).map_err(WebError::internal)?,
            customers: preview.assessments.len() as u64,
            total,
            status: "prepared".into(),
            prepared_by: s.row.id,
            prepared_email: s.row.email.clone(),
            created_ms: web.gateway.now_ms(),
            approved_by: None,
            approved_email: None,
            approved_ms: None,
        };
        let id = web.store.comp_insert_incident(&row).await?;
        let row = web.store.comp_incident(id).await?.ok_or_else(|| WebError::internal("the incident just stored is gone"))?;
        Ok(json!({"incident": incident_json(&web, &row, true).await?}))
    })
    .await
}

/// Four eyes: a second staff member approves what the preview shows, and the credits are
/// submitted. Approving an approved incident submits whatever is still pending (nothing is
/// paid twice: the engine applies each reference once).
async fn approve(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "compensation.approve", target: format!("compensation:{id}") };
    act.run(allow::COMPENSATION_APPROVE, &m, || async {
        let row = incident_row(&web, &id).await?;
        talat_compensation::check_four_eyes(row.prepared_by, s.row.id).map_err(|e| WebError::forbidden(e.to_string()))?;
        let mut already = row.status == "approved";
        if !already {
            let asset = web.gateway.read.asset_id(&row.pay_asset).ok_or_else(|| WebError::internal(format!("no asset {}", row.pay_asset)))?;
            let credits = credits_of(row.id, asset, &preview_of(&row)?);
            if !web.store.comp_approve(row.id, s.row.id, &s.row.email, web.gateway.now_ms(), &credits).await? {
                // Another approver got there first: pay what is pending, as a second approval does.
                already = true;
            }
        }
        let (submitted, error) = submit_pending(&web, row.id).await?;
        web.gateway.store_at_read_seq().await?;
        let row = incident_row(&web, &id).await?;
        Ok(json!({"incident": incident_json(&web, &row, true).await?, "already_approved": already, "submitted": submitted, "error": error}))
    })
    .await
}

async fn report(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    s.require(allow::COMPENSATION_READ)?;
    let row = incident_row(&web, &id).await?;
    web.gateway.store_at_read_seq().await?;
    let csv = report_csv(&web, &row).await?;
    let disposition = format!("attachment; filename=\"compensation-{}.csv\"", row.id);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], csv).into_response())
}

/// The refusal log between `from_ms` and `to_ms` (the newest [`MAX_LISTED_REFUSALS`]).
async fn refusals(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::COMPENSATION_READ)?;
    let num = |k: &'static str, default: u64| {
        q.get(k).map_or(Ok(default), |v| v.parse::<u64>().map_err(|_| WebError::invalid(k, format!("{k} must be milliseconds"))))
    };
    let now = web.gateway.now_ms();
    let (from, to) = (num("from_ms", now.saturating_sub(3_600_000))?, num("to_ms", now)?);
    let rows = web.store.refusals_between(from, to, MAX_LISTED_REFUSALS).await?;
    let out: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "user_id": r.user, "verified": r.verified, "ts_ms": r.ts_ms, "kind": r.kind, "endpoint": r.endpoint, "http_status": r.http_status, "code": r.code, "symbol": r.symbol, "side": r.side, "amount": r.amount, "rate": r.rate}))
        .collect();
    Ok(Json(json!({"refusals": out, "dropped": web.store.refusals_dropped_between(from, to).await?})))
}
