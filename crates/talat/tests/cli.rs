//! The journal commands of the `talat` binary end to end: a journaled demo replays and
//! verifies; bad input (missing directory, --to beyond the end, a damaged journal) gives a clear
//! message on stderr and a non-zero exit.

use std::path::Path;
use std::process::{Command, Output};

fn talat(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talat")).args(args).arg("--data").arg(data).output().expect("the talat binary runs")
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
    assert!(out.contains("state after engine command 99") && out.contains("BTC_THB") && out.contains("invariants: hold"), "{out}");

    let early = talat(&["replay", "--to", "10", "--json"], &data);
    assert!(early.status.success());
    let json: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    assert_eq!(json["state"]["last_command_seq"], 10);

    let verify = talat(&["verify"], &data);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains(": OK"));

    let beyond = talat(&["replay", "--to", "100"], &data);
    assert!(!beyond.status.success());
    assert!(text(&beyond.stderr).contains("beyond the end of the journal: its last command is engine seq 99"), "{}", text(&beyond.stderr));

    let missing = talat(&["verify"], &dir.path().join("missing"));
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("does not exist"), "{}", text(&missing.stderr));

    // Damage one byte in the middle of the journal: verify names file, byte offset and seq.
    let segment = data.join("journal").join("journal-00000000000000000001.log");
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[400] ^= 0x40;
    std::fs::write(&segment, &bytes).unwrap();
    let damaged = talat(&["verify"], &data);
    assert!(!damaged.status.success());
    let error = text(&damaged.stderr);
    assert!(error.contains("FAILED") && error.contains("journal-00000000000000000001.log") && error.contains("at byte") && error.contains("seq"), "{error}");
    let json = talat(&["verify", "--json"], &data);
    assert!(!json.status.success());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
}

fn talat_staffing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talat")).arg("staffing").args(args).output().expect("the talat binary runs")
}

/// Case 2 of the worked Erlang C table (exchange-domain.md §5): 100 contacts per 30 min at
/// 180 s, 80 % within 20 s → 14 agents, SL 88.84 %, ASA 7.84 s.
const CASE_2: [&str; 10] = ["--arrivals", "100", "--interval-min", "30", "--aht-s", "180", "--target-pct", "80", "--answer-s", "20"];

#[test]
fn staffing_answers_the_worked_case_as_json_and_as_a_table() {
    let json = talat_staffing(&[&CASE_2[..], &["--shrinkage-pct", "30", "--json"]].concat());
    assert!(json.status.success(), "{}", text(&json.stderr));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["agents"], 14);
    assert_eq!(value["rostered"], 20);
    let figure = |key: &str| value[key].as_f64().unwrap_or_else(|| panic!("{key} in {value}"));
    assert_eq!((figure("service_level") * 10_000.0).round(), 8_884.0);
    assert_eq!((figure("asa_s") * 100.0).round(), 784.0);
    assert_eq!((figure("p_wait") * 10_000.0).round(), 1_741.0);
    assert_eq!(figure("traffic_erlangs"), 10.0);
    assert_eq!((figure("occupancy") * 1_000.0).round(), 714.0);

    let table = talat_staffing(&CASE_2);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let out = text(&table.stdout);
    assert!(out.contains("14 agents needed") && out.contains("88.84 %") && out.contains("7.84 s"), "{out}");
    assert!(out.contains("79.56 %") && out.contains("misses"), "13 agents miss: {out}");
}

#[test]
fn staffing_refuses_bad_figures_with_exit_code_2() {
    let mut args = CASE_2;
    args[7] = "150";
    let bad = talat_staffing(&args);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("target must be a percentage strictly between 0 and 100, got 150"), "{}", text(&bad.stderr));
    assert!(bad.stdout.is_empty());

    let shrinkage = talat_staffing(&[&CASE_2[..], &["--shrinkage-pct", "100"]].concat());
    assert_eq!(shrinkage.status.code(), Some(2));
    assert!(text(&shrinkage.stderr).contains("shrinkage"), "{}", text(&shrinkage.stderr));

    let missing = talat_staffing(&["--arrivals", "100"]);
    assert_eq!(missing.status.code(), Some(2), "clap's usage error");
    assert!(text(&missing.stderr).contains("--interval-min"), "{}", text(&missing.stderr));
}

fn talat_promptpay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_talat")).arg("promptpay").args(args).output().expect("the talat binary runs")
}

/// Vector B of exchange-domain.md §3.1, byte for byte, and refusals on stderr with exit code 2.
#[test]
fn promptpay_prints_vector_b_and_refuses_bad_input() {
    let b = talat_promptpay(&["--mobile", "081-234-5678", "--amount", "1500.00"]);
    assert!(b.status.success(), "{}", text(&b.stderr));
    assert_eq!(text(&b.stdout), "00020101021229370016A00000067701011101130066812345678530376454071500.005802TH6304F89B\n");

    let bill = talat_promptpay(&["--biller", "010554612345101", "--ref1", "U00012345", "--ref2", "DEP20250101A1", "--amount", "5000"]);
    assert_eq!(text(&bill.stdout), "00020101021230690016A00000067701011201150105546123451010209U000123450313DEP20250101A1530376454075000.005802TH63045A9D\n");
    let bank = talat_promptpay(&["--bank", "014/1234567890", "--amount", "100"]);
    assert_eq!(text(&bank.stdout), "00020101021229370016A0000006770101110413014123456789053037645406100.005802TH6304901D\n");

    let fraction = talat_promptpay(&["--mobile", "081-234-5678", "--amount", "1.234"]);
    assert_eq!(fraction.status.code(), Some(2));
    assert!(text(&fraction.stderr).contains("--amount \"1.234\""), "{}", text(&fraction.stderr));
    assert!(fraction.stdout.is_empty());

    let bad_id = talat_promptpay(&["--id", "12345"]);
    assert_eq!(bad_id.status.code(), Some(2));
    assert!(text(&bad_id.stderr).contains("national ID"), "{}", text(&bad_id.stderr));
    let two_targets = talat_promptpay(&["--mobile", "0812345678", "--id", "1101700123456"]);
    assert_eq!(two_targets.status.code(), Some(2), "clap's usage error");
    let stray_ref = talat_promptpay(&["--mobile", "0812345678", "--ref1", "U1"]);
    assert_eq!(stray_ref.status.code(), Some(2));
    assert!(text(&stray_ref.stderr).contains("--biller"), "{}", text(&stray_ref.stderr));
    let no_target = talat_promptpay(&["--amount", "1.00"]);
    assert_eq!(no_target.status.code(), Some(2), "clap's usage error");
}

/// The README's settings example is a valid talat.toml (every section it shows parses, and
/// the support settings pass their checks), so the documentation cannot drift from the code.
#[test]
fn the_readme_settings_example_parses() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README.md");
    let settings = readme.split("### Settings").nth(1).expect("a Settings section");
    let block = settings.split("```toml").nth(1).and_then(|b| b.split("```").next()).expect("a toml block in Settings");
    let config: talat::serve::ServeConfig = toml::from_str(block).unwrap_or_else(|e| panic!("README settings: {e}"));
    config.support.validate().expect("the README's support settings are valid");
    assert_eq!(config.support.policy.escalate_at_pct, 80);
    assert_eq!(config.mail.smtp_url.as_deref(), Some("smtp://127.0.0.1:25"));
}
