//! `talat serve --role primary|standby`: the hot standby, promotion (by an etcd lease or by
//! `talat promote`), `/healthz` for the load balancer, and the lease a primary must keep.
//! Wiring only: the link is `talat_continuity::link`, the lease `talat_continuity::etcd`, the
//! acknowledgement rule `talat_sequencer::ReplicaGate`.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use talat_continuity::etcd::{Etcd, EtcdConfig, Leadership};
use talat_continuity::link::{self, StandbyConfig, StandbyControl};
use talat_sequencer::{AckMode, Node, NodeConfig, ReplicaGate, WhenStandbyGone};

/// The file `talat promote` drops into a running standby's data directory.
pub const PROMOTE_REQUEST_FILE: &str = "promote.request";
/// What a promoted standby writes back (JSON), and what `talat promote` prints.
pub const PROMOTED_FILE: &str = "promoted.json";

/// `[continuity]` in talat.toml.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContinuityConfig {
    /// `primary` or `standby` (`--role`). With etcd, a primary that finds another node holding
    /// the lease starts as that node's standby instead.
    pub role: Role,
    /// This node's name in etcd and in the peer's logs.
    pub node_id: String,
    /// Where this node serves its standby while it is the primary (`--replication-listen`).
    pub replication_listen: Option<String>,
    /// The other node's replication address, which this node follows while it is the standby
    /// (`--peer`).
    pub peer: Option<String>,
    /// `sync` (default): a client is acknowledged once both journals hold its command (RPO 0).
    /// `async`: once this one does; the standby's lag is reported.
    pub mode: Mode,
    /// In sync mode, what the primary does when the standby is gone longer than
    /// `standby_timeout_ms`: `available` (default) goes on alone and raises the alarm until
    /// the standby has caught up again; `strict` acknowledges nothing until it is back (then a
    /// promoted standby serves only once the old primary returns as its standby).
    pub when_standby_gone: WhenStandbyGone,
    pub standby_timeout_ms: u64,
    /// A standby retries its primary this often.
    pub reconnect_ms: u64,
    /// Leadership by a lease in etcd; without it promotion is manual (`talat promote`).
    pub etcd: Option<EtcdSection>,
}

impl Default for ContinuityConfig {
    fn default() -> Self {
        ContinuityConfig {
            role: Role::Primary,
            node_id: "talat-1".into(),
            replication_listen: None,
            peer: None,
            mode: Mode::Sync,
            when_standby_gone: WhenStandbyGone::Available,
            standby_timeout_ms: 2_000,
            reconnect_ms: 200,
            etcd: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Standby,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sync,
    Async,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EtcdSection {
    pub endpoint: String,
    /// Key prefix shared by the two nodes of one exchange.
    pub cluster: String,
    pub lease_ttl_s: u64,
    pub request_timeout_ms: u64,
}

impl Default for EtcdSection {
    fn default() -> Self {
        EtcdSection { endpoint: "http://127.0.0.1:2379".into(), cluster: "talat".into(), lease_ttl_s: 5, request_timeout_ms: 1_000 }
    }
}

impl ContinuityConfig {
    /// Every problem with the section, each naming its key.
    pub fn validate(&self) -> Result<(), String> {
        let address = |key: &str, value: &Option<String>| match value {
            Some(v) => v.parse::<SocketAddr>().map(|_| ()).map_err(|e| format!("[continuity] {key}: {v:?} is not an address: {e}")),
            None => Ok(()),
        };
        address("replication_listen", &self.replication_listen)?;
        address("peer", &self.peer)?;
        if self.role == Role::Standby && self.peer.is_none() {
            return Err("[continuity] peer: a standby needs the primary's replication address (--peer)".into());
        }
        if self.standby_timeout_ms == 0 || self.reconnect_ms == 0 {
            return Err("[continuity] standby_timeout_ms and reconnect_ms must be at least 1".into());
        }
        if self.node_id.is_empty() {
            return Err("[continuity] node_id: must not be empty".into());
        }
        if let Some(etcd) = &self.etcd {
            Etcd::new(self.etcd_config(etcd)).map_err(|e| format!("[continuity.etcd] {e}"))?;
        }
        Ok(())
    }

    fn etcd_config(&self, section: &EtcdSection) -> EtcdConfig {
        EtcdConfig {
            endpoint: section.endpoint.clone(),
            cluster: section.cluster.clone(),
            node_id: self.node_id.clone(),
            lease_ttl_s: section.lease_ttl_s,
            request_timeout_ms: section.request_timeout_ms,
        }
    }

    pub fn etcd(&self) -> Result<Option<Etcd>, String> {
        self.etcd.as_ref().map(|s| Etcd::new(self.etcd_config(s)).map_err(|e| format!("[continuity.etcd] {e}"))).transpose()
    }

    pub fn ack_mode(&self) -> AckMode {
        match self.mode {
            Mode::Sync => AckMode::Sync { when_gone: self.when_standby_gone, standby_timeout_ms: self.standby_timeout_ms },
            Mode::Async => AckMode::Async,
        }
    }

    /// Whether this node runs replication at all (a standby is expected or it is one).
    pub fn replicated(&self) -> bool {
        self.replication_listen.is_some() || self.peer.is_some()
    }
}

/// What `/healthz` reports; shared by the serving phases.
#[derive(Default)]
pub struct Health {
    pub primary: AtomicBool,
    /// `Some(true)` while the etcd lease is held, `Some(false)` once lost, `None` without etcd.
    pub lease: Mutex<Option<bool>>,
    pub gate: Mutex<Option<Arc<ReplicaGate>>>,
    pub epoch: Mutex<u32>,
    pub standby: Mutex<Option<Arc<StandbyControl>>>,
}

impl Health {
    /// 200 only on the primary that holds the lease (or, without a coordinator, was not deposed);
    /// 503 everywhere else. The body says why.
    pub fn answer(&self) -> (u16, serde_json::Value) {
        let epoch = *self.epoch.lock().unwrap_or_else(|p| p.into_inner());
        let lease = *self.lease.lock().unwrap_or_else(|p| p.into_inner());
        let replication = self.gate.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|g| g.status());
        let standby = self.standby.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|s| s.status());
        let deposed = replication.is_some_and(|r| r.known_epoch > epoch);
        let primary = self.primary.load(Ordering::Acquire);
        let healthy = primary && lease != Some(false) && !deposed;
        let role = if primary { "primary" } else { "standby" };
        let body = serde_json::json!({
            "status": if healthy { "ok" } else { "unavailable" },
            "role": role,
            "epoch": epoch,
            "lease": lease,
            "deposed": deposed,
            "replication": replication,
            "standby": standby,
        });
        (if healthy { 200 } else { 503 }, body)
    }
}

/// `/healthz` as an axum route over `health`.
pub fn healthz_route<S: Clone + Send + Sync + 'static>(health: Arc<Health>) -> axum::Router<S> {
    axum::Router::new().route(
        "/healthz",
        axum::routing::get(move || {
            let health = Arc::clone(&health);
            async move {
                let (code, body) = health.answer();
                (axum::http::StatusCode::from_u16(code).expect("200 or 503"), axum::Json(body))
            }
        }),
    )
}

/// How a standby phase ended: promoted into `epoch` (with the lease, when etcd decides), or
/// stopped by Ctrl-C.
pub enum StandbyEnd {
    Promoted { epoch: u32, leadership: Option<Leadership> },
    Stopped,
}

/// Runs this node as a standby until it is promoted: follows `peer`, answers 503 on the API
/// address (so a load balancer never sends it clients), and promotes itself when the etcd
/// lease is free and it holds everything it was sent, or when `talat promote` asks. On return
/// the new epoch's first record is durable and the node is closed, ready to open as primary.
pub async fn standby_phase(
    config: &ContinuityConfig,
    node_config: &NodeConfig,
    data_dir: &Path,
    listen: &str,
    health: Arc<Health>,
) -> Result<StandbyEnd, String> {
    let peer: SocketAddr = config.peer.as_deref().ok_or("a standby needs --peer")?.parse().map_err(|e| format!("--peer: {e}"))?;
    let control = Arc::new(StandbyControl::default());
    *health.standby.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&control));
    health.primary.store(false, Ordering::Release);
    let _ = std::fs::remove_file(data_dir.join(PROMOTE_REQUEST_FILE));

    // The API address answers 503 while this node is a standby.
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("listening on {listen}: {e}"))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let router = healthz_route(Arc::clone(&health)).fallback(|| async {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"error": 90, "message": "this node is the standby; try the primary"})))
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await;
    });
    // Listening for Ctrl-C starts before the banner and lasts the whole loop: a listener made
    // anew each pass would miss a signal that came between two passes.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map_err(|e| format!("listening for signals: {e}"))?;
    println!("{}", serde_json::json!({"role": "standby", "listen": listen, "peer": peer.to_string()}));

    let standby_config =
        StandbyConfig { data_dir: data_dir.to_path_buf(), node: node_config.clone(), peer, node_id: config.node_id.clone(), reconnect_ms: config.reconnect_ms };
    let follower = {
        let control = Arc::clone(&control);
        tokio::task::spawn_blocking(move || link::run_standby(&standby_config, &control))
    };
    let etcd = config.etcd()?;
    let poll = Duration::from_millis(config.etcd.as_ref().map_or(200, |s| (s.lease_ttl_s * 1000 / 3).max(100)).min(1_000));
    let mut leadership = None;
    let mut manual_epoch = None;
    let mut stopping = false;
    // Ends on promotion, or when the follower stops (a divergence stops the process).
    loop {
        if follower.is_finished() {
            break;
        }
        if let Some(requested) = read_promote_request(data_dir) {
            let _ = std::fs::remove_file(data_dir.join(PROMOTE_REQUEST_FILE));
            if etcd.is_some() {
                // Two deciders would make two primaries: with etcd, the lease alone decides.
                let refusal = serde_json::json!({"promoted": false, "reason": "refused: this standby is promoted by its etcd lease, not by talat promote"});
                crate::serve::write_json(&data_dir.join(PROMOTED_FILE), &refusal)?;
                tracing::error!("talat promote refused: etcd decides who is primary");
            } else {
                manual_epoch = Some(requested);
                control.request_promotion();
                break;
            }
        }
        if let Some(etcd) = &etcd {
            let status = control.status();
            // Only a standby that has held everything its primary sent may lead.
            if status.eligible {
                match etcd.leader().await {
                    Ok(None) => match etcd.campaign(status.epoch.max(status.primary_epoch)).await {
                        Ok(Some(won)) => {
                            tracing::warn!(epoch = won.epoch, "the primary's lease expired: this standby takes over");
                            leadership = Some(won);
                            control.request_promotion();
                            break;
                        }
                        Ok(None) => {}
                        Err(error) => tracing::warn!(%error, "etcd campaign failed"),
                    },
                    Ok(Some(_)) => {}
                    Err(error) => tracing::warn!(%error, "etcd unreachable"),
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = interrupt.recv() => {
                stopping = true;
                control.request_promotion();
                break;
            }
        }
    }
    let result = follower.await.map_err(|e| e.to_string())?;
    let _ = stop_tx.send(());
    let _ = server.await;
    let mut node = result.map_err(|e| e.to_string())?;
    if stopping {
        node.close().map_err(|e| e.to_string())?;
        tracing::info!("standby stopped");
        return Ok(StandbyEnd::Stopped);
    }
    let epoch = match (&leadership, manual_epoch) {
        (Some(won), _) => won.epoch,
        (None, Some(requested)) => requested.max(node.epoch().max(control.status().primary_epoch) + 1),
        (None, None) => unreachable!("the loop ends only on a promotion or a stopped follower"),
    };
    let first_seq = node.begin_epoch(epoch).map_err(|e| e.to_string())?;
    let report = serde_json::json!({"promoted": true, "epoch": epoch, "first_seq": first_seq, "node_id": config.node_id, "by": if leadership.is_some() { "etcd" } else { "talat promote" }});
    node.close().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(data_dir.join(PROMOTE_REQUEST_FILE));
    crate::serve::write_json(&data_dir.join(PROMOTED_FILE), &report)?;
    tracing::warn!(epoch, first_seq, "promoted: this node is now the primary");
    Ok(StandbyEnd::Promoted { epoch, leadership })
}

/// The epoch `talat promote` asked for (0: "the next one").
fn read_promote_request(data_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data_dir.join(PROMOTE_REQUEST_FILE)).ok()?;
    Some(text.trim().parse().unwrap_or(0))
}

/// A primary with etcd takes the lease before it writes anything. `Ok(None)`: another node
/// holds it, so this one must start as a standby.
pub async fn take_lease(config: &ContinuityConfig, min_epoch: u32) -> Result<Option<Leadership>, String> {
    let Some(etcd) = config.etcd()? else {
        return Ok(None);
    };
    // The previous holder may be this very node, restarted within its lease: wait it out once.
    let ttl = config.etcd.as_ref().map_or(5, |s| s.lease_ttl_s);
    for attempt in 0..(ttl * 2 + 2) {
        match etcd.campaign(min_epoch).await {
            Ok(Some(won)) => return Ok(Some(won)),
            Ok(None) => match etcd.leader().await {
                Ok(Some((holder, _))) if holder != config.node_id => return Ok(None),
                _ => {}
            },
            Err(error) if attempt + 1 == ttl * 2 + 2 => return Err(format!("etcd: {error}")),
            Err(error) => tracing::warn!(%error, "etcd campaign failed; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err("could not take the etcd lease".into())
}

/// Keeps the lease while this node is primary, from the moment it was won (the node's start
/// may outlast the lease). When it is lost, the node stops acknowledging
/// (the gate learns a newer epoch, so the committer refuses to write), `/healthz` turns 503,
/// and `lost` fires so the process can stop.
pub async fn keep_lease(config: ContinuityConfig, leadership: Leadership, health: Arc<Health>, lost: tokio::sync::oneshot::Sender<String>) {
    let etcd = match config.etcd() {
        Ok(Some(etcd)) => etcd,
        _ => return,
    };
    let interval = Duration::from_millis(etcd.keep_alive_interval_ms());
    let ttl = Duration::from_secs(config.etcd.as_ref().map_or(5, |s| s.lease_ttl_s));
    // When the last renewal that succeeded was sent: etcd counts the lease's time from
    // no earlier than that.
    let mut last_renewal_sent = tokio::time::Instant::now();
    // Ends when the lease is lost.
    loop {
        tokio::time::sleep(interval).await;
        let sent = tokio::time::Instant::now();
        match etcd.keep_alive(&leadership).await {
            Ok(true) => {
                last_renewal_sent = sent;
                continue;
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, "renewing the etcd lease failed");
                // Unknown whether the lease still runs: stop before the next look could come
                // after etcd let it expire (and a standby take over).
                if last_renewal_sent.elapsed() + interval < ttl {
                    continue;
                }
            }
        }
        *health.lease.lock().unwrap_or_else(|p| p.into_inner()) = Some(false);
        let newer = etcd.epoch().await.unwrap_or(leadership.epoch + 1).max(leadership.epoch + 1);
        if let Some(gate) = health.gate.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            gate.learn_epoch(newer);
            gate.stop();
        }
        let reason = format!("the etcd lease of epoch {} was lost; this node stops writing (epoch {newer} may be promoted)", leadership.epoch);
        tracing::error!("{reason}");
        let _ = lost.send(reason);
        return;
    }
}

/// `talat promote --data DIR`: a running standby is asked through its directory and the
/// answer awaited; a stopped directory is promoted on the spot.
pub fn promote(data_dir: &Path, node_config: NodeConfig) -> Result<String, String> {
    match Node::open(data_dir, node_config, talat_sequencer::SystemClock) {
        Ok(mut node) => {
            let epoch = node.epoch() + 1;
            let first_seq = node.begin_epoch(epoch).map_err(|e| e.to_string())?;
            node.close().map_err(|e| e.to_string())?;
            Ok(serde_json::json!({"promoted": true, "epoch": epoch, "first_seq": first_seq, "by": "talat promote (stopped directory)"}).to_string())
        }
        Err(talat_sequencer::OpenError::Locked { .. }) => {
            let promoted = data_dir.join(PROMOTED_FILE);
            let _ = std::fs::remove_file(&promoted);
            std::fs::write(data_dir.join(PROMOTE_REQUEST_FILE), b"0").map_err(|e| format!("{}: {e}", data_dir.display()))?;
            // Bounded wait: 300 × 100 ms.
            for _ in 0..300 {
                if let Ok(text) = std::fs::read_to_string(&promoted) {
                    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    if answer["promoted"] == false {
                        return Err(answer["reason"].as_str().unwrap_or("refused").to_string());
                    }
                    return Ok(text);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = std::fs::remove_file(data_dir.join(PROMOTE_REQUEST_FILE));
            Err(format!("{} is in use but did not promote within 30 s: is it a running standby?", data_dir.display()))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Where the replication listener runs, and how it stops.
pub struct PrimaryReplication {
    pub stop: Arc<AtomicBool>,
    pub thread: std::thread::JoinHandle<()>,
}

/// Starts serving the standby on `replication_listen`.
pub fn serve_standby(config: &ContinuityConfig, data_dir: PathBuf, node: &Node, gate: Arc<ReplicaGate>) -> Result<Option<PrimaryReplication>, String> {
    let Some(address) = &config.replication_listen else {
        return Ok(None);
    };
    let listener = std::net::TcpListener::bind(address).map_err(|e| format!("replication listener on {address}: {e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = link::serve_standbys(listener, link::PrimaryLink { data_dir, journal: node.reader_source(), gate }, Arc::clone(&stop));
    Ok(Some(PrimaryReplication { stop, thread }))
}

/// Decides this node's part before the exchange starts: with etcd, a primary takes the lease
/// (or, if another node holds it, becomes its standby); a standby follows until promoted.
/// How this node starts as the primary: with the lease when etcd decides, and whether it was
/// just promoted from standby (its standby would then be the node that just failed).
pub struct AsPrimary {
    pub leadership: Option<Leadership>,
    pub promoted: bool,
}

/// `Ok(Some(_))`: start as primary; `Ok(None)`: the standby was stopped (Ctrl-C) before it was
/// ever promoted.
pub async fn lead_or_follow(
    config: &ContinuityConfig,
    node_config: &NodeConfig,
    data_dir: &Path,
    listen: &str,
    health: Arc<Health>,
) -> Result<Option<AsPrimary>, String> {
    let follow_first = match config.role {
        Role::Standby => true,
        Role::Primary if config.etcd.is_some() => match take_lease(config, journal_epoch(data_dir)?).await? {
            Some(won) => return Ok(Some(AsPrimary { leadership: Some(won), promoted: false })),
            None => {
                tracing::warn!("another node holds the etcd lease: starting as its standby");
                true
            }
        },
        Role::Primary => false,
    };
    if !follow_first {
        return Ok(Some(AsPrimary { leadership: None, promoted: false }));
    }
    match standby_phase(config, node_config, data_dir, listen, health).await? {
        StandbyEnd::Promoted { epoch, leadership } => {
            tracing::info!(epoch, "starting as the primary");
            Ok(Some(AsPrimary { leadership, promoted: true }))
        }
        StandbyEnd::Stopped => Ok(None),
    }
}

/// The epoch of the last record in a data directory's journal (0 when there is none).
fn journal_epoch(data_dir: &Path) -> Result<u32, String> {
    let dir = talat_sequencer::datadir::journal_dir(data_dir);
    if !dir.exists() {
        return Ok(0);
    }
    let journal = talat_journal::Journal::open(&dir, talat_journal::JournalConfig::default()).map_err(|e| e.to_string())?;
    Ok(journal.epochs().last_epoch().unwrap_or(0))
}

/// Installs the replication gate and starts serving the standby, when this node has one.
pub fn start_replication(
    config: &ContinuityConfig,
    data_dir: &Path,
    node: &mut Node,
    health: &Health,
    start: &AsPrimary,
) -> Result<(Option<Arc<ReplicaGate>>, Option<PrimaryReplication>), String> {
    let leased = start.leadership.is_some();
    health.primary.store(true, Ordering::Release);
    *health.epoch.lock().unwrap_or_else(|p| p.into_inner()) = node.epoch();
    if !leased {
        *health.lease.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    *health.standby.lock().unwrap_or_else(|p| p.into_inner()) = None;
    if !config.replicated() && config.etcd.is_none() {
        return Ok((None, None));
    }
    let gate = Arc::new(ReplicaGate::new(if config.replication_listen.is_some() { config.ack_mode() } else { AckMode::Async }));
    node.set_replication(Arc::clone(&gate));
    if start.promoted {
        gate.go_alone("just promoted: the standby would be the node that failed");
    }
    *health.gate.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&gate));
    let replication = serve_standby(config, data_dir.to_path_buf(), node, Arc::clone(&gate))?;
    Ok((Some(gate), replication))
}

/// An orderly stop of the sequencer. In synchronous strict mode a batch may be waiting for a
/// standby that is gone: after twice the standby bound the wait is given up (that batch is
/// not acknowledged; recovery finds it on disk).
pub fn shut_down(sequencer: talat_sequencer::Sequencer, gate: Option<&Arc<ReplicaGate>>, config: &ContinuityConfig) -> Result<Node, String> {
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    if let Some(gate) = gate {
        let gate = Arc::clone(gate);
        let bound = Duration::from_millis(config.standby_timeout_ms.saturating_mul(2));
        std::thread::spawn(move || {
            if done_rx.recv_timeout(bound).is_err() {
                gate.stop();
            }
        });
    }
    let result = sequencer.shutdown().map_err(|reason| reason.to_string());
    let _ = done_tx.send(());
    result
}
