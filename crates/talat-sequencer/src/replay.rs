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
use talat_core::{Event, Input};
use talat_engine::Engine;
use talat_journal::storage::Storage;
use talat_journal::{JournalReader, Record, RecordKind};

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
            Step::Command { journal_seq, .. } | Step::Checkpoint { journal_seq, .. } => {
                *journal_seq
            }
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
        assert_eq!(
            record.seq,
            self.last_journal_seq + 1,
            "the journal yields contiguous records"
        );
        match record.kind {
            RecordKind::Command => self.apply_command(record)?,
            RecordKind::Checkpoint => self.apply_checkpoint(record)?,
        }
        self.last_journal_seq = record.seq;
        self.last_kind = Some(record.kind);
        self.stats.records += 1;
        Ok(())
    }

    fn apply_command(&mut self, record: &Record<'_>) -> Result<(), ReplayFault> {
        apply_command(&mut self.engine, record, &mut self.events, &mut self.input)?;
        self.stats.commands += 1;
        if self.invariants == InvariantChecks::EveryCommand {
            self.check_invariants()?;
        }
        Ok(())
    }

    fn apply_checkpoint(&mut self, record: &Record<'_>) -> Result<(), ReplayFault> {
        verify_checkpoint(&self.engine, record)?;
        self.stats.checkpoints += 1;
        if self.invariants == InvariantChecks::AtCheckpoints {
            self.check_invariants()?;
        }
        Ok(())
    }

    fn check_invariants(&self) -> Result<(), ReplayFault> {
        self.engine
            .check_invariants()
            .map_err(|violation| ReplayFault::Invariant(violation.to_string()))
    }

    /// The record applied last.
    pub fn last_step(&self) -> Option<Step<'_>> {
        match self.last_kind? {
            RecordKind::Command => Some(Step::Command {
                journal_seq: self.last_journal_seq,
                input: self.input.as_ref().expect("a command was applied"),
                events: &self.events,
            }),
            RecordKind::Checkpoint => Some(Step::Checkpoint {
                journal_seq: self.last_journal_seq,
                command_seq: self.engine.last_seq(),
            }),
        }
    }

    /// The end-of-replay check: every invariant of the final state.
    pub fn finish(&self) -> Result<(), ReplayFault> {
        self.check_invariants()
    }
}

/// Decodes and applies one command record: its engine seq must be the engine's next, its time
/// the record's. `events` receives its events (cleared first), `input` the decoded command.
pub(crate) fn apply_command(
    engine: &mut Engine,
    record: &Record<'_>,
    events: &mut Vec<Event>,
    input: &mut Option<Input>,
) -> Result<(), ReplayFault> {
    debug_assert_eq!(record.kind, RecordKind::Command);
    let decoded =
        Input::decode(record.payload).map_err(|e| ReplayFault::Undecodable(e.to_string()))?;
    let expected = engine.last_seq() + 1;
    if decoded.seq != expected {
        return Err(ReplayFault::CommandSeq {
            expected,
            found: decoded.seq,
        });
    }
    if decoded.ts_ms != record.timestamp_ms {
        return Err(ReplayFault::Timestamp {
            record_ms: record.timestamp_ms,
            input_ms: decoded.ts_ms,
        });
    }
    events.clear();
    catch_unwind(AssertUnwindSafe(|| engine.apply(&decoded, events)))
        .map_err(|panic| ReplayFault::EnginePanic(panic_message(panic.as_ref())))?;
    *input = Some(decoded);
    Ok(())
}

/// Compares a checkpoint record with the engine's state hash.
pub(crate) fn verify_checkpoint(engine: &Engine, record: &Record<'_>) -> Result<(), ReplayFault> {
    let stored = record
        .checkpoint_hash()
        .expect("a checkpoint record carries a hash");
    let computed = engine.state_hash();
    if *stored != computed {
        return Err(ReplayFault::Checkpoint {
            stored: hex(stored),
            computed: hex(&computed),
        });
    }
    Ok(())
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

/// Feeds `replayer` from `reader` until `until` or the durable end of the journal, calling
/// `observer` after every record and `progress` every [`PROGRESS_EVERY_RECORDS`] records.
/// Returns whether `until` was reached (always true for [`Until::End`]).
pub fn run<S: Storage>(
    replayer: &mut Replayer,
    reader: &mut JournalReader<S>,
    until: Until,
    observer: &mut Observer<'_>,
    progress: &mut dyn FnMut(&ReplayStats),
) -> Result<bool, ReplayError> {
    // Bounded by the journal's durable end.
    loop {
        if let Until::CommandSeq(target) = until {
            if replayer.engine.last_seq() >= target {
                progress(&replayer.stats);
                return Ok(true);
            }
        }
        let last_command_seq = replayer.engine.last_seq();
        let applied = match reader.next_record()? {
            None => {
                progress(&replayer.stats);
                return Ok(until == Until::End);
            }
            Some(record) => replayer.apply(&record).map_err(|fault| (record.seq, fault)),
        };
        if let Err((journal_seq, fault)) = applied {
            return Err(record_error(reader, journal_seq, last_command_seq, fault));
        }
        let step = replayer.last_step().expect("a record was applied");
        let journal_seq = step.journal_seq();
        if let Err(fault) = observer(&step, &replayer.engine) {
            let last_command_seq = replayer.engine.last_seq();
            return Err(record_error(reader, journal_seq, last_command_seq, fault));
        }
        if replayer
            .stats
            .records
            .is_multiple_of(PROGRESS_EVERY_RECORDS)
        {
            progress(&replayer.stats);
        }
    }
}

fn record_error<S: Storage>(
    reader: &JournalReader<S>,
    journal_seq: u64,
    last_command_seq: u64,
    fault: ReplayFault,
) -> ReplayError {
    let (file, offset_bytes) = reader.last_position();
    ReplayError::Record {
        file: file.to_path_buf(),
        offset_bytes,
        journal_seq,
        last_command_seq,
        fault,
    }
}
