//! Error types of the sequencer crate. Every one names where the problem is (file, byte offset,
//! journal record, command) so that an operator can act on the message alone.

use crate::lane::Lane;
use crate::ticket::StopReason;
use std::path::PathBuf;
use talat_journal::{JournalError, ReplicationError, SnapshotError};

/// Hex of a state hash, for messages and reports.
pub fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is wrong with one journal record's contents (its frame was valid).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayFault {
    #[error("the command payload does not decode: {0}")]
    Undecodable(String),
    #[error("the command carries engine seq {found}, but the engine expects {expected}")]
    CommandSeq { expected: u64, found: u64 },
    #[error("the record's time {record_ms} ms differs from its command's time {input_ms} ms")]
    Timestamp { record_ms: u64, input_ms: u64 },
    #[error("checkpoint mismatch: the journal says state hash {stored}, replay computed {computed}")]
    Checkpoint { stored: String, computed: String },
    #[error("invariant broken: {0}")]
    Invariant(String),
    #[error("the engine panicked applying this command: {0}")]
    EnginePanic(String),
    #[error("snapshot {} disagrees with the journal: it holds state hash {stored}, replay computed {computed}", path.display())]
    SnapshotMismatch { path: PathBuf, stored: String, computed: String },
    #[error("snapshot {} is unreadable: {reason}", path.display())]
    SnapshotUnreadable { path: PathBuf, reason: String },
}

/// A replay stopped: the journal is damaged, or a record's contents are wrong.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Damage the journal itself found (names file, byte offset and seq).
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("journal {} at byte {offset_bytes}, record seq {journal_seq} (after engine command {last_command_seq}): {fault}", file.display())]
    Record {
        file: PathBuf,
        offset_bytes: u64,
        journal_seq: u64,
        /// The engine's last applied command when the fault was found.
        last_command_seq: u64,
        fault: ReplayFault,
    },
}

/// Opening a data directory (recovery) failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data directory {} is in use by another process (it holds the lock on {})", dir.display(), dir.join(crate::datadir::LOCK_FILE).display())]
    Locked { dir: PathBuf },
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    EngineConfig { path: PathBuf, reason: String },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("snapshot {} (journal seq {seq}) does not restore: {reason}", path.display())]
    SnapshotRestore { path: PathBuf, seq: u64, reason: String },
    #[error("snapshot {} (journal seq {seq}): the restored state hashes to {computed}, the file says {stored}", path.display())]
    SnapshotHash { path: PathBuf, seq: u64, stored: String, computed: String },
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error("invariant broken after recovery: {0}")]
    Invariant(String),
}

/// A batch could not be made durable. The process must stop; do not retry (see
/// `talat_journal::FatalError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("FATAL, the process must stop: {cause}")]
pub struct CommitError {
    pub cause: String,
}

/// Why a submission was refused. Nothing was journaled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("busy: the {lane} lane is full ({capacity} commands waiting); retry later")]
    Busy { lane: Lane, capacity: usize },
    #[error("command too large: {bytes} bytes encoded, the limit is {max_bytes}")]
    TooLarge { bytes: usize, max_bytes: usize },
    #[error("the sequencer has stopped: {0}")]
    Stopped(StopReason),
}

/// A standby stopped following its primary.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Replication(#[from] ReplicationError),
    #[error("the stream starts at journal seq {stream_seq} but this node expects {expected_seq}")]
    StartMismatch { stream_seq: u64, expected_seq: u64 },
    #[error(transparent)]
    Fatal(#[from] CommitError),
    #[error("replicated record seq {journal_seq} (after engine command {last_command_seq}): {fault}")]
    Record { journal_seq: u64, last_command_seq: u64, fault: ReplayFault },
}
