//! `talat bench replication`: what a standby costs the primary. The same sequencer run (real
//! engine, real fdatasync, the workload of `talat bench journal`) three ways in one process:
//! alone, with an asynchronous standby, and with a synchronous one (acknowledged only once
//! the standby's journal holds the command too), the standby following over loopback TCP with
//! its own fdatasync. Saturated throughput and open-loop acknowledgement latency, as ratios
//! against the run alone. Both nodes share this machine's cores and disk. Wiring only.

use crate::progress;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use talat_continuity::link::{self, PrimaryLink, StandbyConfig, StandbyControl};
use talat_sequencer::bench::{run_sequencer_prepared, SequencerBenchConfig, SequencerRun};
use talat_sequencer::{AckMode, NodeConfig, ReplicaGate, WhenStandbyGone};

#[derive(clap::Args, Clone, Debug)]
pub struct ReplicationBenchArgs {
    /// Length of each timed run.
    #[arg(long, default_value_t = 3_000)]
    pub run_ms: u64,
    /// Offered rate of the open-loop runs (commands/s).
    #[arg(long, default_value_t = 20_000)]
    pub rate: u64,
    /// Scratch directory (default: the system's temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModeFigures {
    pub mode: &'static str,
    pub saturated: SequencerRun,
    pub open_loop: SequencerRun,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicationBench {
    pub modes: Vec<ModeFigures>,
    /// Saturated commands/s of each mode over the run alone.
    pub throughput_vs_alone: Vec<(String, f64)>,
    /// Open-loop p99 acknowledgement latency of each mode minus the run alone's, in µs.
    pub added_p99_us: Vec<(String, f64)>,
}

pub fn run(args: &ReplicationBenchArgs) -> Result<String, String> {
    let scratch = args.dir.clone().unwrap_or_else(std::env::temp_dir).join(format!("talat-bench-replication-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let result = measure(args, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let bench = result?;
    if args.json {
        return serde_json::to_string_pretty(&bench).map_err(|e| e.to_string());
    }
    let alone = &bench.modes[0];
    let mut out = String::from("| standby | saturated commands/s | vs alone | open loop p50 µs | p99 µs | p99 added µs |\n|---|---|---|---|---|---|\n");
    for figures in &bench.modes {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2}× | {:.0} | {:.0} | {:.0} |\n",
            figures.mode,
            figures.saturated.commands_per_s,
            figures.saturated.commands_per_s / alone.saturated.commands_per_s.max(1e-9),
            figures.open_loop.ack_latency_us.p50,
            figures.open_loop.ack_latency_us.p99,
            figures.open_loop.ack_latency_us.p99 - alone.open_loop.ack_latency_us.p99,
        ));
    }
    out.push_str(&format!("\nopen loop at {} commands/s offered; {} ms per run; both nodes on this machine\n", args.rate, args.run_ms));
    Ok(out)
}

fn measure(args: &ReplicationBenchArgs, scratch: &Path) -> Result<ReplicationBench, String> {
    let config = SequencerBenchConfig { run_ms: args.run_ms, offered_rate_per_s: args.rate, ..SequencerBenchConfig::default() };
    let modes: [(&'static str, Option<AckMode>); 3] =
        [("none", None), ("async", Some(AckMode::Async)), ("sync", Some(AckMode::Sync { when_gone: WhenStandbyGone::Strict, standby_timeout_ms: 10_000 }))];
    let bar = progress::bar(6, !args.json, "bench replication", "runs");
    let mut figures = Vec::new();
    for (mode, ack) in modes {
        let mut runs = Vec::new();
        for (index, rate) in [None, Some(args.rate)].into_iter().enumerate() {
            bar.set_message(format!("{mode} {}", if rate.is_some() { "open loop" } else { "saturated" }));
            let dir = scratch.join(format!("{mode}-{index}"));
            runs.push(one_run(&dir, &config, ack, rate).map_err(|e| format!("{mode}: {e}"))?);
            let _ = std::fs::remove_dir_all(&dir);
            bar.inc(1);
        }
        let open_loop = runs.pop().expect("two runs");
        let saturated = runs.pop().expect("two runs");
        figures.push(ModeFigures { mode, saturated, open_loop });
    }
    bar.finish_and_clear();
    let alone = figures[0].clone();
    Ok(ReplicationBench {
        throughput_vs_alone: figures.iter().map(|f| (f.mode.to_string(), f.saturated.commands_per_s / alone.saturated.commands_per_s.max(1e-9))).collect(),
        added_p99_us: figures.iter().map(|f| (f.mode.to_string(), f.open_loop.ack_latency_us.p99 - alone.open_loop.ack_latency_us.p99)).collect(),
        modes: figures,
    })
}

/// One sequencer run in `dir/primary`, with a standby in `dir/standby` when `ack` is set.
fn one_run(dir: &Path, config: &SequencerBenchConfig, ack: Option<AckMode>, rate: Option<u64>) -> Result<SequencerRun, String> {
    let primary_dir = dir.join("primary");
    std::fs::create_dir_all(&primary_dir).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let control = Arc::new(StandbyControl::default());
    let mut threads = None;
    let mut prepare = |node: &mut talat_sequencer::Node| -> Result<(), String> {
        let Some(ack) = ack else {
            return Ok(());
        };
        let gate = Arc::new(ReplicaGate::new(ack));
        node.set_replication(Arc::clone(&gate));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let peer = listener.local_addr().map_err(|e| e.to_string())?;
        let link = link::serve_standbys(
            listener,
            PrimaryLink { data_dir: primary_dir.clone(), journal: node.reader_source(), gate: Arc::clone(&gate) },
            Arc::clone(&stop),
        );
        let mut node_config = NodeConfig::default();
        node_config.engine.check_invariants_every_command = false;
        let standby_config = StandbyConfig { data_dir: dir.join("standby"), node: node_config, peer, node_id: "bench-standby".into(), reconnect_ms: 20 };
        let follower = {
            let control = Arc::clone(&control);
            std::thread::spawn(move || link::run_standby(&standby_config, &control))
        };
        // The standby first catches up with the setup (bounded wait: 60 s).
        let end = node.journal_span().next_seq;
        for _ in 0..6_000 {
            if gate.status().standby_next_seq >= end {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if gate.status().standby_next_seq < end {
            return Err("the standby did not catch up with the setup within 60 s".into());
        }
        threads = Some((link, follower));
        Ok(())
    };
    let mode = if rate.is_some() { "open-loop" } else { "saturated" };
    let run = run_sequencer_prepared(&primary_dir, config, mode.into(), config.adaptive_max_batch, rate, &mut prepare).map_err(|e| e.to_string());
    if let Some((link, follower)) = threads {
        control.request_promotion();
        stop.store(true, Ordering::Release);
        let _ = link.join();
        if let Ok(Ok(node)) = follower.join() {
            let _ = node.close();
        }
    }
    run
}
