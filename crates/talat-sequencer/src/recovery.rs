//! Recovery: turning a data directory back into a running state.
//!
//! 1. Open the journal (talat-journal validates every segment, cuts a torn last record off and
//!    logs it, and refuses any other damage with file, offset and seq).
//! 2. Read the engine bounds (`engine.json`), creating them only for a brand-new directory.
//! 3. Pick the newest valid snapshot the journal can continue (an older one if the newest is
//!    damaged), restore it (the engine re-checks every invariant) and check its state hash.
//! 4. Replay the journal's tail after it, verifying every checkpoint on the way, then check every
//!    invariant of the result.

use crate::config::NodeConfig;
use crate::datadir::{self, journal_dir, snapshot_dir};
use crate::error::{hex, OpenError};
use crate::replay::{self, InvariantChecks, ReplayStats, Replayer};
use std::path::{Path, PathBuf};
use std::time::Instant;
use talat_engine::{Engine, EngineConfig};
use talat_journal::storage::Storage;
use talat_journal::{Journal, JournalConfig, RecordKind, RecoveryReport, Snapshot, SnapshotStore};

/// The snapshot a replay started from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    /// The state is the one after this journal record.
    pub journal_seq: u64,
    /// The engine's last command in it.
    pub command_seq: u64,
    pub path: PathBuf,
}

/// What recovery found and did when a node opened.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecoveryInfo {
    pub journal_segments: usize,
    pub journal_records: u64,
    /// The torn last record recovery cut off (never acknowledged), described in full.
    pub truncated_tail: Option<String>,
    pub snapshot: Option<SnapshotInfo>,
    pub replayed: ReplayStats,
    pub journal_open_us: u64,
    pub snapshot_restore_us: u64,
    pub replay_us: u64,
}

impl RecoveryInfo {
    pub fn total_us(&self) -> u64 {
        self.journal_open_us + self.snapshot_restore_us + self.replay_us
    }
}

/// The opened pieces of a data directory.
pub(crate) struct Parts<S: Storage> {
    pub(crate) journal: Journal<S>,
    pub(crate) store: SnapshotStore<S>,
    pub(crate) engine_config: EngineConfig,
}

/// The sentence for a torn tail the journal cut off.
pub(crate) fn describe_truncation(report: &RecoveryReport) -> Option<String> {
    report.truncated.as_ref().map(|t| {
        format!(
            "truncated a torn last record in {} at byte {} (seq {}, {} bytes dropped: {}); it was never acknowledged",
            t.file.display(),
            t.tail.offset_bytes,
            t.tail.expected_seq,
            t.tail.dropped_bytes,
            t.tail.defect
        )
    })
}

/// Opens the journal and snapshot store and reads the engine bounds. `new_engine`: the bounds to
/// write if the directory is brand new (no journal record, no snapshot); `None` refuses to create.
pub(crate) fn open_parts<S: Storage>(
    storage: &S,
    data_dir: &Path,
    journal_config: JournalConfig,
    new_engine: Option<&EngineConfig>,
) -> Result<Parts<S>, OpenError> {
    let journal = Journal::open_with(storage.clone(), journal_dir(data_dir), journal_config)?;
    if let Some(sentence) = describe_truncation(journal.recovery()) {
        tracing::warn!("journal recovery {sentence}");
    }
    let store = SnapshotStore::open_with(storage.clone(), snapshot_dir(data_dir))?;
    let engine_config = match datadir::read_engine_config(storage, data_dir)? {
        Some(config) => config,
        None => {
            let span = journal.span();
            let brand_new = span.first_seq == span.next_seq && store.list_seqs()?.is_empty();
            match new_engine {
                Some(config) if brand_new => {
                    datadir::write_engine_config(storage, data_dir, config)?;
                    config.clone()
                }
                _ => {
                    return Err(OpenError::EngineConfig {
                        path: data_dir.join(datadir::ENGINE_CONFIG_FILE),
                        reason: "missing, but the journal or snapshots exist: the engine bounds they \
                                 were written with are unknown (restore engine.json from a backup or \
                                 from the primary)"
                            .into(),
                    })
                }
            }
        }
    };
    Ok(Parts { journal, store, engine_config })
}

/// Restores a snapshot and checks that the restored engine hashes to what the file says.
pub(crate) fn restore(snapshot: &Snapshot) -> Result<Engine, OpenError> {
    let engine =
        Engine::restore(&snapshot.state).map_err(|e| OpenError::SnapshotRestore { path: snapshot.path.clone(), seq: snapshot.seq, reason: e.to_string() })?;
    let computed = engine.state_hash();
    if computed != snapshot.state_hash {
        return Err(OpenError::SnapshotHash { path: snapshot.path.clone(), seq: snapshot.seq, stored: hex(&snapshot.state_hash), computed: hex(&computed) });
    }
    Ok(engine)
}

pub(crate) fn snapshot_info(snapshot: &Snapshot, engine: &Engine) -> SnapshotInfo {
    SnapshotInfo { journal_seq: snapshot.seq, command_seq: engine.last_seq(), path: snapshot.path.clone() }
}

/// A recovered node's pieces.
pub(crate) struct Recovered<S: Storage> {
    pub(crate) engine: Engine,
    pub(crate) journal: Journal<S>,
    pub(crate) store: SnapshotStore<S>,
    pub(crate) info: RecoveryInfo,
    /// Whether the first batch must start with a checkpoint (see `Committer`).
    pub(crate) checkpoint_due: bool,
}

pub(crate) fn recover<S: Storage>(storage: &S, data_dir: &Path, config: &NodeConfig) -> Result<Recovered<S>, OpenError> {
    let started = Instant::now();
    let parts = open_parts(storage, data_dir, config.journal.clone(), Some(&config.engine))?;
    let opened = Instant::now();
    let span = parts.journal.span();
    let (engine, after_seq, snapshot) = match parts.store.newest_valid(span)? {
        Some(snapshot) => {
            let engine = restore(&snapshot)?;
            let info = snapshot_info(&snapshot, &engine);
            (engine, snapshot.seq, Some(info))
        }
        None => (Engine::new(parts.engine_config.clone()), span.first_seq - 1, None),
    };
    let restored = Instant::now();
    let mut replayer = Replayer::new(engine, after_seq, InvariantChecks::AtEnd);
    let mut reader = parts.journal.read_from(after_seq + 1)?;
    replay::run_to_end(&mut replayer, &mut reader)?;
    replayer.finish().map_err(|fault| OpenError::Invariant(fault.to_string()))?;
    let replayed = Instant::now();
    let last_seq = replayer.engine().last_seq();
    let checkpoint_due = last_seq > 0 && last_seq.is_multiple_of(config.checkpoint_every_commands) && replayer.last_kind() != Some(RecordKind::Checkpoint);
    let info = RecoveryInfo {
        journal_segments: parts.journal.recovery().segments,
        journal_records: parts.journal.recovery().records,
        truncated_tail: describe_truncation(parts.journal.recovery()),
        snapshot,
        replayed: replayer.stats(),
        journal_open_us: micros(opened - started),
        snapshot_restore_us: micros(restored - opened),
        replay_us: micros(replayed - restored),
    };
    let mut engine = replayer.into_engine();
    engine.set_check_invariants_every_command(config.engine.check_invariants_every_command);
    tracing::info!(
        data_dir = %data_dir.display(),
        snapshot = ?info.snapshot.as_ref().map(|s| s.journal_seq),
        replayed_commands = info.replayed.commands,
        checkpoints = info.replayed.checkpoints,
        last_command_seq = last_seq,
        "recovered"
    );
    Ok(Recovered { engine, journal: parts.journal, store: parts.store, info, checkpoint_due })
}

pub(crate) fn micros(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
