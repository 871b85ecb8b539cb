//! `talat serve`: one process running the whole exchange — node (journal + engine) behind the
//! sequencer, read models, the HTTP/WebSocket gateway, and in a fresh directory the demo
//! exchange with its liquidity bot. Wiring only.

use crate::bot::{self, BotConfig, BotMarket};
use crate::continuity;
use crate::exchange::{self, DemoAccounts, MARKETS};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use talat_api::server;
use talat_core::{Command, MarketId, UserId};
use talat_gateway::auth::{MasterKey, Perms};
use talat_gateway::config::ApiConfig;
use talat_gateway::read::ReadModel;
use talat_sequencer::{Node, NodeConfig, SequencerConfig, SystemClock};
use tokio::signal::unix::SignalKind;

/// One group commit per two milliseconds at most under a steady stream. Pacing at 1 ms (session
/// 17) took the server's CPU per answered request at 12 k/s offered on the 2-core VM from
/// 141-146 µs to 130-133 µs and place p99 from 90-155 ms to 41-66 ms; 2 ms then took the
/// sequencer thread from 9.6-12.0 to 7.8-8.8 µs per request at 20 k/s (three alternated pairs;
/// the server 63-77 → 62-70 µs, place p99 27-33 → 24-29 ms) for place p50 about 0.7 ms higher
/// (1.45 → 2.1-2.3 ms at 12 k/s). A lone client is not paced (`gather_min_commands`).
pub const DEFAULT_SEQUENCER_GATHER_US: u64 = 2_000;

/// `talat.toml`: every key optional.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    pub data_dir: Option<PathBuf>,
    /// The query store: `sqlite://PATH` or `postgres://…` (default: SQLite in the data
    /// directory).
    pub store_url: Option<String>,
    /// Longest time the store's journal follower holds commands to write them in one
    /// transaction (unless a reader waits for them); 0 writes whatever is there at once.
    pub store_gather_ms: u64,
    /// Group commits start at most once per this many µs under a steady stream (0: at once);
    /// a lone client, whose every commit holds one command, is not paced. See
    /// `SequencerConfig::gather_us` and `gather_min_commands`.
    pub sequencer_gather_us: u64,
    pub api: ApiConfig,
    pub demo: DemoConfig,
    /// Staff must use two-factor authentication to do anything in the console (default: off in
    /// demo mode, so the demo staff can log in with a password; on otherwise).
    pub require_staff_2fa: Option<bool>,
    /// Customer support: business calendar and holidays, SLA targets, escalation mail, ticket
    /// rules (`[support]`).
    pub support: talat_web::support::SupportConfig,
    /// The outbox's SMTP relay (`[mail]`; none in the demo: the console's Mail page shows it).
    pub mail: talat_web::mail::MailConfig,
    /// Onboarding and KYC: levels and their limits, documents (default `<data>/uploads`),
    /// screening, risk, the knowledge test, the admission model (`[onboarding]`).
    pub onboarding: talat_web::kyc::OnboardingConfig,
    /// THB deposits and withdrawals: limits, approval tiers, the PromptPay biller id, bank
    /// callback secrets, the watched statement folder (default `<data>/statements`) (`[funds]`).
    pub funds: talat_gateway::funds::FundsConfig,
    /// Market surveillance: every detector's thresholds and the circuit breaker
    /// (`[surveillance.*]`; defaults from the domain reference).
    pub surveillance: talat_surveillance::SurveillanceConfig,
    /// A hot standby and failover: role, replication addresses, synchronous or asynchronous
    /// acknowledgement, the etcd lease (`[continuity]`; default: one node, no standby).
    pub continuity: crate::continuity::ContinuityConfig,
    /// Crypto deposits: each chain network's node, deposit xpub, confirmation tiers, dust floor
    /// and fees (`[[custody.networks]]`; default: none, and the v4 crypto lists are empty).
    pub custody: talat_custody::CustodyConfig,
    /// Start on a data directory its group or others may write to (refused by default).
    pub allow_shared_data_dir: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            data_dir: None,
            store_url: None,
            store_gather_ms: talat_gateway::projection::DEFAULT_GATHER_MS,
            sequencer_gather_us: DEFAULT_SEQUENCER_GATHER_US,
            api: ApiConfig::default(),
            demo: DemoConfig::default(),
            require_staff_2fa: None,
            support: Default::default(),
            mail: Default::default(),
            onboarding: Default::default(),
            funds: Default::default(),
            surveillance: Default::default(),
            continuity: Default::default(),
            custody: Default::default(),
            allow_shared_data_dir: false,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Set up the demo exchange in a fresh data directory.
    pub enabled: bool,
    /// Funded load-test users whose credentials `talat loadgen` derives (demo only).
    pub load_users: u32,
    pub bot: bool,
    pub bot_interval_ms: u64,
    pub bot_levels: u32,
    /// Reference price of BTC_THB in THB (the others keep their built-in references).
    pub btc_reference_thb: Option<u64>,
    /// Run a local regtest litecoind for crypto deposits and withdrawals (LTC) when its binary
    /// is on this machine (scripts/custody-env installs it) and `[custody]` names no network.
    pub crypto: bool,
    /// How often the demo chain mines a block.
    pub chain_block_ms: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            enabled: true,
            load_users: 1_000,
            bot: true,
            bot_interval_ms: 1_000,
            bot_levels: 10,
            btc_reference_thb: None,
            crypto: true,
            chain_block_ms: 5_000,
        }
    }
}

pub struct ServeOptions {
    pub config: ServeConfig,
    pub data_dir: PathBuf,
    /// Print credentials and the listening address as one JSON line (for scripts and tests).
    pub json_banner: bool,
}

pub fn load_config(path: Option<&Path>) -> Result<ServeConfig, String> {
    match path {
        None => Ok(ServeConfig::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let config: ServeConfig = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            config.surveillance.validate().map_err(|e| format!("{}: {e}", path.display()))?;
            config.continuity.validate().map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(config)
        }
    }
}

/// How long background work (timers, chain passes, blocking calls) gets to stop once the
/// orderly shutdown is done — the journal and the query store closed.
const BACKGROUND_STOP_MS: u64 = 5_000;

pub fn run(options: ServeOptions) -> Result<(), String> {
    crate::huge_pages::disable_transparent_huge_pages();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("talat-api").build().map_err(|e| e.to_string())?;
    let result = runtime.block_on(run_async(options));
    // Dropping a runtime waits without end for its blocking calls; everything acknowledged is
    // durable by now, so a call still blocked (a node's RPC, a lock) is left behind, and said.
    let started = std::time::Instant::now();
    runtime.shutdown_timeout(std::time::Duration::from_millis(BACKGROUND_STOP_MS));
    if started.elapsed() >= std::time::Duration::from_millis(BACKGROUND_STOP_MS) {
        tracing::warn!("background work did not stop within {BACKGROUND_STOP_MS} ms of shutdown and was left behind");
    }
    tracing::info!("stopped");
    result
}

/// What the node side holds once recovered: the query store and its follower, the node with its
/// replication, the read models and the surveillance follower.
struct Recovered {
    store: talat_store::Store,
    projector: talat_store::ProjectorHandle,
    node: Node,
    replica: Option<Arc<talat_sequencer::ReplicaGate>>,
    replication: Option<continuity::PrimaryReplication>,
    read: Arc<ReadModel>,
    follower: std::thread::JoinHandle<()>,
    surveillance: Option<talat_gateway::surveillance::Spawned>,
}

/// The exchange's stages in order: lead or follow, recover, the gateway and web API, the
/// banner, serving until Ctrl-C (or a lost lease), and an orderly close.
async fn run_async(options: ServeOptions) -> Result<(), String> {
    let ServeOptions { config, data_dir, json_banner } = options;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().map_err(|e| format!("metrics: {e}"))?;
    crate::private_dir::make_private(&data_dir, config.allow_shared_data_dir)?;
    let mut node_config = NodeConfig::default();
    node_config.engine.check_invariants_every_command = false;
    // Continuity first: a standby (or a primary that finds another node holding the lease)
    // follows until it is promoted, and only then becomes the exchange below.
    let health = Arc::new(continuity::Health::default());
    let Some(start) = continuity::lead_or_follow(&config.continuity, &node_config, &data_dir, &config.api.listen, Arc::clone(&health)).await? else {
        return Ok(());
    };
    let (lease_lost_tx, lease_lost) = tokio::sync::oneshot::channel::<String>();
    if let Some(won) = &start.leadership {
        *health.lease.lock().unwrap_or_else(|p| p.into_inner()) = Some(true);
        tokio::spawn(continuity::keep_lease(config.continuity.clone(), *won, Arc::clone(&health), lease_lost_tx));
    }
    let Recovered { store, projector, mut node, replica, replication, read, follower, surveillance } =
        recover(&config, &data_dir, node_config, &health, &start).await?;
    let master = MasterKey::load_or_create(&data_dir).map_err(|e| e.to_string())?;
    let accounts = demo_accounts(&config, &data_dir, &mut node, &master, &store).await?;
    let sequencer = node.start(SequencerConfig { gather_us: config.sequencer_gather_us, ..SequencerConfig::default() });
    let store_pair = Some((store.clone(), projector.clone()));
    let gateway = talat_gateway::setup::gateway(config.api.clone(), sequencer.handle(), Arc::clone(&read), store_pair, master.clone(), Some(metrics));
    install_funds(&config, &data_dir, &gateway)?;
    let mut banner_notes: Vec<String> = Vec::new();
    let custody = crate::serve_crypto::start(&config, &data_dir, &master, &store, &gateway, &mut banner_notes).await?;
    if let Some((handle, outputs, _thread)) = surveillance {
        gateway.install_surveillance(handle.clone())?;
        tokio::spawn(talat_gateway::surveillance::run_writer(Arc::clone(&gateway), handle, outputs));
    }
    let keys = talat_gateway::setup::load_keys(&gateway).await?;
    tracing::info!(keys, "API keys loaded from the store");
    let web = start_web(&config, &data_dir, &gateway)?;
    if let Some(custody) = &custody {
        web.custody.set(Arc::clone(custody)).map_err(|_| "custody is installed already")?;
    }
    let mut banner = banner_of(&config, &web, &data_dir, banner_notes, accounts.as_ref(), &master, &gateway).await?;
    let listen = &config.api.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("listening on {listen}: {e}"))?;
    banner["listen"] = serde_json::json!(listener.local_addr().map_err(|e| e.to_string())?.to_string());
    // Listen for Ctrl-C and SIGTERM before the banner says the server is ready. A signal that
    // came between the two would be lost: a process started with SIGINT ignored (a shell's
    // background job, and whatever it starts) keeps ignoring it until a listener exists.
    let signal = |kind: SignalKind| tokio::signal::unix::signal(kind).map_err(|e| format!("listening for signals: {e}"));
    let (mut interrupt, mut terminate) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
    print_banner(&banner, json_banner, &data_dir);
    let stopped_by = Arc::new(std::sync::Mutex::new(None::<String>));
    let shutdown = {
        let stopped_by = Arc::clone(&stopped_by);
        async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
                Ok(reason) = lease_lost => { *stopped_by.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason); }
            }
        }
    };
    let routes = talat_web::routes(web)
        .merge(talat_webapp::routes())
        .merge(continuity::healthz_route(Arc::clone(&health)))
        .merge(talat_api::routes::crypto::routes(custody.clone()));
    server::serve_with(Arc::clone(&gateway), routes, listener, shutdown).await.map_err(|e| e.to_string())?;
    if let Some(custody) = &custody {
        custody.stop();
    }
    drop(gateway);
    close(&config, sequencer, replica, replication, follower, projector).await?;
    let stopped_by = stopped_by.lock().unwrap_or_else(|p| p.into_inner()).take();
    match stopped_by {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

/// Opens the query store and the node, caught up with each other, starts replication when this
/// node has a standby, and starts the readers of the engine's output.
async fn recover(
    config: &ServeConfig,
    data_dir: &Path,
    node_config: NodeConfig,
    health: &continuity::Health,
    start: &continuity::AsPrimary,
) -> Result<Recovered, String> {
    let (store, projector) = open_store(config, data_dir).await?;
    let mut node = Node::open(data_dir, node_config, SystemClock).map_err(|e| format!("opening {}: {e}", data_dir.display()))?;
    refuse_store_ahead_of_journal(&store, &node, data_dir).await?;
    if let Some(won) = &start.leadership {
        if won.epoch > node.epoch() {
            node.begin_epoch(won.epoch).map_err(|e| e.to_string())?;
        }
    }
    let (replica, replication) = continuity::start_replication(&config.continuity, data_dir, &mut node, health, start)?;
    let recovery = node.recovery();
    tracing::info!(data = %data_dir.display(), commands = node.engine().last_seq(), recovery_ms = recovery.total_us() / 1000, "node recovered");
    let read = Arc::new(ReadModel::from_engine(node.engine()));
    // Listing times live in the store (caught up above), not in the engine.
    for row in store.markets().await.map_err(|e| format!("query store: {e}"))? {
        read.set_listed_ts_ms(row.market, row.listed_ts_ms);
    }
    node.set_publisher(talat_gateway::setup::read_model_publisher(Arc::clone(&read)));
    let follower = talat_gateway::projection::spawn(&node, projector.clone(), config.store_gather_ms)?;
    let surveillance = if config.surveillance.enabled {
        let clock: talat_gateway::surveillance::Clock = Arc::new(|| talat_sequencer::Clock::now_ms(&SystemClock));
        Some(talat_gateway::surveillance::spawn(&node, config.surveillance.clone(), clock)?)
    } else {
        None
    };
    Ok(Recovered { store, projector, node, replica, replication, read, follower, surveillance })
}

/// The banner's fields: notes, the demo's staff and customer credentials (the demo's load keys
/// and liquidity bot start here too).
async fn banner_of(
    config: &ServeConfig,
    web: &talat_web::Web,
    data_dir: &Path,
    notes: Vec<String>,
    accounts: Option<&DemoAccounts>,
    master: &MasterKey,
    gateway: &talat_gateway::AppState,
) -> Result<serde_json::Value, String> {
    let mut banner = serde_json::json!({"listen": config.api.listen});
    if !notes.is_empty() {
        banner["notes"] = serde_json::json!(notes);
    }
    if config.demo.enabled {
        banner["demo_staff"] = demo_staff(web, &data_dir.join("demo-staff.json")).await?;
    }
    if let Some(accounts) = accounts {
        start_demo(config, accounts, master, gateway, &mut banner)?;
    }
    Ok(banner)
}

/// The orderly close once the server has drained: commit what was admitted, close the journal,
/// stop replication, let the store's follower project everything, close the store.
async fn close(
    config: &ServeConfig,
    sequencer: talat_sequencer::Sequencer,
    replica: Option<Arc<talat_sequencer::ReplicaGate>>,
    replication: Option<continuity::PrimaryReplication>,
    follower: std::thread::JoinHandle<()>,
    projector: talat_store::ProjectorHandle,
) -> Result<(), String> {
    tracing::info!("shutting down: committing what was admitted");
    let node = continuity::shut_down(sequencer, replica.as_ref(), &config.continuity)?;
    node.close().map_err(|e| e.to_string())?;
    tracing::info!("shutting down: the journal is closed");
    if let Some(replication) = replication {
        replication.stop.store(true, std::sync::atomic::Ordering::Release);
        let _ = tokio::task::spawn_blocking(move || replication.thread.join()).await;
    }
    // The follower ends once it has projected everything the closed journal holds.
    let _ = tokio::task::spawn_blocking(move || follower.join()).await;
    tracing::info!("shutting down: the store's follower has projected the journal");
    let projected = projector.shutdown().await.map_err(|e| format!("query store: {e}"))?;
    tracing::info!(projected, "shutting down: the query store is closed");
    Ok(())
}

/// The store projects only what this node's journal made durable, so it can be ahead of the
/// journal only after a failover cut this node's unreplicated tail. Its rows for the cut
/// commands would then stand where the new history's commands belong, and the projector would
/// skip those (it skips what it already projected): refuse to start rather than serve a
/// history that silently disagrees with the ledger.
async fn refuse_store_ahead_of_journal(store: &talat_store::Store, node: &Node, data_dir: &Path) -> Result<(), String> {
    let projected = store.projected_seq().await.map_err(|e| format!("query store: {e}"))?;
    let journal_end = node.engine().last_seq();
    if projected > journal_end {
        return Err(format!(
            "the query store has projected commands up to {projected} but the journal ends at command {journal_end}: this node's \
             unreplicated tail was cut after a failover, and the store still shows it. Point store_url at the primary's \
             PostgreSQL, or move {} aside so the store is rebuilt from the journal (its app tables go with it).",
            data_dir.join("store.db").display()
        ));
    }
    Ok(())
}

/// The query store and its projector, caught up with the journal before the node opens.
async fn open_store(config: &ServeConfig, data_dir: &Path) -> Result<(talat_store::Store, talat_store::ProjectorHandle), String> {
    let store_url = config.store_url.clone().unwrap_or_else(|| format!("sqlite://{}", data_dir.join("store.db").display()));
    let store = talat_store::Store::connect(&store_url).await.map_err(|e| format!("query store {store_url}: {e}"))?;
    // The projector writes through a connection of its own whose SQLite worker thread (the one
    // that appears when it opens) runs at the lowest priority, like the projector's runtime
    // thread: projection never competes with matching, while the shared pool serves customers'
    // history reads and logins at normal priority.
    let sqlite_threads_before = talat_gateway::projection::threads_named("sqlx-sqlite");
    let projector_store = store.dedicated(&store_url).await.map_err(|e| format!("query store {store_url}: {e}"))?;
    let projector_threads = &talat_gateway::projection::threads_named("sqlx-sqlite") - &sqlite_threads_before;
    talat_gateway::projection::lower_threads(&projector_threads);
    let store_runtime = talat_gateway::projection::background_runtime("talat-store")?;
    let projector = talat_store::Projector::spawn_on(projector_store, 64, &store_runtime);
    catch_up_store(data_dir, &store, &projector).await?;
    Ok((store, projector))
}

/// The demo's accounts: set up now in a fresh directory (with the demo customer's API key in
/// the store), read back from `demo.json` after a restart, or none outside the demo.
async fn demo_accounts(
    config: &ServeConfig,
    data_dir: &Path,
    node: &mut Node,
    master: &MasterKey,
    store: &talat_store::Store,
) -> Result<Option<DemoAccounts>, String> {
    let demo_path = data_dir.join("demo.json");
    if node.engine().market_count() == 0 && config.demo.enabled {
        let accounts = set_up_demo(node, master, config.demo.load_users)?;
        let row = talat_store::ApiKeyRow {
            api_key: accounts.customer_key.clone(),
            user: UserId(accounts.customer),
            secret_ciphertext: hex::decode(&accounts.customer_secret_sealed).map_err(|e| e.to_string())?,
            secret_nonce: hex::decode(&accounts.customer_secret_nonce).map_err(|e| e.to_string())?,
            perms: Perms::ALL.bits() as u32,
            ip_allow: String::new(),
            created_ms: talat_gateway::setup::system_clock_ms(),
            revoked_ms: None,
        };
        store.insert_api_key(&row).await.map_err(|e| e.to_string())?;
        write_json(&demo_path, &accounts)?;
        Ok(Some(accounts))
    } else if demo_path.exists() {
        let text = std::fs::read_to_string(&demo_path).map_err(|e| format!("{}: {e}", demo_path.display()))?;
        Ok(Some(serde_json::from_str::<DemoAccounts>(&text).map_err(|e| format!("{}: {e}", demo_path.display()))?))
    } else {
        Ok(None)
    }
}

/// The web API over the gateway, with its settings checked and the outbox's sender started.
fn start_web(config: &ServeConfig, data_dir: &Path, gateway: &talat_gateway::AppState) -> Result<Arc<talat_web::Web>, String> {
    let web = talat_web::Web::new(
        Arc::clone(gateway),
        talat_web::WebConfig {
            require_staff_2fa: config.require_staff_2fa.unwrap_or(!config.demo.enabled),
            support: config.support.clone(),
            onboarding: onboarding_config(config, data_dir)?,
            ..talat_web::WebConfig::for_mode(config.demo.enabled)
        },
    )?;
    config.support.validate()?;
    // The sender runs for as long as the web API lives.
    drop(talat_web::mail::spawn(&web, config.mail.clone())?);
    Ok(web)
}

/// The demo's load-test keys and its liquidity bot; the demo customer's credentials go in the
/// banner.
fn start_demo(
    config: &ServeConfig,
    accounts: &DemoAccounts,
    master: &MasterKey,
    gateway: &talat_gateway::AppState,
    banner: &mut serde_json::Value,
) -> Result<(), String> {
    let sealed = hex::decode(&accounts.customer_secret_sealed).unwrap_or_default();
    let nonce = hex::decode(&accounts.customer_secret_nonce).unwrap_or_default();
    let secret = master.open(&accounts.customer_key, &sealed, &nonce).map_err(|e| e.to_string())?;
    for i in 0..accounts.load_count {
        let (key, secret) = talat_loadgen::demo_load_credentials(i);
        gateway.keys.insert(key, UserId(accounts.load_first + i), secret.into_bytes(), Perms::TRADE, Vec::new());
    }
    banner["demo_user"] = serde_json::json!({"user_id": accounts.customer, "api_key": accounts.customer_key, "api_secret": String::from_utf8_lossy(&secret)});
    banner["load_users"] = serde_json::json!(accounts.load_count);
    if !config.demo.bot {
        return Ok(());
    }
    let markets = (0..MARKETS.len())
        .map(|i| {
            let m = MARKETS[i];
            let reference = match (i, config.demo.btc_reference_thb) {
                (0, Some(thb)) => thb * 100,
                _ => m.reference,
            };
            BotMarket { market: MarketId(i as u16), reference, price_step: m.price_step, qty_step: m.qty_step.max(1), base_scale: m.base_scale }
        })
        .collect();
    let bot_config = BotConfig {
        maker: UserId(accounts.maker),
        taker: UserId(accounts.taker),
        interval_ms: config.demo.bot_interval_ms,
        levels: config.demo.bot_levels,
        markets,
        seed: 0x7a1a7,
    };
    tokio::spawn(bot::run(Arc::clone(gateway), bot_config));
    Ok(())
}

/// Where the exchange listens and the demo's credentials: one JSON line for scripts, or text.
fn print_banner(banner: &serde_json::Value, json: bool, data_dir: &Path) {
    if json {
        println!("{banner}");
    } else {
        println!("talat is serving on http://{}", banner["listen"].as_str().unwrap_or(""));
        if let Some(user) = banner.get("demo_user") {
            println!("demo user {}: API key {}", user["user_id"], user["api_key"].as_str().unwrap_or(""));
            println!("            API secret {}", user["api_secret"].as_str().unwrap_or(""));
        }
        if let Some(staff) = banner.get("demo_staff").and_then(|s| s.as_object()) {
            for (email, password) in staff {
                println!("staff {email}: password {}", password.as_str().unwrap_or("(see demo-staff.json)"));
            }
        }
        for note in banner.get("notes").and_then(|n| n.as_array()).into_iter().flatten() {
            println!("{}", note.as_str().unwrap_or(""));
        }
        println!("Ctrl-C stops it; everything acknowledged is in {}", data_dir.display());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// Brings the query store up to the journal before the node opens: the commands it has not
/// projected (a crash between the journal and the store) are replayed and projected again.
async fn catch_up_store(data_dir: &Path, store: &talat_store::Store, projector: &talat_store::ProjectorHandle) -> Result<(), String> {
    if !talat_sequencer::datadir::journal_dir(data_dir).exists() {
        return Ok(());
    }
    let projected = store.projected_seq().await.map_err(|e| e.to_string())?;
    let dir = data_dir.to_path_buf();
    let handle = projector.clone();
    let (report, last) = tokio::task::spawn_blocking(move || {
        let mut catchup = talat_store::Catchup::new(&handle, 4_096);
        let report = talat_sequencer::offline::replay_since(&dir, projected, &mut |input, events| catchup.push(input, events));
        (report, catchup.finish())
    })
    .await
    .map_err(|e| e.to_string())?;
    let report = report.map_err(|e| format!("catching the query store up from the journal: {e}"))?;
    if let Some(seq) = last.map_err(|e| e.to_string())? {
        projector.wait_for(seq).await.map_err(|e| e.to_string())?;
    }
    if report.observed > 0 {
        tracing::warn!(from = projected, commands = report.observed, "the query store was behind the journal and has caught up");
    }
    Ok(())
}

/// Journals the demo exchange into a fresh node: markets, bot accounts, the demo customer and
/// the load users, all funded.
fn set_up_demo(node: &mut Node, master: &MasterKey, load_users: u32) -> Result<DemoAccounts, String> {
    let commit = |node: &mut Node, commands: Vec<Command>| node.commit(commands).map_err(|e| e.to_string());
    commit(node, exchange::listing_commands())?;
    let users = commit(node, vec![Command::CreateUser; 3 + load_users as usize])?;
    let ids: Vec<UserId> = users.iter().map(|o| exchange::created_user(&o.events).ok_or("creating a demo user failed")).collect::<Result<_, _>>()?;
    let (maker, taker, customer) = (ids[0], ids[1], ids[2]);
    let mut funding = Vec::new();
    funding.extend(exchange::funding_commands(maker, 1_000_000_000, "maker"));
    funding.extend(exchange::funding_commands(taker, 100_000_000, "taker"));
    funding.extend(exchange::funding_commands(customer, 1_000_000, "customer"));
    for user in &ids[3..] {
        funding.extend(exchange::funding_commands(*user, 10_000_000, "load"));
    }
    let outcomes = commit(node, funding)?;
    if let Some(bad) = outcomes.iter().find(|o| o.events.iter().any(|e| matches!(e, talat_core::Event::Rejected { .. }))) {
        return Err(format!("demo funding was refused: {:?}", bad.events));
    }
    let (key, secret) = talat_gateway::auth::keys::generate_credentials();
    let (sealed, nonce) = master.seal(&key, secret.as_bytes());
    Ok(DemoAccounts {
        maker: maker.0,
        taker: taker.0,
        customer: customer.0,
        load_first: ids.get(3).map_or(0, |u| u.0),
        load_count: load_users,
        customer_key: key,
        customer_secret_sealed: hex::encode(sealed),
        customer_secret_nonce: hex::encode(nonce),
    })
}

/// Writes `value` as pretty JSON beside `path`, then renames it into place: a reader sees the
/// old file or the whole new one.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `[funds]` with the statement folder defaulted into the data directory, and the payout file
/// as the rail.
fn install_funds(config: &ServeConfig, data_dir: &std::path::Path, gateway: &talat_gateway::AppState) -> Result<(), String> {
    let mut funds = config.funds.clone();
    let dir = funds.statement_dir.get_or_insert_with(|| data_dir.join("statements")).clone();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    gateway.install_funds(talat_gateway::funds::Funds { config: funds, rail: Arc::new(talat_gateway::funds::payouts::FileRail) })
}

/// `[onboarding]` with what only `serve` knows filled in (the uploads directory inside the
/// data directory, the web app's address for mail links), checked.
fn onboarding_config(config: &ServeConfig, data_dir: &std::path::Path) -> Result<talat_web::kyc::OnboardingConfig, String> {
    let mut o = config.onboarding.clone();
    if o.uploads_dir.is_none() {
        o.uploads_dir = Some(data_dir.join("uploads"));
    }
    if o.public_url == talat_web::kyc::OnboardingConfig::default().public_url {
        o.public_url = format!("http://{}", config.api.listen);
    }
    o.admission.validate().map_err(|e| format!("onboarding.{e}"))?;
    o.levels.validate().map_err(|e| format!("onboarding.levels: {e}"))?;
    o.risk.validate().map_err(|e| format!("onboarding.risk: {e}"))?;
    talat_web::kyc::identity::provider(&o.identity_provider).map_err(|e| format!("onboarding.identity_provider: {e}"))?;
    Ok(o)
}

/// Creates the demo staff (one per role) if missing and returns `{email: password}`: new
/// passwords are written to `path` (owner-only, like the master key), older ones read back.
async fn demo_staff(web: &talat_web::Web, path: &std::path::Path) -> Result<serde_json::Value, String> {
    let mut known: serde_json::Map<String, serde_json::Value> = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
        Err(_) => serde_json::Map::new(),
    };
    for (email, password) in web.ensure_demo_staff().await? {
        if let Some(p) = password {
            known.insert(email, serde_json::Value::String(p));
        }
    }
    let text = serde_json::to_vec_pretty(&known).map_err(|e| e.to_string())?;
    write_private(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::Value::Object(known))
}

/// Writes `bytes` to `path`, readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
