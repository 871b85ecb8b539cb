//! Live surveillance: a thread that follows the durable journal with its own copy of the engine
//! (as the store's follower does) and feeds every executed command to a
//! [`talat_surveillance::Monitor`] — off the matching path, at the lowest CPU priority, so a
//! surge slows surveillance, never trading. What the monitor raises goes to the store (alerts,
//! daily tape audits) and, for the circuit breaker, back into the exchange as a journaled
//! `SetMarketMode` command.
//!
//! The web console reaches the running monitor through [`SurveillanceHandle`] (listing
//! announcements, today's tape audit).
//!
//! **No request thread waits on the follower.** The follower holds the monitor's lock while it
//! observes a command, and it runs at the lowest priority: under load it may be preempted while
//! holding it. A tokio worker that blocked on that lock would stall every request it serves until
//! the follower got a core again: a priority inversion. So the follower ticks the circuit
//! breaker itself, and every other use of the lock runs on tokio's
//! blocking pool (`spawn_blocking`), where waiting stalls nothing but that call.

use crate::gateway::Gateway;
use parking_lot::Mutex;
use std::sync::Arc;
use std::thread::JoinHandle;
use talat_core::Command;
use talat_journal::storage::FsStorage;
use talat_journal::{JournalReader, WaitOutcome};
use talat_sequencer::replay::{InvariantChecks, Replayer, Step};
use talat_sequencer::Node;
use talat_surveillance::audit::TapeAudit;
use talat_surveillance::{Action, Alert, LinkGraph, LinkKind, Monitor, Output, SurveillanceConfig};

/// Outputs waiting for the writer task; when it falls behind, the follower waits (its backlog
/// is the journal).
const OUTPUT_QUEUE: usize = 256;
/// How long the follower sleeps at the durable end before looking again.
const IDLE_WAIT_MS: u64 = 50;
/// How often the follower looks at the breaker's stages, and how often links are reloaded.
const TICK_MS: u64 = 1_000;
const LINKS_RELOAD_MS: u64 = 60_000;

/// The running monitor, shared by the follower and the console's requests.
#[derive(Clone)]
pub struct SurveillanceHandle {
    monitor: Arc<Mutex<Monitor>>,
    config: Arc<SurveillanceConfig>,
}

impl SurveillanceHandle {
    /// The thresholds it runs with (fixed at start; no lock).
    pub fn config(&self) -> &SurveillanceConfig {
        &self.config
    }

    /// Runs `f` on the monitor from tokio's blocking pool (see the module's note).
    async fn with_monitor<T: Send + 'static>(&self, f: impl FnOnce(&mut Monitor) -> T + Send + 'static) -> Result<T, String> {
        let monitor = Arc::clone(&self.monitor);
        tokio::task::spawn_blocking(move || f(&mut monitor.lock())).await.map_err(|e| format!("surveillance: {e}"))
    }

    /// Records a listing announcement for asset `code` now: the staff-linked net buyers of the
    /// lookback, as alerts (the caller stores them).
    pub async fn announce_listing(&self, code: &str, ts_ms: u64) -> Result<Vec<Alert>, String> {
        let code = code.to_string();
        self.with_monitor(move |m| m.announce_listing(&code, ts_ms)).await?
    }

    /// Today's (Bangkok) tape audit of each market so far.
    pub async fn audits_so_far(&self) -> Result<Vec<TapeAudit>, String> {
        self.with_monitor(|m| m.audit_so_far()).await
    }

    /// Replaces the account links (KYC identity, bank account, device, IP, staff).
    pub async fn set_links(&self, links: LinkGraph) -> Result<(), String> {
        self.with_monitor(move |m| *m.links_mut() = links).await
    }
}

/// Builds the link graph from the store's facts: who shares an identity, a bank account, a
/// device or an IP, and which accounts are staff.
pub async fn load_links(store: &talat_store::Store) -> Result<LinkGraph, String> {
    let mut graph = LinkGraph::new();
    for fact in store.surveillance_link_facts().await.map_err(|e| e.to_string())? {
        let kind = match fact.kind.as_str() {
            "kyc_identity" => LinkKind::KycIdentity,
            "bank_account" => LinkKind::BankAccount,
            "deposit_address" => LinkKind::DepositAddress,
            "device" => LinkKind::Device,
            "ip" => LinkKind::Ip,
            _ => continue,
        };
        graph.add(talat_core::UserId(fact.user), kind, fact.key);
    }
    for user in store.surveillance_staff_users().await.map_err(|e| e.to_string())? {
        graph.add_staff(talat_core::UserId(user));
    }
    Ok(graph)
}

/// Wall-clock milliseconds, for the breaker's timers (the detectors use sequenced time only).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// What [`spawn`] returns: the handle, the outputs for [`run_writer`], the follower's thread.
pub type Spawned = (SurveillanceHandle, tokio::sync::mpsc::Receiver<Output>, JoinHandle<()>);

/// Starts the follower from the node's current state (call before the node starts serving)
/// and returns the handle; outputs arrive on the returned receiver for [`run_writer`].
pub fn spawn(node: &Node, config: SurveillanceConfig, clock: Clock) -> Result<Spawned, String> {
    let shared_config = Arc::new(config.clone());
    let mut monitor = Monitor::new(config).map_err(|e| e.to_string())?;
    monitor.seed(node.engine());
    let engine = talat_engine::Engine::restore(&node.engine().snapshot()).map_err(|e| format!("copying the engine for surveillance: {e}"))?;
    let next = node.journal_span().next_seq;
    let reader = node.read_from(next).map_err(|e| e.to_string())?;
    let replayer = Replayer::new(engine, next - 1, InvariantChecks::AtEnd);
    let handle = SurveillanceHandle { monitor: Arc::new(Mutex::new(monitor)), config: shared_config };
    let (tx, rx) = tokio::sync::mpsc::channel(OUTPUT_QUEUE);
    let shared = handle.clone();
    let thread = std::thread::Builder::new()
        .name("talat-surveillance".into())
        .spawn(move || {
            crate::projection::lowest_priority();
            follow(reader, replayer, shared, tx, clock)
        })
        .map_err(|e| e.to_string())?;
    Ok((handle, rx, thread))
}

fn follow(mut reader: JournalReader<FsStorage>, mut replayer: Replayer, handle: SurveillanceHandle, tx: tokio::sync::mpsc::Sender<Output>, clock: Clock) {
    let mut writer_gone = false;
    let mut ticked_ms = 0;
    loop {
        // The breaker's stages end on wall-clock time even when no command comes (a halted
        // market sends none).
        let now_ms = clock();
        if now_ms >= ticked_ms + TICK_MS {
            ticked_ms = now_ms;
            let actions = handle.monitor.lock().tick(now_ms);
            if !actions.is_empty() && tx.blocking_send(Output { actions, ..Output::default() }).is_err() {
                return;
            }
        }
        let record = match reader.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => {
                if writer_gone {
                    return;
                }
                if let WaitOutcome::Closed = reader.wait_for_records(IDLE_WAIT_MS) {
                    writer_gone = true;
                }
                continue;
            }
            Err(error) => {
                tracing::error!(%error, "surveillance cannot read the journal on; it stops here until a restart");
                return;
            }
        };
        if let Err(fault) = replayer.apply(&record) {
            tracing::error!(%fault, "surveillance failed to replay a record; it stops here");
            return;
        }
        let Some(Step::Command { input, events, .. }) = replayer.last_step() else { continue };
        let applied = talat_core::Applied { input: input.clone(), events: events.to_vec() };
        let output = handle.monitor.lock().observe(&applied);
        if !output.is_empty() && tx.blocking_send(output).is_err() {
            return;
        }
    }
}

/// Stores what the monitor raised, carries out the breaker's actions and reloads the account
/// links every minute. Runs until the follower stops.
pub async fn run_writer(gateway: Arc<Gateway>, handle: SurveillanceHandle, mut outputs: tokio::sync::mpsc::Receiver<Output>) {
    let Some(store) = gateway.store.clone() else { return };
    reload_links(&store, &handle).await;
    let mut reload = tokio::time::interval(std::time::Duration::from_millis(LINKS_RELOAD_MS));
    reload.tick().await;
    loop {
        tokio::select! {
            output = outputs.recv() => {
                let Some(output) = output else { return };
                write(&gateway, &store, output).await;
            }
            _ = reload.tick() => reload_links(&store, &handle).await,
        }
    }
}

async fn reload_links(store: &talat_store::Store, handle: &SurveillanceHandle) {
    let loaded = match load_links(store).await {
        Ok(links) => handle.set_links(links).await,
        Err(error) => Err(error),
    };
    if let Err(error) = loaded {
        tracing::warn!(%error, "surveillance could not load the account links; it keeps the ones it has");
    }
}

async fn write(gateway: &Gateway, store: &talat_store::Store, output: Output) {
    let now_ms = gateway.now_ms();
    if !output.alerts.is_empty() {
        for alert in &output.alerts {
            tracing::warn!(id = %alert.id, detector = alert.detector.as_str(), symbol = %alert.symbol, "surveillance alert: {}", alert.summary);
        }
        let rows: Vec<talat_store::AlertRow> = output.alerts.iter().map(|a| alert_row(a, now_ms)).collect();
        if let Err(error) = store.surveillance_record_alerts(&rows).await {
            tracing::error!(%error, "surveillance alerts could not be stored");
        }
    }
    if !output.audits.is_empty() {
        for audit in &output.audits {
            let json = serde_json::to_string(audit).expect("an audit serialises");
            if let Err(error) = store.surveillance_record_audit(&audit.symbol, audit.day, &json).await {
                tracing::error!(%error, "a tape audit could not be stored");
            }
        }
    }
    for action in output.actions {
        carry_out(gateway, store, action).await;
    }
}

/// Submits the breaker's mode change as a journaled command and records it.
async fn carry_out(gateway: &Gateway, store: &talat_store::Store, action: Action) {
    let symbol = gateway.read.market(action.market).map_or_else(|| format!("market-{}", action.market.0), |m| m.read().info.spec.symbol.clone());
    let outcome = gateway.execute(Command::SetMarketMode { market: action.market, mode: action.mode }).await;
    let applied = match &outcome {
        Ok(_) => "applied".to_string(),
        Err(crate::gateway::Refusal::Engine(reason)) => format!("refused by the engine: {reason:?}"),
        Err(crate::gateway::Refusal::Gateway(error)) => format!("not executed: {error}"),
    };
    tracing::warn!(%symbol, mode = action.mode.name(), %applied, "{}", action.reason);
    if let Err(error) = store.surveillance_record_action(&symbol, action.mode.name(), &action.reason, action.at_ts_ms).await {
        tracing::error!(%error, "the circuit breaker's action could not be recorded");
    }
}

/// An alert as the store keeps it (its figures and evidence as JSON).
pub fn alert_row(alert: &Alert, created_ms: u64) -> talat_store::AlertRow {
    let accounts: Vec<u32> = alert.accounts.iter().map(|u| u.0).collect();
    talat_store::AlertRow {
        id: alert.id.clone(),
        detector: alert.detector.as_str().to_string(),
        symbol: alert.symbol.clone(),
        accounts: serde_json::to_string(&accounts).expect("ids serialise"),
        from_ts_ms: alert.from_ts_ms,
        to_ts_ms: alert.to_ts_ms,
        seq: alert.seq,
        summary: alert.summary.clone(),
        figures: serde_json::to_string(&alert.figures).expect("figures serialise"),
        evidence: serde_json::to_string(&alert.evidence).expect("evidence serialises"),
        status: "open".into(),
        case_id: None,
        created_ms,
    }
}
