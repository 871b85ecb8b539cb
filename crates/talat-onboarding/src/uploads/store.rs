//! Content-addressed file storage for KYC uploads. **This is the only module of the crate that
//! performs I/O**; everything else is pure.
//!
//! A file is stored under its SHA-256: `<root>/ab/cd/<64 hex digits>`, where `ab` and `cd` are the
//! first two bytes of the hash (so no directory grows past 65,536 entries per level). Properties:
//!
//! - **Idempotent**: storing the same bytes twice yields the same hash and one file.
//! - **Atomic**: bytes go to a temporary file in the target directory, which is fsynced, then
//!   renamed into place, and the directory is fsynced; a crash leaves either no file or the whole
//!   file, never a partial one under the final name.
//! - **Tamper-evident**: [`ContentStore::get`] re-hashes what it reads and refuses a mismatch.
//! - **No path traversal**: a hash is accepted only as exactly 64 lower-case hex digits, so a
//!   caller-supplied hash can never name `../` or an absolute path.
//!
//! Files are never deleted here: CDD records must be kept for years, and deletion (after the
//! retention period) belongs to a separate, audited job.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Hex digits in a SHA-256.
pub const HASH_HEX_CHARS: usize = 64;

/// Distinguishes temporary files of concurrent `put`s within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A SHA-256 as 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

impl ContentHash {
    /// Accepts exactly 64 lower-case hex digits (the form [`ContentStore::put`] returns).
    pub fn parse(text: &str) -> Result<ContentHash, StoreError> {
        let ok = text.len() == HASH_HEX_CHARS && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            return Err(StoreError::BadHash);
        }
        Ok(ContentHash(text.to_owned()))
    }

    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> ContentHash {
        ContentHash(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ContentHash {
    type Error = StoreError;
    fn try_from(value: String) -> Result<ContentHash, StoreError> {
        ContentHash::parse(&value)
    }
}

impl From<ContentHash> for String {
    fn from(value: ContentHash) -> String {
        value.0
    }
}

/// Why storing or reading a file failed. Messages are for staff and logs, not customers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a content hash must be exactly 64 lower-case hexadecimal digits")]
    BadHash,
    #[error("the file is {bytes} bytes; the store accepts at most {max_bytes}")]
    TooLarge { bytes: u64, max_bytes: usize },
    #[error("no stored file has hash {hash}")]
    NotFound { hash: ContentHash },
    #[error("the stored file {hash} does not match its hash; it has been altered or damaged")]
    Corrupt { hash: ContentHash },
    #[error("could not {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io { action, path, source }
}

/// A directory of content-addressed files.
#[derive(Clone, Debug)]
pub struct ContentStore {
    root: PathBuf,
    max_bytes: usize,
}

impl ContentStore {
    /// Opens (creating if needed) a store at `root` holding files of at most `max_bytes`.
    pub fn open(root: impl Into<PathBuf>, max_bytes: usize) -> Result<ContentStore, StoreError> {
        assert!(max_bytes > 0);
        let root = root.into();
        fs::create_dir_all(&root).map_err(io_error("create", &root))?;
        Ok(ContentStore { root, max_bytes })
    }

    /// Where a hash's file lives: `<root>/ab/cd/<hash>`.
    fn path_for(&self, hash: &ContentHash) -> PathBuf {
        let h = hash.as_str();
        assert_eq!(h.len(), HASH_HEX_CHARS);
        self.root.join(&h[0..2]).join(&h[2..4]).join(h)
    }

    /// Stores `bytes` and returns their hash. Storing bytes already present does nothing more.
    pub fn put(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        if bytes.len() > self.max_bytes {
            return Err(StoreError::TooLarge { bytes: bytes.len() as u64, max_bytes: self.max_bytes });
        }
        let hash = ContentHash::of(bytes);
        let target = self.path_for(&hash);
        if let Ok(meta) = fs::metadata(&target) {
            // Same name means same content unless the disk damaged it; a size mismatch is the
            // cheap check, and rewriting below repairs it.
            if meta.is_file() && meta.len() == bytes.len() as u64 {
                return Ok(hash);
            }
        }
        let dir = target.parent().expect("path_for has parents").to_owned();
        let created_dirs = !dir.is_dir();
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        let temp = dir.join(format!(".tmp-{}-{}-{}", hash.as_str(), std::process::id(), TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)));
        let written = write_synced(&temp, bytes).and_then(|()| fs::rename(&temp, &target).map_err(io_error("rename", &temp)));
        if let Err(error) = written {
            let _ = fs::remove_file(&temp); // best effort; the original error is what matters
            return Err(error);
        }
        // Make the rename durable, and the new directories' entries if we created them.
        sync_dir(&dir)?;
        if created_dirs {
            let first = dir.parent().expect("ab/cd has a parent");
            sync_dir(first)?;
            sync_dir(&self.root)?;
        }
        Ok(hash)
    }

    /// Reads the file stored under `hash`, checking its content still matches.
    pub fn get(&self, hash: &ContentHash) -> Result<Vec<u8>, StoreError> {
        let path = self.path_for(hash);
        let file = File::open(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound { hash: hash.clone() },
            _ => StoreError::Io { action: "open", path: path.clone(), source },
        })?;
        let length = file.metadata().map_err(io_error("inspect", &path))?.len();
        if length > self.max_bytes as u64 {
            return Err(StoreError::TooLarge { bytes: length, max_bytes: self.max_bytes });
        }
        let mut bytes = Vec::with_capacity(length as usize);
        // `take` bounds the read even if the file grows after the size check.
        file.take(self.max_bytes as u64 + 1).read_to_end(&mut bytes).map_err(io_error("read", &path))?;
        if bytes.len() > self.max_bytes || ContentHash::of(&bytes) != *hash {
            return Err(StoreError::Corrupt { hash: hash.clone() });
        }
        Ok(bytes)
    }

    /// True if a file with this hash is stored (its content is not re-checked).
    pub fn contains(&self, hash: &ContentHash) -> bool {
        self.path_for(hash).is_file()
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path).map_err(io_error("create", path))?;
    file.write_all(bytes).map_err(io_error("write", path))?;
    file.sync_all().map_err(io_error("fsync", path))?;
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error("fsync", dir))
}

#[cfg(test)]
mod tests {
    use super::super::test_files::png;
    use super::*;

    #[test]
    fn put_get_round_trip_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path().join("kyc"), 1 << 20).unwrap();
        let bytes = png(400, 400, 2048);
        let hash = store.put(&bytes).unwrap();
        assert_eq!(hash.as_str().len(), 64);
        let h = hash.as_str();
        let expected = dir.path().join("kyc").join(&h[0..2]).join(&h[2..4]).join(h);
        assert!(expected.is_file());
        assert_eq!(store.get(&hash).unwrap(), bytes);
        assert!(store.contains(&hash));
        // Known vector: SHA-256 of the empty input.
        assert_eq!(ContentHash::of(b"").as_str(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn put_is_idempotent_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path(), 1 << 20).unwrap();
        let first = store.put(b"same bytes").unwrap();
        let second = store.put(b"same bytes").unwrap();
        assert_eq!(first, second);
        let folder = store.path_for(&first).parent().unwrap().to_owned();
        let names: Vec<_> = fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert_ne!(store.put(b"other bytes").unwrap(), first);
    }

    #[test]
    fn refuses_bad_hashes_missing_and_altered_files() {
        for bad in ["../../etc/passwd", "", "ABCDEF", &"A".repeat(64), &"g".repeat(64), &format!("/{}", "a".repeat(63))] {
            assert!(matches!(ContentHash::parse(bad), Err(StoreError::BadHash)), "{bad}");
        }
        assert!(serde_json::from_str::<ContentHash>("\"../x\"").is_err());
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path(), 1 << 20).unwrap();
        let absent = ContentHash::parse(&"0".repeat(64)).unwrap();
        assert!(matches!(store.get(&absent), Err(StoreError::NotFound { .. })));
        assert!(!store.contains(&absent));
        let hash = store.put(b"original content").unwrap();
        fs::write(store.path_for(&hash), b"altered content!").unwrap();
        assert!(matches!(store.get(&hash), Err(StoreError::Corrupt { .. })));
        // Putting the original again repairs a file whose size no longer matches.
        fs::write(store.path_for(&hash), b"short").unwrap();
        assert_eq!(store.put(b"original content").unwrap(), hash);
        assert_eq!(store.get(&hash).unwrap(), b"original content");
    }

    #[test]
    fn enforces_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path(), 16).unwrap();
        assert!(matches!(store.put(&[0u8; 17]), Err(StoreError::TooLarge { bytes: 17, max_bytes: 16 })));
        let hash = store.put(&[1u8; 16]).unwrap();
        fs::write(store.path_for(&hash), [1u8; 32]).unwrap();
        assert!(matches!(store.get(&hash), Err(StoreError::TooLarge { .. })));
    }
}
