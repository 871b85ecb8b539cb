//! Browser end-to-end: the customer app and the staff console (web/, embedded by talat-webapp)
//! in headless Debian chromium, driven by playwright-core from `node --test web/e2e/`, against a
//! real `talat serve` (demo exchange, liquidity bot) on a fresh data directory and a free port.
//!
//! `scripts/web-env` installs chromium (apt-get) when missing and web/node_modules (npm ci).
//! Screenshots of the main pages land in docs/screenshots/. The server is stopped with SIGINT
//! and must exit cleanly; a guard kills it if the test fails first. Every wait has a deadline.

mod support;

use std::io::Read;
use std::process::Command;
use std::time::Duration;
use support::{run, workspace_root, Served};

const ENV_TIMEOUT: Duration = Duration::from_secs(900);
const E2E_TIMEOUT: Duration = Duration::from_secs(420);

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
    let env = run(Command::new(root.join("scripts/web-env")), "scripts/web-env", ENV_TIMEOUT);
    assert!(env.status.success(), "scripts/web-env failed\n{}", env.describe());

    // The funds test withdraws to a bank account it has just verified: no cooling-off here.
    let config = std::env::temp_dir().join(format!("talat-e2e-{}.toml", std::process::id()));
    // A block a second on the demo's regtest chain: the crypto deposit confirms in seconds.
    std::fs::write(&config, "[funds.limits]\ncooling_off_ms = 0\n\n[demo]\nchain_block_ms = 1000\n").expect("the test server's talat.toml");
    let mut server = Served::start(&["--load-users", "0", "--bot-interval-ms", "300", "--config", config.to_str().expect("a UTF-8 temp path")]);
    let banner = server.banner.clone();
    let listen = server.listen.clone();
    let base_url = server.base_url();
    let data = server.data.clone();

    let (code, _) = http_get(&listen, "/");
    assert_eq!(code, 200, "talat serve does not serve the web app at / (is talat_webapp::routes() mounted in serve.rs?)");
    let (code, body) = http_get(&listen, "/console");
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
    let tests = run(node, "node --test web/e2e/", E2E_TIMEOUT);

    let stopped = server.interrupt();
    let log = server.log_tail();
    assert!(tests.status.success(), "the browser tests failed against {base_url}\n{}\n--- server log (stopped: {stopped:?}) ---\n{log}", tests.describe());
    println!("{}", tests.stdout);
    let status = stopped.unwrap_or_else(|e| panic!("stopping talat serve: {e}\n--- server log ---\n{log}"));
    assert!(status.success(), "talat serve did not exit cleanly on SIGINT: {status}\n--- server log ---\n{log}");
}
