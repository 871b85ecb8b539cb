//! Source hygiene of the whole workspace: every Rust file of every crate (`src`, `tests`,
//! `benches`, `examples`, `build.rs`) opens with a `//!` line saying what the file is.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively (none if `dir` does not exist).
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_source_file_starts_with_a_module_doc_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root");
    let mut files = Vec::new();
    for krate in fs::read_dir(root.join("crates")).expect("crates/") {
        let krate = krate.expect("a readable entry of crates/").path();
        for dir in ["src", "tests", "benches", "examples"] {
            rust_files(&krate.join(dir), &mut files);
        }
        if krate.join("build.rs").is_file() {
            files.push(krate.join("build.rs"));
        }
    }
    assert!(files.len() > 100, "found only {} Rust files under {}; is the walk looking in the right place?", files.len(), root.display());

    let mut missing: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            !text.lines().next().is_some_and(|first| first.starts_with("//!"))
        })
        .map(|file| file.strip_prefix(&root).unwrap_or(file).display().to_string())
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "{} file(s) do not start with a `//!` line saying what the file is:\n  {}", missing.len(), missing.join("\n  "));
}
