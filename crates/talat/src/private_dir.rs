//! The data directory is private to the exchange's user: it holds customers' KYC data (the
//! query store, ID photos in `uploads/`), the journal and the master key. `talat serve` refuses
//! a directory others may write to (they could plant or swap files), sets its umask so every
//! file it creates is 0600 and every directory 0700, and tightens what an older version left
//! readable.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Entries tightened at start at most (a bound on the walk; a bigger directory is tightened
/// as far as this and said so).
pub const MAX_ENTRIES: usize = 1_000_000;

/// Makes `dir` (created if missing) private. `allow_shared`: start even if group or others may
/// write to it (an operator's explicit choice, e.g. a group-managed volume).
pub fn make_private(dir: &Path, allow_shared: bool) -> Result<(), String> {
    // SAFETY: umask(2) only sets this process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mode = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?.permissions().mode();
    if mode & 0o022 != 0 && !allow_shared {
        return Err(format!(
            "{} is writable by its group or by others (mode {:o}): refusing to start on it. Make it private (chmod 700) or set allow_shared_data_dir = true",
            dir.display(),
            mode & 0o777
        ));
    }
    let mut seen = 0usize;
    tighten(dir, &mut seen)?;
    if seen >= MAX_ENTRIES {
        tracing::warn!("{}: more than {MAX_ENTRIES} entries; only the first were made private", dir.display());
    }
    Ok(())
}

/// Directories 0700, files 0600 (group and others lose every bit; the owner keeps theirs).
fn tighten(path: &Path, seen: &mut usize) -> Result<(), String> {
    if *seen >= MAX_ENTRIES {
        return Ok(());
    }
    *seen += 1;
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", path.display()))?;
            tighten(&entry.path(), seen)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_directory_is_refused_and_a_readable_one_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir_all(dir.join("uploads")).unwrap();
        std::fs::write(dir.join("store.db"), b"x").unwrap();
        std::fs::write(dir.join("uploads/id.png"), b"x").unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = make_private(&dir, false).unwrap_err();
        assert!(refused.contains("writable by its group or by others"), "{refused}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.join("store.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private(&dir, false).unwrap();
        let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(""), mode("store.db"), mode("uploads"), mode("uploads/id.png")), (0o700, 0o600, 0o700, 0o600));
        // New files from now on are private too (the umask).
        std::fs::write(dir.join("new"), b"x").unwrap();
        assert_eq!(mode("new"), 0o600);
        // With the setting, a shared directory is accepted (and still tightened).
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
        make_private(&dir, true).unwrap();
        assert_eq!(mode(""), 0o700);
    }
}
