//! Real-client compatibility: the PyPI client `bitkub-python` 0.2.0, unmodified, drives a real
//! `talat serve` (demo exchange, liquidity bot) through a whole scenario — market data, wallet,
//! placing, listing, cancelling, trading and the error paths (tests/python/bitkub_scenario.py).
//!
//! `scripts/python-env` makes the client's venv (needs python3 and PyPI the first time). The
//! server is stopped with SIGINT and must exit cleanly; a guard kills it if the test fails
//! first. Every wait has a deadline.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{run, workspace_root, Served};

/// Creating the venv on a fresh machine downloads from PyPI.
const PYTHON_ENV_TIMEOUT: Duration = Duration::from_secs(600);
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn bitkub_python_client_runs_the_whole_scenario() {
    let root = workspace_root();

    // 1. The client's venv.
    let env = run(Command::new(root.join("scripts/python-env")), "scripts/python-env", PYTHON_ENV_TIMEOUT);
    assert!(env.status.success(), "scripts/python-env failed\n{}", env.describe());
    let python = PathBuf::from(env.stdout.lines().last().unwrap_or("").trim());
    assert!(python.is_file(), "scripts/python-env printed no python path\n{}", env.describe());

    // 2. The server, on a fresh data directory and a free port.
    let mut server = Served::start(&["--load-users", "0", "--bot-interval-ms", "200"]);
    let banner = server.banner.clone();
    let user = &banner["demo_user"];
    let (key, secret) = match (user["api_key"].as_str(), user["api_secret"].as_str()) {
        (Some(key), Some(secret)) => (key.to_string(), secret.to_string()),
        _ => panic!("no demo user credentials in the banner: {banner}"),
    };
    let base_url = server.base_url();

    // 3. The scenario, through the real client.
    let mut scenario = Command::new(&python);
    scenario
        .arg(root.join("crates/talat/tests/python/bitkub_scenario.py"))
        .args([&base_url, &key, &secret])
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let outcome = run(scenario, "the bitkub-python scenario", SCENARIO_TIMEOUT);

    // 4. Ctrl-C stops the server cleanly (whatever the scenario's outcome, so both are reported).
    let stopped = server.interrupt();
    let log = server.log_tail();
    assert!(
        outcome.status.success(),
        "the bitkub-python scenario failed against {base_url}\n{}\n--- server log (stopped: {stopped:?}) ---\n{log}",
        outcome.describe()
    );
    assert!(outcome.stdout.contains("scenario passed"), "the scenario exited 0 without its summary\n{}", outcome.describe());
    println!("{}", outcome.stdout);
    let status = stopped.unwrap_or_else(|e| panic!("stopping talat serve: {e}\n--- server log ---\n{log}"));
    assert!(status.success(), "talat serve did not exit cleanly on SIGINT: {status}\n--- server log ---\n{log}");
}
