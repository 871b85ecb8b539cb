//! The journal commands of the `talat` binary end to end: a journaled demo replays and
//! verifies; bad input (missing directory, --to beyond the end, a damaged journal) gives a clear
//! message on stderr and a non-zero exit.

use std::path::Path;
use std::process::{Command, Output};

fn talat(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("the talat binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn replay_and_verify_a_journaled_demo_and_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = talat(&["demo"], &data);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    assert!(text(&demo.stdout).contains("journaled 99 commands"));

    let replay = talat(&["replay"], &data);
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    let out = text(&replay.stdout);
    assert!(
        out.contains("state after engine command 99")
            && out.contains("BTC_THB")
            && out.contains("invariants: hold"),
        "{out}"
    );

    let early = talat(&["replay", "--to", "10", "--json"], &data);
    assert!(early.status.success());
    let json: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    assert_eq!(json["state"]["last_command_seq"], 10);

    let verify = talat(&["verify"], &data);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains(": OK"));

    let beyond = talat(&["replay", "--to", "100"], &data);
    assert!(!beyond.status.success());
    assert!(
        text(&beyond.stderr)
            .contains("beyond the end of the journal: its last command is engine seq 99"),
        "{}",
        text(&beyond.stderr)
    );

    let missing = talat(&["verify"], &dir.path().join("missing"));
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("does not exist"),
        "{}",
        text(&missing.stderr)
    );

    // Damage one byte in the middle of the journal: verify names file, byte offset and seq.
    let segment = data
        .join("journal")
        .join("journal-00000000000000000001.log");
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[400] ^= 0x40;
    std::fs::write(&segment, &bytes).unwrap();
    let damaged = talat(&["verify"], &data);
    assert!(!damaged.status.success());
    let error = text(&damaged.stderr);
    assert!(
        error.contains("FAILED")
            && error.contains("journal-00000000000000000001.log")
            && error.contains("at byte")
            && error.contains("seq"),
        "{error}"
    );
    let json = talat(&["verify", "--json"], &data);
    assert!(!json.status.success());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
}
