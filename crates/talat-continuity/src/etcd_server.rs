//! A throwaway single-member etcd for tests (this crate's and other crates'): started from the
//! machine's `etcd` binary on free loopback ports, with its data in a directory the caller owns,
//! killed on drop.
//!
//! A missing binary is an error naming `scripts/continuity-env`: a suite that needs etcd must
//! fail, not pass by silently not running.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free when probed may be taken by the time etcd binds it; then start again.
const START_ATTEMPTS_MAX: u32 = 5;
const READY_TIMEOUT_MS: u64 = 20_000;
const POLL_INTERVAL_MS: u64 = 50;
const PROBE_TIMEOUT_MS: u64 = 500;
const PROBE_BYTES_MAX: u64 = 4096;
const LOG_TAIL_BYTES: usize = 3000;

pub struct EtcdServer {
    child: Child,
    endpoint: String,
}

/// `etcd` in PATH, else in /usr/bin (where Debian's etcd-server puts it).
pub fn find_etcd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]).map(|dir| dir.join("etcd")).find(|bin| bin.is_file())
}

impl EtcdServer {
    /// Starts etcd with its data and log (`etcd-N.log`, N the attempt) under `dir`, and waits
    /// until it answers `/health`.
    pub fn start(dir: &Path) -> Result<EtcdServer, String> {
        let bin = find_etcd().ok_or("etcd was not found in PATH or /usr/bin; install it with scripts/continuity-env (Debian's etcd-server)")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let mut failure = String::new();
        for attempt in 0..START_ATTEMPTS_MAX {
            let [client_port, peer_port] = free_ports()?;
            // A fresh data directory each attempt: a failed start may leave a half-made member.
            let data_dir = dir.join(format!("etcd-{attempt}"));
            let log_path = dir.join(format!("etcd-{attempt}.log"));
            let log = File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
            let client_url = format!("http://127.0.0.1:{client_port}");
            let peer_url = format!("http://127.0.0.1:{peer_port}");
            let child = Command::new(&bin)
                .arg("--name=test")
                .arg(format!("--data-dir={}", data_dir.display()))
                .arg(format!("--listen-client-urls={client_url}"))
                .arg(format!("--advertise-client-urls={client_url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=test={peer_url}"))
                .arg("--logger=zap")
                .arg("--log-outputs=stderr")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            // From here the child is killed on every path out, by Drop.
            let mut server = EtcdServer { child, endpoint: client_url };
            match server.wait_ready(client_port) {
                Ok(()) => return Ok(server),
                Err(why) => {
                    let tail = log_tail(&log_path);
                    failure = format!("{why}; {} says:\n{tail}", log_path.display());
                    if !tail.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        Err(format!("etcd did not start: {failure}"))
    }

    /// e.g. "http://127.0.0.1:40123".
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn wait_ready(&mut self, client_port: u16) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(READY_TIMEOUT_MS) {
            if let Some(status) = self.child.try_wait().map_err(|e| format!("waiting for etcd: {e}"))? {
                return Err(format!("etcd exited with {status}"));
            }
            if healthy(client_port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(POLL_INTERVAL_MS));
        }
        Err(format!("etcd did not answer /health within {READY_TIMEOUT_MS} ms"))
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        // Kill fails only if the child was already reaped; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two distinct free loopback ports: both held while the second is chosen.
fn free_ports() -> Result<[u16; 2], String> {
    let bind = || TcpListener::bind("127.0.0.1:0").and_then(|l| Ok((l.local_addr()?.port(), l))).map_err(|e| format!("finding a free port: {e}"));
    let (first, _held) = bind()?;
    let (second, _) = bind()?;
    assert_ne!(first, second, "the kernel handed out a port that is still bound");
    Ok([first, second])
}

/// One plain HTTP/1.0 GET, so the harness needs no async runtime.
fn healthy(port: u16) -> bool {
    let probe = || -> std::io::Result<String> {
        let timeout = Duration::from_millis(PROBE_TIMEOUT_MS);
        let mut stream = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut answer = String::new();
        stream.take(PROBE_BYTES_MAX).read_to_string(&mut answer)?;
        Ok(answer)
    };
    probe().is_ok_and(|answer| answer.split_ascii_whitespace().nth(1) == Some("200") && answer.contains(r#""health":"true""#))
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(LOG_TAIL_BYTES);
    String::from_utf8_lossy(&text[start..]).into_owned()
}
