//! One saturated sequencer run (adaptive batches, real engine, real fdatasync), for profiling:
//!
//! ```text
//! cargo build --release -p talat-sequencer --example sequencer_saturated
//! perf record -g target/release/examples/sequencer_saturated [DIR] [RUN_MS] [MAX_BATCH] [CHECKPOINT_EVERY] [SNAPSHOT_EVERY]
//! ```
//! DIR (default `target/sequencer-profile`) must be on the disk to measure, not a tmpfs.

use std::path::PathBuf;
use talat_sequencer::bench::{bench_sequencer, SequencerBenchConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/sequencer-profile".into()));
    let run_ms = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3_000);
    let max_batch = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4_096);
    let checkpoint_every = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let snapshot_every = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let config = SequencerBenchConfig {
        run_ms,
        max_batches: Vec::new(),
        adaptive_max_batch: max_batch,
        offered_rate_per_s: 0,
        checkpoint_every,
        snapshot_every,
        ..SequencerBenchConfig::default()
    };
    std::fs::create_dir_all(&dir)?;
    let runs = bench_sequencer(&dir, &config, &mut |name| eprintln!("{name}"))?;
    println!("{}", serde_json::to_string_pretty(&runs)?);
    Ok(())
}
