//! The `talat` command line. Wiring only: every subcommand calls into the crates.

use clap::{Parser, Subcommand};
use talat::bench_engine::TalatBooks;
use talat_bench::peers::Peer;
use talat_bench::report::{Report, WorkloadSummary};
use talat_bench::runner::{measure, passes_per_engine, progress_bar, run_peer, timer_overhead_ns, RunConfig};
use talat_bench::Workload;

#[derive(Parser)]
#[command(name = "talat", version, about = "talat — a self-hosted digital-asset exchange")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the demo exchange in-process (markets, a liquidity bot, a demo customer) and prints
    /// its books, balances and state hash.
    Demo,
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// The matching engine against peer order-book crates on one exchange-core-like op stream.
    Engine(EngineBenchArgs),
}

#[derive(clap::Args)]
struct EngineBenchArgs {
    /// Ops in the timed stream of the normal (one-market) workload.
    #[arg(long, default_value_t = 3_000_000)]
    ops: usize,
    /// Throughput rounds per engine; the median is reported.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Peers to compare with (comma-separated: matchcore, orderbook-rs, lobster).
    #[arg(long, value_delimiter = ',', default_value = "matchcore,orderbook-rs,lobster")]
    peers: Vec<String>,
    /// Also run the large case: 1 M resting orders over 10 markets and 100 k accounts.
    #[arg(long)]
    large: bool,
    /// Ops in the timed stream of the large workload.
    #[arg(long, default_value_t = 2_000_000)]
    large_ops: usize,
    /// Print every figure as one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Demo => print!("{}", talat::demo::Demo::build().report()),
        Cmd::Bench { what: BenchCmd::Engine(args) } => bench_engine(args),
    }
}

/// Targets for the engine on the 2-core machine (issue #2).
const TARGET_OPS_PER_S: f64 = 3_000_000.0;
const TARGET_P99_NS: u64 = 2_000;

fn bench_engine(args: EngineBenchArgs) {
    let mut peers = Vec::new();
    for name in &args.peers {
        match Peer::from_name(name) {
            Some(peer) => peers.push(peer),
            None => {
                eprintln!("talat bench engine: unknown peer {name:?} (known: matchcore, orderbook-rs, lobster)");
                std::process::exit(2);
            }
        }
    }
    let cfg = RunConfig { rounds: args.rounds.max(1), latency: true, progress: !args.json };
    let mut reports = vec![run_workload(Workload::normal(args.seed, args.ops), &cfg, &peers)];
    if args.large {
        let large_cfg = RunConfig { rounds: cfg.rounds.min(3), ..cfg.clone() };
        reports.push(run_workload(Workload::large(args.seed, args.large_ops), &large_cfg, &peers));
    }
    if args.json {
        let json: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| serde_json::json!({ "report": r, "ratios": r.ratios(TalatBooks::NAME), "targets": targets(r) }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "workloads": json })).expect("plain data"));
        return;
    }
    for r in &reports {
        print!("{}", r.table());
        for ratio in r.ratios(TalatBooks::NAME) {
            println!(
                "talat vs {:<13} {:>6.2}× throughput, {} p50, {} p99",
                ratio.peer,
                ratio.throughput,
                ratio.p50.map_or("-".into(), |x| format!("{x:.2}×")),
                ratio.p99.map_or("-".into(), |x| format!("{x:.2}×"))
            );
        }
        let t = targets(r);
        println!("targets: {}", serde_json::to_string(&t).expect("plain data"));
        println!();
    }
}

fn run_workload(w: Workload, cfg: &RunConfig, peers: &[Peer]) -> Report {
    let pb = progress_bar(passes_per_engine(cfg) * (1 + peers.len() as u64), cfg.progress);
    let mut report = Report::new(WorkloadSummary::of(&w), timer_overhead_ns(&quanta_clock()));
    report.engines.push(measure(&w, cfg, &pb, TalatBooks::new));
    for &peer in peers {
        report.engines.push(run_peer(peer, &w, cfg, &pb));
    }
    pb.finish_and_clear();
    report
}

fn quanta_clock() -> quanta::Clock {
    quanta::Clock::new()
}

/// Whether talat met its targets in this run: throughput and p99 absolute on this machine,
/// and faster than every peer measured alongside.
fn targets(r: &Report) -> serde_json::Value {
    let Some(me) = r.engine(TalatBooks::NAME) else { return serde_json::Value::Null };
    let faster_than_all = r.ratios(TalatBooks::NAME).iter().all(|x| x.throughput > 1.0);
    serde_json::json!({
        "ops_per_s_at_least_3m": me.ops_per_s_median >= TARGET_OPS_PER_S,
        "p99_at_most_2us": me.p99_ns <= TARGET_P99_NS,
        "faster_than_every_peer": faster_than_all,
    })
}
