//! Drives engines through a workload and measures them.
//!
//! Two passes per engine, each on fresh books warmed up outside the timer:
//!
//! * **throughput**: `rounds` times, the whole stream between two clock
//!   reads (closed loop, one thread); the median round is reported, so one
//!   noisy round (a neighbour's compile on a 2-core VM) cannot skew it.
//! * **latency**: once more, every op timed on its own into an HDR
//!   histogram. Per-op timing costs a clock read pair, so this pass runs
//!   separately and never pollutes the throughput figure.
//!
//! Workload generation, book construction, warm-up and checks all happen
//! outside the timed region.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::book::{BookUnderTest, Outcome, LOOKAHEAD_FAR};
use crate::peers::{LobsterBooks, MatchcoreBooks, OrderbookRsBooks, Peer};
use crate::report::{EngineFigures, OutcomeCounts, Report, WorkloadSummary};
use crate::workload::{BookSpec, MarketOp, Workload};

#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Throughput rounds per engine (fresh, re-warmed book each round).
    pub rounds: u32,
    /// Also run the per-op latency pass.
    pub latency: bool,
    /// Show a progress bar on stderr (drawn only when stderr is a terminal).
    pub progress: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self { rounds: 5, latency: true, progress: true }
    }
}

/// A progress bar counting engine passes (a round or a latency pass each).
pub fn progress_bar(total_passes: u64, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total_passes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Passes [`measure`] makes per engine, for sizing a shared progress bar.
pub fn passes_per_engine(cfg: &RunConfig) -> u64 {
    u64::from(cfg.rounds.max(1)) + u64::from(cfg.latency)
}

/// Builds a book and feeds it the warm-up. Returns it with the outcome
/// counts of the warm-up (every op should be `Done`).
fn warmed<B: BookUnderTest>(w: &Workload, build: &mut impl FnMut(&BookSpec) -> B) -> (B, OutcomeCounts) {
    let mut book = build(&w.spec);
    let mut counts = OutcomeCounts::default();
    for op in &w.warmup {
        counts.add(book.apply(op));
    }
    (book, counts)
}

/// The timed throughput loop. `inline(never)` keeps its code the same no
/// matter what calls it, so every engine's loop is built alike.
#[inline(never)]
fn run_stream<B: BookUnderTest>(book: &mut B, stream: &[MarketOp]) -> (Duration, [u64; 3]) {
    let mut counts = [0u64; 3];
    let start = Instant::now();
    for (i, op) in stream.iter().enumerate() {
        book.hint(stream.get(i + LOOKAHEAD_FAR), stream.get(i + 1));
        counts[book.apply(op) as usize] += 1;
    }
    (start.elapsed(), counts)
}

/// The per-op latency loop. `quanta`'s TSC reads cost ~10 ns a pair here
/// against ~24 ns for `Instant::now()` (measured on the project's VM), so
/// the histogram carries less of the clock and more of the engine.
#[inline(never)]
fn run_stream_timed<B: BookUnderTest>(book: &mut B, stream: &[MarketOp], clock: &quanta::Clock, hist: &mut Histogram<u64>) -> [u64; 3] {
    let mut counts = [0u64; 3];
    for (i, op) in stream.iter().enumerate() {
        let t0 = clock.raw();
        book.hint(stream.get(i + LOOKAHEAD_FAR), stream.get(i + 1));
        let outcome = book.apply(op);
        let t1 = clock.raw();
        counts[outcome as usize] += 1;
        hist.saturating_record(clock.delta_as_nanos(t0, t1).max(1));
    }
    counts
}

/// Median cost of an empty timed region, i.e. what the latency figures
/// include besides the engine.
pub fn timer_overhead_ns(clock: &quanta::Clock) -> u64 {
    let mut samples: Vec<u64> = (0..10_001)
        .map(|_| {
            let t0 = clock.raw();
            let t1 = clock.raw();
            clock.delta_as_nanos(t0, t1)
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Measures one engine on `w`. `build` makes a fresh engine (one book per
/// market of `spec`) and is called once per pass, outside the timer.
pub fn measure<B: BookUnderTest>(w: &Workload, cfg: &RunConfig, pb: &ProgressBar, mut build: impl FnMut(&BookSpec) -> B) -> EngineFigures {
    let rounds = cfg.rounds.max(1);
    let stream_ops = w.stream.len() as u64;
    let mut name = "";
    let mut rates = Vec::with_capacity(rounds as usize);
    let mut first_counts: Option<OutcomeCounts> = None;
    let mut notes = Vec::new();
    let mut resting_after = 0;

    for round in 0..rounds {
        let (mut book, warm) = warmed(w, &mut build);
        name = book.name();
        pb.set_message(format!("{name}: throughput round {}/{rounds}", round + 1));
        if round == 0 {
            check_warmup(&book, w, &warm, &mut notes);
        }
        let (elapsed, raw) = run_stream(&mut book, &w.stream);
        rates.push(stream_ops as f64 / elapsed.as_secs_f64().max(1e-9));
        let counts = OutcomeCounts::from_raw(raw);
        match &first_counts {
            None => {
                resting_after = book.resting_orders();
                check_stream(w, &counts, resting_after, &mut notes);
                first_counts = Some(counts);
            }
            Some(first) if *first != counts => {
                notes.push(format!("outcomes differ between rounds (round 1 {first:?}, round {} {counts:?}): engine is not deterministic", round + 1));
            }
            Some(_) => {}
        }
        drop(book);
        pb.inc(1);
    }

    let mut figures = EngineFigures {
        name: name.to_string(),
        ops_per_s_median: median(&rates),
        ops_per_s_rounds: rates,
        ops: stream_ops,
        rounds,
        outcomes: first_counts.unwrap_or_default(),
        resting_after,
        notes,
        ..EngineFigures::default()
    };

    if cfg.latency {
        pb.set_message(format!("{name}: latency pass"));
        let clock = quanta::Clock::new();
        // 1 ns .. 10 s at 3 significant digits; anything slower saturates.
        let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("static histogram bounds are valid");
        let (mut book, _) = warmed(w, &mut build);
        run_stream_timed(&mut book, &w.stream, &clock, &mut hist);
        drop(book);
        figures.p50_ns = hist.value_at_quantile(0.50);
        figures.p99_ns = hist.value_at_quantile(0.99);
        figures.p999_ns = hist.value_at_quantile(0.999);
        figures.max_ns = hist.max();
        figures.mean_ns = hist.mean();
        figures.latency_samples = hist.len();
        pb.inc(1);
    } else {
        figures.notes.push("latency pass not run".into());
    }
    figures
}

fn check_warmup<B: BookUnderTest>(book: &B, w: &Workload, warm: &OutcomeCounts, notes: &mut Vec<String>) {
    if warm.unknown_order + warm.rejected > 0 {
        notes.push(format!("warm-up: {} unknown-order and {} rejected of {} places", warm.unknown_order, warm.rejected, w.warmup.len()));
    }
    let resting = book.resting_orders();
    if resting != w.after_warmup.resting_orders {
        notes.push(format!("after warm-up {resting} orders rest; the reference model has {}", w.after_warmup.resting_orders));
    }
}

fn check_stream(w: &Workload, counts: &OutcomeCounts, resting: u64, notes: &mut Vec<String>) {
    // The generator only refers to orders its exact price-time model holds
    // live, so an engine matching price-time like it answers every op.
    if counts.unknown_order + counts.rejected > 0 {
        notes.push(format!("stream: {} unknown-order and {} rejected answers (the reference model expects none)", counts.unknown_order, counts.rejected));
    }
    if resting != w.after_stream.resting_orders {
        notes.push(format!("after the stream {resting} orders rest; the reference model has {}", w.after_stream.resting_orders));
    }
}

/// Measures one peer crate.
pub fn run_peer(peer: Peer, w: &Workload, cfg: &RunConfig, pb: &ProgressBar) -> EngineFigures {
    let mut figures = match peer {
        Peer::Matchcore => measure(w, cfg, pb, MatchcoreBooks::new),
        Peer::OrderbookRs => measure(w, cfg, pb, OrderbookRsBooks::new),
        Peer::Lobster => measure(w, cfg, pb, LobsterBooks::new),
    };
    figures.notes.splice(0..0, peer.notes().iter().map(|s| s.to_string()));
    figures
}

/// Measures the given peers on `w` and assembles a report. A caller with
/// its own engine (talat's) runs [`measure`] for it with the same progress
/// bar and pushes the figures into `report.engines`.
pub fn run_peers(w: &Workload, cfg: &RunConfig, peers: &[Peer]) -> Report {
    let pb = progress_bar(passes_per_engine(cfg) * peers.len() as u64, cfg.progress);
    let mut report = Report::new(WorkloadSummary::of(w), timer_overhead_ns(&quanta::Clock::new()));
    for &peer in peers {
        report.engines.push(run_peer(peer, w, cfg, &pb));
    }
    pb.finish_and_clear();
    report
}

// Keep the outcome discriminants and the counting arrays in step.
const _: () = assert!(Outcome::Done as usize == 0 && Outcome::UnknownOrder as usize == 1 && Outcome::Rejected as usize == 2);
