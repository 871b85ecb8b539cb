//! Working on a stopped node's data directory: rebuild the state at any point (`talat replay`)
//! and verify everything (`talat verify`).
//!
//! Both take the directory's lock (a running node holds it) and open the journal the way
//! recovery does — which cuts off a torn last record, logging it, exactly as the next start
//! would. Neither writes anything else.

use crate::datadir::{self, DirLock};
use crate::error::{hex, OpenError, ReplayError, ReplayFault};
use crate::recovery::{self, describe_truncation, Parts, SnapshotInfo};
use crate::replay::{self, InvariantChecks, ReplayStats, Replayer, Step, Until};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use talat_core::{Event, Input};
use talat_engine::Engine;
use talat_journal::storage::FsStorage;
use talat_journal::{JournalConfig, SeqSpan, Snapshot, SnapshotError, SnapshotStore, GENESIS_SEQ};

/// Where a replay began.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Start {
    /// From an empty engine at the journal's first record.
    Genesis,
    Snapshot(SnapshotInfo),
}

/// Records done and the total expected, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub records_done: u64,
    pub records_total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("{}: not a talat data directory: {reason}", dir.display())]
    NotADataDir { dir: PathBuf, reason: String },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error("--to {to} is beyond the end of the journal: its last command is engine seq {last_command_seq}")]
    BeyondEnd { to: u64, last_command_seq: u64 },
    #[error("the state at engine seq {to} cannot be rebuilt: {reason}")]
    NotRetained { to: u64, reason: String },
    #[error("nothing to verify from: {reason}")]
    NoStart { reason: String },
    #[error("after engine command {last_command_seq} (journal record {journal_seq}): {fault}")]
    Final { journal_seq: u64, last_command_seq: u64, fault: ReplayFault },
}

impl From<talat_journal::JournalError> for OfflineError {
    fn from(error: talat_journal::JournalError) -> Self {
        OfflineError::Open(OpenError::Journal(error))
    }
}

impl From<SnapshotError> for OfflineError {
    fn from(error: SnapshotError) -> Self {
        OfflineError::Open(OpenError::Snapshot(error))
    }
}

/// A state rebuilt by [`rebuild`].
pub struct Rebuilt {
    pub engine: Engine,
    pub start: Start,
    pub replayed: ReplayStats,
    /// The last journal record applied.
    pub journal_seq: u64,
    pub journal: SeqSpan,
    pub truncated_tail: Option<String>,
}

impl std::fmt::Debug for Rebuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebuilt")
            .field("last_command_seq", &self.engine.last_seq())
            .field("start", &self.start)
            .field("replayed", &self.replayed)
            .field("journal_seq", &self.journal_seq)
            .finish()
    }
}

/// What [`verify`] checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub start: Start,
    pub journal_first_seq: u64,
    pub journal_next_seq: u64,
    pub replayed: ReplayStats,
    pub last_command_seq: u64,
    /// Snapshot files whose state hash was compared with the replayed state at their seq.
    pub snapshots_verified: u64,
    /// Snapshot files older than the journal's first retained record (their records are
    /// archived), so not comparable.
    pub snapshots_not_covered: u64,
    pub state_hash: String,
    pub truncated_tail: Option<String>,
}

/// Options of [`verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Check every invariant after every command rather than at every checkpoint.
    pub every_command: bool,
}

fn open_offline(data_dir: &Path) -> Result<(DirLock, Parts<FsStorage>), OfflineError> {
    let not_a_data_dir = |reason: &str| OfflineError::NotADataDir { dir: data_dir.to_path_buf(), reason: reason.to_string() };
    if !data_dir.exists() {
        return Err(not_a_data_dir("it does not exist"));
    }
    if !data_dir.is_dir() {
        return Err(not_a_data_dir("it is not a directory"));
    }
    if !datadir::journal_dir(data_dir).is_dir() {
        return Err(not_a_data_dir("it has no journal/ directory"));
    }
    if !data_dir.join(datadir::ENGINE_CONFIG_FILE).is_file() {
        return Err(not_a_data_dir("it has no engine.json"));
    }
    let lock = DirLock::acquire(data_dir)?;
    let parts = recovery::open_parts(&FsStorage, data_dir, JournalConfig::default(), None)?;
    Ok((lock, parts))
}

/// The newest snapshot at or before engine seq `to` that the retained journal can continue.
/// A snapshot's command count never exceeds its journal seq (checkpoints take seqs too), so any
/// snapshot at journal seq `<= to` qualifies without being loaded.
fn snapshot_at_or_before(store: &SnapshotStore<FsStorage>, span: SeqSpan, to: u64) -> Result<Option<Snapshot>, OfflineError> {
    for seq in store.list_seqs()?.into_iter().rev() {
        if seq > to || seq >= span.next_seq || seq + 1 < span.first_seq {
            continue;
        }
        match store.load(seq) {
            Ok(snapshot) => return Ok(Some(snapshot)),
            Err(SnapshotError::Corrupt { path, reason }) => {
                tracing::warn!(file = %path.display(), %reason, "corrupt snapshot skipped");
            }
            Err(other) => return Err(other.into()),
        }
    }
    if span.first_seq == GENESIS_SEQ {
        return Ok(None);
    }
    Err(OfflineError::NotRetained {
        to,
        reason: format!(
            "the journal starts at record {} (older segments are in journal/{}) and no usable \
             snapshot lies between it and engine seq {to}",
            span.first_seq,
            talat_journal::ARCHIVE_DIR
        ),
    })
}

fn progress_adapter<'a>(total: u64, progress: &'a mut dyn FnMut(Progress)) -> impl FnMut(&ReplayStats) + 'a {
    move |stats| progress(Progress { records_done: stats.records, records_total: total })
}

fn finish(replayer: &Replayer) -> Result<(), OfflineError> {
    replayer.finish().map_err(|fault| OfflineError::Final { journal_seq: replayer.last_journal_seq(), last_command_seq: replayer.engine().last_seq(), fault })
}

/// Rebuilds the state after engine command `to` (the end of the journal if `None`) from the
/// newest usable snapshot at or before it plus the journal, verifying checkpoints on the way and
/// every invariant at the end.
pub fn rebuild(data_dir: &Path, to: Option<u64>, progress: &mut dyn FnMut(Progress)) -> Result<Rebuilt, OfflineError> {
    let (_lock, parts) = open_offline(data_dir)?;
    let span = parts.journal.span();
    if let Some(to) = to {
        // Each command takes one journal record, so a journal ending at record N holds at most
        // N commands.
        if to >= span.next_seq {
            return Err(OfflineError::BeyondEnd { to, last_command_seq: last_command_seq(&parts, span)? });
        }
    }
    let snapshot = match to {
        None => parts.store.newest_valid(span)?,
        Some(to) => snapshot_at_or_before(&parts.store, span, to)?,
    };
    let (engine, after_seq, start) = starting_point(&parts, snapshot)?;
    let mut replayer = Replayer::new(engine, after_seq, InvariantChecks::AtEnd);
    let mut reader = parts.journal.read_from(after_seq + 1)?;
    let total = span.next_seq - 1 - after_seq;
    let until = to.map_or(Until::End, Until::CommandSeq);
    let reached = replay::run(&mut replayer, &mut reader, until, &mut |_, _| Ok(()), &mut progress_adapter(total, progress))?;
    if let (false, Some(to)) = (reached, to) {
        return Err(OfflineError::BeyondEnd { to, last_command_seq: replayer.engine().last_seq() });
    }
    finish(&replayer)?;
    Ok(Rebuilt {
        journal_seq: replayer.last_journal_seq(),
        replayed: replayer.stats(),
        engine: replayer.into_engine(),
        start,
        journal: span,
        truncated_tail: describe_truncation(parts.journal.recovery()),
    })
}

/// The engine seq of the journal's last command, found by replaying from the newest snapshot
/// (only for the message of a `--to` that is too far).
fn last_command_seq(parts: &Parts<FsStorage>, span: SeqSpan) -> Result<u64, OfflineError> {
    let snapshot = parts.store.newest_valid(span)?;
    let (engine, after_seq) = match snapshot {
        Some(snapshot) => (recovery::restore(&snapshot)?, snapshot.seq),
        None => (Engine::new(parts.engine_config.clone()), GENESIS_SEQ - 1),
    };
    let mut replayer = Replayer::new(engine, after_seq, InvariantChecks::AtEnd);
    let mut reader = parts.journal.read_from(after_seq + 1)?;
    replay::run_to_end(&mut replayer, &mut reader)?;
    Ok(replayer.engine().last_seq())
}

/// Replays everything the journal retains — from genesis if it starts there, else from the
/// oldest snapshot that can start it — verifying every checkpoint, every invariant at every
/// checkpoint (or after every command), every snapshot file against the replayed state at its
/// seq, and every invariant at the end. `on_command` sees each command and its events.
pub fn verify(
    data_dir: &Path,
    options: VerifyOptions,
    progress: &mut dyn FnMut(Progress),
    on_command: &mut dyn FnMut(&Input, &[Event]),
) -> Result<VerifyReport, OfflineError> {
    let (_lock, parts) = open_offline(data_dir)?;
    let span = parts.journal.span();
    let snapshot_seqs = parts.store.list_seqs()?;
    if let Some(&newest) = snapshot_seqs.last() {
        if newest >= span.next_seq {
            return Err(SnapshotError::AheadOfJournal { snapshot_seq: newest, journal_next_seq: span.next_seq }.into());
        }
    }
    let (engine, after_seq, start) = if span.first_seq == GENESIS_SEQ {
        (Engine::new(parts.engine_config.clone()), GENESIS_SEQ - 1, Start::Genesis)
    } else {
        let first_usable = snapshot_seqs.iter().copied().find(|&seq| seq + 1 >= span.first_seq).ok_or_else(|| OfflineError::NoStart {
            reason: format!(
                "the journal starts at record {} (older segments are archived) and no \
                     snapshot can start it",
                span.first_seq
            ),
        })?;
        let snapshot = parts.store.load(first_usable)?;
        let engine = recovery::restore(&snapshot)?;
        let info = recovery::snapshot_info(&snapshot, &engine);
        (engine, snapshot.seq, Start::Snapshot(info))
    };
    let to_compare: BTreeSet<u64> = snapshot_seqs.iter().copied().filter(|&seq| seq > after_seq).collect();
    let snapshots_not_covered = snapshot_seqs.iter().filter(|&&seq| seq < after_seq).count() as u64;
    let invariants = if options.every_command { InvariantChecks::EveryCommand } else { InvariantChecks::AtCheckpoints };
    let mut replayer = Replayer::new(engine, after_seq, invariants);
    let mut reader = parts.journal.read_from(after_seq + 1)?;
    let mut snapshots_verified = 0;
    let store = &parts.store;
    let mut observer = |step: &Step<'_>, engine: &Engine| -> Result<(), ReplayFault> {
        if let Step::Command { input, events, .. } = step {
            on_command(input, events);
        }
        let journal_seq = step.journal_seq();
        if to_compare.contains(&journal_seq) {
            compare_snapshot(store, journal_seq, engine)?;
            snapshots_verified += 1;
        }
        Ok(())
    };
    replay::run(&mut replayer, &mut reader, Until::End, &mut observer, &mut progress_adapter(span.next_seq - 1 - after_seq, progress))?;
    finish(&replayer)?;
    Ok(VerifyReport {
        start,
        journal_first_seq: span.first_seq,
        journal_next_seq: span.next_seq,
        replayed: replayer.stats(),
        last_command_seq: replayer.engine().last_seq(),
        snapshots_verified,
        snapshots_not_covered,
        state_hash: hex(&replayer.engine().state_hash()),
        truncated_tail: describe_truncation(parts.journal.recovery()),
    })
}

fn compare_snapshot(store: &SnapshotStore<FsStorage>, journal_seq: u64, engine: &Engine) -> Result<(), ReplayFault> {
    let snapshot = store.load(journal_seq).map_err(|e| {
        let path = match &e {
            SnapshotError::Corrupt { path, .. } | SnapshotError::Io { path, .. } => path.clone(),
            _ => store.dir().to_path_buf(),
        };
        ReplayFault::SnapshotUnreadable { path, reason: e.to_string() }
    })?;
    let computed = engine.state_hash();
    if computed != snapshot.state_hash {
        return Err(ReplayFault::SnapshotMismatch { path: snapshot.path, stored: hex(&snapshot.state_hash), computed: hex(&computed) });
    }
    Ok(())
}

/// The engine a replay starts from — `snapshot` restored, or a new engine at genesis — with
/// the journal seq it stands after.
fn starting_point(parts: &Parts<FsStorage>, snapshot: Option<Snapshot>) -> Result<(Engine, u64, Start), OfflineError> {
    Ok(match snapshot {
        Some(snapshot) => {
            let engine = recovery::restore(&snapshot)?;
            let info = recovery::snapshot_info(&snapshot, &engine);
            (engine, snapshot.seq, Start::Snapshot(info))
        }
        None => (Engine::new(parts.engine_config.clone()), GENESIS_SEQ - 1, Start::Genesis),
    })
}

/// What [`replay_since`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReplaySince {
    pub start: Start,
    /// Commands handed to the observer (those after `after_command_seq`).
    pub observed: u64,
    pub last_command_seq: u64,
}

/// Re-derives the events of every command after engine seq `after_command_seq` and hands each to
/// `on_command` in order — how a projection that fell behind (the query store after a crash)
/// catches up from the journal. Starts from the newest snapshot at or before that seq (or
/// genesis), so the engine state before each observed command is exactly what produced its
/// events the first time.
pub fn replay_since(data_dir: &Path, after_command_seq: u64, on_command: &mut dyn FnMut(&Input, &[Event])) -> Result<ReplaySince, OfflineError> {
    let (_lock, parts) = open_offline(data_dir)?;
    let span = parts.journal.span();
    let snapshot = snapshot_at_or_before(&parts.store, span, after_command_seq)?;
    let (engine, after_seq, start) = starting_point(&parts, snapshot)?;
    assert!(engine.last_seq() <= after_command_seq, "the start lies at or before the asked seq");
    let mut replayer = Replayer::new(engine, after_seq, InvariantChecks::AtEnd);
    let mut reader = parts.journal.read_from(after_seq + 1)?;
    let mut observed = 0u64;
    replay::run(
        &mut replayer,
        &mut reader,
        Until::End,
        &mut |step, _| {
            if let Step::Command { input, events, .. } = step {
                if input.seq > after_command_seq {
                    observed += 1;
                    on_command(input, events);
                }
            }
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok(ReplaySince { start, observed, last_command_seq: replayer.engine().last_seq() })
}
