//! The monthly complaint report for the regulator and the SLA attainment report, as JSON (the
//! console prints it) or CSV. The figures are `talat_support::reports`'; this module reads the
//! facts from the store and writes the formats.

use super::clocks::clocks;
use crate::auth::{allow, Staff};
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use talat_support::reports::{complaint_report, sla_report, ComplaintFacts, ComplaintReport, Month, Outcome, SlaRow};

/// Most tickets one report reads (a month of a large exchange fits; past it the report says so).
const MAX_REPORT_TICKETS: i64 = 50_000;

fn month(web: &Web, q: &HashMap<String, String>) -> WebResult<Month> {
    match q.get("month").map(String::as_str) {
        None | Some("") => Ok(Month::containing(web.gateway.now_ms())),
        Some(m) => Month::parse(m).map_err(|_| WebError::invalid("month", "month must be YYYY-MM")),
    }
}

fn csv_wanted(q: &HashMap<String, String>) -> WebResult<bool> {
    match q.get("format").map(String::as_str) {
        None | Some("") | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(WebError::invalid("format", "format must be json or csv")),
    }
}

fn write_csv(sections: Vec<(Vec<&str>, Vec<Vec<String>>)>) -> WebResult<Vec<u8>> {
    // Sections one after another, each with its own header row, separated by an empty line.
    let mut out = Vec::new();
    for (i, (head, rows)) in sections.into_iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        w.write_record(&head).map_err(WebError::internal)?;
        for r in rows {
            w.write_record(&r).map_err(WebError::internal)?;
        }
        out.extend(w.into_inner().map_err(WebError::internal)?);
    }
    Ok(out)
}

fn complaints_csv(r: &ComplaintReport) -> WebResult<Vec<u8>> {
    let mut by_category = Vec::new();
    for (category, outcomes) in &r.by_category {
        for (outcome, n) in outcomes {
            by_category.push(vec![r.month.clone(), category.clone(), outcome.clone(), n.to_string()]);
        }
    }
    let t = |name: &str, x: &talat_support::reports::Timing| {
        vec![r.month.clone(), name.to_string(), x.count.to_string(), format!("{:.2}", x.mean), format!("{:.2}", x.median), format!("{:.2}", x.max)]
    };
    let timing = vec![t("acknowledge_business_hours", &r.acknowledge_business_hours), t("resolve_days", &r.resolve_days)];
    let open = r
        .open
        .iter()
        .map(|o| vec![o.ticket_id.to_string(), o.category.clone(), o.status.clone(), o.received_ms.to_string(), o.age_days.to_string(), o.overdue.to_string()])
        .collect();
    write_csv(vec![
        (vec!["month", "category", "outcome", "complaints"], by_category),
        (vec!["month", "measure", "count", "mean", "median", "max"], timing),
        (vec!["ticket_id", "category", "status", "received_ms", "age_days", "overdue"], open),
    ])
}

pub async fn complaints(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Response> {
    s.require(allow::STAFFING)?;
    let m = month(&web, &q)?;
    let csv = csv_wanted(&q)?;
    let rows = web.store.complaints_for_report(m.from_ms, m.to_ms, MAX_REPORT_TICKETS).await?;
    let truncated = rows.len() as i64 >= MAX_REPORT_TICKETS;
    let facts: Vec<ComplaintFacts> = rows
        .iter()
        .filter_map(|t| {
            Some(ComplaintFacts {
                ticket_id: t.id,
                category: t.category.clone(),
                status: t.complaint_status.clone()?,
                received_ms: t.complaint_received_ms?,
                acknowledged_ms: t.complaint_acknowledged_ms,
                closed_ms: t.complaint_closed_ms,
                reason: t.complaint_reason.clone(),
            })
        })
        .collect();
    let report = complaint_report(&web.config.support.calendar, &m, &facts, web.gateway.now_ms());
    if csv {
        return Ok(crate::views::csv_download(format!("complaints-{}.csv", m.label()), complaints_csv(&report)?));
    }
    Ok(Json(json!({"report": report, "truncated": truncated, "generated_ms": web.gateway.now_ms()})).into_response())
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_default()
}

fn sla_csv(month: &str, rows: &[SlaRow]) -> WebResult<Vec<u8>> {
    let body = rows
        .iter()
        .map(|r| {
            vec![
                month.to_string(),
                r.priority.clone(),
                r.category.clone(),
                r.tickets.to_string(),
                r.first_response.met.to_string(),
                r.first_response.breached.to_string(),
                r.first_response.pending.to_string(),
                pct(r.first_response.attainment_pct),
                r.resolution.met.to_string(),
                r.resolution.breached.to_string(),
                r.resolution.pending.to_string(),
                pct(r.resolution.attainment_pct),
            ]
        })
        .collect();
    write_csv(vec![(
        vec![
            "month",
            "priority",
            "category",
            "tickets",
            "first_response_met",
            "first_response_breached",
            "first_response_pending",
            "first_response_attainment_pct",
            "resolution_met",
            "resolution_breached",
            "resolution_pending",
            "resolution_attainment_pct",
        ],
        body,
    )])
}

pub async fn sla(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Response> {
    s.require(allow::STAFFING)?;
    let m = month(&web, &q)?;
    let csv = csv_wanted(&q)?;
    let tickets = web.store.tickets_created_between(m.from_ms, m.to_ms, MAX_REPORT_TICKETS).await?;
    let truncated = tickets.len() as i64 >= MAX_REPORT_TICKETS;
    let cfg = &web.config.support;
    let now = web.gateway.now_ms();
    let mut facts = Vec::with_capacity(tickets.len());
    for t in &tickets {
        let events = web.store.ticket_events(t.id).await?;
        let c = clocks(&cfg.calendar, &cfg.policy, t, &events, now);
        facts.push((t.priority.clone(), t.category.clone(), Outcome::from(c.first_response.state), Outcome::from(c.resolution.state)));
    }
    let rows = sla_report(&facts);
    if csv {
        return Ok(crate::views::csv_download(format!("sla-{}.csv", m.label()), sla_csv(&m.label(), &rows)?));
    }
    Ok(Json(json!({"month": m.label(), "rows": rows, "truncated": truncated, "generated_ms": now})).into_response())
}
