//! Measures group commit and replay on real files and prints the figures as JSON.
//!
//! ```text
//! cargo run --release -p talat-journal --example journal_bench -- [DIR] [REPLAY_RECORDS] [OFFERED_RATE_PER_S]
//! ```
//! DIR (default `target/journal-bench`) must be on the disk to measure, not a tmpfs. The runs
//! clean up after themselves; the replay journal is removed at the end.

use std::path::PathBuf;
use talat_journal::bench::{bench_group_commit, bench_replay, write_sample_journal, GroupCommitConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/journal-bench".to_string()));
    let replay_records: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2_000_000);

    let mut config = GroupCommitConfig::default();
    if let Some(rate) = args.next() {
        config.offered_rate_per_s = rate.parse()?;
    }
    let report = bench_group_commit(&dir, &config)?;
    println!("{}", serde_json::to_string_pretty(&report)?);

    let replay_dir = dir.join("replay");
    if replay_dir.exists() {
        std::fs::remove_dir_all(&replay_dir)?;
    }
    write_sample_journal(&replay_dir, replay_records, config.payload_bytes, 4096)?;
    let replay = bench_replay(&replay_dir)?;
    println!("{}", serde_json::to_string_pretty(&replay)?);
    std::fs::remove_dir_all(&replay_dir)?;
    Ok(())
}
