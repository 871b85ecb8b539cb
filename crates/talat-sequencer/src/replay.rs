//! Replay: applying journal records to an engine, verifying as it goes.
//!
//! One code path serves recovery, `talat replay`, `talat verify` and a standby. For every record:
//! - a **command** is decoded, its engine seq must be exactly the engine's next one and its time
//!   must equal the record's (both were stamped together by the sequencer), then it is applied;
//! - a **checkpoint** must equal the engine's state hash after every earlier command, which
//!   proves the replay reproduced the original state (DESIGN invariant 3).
//!
//! A problem is reported with the record's file, byte offset and seq, never skipped.

use crate::error::{hex, ReplayError, ReplayFault};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use talat_core::{Event, Input};
use talat_engine::Engine;
use talat_journal::storage::Storage;
use talat_journal::{JournalError, JournalReader, Record, RecordKind, StateHash};

/// When replay runs the engine's full invariant check (each run is O(state)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvariantChecks {
    /// Once, when the replay is finished ([`Replayer::finish`]).
    AtEnd,
    /// At every checkpoint record, and at the end.
    AtCheckpoints,
    /// After every command, and at the end (slow; for hunting a bug).
    EveryCommand,
}

/// What a replay has applied so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayStats {
    pub records: u64,
    pub commands: u64,
    pub checkpoints: u64,
}

/// The record just applied, as the replay's observer sees it.
#[derive(Debug)]
pub enum Step<'a> {
    Command {
        journal_seq: u64,
        input: &'a Input,
        events: &'a [Event],
    },
    Checkpoint {
        journal_seq: u64,
        /// The engine seq of the last command the checkpoint covers.
        command_seq: u64,
    },
}

impl Step<'_> {
    pub fn journal_seq(&self) -> u64 {
        match self {
            Step::Command { journal_seq, .. } | Step::Checkpoint { journal_seq, .. } => *journal_seq,
        }
    }
}

/// Where a replay stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// At the durable end of the journal.
    End,
    /// Once the engine has applied this command (engine seq).
    CommandSeq(u64),
}

/// An engine being fed journal records.
pub struct Replayer {
    engine: Engine,
    invariants: InvariantChecks,
    input: Option<Input>,
    events: Vec<Event>,
    last_journal_seq: u64,
    last_kind: Option<RecordKind>,
    stats: ReplayStats,
}

impl Replayer {
    /// `engine` is the state after journal record `after_journal_seq` (0 for a new engine).
    pub fn new(mut engine: Engine, after_journal_seq: u64, invariants: InvariantChecks) -> Self {
        // The replayer runs the checks itself, so that a violation is an error naming the
        // record rather than a panic.
        engine.set_check_invariants_every_command(false);
        Replayer {
            engine,
            invariants,
            input: None,
            events: Vec::with_capacity(64),
            last_journal_seq: after_journal_seq,
            last_kind: None,
            stats: ReplayStats::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn into_engine(self) -> Engine {
        self.engine
    }

    pub fn stats(&self) -> ReplayStats {
        self.stats
    }

    /// Seq of the last journal record applied (or the starting point).
    pub fn last_journal_seq(&self) -> u64 {
        self.last_journal_seq
    }

    /// Kind of the last record applied; `None` before the first.
    pub fn last_kind(&self) -> Option<RecordKind> {
        self.last_kind
    }

    /// Applies one record. On error the engine may be unusable (an engine panic), and the
    /// replay must stop.
    pub fn apply(&mut self, record: &Record<'_>) -> Result<(), ReplayFault> {
        self.apply_decoded(record.seq, record.timestamp_ms, decode(record))
    }

    /// Applies a record decoded ahead of time (see [`run`]).
    pub(crate) fn apply_decoded(&mut self, journal_seq: u64, ts_ms: u64, body: Body) -> Result<(), ReplayFault> {
        assert_eq!(journal_seq, self.last_journal_seq + 1, "the journal yields contiguous records");
        let kind = apply_body(&mut self.engine, ts_ms, body, &mut self.events, &mut self.input)?;
        match kind {
            RecordKind::Command => {
                self.stats.commands += 1;
                if self.invariants == InvariantChecks::EveryCommand {
                    self.check_invariants()?;
                }
            }
            RecordKind::Checkpoint => {
                self.stats.checkpoints += 1;
                if self.invariants == InvariantChecks::AtCheckpoints {
                    self.check_invariants()?;
                }
            }
        }
        self.last_journal_seq = journal_seq;
        self.last_kind = Some(kind);
        self.stats.records += 1;
        Ok(())
    }

    fn check_invariants(&self) -> Result<(), ReplayFault> {
        self.engine.check_invariants().map_err(|violation| ReplayFault::Invariant(violation.to_string()))
    }

    /// The record applied last.
    pub fn last_step(&self) -> Option<Step<'_>> {
        match self.last_kind? {
            RecordKind::Command => {
                Some(Step::Command { journal_seq: self.last_journal_seq, input: self.input.as_ref().expect("a command was applied"), events: &self.events })
            }
            RecordKind::Checkpoint => Some(Step::Checkpoint { journal_seq: self.last_journal_seq, command_seq: self.engine.last_seq() }),
        }
    }

    /// The end-of-replay check: every invariant of the final state.
    pub fn finish(&self) -> Result<(), ReplayFault> {
        self.check_invariants()
    }
}

/// A record's contents, decoded (possibly ahead of time, on another thread).
pub(crate) enum Body {
    Command(Result<Input, String>),
    Checkpoint(StateHash),
}

pub(crate) fn decode(record: &Record<'_>) -> Body {
    match record.kind {
        RecordKind::Command => Body::Command(Input::decode(record.payload).map_err(|e| e.to_string())),
        RecordKind::Checkpoint => Body::Checkpoint(*record.checkpoint_hash().expect("a checkpoint record carries a hash")),
    }
}

/// Applies one decoded record with every check: a command's engine seq must be the engine's
/// next and its time the record's (`events` receives its events, `input` the command); a
/// checkpoint must equal the engine's state hash.
pub(crate) fn apply_body(engine: &mut Engine, ts_ms: u64, body: Body, events: &mut Vec<Event>, input: &mut Option<Input>) -> Result<RecordKind, ReplayFault> {
    match body {
        Body::Checkpoint(stored) => {
            let computed = engine.state_hash();
            if stored != computed {
                return Err(ReplayFault::Checkpoint { stored: hex(&stored), computed: hex(&computed) });
            }
            Ok(RecordKind::Checkpoint)
        }
        Body::Command(decoded) => {
            let decoded = decoded.map_err(ReplayFault::Undecodable)?;
            let expected = engine.last_seq() + 1;
            if decoded.seq != expected {
                return Err(ReplayFault::CommandSeq { expected, found: decoded.seq });
            }
            if decoded.ts_ms != ts_ms {
                return Err(ReplayFault::Timestamp { record_ms: ts_ms, input_ms: decoded.ts_ms });
            }
            events.clear();
            catch_unwind(AssertUnwindSafe(|| engine.apply(&decoded, events))).map_err(|panic| ReplayFault::EnginePanic(panic_message(panic.as_ref())))?;
            *input = Some(decoded);
            Ok(RecordKind::Command)
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Progress is reported after this many records (and at the end).
pub const PROGRESS_EVERY_RECORDS: u64 = 1 << 16;

/// Observes each applied record; an error stops the replay at that record.
pub type Observer<'o> = dyn FnMut(&Step<'_>, &Engine) -> Result<(), ReplayFault> + 'o;

/// Records decoded per message from the read-ahead thread, and messages in flight: bounds the
/// memory the pipeline holds (a few MiB).
const READ_AHEAD_BATCH: usize = 4_096;
const READ_AHEAD_BATCHES: usize = 4;

/// A record read, checked and decoded ahead of the engine.
struct Decoded {
    journal_seq: u64,
    ts_ms: u64,
    body: Body,
    file: Arc<PathBuf>,
    offset_bytes: u64,
}

enum ReadAhead {
    Batch(Vec<Decoded>),
    Failed(JournalError),
}

/// Replays every record after the replayer's position to the durable end, with no observer or
/// progress: what recovery and offline tools do once they know where to start.
pub fn run_to_end<S: Storage>(replayer: &mut Replayer, reader: &mut JournalReader<S>) -> Result<bool, ReplayError> {
    run(replayer, reader, Until::End, &mut |_, _| Ok(()), &mut |_| {})
}

/// Feeds `replayer` from `reader` until `until` or the durable end of the journal, calling
/// `observer` after every record and `progress` every [`PROGRESS_EVERY_RECORDS`] records.
/// Returns whether `until` was reached (always true for [`Until::End`]).
///
/// Reading, checksum validation and decoding run on a second thread, a bounded pipeline ahead
/// of the engine, so the engine thread only applies. Errors surface in journal order: every
/// record before a damaged one is applied first.
pub fn run<S: Storage>(
    replayer: &mut Replayer,
    reader: &mut JournalReader<S>,
    until: Until,
    observer: &mut Observer<'_>,
    progress: &mut dyn FnMut(&ReplayStats),
) -> Result<bool, ReplayError> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel(READ_AHEAD_BATCHES);
        std::thread::Builder::new()
            .name("talat-read-ahead".into())
            .spawn_scoped(scope, move || read_ahead(reader, tx))
            .expect("spawning the read-ahead thread");
        // Returning drops `rx`, which ends the read-ahead thread before the scope joins it.
        apply_all(replayer, &rx, until, observer, progress)
    })
}

fn apply_all(
    replayer: &mut Replayer,
    rx: &Receiver<ReadAhead>,
    until: Until,
    observer: &mut Observer<'_>,
    progress: &mut dyn FnMut(&ReplayStats),
) -> Result<bool, ReplayError> {
    let reached = |replayer: &Replayer| match until {
        Until::CommandSeq(target) => replayer.engine.last_seq() >= target,
        Until::End => false,
    };
    if reached(replayer) {
        progress(&replayer.stats);
        return Ok(true);
    }
    // Bounded by the journal's durable end.
    loop {
        let batch = match rx.recv() {
            Ok(ReadAhead::Batch(batch)) => batch,
            Ok(ReadAhead::Failed(error)) => return Err(error.into()),
            Err(_) => {
                progress(&replayer.stats);
                return Ok(until == Until::End);
            }
        };
        for decoded in batch {
            let last_command_seq = replayer.engine.last_seq();
            let place = |fault, last_command_seq| ReplayError::Record {
                file: decoded.file.as_ref().clone(),
                offset_bytes: decoded.offset_bytes,
                journal_seq: decoded.journal_seq,
                last_command_seq,
                fault,
            };
            if let Err(fault) = replayer.apply_decoded(decoded.journal_seq, decoded.ts_ms, decoded.body) {
                return Err(place(fault, last_command_seq));
            }
            let step = replayer.last_step().expect("a record was applied");
            if let Err(fault) = observer(&step, &replayer.engine) {
                return Err(place(fault, replayer.engine.last_seq()));
            }
            if replayer.stats.records.is_multiple_of(PROGRESS_EVERY_RECORDS) {
                progress(&replayer.stats);
            }
            if reached(replayer) {
                progress(&replayer.stats);
                return Ok(true);
            }
        }
    }
}

/// The read-ahead thread: reads, validates and decodes records in batches until the durable
/// end, a journal error, or the engine side hanging up.
fn read_ahead<S: Storage>(reader: &mut JournalReader<S>, tx: SyncSender<ReadAhead>) {
    let mut batch = Vec::with_capacity(READ_AHEAD_BATCH);
    let mut file = Arc::new(PathBuf::new());
    // Bounded by the journal's durable end.
    loop {
        let (journal_seq, ts_ms, body) = match reader.next_record() {
            Ok(Some(record)) => (record.seq, record.timestamp_ms, decode(&record)),
            Ok(None) => break,
            Err(error) => {
                if !batch.is_empty() && tx.send(ReadAhead::Batch(batch)).is_err() {
                    return;
                }
                let _ = tx.send(ReadAhead::Failed(error));
                return;
            }
        };
        let (path, offset_bytes) = reader.last_position();
        // A new segment starts at offset 0 (and the first record may sit anywhere).
        if (offset_bytes == 0 || file.as_os_str().is_empty()) && file.as_path() != path {
            file = Arc::new(path.to_path_buf());
        }
        batch.push(Decoded { journal_seq, ts_ms, body, file: Arc::clone(&file), offset_bytes });
        if batch.len() == READ_AHEAD_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_AHEAD_BATCH));
            if tx.send(ReadAhead::Batch(full)).is_err() {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(ReadAhead::Batch(batch));
    }
}
