//! `talat drill failover`: two `talat serve` processes (primary and synchronous standby), a
//! real etcd deciding who leads, HAProxy in front finding the primary by `/healthz`, orders
//! flowing through HAProxy — then the primary is killed with SIGKILL at a random moment.
//! Measured: how long until orders are acknowledged again. Checked: every order acknowledged
//! before, during and after is on the new primary; the killed node, restarted, rejoins as the
//! standby with its unreplicated tail cut (and says exactly what it cut); `talat verify` passes
//! on the final primary. The report (JSON and text) is kept for the regulator. Wiring only.

use serde::Serialize;
use sha2::Digest;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Subcommand)]
pub enum DrillCmd {
    /// Kill the primary under load and measure the failover (see the module documentation).
    Failover(FailoverArgs),
}

#[derive(clap::Args, Clone, Debug)]
pub struct FailoverArgs {
    /// Failovers in a row; each kills whichever node is primary then.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Client threads placing orders through HAProxy.
    #[arg(long, default_value_t = 4)]
    pub workers: u32,
    /// The kill comes at a random moment this many ms (at most) into each round's load, and
    /// at least a quarter of it.
    #[arg(long, default_value_t = 3_000)]
    pub kill_within_ms: u64,
    /// The etcd lease's time to live: the standby takes over once it expires.
    #[arg(long, default_value_t = 2)]
    pub lease_ttl_s: u64,
    /// Seed of the kill moments.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where the report is written (default ./drill-reports).
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    /// Keep the drill's data directories and logs.
    #[arg(long)]
    pub keep: bool,
}

pub fn run(cmd: DrillCmd) -> Result<String, String> {
    match cmd {
        DrillCmd::Failover(args) => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let report = failover(&args, &exe)?;
            let dir = args.report_dir.clone().unwrap_or_else(|| PathBuf::from("drill-reports"));
            let (json_path, text_path) = report.write(&dir)?;
            Ok(format!("{}\nreport: {} and {}\n", report.text(), json_path.display(), text_path.display()))
        }
    }
}

/// What one failover drill found.
#[derive(Clone, Debug, Serialize)]
pub struct FailoverReport {
    pub started_utc_ms: u64,
    pub rounds: Vec<RoundReport>,
    /// Orders acknowledged over the whole drill; every one was looked up on the final primary.
    pub acknowledged_orders: u64,
    pub missing_orders: u64,
    /// `talat verify` on the final primary's data directory, after it stopped.
    pub verify_ok: bool,
    pub verify_output: String,
    pub settings: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct RoundReport {
    pub killed: String,
    pub promoted: String,
    /// When the SIGKILL came, in ms after the round's load began.
    pub kill_after_ms: u64,
    /// From the SIGKILL to the first acknowledgement of an order sent after it.
    pub failover_ms: u64,
    pub acknowledged_before_kill: u64,
    pub acknowledged_in_round: u64,
    /// Requests that failed or were refused while no primary served (expected: they were not
    /// acknowledged, and clients retry them).
    pub not_acknowledged_in_round: u64,
    /// Those requests by what came back, e.g. `HTTP 503 error null` (HAProxy had no primary).
    pub refusals: std::collections::BTreeMap<String, u64>,
    /// The killed node's unreplicated tail, cut when it rejoined as the standby.
    pub tail_cut: Option<serde_json::Value>,
    pub new_epoch: u32,
    /// A WebSocket order-book client through HAProxy: its connection to the killed primary
    /// ended, and on reconnecting it got a fresh snapshot holding the drill's bids.
    pub websocket_dropped_on_kill: bool,
    pub websocket_resumed_from_snapshot: bool,
}

impl FailoverReport {
    pub fn text(&self) -> String {
        let mut out = String::from(
            "talat drill failover\n\n| round | killed | promoted | epoch | kill at ms | failover ms | acked | not acked | tail cut | WebSocket resumed |\n|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for (i, r) in self.rounds.iter().enumerate() {
            let cut = r.tail_cut.as_ref().map_or("-".to_string(), |c| format!("{} records from seq {}", c["records_cut"], c["from_seq"]));
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                i + 1,
                r.killed,
                r.promoted,
                r.new_epoch,
                r.kill_after_ms,
                r.failover_ms,
                r.acknowledged_in_round,
                r.not_acknowledged_in_round,
                cut,
                if r.websocket_dropped_on_kill && r.websocket_resumed_from_snapshot { "yes" } else { "NO" }
            ));
        }
        out.push_str(&format!(
            "\nacknowledged orders: {}, missing on the final primary: {}\ntalat verify on the final primary: {}\n",
            self.acknowledged_orders,
            self.missing_orders,
            if self.verify_ok { "passed" } else { "FAILED" }
        ));
        out
    }

    fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let stem = format!("failover-{}", self.started_utc_ms);
        let json_path = dir.join(format!("{stem}.json"));
        let text_path = dir.join(format!("{stem}.md"));
        std::fs::write(&json_path, serde_json::to_string_pretty(self).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        std::fs::write(&text_path, self.text()).map_err(|e| e.to_string())?;
        Ok((json_path, text_path))
    }
}

/// One `talat serve` process of the drill.
struct Node {
    name: String,
    dir: PathBuf,
    api: SocketAddr,
    replication: SocketAddr,
    child: Option<Child>,
}

struct Setup<'a> {
    exe: &'a Path,
    work: PathBuf,
    etcd: String,
    master_key: String,
    lease_ttl_s: u64,
}

impl Node {
    fn start(&mut self, setup: &Setup<'_>, role: &str, peer: SocketAddr) -> Result<(), String> {
        assert!(self.child.is_none());
        let log = std::fs::File::create(setup.work.join(format!("{}.log", self.name))).map_err(|e| e.to_string())?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(setup.exe)
            .args(["serve", "--json", "--no-bot", "--load-users", "40"])
            .arg("--data")
            .arg(&self.dir)
            .args(["--listen", &self.api.to_string(), "--role", role, "--node-id", &self.name])
            .args(["--replication-listen", &self.replication.to_string(), "--peer", &peer.to_string()])
            .args(["--etcd", &setup.etcd, "--etcd-lease-ttl-s", &setup.lease_ttl_s.to_string()])
            .env("TALAT_MASTER_KEY", &setup.master_key)
            .env("TALAT_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", setup.exe.display()))?;
        self.child = Some(child);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Ctrl-C, then wait (bounded) for an orderly exit.
    fn interrupt(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        for _ in 0..600 {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return if status.success() { Ok(()) } else { Err(format!("{} exited with {status}", self.name)) };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("{} did not stop within 30 s of Ctrl-C", self.name))
    }

    fn health(&self) -> Option<(u16, serde_json::Value)> {
        http(self.api, "GET", "/healthz", &[], b"", Duration::from_millis(1_000)).ok()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_addr() -> Result<SocketAddr, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let started = Instant::now();
    // Bounded by `limit`.
    while started.elapsed() < limit {
        if done() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("gave up after {} s waiting for {what}", limit.as_secs()))
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`): status and JSON body.
fn http(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, String)], body: &[u8], timeout: Duration) -> Result<(u16, serde_json::Value), String> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if method == "POST" {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).and_then(|()| stream.write_all(body)).map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream.take(1 << 20).read_to_end(&mut response).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let status: u16 =
        text.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("no HTTP status in {:?}", text.chars().take(80).collect::<String>()))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    Ok((status, json))
}

/// Signed request headers (reference §7.1).
fn signed(key: &str, secret: &str, method: &str, target: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let ts = talat_gateway::setup::system_clock_ms().to_string();
    let sign = talat_gateway::auth::sign::sign(secret.as_bytes(), &ts, method, target, body);
    vec![("X-BTK-APIKEY", key.to_string()), ("X-BTK-TIMESTAMP", ts), ("X-BTK-SIGN", sign)]
}

#[derive(Clone, Debug)]
struct Sent {
    sent_ms: u64,
    done_ms: u64,
    /// The order id when acknowledged.
    order: Option<u64>,
    /// Otherwise what came back: status and Bitkub error code, or no answer.
    refusal: Option<String>,
}

/// Each load client places at most 100 orders/s, under the node's 150/s per user.
const MIN_ORDER_INTERVAL_MS: u64 = 10;

/// Places small resting bids through `front` until `stop`, from `workers` threads, one demo
/// load user each; every request's times and outcome are kept.
fn load(front: SocketAddr, workers: u32, epoch: Instant, stop: Arc<AtomicBool>, log: Arc<Mutex<Vec<Sent>>>) -> Vec<std::thread::JoinHandle<()>> {
    (0..workers)
        .map(|w| {
            let (stop, log) = (Arc::clone(&stop), Arc::clone(&log));
            std::thread::spawn(move || {
                let (key, secret) = talat_loadgen::demo_load_credentials(w);
                let ms = || epoch.elapsed().as_millis() as u64;
                // Ends when the drill says so; each pass is one request (≤ 2 s).
                while !stop.load(Ordering::Acquire) {
                    let body = br#"{"sym":"btc_thb","amt":100,"rat":3000000,"typ":"limit"}"#;
                    let target = "/api/v3/market/place-bid";
                    let sent_ms = ms();
                    let outcome = http(front, "POST", target, &signed(&key, &secret, "POST", target, body), body, Duration::from_millis(2_000));
                    let order = match &outcome {
                        Ok((200, json)) if json["error"] == 0 => json["result"]["id"].as_str().and_then(|id| id.parse().ok()),
                        _ => None,
                    };
                    let refusal = match (&outcome, order) {
                        (_, Some(_)) => None,
                        (Ok((status, json)), None) => Some(format!("HTTP {status} error {}", json["error"])),
                        (Err(_), None) => Some("no answer".to_owned()),
                    };
                    let done_ms = ms();
                    log.lock().unwrap_or_else(|p| p.into_inner()).push(Sent { sent_ms, done_ms, order, refusal });
                    // A client keeps inside its rate limit (150 orders/s per user and endpoint):
                    // over it, the node would block the key for 30 s and the drill would measure
                    // the block instead of the failover.
                    let pause_ms = if order.is_none() { 20 } else { MIN_ORDER_INTERVAL_MS.saturating_sub(done_ms - sent_ms) };
                    std::thread::sleep(Duration::from_millis(pause_ms));
                }
            })
        })
        .collect()
}

/// Runs the drill with `exe` as the `talat` binary.
pub fn failover(args: &FailoverArgs, exe: &Path) -> Result<FailoverReport, String> {
    assert!(args.rounds >= 1 && args.workers >= 1 && args.workers <= 40);
    let started_utc_ms = talat_gateway::setup::system_clock_ms();
    let work = std::env::temp_dir().join(format!("talat-drill-{}-{started_utc_ms}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let result = failover_in(args, exe, &work, started_utc_ms);
    if args.keep || result.is_err() {
        eprintln!("talat drill: data directories and logs kept in {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    result
}

fn failover_in(args: &FailoverArgs, exe: &Path, work: &Path, started_utc_ms: u64) -> Result<FailoverReport, String> {
    let etcd = talat_continuity::etcd_server::EtcdServer::start(&work.join("etcd"))?;
    let master_key = hex::encode(sha2::Sha256::digest(format!("talat-drill-{started_utc_ms}-{}", std::process::id())));
    let setup = Setup { exe, work: work.to_path_buf(), etcd: etcd.endpoint().to_string(), master_key, lease_ttl_s: args.lease_ttl_s };
    let mut nodes = [("a", 0), ("b", 1)].map(|(name, _)| Node {
        name: name.to_string(),
        dir: work.join(name),
        api: free_addr().expect("a free port"),
        replication: free_addr().expect("a free port"),
        child: None,
    });
    let big = Duration::from_secs(120);
    // A starts as primary with a fresh demo exchange, B as its standby (in synchronous mode A
    // acknowledges nothing, its demo set-up included, until B holds it or the standby bound
    // passes). B gets A's demo.json, the demo's per-node file of its accounts.
    let (a_replication, b_replication) = (nodes[0].replication, nodes[1].replication);
    nodes[0].start(&setup, "primary", b_replication)?;
    nodes[1].start(&setup, "standby", a_replication)?;
    wait_for("node a to serve as primary", big, || nodes[0].health().is_some_and(|(code, _)| code == 200))?;
    std::fs::copy(nodes[0].dir.join("demo.json"), nodes[1].dir.join("demo.json")).map_err(|e| format!("demo.json: {e}"))?;
    wait_for("node b to hold everything as standby", big, || nodes[1].health().is_some_and(|(_, h)| h["standby"]["eligible"] == true))?;

    let front = free_addr()?;
    let haproxy = start_haproxy(work, front, [nodes[0].api, nodes[1].api])?;
    let _haproxy = KillOnDrop(haproxy);
    wait_for("HAProxy to route to the primary", big, || {
        http(front, "GET", "/healthz", &[], b"", Duration::from_millis(500)).is_ok_and(|(code, _)| code == 200)
    })?;

    let epoch = Instant::now();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut rng = args.seed.max(1);
    let mut rounds = Vec::new();
    let mut primary = 0usize;
    for _ in 0..args.rounds {
        let standby = 1 - primary;
        let stop = Arc::new(AtomicBool::new(false));
        let round_start_ms = epoch.elapsed().as_millis() as u64;
        let before = log.lock().unwrap_or_else(|p| p.into_inner()).len();
        let workers = load(front, args.workers, epoch, Arc::clone(&stop), Arc::clone(&log));
        // xorshift: the kill moment, between a quarter and all of kill_within_ms.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let kill_after_ms = args.kill_within_ms / 4 + rng % (args.kill_within_ms * 3 / 4).max(1);
        std::thread::sleep(Duration::from_millis(kill_after_ms / 2));
        let mut socket = order_book_socket(front)?;
        std::thread::sleep(Duration::from_millis(kill_after_ms - kill_after_ms / 2));
        let kill_ms = epoch.elapsed().as_millis() as u64;
        nodes[primary].kill();
        let websocket_dropped_on_kill = socket_ends(&mut socket);
        let first_ack_after = |log: &Vec<Sent>| log.iter().filter(|s| s.sent_ms > kill_ms && s.order.is_some()).map(|s| s.done_ms).min();
        wait_for("an order acknowledged by the promoted standby", big, || first_ack_after(&log.lock().unwrap_or_else(|p| p.into_inner())).is_some())?;
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Release);
        for worker in workers {
            let _ = worker.join();
        }
        let entries = log.lock().unwrap_or_else(|p| p.into_inner())[before..].to_vec();
        let failover_ms = first_ack_after(&entries).expect("waited for above") - kill_ms;
        let health = nodes[standby].health().map(|(_, h)| h).unwrap_or_default();
        let new_epoch = health["epoch"].as_u64().unwrap_or(0) as u32;
        let websocket_resumed_from_snapshot = order_book_socket(front).is_ok();

        // The killed node comes back as the standby of the promoted one.
        let peer = nodes[standby].replication;
        nodes[primary].start(&setup, "standby", peer)?;
        wait_for("the killed node to rejoin as standby", big, || nodes[primary].health().is_some_and(|(_, h)| h["standby"]["eligible"] == true))?;
        let tail_cut = nodes[primary].health().and_then(|(_, h)| (!h["standby"]["last_cut"].is_null()).then(|| h["standby"]["last_cut"].clone()));
        rounds.push(RoundReport {
            killed: nodes[primary].name.clone(),
            promoted: nodes[standby].name.clone(),
            kill_after_ms: kill_ms - round_start_ms,
            failover_ms,
            acknowledged_before_kill: entries.iter().filter(|s| s.order.is_some() && s.done_ms <= kill_ms).count() as u64,
            acknowledged_in_round: entries.iter().filter(|s| s.order.is_some()).count() as u64,
            not_acknowledged_in_round: entries.iter().filter(|s| s.order.is_none()).count() as u64,
            refusals: entries.iter().filter_map(|s| s.refusal.clone()).fold(Default::default(), |mut by, r| {
                *by.entry(r).or_insert(0) += 1;
                by
            }),
            tail_cut,
            new_epoch,
            websocket_dropped_on_kill,
            websocket_resumed_from_snapshot,
        });
        primary = standby;
    }

    // Every acknowledged order, looked up on the final primary.
    let acknowledged: Vec<(u32, u64)> = {
        let log = log.lock().unwrap_or_else(|p| p.into_inner());
        log.iter().filter_map(|s| s.order).map(|id| (0, id)).collect()
    };
    let open = open_orders(nodes[primary].api, args.workers)?;
    let missing = acknowledged.iter().filter(|(_, id)| !open.contains(id)).count() as u64;

    // Orderly stop, then `talat verify` on the final primary's directory.
    nodes[1 - primary].interrupt()?;
    nodes[primary].interrupt()?;
    let verify = Command::new(exe).args(["verify", "--data"]).arg(&nodes[primary].dir).output().map_err(|e| e.to_string())?;
    let verify_output = format!("{}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    drop(etcd);
    Ok(FailoverReport {
        started_utc_ms,
        rounds,
        acknowledged_orders: acknowledged.len() as u64,
        missing_orders: missing,
        verify_ok: verify.status.success(),
        verify_output,
        settings: serde_json::json!({"rounds": args.rounds, "workers": args.workers, "kill_within_ms": args.kill_within_ms, "lease_ttl_s": args.lease_ttl_s, "seed": args.seed, "replication": "sync, available after 2 s without the standby"}),
    })
}

/// The ids of every open order of the drill's users on the primary at `api` (the drill's bids
/// rest far below the market, and nothing else trades, so every acknowledged one is open).
fn open_orders(api: SocketAddr, workers: u32) -> Result<std::collections::BTreeSet<u64>, String> {
    let mut ids = std::collections::BTreeSet::new();
    for w in 0..workers {
        let (key, secret) = talat_loadgen::demo_load_credentials(w);
        let target = "/api/v3/market/my-open-orders?sym=btc_thb";
        let (status, json) = http(api, "GET", target, &signed(&key, &secret, "GET", target, b""), b"", Duration::from_millis(10_000))?;
        if status != 200 || json["error"] != 0 {
            return Err(format!("my-open-orders of load user {w} on the final primary: HTTP {status} {json}"));
        }
        ids.extend(json["result"].as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().and_then(|id| id.parse::<u64>().ok())));
    }
    Ok(ids)
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>;

/// A WebSocket client of BTC_THB's order book through `front`, once its first message (the
/// snapshot) shows the drill's resting bids at 3,000,000.
fn order_book_socket(front: SocketAddr) -> Result<Socket, String> {
    let (status, symbols) = http(front, "GET", "/api/v3/market/symbols", &[], b"", Duration::from_millis(5_000))?;
    let pairing_id = symbols["result"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["symbol"] == "BTC_THB")
        .and_then(|s| s["pairing_id"].as_u64())
        .ok_or_else(|| format!("no BTC_THB in /api/v3/market/symbols (HTTP {status})"))?;
    let (mut socket, _) = tungstenite::connect(format!("ws://{front}/websocket-api/orderbook/{pairing_id}")).map_err(|e| e.to_string())?;
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    }
    // The snapshot is the first message; a ping may come first.
    for _ in 0..8 {
        if let tungstenite::Message::Text(text) = socket.read().map_err(|e| e.to_string())? {
            let message: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            if message["event"] == "tradeschanged" && message["data"][1].to_string().contains("3000000") {
                return Ok(socket);
            }
            return Err(format!("the first order-book message is not a snapshot with the drill's bids: {text}"));
        }
    }
    Err("no order-book snapshot".into())
}

/// Whether `socket` ends (closed or broken) within 10 s, as it must once its server died.
fn socket_ends(socket: &mut Socket) -> bool {
    let started = Instant::now();
    // Bounded: 10 s of reads with a 5 s timeout each.
    while started.elapsed() < Duration::from_secs(10) {
        match socket.read() {
            Ok(tungstenite::Message::Close(_)) => return true,
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(_) => return true,
        }
    }
    false
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// HAProxy in front of both nodes, checking `/healthz` every 100 ms.
fn start_haproxy(work: &Path, front: SocketAddr, servers: [SocketAddr; 2]) -> Result<Child, String> {
    let binary = ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or("haproxy not found: run scripts/continuity-env")?;
    let config = format!(
        "global\n  maxconn 512\ndefaults\n  mode http\n  timeout connect 500ms\n  timeout client 10s\n  timeout server 10s\n\
         frontend talat\n  bind {front}\n  default_backend nodes\n\
         backend nodes\n  option httpchk GET /healthz\n  http-check expect status 200\n  default-server inter 100ms fall 1 rise 1\n\
         \x20 server a {} check\n  server b {} check\n",
        servers[0], servers[1]
    );
    let path = work.join("haproxy.cfg");
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(work.join("haproxy.log")).map_err(|e| e.to_string())?;
    Command::new(binary)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting haproxy: {e}"))
}
