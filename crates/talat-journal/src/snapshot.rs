//! Snapshots: opaque engine state at a seq, written atomically and checksummed.
//!
//! A snapshot at seq `S` holds the state after applying every record with seq `<= S`; replay
//! resumes at `S + 1`. File `snapshot-<S, 20 digits>.snap`:
//!
//! ```text
//! offset size field
//!      0    8 magic "TALATSNP"
//!      8    4 crc32c over bytes 12..end
//!     12    2 version (SNAPSHOT_VERSION)
//!     14    2 reserved, zero
//!     16    8 seq
//!     24   32 state hash (computed by the engine; stored, never interpreted)
//!     56    8 state length in bytes
//!     64    … state bytes
//! ```
//!
//! Writing: a temp file, fdatasync, rename over the final name, fsync the directory. A crash at
//! any point leaves either the complete new snapshot or none (stale temp files are removed on
//! open). Only after [`SnapshotStore::write`] returns `Ok` may journal segments it covers be
//! archived.

use crate::frame::StateHash;
use crate::journal::SeqSpan;
use crate::storage::{read_all, Access, FsStorage, Storage, StorageFile};
use std::io;
use std::path::{Path, PathBuf};

const MAGIC: [u8; 8] = *b"TALATSNP";
pub const SNAPSHOT_VERSION: u16 = 1;
const HEADER_BYTES: usize = 64;
const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".snap";
const TMP_SUFFIX: &str = ".snap.tmp";
const SEQ_DIGITS: usize = 20;
/// Largest snapshot file this store reads back (it is loaded whole into memory).
pub const SNAPSHOT_FILE_MAX_BYTES: u64 = 8 << 30;
/// The seq of the first record of a journal that was never bootstrapped from a snapshot.
pub const GENESIS_SEQ: u64 = 1;

/// A loaded, checksum-verified snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// State after every record with seq `<= seq`.
    pub seq: u64,
    pub state_hash: StateHash,
    pub state: Vec<u8>,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O error: {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("snapshot {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// No snapshot plus the retained journal can rebuild the state; an operator must act
    /// (restore archived segments or a snapshot from a replica).
    #[error("no usable snapshot: {reason}")]
    NoUsableSnapshot { reason: String },
    /// A valid snapshot covers records the journal does not have: the journal lost durable
    /// records or belongs to another instance.
    #[error("snapshot at seq {snapshot_seq} is ahead of the journal, whose next seq is {journal_next_seq}")]
    AheadOfJournal { snapshot_seq: u64, journal_next_seq: u64 },
}

fn io_error(op: &'static str, path: &Path, source: io::Error) -> SnapshotError {
    SnapshotError::Io { op, path: path.to_path_buf(), source }
}

fn snapshot_name(seq: u64) -> String {
    format!("{PREFIX}{seq:0width$}{SUFFIX}", width = SEQ_DIGITS)
}

fn parse_snapshot_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if digits.len() != SEQ_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Encodes a whole snapshot file.
fn encode(seq: u64, state_hash: &StateHash, state: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + state.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[0u8; 4]); // crc, filled below
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&[0u8; 2]);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(state_hash);
    out.extend_from_slice(&(state.len() as u64).to_le_bytes());
    assert_eq!(out.len(), HEADER_BYTES);
    out.extend_from_slice(state);
    let crc = crc32c::crc32c(&out[12..]);
    out[8..12].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Checks a whole snapshot file; returns (seq, hash, state range start).
fn decode(bytes: &[u8]) -> Result<(u64, StateHash), String> {
    if bytes.len() < HEADER_BYTES {
        return Err(format!("{} bytes, shorter than the {HEADER_BYTES}-byte header", bytes.len()));
    }
    if bytes[0..8] != MAGIC {
        return Err("wrong magic".into());
    }
    let stored = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let computed = crc32c::crc32c(&bytes[12..]);
    if stored != computed {
        return Err(format!("crc32c mismatch: stored {stored:#010x}, computed {computed:#010x}"));
    }
    let version = u16::from_le_bytes([bytes[12], bytes[13]]);
    if version != SNAPSHOT_VERSION {
        return Err(format!("unknown version {version}"));
    }
    if bytes[14..16] != [0, 0] {
        return Err("reserved bytes not zero".into());
    }
    let seq = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let state_hash: StateHash = bytes[24..56].try_into().expect("32 bytes");
    let state_len = u64::from_le_bytes(bytes[56..64].try_into().expect("8 bytes"));
    if state_len != (bytes.len() - HEADER_BYTES) as u64 {
        return Err(format!("header says {state_len} state bytes, file has {}", bytes.len() - HEADER_BYTES));
    }
    Ok((seq, state_hash))
}

/// A directory of snapshots.
pub struct SnapshotStore<S: Storage = FsStorage> {
    storage: S,
    dir: PathBuf,
}

impl SnapshotStore<FsStorage> {
    /// Opens (creating if needed) the snapshot directory `dir` on the real file system.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SnapshotError> {
        SnapshotStore::open_with(FsStorage, dir)
    }
}

impl<S: Storage> SnapshotStore<S> {
    /// Opens the snapshot directory, removing temp files left by a crash mid-write.
    pub fn open_with(storage: S, dir: impl AsRef<Path>) -> Result<Self, SnapshotError> {
        let dir = dir.as_ref().to_path_buf();
        storage.create_dir_all(&dir).map_err(|e| io_error("create_dir_all", &dir, e))?;
        let names = storage.list_files(&dir).map_err(|e| io_error("list", &dir, e))?;
        let mut removed = false;
        for name in names.iter().filter(|n| n.starts_with(PREFIX) && n.ends_with(TMP_SUFFIX)) {
            let path = dir.join(name);
            tracing::warn!(file = %path.display(), "removing a snapshot temp file left by a crash");
            storage.remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
            removed = true;
        }
        if removed {
            storage.fsync_dir(&dir).map_err(|e| io_error("fsync directory", &dir, e))?;
        }
        Ok(SnapshotStore { storage, dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Atomically and durably writes the snapshot of the state after record `seq`. When this
    /// returns `Ok` the snapshot survives a crash, and segments it covers may be archived.
    /// An error leaves no new snapshot visible after restart, or a complete one; never a partial.
    pub fn write(&self, seq: u64, state_hash: &StateHash, state: &[u8]) -> Result<PathBuf, SnapshotError> {
        let bytes = encode(seq, state_hash, state);
        assert!(bytes.len() as u64 <= SNAPSHOT_FILE_MAX_BYTES, "snapshot larger than this store reads back");
        let final_path = self.dir.join(snapshot_name(seq));
        let tmp_path = self.dir.join(format!("{PREFIX}{seq:0width$}{TMP_SUFFIX}", width = SEQ_DIGITS));
        if self.storage.open(&tmp_path, Access::Read).is_ok() {
            self.storage.remove_file(&tmp_path).map_err(|e| io_error("remove", &tmp_path, e))?;
        }
        let mut file = self.storage.create_new(&tmp_path).map_err(|e| io_error("create", &tmp_path, e))?;
        file.append(&bytes).map_err(|e| io_error("write", &tmp_path, e))?;
        file.fdatasync().map_err(|e| io_error("fdatasync", &tmp_path, e))?;
        drop(file);
        self.storage.rename(&tmp_path, &final_path).map_err(|e| io_error("rename", &tmp_path, e))?;
        self.storage.fsync_dir(&self.dir).map_err(|e| io_error("fsync directory", &self.dir, e))?;
        tracing::info!(file = %final_path.display(), seq, state_bytes = state.len(), "snapshot written");
        Ok(final_path)
    }

    /// Seqs of the snapshot files present, ascending (validity unchecked).
    pub fn list_seqs(&self) -> Result<Vec<u64>, SnapshotError> {
        let names = self.storage.list_files(&self.dir).map_err(|e| io_error("list", &self.dir, e))?;
        let mut seqs: Vec<u64> = names.iter().filter_map(|n| parse_snapshot_name(n)).collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Removes every snapshot file but the newest `keep` (by seq, valid or not), so the snapshot
    /// directory stays bounded. Returns the seqs kept, oldest first. Keeping two or more lets
    /// recovery fall back to an older snapshot when the newest one is damaged, provided the
    /// journal still holds the records after the older one (archive only what the oldest kept
    /// snapshot covers).
    pub fn retain_newest(&self, keep: usize) -> Result<Vec<u64>, SnapshotError> {
        assert!(keep >= 1, "keeping no snapshot would throw away the one just written");
        let seqs = self.list_seqs()?;
        let cut = seqs.len().saturating_sub(keep);
        if cut == 0 {
            return Ok(seqs);
        }
        for &seq in &seqs[..cut] {
            let path = self.dir.join(snapshot_name(seq));
            self.storage.remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
            tracing::info!(file = %path.display(), "old snapshot removed");
        }
        self.storage.fsync_dir(&self.dir).map_err(|e| io_error("fsync directory", &self.dir, e))?;
        Ok(seqs[cut..].to_vec())
    }

    /// The snapshot file of `seq` exactly as stored (checked), for sending to a standby that
    /// is too far behind to catch up from the journal.
    pub fn file_bytes(&self, seq: u64) -> Result<Vec<u8>, SnapshotError> {
        let snapshot = self.load(seq)?;
        Ok(encode(seq, &snapshot.state_hash, &snapshot.state))
    }

    /// Installs a snapshot file received from a primary (see [`SnapshotStore::file_bytes`]),
    /// checked and written as atomically and durably as [`SnapshotStore::write`].
    pub fn install_file(&self, seq: u64, bytes: &[u8]) -> Result<PathBuf, SnapshotError> {
        let path = self.dir.join(snapshot_name(seq));
        let (stored_seq, state_hash) = decode(bytes).map_err(|reason| SnapshotError::Corrupt { path: path.clone(), reason })?;
        if stored_seq != seq {
            return Err(SnapshotError::Corrupt { path, reason: format!("received as seq {seq}, contents say {stored_seq}") });
        }
        self.write(seq, &state_hash, &bytes[HEADER_BYTES..])
    }

    /// Removes every snapshot that covers a record at or after `from_seq` (the journal was cut
    /// there, so they describe a state that no longer exists). Returns the seqs removed.
    pub fn remove_from(&self, from_seq: u64) -> Result<Vec<u64>, SnapshotError> {
        let removed: Vec<u64> = self.list_seqs()?.into_iter().filter(|&seq| seq >= from_seq).collect();
        for &seq in &removed {
            let path = self.dir.join(snapshot_name(seq));
            self.storage.remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
            tracing::warn!(file = %path.display(), "snapshot past a journal cut removed");
        }
        self.storage.fsync_dir(&self.dir).map_err(|e| io_error("fsync directory", &self.dir, e))?;
        Ok(removed)
    }

    /// Loads and verifies the snapshot at `seq`.
    pub fn load(&self, seq: u64) -> Result<Snapshot, SnapshotError> {
        let path = self.dir.join(snapshot_name(seq));
        let file = self.storage.open(&path, Access::Read).map_err(|e| io_error("open", &path, e))?;
        let mut bytes = Vec::new();
        read_all(&file, SNAPSHOT_FILE_MAX_BYTES, &mut bytes).map_err(|e| io_error("read", &path, e))?;
        let corrupt = |reason: String| SnapshotError::Corrupt { path: path.clone(), reason };
        let (stored_seq, state_hash) = decode(&bytes).map_err(corrupt)?;
        if stored_seq != seq {
            return Err(corrupt(format!("file name says seq {seq}, contents say {stored_seq}")));
        }
        bytes.drain(..HEADER_BYTES);
        Ok(Snapshot { seq, state_hash, state: bytes, path })
    }

    /// The snapshot to recover from, given the journal's span: the newest one that passes its
    /// checksum, provided the journal still holds every record after it.
    ///
    /// - `Ok(Some(s))`: load `s`, replay the journal from `s.seq + 1`.
    /// - `Ok(None)`: no valid snapshot and the journal starts at [`GENESIS_SEQ`]: replay it all.
    /// - A corrupt newest snapshot is logged and an older valid one used only if the journal
    ///   still has the records after it; otherwise [`SnapshotError::NoUsableSnapshot`].
    pub fn newest_valid(&self, journal: SeqSpan) -> Result<Option<Snapshot>, SnapshotError> {
        let mut skipped: Vec<String> = Vec::new();
        for seq in self.list_seqs()?.into_iter().rev() {
            let snapshot = match self.load(seq) {
                Ok(snapshot) => snapshot,
                Err(SnapshotError::Corrupt { path, reason }) => {
                    tracing::error!(file = %path.display(), %reason, "corrupt snapshot; trying an older one");
                    skipped.push(format!("{} ({reason})", path.display()));
                    continue;
                }
                Err(other) => return Err(other),
            };
            if snapshot.seq >= journal.next_seq {
                return Err(SnapshotError::AheadOfJournal { snapshot_seq: snapshot.seq, journal_next_seq: journal.next_seq });
            }
            if snapshot.seq + 1 < journal.first_seq {
                return Err(SnapshotError::NoUsableSnapshot {
                    reason: format!(
                        "newest valid snapshot is at seq {} but the journal starts at seq {} (records {}..{} \
                         are archived or lost); skipped corrupt: [{}]",
                        snapshot.seq,
                        journal.first_seq,
                        snapshot.seq + 1,
                        journal.first_seq,
                        skipped.join(", ")
                    ),
                });
            }
            if !skipped.is_empty() {
                tracing::warn!(seq = snapshot.seq, skipped = ?skipped, "recovering from an older snapshot");
            }
            return Ok(Some(snapshot));
        }
        if journal.first_seq == GENESIS_SEQ {
            if !skipped.is_empty() {
                tracing::warn!(skipped = ?skipped, "no valid snapshot; replaying the journal from genesis");
            }
            return Ok(None);
        }
        Err(SnapshotError::NoUsableSnapshot {
            reason: format!(
                "no valid snapshot and the journal starts at seq {} rather than genesis; skipped corrupt: [{}]",
                journal.first_seq,
                skipped.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip_and_every_flip_detected() {
        let bytes = encode(9, &[7; 32], b"state");
        assert_eq!(decode(&bytes).unwrap(), (9, [7; 32]));
        for byte in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[byte] ^= 0x04;
            assert!(decode(&damaged).is_err(), "flip at byte {byte} went unnoticed");
        }
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_snapshot_name(&snapshot_name(12)), Some(12));
        assert_eq!(parse_snapshot_name("snapshot-00000000000000000012.snap.tmp"), None);
    }
}
