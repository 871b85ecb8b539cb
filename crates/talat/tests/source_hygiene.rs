//! Source hygiene of the whole workspace: every Rust file of every crate (`src`, `tests`,
//! `benches`, `examples`, `build.rs`) opens with a `//!` line saying what the file is, and
//! ARCHITECTURE.md's code map matches the tree (every crate and every store table has its row,
//! and every path the map names exists).

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
    let root = workspace_root();
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

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root")
}

/// The backticked words of ARCHITECTURE.md's "Code map" section.
fn code_map(root: &Path) -> (String, Vec<String>) {
    let text = fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = text.find("## Code map").expect("ARCHITECTURE.md has a Code map section");
    let section = &text[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let section = section[..end].to_string();
    let words = section.split('`').skip(1).step_by(2).map(str::to_string).collect();
    (section, words)
}

#[test]
fn the_code_map_names_every_crate_and_only_paths_that_exist() {
    let root = workspace_root();
    let (_, words) = code_map(&root);
    let mut crates: Vec<String> = fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("an entry of crates/").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|p| format!("crates/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    crates.sort();
    let unmapped: Vec<&String> = crates.iter().filter(|c| !words.contains(c)).collect();
    assert!(unmapped.is_empty(), "ARCHITECTURE.md's code map has no row for {unmapped:?}");
    let stale: Vec<&String> =
        words.iter().filter(|w| (w.starts_with("crates/") || w.starts_with("web/")) && !root.join(w.trim_end_matches('/')).exists()).collect();
    assert!(stale.is_empty(), "ARCHITECTURE.md's code map names paths that do not exist: {stale:?}");
}

#[test]
fn the_code_map_names_every_table_of_the_query_store() {
    let root = workspace_root();
    let (section, _) = code_map(&root);
    let mut tables = Vec::new();
    for entry in fs::read_dir(root.join("crates/talat-store/migrations/sqlite")).expect("the SQLite migrations") {
        let sql = fs::read_to_string(entry.expect("a migration").path()).expect("a readable migration").to_ascii_lowercase();
        for statement in sql.split("create table").skip(1) {
            let name = statement.trim_start().trim_start_matches("if not exists").trim_start();
            let name: String = name.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            tables.push(name);
        }
    }
    assert!(tables.len() > 20, "found only {} tables; is the parse right?", tables.len());
    let missing: Vec<&String> = tables.iter().filter(|t| !section.contains(&format!("`{t}`"))).collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name these query-store tables: {missing:?}");
}

/// The names in a manifest's `[dependencies]` table (not dev- or build-dependencies), without
/// the optional ones (which only a feature turns on).
fn normal_dependencies(manifest: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut in_table = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[dependencies]";
        } else if in_table && !line.is_empty() && !line.starts_with('#') && !line.contains("optional = true") {
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            names.push(name.to_string());
        }
    }
    names
}

#[test]
fn the_web_api_builds_on_the_gateway_core_not_on_the_bitkub_adapter_or_the_sequencer() {
    let root = workspace_root();
    let web = normal_dependencies(&root.join("crates/talat-web/Cargo.toml"));
    assert!(web.iter().any(|d| d == "talat-gateway"), "talat-web depends on talat-gateway: {web:?}");
    for forbidden in ["talat-api", "talat-sequencer"] {
        assert!(!web.iter().any(|d| d == forbidden), "talat-web must not depend on {forbidden} (only as a dev-dependency for its tests): {web:?}");
    }
    let api = normal_dependencies(&root.join("crates/talat-api/Cargo.toml"));
    assert!(!api.iter().any(|d| d == "talat-web"), "the Bitkub adapter must not depend on the web API: {api:?}");
    for krate in ["talat-api", "talat-gateway", "talat-web", "talat"] {
        let deps = normal_dependencies(&root.join(format!("crates/{krate}/Cargo.toml")));
        assert!(!deps.iter().any(|d| d == "tempfile"), "{krate}: tempfile is for tests only (talat-api's testkit feature): {deps:?}");
    }
}
