//! The runner on a small stream: figures are filled in, consistent, and
//! the model check flags a diverging engine but not a faithful one.

use talat_bench::peers::{OrderbookRsBooks, Peer};
use talat_bench::runner::{measure, progress_bar, run_peers, RunConfig};
use talat_bench::workload::Workload;

#[test]
fn measure_fills_every_figure() {
    let w = Workload::normal(21, 5_000);
    let cfg = RunConfig { rounds: 3, latency: true, progress: false };
    let f = measure(&w, &cfg, &progress_bar(0, false), OrderbookRsBooks::new);
    assert_eq!(f.name, "orderbook-rs");
    assert_eq!((f.ops, f.rounds, f.ops_per_s_rounds.len()), (5_000, 3, 3));
    assert!(f.ops_per_s_rounds.iter().all(|&r| r > 0.0));
    let (lo, hi) = f.ops_per_s_rounds.iter().fold((f64::MAX, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    assert!(lo <= f.ops_per_s_median && f.ops_per_s_median <= hi);
    assert_eq!(f.latency_samples, 5_000);
    assert!(0 < f.p50_ns && f.p50_ns <= f.p99_ns && f.p99_ns <= f.p999_ns && f.p999_ns <= f.max_ns);
    assert_eq!(f.outcomes.done, 5_000);
    assert_eq!(f.resting_after, w.after_stream.resting_orders);
    assert!(f.notes.is_empty(), "a faithful engine gets no divergence note: {:?}", f.notes);
}

#[test]
fn report_carries_every_peer_notes_and_ratios() {
    let w = Workload::normal(22, 5_000);
    let cfg = RunConfig { rounds: 1, latency: false, progress: false };
    let r = run_peers(&w, &cfg, &Peer::ALL);
    assert_eq!(r.engines.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["matchcore", "orderbook-rs", "lobster"]);
    assert_eq!(r.workload.fingerprint, format!("{:016x}", w.fingerprint()));
    // Every engine states how it was driven.
    assert!(r.engines.iter().all(|e| e.notes.iter().any(|n| n.contains("amend"))));
    // matchcore's limit-less sweeping shows up against the model.
    let mc = r.engine("matchcore").unwrap();
    assert!(mc.notes.iter().any(|n| n.contains("reference model")), "{:?}", mc.notes);
    let ratios = r.ratios("matchcore");
    assert_eq!(ratios.len(), 2);
    assert!(ratios.iter().all(|x| x.throughput > 0.0 && x.p50.is_none()));
    assert!(r.table().contains("lobster"));
}
