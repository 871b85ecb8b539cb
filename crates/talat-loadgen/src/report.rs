//! The result of a run: one serde-serialisable object (`--json`) and its text form.

use crate::config::LoadgenConfig;
use crate::market::MarketSummary;
use crate::stats::{Endpoint, OutcomeKey, Tallies, TransportError};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// Everything a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub config: LoadgenConfig,
    pub market: MarketSummary,
    pub totals: Totals,
    /// Per endpoint, in a fixed order; endpoints never called are left out.
    pub endpoints: Vec<EndpointReport>,
    /// Actual send time minus intended time over all requests: the generator's own lag.
    /// Large values mean the connections (or the generator) could not keep up with the
    /// schedule, and latency counts that wait.
    pub send_lag_us: LatencySummary,
    /// Every outcome, counted by (endpoint, HTTP status, error code).
    pub outcomes: Vec<OutcomeReport>,
    pub generator: GeneratorReport,
    pub verify: Option<VerifyReport>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Requests on the schedule (`rate × duration`).
    pub scheduled: u64,
    pub sent: u64,
    /// Got an HTTP answer, whatever it said.
    pub answered: u64,
    /// Answered 2xx with `error` 0.
    pub ok: u64,
    /// Answered with an error (`error` ≠ 0 or a non-2xx status).
    pub errors: u64,
    /// No answer: connection failures and timeouts.
    pub transport_errors: u64,
    /// Due while the connection still had `--max-backlog` late requests: dropped, not queued.
    pub not_sent_generator_backlog: u64,
    /// Due while the lane had no connection.
    pub not_sent_no_connection: u64,
    /// Places answered with an id.
    pub acked_places: u64,
    /// Answered HTTP 503 (shed by the server: counted, not retried during the run).
    pub shed_503: u64,
    /// Answered HTTP 429.
    pub rate_limited_429: u64,
    pub cancels_replaced_by_place: u64,
    pub reconnects: u64,
    pub connect_failures: u64,
    /// From the scheduled start to the last answer.
    pub elapsed_s: f64,
    pub answered_per_s: f64,
    pub ok_per_s: f64,
    pub acked_places_per_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointReport {
    pub endpoint: Endpoint,
    pub answered: u64,
    pub ok: u64,
    /// From each request's intended send time to its complete answer.
    pub latency_us: LatencySummary,
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl LatencySummary {
    pub fn of(h: &Histogram<u64>) -> LatencySummary {
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: h.len(),
            mean_us: (h.mean() * 10.0).round() / 10.0,
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeReport {
    pub endpoint: Endpoint,
    /// 0 when no answer came.
    pub http_status: u16,
    pub error_code: Option<i64>,
    pub transport: Option<TransportError>,
    pub count: u64,
    /// What the code means (reference §13.1), for people reading the report.
    pub meaning: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeneratorReport {
    pub threads: u32,
    pub connections: u32,
    /// User + system CPU seconds of this process during the run (Unix; `None` elsewhere).
    /// Counts everything in the process: meaningful when the server runs elsewhere.
    pub cpu_s: Option<f64>,
    /// `cpu_s` per request sent: what one request costs the generator.
    pub cpu_us_per_request: Option<f64>,
}

/// `--verify`: every acknowledged order looked up with `order-info`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Places acknowledged with an id during the run.
    pub acked: u64,
    /// Known to the server (`order-info` answered `error` 0, whatever the status).
    pub verified: u64,
    /// The server answered that it does not know the order (error 21 or 24). Must be 0:
    /// no acknowledged order may be lost.
    pub missing: u64,
    /// Could not be checked (no answer, or other errors after every retry).
    pub unchecked: u64,
    /// Acknowledged beyond `--max-tracked-orders`, or with a non-numeric id: not looked up.
    pub untracked: u64,
    /// Up to 20 of the missing orders.
    pub missing_sample: Vec<MissingOrder>,
    /// 429s and 503s waited out and retried.
    pub retries: u64,
    pub lookup_latency_us: LatencySummary,
    pub outcomes: Vec<OutcomeReport>,
    pub elapsed_s: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingOrder {
    pub user: u32,
    pub id: u64,
    pub side: &'static str,
}

/// The v3 error codes a load run meets, with the reference's descriptions (§13.1).
pub fn meaning(http_status: u16, code: Option<i64>, transport: Option<TransportError>) -> &'static str {
    match (transport, code) {
        (Some(TransportError::Timeout), _) => "no answer within --timeout-ms",
        (Some(TransportError::Connection), _) => "connection failed",
        (None, Some(0)) if (200..300).contains(&http_status) => "ok",
        (None, Some(code)) => match code {
            0 => "error 0 with a non-2xx status",
            1 => "invalid JSON payload",
            2 => "missing X-BTK-APIKEY",
            3 => "invalid API key",
            6 => "missing / invalid signature",
            7 => "missing timestamp",
            8 => "invalid timestamp",
            10 => "invalid parameter",
            11 => "invalid symbol",
            12 => "invalid amount",
            13 => "invalid rate",
            14 => "improper rate",
            15 => "amount too low",
            18 => "insufficient balance",
            21 => "invalid order for cancellation (not found)",
            22 => "invalid side",
            24 => "invalid order for lookup (not found)",
            30 => "limit exceeds (rate limited)",
            55 => "cancel only mode",
            90 => "server error / system busy",
            _ => "see the reference's §13.1",
        },
        (None, None) => "no error code in the body",
    }
}

/// Outcome rows from the tallies' map, in key order.
pub fn outcome_rows(outcomes: &BTreeMap<OutcomeKey, u64>) -> Vec<OutcomeReport> {
    outcomes
        .iter()
        .map(|(k, &count)| OutcomeReport {
            endpoint: k.endpoint,
            http_status: k.http_status,
            error_code: k.error_code,
            transport: k.transport,
            count,
            meaning: meaning(k.http_status, k.error_code, k.transport),
        })
        .collect()
}

/// Per-endpoint rows from the tallies.
pub fn endpoint_rows(tallies: &Tallies) -> Vec<EndpointReport> {
    Endpoint::ALL
        .iter()
        .zip(&tallies.latency_us)
        .filter(|(_, h)| !h.is_empty())
        .map(|(&endpoint, h)| {
            let ok = tallies
                .outcomes
                .iter()
                .filter(|(k, _)| k.endpoint == endpoint && k.transport.is_none() && (200..300).contains(&k.http_status) && k.error_code == Some(0))
                .map(|(_, n)| n)
                .sum();
            EndpointReport { endpoint, answered: h.len(), ok, latency_us: LatencySummary::of(h) }
        })
        .collect()
}

/// Microseconds as a person reads them: `850µs`, `12.4ms`, `3.20s`.
fn human_us(us: u64) -> String {
    match us {
        0..=9_999 => format!("{us}µs"),
        10_000..=9_999_999 => format!("{:.1}ms", us as f64 / 1_000.0),
        _ => format!("{:.2}s", us as f64 / 1_000_000.0),
    }
}

fn latency_cells(l: &LatencySummary) -> String {
    format!("{:>9} {:>9} {:>9} {:>9} {:>9}", human_us(l.p50_us), human_us(l.p90_us), human_us(l.p99_us), human_us(l.p999_us), human_us(l.max_us))
}

fn outcome_lines(out: &mut String, rows: &[OutcomeReport]) {
    for o in rows {
        let status = if o.http_status == 0 { "-".to_string() } else { o.http_status.to_string() };
        let code = o.error_code.map_or("-".to_string(), |c| c.to_string());
        let _ = writeln!(out, "  {:<15} HTTP {:<4} error {:<4} {:>10}  {}", o.endpoint.name(), status, code, o.count, o.meaning);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        let t = &self.totals;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "talat loadgen: {} req/s for {} s → {}, {} users over {} connections, {} thread(s), mix {}",
            c.rate_per_s, c.duration_s, c.url, c.users, self.generator.connections, self.generator.threads, c.mix
        );
        let m = &self.market;
        let _ = writeln!(
            out,
            "market {}: reference {} ({}), price step {}, order {} ≈ {} quote (min {})",
            m.symbol, m.reference_price, m.reference_source, m.price_step, m.order_qty_at_reference, m.order_value_at_reference, m.min_quote_size
        );
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        let _ = writeln!(
            out,
            "\nscheduled {}  sent {}  answered {} ({:.0}/s)  ok {} ({:.0}/s)  acked places {} ({:.0}/s)  in {:.2} s",
            t.scheduled, t.sent, t.answered, t.answered_per_s, t.ok, t.ok_per_s, t.acked_places, t.acked_places_per_s, t.elapsed_s
        );
        let _ = writeln!(
            out,
            "errors {}  transport errors {}  shed (503) {}  rate limited (429) {}  not sent (generator backlog) {}  not sent (no connection) {}",
            t.errors, t.transport_errors, t.shed_503, t.rate_limited_429, t.not_sent_generator_backlog, t.not_sent_no_connection
        );
        if t.reconnects > 0 || t.connect_failures > 0 || t.cancels_replaced_by_place > 0 {
            let _ = writeln!(
                out,
                "reconnects {}  connect failures {}  cancels replaced by a place (nothing to cancel) {}",
                t.reconnects, t.connect_failures, t.cancels_replaced_by_place
            );
        }
        let _ = writeln!(out, "\nlatency from intended send time:");
        let _ = writeln!(out, "  {:<15} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}", "endpoint", "answered", "ok", "p50", "p90", "p99", "p99.9", "max");
        for e in &self.endpoints {
            let _ = writeln!(out, "  {:<15} {:>10} {:>10} {}", e.endpoint.name(), e.answered, e.ok, latency_cells(&e.latency_us));
        }
        let _ = writeln!(out, "  {:<15} {:>10} {:>10} {}", "(send lag)", self.send_lag_us.count, "", latency_cells(&self.send_lag_us));
        let _ = writeln!(out, "\noutcomes:");
        outcome_lines(&mut out, &self.outcomes);
        if let (Some(cpu_s), Some(per)) = (self.generator.cpu_s, self.generator.cpu_us_per_request) {
            let _ = writeln!(out, "\ngenerator CPU {cpu_s:.2} s, {per:.1} µs per request (whole process)");
        }
        if let Some(v) = &self.verify {
            let _ = writeln!(
                out,
                "\nverify: acked {}  verified {}  missing {}  unchecked {}  untracked {}  retries {}  in {:.2} s  (lookup p50 {}, p99 {})",
                v.acked,
                v.verified,
                v.missing,
                v.unchecked,
                v.untracked,
                v.retries,
                v.elapsed_s,
                human_us(v.lookup_latency_us.p50_us),
                human_us(v.lookup_latency_us.p99_us)
            );
            for m in &v.missing_sample {
                let _ = writeln!(out, "  missing: user {} order {} ({})", m.user, m.id, m.side);
            }
            if v.outcomes.iter().any(|o| o.meaning != "ok") {
                outcome_lines(&mut out, &v.outcomes);
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{AckedOrder, Recorder};

    fn sample() -> Report {
        let r = Recorder::new(10);
        r.answered(Endpoint::PlaceBid, 200, Some(0), 1_200, 5, Some(AckedOrder { user: 0, id: 1, buy: true }));
        r.answered(Endpoint::PlaceAsk, 503, Some(90), 300, 5, None);
        r.answered(Endpoint::Balances, 200, Some(0), 15_000, 5, None);
        r.failed(Endpoint::CancelOrder, TransportError::Timeout, 7);
        let t = r.take();
        Report {
            config: LoadgenConfig::default(),
            market: MarketSummary {
                symbol: "BTC_THB".into(),
                reference_price: "3500000".into(),
                reference_source: "last".into(),
                price_step: "0.01".into(),
                quantity_step: "0.00000001".into(),
                min_quote_size: "10".into(),
                order_qty_at_reference: "0.00000315".into(),
                order_value_at_reference: "11.03".into(),
            },
            totals: Totals { scheduled: 4, sent: 4, answered: 3, ok: 2, errors: 1, transport_errors: 1, shed_503: 1, ..Totals::default() },
            endpoints: endpoint_rows(&t),
            send_lag_us: LatencySummary::of(&t.send_lag_us),
            outcomes: outcome_rows(&t.outcomes),
            generator: GeneratorReport { threads: 1, connections: 64, cpu_s: Some(0.5), cpu_us_per_request: Some(3.2) },
            verify: Some(VerifyReport { acked: 1, verified: 1, ..VerifyReport::default() }),
            warnings: vec![],
        }
    }

    #[test]
    fn json_has_the_documented_shape() {
        let v = serde_json::to_value(sample()).unwrap();
        for key in ["config", "market", "totals", "endpoints", "send_lag_us", "outcomes", "generator", "verify", "warnings"] {
            assert!(v.get(key).is_some(), "missing {key}: {v}");
        }
        assert_eq!(v["config"]["rate_per_s"], 1000.0);
        assert_eq!(v["config"]["mix"]["place"], 70);
        assert_eq!(v["config"]["reads"][2], "open-orders");
        let endpoints = v["endpoints"].as_array().unwrap();
        assert_eq!(endpoints.iter().map(|e| e["endpoint"].as_str().unwrap()).collect::<Vec<_>>(), ["place-bid", "place-ask", "balances"]);
        let bid = &endpoints[0];
        assert_eq!((bid["answered"].as_u64(), bid["ok"].as_u64()), (Some(1), Some(1)));
        for p in ["count", "mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"] {
            assert!(bid["latency_us"].get(p).is_some(), "{p}");
        }
        assert!((1_195..=1_205).contains(&bid["latency_us"]["p50_us"].as_u64().unwrap()));
        let shed = v["outcomes"].as_array().unwrap().iter().find(|o| o["http_status"] == 503).unwrap();
        assert_eq!((shed["endpoint"].as_str(), shed["error_code"].as_i64(), shed["count"].as_u64()), (Some("place-ask"), Some(90), Some(1)));
        let timeout = v["outcomes"].as_array().unwrap().iter().find(|o| o["http_status"] == 0).unwrap();
        assert_eq!(timeout["transport"], "timeout");
        assert!(timeout["error_code"].is_null());
        for key in ["acked", "verified", "missing", "unchecked", "untracked"] {
            assert!(v["verify"].get(key).is_some(), "{key}");
        }
        assert_eq!(v["totals"]["not_sent_generator_backlog"], 0);
    }

    #[test]
    fn text_names_every_endpoint_and_outcome() {
        let text = sample().to_string();
        for needle in ["place-bid", "place-ask", "balances", "system busy", "no answer within", "not sent (generator backlog)", "verify: acked 1"] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        assert_eq!(human_us(850), "850µs");
        assert_eq!(human_us(12_400), "12.4ms");
        assert_eq!(human_us(3_200_000), "3200.0ms");
        assert_eq!(human_us(12_000_000), "12.00s");
    }
}
