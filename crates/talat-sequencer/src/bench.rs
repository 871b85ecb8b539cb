//! Benchmarks of the durable path with the real engine, called by `talat bench journal`:
//!
//! - [`bench_sequencer`]: commands submitted, journaled with group commit (one fdatasync per
//!   batch), executed and acknowledged, through the real sequencer thread. Saturation runs (a
//!   closed-loop client keeps the lanes full) at a maximum batch of 1, 64, 512 and "adaptive"
//!   (whatever is waiting, up to 4,096), and an open-loop run at a fixed offered rate whose ack
//!   latency runs from each command's *scheduled* arrival (no coordinated omission).
//! - [`build_journal`] + [`bench_recovery`]: a long journal with snapshots, then the time a node
//!   takes to open it (validate every segment, restore the newest snapshot, replay the tail).
//! - [`bench_replay_from_scratch`]: every command of that journal through a fresh engine,
//!   checkpoints verified.
//!
//! Figures are for this machine only; compare them with each other and with the journal-only
//! figures of the same run (`talat_journal::bench`), never across machines.

use crate::clock::SystemClock;
use crate::config::{NodeConfig, SequencerConfig, SnapshotPolicy};
use crate::error::{hex, CommitError, OpenError, SubmitError};
use crate::lane::Lane;
use crate::node::Node;
use crate::recovery::{self, micros};
use crate::replay::{self, InvariantChecks, Replayer, Until};
use crate::ticket::{NotAcknowledged, Ticket};
use crate::workload::{Workload, WorkloadConfig};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use talat_engine::{Engine, EngineConfig};
use talat_journal::storage::FsStorage;
use talat_journal::JournalConfig;

/// Latencies above this are recorded as this.
const LATENCY_MAX_NS: u64 = 60_000_000_000;
/// The open-loop producer's pacing sleep.
const PRODUCER_TICK: Duration = Duration::from_micros(50);
/// Bound on commands an open-loop client keeps in flight; beyond it arrivals are shed.
const OPEN_LOOP_IN_FLIGHT_MAX: usize = 1 << 16;
/// Commands per synchronous commit while building a journal.
const BUILD_CHUNK: usize = 4_096;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Commit(#[from] CommitError),
    #[error(transparent)]
    Submit(#[from] SubmitError),
    #[error(transparent)]
    NotAcknowledged(#[from] NotAcknowledged),
    #[error(transparent)]
    Replay(#[from] crate::ReplayError),
    #[error("benchmark I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

pub use talat_journal::bench::LatencyUs;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("static bounds are valid")
}

fn record(histogram: &mut Histogram<u64>, from: Instant, to: Instant) {
    let ns = u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX);
    histogram.saturating_record(ns.clamp(1, LATENCY_MAX_NS));
}

/// Settings of [`bench_sequencer`].
#[derive(Clone, Debug, Serialize)]
pub struct SequencerBenchConfig {
    pub run_ms: u64,
    /// Maximum batch sizes of the saturation runs.
    pub max_batches: Vec<usize>,
    /// The adaptive cap (a saturation run and the open-loop run use it).
    pub adaptive_max_batch: usize,
    pub offered_rate_per_s: u64,
    pub users: u32,
    pub markets: u16,
    pub seed: u64,
    /// Node policy during the runs (as in production: checkpoints and snapshots on).
    pub checkpoint_every: u64,
    pub snapshot_every: u64,
}

impl Default for SequencerBenchConfig {
    fn default() -> Self {
        SequencerBenchConfig {
            run_ms: 2_000,
            max_batches: vec![1, 64, 512],
            adaptive_max_batch: 4_096,
            offered_rate_per_s: 100_000,
            users: 1_000,
            markets: 2,
            seed: 42,
            checkpoint_every: 1_000_000,
            snapshot_every: 1_000_000,
        }
    }
}

/// Figures of one sequencer run.
#[derive(Clone, Debug, Serialize)]
pub struct SequencerRun {
    /// "max-batch-64", "adaptive", …
    pub mode: String,
    /// `None` for saturation runs.
    pub offered_rate_per_s: Option<u64>,
    pub acknowledged: u64,
    /// Refused at submission (lane full) or shed by the open-loop client (too many in flight).
    pub refused: u64,
    pub batches: u64,
    pub elapsed_ms: f64,
    pub commands_per_s: f64,
    pub mean_batch: f64,
    /// Saturation: submission to acknowledgement. Open loop: scheduled arrival to
    /// acknowledgement.
    pub ack_latency_us: LatencyUs,
    /// Checkpoints journaled during the run and the mean time the sequencer spent hashing the
    /// state for one (it stalls the pipeline for that long).
    pub checkpoints: u64,
    pub checkpoint_hash_ms_mean: f64,
    /// Snapshots taken during the run and the mean time spent copying the state for one.
    pub snapshots: u64,
    pub snapshot_copy_ms_mean: f64,
}

fn node_config(checkpoint_every: u64, snapshot_every: u64, archive: bool) -> NodeConfig {
    NodeConfig {
        journal: JournalConfig::default(),
        engine: EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() },
        checkpoint_every_commands: checkpoint_every,
        snapshots: SnapshotPolicy { every_commands: snapshot_every, every_ms: 0, keep: 2, archive_covered_segments: archive, background: true },
    }
}

fn fresh_dir(dir: &Path, name: &str) -> Result<PathBuf, BenchError> {
    let path = dir.join(name);
    if path.exists() {
        std::fs::remove_dir_all(&path)?;
    }
    std::fs::create_dir_all(&path)?;
    Ok(path)
}

/// Runs the sequencer benchmark in subdirectories of `dir` (removed afterwards). `progress` is
/// told each run's name before it starts.
pub fn bench_sequencer(dir: &Path, config: &SequencerBenchConfig, progress: &mut dyn FnMut(&str)) -> Result<Vec<SequencerRun>, BenchError> {
    let mut runs = Vec::new();
    let mut modes: Vec<(String, usize, Option<u64>)> = config.max_batches.iter().map(|&n| (format!("max-batch-{n}"), n, None)).collect();
    modes.push(("adaptive".into(), config.adaptive_max_batch, None));
    // An offered rate of 0 skips the open-loop run.
    if config.offered_rate_per_s > 0 {
        modes.push(("adaptive".into(), config.adaptive_max_batch, Some(config.offered_rate_per_s)));
    }
    for (index, (mode, max_batch, rate)) in modes.into_iter().enumerate() {
        progress(&match rate {
            Some(rate) => format!("{mode} open loop at {rate}/s"),
            None => format!("{mode} saturated"),
        });
        let path = fresh_dir(dir, &format!("sequencer-{index}"))?;
        let run = run_sequencer(&path, config, mode, max_batch, rate);
        std::fs::remove_dir_all(&path)?;
        runs.push(run?);
    }
    Ok(runs)
}

fn run_sequencer(path: &Path, config: &SequencerBenchConfig, mode: String, max_batch: usize, rate: Option<u64>) -> Result<SequencerRun, BenchError> {
    run_sequencer_prepared(path, config, mode, max_batch, rate, &mut |_| Ok(()))
}

/// One sequencer run (saturated when `rate` is `None`, else open loop at `rate`) in `path`,
/// with `prepare` given the node after the workload's setup and before the timed run: the
/// replication benchmark attaches a standby there.
pub fn run_sequencer_prepared(
    path: &Path,
    config: &SequencerBenchConfig,
    mode: String,
    max_batch: usize,
    rate: Option<u64>,
    prepare: &mut dyn FnMut(&mut Node) -> Result<(), String>,
) -> Result<SequencerRun, BenchError> {
    let mut workload = Workload::new(WorkloadConfig { seed: config.seed, users: config.users, markets: config.markets, ..WorkloadConfig::default() });
    let mut node = Node::open(path, node_config(config.checkpoint_every, config.snapshot_every, true), SystemClock)?;
    for outcome in node.commit(workload.setup())? {
        workload.observe(&outcome.events);
    }
    prepare(&mut node).map_err(BenchError::Other)?;
    let before = node.stats();
    let sequencer = node.start(SequencerConfig { max_batch_commands: max_batch, ..SequencerConfig::default() });
    let handle = sequencer.handle();
    let run = Duration::from_millis(config.run_ms);
    let mut latencies = histogram();
    let mut in_flight: VecDeque<(Ticket, Instant)> = VecDeque::new();
    let (mut acknowledged, mut refused) = (0u64, 0u64);
    let mut last_ack = Instant::now();
    let mut settle = |ticket: Ticket, from: Instant, workload: &mut Workload| {
        let (result, at) = ticket.wait_timed();
        let outcome = result?;
        workload.observe(&outcome.events);
        record(&mut latencies, from, at);
        acknowledged += 1;
        last_ack = at;
        Ok::<(), BenchError>(())
    };
    let start = Instant::now();
    let deadline = start + run;
    match rate {
        None => {
            // Closed loop: keep two batches' worth in flight so a full batch always waits.
            let window = (2 * max_batch).max(2);
            while Instant::now() < deadline {
                while in_flight.len() < window {
                    let command = workload.next_command();
                    let lane = Lane::of(&command);
                    match handle.submit(command, lane) {
                        Ok(ticket) => in_flight.push_back((ticket, Instant::now())),
                        Err(SubmitError::Busy { .. }) => {
                            refused += 1;
                            break;
                        }
                        Err(other) => return Err(other.into()),
                    }
                }
                if let Some((ticket, from)) = in_flight.pop_front() {
                    settle(ticket, from, &mut workload)?;
                }
            }
        }
        Some(rate) => {
            assert!(rate > 0);
            let interval_ns = 1_000_000_000 / rate as u128;
            let mut next = 0u128;
            while Instant::now() < deadline {
                let due = start.elapsed().as_nanos() / interval_ns.max(1);
                while next < due {
                    let scheduled = start + Duration::from_nanos((next * interval_ns) as u64);
                    next += 1;
                    if in_flight.len() >= OPEN_LOOP_IN_FLIGHT_MAX {
                        refused += 1;
                        continue;
                    }
                    let command = workload.next_command();
                    let lane = Lane::of(&command);
                    match handle.submit(command, lane) {
                        Ok(ticket) => in_flight.push_back((ticket, scheduled)),
                        Err(SubmitError::Busy { .. }) => refused += 1,
                        Err(other) => return Err(other.into()),
                    }
                }
                while in_flight.front().is_some_and(|(ticket, _)| ticket.is_ready()) {
                    let (ticket, from) = in_flight.pop_front().expect("front exists");
                    settle(ticket, from, &mut workload)?;
                }
                std::thread::sleep(PRODUCER_TICK);
            }
        }
    }
    while let Some((ticket, from)) = in_flight.pop_front() {
        settle(ticket, from, &mut workload)?;
    }
    let node = sequencer.shutdown().map_err(|reason| BenchError::Other(reason.to_string()))?;
    let after = node.stats();
    let batches = after.batches - before.batches;
    let checkpoints = after.checkpoints - before.checkpoints;
    let snapshots = after.snapshots_taken - before.snapshots_taken;
    let mean_ms = |us: u64, n: u64| us as f64 / 1_000.0 / n.max(1) as f64;
    node.close()?;
    let elapsed = last_ack.saturating_duration_since(start);
    let elapsed_s = elapsed.as_secs_f64().max(1e-9);
    Ok(SequencerRun {
        mode,
        offered_rate_per_s: rate,
        acknowledged,
        refused,
        batches,
        elapsed_ms: elapsed_s * 1_000.0,
        commands_per_s: acknowledged as f64 / elapsed_s,
        mean_batch: acknowledged as f64 / batches.max(1) as f64,
        ack_latency_us: LatencyUs::from_ns(&latencies),
        checkpoints,
        checkpoint_hash_ms_mean: mean_ms(after.checkpoint_hash_us - before.checkpoint_hash_us, checkpoints),
        snapshots,
        snapshot_copy_ms_mean: mean_ms(after.snapshot_copy_us - before.snapshot_copy_us, snapshots),
    })
}

/// Settings of [`build_journal`].
#[derive(Clone, Debug, Serialize)]
pub struct BuildConfig {
    /// Commands in the journal, setup included.
    pub commands: u64,
    pub checkpoint_every: u64,
    pub snapshot_every: u64,
    pub users: u32,
    pub markets: u16,
    pub seed: u64,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            commands: 10_000_000,
            checkpoint_every: 1_000_000,
            // Snapshots at 1.5 M, 3 M, … 9 M: recovery of 10 M replays a 1 M-command tail.
            snapshot_every: 1_500_000,
            users: 1_000,
            markets: 2,
            seed: 7,
        }
    }
}

/// What [`build_journal`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BuildReport {
    pub commands: u64,
    pub journal_records: u64,
    pub journal_bytes: u64,
    pub snapshots_written: u64,
    pub elapsed_ms: f64,
    /// Commands journaled (group commit of 4,096, fdatasync each) and executed per second.
    pub commands_per_s: f64,
    pub state_hash: String,
}

/// Writes a journal of `config.commands` real commands into `dir` (which must not hold one)
/// through a node's synchronous commit, with checkpoints and background snapshots; no segment is
/// archived, so recovery has the whole journal to validate.
pub fn build_journal(dir: &Path, config: &BuildConfig, progress: &mut dyn FnMut(u64, u64)) -> Result<BuildReport, BenchError> {
    let mut workload = Workload::new(WorkloadConfig { seed: config.seed, users: config.users, markets: config.markets, ..WorkloadConfig::default() });
    let mut node = Node::open(dir, node_config(config.checkpoint_every, config.snapshot_every, false), SystemClock)?;
    if node.engine().last_seq() != 0 {
        return Err(BenchError::Other(format!("{} already holds a journal", dir.display())));
    }
    let start = Instant::now();
    let setup = workload.setup();
    let total = config.commands.max(setup.len() as u64);
    for outcome in node.commit(setup)? {
        workload.observe(&outcome.events);
    }
    let mut done = node.engine().last_seq();
    // Each pass commits one chunk.
    while done < total {
        let n = (total - done).min(BUILD_CHUNK as u64) as usize;
        let chunk: Vec<_> = (0..n).map(|_| workload.next_command()).collect();
        for outcome in node.commit(chunk)? {
            workload.observe(&outcome.events);
        }
        done = node.engine().last_seq();
        progress(done, total);
    }
    let elapsed = start.elapsed();
    let span = node.journal_span();
    let state_hash = hex(&node.engine().state_hash());
    let stats = node.close()?;
    Ok(BuildReport {
        commands: done,
        journal_records: span.next_seq - span.first_seq,
        journal_bytes: dir_bytes(&crate::datadir::journal_dir(dir))?,
        snapshots_written: stats.snapshots_written,
        elapsed_ms: elapsed.as_secs_f64() * 1_000.0,
        commands_per_s: done as f64 / elapsed.as_secs_f64().max(1e-9),
        state_hash,
    })
}

fn dir_bytes(dir: &Path) -> Result<u64, BenchError> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

/// Figures of [`bench_recovery`].
#[derive(Clone, Debug, Serialize)]
pub struct RecoveryReport {
    pub journal_records: u64,
    pub snapshot_command_seq: Option<u64>,
    pub tail_commands: u64,
    pub total_ms: f64,
    /// Reading and validating every segment (talat-journal's open).
    pub journal_open_ms: f64,
    pub snapshot_restore_ms: f64,
    pub tail_replay_ms: f64,
    pub state_hash: String,
}

/// Opens the node in `dir` (as a restart would) and reports how long recovery took.
pub fn bench_recovery(dir: &Path) -> Result<RecoveryReport, BenchError> {
    let start = Instant::now();
    let node = Node::open(dir, node_config(1_000_000, 0, false), SystemClock)?;
    let total = start.elapsed();
    let info = node.recovery().clone();
    let state_hash = hex(&node.engine().state_hash());
    node.close()?;
    let ms = |us: u64| us as f64 / 1_000.0;
    Ok(RecoveryReport {
        journal_records: info.journal_records,
        snapshot_command_seq: info.snapshot.as_ref().map(|s| s.command_seq),
        tail_commands: info.replayed.commands,
        total_ms: total.as_secs_f64() * 1_000.0,
        journal_open_ms: ms(info.journal_open_us),
        snapshot_restore_ms: ms(info.snapshot_restore_us),
        tail_replay_ms: ms(info.replay_us),
        state_hash,
    })
}

/// Figures of [`bench_replay_from_scratch`].
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    pub commands: u64,
    pub checkpoints_verified: u64,
    /// Journal open (validation) excluded: reading, decoding and applying every record.
    pub elapsed_ms: f64,
    pub commands_per_s: f64,
    pub state_hash: String,
}

/// Replays every command of the journal in `dir` through a fresh engine (no snapshot),
/// verifying every checkpoint, and checks every invariant at the end.
pub fn bench_replay_from_scratch(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<ReplayReport, BenchError> {
    let _lock = crate::datadir::DirLock::acquire(dir)?;
    let parts = recovery::open_parts(&FsStorage, dir, JournalConfig::default(), None)?;
    let span = parts.journal.span();
    if span.first_seq != talat_journal::GENESIS_SEQ {
        return Err(BenchError::Other("the journal does not start at genesis (segments archived)".into()));
    }
    let total = span.next_seq - span.first_seq;
    let mut replayer = Replayer::new(Engine::new(parts.engine_config.clone()), 0, InvariantChecks::AtEnd);
    let mut reader = parts.journal.read_from(1).map_err(OpenError::from)?;
    let start = Instant::now();
    replay::run(&mut replayer, &mut reader, Until::End, &mut |_, _| Ok(()), &mut |stats| progress(stats.records, total))?;
    let elapsed = start.elapsed();
    replayer.finish().map_err(|fault| BenchError::Other(fault.to_string()))?;
    let stats = replayer.stats();
    tracing::debug!(replay_us = micros(elapsed), "replayed from scratch");
    Ok(ReplayReport {
        commands: stats.commands,
        checkpoints_verified: stats.checkpoints,
        elapsed_ms: elapsed.as_secs_f64() * 1_000.0,
        commands_per_s: stats.commands as f64 / elapsed.as_secs_f64().max(1e-9),
        state_hash: hex(&replayer.engine().state_hash()),
    })
}
