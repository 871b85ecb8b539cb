//! The console dashboard (`GET /web/api/console/dashboard`): its numbers, read from our own
//! Prometheus exporter's text, with the gateway's live figures and support's counts.
//!
//! Choices: `applied_seq`, lane depths and WebSocket connections are read straight from the
//! gateway (exact and current; the exporter's gauges only refresh when /metrics is scraped).
//! `request_ms.p99` is the largest p99 over all routes; `request_ms.p50` is the per-route p50
//! weighted by each route's request count. `rejected_total` sums `talat_api_errors_total` over
//! every code; `shed_total` sums every shed reason.

use crate::auth::{allow, Staff};
use crate::error::WebResult;
use crate::Web;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One sample: name, labels, value. Metrics are not money: f64 is what the exporter gives.
#[derive(Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Most samples read from one rendering (bounds the work on a huge exporter output).
const MAX_SAMPLES: usize = 100_000;

/// Parses the text format; lines it cannot read are skipped.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).filter_map(parse_line).take(MAX_SAMPLES).collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => (&line[..i], &line[i..]),
        None => return None,
    };
    let mut labels = BTreeMap::new();
    let rest = if let Some(body) = rest.strip_prefix('{') {
        // label="value" pairs; values may contain escaped quotes and commas.
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        loop {
            while chars.peek().is_some_and(|(_, c)| *c == ',' || *c == ' ') {
                chars.next();
            }
            match chars.peek() {
                Some((i, '}')) => {
                    end = Some(*i);
                    break;
                }
                None => break,
                _ => {}
            }
            let mut key = String::new();
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                key.push(c);
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return None;
            }
            let mut value = String::new();
            let mut escaped = false;
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                match (escaped, c) {
                    (true, 'n') => {
                        value.push('\n');
                        escaped = false
                    }
                    (true, c) => {
                        value.push(c);
                        escaped = false
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        closed = true;
                        break;
                    }
                    (false, c) => value.push(c),
                }
            }
            if !closed {
                return None;
            }
            labels.insert(key.trim().to_string(), value);
        }
        &body[end? + 1..]
    } else {
        rest
    };
    let value_text = rest.split_whitespace().next()?;
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample { name: name.to_string(), labels, value })
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

fn quantile(samples: &[Sample], name: &str, q: &str) -> f64 {
    samples.iter().filter(|s| s.name == name && s.labels.get("quantile").map(String::as_str) == Some(q)).map(|s| finite(s.value)).fold(0.0, f64::max)
}

fn sum(samples: &[Sample], name: &str) -> f64 {
    samples.iter().filter(|s| s.name == name).map(|s| finite(s.value)).sum()
}

/// Live values the gateway knows exactly.
pub struct Live {
    pub ts_ms: u64,
    pub applied_seq: u64,
    pub lanes: [usize; 3],
    pub ws_connections: usize,
}

pub fn dashboard(text: &str, live: &Live) -> Value {
    let s = parse(text);
    let ms = |v: f64| (v * 1000.0 * 1000.0).round() / 1000.0;
    // Request latency across routes.
    let mut weighted = 0.0;
    let mut count = 0.0;
    for p50 in s.iter().filter(|x| x.name == "talat_api_request_seconds" && x.labels.get("quantile").map(String::as_str) == Some("0.5")) {
        let route = p50.labels.get("route");
        let n = s.iter().filter(|x| x.name == "talat_api_request_seconds_count" && x.labels.get("route") == route).map(|x| finite(x.value)).sum::<f64>();
        weighted += finite(p50.value) * n;
        count += n;
    }
    let request_p50 = if count > 0.0 { weighted / count } else { 0.0 };
    json!({
        "ts_ms": live.ts_ms,
        "applied_seq": live.applied_seq,
        "lanes": {"cancel": live.lanes[0], "money_out": live.lanes[1], "place": live.lanes[2]},
        "journal_append_ms": {
            "p50": ms(quantile(&s, "talat_journal_append_seconds", "0.5")),
            "p99": ms(quantile(&s, "talat_journal_append_seconds", "0.99")),
            "max": ms(quantile(&s, "talat_journal_append_seconds", "1")),
        },
        "batch_commands_p50": quantile(&s, "talat_batch_commands", "0.5"),
        "request_ms": {"p50": ms(request_p50), "p99": ms(quantile(&s, "talat_api_request_seconds", "0.99"))},
        "requests_total": sum(&s, "talat_api_requests_total") as u64,
        "rejected_total": sum(&s, "talat_api_errors_total") as u64,
        "shed_total": sum(&s, "talat_api_shed_total") as u64,
        "rate_limited_total": sum(&s, "talat_api_rate_limited_total") as u64,
        "ws_connections": live.ws_connections,
    })
}

/// `GET /web/api/console/dashboard`: the exporter's numbers, the live ones, and support's.
async fn show(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::DASHBOARD)?;
    let g = &web.gateway;
    let text = g.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    let live = Live {
        ts_ms: g.now_ms(),
        applied_seq: g.read.applied_seq(),
        lanes: g.sequencer.lane_depths(),
        ws_connections: g.ws_connections.load(std::sync::atomic::Ordering::Relaxed),
    };
    let mut body = dashboard(&text, &live);
    // Support's figures: open work, clocks at risk or breached, breaches in the last 30 days.
    let counts = web.store.support_counts(live.ts_ms.saturating_sub(talat_support::reports::RECENT_COUNTS_MS)).await?;
    body["support"] = json!({"open": counts.open, "waiting_customer": counts.waiting_customer, "at_risk": counts.at_risk, "breached": counts.breached, "breaches_30d": counts.breaches_since, "complaints_open": counts.complaints_open});
    Ok(Json(body))
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new().route("/web/api/console/dashboard", get(show))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE talat_journal_append_seconds summary
talat_journal_append_seconds{quantile="0"} 0.0001
talat_journal_append_seconds{quantile="0.5"} 0.002
talat_journal_append_seconds{quantile="0.99"} 0.004
talat_journal_append_seconds{quantile="1"} 0.01
talat_journal_append_seconds_sum 1.5
talat_journal_append_seconds_count 700
talat_batch_commands{quantile="0.5"} 12
talat_api_request_seconds{route="/a",quantile="0.5"} 0.001
talat_api_request_seconds{route="/a",quantile="0.99"} 0.003
talat_api_request_seconds_count{route="/a"} 300
talat_api_request_seconds{route="/b \"x\", y",quantile="0.5"} 0.005
talat_api_request_seconds{route="/b \"x\", y",quantile="0.99"} 0.02
talat_api_request_seconds_count{route="/b \"x\", y"} 100
talat_api_requests_total{route="/a",status="200"} 290
talat_api_requests_total{route="/a",status="429"} 10
talat_api_errors_total{code="30"} 10
talat_api_errors_total{code="18"} 5
talat_api_shed_total{reason="lane"} 3
talat_api_shed_total{reason="early"} 4
talat_api_rate_limited_total 10
garbage line
talat_broken{route="unterminated} 5
"#;

    #[test]
    fn parses_labels_with_escapes_and_skips_garbage() {
        let s = parse(TEXT);
        assert!(s.iter().any(|x| x.labels.get("route").map(String::as_str) == Some("/b \"x\", y")));
        assert!(!s.iter().any(|x| x.name == "garbage" || x.name == "talat_broken"));
        assert_eq!(s.iter().filter(|x| x.name == "talat_journal_append_seconds_count").count(), 1);
    }

    #[test]
    fn the_dashboard_picks_and_aggregates() {
        let live = Live { ts_ms: 5, applied_seq: 42, lanes: [1, 2, 3], ws_connections: 7 };
        let d = dashboard(TEXT, &live);
        assert_eq!(d["applied_seq"], 42);
        assert_eq!(d["lanes"]["place"], 3);
        assert_eq!(d["journal_append_ms"]["p50"], 2.0);
        assert_eq!(d["journal_append_ms"]["p99"], 4.0);
        assert_eq!(d["journal_append_ms"]["max"], 10.0);
        assert_eq!(d["batch_commands_p50"], 12.0);
        // (1 ms × 300 + 5 ms × 100) / 400 = 2 ms; p99 is the worst route's.
        assert_eq!(d["request_ms"]["p50"], 2.0);
        assert_eq!(d["request_ms"]["p99"], 20.0);
        assert_eq!(d["requests_total"], 300);
        assert_eq!(d["rejected_total"], 15);
        assert_eq!(d["shed_total"], 7);
        assert_eq!(d["rate_limited_total"], 10);
        assert_eq!(d["ws_connections"], 7);
    }

    #[test]
    fn empty_text_gives_zeros() {
        let live = Live { ts_ms: 0, applied_seq: 0, lanes: [0; 3], ws_connections: 0 };
        let d = dashboard("", &live);
        assert_eq!(d["request_ms"]["p50"], 0.0);
        assert_eq!(d["requests_total"], 0);
    }
}
