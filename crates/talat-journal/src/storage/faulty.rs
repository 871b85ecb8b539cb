//! [`FaultyStorage`]: an in-memory disk that fails the way real ones do, deterministically.
//!
//! Model of a power loss ([`FaultyStorage::crash`]):
//! - Each file keeps its last fdatasync'ed contents plus an arbitrary prefix (possibly empty,
//!   possibly all) of what was written after it, so the last unsynced write can be torn at any
//!   byte. An unsynced truncate may be forgotten (the old synced contents come back).
//! - Directory changes (create, rename, remove) form one ordered log, as in a journaling file
//!   system. `fsync_dir(d)` makes the log durable up to the last change touching `d`. A crash keeps
//!   an arbitrary prefix of the rest. So a file whose data was synced but whose directory was not
//!   may vanish, exactly the bug that "fsync the directory after creating a segment" prevents.
//! - Every file handle opened before the crash is dead afterwards (the process that held it is
//!   gone); the storage itself stays usable, like the disk after a reboot.
//!
//! Faults that can be armed: a crash after the next `n` mutating operations (the interrupted
//! write is applied and then torn; an interrupted sync does not happen), and failing fdatasync
//! calls (one-shot or with a probability). All randomness comes from the seed given to
//! [`FaultyStorage::new`].
//!
//! Not modelled: unsynced bytes reaching the disk out of order (a hole before surviving later
//! bytes), bit rot, or reads failing. The journal treats such damage as corruption and refuses to
//! open rather than guess; tests cover that path by editing real files.

use super::{Access, Storage, StorageFile};
use crate::rng::SplitMix64;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Upper bound on directory changes awaiting a directory fsync; the journal makes a handful per
/// segment, so reaching it means a caller forgot to fsync directories.
const PENDING_DIR_OPS_MAX: usize = 100_000;

/// A deterministic, fault-injecting in-memory [`Storage`]. Clones share the same disk.
#[derive(Clone, Debug)]
pub struct FaultyStorage {
    model: Arc<Mutex<Model>>,
}

/// Counters for tests that want to aim faults at a range of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultyStats {
    /// Operations that change the disk (append, truncate, fdatasync, create, rename, remove,
    /// fsync_dir), counted since construction.
    pub mutating_ops: u64,
    pub fdatasyncs_ok: u64,
    pub fdatasyncs_failed: u64,
    pub crashes: u64,
}

#[derive(Debug)]
struct Model {
    rng: SplitMix64,
    /// Bumped by every crash; handles carry the generation they were opened in.
    generation: u64,
    dirs: BTreeSet<PathBuf>,
    /// Names as the running process sees them.
    live: BTreeMap<PathBuf, usize>,
    /// Names as they would be found after a crash with no pending directory change applied.
    durable: BTreeMap<PathBuf, usize>,
    pending_dir_ops: Vec<DirOp>,
    inodes: Vec<Inode>,
    crash_after_ops: Option<u64>,
    fail_fdatasync_after: Option<u64>,
    fdatasync_failure_per_million: u32,
    stats: FaultyStats,
}

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    synced: Vec<u8>,
    /// Lowest offset changed since the last successful fdatasync; `None` when clean.
    /// Invariant: `dirty_from <= data.len()` and `dirty_from <= synced.len()`.
    dirty_from: Option<usize>,
}

#[derive(Clone, Debug)]
enum DirOp {
    Create { path: PathBuf, inode: usize },
    Rename { from: PathBuf, to: PathBuf },
    Remove { path: PathBuf },
}

impl DirOp {
    fn touches(&self, dir: &Path) -> bool {
        let in_dir = |p: &PathBuf| p.parent() == Some(dir);
        match self {
            DirOp::Create { path, .. } | DirOp::Remove { path } => in_dir(path),
            DirOp::Rename { from, to } => in_dir(from) || in_dir(to),
        }
    }

    fn apply(&self, names: &mut BTreeMap<PathBuf, usize>) {
        match self {
            DirOp::Create { path, inode } => {
                names.insert(path.clone(), *inode);
            }
            DirOp::Rename { from, to } => {
                if let Some(inode) = names.remove(from) {
                    names.insert(to.clone(), inode);
                }
            }
            DirOp::Remove { path } => {
                names.remove(path);
            }
        }
    }
}

/// Whether the operation being started is the one a pending crash interrupts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Proceed,
    CrashDuring,
}

fn crash_error() -> io::Error {
    io::Error::other("simulated crash")
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{} not found", path.display()))
}

impl Model {
    fn begin_mutation(&mut self) -> Fate {
        self.stats.mutating_ops += 1;
        match self.crash_after_ops {
            Some(0) => {
                self.crash_after_ops = None;
                Fate::CrashDuring
            }
            Some(n) => {
                self.crash_after_ops = Some(n - 1);
                Fate::Proceed
            }
            None => Fate::Proceed,
        }
    }

    fn push_dir_op(&mut self, op: DirOp) {
        assert!(self.pending_dir_ops.len() < PENDING_DIR_OPS_MAX, "directory changes never fsynced");
        op.apply(&mut self.live);
        self.pending_dir_ops.push(op);
    }

    fn power_loss(&mut self) {
        let keep = self.rng.up_to(self.pending_dir_ops.len() as u64) as usize;
        for op in self.pending_dir_ops.drain(..).take(keep) {
            op.apply(&mut self.durable);
        }
        for inode in &mut self.inodes {
            if let Some(dirty_from) = inode.dirty_from.take() {
                assert!(dirty_from <= inode.data.len() && dirty_from <= inode.synced.len());
                let forget_truncate = inode.synced.len() > dirty_from && self.rng.up_to(1) == 0;
                if forget_truncate {
                    inode.data.clone_from(&inode.synced);
                } else {
                    let unsynced = (inode.data.len() - dirty_from) as u64;
                    let survive = dirty_from + self.rng.up_to(unsynced) as usize;
                    inode.data.truncate(survive);
                    inode.synced.clone_from(&inode.data);
                }
            }
            debug_assert_eq!(inode.data, inode.synced);
        }
        self.live = self.durable.clone();
        self.generation += 1;
        self.stats.crashes += 1;
    }

    fn inode_of(&self, path: &Path) -> io::Result<usize> {
        self.live.get(path).copied().ok_or_else(|| not_found(path))
    }

    fn check_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if self.dirs.contains(parent) => Ok(()),
            _ => Err(not_found(path.parent().unwrap_or(path))),
        }
    }
}

impl FaultyStorage {
    /// An empty disk whose every random choice derives from `seed`.
    pub fn new(seed: u64) -> Self {
        let model = Model {
            rng: SplitMix64::new(seed),
            generation: 0,
            dirs: BTreeSet::new(),
            live: BTreeMap::new(),
            durable: BTreeMap::new(),
            pending_dir_ops: Vec::new(),
            inodes: Vec::new(),
            crash_after_ops: None,
            fail_fdatasync_after: None,
            fdatasync_failure_per_million: 0,
            stats: FaultyStats::default(),
        };
        FaultyStorage { model: Arc::new(Mutex::new(model)) }
    }

    fn lock(&self) -> MutexGuard<'_, Model> {
        // A panic while holding the lock is a test failure already; keep the model readable.
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Power loss now: see the module documentation for what survives.
    pub fn crash(&self) {
        self.lock().power_loss();
    }

    /// The next `ops` mutating operations succeed; the one after is interrupted by a power loss
    /// (it returns an error and the disk is left as after [`FaultyStorage::crash`]).
    pub fn crash_after_ops(&self, ops: u64) {
        self.lock().crash_after_ops = Some(ops);
    }

    /// The next `syncs` fdatasync calls succeed; the one after fails with an I/O error, leaving
    /// its data unsynced.
    pub fn fail_fdatasync_after(&self, syncs: u64) {
        self.lock().fail_fdatasync_after = Some(syncs);
    }

    /// Each fdatasync fails with this probability (per million), decided by the seeded generator.
    pub fn set_fdatasync_failure_per_million(&self, per_million: u32) {
        assert!(per_million <= 1_000_000);
        self.lock().fdatasync_failure_per_million = per_million;
    }

    /// Disarms every pending fault.
    pub fn disarm(&self) {
        let mut model = self.lock();
        model.crash_after_ops = None;
        model.fail_fdatasync_after = None;
        model.fdatasync_failure_per_million = 0;
    }

    pub fn stats(&self) -> FaultyStats {
        self.lock().stats
    }
}

/// A handle onto a file of a [`FaultyStorage`].
#[derive(Debug)]
pub struct FaultyFile {
    model: Arc<Mutex<Model>>,
    inode: usize,
    generation: u64,
    writable: bool,
}

impl FaultyFile {
    /// Locks the model, failing if this handle predates a crash.
    fn lock(&self) -> io::Result<MutexGuard<'_, Model>> {
        let model = self.model.lock().unwrap_or_else(|e| e.into_inner());
        if model.generation != self.generation {
            return Err(io::Error::other("file handle predates a simulated crash"));
        }
        Ok(model)
    }

    fn check_writable(&self) -> io::Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "file opened read-only"))
        }
    }
}

impl Storage for FaultyStorage {
    type File = FaultyFile;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut model = self.lock();
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                model.dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(())
    }

    fn list_files(&self, dir: &Path) -> io::Result<Vec<String>> {
        let model = self.lock();
        if !model.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let names = model.live.keys().filter(|path| path.parent() == Some(dir)).filter_map(|path| path.file_name()?.to_str().map(str::to_owned)).collect();
        // BTreeMap order over full paths with one parent is name order: already sorted.
        Ok(names)
    }

    fn create_new(&self, path: &Path) -> io::Result<FaultyFile> {
        let mut model = self.lock();
        model.check_parent(path)?;
        if model.live.contains_key(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists", path.display())));
        }
        let fate = model.begin_mutation();
        let inode = model.inodes.len();
        model.inodes.push(Inode::default());
        model.push_dir_op(DirOp::Create { path: path.to_path_buf(), inode });
        if fate == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        Ok(FaultyFile { model: Arc::clone(&self.model), inode, generation: model.generation, writable: true })
    }

    fn open(&self, path: &Path, access: Access) -> io::Result<FaultyFile> {
        let model = self.lock();
        let inode = model.inode_of(path)?;
        Ok(FaultyFile { model: Arc::clone(&self.model), inode, generation: model.generation, writable: access == Access::ReadWrite })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut model = self.lock();
        model.inode_of(from)?;
        model.check_parent(to)?;
        let fate = model.begin_mutation();
        model.push_dir_op(DirOp::Rename { from: from.to_path_buf(), to: to.to_path_buf() });
        if fate == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut model = self.lock();
        model.inode_of(path)?;
        let fate = model.begin_mutation();
        model.push_dir_op(DirOp::Remove { path: path.to_path_buf() });
        if fate == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        Ok(())
    }

    fn fsync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut model = self.lock();
        if !model.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        if model.begin_mutation() == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        if let Some(last) = model.pending_dir_ops.iter().rposition(|op| op.touches(dir)) {
            let done: Vec<DirOp> = model.pending_dir_ops.drain(..=last).collect();
            for op in done {
                op.apply(&mut model.durable);
            }
        }
        Ok(())
    }
}

impl StorageFile for FaultyFile {
    fn len_bytes(&self) -> io::Result<u64> {
        let model = self.lock()?;
        Ok(model.inodes[self.inode].data.len() as u64)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let model = self.lock()?;
        let data = &model.inodes[self.inode].data;
        let start = (offset as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.check_writable()?;
        let mut model = self.lock()?;
        let fate = model.begin_mutation();
        let node = &mut model.inodes[self.inode];
        let old_len = node.data.len();
        node.data.extend_from_slice(bytes);
        node.dirty_from = Some(node.dirty_from.map_or(old_len, |d| d.min(old_len)));
        if fate == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        Ok(())
    }

    fn truncate(&mut self, len_bytes: u64) -> io::Result<()> {
        self.check_writable()?;
        let mut model = self.lock()?;
        let fate = model.begin_mutation();
        let node = &mut model.inodes[self.inode];
        let len = len_bytes as usize;
        assert!(len <= node.data.len(), "truncate never extends a file");
        if len < node.data.len() {
            node.data.truncate(len);
            node.dirty_from = Some(node.dirty_from.map_or(len, |d| d.min(len)));
        }
        if fate == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        Ok(())
    }

    fn fdatasync(&mut self) -> io::Result<()> {
        self.check_writable()?;
        let mut model = self.lock()?;
        if model.begin_mutation() == Fate::CrashDuring {
            model.power_loss();
            return Err(crash_error());
        }
        let fail_now = match model.fail_fdatasync_after {
            Some(0) => {
                model.fail_fdatasync_after = None;
                true
            }
            Some(n) => {
                model.fail_fdatasync_after = Some(n - 1);
                false
            }
            None => false,
        };
        let per_million = model.fdatasync_failure_per_million;
        if fail_now || (per_million > 0 && model.rng.chance_per_million(per_million)) {
            model.stats.fdatasyncs_failed += 1;
            return Err(io::Error::other("simulated fdatasync failure (EIO)"));
        }
        model.stats.fdatasyncs_ok += 1;
        let node = &mut model.inodes[self.inode];
        if let Some(dirty_from) = node.dirty_from.take() {
            node.synced.truncate(dirty_from);
            node.synced.extend_from_slice(&node.data[dirty_from..]);
        }
        debug_assert_eq!(node.synced, node.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(seed: u64) -> (FaultyStorage, PathBuf) {
        let storage = FaultyStorage::new(seed);
        let dir = PathBuf::from("/disk");
        storage.create_dir_all(&dir).unwrap();
        (storage, dir)
    }

    fn contents(storage: &FaultyStorage, path: &Path) -> Option<Vec<u8>> {
        let file = storage.open(path, Access::Read).ok()?;
        let mut out = Vec::new();
        super::super::read_all(&file, u64::MAX, &mut out).unwrap();
        Some(out)
    }

    #[test]
    fn synced_data_in_a_synced_directory_survives_a_crash() {
        let (storage, dir) = setup(1);
        let path = dir.join("a");
        let mut file = storage.create_new(&path).unwrap();
        file.append(b"hello").unwrap();
        file.fdatasync().unwrap();
        storage.fsync_dir(&dir).unwrap();
        file.append(b" world").unwrap();
        storage.crash();
        let after = contents(&storage, &path).unwrap();
        assert!(after.starts_with(b"hello"));
        assert!(b"hello world".starts_with(&after));
        assert!(file.append(b"x").is_err(), "pre-crash handles are dead");
    }

    #[test]
    fn a_crash_keeps_every_possible_prefix_of_unsynced_bytes_across_seeds() {
        let mut seen = BTreeSet::new();
        for seed in 0..200 {
            let (storage, dir) = setup(seed);
            let path = dir.join("a");
            let mut file = storage.create_new(&path).unwrap();
            storage.fsync_dir(&dir).unwrap();
            file.append(b"ab").unwrap();
            file.fdatasync().unwrap();
            file.append(b"cde").unwrap();
            storage.crash();
            seen.insert(contents(&storage, &path).unwrap());
        }
        let expected: BTreeSet<Vec<u8>> = [&b"ab"[..], b"abc", b"abcd", b"abcde"].iter().map(|s| s.to_vec()).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn an_unsynced_directory_entry_can_vanish_with_its_synced_data() {
        let mut vanished = false;
        for seed in 0..50 {
            let (storage, dir) = setup(seed);
            let path = dir.join("a");
            let mut file = storage.create_new(&path).unwrap();
            file.append(b"data").unwrap();
            file.fdatasync().unwrap();
            storage.crash();
            vanished |= contents(&storage, &path).is_none();
        }
        assert!(vanished);
    }

    #[test]
    fn failed_fdatasync_leaves_data_unsynced() {
        let (storage, dir) = setup(3);
        let path = dir.join("a");
        let mut file = storage.create_new(&path).unwrap();
        storage.fsync_dir(&dir).unwrap();
        storage.fail_fdatasync_after(0);
        file.append(b"data").unwrap();
        assert!(file.fdatasync().is_err());
        assert_eq!(storage.stats().fdatasyncs_failed, 1);
        file.fdatasync().unwrap();
    }

    #[test]
    fn crash_after_ops_interrupts_the_chosen_operation() {
        let (storage, dir) = setup(4);
        let mut file = storage.create_new(&dir.join("a")).unwrap();
        storage.crash_after_ops(1);
        file.append(b"1").unwrap();
        assert!(file.append(b"2").is_err());
        assert_eq!(storage.stats().crashes, 1);
        assert!(file.fdatasync().is_err());
    }

    #[test]
    fn rename_is_durable_after_fsync_of_either_directory() {
        let (storage, dir) = setup(5);
        let archive = dir.join("archive");
        storage.create_dir_all(&archive).unwrap();
        let mut file = storage.create_new(&dir.join("a")).unwrap();
        file.append(b"x").unwrap();
        file.fdatasync().unwrap();
        storage.fsync_dir(&dir).unwrap();
        storage.rename(&dir.join("a"), &archive.join("a")).unwrap();
        storage.fsync_dir(&archive).unwrap();
        storage.crash();
        assert_eq!(storage.list_files(&dir).unwrap(), Vec::<String>::new());
        assert_eq!(storage.list_files(&archive).unwrap(), vec!["a".to_string()]);
    }
}
