//! Sequential, buffered reading of durable records, for replay and for replication.
//!
//! A reader walks segments by name (the next segment is always the one named by the next seq),
//! reads them in large positional reads into one reusable buffer, and re-validates every frame
//! (checksum and contiguity): replay must not trust bytes that may have rotted since `open`. It
//! never yields a record the writer has not made durable, so it can safely run alongside the
//! writer and follow it.

use crate::error::{Corruption, JournalError, Problem};
use crate::frame::{self, Record, RecordBuf, FRAME_MAX_BYTES, HEADER_BYTES};
use crate::segment::segment_name;
use crate::storage::{read_full_at, Access, Storage};
use crate::watermark::{WaitOutcome, Watermark};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Initial read buffer; it grows (up to one maximal frame) only if a record needs it.
const READ_CHUNK_BYTES: usize = 1 << 20;

/// Reads durable records in seq order. Created by [`crate::Journal::read_from`].
pub struct JournalReader<S: Storage> {
    storage: S,
    dir: PathBuf,
    watermark: Arc<Watermark>,
    file: Option<S::File>,
    file_path: PathBuf,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_file_offset: u64,
    /// Next unread byte in `buf`.
    pos: usize,
    /// Bytes of `buf` holding file data.
    filled: usize,
    /// Seq of the next frame in the file.
    next_seq: u64,
    /// Frames below this seq are validated but not yielded (the reader started mid-segment).
    start_seq: u64,
    /// Cached durable watermark; refreshed only when reached, to keep the hot path lock-free.
    durable_limit: u64,
    /// File offset of the frame last yielded, for [`JournalReader::last_position`].
    last_offset_bytes: u64,
}

impl<S: Storage> JournalReader<S> {
    /// `segment_first_seq`: the segment holding `start_seq`, or `None` if `start_seq` is the
    /// first record of a segment that does not exist yet.
    pub(crate) fn new(storage: S, dir: PathBuf, watermark: Arc<Watermark>, segment_first_seq: Option<u64>, start_seq: u64) -> Self {
        let durable_limit = watermark.durable_next_seq();
        JournalReader {
            storage,
            dir,
            watermark,
            file: None,
            file_path: PathBuf::new(),
            buf: vec![0; READ_CHUNK_BYTES],
            buf_file_offset: 0,
            pos: 0,
            filled: 0,
            next_seq: segment_first_seq.unwrap_or(start_seq),
            start_seq,
            durable_limit,
            last_offset_bytes: 0,
        }
    }

    /// The segment file and byte offset of the record this reader returned last. The journal
    /// validates frames only; a caller that finds something wrong inside a payload (a command
    /// that does not decode, a checkpoint that does not match) uses this to name the place.
    pub fn last_position(&self) -> (&Path, u64) {
        (&self.file_path, self.last_offset_bytes)
    }

    /// Seq of the next record this reader will yield.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.max(self.start_seq)
    }

    /// The next durable record, or `None` when the reader has caught up with the durable end.
    /// The record borrows the reader's buffer until the next call.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, JournalError> {
        match self.advance()? {
            Some((start, len)) => Ok(Some(frame::parse_validated(&self.buf[start..start + len]))),
            None => Ok(None),
        }
    }

    /// Like [`JournalReader::next_record`] but owned.
    pub fn next_record_buf(&mut self) -> Result<Option<RecordBuf>, JournalError> {
        Ok(self.next_record()?.map(|r| r.to_owned_record()))
    }

    /// The raw frame bytes of the next durable record (what replication sends), with its seq.
    pub(crate) fn next_frame(&mut self) -> Result<Option<(u64, &[u8])>, JournalError> {
        match self.advance()? {
            Some((start, len)) => Ok(Some((self.next_seq - 1, &self.buf[start..start + len]))),
            None => Ok(None),
        }
    }

    /// Blocks up to `timeout_ms` until a record beyond what this reader has returned is durable.
    /// [`WaitOutcome::Closed`] means the writer is gone and there will never be more.
    pub fn wait_for_records(&mut self, timeout_ms: u64) -> WaitOutcome {
        let outcome = self.watermark.wait_beyond(self.next_seq(), timeout_ms);
        self.durable_limit = self.watermark.durable_next_seq();
        outcome
    }

    /// Finds, validates and consumes the next yieldable frame; returns its place in `buf`.
    fn advance(&mut self) -> Result<Option<(usize, usize)>, JournalError> {
        loop {
            if self.next_seq >= self.durable_limit {
                self.durable_limit = self.watermark.durable_next_seq();
                if self.next_seq >= self.durable_limit {
                    return Ok(None);
                }
            }
            // The record `next_seq` is durable, so its bytes are complete in this segment or,
            // if this segment has no more bytes, at the start of the segment named after it.
            if !self.ensure_buffered(HEADER_BYTES)? {
                if self.filled == self.pos {
                    self.open_segment(self.next_seq)?;
                    continue;
                }
                return Err(self.corruption(Problem::MissingDurableRecord).into());
            }
            let frame_len = frame::peek_frame_len(&self.buf[self.pos..self.filled]).map_err(|defect| self.corruption(Problem::Frame(defect)))?;
            if !self.ensure_buffered(frame_len)? {
                return Err(self.corruption(Problem::MissingDurableRecord).into());
            }
            let start = self.pos;
            let (record, used) = frame::decode(&self.buf[start..start + frame_len]).map_err(|defect| self.corruption(Problem::Frame(defect)))?;
            debug_assert_eq!(used, frame_len);
            if record.seq != self.next_seq {
                let found = record.seq;
                let mut error = self.corruption(Problem::SeqNotContiguous);
                error.found_seq = Some(found);
                return Err(error.into());
            }
            self.pos += frame_len;
            self.next_seq += 1;
            if self.next_seq > self.start_seq {
                self.last_offset_bytes = self.buf_file_offset + start as u64;
                return Ok(Some((start, frame_len)));
            }
        }
    }

    /// Makes at least `bytes` unread bytes available in `buf`, reading from the file as needed.
    /// Returns false if the file ends first.
    fn ensure_buffered(&mut self, bytes: usize) -> Result<bool, JournalError> {
        assert!(bytes <= FRAME_MAX_BYTES);
        if self.filled - self.pos >= bytes {
            return Ok(true);
        }
        let Some(file) = self.file.as_ref() else {
            return Ok(false);
        };
        // Slide the unread tail to the front, grow for an oversized frame, then fill the rest.
        self.buf.copy_within(self.pos..self.filled, 0);
        self.buf_file_offset += self.pos as u64;
        self.filled -= self.pos;
        self.pos = 0;
        if self.buf.len() < bytes {
            self.buf.resize(bytes, 0);
        }
        let offset = self.buf_file_offset + self.filled as u64;
        let read = read_full_at(file, offset, &mut self.buf[self.filled..]).map_err(|e| JournalError::io("read", &self.file_path, e))?;
        self.filled += read;
        Ok(self.filled - self.pos >= bytes)
    }

    fn open_segment(&mut self, first_seq: u64) -> Result<(), JournalError> {
        let path = self.dir.join(segment_name(first_seq));
        let file = match self.storage.open(&path, Access::Read) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A durable record with no bytes where they must be: never skip past it.
                return Err(Corruption { file: path, offset_bytes: 0, expected_seq: first_seq, found_seq: None, problem: Problem::MissingDurableRecord }.into());
            }
            Err(e) => return Err(JournalError::io("open", &path, e)),
        };
        self.file = Some(file);
        self.file_path = path;
        self.buf_file_offset = 0;
        self.pos = 0;
        self.filled = 0;
        if self.buf.len() > READ_CHUNK_BYTES {
            // Give back memory an oversized frame of the previous segment needed.
            self.buf.truncate(READ_CHUNK_BYTES);
            self.buf.shrink_to_fit();
        }
        Ok(())
    }

    fn corruption(&self, problem: Problem) -> Corruption {
        Corruption {
            file: self.file_path.clone(),
            offset_bytes: self.buf_file_offset + self.pos as u64,
            expected_seq: self.next_seq,
            found_seq: frame::unverified_seq(&self.buf[self.pos..self.filled]),
            problem,
        }
    }
}

impl<S: Storage> Iterator for JournalReader<S> {
    type Item = Result<RecordBuf, JournalError>;

    /// Owned records until the reader catches up with the durable end. For millions of records
    /// prefer [`JournalReader::next_record`], which does not allocate.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record_buf().transpose()
    }
}
