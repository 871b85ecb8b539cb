//! Shared by the tests that drive the real `talat` binary as a client would: running helper
//! commands with deadlines, and a `talat serve` on a fresh data directory and a free port whose
//! JSON banner is read, stopped with SIGINT (or killed if the test fails first).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BANNER_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root exists")
}

/// A command that ran to its end, with what it printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn describe(&self) -> String {
        format!("exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.status, self.stdout, self.stderr)
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

/// Each thread of process `pid` with what the kernel says it waits in: what a hung shutdown
/// was stuck on.
fn threads_of(pid: u32) -> String {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return "(unreadable)".into() };
    let mut lines: Vec<String> = tasks
        .flatten()
        .map(|t| {
            let read = |f: &str| std::fs::read_to_string(t.path().join(f)).unwrap_or_default().trim().to_owned();
            format!("{}: {}", read("comm"), read("wchan"))
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Waits for `child` until the timeout; kills it (and says so) when the timeout passes.
pub fn wait_until(child: &mut Child, timeout: Duration) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let threads = threads_of(child.id());
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {timeout:?}: killed; its threads (name: kernel wait) were:\n{threads}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting failed: {e}")),
        }
    }
}

/// Runs a command to completion with its output captured; panics (with that output) if it is
/// still running at the deadline.
pub fn run(mut command: Command, what: &str, timeout: Duration) -> Finished {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_until(&mut child, timeout);
    let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
    match status {
        Ok(status) => Finished { status, stdout, stderr },
        Err(reason) => panic!("{what}: {reason}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"),
    }
}

/// A running `talat serve`; killed (SIGKILL) if the test ends without stopping it.
pub struct Served {
    child: Option<Child>,
    log: PathBuf,
    pub data: PathBuf,
    /// The JSON line it printed at start (listen address, demo credentials).
    pub banner: serde_json::Value,
    /// `host:port`.
    pub listen: String,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Starts `talat serve --data <fresh dir> --listen 127.0.0.1:0 --json <args>` and reads its
    /// banner.
    pub fn start(args: &[&str]) -> Served {
        Served::start_with_env(args, &[])
    }

    /// [`Served::start`] with extra environment variables (e.g. a crash point).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Served {
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("data");
        let log = dir.path().join("talat.log");
        let mut served = Served { child: None, log, data, banner: serde_json::Value::Null, listen: String::new(), _dir: dir };
        served.spawn(args, env);
        served
    }

    /// Starts the server on the data directory it has (a restart after [`Served::kill`]).
    fn spawn(&mut self, args: &[&str], env: &[(&str, &str)]) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("the server log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_talat"))
            .envs(env.iter().copied())
            .args(["serve", "--data"])
            .arg(&self.data)
            .args(["--listen", "127.0.0.1:0", "--json"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("talat serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        self.child = Some(child);
        self.banner = read_banner(stdout, BANNER_TIMEOUT).unwrap_or_else(|e| panic!("talat serve: {e}\n--- server log ---\n{}", self.log_tail()));
        self.listen = self.banner["listen"].as_str().unwrap_or_else(|| panic!("no listen address in the banner: {}", self.banner)).to_string();
    }

    /// SIGKILL: no shutdown of any kind, as a power cut.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("the server is running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts again on the same data directory, after [`Served::kill`] or [`Served::interrupt`].
    pub fn restart(&mut self, args: &[&str]) {
        self.restart_with_env(args, &[]);
    }

    pub fn restart_with_env(&mut self, args: &[&str], env: &[(&str, &str)]) {
        assert!(self.child.is_none(), "stop the server before restarting it");
        self.spawn(args, env);
    }

    /// Waits for the server to exit by itself (a crash point), at most `timeout` (then kills it).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let mut child = self.child.take().expect("the server is running");
        wait_until(&mut child, timeout)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.listen)
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// SIGINT (Ctrl-C), then waits for the exit.
    pub fn interrupt(&mut self) -> Result<ExitStatus, String> {
        let mut child = self.child.take().expect("the server is running");
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        if unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) } != 0 {
            let error = std::io::Error::last_os_error();
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("kill(SIGINT) failed: {error}"));
        }
        wait_until(&mut child, SHUTDOWN_TIMEOUT)
    }
}

impl Drop for Served {
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
        Ok(Ok(line)) if line.trim().is_empty() => Err("the server closed stdout without printing its banner".into()),
        Ok(Ok(line)) => serde_json::from_str(line.trim()).map_err(|e| format!("the banner is not JSON ({e}): {line:?}")),
        Ok(Err(e)) => Err(format!("reading the banner failed: {e}")),
        Err(_) => Err(format!("no banner within {timeout:?}")),
    }
}
