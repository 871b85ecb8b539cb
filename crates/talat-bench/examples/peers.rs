//! Runs the peer engines on a generated workload and prints the table.
//!
//! ```text
//! cargo run --release -p talat-bench --example peers -- [normal|large] [--ops N] [--rounds R]
//!     [--seed S] [--peers matchcore,orderbook-rs,lobster] [--no-latency] [--no-sweep] [--json FILE]
//! ```
//! The `talat bench engine` command is the supported front end; this
//! example exists so the crate can be exercised on its own.

use std::process::ExitCode;

use talat_bench::peers::Peer;
use talat_bench::runner::{run_peers, RunConfig};
use talat_bench::workload::{generate, WorkloadConfig};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut kind = "normal".to_string();
    let mut sweep = true;
    let (mut ops, mut seed, mut json) = (None, 42u64, None);
    let mut cfg = RunConfig::default();
    let mut peers = Peer::ALL.to_vec();
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--ops" => ops = val().parse().ok(),
            "--rounds" => cfg.rounds = val().parse().unwrap_or(cfg.rounds),
            "--seed" => seed = val().parse().unwrap_or(seed),
            "--no-latency" => cfg.latency = false,
            "--no-sweep" => sweep = false,
            "--json" => json = Some(val()),
            "--peers" => {
                let names = val();
                peers = names.split(',').filter_map(Peer::from_name).collect();
                if peers.is_empty() {
                    eprintln!("no known peer in {names:?}; known: matchcore, orderbook-rs, lobster");
                    return ExitCode::FAILURE;
                }
            }
            "normal" | "large" => kind = a,
            other => {
                eprintln!("unknown argument {other:?}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut wcfg = match kind.as_str() {
        "large" => WorkloadConfig::large(seed, ops.unwrap_or(3_000_000)),
        _ => WorkloadConfig::normal(seed, ops.unwrap_or(3_000_000)),
    };
    wcfg.sweep = sweep;
    eprintln!("generating {kind} workload ...");
    let w = generate(&wcfg);
    let report = run_peers(&w, &cfg, &peers);
    print!("{}", report.table());
    print!("{}", report.ratio_lines(peers[0].name()));
    if let Some(path) = json {
        if let Err(e) = std::fs::write(&path, report.to_json()) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
