//! Recovery: what `Journal::open` does before it accepts a single append.
//!
//! Every segment in the directory is read and every frame validated (checksum, format, seq
//! contiguity within and across segments). The one repair allowed is cutting a torn tail off the
//! last segment: bytes of a write that a crash interrupted before its fdatasync returned, hence
//! never acknowledged. The cut, and every record recovery keeps, is made durable before the journal
//! is used, and the cut is reported.

use crate::epochs::EpochHistory;
use crate::error::{Corruption, JournalError, Problem};
use crate::segment::{self, ScanOutcome, TornTail, SEGMENT_FILE_MAX_BYTES};
use crate::storage::{read_all, Access, Storage, StorageFile};
use std::path::{Path, PathBuf};

/// One segment as recovery found it (and as the writer then maintains it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SegmentMeta {
    pub(crate) first_seq: u64,
    /// One past the last record in the segment; equals `first_seq` when it is empty.
    pub(crate) next_seq: u64,
    pub(crate) len_bytes: u64,
}

/// A torn tail that recovery cut off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruncatedTail {
    pub file: PathBuf,
    pub tail: TornTail,
}

/// What `Journal::open` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub segments: usize,
    pub records: u64,
    /// Set when the last segment ended in a torn record, which was truncated away.
    pub truncated: Option<TruncatedTail>,
}

pub(crate) struct Recovered {
    pub(crate) segments: Vec<SegmentMeta>,
    pub(crate) epochs: EpochHistory,
    pub(crate) next_seq: u64,
    pub(crate) report: RecoveryReport,
}

pub(crate) fn recover<S: Storage>(storage: &S, dir: &Path, first_seq_if_empty: u64) -> Result<Recovered, JournalError> {
    storage.create_dir_all(dir).map_err(|e| JournalError::io("create_dir_all", dir, e))?;
    let names = storage.list_files(dir).map_err(|e| JournalError::io("list", dir, e))?;
    let mut firsts: Vec<u64> = names.iter().filter_map(|name| segment::parse_segment_name(name)).collect();
    firsts.sort_unstable();

    let mut report = RecoveryReport { segments: firsts.len(), ..RecoveryReport::default() };
    let mut segments = Vec::with_capacity(firsts.len());
    let mut expected_seq = firsts.first().copied().unwrap_or(first_seq_if_empty);
    let mut bytes = Vec::new();
    let mut epochs = EpochHistory::default();
    for (index, &first_seq) in firsts.iter().enumerate() {
        let path = dir.join(segment::segment_name(first_seq));
        if first_seq != expected_seq {
            return Err(Corruption { file: path, offset_bytes: 0, expected_seq, found_seq: Some(first_seq), problem: Problem::SegmentNameGap }.into());
        }
        let file = storage.open(&path, Access::Read).map_err(|e| JournalError::io("open", &path, e))?;
        read_all(&file, SEGMENT_FILE_MAX_BYTES, &mut bytes).map_err(|e| JournalError::io("read", &path, e))?;
        drop(file);

        let is_last = index + 1 == firsts.len();
        let ScanOutcome { records, valid_bytes, torn_tail } = segment::scan_segment(&path, &bytes, first_seq, is_last, &mut epochs)?;
        if let Some(tail) = torn_tail {
            assert!(is_last);
            truncate_torn_tail(storage, &path, &tail, valid_bytes)?;
            report.truncated = Some(TruncatedTail { file: path.clone(), tail });
        }
        if is_last {
            make_durable(storage, dir, &path)?;
        }
        segments.push(SegmentMeta { first_seq, next_seq: first_seq + records, len_bytes: valid_bytes });
        report.records += records;
        expected_seq = first_seq + records;
    }
    Ok(Recovered { segments, epochs, next_seq: expected_seq, report })
}

fn truncate_torn_tail<S: Storage>(storage: &S, path: &Path, tail: &TornTail, valid_bytes: u64) -> Result<(), JournalError> {
    tracing::warn!(
        file = %path.display(),
        offset_bytes = tail.offset_bytes,
        dropped_bytes = tail.dropped_bytes,
        expected_seq = tail.expected_seq,
        header_seq = ?tail.found_seq,
        defect = %tail.defect,
        "journal recovery: truncating a torn last record (never acknowledged)"
    );
    let mut file = storage.open(path, Access::ReadWrite).map_err(|e| JournalError::io("open", path, e))?;
    file.truncate(valid_bytes).map_err(|e| JournalError::io("truncate", path, e))?;
    // Made durable by `make_durable` right after, before anything is appended after the cut.
    Ok(())
}

/// Syncs the last segment and the directory before the journal is used.
///
/// What recovery found may still be only in the page cache: written by a process that died
/// before its fdatasync (or before the directory fsync of a segment it had just created).
/// Replay will apply those records and the writer will append after them, so they must be
/// durable now; otherwise a later power loss could take back records the engine already
/// executed, or the name of the segment that new, acknowledged records go to.
fn make_durable<S: Storage>(storage: &S, dir: &Path, last_segment: &Path) -> Result<(), JournalError> {
    let mut file = storage.open(last_segment, Access::ReadWrite).map_err(|e| JournalError::io("open", last_segment, e))?;
    file.fdatasync().map_err(|source| crate::FatalError { op: "fdatasync", path: last_segment.to_path_buf(), source })?;
    storage.fsync_dir(dir).map_err(|source| crate::FatalError { op: "fsync directory", path: dir.to_path_buf(), source })?;
    Ok(())
}
