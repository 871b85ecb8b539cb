//! Benchmarks on real files: group-commit throughput and acknowledgement latency, and raw replay
//! throughput. Called by `talat bench journal`; the figures are only meaningful relative to each
//! other on the same machine (a virtual disk may cache, see the domain notes §7.2).
//!
//! Two kinds of run:
//! - **Saturation** (closed loop): fixed-size batches written back to back. Every command in a
//!   batch is acknowledged when the batch's `append_batch` returns, so ack latency = batch time.
//! - **Open loop**: a producer thread offers commands at a fixed rate into a bounded admission
//!   queue (full queue: the command is shed, as the gateway would reject it). The writer takes
//!   either exactly N commands per batch, or ("adaptive") whatever accumulated while the previous
//!   fdatasync ran. Ack latency runs from the moment the command was *scheduled* to arrive, so a
//!   writer that falls behind is charged for it (no coordinated omission).

use crate::error::{AppendError, JournalError};
use crate::frame::Record;
use crate::journal::{Journal, JournalConfig};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvError, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

/// Latencies above this are recorded as this (hdrhistogram's range must be bounded).
const LATENCY_MAX_NS: u64 = 60_000_000_000;
/// The producer's pacing sleep; at 100k commands/s about five commands come due per wake-up.
const PRODUCER_TICK_US: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error("benchmark I/O: {0}")]
    Io(#[from] io::Error),
}

/// Settings of [`bench_group_commit`].
#[derive(Clone, Debug, Serialize)]
pub struct GroupCommitConfig {
    /// Bytes per command payload (an encoded order command is about 64).
    pub payload_bytes: usize,
    /// Offered load of the open-loop runs.
    pub offered_rate_per_s: u64,
    /// Length of each run.
    pub run_duration_ms: u64,
    /// Fixed batch sizes, run both saturated and open loop.
    pub fixed_batch_sizes: Vec<usize>,
    /// Cap on an adaptive batch.
    pub adaptive_max_batch: usize,
    /// Bound of the open-loop admission queue; arrivals beyond it are shed.
    pub admission_queue_capacity: usize,
    pub segment_max_bytes: u64,
}

impl Default for GroupCommitConfig {
    fn default() -> Self {
        GroupCommitConfig {
            payload_bytes: 64,
            offered_rate_per_s: 100_000,
            run_duration_ms: 2_000,
            fixed_batch_sizes: vec![1, 64, 512],
            adaptive_max_batch: 4_096,
            admission_queue_capacity: 16_384,
            segment_max_bytes: 64 << 20,
        }
    }
}

/// Latency percentiles in microseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LatencyUs {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl LatencyUs {
    /// Percentiles of a histogram recorded in nanoseconds (shared with the sequencer's bench).
    pub fn from_ns(histogram: &Histogram<u64>) -> Self {
        let us = |ns: u64| ns as f64 / 1_000.0;
        if histogram.is_empty() {
            return LatencyUs::default();
        }
        LatencyUs {
            p50: us(histogram.value_at_quantile(0.50)),
            p90: us(histogram.value_at_quantile(0.90)),
            p99: us(histogram.value_at_quantile(0.99)),
            p999: us(histogram.value_at_quantile(0.999)),
            max: us(histogram.max()),
            mean: histogram.mean() / 1_000.0,
        }
    }
}

/// Figures of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// "fixed-64", "adaptive", …
    pub mode: String,
    /// `None` for saturation runs.
    pub offered_rate_per_s: Option<u64>,
    /// Commands acknowledged (durable).
    pub records: u64,
    /// Open loop: commands shed because the admission queue was full (the writer fell behind).
    pub shed: u64,
    /// Group commits, i.e. fdatasyncs of batches.
    pub batches: u64,
    pub elapsed_ms: f64,
    pub commands_per_s: f64,
    pub syncs_per_s: f64,
    pub mean_batch_records: f64,
    /// Per command: scheduled arrival (open loop) or batch start (saturation) to acknowledgement.
    pub ack_latency_us: LatencyUs,
    /// Per batch: duration of `append_batch` (write + fdatasync).
    pub batch_latency_us: LatencyUs,
}

/// Everything [`bench_group_commit`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct GroupCommitReport {
    pub config: GroupCommitConfig,
    pub saturation: Vec<RunReport>,
    pub open_loop: Vec<RunReport>,
}

/// Figures of [`bench_replay`].
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    pub records: u64,
    pub bytes: u64,
    /// `Journal::open`: reading and validating every segment.
    pub open_ms: f64,
    /// Reading every record in order through a [`crate::JournalReader`].
    pub read_ms: f64,
    pub records_per_s: f64,
    pub mib_per_s: f64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("static bounds are valid")
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Runs every configured batch mode in a fresh subdirectory of `dir` (removed afterwards).
pub fn bench_group_commit(dir: &Path, config: &GroupCommitConfig) -> Result<GroupCommitReport, BenchError> {
    assert!(config.payload_bytes <= JournalConfig::default().max_payload_bytes);
    assert!(config.offered_rate_per_s > 0 && config.run_duration_ms > 0);
    assert!(config.adaptive_max_batch >= 1 && config.admission_queue_capacity >= 1);
    std::fs::create_dir_all(dir)?;
    let mut saturation = Vec::new();
    for &batch in &config.fixed_batch_sizes {
        assert!(batch >= 1);
        let run_dir = fresh_dir(dir, &format!("saturation-{batch}"))?;
        saturation.push(run_saturation(&run_dir, config, batch)?);
        std::fs::remove_dir_all(&run_dir)?;
    }
    let mut open_loop = Vec::new();
    let modes = config.fixed_batch_sizes.iter().map(|&b| Batching::Fixed(b)).chain([Batching::Adaptive]);
    for mode in modes {
        let run_dir = fresh_dir(dir, &format!("open-{}", mode.name()))?;
        open_loop.push(run_open_loop(&run_dir, config, mode)?);
        std::fs::remove_dir_all(&run_dir)?;
    }
    Ok(GroupCommitReport { config: config.clone(), saturation, open_loop })
}

fn fresh_dir(parent: &Path, name: &str) -> io::Result<PathBuf> {
    let dir = parent.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(dir)
}

fn journal_config(config: &GroupCommitConfig) -> JournalConfig {
    JournalConfig { segment_max_bytes: config.segment_max_bytes, ..JournalConfig::default() }
}

fn run_saturation(dir: &Path, config: &GroupCommitConfig, batch: usize) -> Result<RunReport, BenchError> {
    let mut journal = Journal::open(dir, journal_config(config))?;
    let payload = vec![0x5A; config.payload_bytes];
    let mut records: Vec<Record<'_>> = Vec::with_capacity(batch);
    let mut batch_ns = histogram();
    let mut ack_ns = histogram();
    let (mut acked, mut batches) = (0u64, 0u64);
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.run_duration_ms);
    // Bounded by the deadline.
    while Instant::now() < deadline {
        let next_seq = journal.next_seq();
        let timestamp_ms = start.elapsed().as_millis() as u64;
        records.clear();
        records.extend((0..batch as u64).map(|i| Record::command(next_seq + i, timestamp_ms, &payload)));
        let began = Instant::now();
        journal.append_batch(&records)?;
        let took_ns = nanos(began.elapsed());
        batch_ns.saturating_record(took_ns);
        ack_ns.saturating_record_n(took_ns, batch as u64);
        acked += batch as u64;
        batches += 1;
    }
    let elapsed = start.elapsed();
    Ok(report(format!("fixed-{batch}"), None, acked, 0, batches, elapsed, &ack_ns, &batch_ns))
}

#[derive(Clone, Copy, Debug)]
enum Batching {
    Fixed(usize),
    Adaptive,
}

impl Batching {
    fn name(self) -> String {
        match self {
            Batching::Fixed(n) => format!("fixed-{n}"),
            Batching::Adaptive => "adaptive".to_string(),
        }
    }
}

/// Offers commands at `rate_per_s` for `duration` into `queue`; returns (offered, shed).
fn produce(queue: mpsc::SyncSender<Instant>, rate_per_s: u64, duration: Duration) -> (u64, u64) {
    let start = Instant::now();
    let (mut offered, mut shed) = (0u64, 0u64);
    let total = (rate_per_s as u128 * duration.as_nanos() / 1_000_000_000) as u64;
    // Bounded: ends once `total` commands were offered, or the deadline passed.
    while offered < total {
        let elapsed = start.elapsed();
        if elapsed >= duration {
            break;
        }
        let due = ((rate_per_s as u128 * elapsed.as_nanos()) / 1_000_000_000) as u64;
        while offered < due.min(total) {
            let scheduled = start + Duration::from_nanos((offered as u128 * 1_000_000_000 / rate_per_s as u128) as u64);
            match queue.try_send(scheduled) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => shed += 1,
                Err(TrySendError::Disconnected(_)) => return (offered, shed),
            }
            offered += 1;
        }
        std::thread::sleep(Duration::from_micros(PRODUCER_TICK_US));
    }
    (offered, shed)
}

fn run_open_loop(dir: &Path, config: &GroupCommitConfig, mode: Batching) -> Result<RunReport, BenchError> {
    let mut journal = Journal::open(dir, journal_config(config))?;
    let payload = vec![0x5A; config.payload_bytes];
    let max_batch = match mode {
        Batching::Fixed(n) => n,
        Batching::Adaptive => config.adaptive_max_batch,
    };
    let (sender, queue) = mpsc::sync_channel::<Instant>(config.admission_queue_capacity);
    let rate = config.offered_rate_per_s;
    let duration = Duration::from_millis(config.run_duration_ms);
    let producer = std::thread::spawn(move || produce(sender, rate, duration));

    let mut pending: Vec<Instant> = Vec::with_capacity(max_batch);
    let mut records: Vec<Record<'_>> = Vec::with_capacity(max_batch);
    let mut batch_ns = histogram();
    let mut ack_ns = histogram();
    let (mut acked, mut batches) = (0u64, 0u64);
    let start = Instant::now();
    // Ends when the producer is done and the queue (bounded) is drained.
    loop {
        pending.clear();
        let open = match mode {
            Batching::Fixed(n) => fill_blocking(&queue, &mut pending, n),
            Batching::Adaptive => fill_adaptive(&queue, &mut pending, max_batch),
        };
        if pending.is_empty() {
            assert!(!open);
            break;
        }
        let next_seq = journal.next_seq();
        let timestamp_ms = start.elapsed().as_millis() as u64;
        records.clear();
        records.extend((0..pending.len() as u64).map(|i| Record::command(next_seq + i, timestamp_ms, &payload)));
        let began = Instant::now();
        journal.append_batch(&records)?;
        let acked_at = Instant::now();
        batch_ns.saturating_record(nanos(acked_at - began));
        for &scheduled in &pending {
            ack_ns.saturating_record(nanos(acked_at.saturating_duration_since(scheduled)));
        }
        acked += pending.len() as u64;
        batches += 1;
        if !open {
            break;
        }
    }
    let elapsed = start.elapsed();
    let (offered, shed) = producer.join().expect("producer thread does not panic");
    assert_eq!(offered, acked + shed, "every offered command is acknowledged or shed");
    Ok(report(mode.name(), Some(rate), acked, shed, batches, elapsed, &ack_ns, &batch_ns))
}

/// Blocks until exactly `n` commands are pending or the producer is gone; returns whether the
/// queue is still open.
fn fill_blocking(queue: &mpsc::Receiver<Instant>, pending: &mut Vec<Instant>, n: usize) -> bool {
    while pending.len() < n {
        match queue.recv() {
            Ok(scheduled) => pending.push(scheduled),
            Err(RecvError) => return false,
        }
    }
    true
}

/// Blocks for one command, then takes whatever else is already queued, up to `max`.
fn fill_adaptive(queue: &mpsc::Receiver<Instant>, pending: &mut Vec<Instant>, max: usize) -> bool {
    match queue.recv() {
        Ok(scheduled) => pending.push(scheduled),
        Err(RecvError) => return false,
    }
    while pending.len() < max {
        match queue.try_recv() {
            Ok(scheduled) => pending.push(scheduled),
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => return false,
        }
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn report(
    mode: String,
    offered_rate_per_s: Option<u64>,
    records: u64,
    shed: u64,
    batches: u64,
    elapsed: Duration,
    ack_ns: &Histogram<u64>,
    batch_ns: &Histogram<u64>,
) -> RunReport {
    let seconds = elapsed.as_secs_f64();
    RunReport {
        mode,
        offered_rate_per_s,
        records,
        shed,
        batches,
        elapsed_ms: seconds * 1_000.0,
        commands_per_s: records as f64 / seconds,
        syncs_per_s: batches as f64 / seconds,
        mean_batch_records: if batches == 0 { 0.0 } else { records as f64 / batches as f64 },
        ack_latency_us: LatencyUs::from_ns(ack_ns),
        batch_latency_us: LatencyUs::from_ns(batch_ns),
    }
}

/// Writes a journal of `records` commands of `payload_bytes` each in batches of `batch_records`
/// into `dir` (which must not hold a journal yet), e.g. to feed [`bench_replay`].
pub fn write_sample_journal(dir: &Path, records: u64, payload_bytes: usize, batch_records: usize) -> Result<(), BenchError> {
    assert!(batch_records >= 1);
    let mut journal = Journal::open(dir, JournalConfig::default())?;
    assert_eq!(journal.span().first_seq, journal.span().next_seq, "sample journal directory must be empty");
    let mut payload = vec![0u8; payload_bytes];
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(batch_records);
    let first_seq = journal.next_seq();
    let end_seq = first_seq + records;
    // Bounded: each pass appends at least one record until `end_seq`.
    while journal.next_seq() < end_seq {
        let next_seq = journal.next_seq();
        let count = (end_seq - next_seq).min(batch_records as u64);
        batch.clear();
        for seq in next_seq..next_seq + count {
            // Vary the payload so that checksums are not computed over identical bytes.
            payload.iter_mut().zip(seq.to_le_bytes().iter().cycle()).for_each(|(b, s)| *b = *s);
            batch.push(payload.clone());
        }
        let records: Vec<Record<'_>> = batch.iter().enumerate().map(|(i, p)| Record::command(next_seq + i as u64, next_seq, p)).collect();
        journal.append_batch(&records)?;
    }
    Ok(())
}

/// Opens the journal in `dir` (full validation) and reads every record in order, timing both.
/// Note that opening is recovery: a torn tail would be truncated.
pub fn bench_replay(dir: &Path) -> Result<ReplayReport, JournalError> {
    let opened = Instant::now();
    let journal = Journal::open(dir, JournalConfig::default())?;
    let open_ms = opened.elapsed().as_secs_f64() * 1_000.0;
    let mut reader = journal.read_from(journal.span().first_seq)?;
    let (mut records, mut bytes, mut fold) = (0u64, 0u64, 0u64);
    let reading = Instant::now();
    // Bounded by the (fixed) durable end: nothing appends to this journal meanwhile.
    while let Some(record) = reader.next_record()? {
        records += 1;
        bytes += record.frame_len() as u64;
        fold = fold.wrapping_add(record.seq ^ u64::from(record.payload.first().copied().unwrap_or(0)));
    }
    let read_seconds = reading.elapsed().as_secs_f64();
    std::hint::black_box(fold);
    Ok(ReplayReport {
        records,
        bytes,
        open_ms,
        read_ms: read_seconds * 1_000.0,
        records_per_s: records as f64 / read_seconds,
        mib_per_s: bytes as f64 / read_seconds / (1 << 20) as f64,
    })
}
