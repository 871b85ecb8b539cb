//! Real-client compatibility: the PyPI client `bitkub-python` 0.2.0, unmodified, drives a real
//! `talat serve` (demo exchange, liquidity bot) through a whole scenario — market data, wallet,
//! placing, listing, cancelling, trading and the error paths (tests/python/bitkub_scenario.py).
//!
//! `scripts/python-env` makes the client's venv (needs python3 and PyPI the first time). The
//! server is stopped with SIGINT and must exit cleanly; a guard kills it if the test fails
//! first. Every wait has a deadline.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Creating the venv on a fresh machine downloads from PyPI.
const PYTHON_ENV_TIMEOUT: Duration = Duration::from_secs(600);
const BANNER_TIMEOUT: Duration = Duration::from_secs(60);
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(300);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn describe(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

fn drain<R: Read + Send + 'static>(reader: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut reader) = reader {
            let _ = reader.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Waits for `child` until `deadline`; kills it (and says so) when the deadline passes.
fn wait_until(child: &mut Child, timeout: Duration) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {timeout:?}: killed"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting failed: {e}")),
        }
    }
}

/// Runs a command to completion with its output captured, killing it at the deadline.
fn run(mut command: Command, what: &str, timeout: Duration) -> Finished {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_until(&mut child, timeout);
    let finished = |status| Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    match status {
        Ok(status) => finished(status),
        Err(reason) => {
            let out = finished(ExitStatus::default());
            panic!(
                "{what}: {reason}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                out.stdout, out.stderr
            )
        }
    }
}

/// The running server; killed (SIGKILL) if the test ends without stopping it.
struct Server {
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    fn pid(&self) -> libc::pid_t {
        self.child.as_ref().expect("the server is running").id() as libc::pid_t
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// SIGINT (Ctrl-C), then waits for the exit.
    fn interrupt(&mut self) -> Result<ExitStatus, String> {
        let pid = self.pid();
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        let rc = unsafe { libc::kill(pid, libc::SIGINT) };
        if rc != 0 {
            return Err(format!(
                "kill(SIGINT) failed: {}",
                std::io::Error::last_os_error()
            ));
        }
        let mut child = self.child.take().expect("the server is running");
        wait_until(&mut child, SHUTDOWN_TIMEOUT)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads the JSON banner line in a thread so that a silent server cannot hang the test.
fn read_banner(stdout: ChildStdout, timeout: Duration) -> Result<serde_json::Value, String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let result = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(result);
        // Keep draining so the server never blocks on a full pipe.
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(line)) if line.trim().is_empty() => {
            Err("the server closed stdout without printing its banner".into())
        }
        Ok(Ok(line)) => serde_json::from_str(line.trim())
            .map_err(|e| format!("the banner is not JSON ({e}): {line:?}")),
        Ok(Err(e)) => Err(format!("reading the banner failed: {e}")),
        Err(_) => Err(format!("no banner within {timeout:?}")),
    }
}

#[test]
fn bitkub_python_client_runs_the_whole_scenario() {
    let root = workspace_root();

    // 1. The client's venv.
    let env = run(
        Command::new(root.join("scripts/python-env")),
        "scripts/python-env",
        PYTHON_ENV_TIMEOUT,
    );
    assert!(
        env.status.success(),
        "scripts/python-env failed\n{}",
        env.describe()
    );
    let python = PathBuf::from(env.stdout.lines().last().unwrap_or("").trim());
    assert!(
        python.is_file(),
        "scripts/python-env printed no python path\n{}",
        env.describe()
    );

    // 2. The server, on a fresh data directory and a free port.
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("talat.log");
    let log_file = std::fs::File::create(&log).expect("the server log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(["serve", "--data"])
        .arg(&data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--json",
            "--load-users",
            "0",
            "--bot-interval-ms",
            "200",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("talat serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut server = Server {
        child: Some(child),
        log,
    };

    let banner = read_banner(stdout, BANNER_TIMEOUT).unwrap_or_else(|e| {
        panic!(
            "talat serve: {e}\n--- server log ---\n{}",
            server.log_tail()
        )
    });
    let listen = banner["listen"]
        .as_str()
        .unwrap_or_else(|| panic!("no listen address in the banner: {banner}"));
    let user = &banner["demo_user"];
    let (key, secret) = match (user["api_key"].as_str(), user["api_secret"].as_str()) {
        (Some(key), Some(secret)) => (key.to_string(), secret.to_string()),
        _ => panic!("no demo user credentials in the banner: {banner}"),
    };
    let base_url = format!("http://{listen}");

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
    assert!(
        outcome.stdout.contains("scenario passed"),
        "the scenario exited 0 without its summary\n{}",
        outcome.describe()
    );
    println!("{}", outcome.stdout);
    let status =
        stopped.unwrap_or_else(|e| panic!("stopping talat serve: {e}\n--- server log ---\n{log}"));
    assert!(
        status.success(),
        "talat serve did not exit cleanly on SIGINT: {status}\n--- server log ---\n{log}"
    );
}
