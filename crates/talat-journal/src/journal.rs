//! The journal: recovery on open, the group-commit writer, segment rolling and archiving.
//!
//! Durability protocol, in the order the writer performs it:
//! 1. A batch is validated whole before any byte is written (payload sizes, contiguous seqs).
//! 2. Its frames are written to the active segment in large chunks.
//! 3. Rolling to a new segment first fdatasyncs the old one, then creates the new file and
//!    fsyncs the directory. So every segment but the last is complete and durable, and a torn
//!    write can only ever sit at the end of the last segment, which is the one place recovery may
//!    truncate.
//! 4. One fdatasync of the active segment ends the batch. Only when it returns `Ok` is the batch
//!    acknowledged (the durable seq is returned and published to readers).
//! 5. Any I/O failure in 2–4 leaves durability unknown: the writer poisons itself and returns a
//!    [`FatalError`]; the process must stop and recover by reopening.

use crate::epochs::EpochHistory;
use crate::error::{AppendError, FatalError, JournalError};
use crate::frame::{self, Record, RecordKind, PAYLOAD_MAX_BYTES, STATE_HASH_BYTES};
use crate::reader::JournalReader;
use crate::recovery::{self, RecoveryReport, SegmentMeta};
use crate::segment::{segment_name, SEGMENT_FILE_MAX_BYTES};
use crate::storage::{Access, FsStorage, Storage, StorageFile};
use crate::watermark::Watermark;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The writer's staging buffer: frames are written to the file in chunks of about this size.
/// Big enough that a 512-record batch of small commands is one write, small enough to stay in cache.
const WRITE_CHUNK_BYTES: usize = 1 << 20;

/// Name of the subdirectory that [`Journal::archive_segments_through`] moves old segments to.
pub const ARCHIVE_DIR: &str = "archive";

/// Journal settings. Every field has a default; see [`JournalConfig::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalConfig {
    /// Roll to a new segment when the next record would take the active one past this size
    /// (a single record larger than this gets a segment of its own). Default 64 MiB.
    pub segment_max_bytes: u64,
    /// Largest payload [`Journal::append_batch`] accepts. Default 1 MiB.
    pub max_payload_bytes: usize,
    /// Seq of the first record when the directory holds no segment (a replica bootstrapped from
    /// a snapshot starts after it). Ignored once segments exist. Default 1.
    pub first_seq: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig { segment_max_bytes: 64 << 20, max_payload_bytes: 1 << 20, first_seq: 1 }
    }
}

impl JournalConfig {
    fn assert_valid(&self) {
        assert!(self.segment_max_bytes >= frame::HEADER_BYTES as u64);
        assert!(
            self.segment_max_bytes + frame::FRAME_MAX_BYTES as u64 <= SEGMENT_FILE_MAX_BYTES,
            "segment_max_bytes leaves no room for one maximal record below the hard file limit"
        );
        assert!(self.max_payload_bytes <= PAYLOAD_MAX_BYTES);
        // Seq 0 is never used, so "durable up to 0" can mean "nothing yet".
        assert!(self.first_seq >= 1);
    }
}

/// The span of seqs a journal holds: `first_seq..next_seq` (empty when equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqSpan {
    /// Seq of the oldest record still in the journal directory (archived ones excluded).
    pub first_seq: u64,
    /// Seq the next appended record must carry.
    pub next_seq: u64,
}

/// What [`Journal::archive_segments_through`] moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveReport {
    pub segments_moved: usize,
    /// The journal's first seq after archiving.
    pub first_seq: u64,
}

/// A durable, append-only, checksummed log of opaque records with contiguous sequence numbers.
///
/// One `Journal` is the single writer of its directory. Readers ([`Journal::read_from`]) may run
/// on other threads; they see only durable records.
pub struct Journal<S: Storage = FsStorage> {
    storage: S,
    dir: PathBuf,
    config: JournalConfig,
    /// Oldest first; the last one is the active segment. Empty only before the first append.
    segments: Vec<SegmentMeta>,
    /// Handle on the last segment, open for appending.
    active: Option<S::File>,
    /// Seq the next appended record must carry.
    next_seq: u64,
    /// The epochs of the retained records; an append of an older epoch is refused.
    epochs: EpochHistory,
    write_buf: Vec<u8>,
    watermark: Arc<Watermark>,
    /// Set by the first fatal error; the writer then refuses all work.
    poisoned: Option<String>,
    recovery: RecoveryReport,
}

impl Journal<FsStorage> {
    /// Opens (creating if needed) the journal in `dir` on the real file system, recovering it.
    pub fn open(dir: impl AsRef<Path>, config: JournalConfig) -> Result<Self, JournalError> {
        Journal::open_with(FsStorage, dir, config)
    }
}

impl<S: Storage> Journal<S> {
    /// Opens the journal in `dir` on `storage`: validates every segment, truncates a torn tail
    /// of the last one (see [`RecoveryReport::truncated`]), and errors on any other damage.
    pub fn open_with(storage: S, dir: impl AsRef<Path>, config: JournalConfig) -> Result<Self, JournalError> {
        config.assert_valid();
        let dir = dir.as_ref().to_path_buf();
        let recovered = recovery::recover(&storage, &dir, config.first_seq)?;
        let active = match recovered.segments.last() {
            Some(last) => {
                let path = dir.join(segment_name(last.first_seq));
                let file = storage.open(&path, Access::ReadWrite).map_err(|e| JournalError::io("open", &path, e))?;
                let len_bytes = file.len_bytes().map_err(|e| JournalError::io("stat", &path, e))?;
                assert_eq!(len_bytes, last.len_bytes, "recovery left the active segment at its valid length");
                Some(file)
            }
            None => None,
        };
        tracing::info!(
            dir = %dir.display(),
            segments = recovered.report.segments,
            records = recovered.report.records,
            next_seq = recovered.next_seq,
            "journal opened"
        );
        Ok(Journal {
            storage,
            config,
            segments: recovered.segments,
            active,
            next_seq: recovered.next_seq,
            epochs: recovered.epochs,
            write_buf: Vec::with_capacity(WRITE_CHUNK_BYTES),
            watermark: Arc::new(Watermark::new(recovered.next_seq)),
            poisoned: None,
            recovery: recovered.report,
            dir,
        })
    }

    /// What recovery found when this journal was opened.
    pub fn recovery(&self) -> &RecoveryReport {
        &self.recovery
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The seqs held in the journal directory. Unless the writer is poisoned, everything below
    /// `next_seq` is durable.
    pub fn span(&self) -> SeqSpan {
        let first_seq = self.segments.first().map_or(self.next_seq, |s| s.first_seq);
        SeqSpan { first_seq, next_seq: self.next_seq }
    }

    /// Seq the next appended record must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Which epoch wrote which of the retained records.
    pub fn epochs(&self) -> &EpochHistory {
        &self.epochs
    }

    /// A cloneable source of readers over this journal, for threads that start reading later
    /// (a replication link serving a standby that connects at any time).
    pub fn reader_source(&self) -> ReaderSource<S> {
        ReaderSource { storage: self.storage.clone(), dir: self.dir.clone(), watermark: Arc::clone(&self.watermark) }
    }

    /// Writes `batch` and makes it durable with a single fdatasync (group commit). Returns the
    /// seq of its last record: every record up to it is on stable storage, and only now may the
    /// commands in the batch be acknowledged.
    ///
    /// # Errors
    /// - [`AppendError::PayloadTooLarge`]: rejected before any I/O; nothing written.
    /// - [`AppendError::Fatal`]: **the process must stop; do not retry.** Durability of this batch
    ///   is unknown; the writer is poisoned. Reopen (after restart) to learn what survived.
    /// - [`AppendError::Poisoned`]: an earlier call failed fatally.
    ///
    /// # Panics
    /// If `batch` is empty, if its seqs do not continue [`Journal::next_seq`] one by one, or if a
    /// checkpoint does not carry exactly 32 bytes. These are bugs in the sequencer, not input.
    pub fn append_batch(&mut self, batch: &[Record<'_>]) -> Result<u64, AppendError> {
        if let Some(cause) = &self.poisoned {
            return Err(AppendError::Poisoned { cause: cause.clone() });
        }
        assert!(!batch.is_empty(), "an empty batch has nothing to make durable");
        for (index, record) in batch.iter().enumerate() {
            assert_eq!(record.seq, self.next_seq + index as u64, "journal seqs must be contiguous");
            if record.kind == RecordKind::Checkpoint {
                assert_eq!(record.payload.len(), STATE_HASH_BYTES, "a checkpoint carries a 32-byte state hash");
            }
            if record.payload.len() > self.config.max_payload_bytes {
                return Err(AppendError::PayloadTooLarge { seq: record.seq, payload_bytes: record.payload.len(), max_bytes: self.config.max_payload_bytes });
            }
            let previous_epoch = if index == 0 { self.epochs.last_epoch() } else { Some(batch[index - 1].epoch) };
            if previous_epoch.is_some_and(|previous| record.epoch < previous) {
                return Err(AppendError::StaleEpoch { seq: record.seq, epoch: record.epoch, journal_epoch: previous_epoch.unwrap_or(0) });
            }
        }
        match self.write_and_sync(batch) {
            Ok(last_seq) => {
                assert_eq!(last_seq + 1, self.next_seq);
                self.watermark.advance(self.next_seq);
                Ok(last_seq)
            }
            Err(fatal) => {
                tracing::error!(error = %fatal, "journal append failed; writer poisoned, the process must stop");
                self.poison(&fatal);
                Err(AppendError::Fatal(fatal))
            }
        }
    }

    fn poison(&mut self, fatal: &FatalError) {
        self.poisoned = Some(fatal.to_string());
        // Readers drain what is durable and then stop instead of waiting for a dead writer.
        self.watermark.close();
    }

    fn write_and_sync(&mut self, batch: &[Record<'_>]) -> Result<u64, FatalError> {
        self.write_buf.clear();
        for record in batch {
            let frame_len = record.frame_len() as u64;
            if self.must_roll(frame_len) {
                self.flush_write_buf()?;
                self.roll(record.seq)?;
            }
            if self.write_buf.len() + frame_len as usize > WRITE_CHUNK_BYTES {
                self.flush_write_buf()?;
            }
            frame::encode(record, &mut self.write_buf);
            self.epochs.observe(record.epoch, record.seq);
            self.next_seq += 1;
            self.segments.last_mut().expect("rolled above").next_seq = self.next_seq;
        }
        self.flush_write_buf()?;
        let path = self.active_path();
        self.active_file().fdatasync().map_err(|source| FatalError { op: "fdatasync", path, source })?;
        Ok(self.next_seq - 1)
    }

    /// Whether the next frame must go to a new segment: there is none yet, or it would overflow
    /// a non-empty active segment.
    fn must_roll(&self, frame_len: u64) -> bool {
        match self.segments.last() {
            None => true,
            Some(active) => {
                let len_bytes = active.len_bytes + self.write_buf.len() as u64;
                len_bytes > 0 && len_bytes + frame_len > self.config.segment_max_bytes
            }
        }
    }

    fn flush_write_buf(&mut self) -> Result<(), FatalError> {
        if self.write_buf.is_empty() {
            return Ok(());
        }
        let path = self.active_path();
        let active = self.active.as_mut().expect("a segment exists before frames are staged");
        active.append(&self.write_buf).map_err(|source| FatalError { op: "write", path, source })?;
        self.segments.last_mut().expect("active segment").len_bytes += self.write_buf.len() as u64;
        self.write_buf.clear();
        Ok(())
    }

    /// Seals the active segment (fdatasync) and starts a new one whose first record is `first_seq`.
    fn roll(&mut self, first_seq: u64) -> Result<(), FatalError> {
        assert!(self.write_buf.is_empty());
        assert_eq!(first_seq, self.next_seq);
        if self.active.is_some() {
            let path = self.active_path();
            self.active_file().fdatasync().map_err(|source| FatalError { op: "fdatasync", path, source })?;
        }
        let path = self.dir.join(segment_name(first_seq));
        let file = self.storage.create_new(&path).map_err(|source| FatalError { op: "create segment", path: path.clone(), source })?;
        self.active = Some(file);
        self.segments.push(SegmentMeta { first_seq, next_seq: first_seq, len_bytes: 0 });
        // Without this, a crash could lose the new file's name even though its data were synced.
        self.storage.fsync_dir(&self.dir).map_err(|source| FatalError { op: "fsync directory", path: self.dir.clone(), source })?;
        tracing::debug!(segment = %path.display(), "journal rolled to a new segment");
        Ok(())
    }

    fn active_path(&self) -> PathBuf {
        let active = self.segments.last().expect("active segment");
        self.dir.join(segment_name(active.first_seq))
    }

    fn active_file(&mut self) -> &mut S::File {
        self.active.as_mut().expect("active segment is open")
    }

    /// A reader over durable records starting at `seq`, for replay or replication. It follows
    /// the journal as it grows (see [`JournalReader::wait_for_records`]).
    pub fn read_from(&self, seq: u64) -> Result<JournalReader<S>, JournalError> {
        let span = self.span();
        if seq < span.first_seq {
            return Err(JournalError::NotRetained { seq, first_seq: span.first_seq });
        }
        let durable_next_seq = self.watermark.durable_next_seq();
        if seq > durable_next_seq {
            return Err(JournalError::BeyondEnd { seq, next_seq: durable_next_seq });
        }
        let segment_first_seq = self.segments.iter().rev().map(|s| s.first_seq).find(|&first| first <= seq);
        Ok(JournalReader::new(self.storage.clone(), self.dir.clone(), Arc::clone(&self.watermark), segment_first_seq, seq))
    }

    /// Moves to `archive/` every segment whose records all have seq `<= seq` (typically the seq
    /// of the newest snapshot), except the active segment. Oldest first, each move made durable
    /// before the next, so the journal directory always holds a contiguous run of segments.
    ///
    /// # Panics
    /// If `seq` is not durable yet: a snapshot can only cover durable records.
    pub fn archive_segments_through(&mut self, seq: u64) -> Result<ArchiveReport, JournalError> {
        if let Some(cause) = &self.poisoned {
            return Err(JournalError::Poisoned { cause: cause.clone() });
        }
        assert!(seq < self.watermark.durable_next_seq(), "only durable records can be covered by a snapshot");
        let archive_dir = self.dir.join(ARCHIVE_DIR);
        self.storage.create_dir_all(&archive_dir).map_err(|e| JournalError::io("create_dir_all", &archive_dir, e))?;
        let mut moved = 0;
        // Bounded by the number of segments; the active (last) one always stays.
        while self.segments.len() > 1 && self.segments[0].next_seq - 1 <= seq {
            let name = segment_name(self.segments[0].first_seq);
            let from = self.dir.join(&name);
            let to = archive_dir.join(&name);
            self.storage.rename(&from, &to).map_err(|e| JournalError::io("rename", &from, e))?;
            for dir in [archive_dir.clone(), self.dir.clone()] {
                if let Err(source) = self.storage.fsync_dir(&dir) {
                    let fatal = FatalError { op: "fsync directory", path: dir, source };
                    self.poison(&fatal);
                    return Err(fatal.into());
                }
            }
            tracing::info!(segment = %name, "journal segment archived");
            self.segments.remove(0);
            moved += 1;
        }
        Ok(ArchiveReport { segments_moved: moved, first_seq: self.span().first_seq })
    }
}

impl<S: Storage> Journal<S> {
    /// Cuts every record from `from_seq` on: a deposed primary's tail that the new primary
    /// never had (in synchronous mode, never acknowledged either). Whole later segments are
    /// deleted, the segment holding `from_seq` is cut at that record's first byte, and both are
    /// made durable before this returns. Readers made before the cut end; make new ones.
    ///
    /// # Panics
    /// If `from_seq` is below the retained span or above its end (caller bugs).
    pub fn truncate_from(&mut self, from_seq: u64) -> Result<TruncateReport, JournalError> {
        if let Some(cause) = &self.poisoned {
            return Err(JournalError::Poisoned { cause: cause.clone() });
        }
        let span = self.span();
        assert!(span.first_seq <= from_seq && from_seq <= span.next_seq, "cut at {from_seq} outside the retained {span:?}");
        let cut_epochs: Vec<u32> =
            self.epochs.starts().iter().map(|s| s.epoch).filter(|&e| self.epochs.end_of(e, self.next_seq).is_some_and(|end| end > from_seq)).collect();
        let report = TruncateReport { from_seq, records_cut: self.next_seq - from_seq, epochs: cut_epochs };
        if report.records_cut == 0 {
            return Ok(report);
        }
        // Bounded by the number of segments.
        while let Some(last) = self.segments.last() {
            let path = self.dir.join(segment_name(last.first_seq));
            if last.first_seq < from_seq {
                let mut file = self.storage.open(&path, Access::ReadWrite).map_err(|e| JournalError::io("open", &path, e))?;
                let mut bytes = Vec::new();
                crate::storage::read_all(&file, crate::segment::SEGMENT_FILE_MAX_BYTES, &mut bytes).map_err(|e| JournalError::io("read", &path, e))?;
                let mut offset = 0usize;
                for _ in last.first_seq..from_seq {
                    let (_, frame_len) = frame::decode(&bytes[offset..]).expect("recovery validated this segment");
                    offset += frame_len;
                }
                file.truncate(offset as u64).map_err(|e| JournalError::io("truncate", &path, e))?;
                file.fdatasync().map_err(|source| FatalError { op: "fdatasync", path: path.clone(), source })?;
                let active = self.segments.last_mut().expect("checked above");
                active.next_seq = from_seq;
                active.len_bytes = offset as u64;
                self.active = Some(file);
                break;
            }
            self.storage.remove_file(&path).map_err(|e| JournalError::io("remove", &path, e))?;
            self.segments.pop();
            self.active = None;
        }
        self.storage.fsync_dir(&self.dir).map_err(|source| FatalError { op: "fsync directory", path: self.dir.clone(), source })?;
        if self.active.is_none() {
            if let Some(last) = self.segments.last() {
                let path = self.dir.join(segment_name(last.first_seq));
                self.active = Some(self.storage.open(&path, Access::ReadWrite).map_err(|e| JournalError::io("open", &path, e))?);
            }
        }
        self.next_seq = from_seq;
        self.epochs.truncate_from(from_seq);
        self.watermark.close();
        self.watermark = Arc::new(Watermark::new(from_seq));
        tracing::warn!(from_seq, records = report.records_cut, epochs = ?report.epochs, "journal tail cut (a deposed primary's unreplicated records)");
        Ok(report)
    }
}

/// What [`Journal::truncate_from`] cut.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TruncateReport {
    /// The first seq cut; the journal now ends just before it.
    pub from_seq: u64,
    pub records_cut: u64,
    /// The epochs of the records cut.
    pub epochs: Vec<u32>,
}

/// Makes readers over one journal from any thread, at any time (see [`Journal::reader_source`]).
#[derive(Clone)]
pub struct ReaderSource<S: Storage> {
    storage: S,
    dir: PathBuf,
    watermark: Arc<Watermark>,
}

impl<S: Storage> ReaderSource<S> {
    /// A reader from `seq`, like [`Journal::read_from`]: `NotRetained` if `seq` was archived,
    /// `BeyondEnd` if it is not durable yet.
    pub fn read_from(&self, seq: u64) -> Result<JournalReader<S>, JournalError> {
        let names = self.storage.list_files(&self.dir).map_err(|e| JournalError::io("list", &self.dir, e))?;
        let mut firsts: Vec<u64> = names.iter().filter_map(|name| crate::segment::parse_segment_name(name)).collect();
        firsts.sort_unstable();
        let durable_next_seq = self.watermark.durable_next_seq();
        let first_seq = firsts.first().copied().unwrap_or(durable_next_seq);
        if seq < first_seq {
            return Err(JournalError::NotRetained { seq, first_seq });
        }
        if seq > durable_next_seq {
            return Err(JournalError::BeyondEnd { seq, next_seq: durable_next_seq });
        }
        let segment_first_seq = firsts.iter().rev().copied().find(|&first| first <= seq);
        Ok(JournalReader::new(self.storage.clone(), self.dir.clone(), Arc::clone(&self.watermark), segment_first_seq, seq))
    }

    /// The durable records in the directory now (archived ones excluded).
    pub fn span(&self) -> Result<SeqSpan, JournalError> {
        let names = self.storage.list_files(&self.dir).map_err(|e| JournalError::io("list", &self.dir, e))?;
        let next_seq = self.watermark.durable_next_seq();
        let first_seq = names.iter().filter_map(|name| crate::segment::parse_segment_name(name)).min().unwrap_or(next_seq);
        Ok(SeqSpan { first_seq: first_seq.min(next_seq), next_seq })
    }

    /// One past the last durable record.
    pub fn durable_next_seq(&self) -> u64 {
        self.watermark.durable_next_seq()
    }
}

impl<S: Storage> Drop for Journal<S> {
    fn drop(&mut self) {
        // Followers finish draining and end their streams instead of waiting forever.
        self.watermark.close();
    }
}
