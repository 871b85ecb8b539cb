//! Record framing: the byte layout of one journal record, on disk and on the replication wire.
//!
//! ```text
//! offset  size  field
//!      0     4  crc32c (Castagnoli) over bytes 4..frame_len
//!      4     4  frame_len: header + payload, in bytes
//!      8     2  format version (FORMAT_VERSION)
//!     10     1  kind: 1 = command, 2 = checkpoint
//!     11     1  reserved, must be zero
//!     12     4  epoch: the leadership term the record was written under (0 before the first
//!                promotion; journals written before epochs existed read as epoch 0)
//!     16     8  sequence number
//!     24     8  timestamp_ms (stamped by the sequencer; opaque here)
//!     32     …  payload
//! ```
//!
//! The checksum sits first so that it also covers the length: a bit flip in `frame_len` is caught
//! like any other instead of silently making the reader skip to the wrong place. All integers are
//! little-endian. A frame is the same bytes on disk and on the replication stream, so a follower's
//! segments end up byte-identical to the primary's.

/// Bytes in a record header.
pub const HEADER_BYTES: usize = 32;
/// The only format version this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Hard upper bound on one frame, whatever the configuration says: a corrupt length field can
/// never make a reader allocate or wait for more than this.
pub const FRAME_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Hard upper bound on one payload.
pub const PAYLOAD_MAX_BYTES: usize = FRAME_MAX_BYTES - HEADER_BYTES;
/// Bytes of the state hash a checkpoint record carries.
pub const STATE_HASH_BYTES: usize = 32;

/// A 32-byte hash of engine state. The journal stores it; the engine computes and compares it.
pub type StateHash = [u8; STATE_HASH_BYTES];

/// What a record is. The journal never looks inside a command payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// An opaque, already-sequenced command for the engine.
    Command,
    /// A checkpoint: the payload is exactly the 32-byte hash of the engine state after applying
    /// every record whose seq is lower than this record's seq. Replay compares it to verify itself.
    Checkpoint,
}

impl RecordKind {
    fn to_byte(self) -> u8 {
        match self {
            RecordKind::Command => 1,
            RecordKind::Checkpoint => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(RecordKind::Command),
            2 => Some(RecordKind::Checkpoint),
            _ => None,
        }
    }
}

/// One record, borrowing its payload: what callers append and what readers yield.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub seq: u64,
    /// The leadership term this record was written under; never decreases along a journal.
    pub epoch: u32,
    pub timestamp_ms: u64,
    pub kind: RecordKind,
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// A command record carrying opaque payload bytes.
    pub fn command(seq: u64, timestamp_ms: u64, payload: &'a [u8]) -> Self {
        Record { seq, epoch: 0, timestamp_ms, kind: RecordKind::Command, payload }
    }

    /// The same record, written under `epoch`.
    pub fn in_epoch(self, epoch: u32) -> Self {
        Record { epoch, ..self }
    }

    /// A checkpoint record: `state_hash` is the engine state after every record below `seq`.
    pub fn checkpoint(seq: u64, timestamp_ms: u64, state_hash: &'a StateHash) -> Self {
        Record { seq, epoch: 0, timestamp_ms, kind: RecordKind::Checkpoint, payload: state_hash }
    }

    /// The state hash if this is a checkpoint record.
    pub fn checkpoint_hash(&self) -> Option<&'a StateHash> {
        match self.kind {
            RecordKind::Command => None,
            // Length is validated on encode and decode, so the conversion cannot fail.
            RecordKind::Checkpoint => Some(self.payload.try_into().expect("checkpoint is 32 bytes")),
        }
    }

    /// Bytes this record occupies once framed.
    pub fn frame_len(&self) -> usize {
        HEADER_BYTES + self.payload.len()
    }

    /// An owned copy.
    pub fn to_owned_record(&self) -> RecordBuf {
        RecordBuf { seq: self.seq, epoch: self.epoch, timestamp_ms: self.timestamp_ms, kind: self.kind, payload: self.payload.to_vec() }
    }
}

/// An owned record, for callers that keep records beyond the next read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordBuf {
    pub seq: u64,
    pub epoch: u32,
    pub timestamp_ms: u64,
    pub kind: RecordKind,
    pub payload: Vec<u8>,
}

impl RecordBuf {
    pub fn as_record(&self) -> Record<'_> {
        Record { seq: self.seq, epoch: self.epoch, timestamp_ms: self.timestamp_ms, kind: self.kind, payload: &self.payload }
    }
}

/// Why bytes at some offset are not a valid frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameDefect {
    /// Fewer bytes remain than a header needs.
    ShortHeader {
        available_bytes: usize,
    },
    /// `frame_len` is below the header size or above [`FRAME_MAX_BYTES`].
    LengthOutOfRange {
        frame_len: u32,
    },
    /// `frame_len` runs past the end of the available bytes.
    ShortFrame {
        frame_len: u32,
        available_bytes: usize,
    },
    /// Checksum mismatch.
    Checksum {
        stored: u32,
        computed: u32,
    },
    /// Checksum fine but a field holds a value this version never writes.
    Version {
        version: u16,
    },
    Kind {
        kind: u8,
    },
    Reserved,
    CheckpointLength {
        payload_bytes: usize,
    },
}

impl std::fmt::Display for FrameDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            FrameDefect::ShortHeader { available_bytes } => {
                write!(f, "only {available_bytes} bytes left, a header needs {HEADER_BYTES}")
            }
            FrameDefect::LengthOutOfRange { frame_len } => write!(f, "frame length {frame_len} outside {HEADER_BYTES}..={FRAME_MAX_BYTES}"),
            FrameDefect::ShortFrame { frame_len, available_bytes } => write!(f, "frame length {frame_len} but only {available_bytes} bytes left"),
            FrameDefect::Checksum { stored, computed } => write!(f, "crc32c mismatch: stored {stored:#010x}, computed {computed:#010x}"),
            FrameDefect::Version { version } => write!(f, "unknown format version {version}"),
            FrameDefect::Kind { kind } => write!(f, "unknown record kind {kind}"),
            FrameDefect::Reserved => write!(f, "reserved header bytes are not zero"),
            FrameDefect::CheckpointLength { payload_bytes } => write!(f, "checkpoint payload is {payload_bytes} bytes, expected {STATE_HASH_BYTES}"),
        }
    }
}

/// Appends the frame of `record` to `out`.
///
/// Preconditions (asserted: the writer checks them before any I/O, so breaking one is a bug):
/// the payload fits [`PAYLOAD_MAX_BYTES`] and a checkpoint carries exactly 32 bytes.
pub fn encode(record: &Record<'_>, out: &mut Vec<u8>) {
    assert!(record.payload.len() <= PAYLOAD_MAX_BYTES);
    if record.kind == RecordKind::Checkpoint {
        assert_eq!(record.payload.len(), STATE_HASH_BYTES);
    }
    let frame_len = record.frame_len();
    let start = out.len();
    out.reserve(frame_len);
    out.extend_from_slice(&[0u8; 4]); // crc, filled below
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(record.kind.to_byte());
    out.push(0);
    out.extend_from_slice(&record.epoch.to_le_bytes());
    out.extend_from_slice(&record.seq.to_le_bytes());
    out.extend_from_slice(&record.timestamp_ms.to_le_bytes());
    out.extend_from_slice(record.payload);
    debug_assert_eq!(out.len() - start, frame_len);
    let crc = crc32c::crc32c(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Reads `frame_len` from the header at the start of `bytes`, checking only its range.
/// Lets a buffered reader know how many bytes to fetch before calling [`decode`].
pub fn peek_frame_len(bytes: &[u8]) -> Result<usize, FrameDefect> {
    if bytes.len() < HEADER_BYTES {
        return Err(FrameDefect::ShortHeader { available_bytes: bytes.len() });
    }
    let frame_len = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
    if (frame_len as usize) < HEADER_BYTES || frame_len as usize > FRAME_MAX_BYTES {
        return Err(FrameDefect::LengthOutOfRange { frame_len });
    }
    Ok(frame_len as usize)
}

/// The seq field of a header whose checksum may not hold: only for error messages.
pub fn unverified_seq(bytes: &[u8]) -> Option<u64> {
    bytes.get(16..24).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Decodes and fully validates the frame at the start of `bytes`; returns the record and the
/// number of bytes it occupies. Sequence contiguity is the caller's check: only it knows what
/// seq to expect.
pub fn decode(bytes: &[u8]) -> Result<(Record<'_>, usize), FrameDefect> {
    let frame_len = peek_frame_len(bytes)?;
    if frame_len > bytes.len() {
        return Err(FrameDefect::ShortFrame { frame_len: frame_len as u32, available_bytes: bytes.len() });
    }
    let frame = &bytes[..frame_len];
    let stored = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
    let computed = crc32c::crc32c(&frame[4..]);
    if stored != computed {
        return Err(FrameDefect::Checksum { stored, computed });
    }
    let version = u16::from_le_bytes(frame[8..10].try_into().expect("2 bytes"));
    if version != FORMAT_VERSION {
        return Err(FrameDefect::Version { version });
    }
    let kind = RecordKind::from_byte(frame[10]).ok_or(FrameDefect::Kind { kind: frame[10] })?;
    if frame[11] != 0 {
        return Err(FrameDefect::Reserved);
    }
    let payload = &frame[HEADER_BYTES..];
    if kind == RecordKind::Checkpoint && payload.len() != STATE_HASH_BYTES {
        return Err(FrameDefect::CheckpointLength { payload_bytes: payload.len() });
    }
    let record = Record {
        seq: u64::from_le_bytes(frame[16..24].try_into().expect("8 bytes")),
        epoch: u32::from_le_bytes(frame[12..16].try_into().expect("4 bytes")),
        timestamp_ms: u64::from_le_bytes(frame[24..32].try_into().expect("8 bytes")),
        kind,
        payload,
    };
    Ok((record, frame_len))
}

/// Parses a frame that [`decode`] already accepted, without a second checksum pass.
pub(crate) fn parse_validated(frame: &[u8]) -> Record<'_> {
    debug_assert!(decode(frame).is_ok_and(|(_, len)| len == frame.len()));
    Record {
        seq: u64::from_le_bytes(frame[16..24].try_into().expect("8 bytes")),
        epoch: u32::from_le_bytes(frame[12..16].try_into().expect("4 bytes")),
        timestamp_ms: u64::from_le_bytes(frame[24..32].try_into().expect("8 bytes")),
        kind: RecordKind::from_byte(frame[10]).expect("validated kind"),
        payload: &frame[HEADER_BYTES..],
    }
}

/// Whether some complete, checksum-valid frame starts anywhere in `bytes[from..]`.
///
/// Recovery uses this to tell a torn tail (nothing valid after the bad bytes: the last write was
/// cut short, never acknowledged) from corruption in the middle (valid records follow: something
/// damaged data that was once whole, which must never be skipped). Cost is one cheap length check
/// per byte offset, plus a checksum only where the length and version look plausible; it runs only
/// when recovery meets a defect.
pub fn any_valid_frame_in(bytes: &[u8], from: usize) -> bool {
    let mut offset = from;
    while offset + HEADER_BYTES <= bytes.len() {
        let candidate = &bytes[offset..];
        let plausible = match peek_frame_len(candidate) {
            Ok(frame_len) => frame_len <= candidate.len() && u16::from_le_bytes([candidate[8], candidate[9]]) == FORMAT_VERSION,
            Err(_) => false,
        };
        if plausible && decode(candidate).is_ok() {
            return true;
        }
        offset += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(record: &Record<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(record, &mut out);
        out
    }

    #[test]
    fn round_trip_command_and_checkpoint() {
        let command = Record::command(7, 1_700_000_000_123, b"place order").in_epoch(3);
        let hash = [0xAB; 32];
        let checkpoint = Record::checkpoint(8, 1_700_000_000_124, &hash);
        let mut bytes = frame_of(&command);
        bytes.extend_from_slice(&frame_of(&checkpoint));

        let (first, used) = decode(&bytes).unwrap();
        assert_eq!(first, command);
        assert_eq!(used, HEADER_BYTES + 11);
        assert_eq!(first.epoch, 3);
        let (second, used2) = decode(&bytes[used..]).unwrap();
        assert_eq!(second, checkpoint);
        assert_eq!(second.checkpoint_hash(), Some(&hash));
        assert_eq!(used + used2, bytes.len());
    }

    #[test]
    fn empty_payload_is_a_valid_frame() {
        let bytes = frame_of(&Record::command(1, 0, b""));
        assert_eq!(bytes.len(), HEADER_BYTES);
        assert_eq!(decode(&bytes).unwrap().0.payload, b"");
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = frame_of(&Record::command(42, 99, b"0123456789abcdef"));
        for byte in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[byte] ^= 1 << bit;
                assert!(decode(&damaged).is_err(), "flip of bit {bit} in byte {byte} went unnoticed");
            }
        }
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = frame_of(&Record::command(42, 99, b"0123456789abcdef"));
        for len in 0..bytes.len() {
            let defect = decode(&bytes[..len]).unwrap_err();
            assert!(matches!(defect, FrameDefect::ShortHeader { .. } | FrameDefect::ShortFrame { .. }));
        }
    }

    #[test]
    fn checksum_covers_the_length_field() {
        let mut bytes = frame_of(&Record::command(1, 0, b"abcdefgh"));
        bytes.extend_from_slice(&[0u8; 8]);
        // Shrink the frame length by 8: still in range and still within the buffer.
        let frame_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) - 8;
        bytes[4..8].copy_from_slice(&frame_len.to_le_bytes());
        assert!(matches!(decode(&bytes), Err(FrameDefect::Checksum { .. })));
    }

    #[test]
    fn valid_frame_search_finds_a_frame_after_garbage() {
        let mut bytes = vec![0xEE; 13];
        let frame = frame_of(&Record::command(3, 0, b"x"));
        bytes.extend_from_slice(&frame);
        assert!(any_valid_frame_in(&bytes, 0));
        assert!(any_valid_frame_in(&bytes, 13));
        assert!(!any_valid_frame_in(&bytes, 14));
        assert!(!any_valid_frame_in(&bytes[..bytes.len() - 1], 0));
    }

    /// The fuzz target: any bytes, and valid frames with bytes changed, truncated or appended,
    /// decode to a record or a defect, never a panic or an overrun. `TALAT_FUZZ_CASES` sets
    /// the cases (`scripts/fuzz` runs many).
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig { cases: std::env::var("TALAT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), ..ProptestConfig::default() }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
                if let Ok((record, used)) = decode(&bytes) {
                    prop_assert!(used <= bytes.len() && record.payload.len() <= PAYLOAD_MAX_BYTES);
                }
            }

            #[test]
            fn damaged_frames_decode_or_are_refused(payload in proptest::collection::vec(any::<u8>(), 0..512), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>(), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
                let mut bytes = frame_of(&Record::command(3, 1_700_000_000_000, &payload));
                let i = at % bytes.len();
                bytes[i] = byte;
                bytes.truncate(cut % (bytes.len() + 1));
                bytes.extend_from_slice(&tail);
                if let Ok((_, used)) = decode(&bytes) {
                    prop_assert!(used <= bytes.len());
                }
            }
        }
    }
}
