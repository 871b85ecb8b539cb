//! What the live monitor reports, for the console: each market's daily tape audit (pages
//! `tape-audit`: stored days, and today's so far from the running monitor) and the circuit
//! breaker's halts and resumptions (page `breaker`, which operators read too).

use crate::auth::{allow, Staff};
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_core::calendar;
use talat_surveillance::audit::{BENFORD, ROUND_Z_MIN};

/// Most stored audit reports answered (days × markets).
const MAX_AUDITS: i64 = 300;

fn iso_day(day: u64) -> String {
    let (y, m, d) = calendar::civil_from_days(day as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A stored or live audit (its JSON as the monitor wrote it) with the day as a date.
fn audit_json(report: Value) -> Value {
    let mut v = report;
    if let Some(day) = v.get("day").and_then(Value::as_u64) {
        v["date"] = json!(iso_day(day));
    }
    v
}

/// `{benford: [9 expected shares], round_z_min, today: [audit], stored: [audit]}`. Each audit:
/// `{symbol, day, date, trades, first_digits[9], benford_chi2, benford_ok, round_unit,
/// round_trades, round_expected_bps, round_z, round_clustering}` (`*_ok`/`clustering` null
/// below the minimum number of trades). `today` is empty when the monitor does not run here.
pub async fn audits(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE)?;
    let today: Vec<Value> = match web.gateway.surveillance() {
        Some(monitor) => {
            monitor.audits_so_far().await.unwrap_or_default().into_iter().map(|a| audit_json(serde_json::to_value(a).unwrap_or(Value::Null))).collect()
        }
        None => Vec::new(),
    };
    let stored: Vec<Value> = web
        .store
        .surveillance_audits(MAX_AUDITS)
        .await?
        .into_iter()
        .map(|(symbol, day, report)| {
            let v = serde_json::from_str(&report).unwrap_or_else(|_| json!({"symbol": symbol, "day": day, "unreadable": true}));
            audit_json(v)
        })
        .collect();
    Ok(Json(json!({
        "benford": BENFORD,
        "round_z_min": ROUND_Z_MIN,
        "running": web.gateway.surveillance().is_some(),
        "today_date": iso_day(calendar::bangkok_days(web.gateway.now_ms())),
        "today": today,
        "stored": stored,
    })))
}

/// `?limit=` (1–500, default 200) → `{actions: [{id, symbol, mode, reason, at_ms}]}`, newest
/// first.
pub async fn breaker(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::SURVEILLANCE_BREAKER)?;
    let limit = match q.get("limit") {
        None => 200,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=talat_store::MAX_SURVEILLANCE_ROWS).contains(n))
            .ok_or_else(|| WebError::invalid("limit", "limit is 1 to 500"))?,
    };
    let actions: Vec<Value> = web
        .store
        .surveillance_actions(limit)
        .await?
        .into_iter()
        .map(|a| json!({"id": a.id, "symbol": a.symbol, "mode": a.mode, "reason": a.reason, "at_ms": a.at_ms}))
        .collect();
    let config = web.gateway.surveillance().map(|m| m.config().breaker.clone());
    Ok(Json(json!({"actions": actions, "breaker": config.map(|c| serde_json::to_value(c).unwrap_or(Value::Null))})))
}
