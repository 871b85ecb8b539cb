//! Incidents: an outage or a wave of stuck withdrawals is one incident to which many customer
//! tickets are linked, so staff answer them together (each ticket gets the message, an event
//! and a mail). The links are what outage compensation will read later.

use super::answer::answer_tickets;
use super::input::{self, MAX_TEXT_CHARS};
use super::view::event;
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_store::{IncidentRow, Set, TicketChange};

/// Most tickets one link request names.
pub const MAX_LINK: usize = 500;

fn incident_json(i: &IncidentRow) -> Value {
    json!({"id": i.id, "title": i.title, "description": i.description, "status": i.status, "created_ms": i.created_ms, "resolved_ms": i.resolved_ms, "ticket_count": i.ticket_count})
}

fn incident_id(raw: &str) -> WebResult<u64> {
    raw.parse().map_err(|_| WebError::not_found(format!("no incident {raw}")))
}

async fn open_incident(web: &Web, id: &str) -> WebResult<IncidentRow> {
    let n = incident_id(id)?;
    let i = web.store.incident(n).await?.ok_or_else(|| WebError::not_found(format!("no incident {n}")))?;
    if i.status != "open" {
        return Err(WebError::conflict(format!("incident {n} is resolved")));
    }
    Ok(i)
}

pub async fn list(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::INCIDENTS_READ)?;
    let rows = web.store.incidents(200).await?;
    Ok(Json(json!({"incidents": rows.iter().map(incident_json).collect::<Vec<_>>()})))
}

pub async fn create(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.incident.create", target: "incident:new".into() };
    act.run(allow::INCIDENTS_CREATE, &m, || async {
        body::object(&headers, &body, false)?;
        let title = input::text(&m, "title", 200)?;
        let description = input::text(&m, "description", MAX_TEXT_CHARS)?;
        body::reason(&m)?;
        let i = web.store.create_incident(&title, &description, s.row.id, web.gateway.now_ms()).await?;
        Ok(json!({"incident": incident_json(&i)}))
    })
    .await
}

pub async fn link(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.incident.link", target: format!("incident:{id}") };
    act.run(allow::INCIDENTS_ANSWER, &m, || async {
        body::object(&headers, &body, false)?;
        let incident = open_incident(&web, &id).await?;
        let ids: Vec<u64> = match m.get("ticket_ids") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_LINK => items
                .iter()
                .map(|v| v.as_u64().ok_or_else(|| WebError::invalid("ticket_ids", "ticket_ids must be ticket numbers")))
                .collect::<WebResult<_>>()?,
            Some(Value::Array(items)) if items.is_empty() => return Err(WebError::invalid("ticket_ids", "name at least one ticket")),
            Some(Value::Array(_)) => return Err(WebError::invalid("ticket_ids", format!("at most {MAX_LINK} tickets at once"))),
            _ => return Err(WebError::invalid("ticket_ids", "ticket_ids must be a list of ticket numbers")),
        };
        // Every id must exist before anything is linked: a typo links nothing.
        let mut tickets = Vec::with_capacity(ids.len());
        for &tid in &ids {
            let t = web.store.ticket(tid).await?.ok_or_else(|| WebError::invalid("ticket_ids", format!("no ticket {tid}")))?;
            if let Some(other) = t.incident_id.filter(|&o| o != incident.id) {
                return Err(WebError::conflict(format!("ticket {tid} is already linked to incident {other}")));
            }
            tickets.push(t);
        }
        let mut linked = 0u64;
        for t in tickets.into_iter().filter(|t| t.incident_id.is_none()) {
            let mut change = TicketChange { ticket_id: t.id, expect_version: t.version, now_ms: web.gateway.now_ms(), ..Default::default() };
            change.set.push(("incident_id", Set::Int(incident.id)));
            change.events.push(event("staff", s.row.id, "incident", None, Some(&incident.id.to_string()), incident.title.clone()));
            if !web.store.change_ticket(&change).await? {
                return Err(WebError::conflict(format!("ticket {} changed meanwhile; {linked} were linked, try again for the rest", t.id)));
            }
            linked += 1;
        }
        let incident = web.store.incident(incident.id).await?.ok_or_else(|| WebError::internal("the incident vanished"))?;
        Ok(json!({"incident": incident_json(&incident), "linked": linked}))
    })
    .await
}

/// One answer to every linked ticket that is not closed; with `resolve`, the tickets and the
/// incident are resolved too.
pub async fn reply(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.incident.reply", target: format!("incident:{id}") };
    act.run(allow::INCIDENTS_ANSWER, &m, || async {
        body::object(&headers, &body, false)?;
        let incident = open_incident(&web, &id).await?;
        let text = input::text(&m, "text", MAX_TEXT_CHARS)?;
        let resolve = match m.get("resolve") {
            None | Some(Value::Null) => false,
            Some(_) => body::bool(&m, "resolve")?,
        };
        let answered = answer_tickets(&web, &incident, &text, resolve, s.row.id).await?;
        let incident = web.store.incident(incident.id).await?.ok_or_else(|| WebError::internal("the incident vanished"))?;
        Ok(json!({"incident": incident_json(&incident), "answered": answered}))
    })
    .await
}
