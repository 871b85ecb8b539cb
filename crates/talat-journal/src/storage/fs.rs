//! [`Storage`] on the real file system (Linux/Unix: positional reads and writes).

use super::{Access, Storage, StorageFile};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsStorage;

/// An open file plus the offset the next append goes to. Appends use positional writes at an
/// offset we track (not `O_APPEND`), so a truncate during recovery moves the write point with it.
#[derive(Debug)]
pub struct FsFile {
    file: File,
    append_offset: u64,
}

impl Storage for FsStorage {
    type File = FsFile;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        // The levels that do not exist yet, innermost first (bounded by the path's depth).
        let missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.as_os_str().is_empty() && !p.is_dir()).collect();
        fs::create_dir_all(dir)?;
        // Make each new directory's entry durable in its parent, outermost first, so files
        // created inside cannot be orphaned by a crash.
        for created in missing.iter().rev() {
            let parent = match created.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            self.fsync_dir(parent)?;
        }
        Ok(())
    }

    fn list_files(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            // Names we did not write (non-UTF-8) cannot be ours; skip them.
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn create_new(&self, path: &Path) -> io::Result<FsFile> {
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
        Ok(FsFile { file, append_offset: 0 })
    }

    fn open(&self, path: &Path, access: Access) -> io::Result<FsFile> {
        let file = OpenOptions::new().read(true).write(access == Access::ReadWrite).open(path)?;
        let append_offset = file.metadata()?.len();
        Ok(FsFile { file, append_offset })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn fsync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

impl StorageFile for FsFile {
    fn len_bytes(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all_at(bytes, self.append_offset)?;
        self.append_offset += bytes.len() as u64;
        Ok(())
    }

    fn truncate(&mut self, len_bytes: u64) -> io::Result<()> {
        assert!(len_bytes <= self.append_offset, "truncate never extends a file");
        self.file.set_len(len_bytes)?;
        self.append_offset = len_bytes;
        Ok(())
    }

    fn fdatasync(&mut self) -> io::Result<()> {
        // `File::flush` would not reach the disk; `sync_data` is fdatasync(2).
        self.file.sync_data()
    }
}
