//! Staffing: agents needed per half-hour of the day (Erlang C, `talat-support`) from the
//! tickets that actually arrived over the last 28 days — or from a forecast the planner types
//! in — next to the roster, for the console's chart.

use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_core::calendar::DAY_MS;
use talat_store::ROSTER_SLOTS;
use talat_support::erlang::{average_arrivals_per_slot, plan_day, rostered, validate_shrinkage_pct};

const SLOT_MS: u64 = DAY_MS / ROSTER_SLOTS as u64;
/// The window measured arrivals are averaged over, and the most arrivals read from it.
const HISTORY_DAYS: u64 = 28;
const MAX_ARRIVALS_READ: i64 = 1_000_000;
const MAX_ROSTER_AGENTS: u32 = 10_000;

fn number(q: &HashMap<String, String>, name: &'static str, default: f64) -> WebResult<f64> {
    match q.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some(v) => v.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| WebError::invalid(name, format!("{name} must be a number"))),
    }
}

/// Average arrivals per half-hour slot (Bangkok time) over the last [`HISTORY_DAYS`] days.
async fn measured_arrivals(web: &Web) -> WebResult<Vec<f64>> {
    let now = web.gateway.now_ms();
    let since = now.saturating_sub(HISTORY_DAYS * DAY_MS);
    let times = web.store.ticket_arrivals_since(since, MAX_ARRIVALS_READ).await?;
    Ok(average_arrivals_per_slot(times, ROSTER_SLOTS, HISTORY_DAYS))
}

pub async fn plan(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::STAFFING)?;
    let aht_s = number(&q, "aht_s", 300.0)?;
    let target_pct = number(&q, "target_pct", 80.0)?;
    let answer_s = number(&q, "answer_s", 20.0)?;
    let shrinkage_pct = number(&q, "shrinkage_pct", 30.0)?;
    validate_shrinkage_pct(shrinkage_pct).map_err(|e| WebError::invalid("shrinkage_pct", e.to_string()))?;
    let (arrivals, source) = match q.get("arrivals").map(String::as_str) {
        None | Some("") => (measured_arrivals(&web).await?, "measured"),
        Some(list) => {
            let values: Vec<f64> = list
                .split(',')
                .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0))
                .collect::<Option<_>>()
                .ok_or_else(|| WebError::invalid("arrivals", "arrivals must be 48 numbers ≥ 0, comma-separated"))?;
            if values.len() != ROSTER_SLOTS {
                return Err(WebError::invalid("arrivals", format!("arrivals must be {ROSTER_SLOTS} numbers (one per half hour), got {}", values.len())));
            }
            (values, "given")
        }
    };
    let plans = plan_day(&arrivals, (SLOT_MS / 1000) as u32, aht_s, target_pct, answer_s).map_err(|e| {
        let field = match e.to_string() {
            m if m.contains("handling time") => "aht_s",
            m if m.contains("target") => "target_pct",
            m if m.contains("answer time") => "answer_s",
            _ => "arrivals",
        };
        WebError::invalid(field, e.to_string())
    })?;
    let roster = web.store.roster().await?;
    let intervals: Vec<Value> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "start_min": i as u64 * SLOT_MS / 60_000,
                "arrivals": arrivals[i],
                "traffic_erlangs": p.traffic_erlangs,
                "agents": p.agents,
                "agents_rostered_needed": rostered(p.agents, shrinkage_pct),
                "rostered": roster[i],
                "service_level": p.service_level,
                "asa_s": p.asa_s,
                "occupancy": p.occupancy,
            })
        })
        .collect();
    let short: Vec<u64> =
        plans.iter().enumerate().filter(|(i, p)| roster[*i] < rostered(p.agents, shrinkage_pct)).map(|(i, _)| i as u64 * SLOT_MS / 60_000).collect();
    Ok(Json(json!({
        "inputs": {"aht_s": aht_s, "target_pct": target_pct, "answer_s": answer_s, "shrinkage_pct": shrinkage_pct, "interval_min": SLOT_MS / 60_000, "arrivals_source": source, "history_days": HISTORY_DAYS},
        "intervals": intervals,
        "understaffed_start_min": short,
    })))
}

pub async fn set_roster(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "support.roster", target: "roster".into() };
    act.run(allow::ROSTER, &m, || async {
        body::object(&headers, &body, false)?;
        let bad = || WebError::invalid("agents", format!("agents must be {ROSTER_SLOTS} whole numbers from 0 to {MAX_ROSTER_AGENTS}, one per half hour"));
        let agents: Vec<u32> = match m.get("agents") {
            Some(Value::Array(items)) if items.len() == ROSTER_SLOTS => {
                items.iter().map(|v| v.as_u64().filter(|n| *n <= u64::from(MAX_ROSTER_AGENTS)).map(|n| n as u32).ok_or_else(bad)).collect::<WebResult<_>>()?
            }
            _ => return Err(bad()),
        };
        body::reason(&m)?;
        web.store.set_roster(&agents).await?;
        Ok(json!({"agents": agents}))
    })
    .await
}
