//! The layout of a data directory and the two small files beside the journal:
//!
//! ```text
//! DIR/LOCK          held (flock) by the one process using the directory
//! DIR/engine.json   the engine's bounds, fixed when the directory is created
//! DIR/journal/      segments (talat-journal), and archive/ for segments a snapshot covers
//! DIR/snapshots/    snapshot files (talat-journal's SnapshotStore)
//! ```
//!
//! `engine.json` exists because the engine's bounds are part of its state (they are in every
//! snapshot and state hash) but no journal record carries them: replaying a journal from genesis
//! needs the bounds it was written with.

use crate::error::OpenError;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use talat_engine::EngineConfig;
use talat_journal::storage::{read_all, Access, Storage, StorageFile};

pub const LOCK_FILE: &str = "LOCK";
pub const ENGINE_CONFIG_FILE: &str = "engine.json";
pub const JOURNAL_DIR: &str = "journal";
pub const SNAPSHOT_DIR: &str = "snapshots";
/// `engine.json` is a few hundred bytes; anything much larger is not ours.
const ENGINE_CONFIG_MAX_BYTES: u64 = 64 * 1024;

pub fn journal_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(JOURNAL_DIR)
}

pub fn snapshot_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(SNAPSHOT_DIR)
}

/// An exclusive advisory lock on `DIR/LOCK`, held for the life of the value. Two processes
/// writing one journal would interleave records; the second one is refused instead. The kernel
/// releases the lock when the process dies, however it dies.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Creates `dir` if needed and takes the lock without waiting.
    pub fn acquire(dir: &Path) -> Result<DirLock, OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Io { op: "create directory", path: dir.to_path_buf(), source })?;
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|source| OpenError::Io {
            op: "open",
            path: path.clone(),
            source,
        })?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let source = std::io::Error::last_os_error();
            if source.kind() == std::io::ErrorKind::WouldBlock {
                return Err(OpenError::Locked { dir: dir.to_path_buf() });
            }
            return Err(OpenError::Io { op: "lock", path, source });
        }
        Ok(DirLock { _file: file })
    }
}

/// Reads `engine.json`; `Ok(None)` if the directory has none.
pub(crate) fn read_engine_config<S: Storage>(storage: &S, data_dir: &Path) -> Result<Option<EngineConfig>, OpenError> {
    let path = data_dir.join(ENGINE_CONFIG_FILE);
    let file = match storage.open(&path, Access::Read) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(OpenError::Io { op: "open", path, source }),
    };
    let mut bytes = Vec::new();
    read_all(&file, ENGINE_CONFIG_MAX_BYTES, &mut bytes).map_err(|source| OpenError::Io { op: "read", path: path.clone(), source })?;
    let config: EngineConfig =
        serde_json::from_slice(&bytes).map_err(|e| OpenError::EngineConfig { path: path.clone(), reason: format!("not a valid engine configuration: {e}") })?;
    Ok(Some(config))
}

/// Writes `engine.json` atomically and durably (temp file, fdatasync, rename, directory fsync),
/// before the first journal record, so a journal never exists without its bounds.
pub(crate) fn write_engine_config<S: Storage>(storage: &S, data_dir: &Path, config: &EngineConfig) -> Result<(), OpenError> {
    let io = |op: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenError::Io { op, path, source }
    };
    storage.create_dir_all(data_dir).map_err(io("create directory", data_dir))?;
    let path = data_dir.join(ENGINE_CONFIG_FILE);
    let tmp = data_dir.join(format!("{ENGINE_CONFIG_FILE}.tmp"));
    if storage.open(&tmp, Access::Read).is_ok() {
        storage.remove_file(&tmp).map_err(io("remove", &tmp))?;
    }
    let mut bytes = serde_json::to_vec_pretty(config).expect("an engine config serialises");
    bytes.push(b'\n');
    let mut file = storage.create_new(&tmp).map_err(io("create", &tmp))?;
    file.append(&bytes).map_err(io("write", &tmp))?;
    file.fdatasync().map_err(io("fdatasync", &tmp))?;
    drop(file);
    storage.rename(&tmp, &path).map_err(io("rename", &tmp))?;
    storage.fsync_dir(data_dir).map_err(io("fsync directory", data_dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_journal::storage::FaultyStorage;

    #[test]
    fn engine_config_round_trips_and_garbage_is_named() {
        let storage = FaultyStorage::new(1);
        let dir = Path::new("/data");
        assert!(read_engine_config(&storage, dir).unwrap().is_none());
        let config = EngineConfig { max_users: 77, ..EngineConfig::default() };
        write_engine_config(&storage, dir, &config).unwrap();
        let read = read_engine_config(&storage, dir).unwrap().unwrap();
        assert_eq!(read.max_users, 77);

        let bad = Path::new("/bad");
        storage.create_dir_all(bad).unwrap();
        let mut file = storage.create_new(&bad.join(ENGINE_CONFIG_FILE)).unwrap();
        file.append(b"{ nope").unwrap();
        let error = read_engine_config(&storage, bad).unwrap_err().to_string();
        assert!(error.contains("/bad/engine.json"), "{error}");
    }

    #[test]
    fn a_second_lock_on_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        assert!(matches!(DirLock::acquire(dir.path()), Err(OpenError::Locked { .. })));
        drop(first);
        DirLock::acquire(dir.path()).unwrap();
    }
}
