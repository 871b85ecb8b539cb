//! Segment files: their names, and the validating scan recovery runs over each one.
//!
//! A segment is a plain concatenation of frames, named by the seq of its first record, zero
//! padded so that name order is seq order: `journal-00000000000000000001.log`.

use crate::epochs::EpochHistory;
use crate::error::{Corruption, Problem};
use crate::frame::{self, FrameDefect};
use std::path::Path;

const PREFIX: &str = "journal-";
const SUFFIX: &str = ".log";
const SEQ_DIGITS: usize = 20;

/// Hard upper bound on one segment file: recovery reads a whole segment into memory, so a file
/// larger than this is refused rather than read. Configured segment sizes must stay below it.
pub const SEGMENT_FILE_MAX_BYTES: u64 = 1 << 30;

/// The file name of the segment whose first record has `first_seq`.
pub fn segment_name(first_seq: u64) -> String {
    format!("{PREFIX}{first_seq:0width$}{SUFFIX}", width = SEQ_DIGITS)
}

/// The first seq encoded in a segment file name; `None` for any other file.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != SEQ_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A torn tail found (and to be cut off) at the end of the last segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    pub offset_bytes: u64,
    pub dropped_bytes: u64,
    /// The seq the torn record would have had.
    pub expected_seq: u64,
    /// Its header's seq field, if enough bytes survived to hold one (unverified).
    pub found_seq: Option<u64>,
    pub defect: FrameDefect,
}

/// What a scan of one segment found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOutcome {
    pub records: u64,
    /// Bytes from the start of the segment up to the end of its last valid record.
    pub valid_bytes: u64,
    /// Only ever set when scanning the last segment.
    pub torn_tail: Option<TornTail>,
}

/// Validates every frame of a segment: checksum, format, and seq contiguity from `first_seq`.
///
/// In the last segment, a defect with no valid frame anywhere after it is a torn tail: the final
/// write was cut short by a crash before its fdatasync returned, so it was never acknowledged and
/// is reported for truncation. Any other defect, and any defect in an earlier segment (which was
/// fully synced before the next segment was created), is corruption. So is a record whose epoch
/// is below its predecessor's; `epochs` holds the history so far and learns this segment's.
pub fn scan_segment(path: &Path, bytes: &[u8], first_seq: u64, is_last: bool, epochs: &mut EpochHistory) -> Result<ScanOutcome, Corruption> {
    let mut offset = 0usize;
    let mut expected_seq = first_seq;
    // Bounded: each pass consumes a frame of at least HEADER_BYTES, or returns.
    while offset < bytes.len() {
        match frame::decode(&bytes[offset..]) {
            Ok((record, frame_len)) => {
                if record.seq != expected_seq {
                    return Err(Corruption {
                        file: path.to_path_buf(),
                        offset_bytes: offset as u64,
                        expected_seq,
                        found_seq: Some(record.seq),
                        problem: Problem::SeqNotContiguous,
                    });
                }
                if !epochs.admits(record.epoch) {
                    return Err(Corruption {
                        file: path.to_path_buf(),
                        offset_bytes: offset as u64,
                        expected_seq,
                        found_seq: Some(record.seq),
                        problem: Problem::EpochBackwards { epoch: record.epoch, previous: epochs.last_epoch().unwrap_or(0) },
                    });
                }
                epochs.observe(record.epoch, record.seq);
                offset += frame_len;
                expected_seq += 1;
            }
            Err(defect) => {
                let found_seq = frame::unverified_seq(&bytes[offset..]);
                if is_last && !frame::any_valid_frame_in(bytes, offset + 1) {
                    return Ok(ScanOutcome {
                        records: expected_seq - first_seq,
                        valid_bytes: offset as u64,
                        torn_tail: Some(TornTail {
                            offset_bytes: offset as u64,
                            dropped_bytes: (bytes.len() - offset) as u64,
                            expected_seq,
                            found_seq,
                            defect,
                        }),
                    });
                }
                return Err(Corruption { file: path.to_path_buf(), offset_bytes: offset as u64, expected_seq, found_seq, problem: Problem::Frame(defect) });
            }
        }
    }
    Ok(ScanOutcome { records: expected_seq - first_seq, valid_bytes: offset as u64, torn_tail: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{encode, Record, HEADER_BYTES};

    fn segment(first_seq: u64, count: u64) -> Vec<u8> {
        let mut out = Vec::new();
        for seq in first_seq..first_seq + count {
            encode(&Record::command(seq, seq * 10, format!("cmd{seq}").as_bytes()), &mut out);
        }
        out
    }

    #[test]
    fn names_round_trip_and_sort_by_seq() {
        assert_eq!(segment_name(1), "journal-00000000000000000001.log");
        assert_eq!(parse_segment_name(&segment_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_segment_name("journal-1.log"), None);
        assert_eq!(parse_segment_name("journal-0000000000000000000x.log"), None);
        assert_eq!(parse_segment_name("snapshot-00000000000000000001.snap"), None);
        assert!(segment_name(9) < segment_name(10));
    }

    #[test]
    fn clean_segment_scans_fully() {
        let bytes = segment(5, 3);
        let outcome = scan_segment(Path::new("s"), &bytes, 5, true, &mut EpochHistory::default()).unwrap();
        assert_eq!(outcome, ScanOutcome { records: 3, valid_bytes: bytes.len() as u64, torn_tail: None });
    }

    #[test]
    fn torn_tail_only_in_last_segment() {
        let bytes = segment(1, 3);
        let cut = &bytes[..bytes.len() - 2];
        let outcome = scan_segment(Path::new("s"), cut, 1, true, &mut EpochHistory::default()).unwrap();
        let torn = outcome.torn_tail.unwrap();
        assert_eq!(outcome.records, 2);
        assert_eq!(torn.expected_seq, 3);
        assert_eq!(torn.found_seq, Some(3));
        assert_eq!(torn.offset_bytes + torn.dropped_bytes, cut.len() as u64);
        let err = scan_segment(Path::new("s"), cut, 1, false, &mut EpochHistory::default()).unwrap_err();
        assert_eq!(err.expected_seq, 3);
    }

    #[test]
    fn gap_is_corruption_even_in_last_segment() {
        let mut bytes = segment(1, 2);
        bytes.extend_from_slice(&segment(4, 1));
        let err = scan_segment(Path::new("s"), &bytes, 1, true, &mut EpochHistory::default()).unwrap_err();
        assert_eq!(err.problem, Problem::SeqNotContiguous);
        assert_eq!((err.expected_seq, err.found_seq), (3, Some(4)));
    }

    #[test]
    fn bad_middle_record_followed_by_valid_ones_is_corruption() {
        let mut bytes = segment(1, 3);
        let second = bytes.len() / 3; // all three frames have the same length
        bytes[second + HEADER_BYTES] ^= 0x01;
        let err = scan_segment(Path::new("seg"), &bytes, 1, true, &mut EpochHistory::default()).unwrap_err();
        assert_eq!(err.offset_bytes, second as u64);
        assert_eq!(err.expected_seq, 2);
        assert!(matches!(err.problem, Problem::Frame(FrameDefect::Checksum { .. })));
    }

    #[test]
    fn an_epoch_going_backwards_is_corruption() {
        let mut bytes = Vec::new();
        encode(&Record::command(1, 0, b"a").in_epoch(2), &mut bytes);
        encode(&Record::command(2, 0, b"b").in_epoch(3), &mut bytes);
        let mut epochs = EpochHistory::default();
        assert_eq!(scan_segment(Path::new("s"), &bytes, 1, true, &mut epochs).unwrap().records, 2);
        assert_eq!(epochs.end_of(2, 3), Some(2));
        encode(&Record::command(3, 0, b"c").in_epoch(1), &mut bytes);
        let err = scan_segment(Path::new("s"), &bytes, 1, true, &mut EpochHistory::default()).unwrap_err();
        assert_eq!(err.problem, Problem::EpochBackwards { epoch: 1, previous: 3 });
        assert_eq!(err.expected_seq, 3);
    }
}
