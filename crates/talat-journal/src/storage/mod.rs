//! The narrow slice of a file system the journal and snapshot store use.
//!
//! Everything durable goes through [`Storage`] so that the same journal code runs on real files
//! ([`FsStorage`]) and on a deterministic, fault-injecting model of a disk ([`FaultyStorage`]) whose
//! crashes lose unsynced writes, tear the last one, and forget un-fsynced directory changes.
//!
//! The contract, which both implementations honour and the journal relies on:
//! - Bytes appended to a file are visible to reads at once but durable only after `fdatasync`
//!   on that file returns `Ok`.
//! - Creating, renaming and removing a file are durable only after `fsync_dir` on the directory
//!   holding the name returns `Ok`.
//! - Files are only ever appended to or truncated, never overwritten in place.

mod faulty;
mod fs;

pub use faulty::{FaultyFile, FaultyStats, FaultyStorage};
pub use fs::{FsFile, FsStorage};

use std::io;
use std::path::Path;

/// Whether a file is opened only to read, or to read and append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

/// A file system, or a model of one. Cloning yields another handle onto the same files, so a
/// reader thread can follow what a writer thread appends.
pub trait Storage: Clone + Send + Sync + 'static {
    type File: StorageFile;

    /// Creates `dir` and its missing parents. Durable at once (directory creation is not on any
    /// hot path, so both implementations sync it eagerly).
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Names of the regular files directly in `dir`, sorted; subdirectories are left out.
    fn list_files(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Creates a new empty file, failing if the name exists.
    fn create_new(&self, path: &Path) -> io::Result<Self::File>;
    /// Opens an existing file.
    fn open(&self, path: &Path, access: Access) -> io::Result<Self::File>;
    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Makes the creations, renames and removals of names in `dir` durable.
    fn fsync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// An open file.
pub trait StorageFile: Send + Sync + 'static {
    /// Current length in bytes, durable or not.
    fn len_bytes(&self) -> io::Result<u64>;
    /// Reads at `offset`; returns 0 only at the end of the file.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `bytes` at the end of the file.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Cuts the file to `len_bytes` (never extends).
    fn truncate(&mut self, len_bytes: u64) -> io::Result<()>;
    /// Makes every byte written so far, and the file's length, durable.
    fn fdatasync(&mut self) -> io::Result<()>;
}

/// Fills `buf` from `offset`, stopping early only at the end of the file. Returns bytes read.
pub fn read_full_at<F: StorageFile + ?Sized>(file: &F, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    // Bounded: every pass either returns or advances `filled` by at least one byte.
    while filled < buf.len() {
        match file.read_at(offset + filled as u64, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads a whole file of at most `max_bytes` into `out` (cleared first).
pub fn read_all<F: StorageFile + ?Sized>(file: &F, max_bytes: u64, out: &mut Vec<u8>) -> io::Result<()> {
    let len_bytes = file.len_bytes()?;
    if len_bytes > max_bytes {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("file is {len_bytes} bytes, more than the {max_bytes} allowed")));
    }
    out.clear();
    out.resize(len_bytes as usize, 0);
    let read = read_full_at(file, 0, out)?;
    // A file that shrank under us would be a bug elsewhere; a file that grew is read to the
    // length first seen, which is all the caller asked for.
    out.truncate(read);
    Ok(())
}
