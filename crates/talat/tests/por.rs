//! `talat por verify` and `talat bench por` end to end: the fixture proof of talat-por passes
//! (exit 0, root hash, balances and totals printed); tampered copies fail (non-zero exit, the
//! message naming the check that failed); a small benchmark runs and checks its sampled proofs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn talat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talat")).args(args).output().expect("the talat binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../talat-por/tests/fixtures/proof.json")
}

/// A copy of the fixture with one change made to its JSON.
fn tampered(dir: &Path, name: &str, change: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    change(&mut proof);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&proof).unwrap()).unwrap();
    path
}

/// One edit of a proof's JSON.
type Change = fn(&mut serde_json::Value);

fn verify(path: &Path, extra: &[&str]) -> Output {
    talat(&[&["por", "verify", path.to_str().unwrap()], extra].concat())
}

#[test]
fn the_fixture_proof_verifies_and_tampered_copies_are_refused_by_name() {
    let ok = verify(&fixture(), &[]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    let root: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    let root_hash = root["root"]["hash_hex"].as_str().unwrap();
    assert!(out.starts_with("inclusion proof OK"), "{out}");
    assert!(out.contains(root_hash) && out.contains("account     1001"), "{out}");
    assert!(out.contains("200000000") && out.contains(root["root"]["totals"][2].as_str().unwrap()), "balances and totals: {out}");

    let published = verify(&fixture(), &["--root", root_hash]);
    assert!(published.status.success(), "{}", text(&published.stderr));
    assert!(text(&published.stdout).contains("(the published root)"));

    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Change, &str); 5] = [
        ("balance.json", (|p| p["balances"][0] = "200000001".into()), "THB total mismatch"),
        ("sibling-sum.json", (|p| p["path"][2]["sums"][1] = "7".into()), "BTC total mismatch"),
        ("sibling-hash.json", (|p| p["path"][2]["hash_hex"] = "00".repeat(32).into()), "root hash mismatch"),
        ("root.json", (|p| p["root"]["hash_hex"] = "11".repeat(32).into()), "root hash mismatch"),
        ("negative.json", (|p| p["balances"][1] = "-150000000".into()), "negative"),
    ];
    for (name, change, expected) in cases {
        let refused = verify(&tampered(dir.path(), name, change), &[]);
        assert!(!refused.status.success(), "{name} was accepted: {}", text(&refused.stdout));
        let error = text(&refused.stderr);
        assert!(error.contains("FAILED") && error.contains(expected), "{name}: {error}");
        assert!(!text(&refused.stdout).contains("inclusion proof OK"), "{name}");
    }

    let other_root = verify(&fixture(), &["--root", &"ab".repeat(32)]);
    assert!(!other_root.status.success());
    assert!(text(&other_root.stderr).contains("is not the published root"), "{}", text(&other_root.stderr));

    let missing = verify(&dir.path().join("missing.json"), &[]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("missing.json"), "{}", text(&missing.stderr));
}

#[test]
fn bench_por_builds_a_small_tree_and_checks_its_sampled_proofs() {
    let run = talat(&["bench", "por", "--accounts", "10000", "--quiet"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains("10000 accounts × 3 assets") && out.contains("tree built") && out.contains("accounts/s"), "{out}");
    assert!(out.contains("10 of 10 (every 1000th account): all OK"), "{out}");
    // The same seed gives the same root.
    let again = talat(&["bench", "por", "--accounts", "10000", "--quiet"]);
    let root = |o: &str| o.lines().find(|l| l.starts_with("root hash")).map(str::to_string);
    assert_eq!(root(&out), root(&text(&again.stdout)));
    assert!(root(&out).is_some());
}
