//! The data directory of a real `talat serve` is private: every directory 0700 and every file
//! 0600 (the query store with KYC data, the journal, the master key), and a directory others
//! may write to is refused at start with a clear message, unless the operator allows it.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;
use support::{run, Served};

fn modes(dir: &std::path::Path, out: &mut Vec<(String, u32)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        out.push((path.display().to_string(), meta.permissions().mode() & 0o777));
        if meta.is_dir() {
            modes(&path, out);
        }
    }
}

#[test]
fn the_data_directory_is_private_and_a_shared_one_is_refused() {
    // Logged at info, so a stop that hangs shows the last shutdown stage it reached.
    let mut server = Served::start_with_env(&["--load-users", "0", "--no-bot"], &[("TALAT_LOG", "info")]);
    if let Err(e) = server.interrupt() {
        panic!("talat serve stops: {e}\n--- server log ---\n{}", server.log_tail());
    }
    let mut all = Vec::new();
    modes(&server.data, &mut all);
    assert!(all.len() > 3, "{all:?}");
    let root = std::fs::metadata(&server.data).unwrap().permissions().mode() & 0o777;
    assert_eq!(root, 0o700);
    let loose: Vec<_> = all.iter().filter(|(_, mode)| mode & 0o077 != 0).collect();
    assert!(loose.is_empty(), "readable by others: {loose:?}");

    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_talat"));
    serve.args(["serve", "--data"]).arg(&shared).args(["--listen", "127.0.0.1:0", "--no-demo"]);
    let out = run(serve, "talat serve on a shared directory", Duration::from_secs(60));
    assert!(!out.status.success(), "{}", out.describe());
    assert!(out.stderr.contains("writable by its group or by others"), "{}", out.describe());
    assert!(std::fs::read_dir(&shared).unwrap().next().is_none(), "nothing was written into it");
}
