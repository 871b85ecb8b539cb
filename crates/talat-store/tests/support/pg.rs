//! A throwaway PostgreSQL server for the tests, started from the machine's own binaries in a
//! temporary directory and stopped on drop.
//!
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or
//! `nobody`) through `runuser`, in a directory handed to that user. Missing binaries fail the
//! test with a message naming `scripts/ensure-postgres`: the PostgreSQL suite must not pass by
//! silently not running.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

pub struct PgServer {
    dir: TempDir,
    bin: PathBuf,
    run_as: Option<String>,
    port: u16,
    next_db: AtomicU32,
}

/// The directory holding both `initdb` and `pg_ctl`: PATH first, then the usual install places
/// (Debian's versioned directories newest first).
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(debian.into_iter().map(|(_, p)| p));
    candidates.extend(["/usr/local/bin", "/usr/local/pgsql/bin", "/usr/pgsql/bin"].map(PathBuf::from));
    candidates.into_iter().find(|d| has_both(d))
}

fn user_ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok()).flatten()
    };
    Some((id("-u")?, id("-g")?))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

fn describe(out: &Output) -> String {
    format!("status {}\nstdout: {}\nstderr: {}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

impl PgServer {
    pub fn start() -> PgServer {
        let bin = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL binaries (initdb and pg_ctl) were not found in PATH, /usr/lib/postgresql/*/bin or /usr/local/bin; \
                 the PostgreSQL tests cannot run. Install them with scripts/ensure-postgres (apt-get install -y postgresql)."
            )
        });
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let run_as = root.then(|| {
            ["postgres", "nobody"]
                .into_iter()
                .find(|u| user_ids(u).is_some())
                .expect("running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as")
                .to_string()
        });
        let dir = tempfile::Builder::new().prefix("talat-pg-").tempdir().expect("a temporary directory");
        if let Some(user) = &run_as {
            let (uid, gid) = user_ids(user).expect("checked above");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("handing the temporary directory to the server's user");
        }
        let mut server = PgServer { dir, bin, run_as, port: 0, next_db: AtomicU32::new(0) };
        let data = server.data_dir();
        let out = server.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"]);
        assert!(out.status.success(), "initdb failed:\n{}", describe(&out));
        // A port that was free a moment ago may be taken by the time the server binds: retry.
        for _ in 0..5 {
            server.port = free_port();
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                server.port,
                server.dir.path().display()
            );
            let log = server.dir.path().join("server.log").display().to_string();
            let out = server.run("pg_ctl", &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "30", "start"]);
            if out.status.success() {
                return server;
            }
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            if !log_text.contains("could not bind") && !log_text.contains("Address already in use") {
                panic!("pg_ctl start failed:\n{}\nserver log:\n{log_text}", describe(&out));
            }
        }
        panic!("pg_ctl start failed five times: no free port");
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs one of the server's binaries, as the unprivileged user when we are root.
    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let path = self.bin.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        // The server's user may not be able to enter our working directory.
        cmd.args(args).current_dir(self.dir.path());
        cmd.output().unwrap_or_else(|e| panic!("running {}: {e}", path.display()))
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty database on this server; returns its URL.
    pub async fn fresh_database(&self) -> String {
        use sqlx::Connection;
        let name = format!("talat_test_{}", self.next_db.fetch_add(1, Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres")).await.expect("connecting to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("CREATE DATABASE");
        admin.close().await.ok();
        self.url(&name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data_dir();
        let out = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        if !out.status.success() {
            eprintln!("stopping the test PostgreSQL server failed:\n{}", describe(&out));
        }
    }
}
