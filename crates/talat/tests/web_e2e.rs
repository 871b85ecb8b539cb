//! Browser end-to-end: the customer app and the staff console (web/, embedded by talat-webapp)
//! in headless Debian chromium, driven by playwright-core from `node --test web/e2e/`, against a
//! real `talat serve` (demo exchange, liquidity bot) on a fresh data directory and a free port.
//!
//! `scripts/web-env` installs chromium (apt-get) when missing and web/node_modules (npm ci).
//! Screenshots of the main pages land in docs/screenshots/. The server is stopped with SIGINT
//! and must exit cleanly; a guard kills it if the test fails first. Every wait has a deadline.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const ENV_TIMEOUT: Duration = Duration::from_secs(900);
const BANNER_TIMEOUT: Duration = Duration::from_secs(60);
const E2E_TIMEOUT: Duration = Duration::from_secs(420);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root exists")
}

/// Runs `command` with its output captured; kills it at the deadline. (status, stdout, stderr)
fn run(mut command: Command, what: &str, timeout: Duration) -> (ExitStatus, String, String) {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let drain = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let status = wait_until(&mut child, timeout);
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    match status {
        Ok(status) => (status, out, err),
        Err(reason) => panic!("{what}: {reason}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"),
    }
}

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

/// The running server; killed if the test ends without stopping it.
struct Server {
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    fn interrupt(&mut self) -> Result<ExitStatus, String> {
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

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn read_banner(stdout: ChildStdout, timeout: Duration) -> Result<serde_json::Value, String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let result = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(result);
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

/// A plain HTTP/1.0 GET: (status, body).
fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to talat serve");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send the request");
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

#[test]
fn web_app_and_console_in_a_real_browser() {
    let root = workspace_root();
    let (status, out, err) = run(Command::new(root.join("scripts/web-env")), "scripts/web-env", ENV_TIMEOUT);
    assert!(status.success(), "scripts/web-env failed: {status}\n{out}\n{err}");

    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let log = dir.path().join("talat.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(["serve", "--data"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0", "--json", "--load-users", "0", "--bot-interval-ms", "300"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&log).expect("the server log file")))
        .spawn()
        .expect("talat serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut server = Server { child: Some(child), log };
    let banner = read_banner(stdout, BANNER_TIMEOUT).unwrap_or_else(|e| panic!("talat serve: {e}\n--- server log ---\n{}", server.log_tail()));
    let listen = banner["listen"].as_str().unwrap_or_else(|| panic!("no listen address in the banner: {banner}"));
    let base_url = format!("http://{listen}");

    let (code, _) = http_get(listen, "/");
    assert_eq!(code, 200, "talat serve does not serve the web app at / (is talat_webapp::routes() mounted in serve.rs?)");
    let (code, body) = http_get(listen, "/console");
    assert!(code == 200 && body.contains("<div id=\"app\">"), "talat serve does not serve the console at /console: {code}");

    let shots = root.join("docs/screenshots");
    std::fs::create_dir_all(&shots).expect("docs/screenshots");
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "e2e/"])
        .current_dir(root.join("web"))
        .env("TALAT_URL", &base_url)
        .env("TALAT_DATA", &data)
        .env("TALAT_STAFF", banner.to_string())
        .env("TALAT_SCREENSHOTS", &shots);
    let (status, out, err) = run(node, "node --test web/e2e/", E2E_TIMEOUT);

    let stopped = server.interrupt();
    let log = server.log_tail();
    assert!(status.success(), "the browser tests failed against {base_url}\n--- stdout ---\n{out}\n--- stderr ---\n{err}\n--- server log (stopped: {stopped:?}) ---\n{log}");
    println!("{out}");
    let status = stopped.unwrap_or_else(|e| panic!("stopping talat serve: {e}\n--- server log ---\n{log}"));
    assert!(status.success(), "talat serve did not exit cleanly on SIGINT: {status}\n--- server log ---\n{log}");
}
