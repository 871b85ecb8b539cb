//! Error types. Three families, because callers must treat them differently:
//! - [`FatalError`]: durability is unknown (a failed fdatasync, write or directory sync). The
//!   process must stop; retrying can acknowledge data the kernel already dropped.
//! - [`Corruption`]: bytes on disk are not what was written, somewhere recovery may not repair.
//!   An operator must look; nothing is skipped silently.
//! - Everything else: ordinary I/O or usage errors with nothing lost.

use crate::frame::FrameDefect;
use std::io;
use std::path::PathBuf;

/// Durability of the journal is unknown: an fdatasync (or a write or directory sync feeding
/// one) failed.
///
/// **The process must stop; do not retry.** After a failed fdatasync, Linux may have dropped the
/// dirty pages and a second fdatasync can report success without writing them, so retrying could
/// acknowledge data that is not on disk. Restart instead: recovery on the next open reads back
/// exactly what reached the disk. The writer that returned this refuses every later append.
#[derive(Debug, thiserror::Error)]
#[error("FATAL: journal {op} failed on {path}; the process must stop, do not retry: {source}")]
pub struct FatalError {
    /// The operation that failed, e.g. "fdatasync".
    pub op: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// What is wrong at a [`Corruption`]'s offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not a valid frame.
    Frame(FrameDefect),
    /// A valid frame whose seq is not the one contiguity requires.
    SeqNotContiguous,
    /// A segment file whose name (its first seq) does not continue the previous segment.
    SegmentNameGap,
    /// The durable journal ends here, but a record that should be durable is missing.
    MissingDurableRecord,
    /// A valid record whose epoch is below its predecessor's: epochs never decrease.
    EpochBackwards { epoch: u32, previous: u32 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Frame(defect) => write!(f, "{defect}"),
            Problem::SeqNotContiguous => write!(f, "sequence numbers are not contiguous"),
            Problem::SegmentNameGap => write!(f, "segment does not continue the previous one"),
            Problem::MissingDurableRecord => write!(f, "a durable record is missing"),
            Problem::EpochBackwards { epoch, previous } => write!(f, "record of epoch {epoch} after one of epoch {previous}: epochs never decrease"),
        }
    }
}

/// Journal bytes that are not what was written, at a place recovery must not repair.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "journal corrupt in {file} at byte {offset_bytes}: expected seq {expected_seq}{}: {problem}",
    found_seq.map(|s| format!(", header says seq {s}")).unwrap_or_default()
)]
pub struct Corruption {
    pub file: PathBuf,
    pub offset_bytes: u64,
    /// The seq that belongs at this offset (contiguity tells it even when the header is damaged).
    pub expected_seq: u64,
    /// The seq field of the damaged header, when there were bytes to read it. Unverified unless
    /// the problem is [`Problem::SeqNotContiguous`].
    pub found_seq: Option<u64>,
    pub problem: Problem,
}

/// Errors from opening, reading and maintaining a journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal I/O error: {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Corrupt(#[from] Corruption),
    #[error(transparent)]
    Fatal(#[from] FatalError),
    #[error("the journal writer is poisoned by an earlier fatal error: {cause}")]
    Poisoned { cause: String },
    /// The requested seq was archived or precedes the journal.
    #[error("seq {seq} is not retained: the journal starts at seq {first_seq}")]
    NotRetained { seq: u64, first_seq: u64 },
    /// The requested seq is beyond what is durable.
    #[error("seq {seq} is beyond the durable end of the journal (next seq {next_seq})")]
    BeyondEnd { seq: u64, next_seq: u64 },
}

impl JournalError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        JournalError::Io { op, path: path.into(), source }
    }
}

/// Errors from [`crate::Journal::append_batch`].
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// See [`FatalError`]: the process must stop; do not retry.
    #[error(transparent)]
    Fatal(#[from] FatalError),
    /// An earlier append failed fatally; this writer accepts nothing more.
    #[error("the journal writer is poisoned by an earlier fatal error: {cause}")]
    Poisoned { cause: String },
    /// Rejected before any I/O; nothing was written and the writer stays usable.
    #[error("record seq {seq} has a {payload_bytes}-byte payload, above the {max_bytes}-byte limit")]
    PayloadTooLarge { seq: u64, payload_bytes: usize, max_bytes: usize },
    /// Rejected before any I/O: a record from an epoch older than the journal's last record
    /// (a deposed primary's). Nothing was written and the writer stays usable.
    #[error("record seq {seq} is of epoch {epoch}, older than the journal's epoch {journal_epoch}: refused (fenced)")]
    StaleEpoch { seq: u64, epoch: u32, journal_epoch: u32 },
}
