//! The console's side of the status page: what each component measures and whether an operator
//! overrode it, incidents and maintenance posted with timed updates. Every change is audited.

use super::view::{self, snapshot};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::support::answer::answer_tickets;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use talat_status::{ComponentStatus, Impact, IncidentKind};
use talat_store::NewStatusIncident;

const NAME_CHARS_MAX: usize = 200;
const BODY_CHARS_MAX: usize = 4_000;
/// Longest announced maintenance window: a week.
const MAINTENANCE_MAX_MS: u64 = 7 * 24 * 3_600_000;

fn text(m: &Map<String, Value>, field: &'static str, max: usize) -> WebResult<String> {
    let t = body::str(m, field)?.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(WebError::invalid(field, format!("{field} must be 1 to {max} printable characters")));
    }
    Ok(t.to_string())
}

fn incident_json(i: &talat_status::Incident) -> Value {
    json!({
        "id": i.id, "kind": i.kind.name(), "name": i.name, "status": i.status, "impact": i.impact.name(),
        "components": i.components, "created_ms": i.created_ms, "updated_ms": i.updated_ms, "resolved_ms": i.resolved_ms,
        "scheduled_for_ms": i.scheduled_for_ms, "scheduled_until_ms": i.scheduled_until_ms, "support_incident_id": i.support_incident,
        "updates": i.updates.iter().map(|u| json!({"id": u.id, "status": u.status, "body": u.body, "created_ms": u.created_ms})).collect::<Vec<_>>(),
    })
}

pub async fn overview(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::STATUS_READ)?;
    let snap = snapshot(&web).await?;
    let venue = web.gateway.read.venue();
    Ok(Json(json!({
        "status": snap.status,
        "components": snap.components,
        "incidents": snap.incidents.iter().map(incident_json).collect::<Vec<_>>(),
        "statuses": ComponentStatus::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "funding": {"deposits_open": venue.funding.deposits_open, "withdrawals_open": venue.funding.withdrawals_open},
    })))
}

pub async fn create(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "status.incident.create", target: "status-incident:new".into() };
    act.run(allow::STATUS_POST, &m, || async {
        body::object(&headers, &body, false)?;
        let kind = IncidentKind::parse(body::opt_str(&m, "kind")?.unwrap_or("incident"))
            .ok_or_else(|| WebError::invalid("kind", "kind must be incident or maintenance"))?;
        let name = text(&m, "name", NAME_CHARS_MAX)?;
        let first = text(&m, "body", BODY_CHARS_MAX)?;
        let status = body::opt_str(&m, "status")?.unwrap_or(kind.first_status());
        if !kind.valid_status(status) || kind.is_final(status) {
            return Err(WebError::invalid(
                "status",
                format!("a new {} starts as one of {}", kind.name(), kind.statuses()[..kind.statuses().len() - 1].join(", ")),
            ));
        }
        let impact = Impact::parse(body::opt_str(&m, "impact")?.unwrap_or("minor"))
            .ok_or_else(|| WebError::invalid("impact", "impact must be none, minor, major or critical"))?;
        let known: Vec<String> = view::snapshot(&web).await?.components.into_iter().map(|c| c.id).collect();
        let components = body::str_list(&m, "components", 100).or_else(|_| Ok::<_, WebError>(Vec::new()))?;
        if let Some(bad) = components.iter().find(|c| !known.iter().any(|k| k == *c)) {
            return Err(WebError::invalid("components", format!("no component {bad}")));
        }
        let support_incident_id = match m.get("support_incident_id") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let id = v.as_u64().ok_or_else(|| WebError::invalid("support_incident_id", "support_incident_id must be an incident number"))?;
                web.store.incident(id).await?.ok_or_else(|| WebError::invalid("support_incident_id", format!("no support incident {id}")))?;
                Some(id)
            }
        };
        let now_ms = web.gateway.now_ms();
        let window = |field: &'static str| -> WebResult<Option<u64>> {
            match m.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| WebError::invalid(field, format!("{field} must be a time in ms"))),
            }
        };
        let (from, until) = (window("scheduled_for_ms")?, window("scheduled_until_ms")?);
        if kind == IncidentKind::Maintenance {
            match (from, until) {
                (Some(f), Some(u)) if f < u && u - f <= MAINTENANCE_MAX_MS => {}
                _ => return Err(WebError::invalid("scheduled_until_ms", "maintenance needs scheduled_for_ms before scheduled_until_ms, at most a week apart")),
            }
        } else if from.is_some() || until.is_some() {
            return Err(WebError::invalid("scheduled_for_ms", "only maintenance is scheduled"));
        }
        body::reason(&m)?;
        let id = web
            .store
            .create_status_incident(&NewStatusIncident {
                kind: kind.name(),
                name: &name,
                status,
                impact: impact.name(),
                components: &components.join(","),
                support_incident_id,
                source: "operator",
                scheduled_for_ms: from,
                scheduled_until_ms: until,
                body: &first,
                created_by: s.row.id,
                now_ms,
            })
            .await?;
        view::changed(&web);
        Ok(json!({"id": id}))
    })
    .await
}

pub async fn update(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "status.incident.update", target: format!("status-incident:{id}") };
    act.run(allow::STATUS_POST, &m, || async {
        body::object(&headers, &body, false)?;
        let n: u64 = id.parse().map_err(|_| WebError::not_found(format!("no status incident {id}")))?;
        let row = web.store.status_incident(n).await?.ok_or_else(|| WebError::not_found(format!("no status incident {n}")))?;
        if row.resolved_ms.is_some() {
            return Err(WebError::conflict(format!("status incident {n} is closed")));
        }
        let kind = IncidentKind::parse(&row.kind).unwrap_or(IncidentKind::Incident);
        let status = body::str(&m, "status")?;
        if !kind.valid_status(status) {
            return Err(WebError::invalid("status", format!("a {} status is one of {}", kind.name(), kind.statuses().join(", "))));
        }
        let text = text(&m, "body", BODY_CHARS_MAX)?;
        body::reason(&m)?;
        if !web.store.add_status_update(n, status, &text, kind.is_final(status), s.row.id, web.gateway.now_ms()).await? {
            return Err(WebError::conflict(format!("status incident {n} was closed meanwhile")));
        }
        view::changed(&web);
        // The same event's support incident: its customers' tickets get the update too.
        let mut tickets_answered = 0;
        if let Some(support) = row.support_incident_id {
            if let Some(incident) = web.store.incident(support).await?.filter(|i| i.status == "open") {
                tickets_answered = answer_tickets(&web, &incident, &text, kind.is_final(status), s.row.id).await?;
            }
        }
        Ok(json!({"id": n, "status": status, "tickets_answered": tickets_answered}))
    })
    .await
}

pub async fn set_override(State(web): State<Arc<Web>>, headers: HeaderMap, Path(component): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "status.override.set", target: format!("component:{component}") };
    act.run(allow::STATUS_POST, &m, || async {
        body::object(&headers, &body, false)?;
        if !snapshot(&web).await?.components.iter().any(|c| c.id == component) {
            return Err(WebError::not_found(format!("no component {component}")));
        }
        let status = ComponentStatus::parse(body::str(&m, "status")?).ok_or_else(|| {
            WebError::invalid("status", "status must be operational, under_maintenance, degraded_performance, partial_outage or major_outage")
        })?;
        let reason = body::reason(&m)?;
        web.store.set_status_override(&component, status.name(), &reason, s.row.id, web.gateway.now_ms()).await?;
        view::changed(&web);
        Ok(json!({"component": component, "status": status.name()}))
    })
    .await
}

pub async fn clear_override(State(web): State<Arc<Web>>, headers: HeaderMap, Path(component): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "status.override.clear", target: format!("component:{component}") };
    act.run(allow::STATUS_POST, &m, || async {
        body::reason(&m)?;
        if !web.store.clear_status_override(&component).await? {
            return Err(WebError::not_found(format!("component {component} has no override")));
        }
        view::changed(&web);
        Ok(json!({"component": component}))
    })
    .await
}
