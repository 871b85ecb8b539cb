//! Benchmark figures, the ratios talat publishes, and their rendering.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::book::Outcome;
use crate::workload::{StreamStats, Workload};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub done: u64,
    pub unknown_order: u64,
    pub rejected: u64,
}

impl OutcomeCounts {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Done => self.done += 1,
            Outcome::UnknownOrder => self.unknown_order += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }

    /// From counts indexed by `Outcome as usize`.
    pub fn from_raw(raw: [u64; 3]) -> Self {
        Self { done: raw[0], unknown_order: raw[1], rejected: raw[2] }
    }
}

/// One engine's measured figures on one workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineFigures {
    pub name: String,
    /// Median over rounds of stream ops / wall time of the stream.
    pub ops_per_s_median: f64,
    pub ops_per_s_rounds: Vec<f64>,
    /// Per-op latency from the separate latency pass, nanoseconds; all zero
    /// (and `latency_samples` 0) when that pass was not run. Includes the
    /// clock read pair (see `Report::timer_overhead_ns`).
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: f64,
    pub latency_samples: u64,
    /// Stream ops per round (warm-up excluded).
    pub ops: u64,
    pub rounds: u32,
    /// How the engine answered the stream (first round).
    pub outcomes: OutcomeCounts,
    /// Orders resting at the end of the stream, as the engine reports them.
    pub resting_after: u64,
    /// How ops were mapped onto this engine, and any disagreement with the
    /// workload's reference model.
    pub notes: Vec<String>,
}

/// What was run, so a report can be reproduced and compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    pub name: String,
    pub seed: u64,
    /// FNV-1a of every op, hex: equal fingerprints mean identical streams.
    pub fingerprint: String,
    pub markets: u32,
    pub accounts: u64,
    /// Whether crossing ops may want more than their limit offers (see
    /// `WorkloadConfig::sweep`).
    pub sweep: bool,
    pub warmup_ops: u64,
    pub stream_ops: u64,
    pub mix: StreamStats,
    pub resting_after_warmup: u64,
    pub price_levels_after_warmup: u64,
    pub resting_after_stream: u64,
}

impl WorkloadSummary {
    pub fn of(w: &Workload) -> Self {
        Self {
            name: w.name.clone(),
            seed: w.seed,
            fingerprint: format!("{:016x}", w.fingerprint()),
            markets: w.spec.markets,
            accounts: w.spec.accounts,
            sweep: w.config.sweep,
            warmup_ops: w.warmup.len() as u64,
            stream_ops: w.stream.len() as u64,
            mix: w.stats.clone(),
            resting_after_warmup: w.after_warmup.resting_orders,
            price_levels_after_warmup: w.after_warmup.bid_levels + w.after_warmup.ask_levels,
            resting_after_stream: w.after_stream.resting_orders,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub workload: WorkloadSummary,
    /// Median cost of an empty timed region in the latency pass, ns.
    pub timer_overhead_ns: u64,
    pub engines: Vec<EngineFigures>,
}

/// `engine` against `peer`; every ratio is > 1 when `engine` is better.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub engine: String,
    pub peer: String,
    /// engine ops/s ÷ peer ops/s (medians).
    pub throughput: f64,
    /// peer p50 ÷ engine p50, and the same for p99; `None` without latency figures.
    pub p50: Option<f64>,
    pub p99: Option<f64>,
}

fn div(a: f64, b: f64) -> Option<f64> {
    (a > 0.0 && b > 0.0).then(|| a / b)
}

impl Report {
    pub fn new(workload: WorkloadSummary, timer_overhead_ns: u64) -> Self {
        Self { workload, timer_overhead_ns, engines: Vec::new() }
    }

    pub fn engine(&self, name: &str) -> Option<&EngineFigures> {
        self.engines.iter().find(|e| e.name == name)
    }

    /// Ratios of `engine` to every other engine in the report, in report
    /// order; empty if `engine` is not in it.
    pub fn ratios(&self, engine: &str) -> Vec<Ratio> {
        let Some(me) = self.engine(engine) else {
            return Vec::new();
        };
        self.engines
            .iter()
            .filter(|p| p.name != engine)
            .map(|p| Ratio {
                engine: engine.to_string(),
                peer: p.name.clone(),
                throughput: div(me.ops_per_s_median, p.ops_per_s_median).unwrap_or(f64::NAN),
                p50: div(p.p50_ns as f64, me.p50_ns as f64),
                p99: div(p.p99_ns as f64, me.p99_ns as f64),
            })
            .collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data and always serialises")
    }

    /// A fixed-width table of the figures, then each engine's notes.
    pub fn table(&self) -> String {
        let w = &self.workload;
        let mut s = String::new();
        let mix = &w.mix;
        let pct = |n: u64| 100.0 * n as f64 / mix.total().max(1) as f64;
        let _ = writeln!(
            s,
            "workload {}{} seed {} fingerprint {}: {} market(s), {} accounts, {} warm-up places ({} resting on {} levels), {} stream ops",
            w.name,
            if w.sweep { "" } else { " (no sweeping)" },
            w.seed,
            w.fingerprint,
            w.markets,
            w.accounts,
            w.warmup_ops,
            w.resting_after_warmup,
            w.price_levels_after_warmup,
            w.stream_ops
        );
        let _ = writeln!(
            s,
            "mix: GTC {:.1}%  IOC {:.1}%  cancel {:.1}%  amend {:.1}%  trading {:.1}%;  timer overhead in latencies ~{} ns",
            pct(mix.gtc),
            pct(mix.ioc),
            pct(mix.cancel),
            pct(mix.amend),
            pct(mix.trading),
            self.timer_overhead_ns
        );
        let _ = writeln!(
            s,
            "{:<14} {:>12} {:>21} {:>8} {:>8} {:>8} {:>10} {:>9} {:>8}",
            "engine", "ops/s (med)", "rounds min..max", "p50 ns", "p99 ns", "p99.9 ns", "max ns", "unknown", "rejected"
        );
        for e in &self.engines {
            let lo = e.ops_per_s_rounds.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = e.ops_per_s_rounds.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "{:<14} {:>12} {:>21} {:>8} {:>8} {:>8} {:>10} {:>9} {:>8}",
                e.name,
                human(e.ops_per_s_median),
                format!("{}..{} ×{}", human(lo), human(hi), e.rounds),
                e.p50_ns,
                e.p99_ns,
                e.p999_ns,
                e.max_ns,
                e.outcomes.unknown_order,
                e.outcomes.rejected
            );
        }
        for e in &self.engines {
            for n in &e.notes {
                let _ = writeln!(s, "  [{}] {n}", e.name);
            }
        }
        s
    }

    /// The ratio lines for `engine`, e.g. `matchcore vs lobster: 3.10× throughput, …`.
    pub fn ratio_lines(&self, engine: &str) -> String {
        let mut s = String::new();
        let f = |r: Option<f64>| r.map_or("n/a".to_string(), |x| format!("{x:.2}×"));
        for r in self.ratios(engine) {
            let _ = writeln!(s, "{} vs {}: {:.2}× throughput, p50 {}, p99 {}", r.engine, r.peer, r.throughput, f(r.p50), f(r.p99));
        }
        s
    }
}

/// 1234567.0 -> "1.23M".
fn human(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    match x {
        x if x >= 1e9 => format!("{:.2}G", x / 1e9),
        x if x >= 1e6 => format!("{:.2}M", x / 1e6),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(name: &str, ops: f64, p50: u64, p99: u64) -> EngineFigures {
        EngineFigures { name: name.into(), ops_per_s_median: ops, ops_per_s_rounds: vec![ops], p50_ns: p50, p99_ns: p99, ..Default::default() }
    }

    #[test]
    fn ratios_are_engine_over_peer_and_skip_self() {
        let r = Report { engines: vec![fig("talat", 4e6, 100, 1_000), fig("a", 2e6, 200, 4_000), fig("b", 8e6, 0, 0)], ..Default::default() };
        let rs = r.ratios("talat");
        assert_eq!(rs.len(), 2);
        assert_eq!((rs[0].peer.as_str(), rs[0].throughput, rs[0].p50, rs[0].p99), ("a", 2.0, Some(2.0), Some(4.0)));
        assert_eq!((rs[1].peer.as_str(), rs[1].throughput, rs[1].p50), ("b", 0.5, None));
        assert!(r.ratios("nobody").is_empty());
    }

    #[test]
    fn json_round_trips_and_table_names_every_engine() {
        let r = Report { engines: vec![fig("x", 1.5e6, 300, 900)], ..Default::default() };
        let back: Report = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        let t = r.table();
        assert!(t.contains("x ") && t.contains("1.50M"), "{t}");
    }
}
