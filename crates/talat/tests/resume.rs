//! `talat resume` against a real `talat serve`: steps out of order are refused with the reason,
//! an unconfirmed step does nothing, each step is journaled (a SIGKILL mid-resume keeps where it
//! stood), and withdrawals wait for a reconciliation.

mod support;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::Served;

const ARGS: &[&str] = &["--no-bot", "--load-users", "0"];
const OPERATOR: &str = "operator@talat.local";

fn resume(served: &Served, args: &[&str], stdin: &str) -> Output {
    let password = served.banner["demo_staff"][OPERATOR].as_str().unwrap_or_else(|| panic!("no demo operator: {}", served.banner)).to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_talat"))
        .arg("resume")
        .args(args)
        .args(["--server", &served.base_url(), "--staff", OPERATOR])
        .env("TALAT_STAFF_PASSWORD", password)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("talat resume runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn step(served: &Served, word: &str, extra: &[&str]) -> Output {
    let mut args = vec![word, "--reason", "outage drill", "--yes"];
    args.extend_from_slice(extra);
    resume(served, &args, "")
}

#[test]
fn resume_in_order_across_a_restart() {
    let mut served = Served::start(ARGS);
    let o = resume(&served, &[], "");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("next: begin"), "{}", text(&o));

    let o = step(&served, "open", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("begin one first"), "{}", text(&o));
    let o = step(&served, "reopen", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("the steps are begin, deposits"), "{}", text(&o));

    // Not confirmed: nothing happens.
    let o = resume(&served, &["begin", "--reason", "drill"], "deposits\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not confirmed"));
    assert!(text(&resume(&served, &[], "")).contains("next: begin"));

    // Confirmed by typing its name.
    let o = resume(&served, &["begin", "--reason", "drill", "--cancel-only-min", "0"], "begin\n");
    assert!(o.status.success(), "{}", text(&o));
    let status: Value = reqwest::blocking_get(&format!("{}/api/status", served.base_url()));
    assert!(status[1]["message"].as_str().unwrap().contains("BTC_THB halted"), "{status}");
    for word in ["deposits", "cancel-only"] {
        let o = step(&served, word, &[]);
        assert!(o.status.success(), "{word}: {}", text(&o));
    }

    // A SIGKILL mid-resume: the journal keeps where it stood.
    served.kill();
    served.restart(ARGS);
    let o = resume(&served, &[], "");
    assert!(text(&o).contains("[x] cancel-only") && text(&o).contains("next: post-only"), "{}", text(&o));
    let status: Value = reqwest::blocking_get(&format!("{}/api/status", served.base_url()));
    assert!(status[1]["message"].as_str().unwrap().contains("BTC_THB cancel-only"), "{status}");

    for word in ["post-only", "open"] {
        let o = step(&served, word, &[]);
        assert!(o.status.success(), "{word}: {}", text(&o));
    }
    let o = step(&served, "withdrawals", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("reconciliation"), "{}", text(&o));
    let summary: Value = reqwest::blocking_get(&format!("{}/api/v2/summary.json", served.base_url()));
    let updates = summary["incidents"][0]["incident_updates"].as_array().map_or(0, Vec::len);
    assert_eq!(updates, 5, "begin and four steps posted to the status page: {summary}");
}

/// A tiny blocking GET for JSON (the test is synchronous).
mod reqwest {
    pub fn blocking_get(url: &str) -> serde_json::Value {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async { ::reqwest::get(url).await.unwrap().json().await.unwrap() })
    }
}
