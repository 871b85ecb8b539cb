//! Replication stream: the journal's durable records, in order, over any byte stream.
//!
//! Wire format: a 24-byte stream header, then journal frames exactly as they are on disk (each
//! with its own checksum and seq), then end of stream.
//!
//! ```text
//! offset size field
//!      0    8 magic "TALATREP"
//!      8    2 stream version (STREAM_VERSION)
//!     10    2 reserved, zero
//!     12    8 seq of the first frame that follows
//!     20    4 crc32c over bytes 0..20
//! ```
//!
//! The sender reads only durable records, so a follower never holds a record the primary could
//! lose. The receiver re-validates every frame (checksum, format, contiguity from the header's
//! start seq) and [`replicate_into`] appends what it receives to a local journal with group
//! commit; with the same [`crate::JournalConfig`] the follower's segments are byte-identical.
//!
//! Acknowledgements back to the primary and the handshake that fences a deposed primary by
//! epoch are talat-continuity's link; every frame carries its epoch, and the receiving journal
//! refuses one older than its last. No heartbeats: a dead peer is seen as a closed connection,
//! a silent one by the primary's standby bound and the etcd lease.

use crate::error::{AppendError, JournalError};
use crate::frame::{self, FrameDefect, Record, RecordBuf, FRAME_MAX_BYTES, HEADER_BYTES};
use crate::journal::Journal;
use crate::reader::JournalReader;
use crate::storage::Storage;
use crate::watermark::WaitOutcome;
use std::io::{self, BufWriter, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

pub const STREAM_MAGIC: [u8; 8] = *b"TALATREP";
pub const STREAM_VERSION: u16 = 1;
pub const STREAM_HEADER_BYTES: usize = 24;

/// Records sent between two looks at the stop flag, so a stop request is seen even while a
/// follower is far behind.
const SEND_ROUND_RECORDS_MAX: usize = 4096;
/// Socket write buffering on the sender and read buffering on the receiver.
const STREAM_BUF_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    #[error("replication stream I/O: {0}")]
    Io(#[from] io::Error),
    #[error("bad replication stream header: {0}")]
    BadHeader(&'static str),
    #[error("replication stream at byte {stream_offset}: expected seq {expected_seq}: {defect}")]
    Frame { stream_offset: u64, expected_seq: u64, defect: FrameDefect },
    #[error("replication stream at byte {stream_offset}: expected seq {expected_seq}, got {found_seq}")]
    SeqNotContiguous { stream_offset: u64, expected_seq: u64, found_seq: u64 },
    #[error("replication stream ended inside the frame of seq {expected_seq} at byte {stream_offset}")]
    Truncated { stream_offset: u64, expected_seq: u64 },
    #[error("stream starts at seq {stream_start_seq} but the local journal expects seq {journal_next_seq}")]
    StartMismatch { stream_start_seq: u64, journal_next_seq: u64 },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// How [`send_stream`] behaves.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// Longest wait for new durable records before looking at the stop flag again.
    pub idle_wait_ms: u64,
    /// End the stream after sending this seq. `None`: follow until the writer closes or stop.
    pub last_seq: Option<u64>,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions { idle_wait_ms: 50, last_seq: None }
    }
}

/// Why a stream ended cleanly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The journal writer was dropped or poisoned and every durable record was sent.
    WriterClosed,
    /// The stop flag was set.
    Stopped,
    /// [`SendOptions::last_seq`] was sent.
    ReachedLastSeq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendSummary {
    pub records: u64,
    pub bytes: u64,
    /// Seq of the first record not sent.
    pub next_seq: u64,
    pub end: StreamEnd,
}

fn encode_header(start_seq: u64) -> [u8; STREAM_HEADER_BYTES] {
    let mut header = [0u8; STREAM_HEADER_BYTES];
    header[0..8].copy_from_slice(&STREAM_MAGIC);
    header[8..10].copy_from_slice(&STREAM_VERSION.to_le_bytes());
    header[12..20].copy_from_slice(&start_seq.to_le_bytes());
    let crc = crc32c::crc32c(&header[..20]);
    header[20..24].copy_from_slice(&crc.to_le_bytes());
    header
}

fn decode_header(header: &[u8; STREAM_HEADER_BYTES]) -> Result<u64, ReplicationError> {
    if header[0..8] != STREAM_MAGIC {
        return Err(ReplicationError::BadHeader("wrong magic"));
    }
    let crc = u32::from_le_bytes(header[20..24].try_into().expect("4 bytes"));
    if crc != crc32c::crc32c(&header[..20]) {
        return Err(ReplicationError::BadHeader("checksum mismatch"));
    }
    if u16::from_le_bytes([header[8], header[9]]) != STREAM_VERSION {
        return Err(ReplicationError::BadHeader("unknown stream version"));
    }
    if header[10..12] != [0, 0] {
        return Err(ReplicationError::BadHeader("reserved bytes not zero"));
    }
    Ok(u64::from_le_bytes(header[12..20].try_into().expect("8 bytes")))
}

/// Streams durable records from `reader` to `out`, following the journal live: records made
/// durable after the call began are sent as they appear. Returns when the writer closes, when
/// `stop` is set (looked at least every `idle_wait_ms` and every few thousand records), or after
/// [`SendOptions::last_seq`].
pub fn send_stream<S: Storage, W: Write>(
    reader: &mut JournalReader<S>,
    out: W,
    stop: &AtomicBool,
    options: &SendOptions,
) -> Result<SendSummary, ReplicationError> {
    let mut out = BufWriter::with_capacity(STREAM_BUF_BYTES, out);
    out.write_all(&encode_header(reader.next_seq()))?;
    let mut summary = SendSummary { records: 0, bytes: 0, next_seq: reader.next_seq(), end: StreamEnd::Stopped };
    if options.last_seq.is_some_and(|last| last < summary.next_seq) {
        out.flush()?;
        summary.end = StreamEnd::ReachedLastSeq;
        return Ok(summary);
    }
    // Bounded per pass by SEND_ROUND_RECORDS_MAX; the loop as a whole ends on close, stop or
    // last_seq, which the caller controls.
    loop {
        for _ in 0..SEND_ROUND_RECORDS_MAX {
            let Some((seq, frame_bytes)) = reader.next_frame()? else {
                break;
            };
            out.write_all(frame_bytes)?;
            summary.records += 1;
            summary.bytes += frame_bytes.len() as u64;
            summary.next_seq = seq + 1;
            if options.last_seq == Some(seq) {
                out.flush()?;
                summary.end = StreamEnd::ReachedLastSeq;
                return Ok(summary);
            }
        }
        out.flush()?;
        if stop.load(Ordering::Acquire) {
            summary.end = StreamEnd::Stopped;
            return Ok(summary);
        }
        if reader.wait_for_records(options.idle_wait_ms) == WaitOutcome::Closed {
            summary.end = StreamEnd::WriterClosed;
            return Ok(summary);
        }
    }
}

/// The follower's end of a replication stream: yields validated records in order.
pub struct StreamReceiver<R: Read> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    /// Stream bytes consumed before `buf[0]`, for error offsets.
    buf_stream_offset: u64,
    next_seq: u64,
}

impl<R: Read> StreamReceiver<R> {
    /// Reads and checks the stream header.
    pub fn new(mut input: R) -> Result<Self, ReplicationError> {
        let mut header = [0u8; STREAM_HEADER_BYTES];
        input.read_exact(&mut header)?;
        let start_seq = decode_header(&header)?;
        Ok(StreamReceiver { input, buf: vec![0; STREAM_BUF_BYTES], pos: 0, filled: 0, buf_stream_offset: STREAM_HEADER_BYTES as u64, next_seq: start_seq })
    }

    /// Seq of the next record the stream must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The next record, blocking on the input as needed; `None` at a clean end of stream.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReplicationError> {
        if !self.fill(HEADER_BYTES)? {
            if self.pos == self.filled {
                return Ok(None);
            }
            return Err(self.truncated());
        }
        let frame_len = frame::peek_frame_len(&self.buf[self.pos..self.filled]).map_err(|d| self.frame_error(d))?;
        if !self.fill(frame_len)? {
            return Err(self.truncated());
        }
        let (start, len) = self.take_frame(frame_len)?;
        Ok(Some(frame::parse_validated(&self.buf[start..start + len])))
    }

    /// The next record only if it is already fully buffered: no I/O, never blocks. Lets a
    /// follower batch whatever arrived together into one local fdatasync.
    pub fn next_buffered_record(&mut self) -> Result<Option<Record<'_>>, ReplicationError> {
        let unread = &self.buf[self.pos..self.filled];
        if unread.len() < HEADER_BYTES {
            return Ok(None);
        }
        let frame_len = frame::peek_frame_len(unread).map_err(|d| self.frame_error(d))?;
        if unread.len() < frame_len {
            return Ok(None);
        }
        let (start, len) = self.take_frame(frame_len)?;
        Ok(Some(frame::parse_validated(&self.buf[start..start + len])))
    }

    /// Validates and consumes the fully buffered frame at `pos`.
    fn take_frame(&mut self, frame_len: usize) -> Result<(usize, usize), ReplicationError> {
        let start = self.pos;
        let (record, used) = frame::decode(&self.buf[start..start + frame_len]).map_err(|d| self.frame_error(d))?;
        assert_eq!(used, frame_len);
        if record.seq != self.next_seq {
            return Err(ReplicationError::SeqNotContiguous { stream_offset: self.stream_offset(), expected_seq: self.next_seq, found_seq: record.seq });
        }
        self.pos += frame_len;
        self.next_seq += 1;
        Ok((start, frame_len))
    }

    /// Reads until `bytes` unread bytes are buffered; false if the stream ends first.
    fn fill(&mut self, bytes: usize) -> Result<bool, ReplicationError> {
        assert!(bytes <= FRAME_MAX_BYTES);
        if self.filled - self.pos >= bytes {
            return Ok(true);
        }
        self.buf.copy_within(self.pos..self.filled, 0);
        self.buf_stream_offset += self.pos as u64;
        self.filled -= self.pos;
        self.pos = 0;
        if self.buf.len() < bytes {
            self.buf.resize(bytes, 0);
        }
        // Bounded: each pass reads at least one byte, returns, or retries an interrupted read.
        while self.filled < bytes {
            match self.input.read(&mut self.buf[self.filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    fn stream_offset(&self) -> u64 {
        self.buf_stream_offset + self.pos as u64
    }

    fn frame_error(&self, defect: FrameDefect) -> ReplicationError {
        ReplicationError::Frame { stream_offset: self.stream_offset(), expected_seq: self.next_seq, defect }
    }

    fn truncated(&self) -> ReplicationError {
        ReplicationError::Truncated { stream_offset: self.stream_offset(), expected_seq: self.next_seq }
    }
}

/// Appends everything `receiver` yields to `journal` until the stream ends, batching whatever
/// arrived together (at most `max_batch_records`) into one group commit. Returns records appended.
///
/// A fatal append error surfaces as [`ReplicationError::Append`]: the follower must stop too.
pub fn replicate_into<R: Read, S: Storage>(
    receiver: &mut StreamReceiver<R>,
    journal: &mut Journal<S>,
    max_batch_records: usize,
) -> Result<u64, ReplicationError> {
    assert!(max_batch_records >= 1);
    if receiver.next_seq() != journal.next_seq() {
        return Err(ReplicationError::StartMismatch { stream_start_seq: receiver.next_seq(), journal_next_seq: journal.next_seq() });
    }
    let mut batch: Vec<RecordBuf> = Vec::with_capacity(max_batch_records);
    let mut appended = 0;
    // Ends at end of stream; each pass appends at least one record.
    loop {
        batch.clear();
        match receiver.next_record()? {
            Some(record) => batch.push(record.to_owned_record()),
            None => return Ok(appended),
        }
        while batch.len() < max_batch_records {
            match receiver.next_buffered_record()? {
                Some(record) => batch.push(record.to_owned_record()),
                None => break,
            }
        }
        let records: Vec<Record<'_>> = batch.iter().map(RecordBuf::as_record).collect();
        journal.append_batch(&records)?;
        appended += records.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let header = encode_header(42);
        assert_eq!(decode_header(&header).unwrap(), 42);
        for byte in 0..STREAM_HEADER_BYTES {
            let mut damaged = header;
            damaged[byte] ^= 0x10;
            assert!(decode_header(&damaged).is_err(), "damage at byte {byte} went unnoticed");
        }
    }

    fn stream_of(start_seq: u64, records: &[Record<'_>]) -> Vec<u8> {
        let mut bytes = encode_header(start_seq).to_vec();
        for record in records {
            frame::encode(record, &mut bytes);
        }
        bytes
    }

    #[test]
    fn receiver_validates_contiguity_and_truncation() {
        let good = stream_of(5, &[Record::command(5, 0, b"a"), Record::command(6, 0, b"b")]);
        let mut receiver = StreamReceiver::new(&good[..]).unwrap();
        assert_eq!(receiver.next_record().unwrap().unwrap().payload, b"a");
        assert_eq!(receiver.next_buffered_record().unwrap().unwrap().seq, 6);
        assert!(receiver.next_record().unwrap().is_none());

        let gap = stream_of(5, &[Record::command(5, 0, b"a"), Record::command(7, 0, b"b")]);
        let mut receiver = StreamReceiver::new(&gap[..]).unwrap();
        receiver.next_record().unwrap();
        assert!(matches!(receiver.next_record(), Err(ReplicationError::SeqNotContiguous { expected_seq: 6, found_seq: 7, .. })));

        let cut = &good[..good.len() - 1];
        let mut receiver = StreamReceiver::new(cut).unwrap();
        receiver.next_record().unwrap();
        assert!(matches!(receiver.next_record(), Err(ReplicationError::Truncated { expected_seq: 6, .. })));
    }
}
