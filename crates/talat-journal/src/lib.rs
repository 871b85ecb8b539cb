//! talat-journal: the durable command log.
//!
//! It stores opaque records (bytes plus a sequence number and a timestamp) and knows nothing
//! about what a command means. The sequencer appends a batch, the journal makes it durable with
//! one fdatasync, and only then are the commands acknowledged and handed to the engine.
//!
//! # Module map
//! | module | one job |
//! |---|---|
//! | [`storage`] | the file-system slice the journal uses: real files, and a fault-injecting model |
//! | `frame` | byte layout of one record: header, crc32c, encode/decode |
//! | `segment` | segment file names, and the validating scan of one segment |
//! | `epochs` | which leadership term wrote which records; where a deposed primary must cut |
//! | `recovery` | what `open` does: validate every segment, truncate a torn tail, report |
//! | `journal` | [`Journal`]: open, group-commit writer, segment rolling, archiving |
//! | `reader` | [`JournalReader`]: buffered sequential replay that can follow a live journal |
//! | `watermark` | the durable seq shared by the writer and its readers |
//! | `snapshot` | [`SnapshotStore`]: atomic, checksummed snapshots and choosing one to recover from |
//! | `replication` | streaming durable records over any `Write`/`Read` pair |
//! | [`bench`] | group-commit and replay benchmarks on real files |
//!
//! # Durability guarantee
//! When [`Journal::append_batch`] returns `Ok(seq)`, every record up to `seq` is on stable
//! storage (fdatasync returned, and the segment's directory entry was fsynced when it was
//! created). After any crash, [`Journal::open`] yields a journal that holds:
//! - every acknowledged record, byte for byte;
//! - then possibly some whole records of the batch in flight at the crash (written but not
//!   acknowledged: the crash came before or during their fdatasync). They are intact and
//!   contiguous, so the engine will apply them on replay; clients that got no acknowledgement
//!   retry and are deduplicated by the engine's idempotence keys;
//! - never a partial or damaged record: a torn last record is cut off and reported in
//!   [`RecoveryReport::truncated`]. Damage anywhere else is an error naming file, byte offset and
//!   seq, never skipped.
//!
//! A failed fdatasync is [`FatalError`]: the process must stop; do not retry.
//!
//! Limits: a bit flip in the last record of the last segment looks exactly like a torn write
//! and is truncated (logged), even if that record was acknowledged; a checksum cannot tell the
//! two apart. Unsynced bytes reaching disk out of order (a hole followed by later bytes) makes
//! open refuse with a corruption error rather than guess.

pub mod bench;
mod epochs;
mod error;
mod frame;
mod journal;
mod reader;
mod recovery;
mod replication;
mod rng;
mod segment;
mod snapshot;
pub mod storage;
mod watermark;

pub use epochs::{EpochHistory, EpochStart, EPOCH_CHANGES_MAX};
pub use error::{AppendError, Corruption, FatalError, JournalError, Problem};
pub use frame::{FrameDefect, Record, RecordBuf, RecordKind, StateHash, FORMAT_VERSION, FRAME_MAX_BYTES, HEADER_BYTES, PAYLOAD_MAX_BYTES, STATE_HASH_BYTES};
pub use journal::{ArchiveReport, Journal, JournalConfig, ReaderSource, SeqSpan, TruncateReport, ARCHIVE_DIR};
pub use reader::JournalReader;
pub use recovery::{RecoveryReport, TruncatedTail};
pub use replication::{replicate_into, send_stream, ReplicationError, SendOptions, SendSummary, StreamEnd, StreamReceiver};
pub use segment::{segment_name, TornTail};
pub use snapshot::{Snapshot, SnapshotError, SnapshotStore, GENESIS_SEQ};
pub use watermark::WaitOutcome;
