//! Continuity with real processes: the failover drill (a real etcd decides who leads, HAProxy
//! finds the primary by `/healthz`, the primary is killed with SIGKILL at seeded random
//! moments under load) loses no acknowledged order and leaves a directory `talat verify`
//! passes; without a coordinator, `talat promote` turns a running standby into the primary;
//! bad continuity settings are refused by name. etcd and HAProxy come from
//! `scripts/continuity-env` (Debian's etcd-server and haproxy), which `scripts/test` runs.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn talat() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_talat"))
}

#[test]
fn a_primary_killed_at_random_moments_under_load_loses_no_acknowledged_order() {
    let args = talat::drill::FailoverArgs { rounds: 2, workers: 3, kill_within_ms: 1_500, lease_ttl_s: 2, seed: 20_261_206, report_dir: None, keep: false };
    let report = talat::drill::failover(&args, talat()).unwrap_or_else(|e| panic!("the drill failed: {e}"));
    println!("{}", report.text());
    assert_eq!(report.rounds.len(), 2);
    assert_eq!((report.rounds[0].killed.as_str(), report.rounds[0].promoted.as_str()), ("a", "b"));
    assert_eq!((report.rounds[1].killed.as_str(), report.rounds[1].promoted.as_str()), ("b", "a"));
    for round in &report.rounds {
        assert!(round.acknowledged_before_kill > 0, "orders flowed before the kill: {round:?}");
        assert!(!round.refusals.keys().any(|r| r.ends_with("error 30")), "the load kept inside its rate limit: {round:?}");
        assert!(round.acknowledged_in_round > round.acknowledged_before_kill, "and after the failover: {round:?}");
        assert!(round.failover_ms > 0);
        assert!(round.websocket_dropped_on_kill && round.websocket_resumed_from_snapshot, "a WebSocket client resumes from a snapshot: {round:?}");
    }
    assert!(report.rounds[1].new_epoch > report.rounds[0].new_epoch && report.rounds[0].new_epoch >= 2, "each promotion begins a newer epoch");
    assert_eq!(report.missing_orders, 0, "every acknowledged order is on the final primary");
    assert!(report.acknowledged_orders > 0);
    assert!(report.verify_ok, "talat verify on the final primary: {}", report.verify_output);
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `/healthz` of the node on `port`: its status code and body, or `None` while it does not
/// answer.
fn healthz(port: u16) -> Option<(u16, serde_json::Value)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Some((status, serde_json::from_str(body).unwrap_or_default()))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gave up waiting for {what}");
}

fn serve(dir: &Path, api: u16, role: &str, replication: u16, peer: u16) -> Running {
    let child = Command::new(talat())
        .args(["serve", "--json", "--no-bot", "--load-users", "4", "--data"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{api}"), "--role", role])
        .args(["--replication-listen", &format!("127.0.0.1:{replication}"), "--peer", &format!("127.0.0.1:{peer}")])
        .env("TALAT_MASTER_KEY", "11".repeat(32))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Running(child)
}

#[test]
fn without_a_coordinator_talat_promote_turns_the_running_standby_into_the_primary() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (api_a, api_b, rep_a, rep_b) = (free_port(), free_port(), free_port(), free_port());
    let mut primary = serve(a.path(), api_a, "primary", rep_a, rep_b);
    let _standby = serve(b.path(), api_b, "standby", rep_b, rep_a);
    wait_for("the primary", || healthz(api_a).is_some_and(|(code, h)| code == 200 && h["role"] == "primary" && h["lease"].is_null()));
    wait_for("the standby to hold everything", || healthz(api_b).is_some_and(|(code, h)| code == 503 && h["standby"]["eligible"] == true));
    std::fs::copy(a.path().join("demo.json"), b.path().join("demo.json")).unwrap();
    let (_, standby) = healthz(api_b).unwrap();
    assert_eq!(standby["role"], "standby");

    // The primary dies; nothing promotes the standby by itself.
    let _ = primary.0.kill();
    let _ = primary.0.wait();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(healthz(api_b).unwrap().0, 503);

    let promoted = Command::new(talat()).args(["promote", "--data"]).arg(b.path()).output().unwrap();
    assert!(promoted.status.success(), "{}", String::from_utf8_lossy(&promoted.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&promoted.stdout).unwrap();
    assert_eq!((answer["promoted"].clone(), answer["epoch"].clone(), answer["by"].clone()), (true.into(), 1.into(), "talat promote".into()));
    wait_for("the promoted standby to serve", || healthz(api_b).is_some_and(|(code, h)| code == 200 && h["role"] == "primary" && h["epoch"] == 1));
}

/// After a failover cut a node's unreplicated tail, its query store may still show the cut
/// commands: the node refuses to start on it rather than skip the new history's commands.
#[test]
fn a_store_ahead_of_a_cut_journal_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let api = free_port();
    let args = |extra: &[&str]| {
        let mut command = Command::new(talat());
        command.args(["serve", "--no-bot", "--load-users", "2", "--data"]).arg(dir.path()).args(["--listen", &format!("127.0.0.1:{api}")]).args(extra);
        command.env("TALAT_MASTER_KEY", "22".repeat(32)).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        command
    };
    let mut first = Running(args(&[]).spawn().unwrap());
    wait_for("the node", || healthz(api).is_some_and(|(code, _)| code == 200));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(first.0.id() as i32, libc::SIGINT) };
    assert!(first.0.wait().unwrap().success());

    let mut config = talat_sequencer::NodeConfig::default();
    config.engine.check_invariants_every_command = false;
    let end = talat_sequencer::Node::open(dir.path(), config.clone(), talat_sequencer::SystemClock).unwrap().journal_span().next_seq;
    let cut = talat_sequencer::Node::cut_tail(dir.path(), &config, end - 5).unwrap();
    assert_eq!(cut.records_cut, 5);
    let refused = args(&[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("the query store has projected commands up to"), "{stderr}");
}

#[test]
fn bad_continuity_settings_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (vec!["--role", "standby"], "[continuity] peer"),
        (vec!["--role", "boss"], "--role must be primary or standby"),
        (vec!["--peer", "not-an-address"], "[continuity] peer"),
        (vec!["--replication-mode", "eventually"], "--replication-mode must be sync or async"),
    ] {
        let output = Command::new(talat()).args(["serve", "--no-bot", "--data"]).arg(dir.path()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(expected), "{args:?}: {stderr}");
    }
}
