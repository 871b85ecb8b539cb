//! The `talat` command line. Wiring only: every subcommand calls into the crates.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use talat::bench_engine::TalatBooks;
use talat::driver::{self, DriverOptions};
use talat::journal_tools::{self, BenchJournalOptions};
use talat_bench::peers::Peer;
use talat_bench::report::{Report, WorkloadSummary};
use talat_bench::runner::{measure, passes_per_engine, progress_bar, run_peer, timer_overhead_ns, RunConfig};
use talat_bench::Workload;

mod promptpay_cli;

/// The gateway allocates per request on several threads; glibc's malloc serialises them on its
/// arena locks (a quarter of the server's time under load in a profile). mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "talat", version, about = "talat — a self-hosted digital-asset exchange")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the demo exchange in-process (markets, a liquidity bot, a demo customer) and prints
    /// its books, balances and state hash.
    Demo {
        /// Also journal the demo's commands into this new data directory (for `talat replay`
        /// and `talat verify`).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Runs the exchange: the Bitkub-compatible REST and WebSocket API on 127.0.0.1:8080 over a
    /// journaled engine in ./data. A fresh directory gets the demo exchange (markets, a liquidity
    /// bot, a demo user whose API key and secret are printed).
    Serve(ServeArgs),
    /// Open-loop load generator against a running `talat serve`: signed place / cancel / read
    /// requests at a target rate on keep-alive connections; throughput, latency percentiles per
    /// endpoint, errors by code.
    Loadgen(LoadgenArgs),
    /// Rebuilds the state at any point of a stopped node's journal and prints its state hash,
    /// a balance summary and the books.
    Replay(ReplayArgs),
    /// Replays everything a stopped node's journal holds, checking every checkpoint, every
    /// invariant and every snapshot; exits non-zero naming the first violation.
    Verify(VerifyArgs),
    /// Erlang C staffing: the agents needed to answer a share of contacts within a time, with
    /// the service level, average speed of answer and occupancy they give.
    Staffing(StaffingArgs),
    /// THB funds: `reconcile` prints a day's reconciliation from a data directory.
    #[command(subcommand)]
    Funds(talat::funds_cli::FundsCmd),
    /// Market surveillance: `eval` (precision and recall of every detector on labelled
    /// scenarios) and `replay` (a journal's alerts for a past window).
    #[command(subcommand)]
    Surveillance(talat::surveillance_cli::SurveillanceCmd),
    /// Proof of reserves: `verify` checks a customer's inclusion proof against its root.
    #[command(subcommand)]
    Por(talat::por_cli::PorCmd),
    /// Prints a PromptPay / Thai QR payload for a mobile number, ID, e-wallet, bank account or
    /// biller, static or for an amount.
    Promptpay(promptpay_cli::PromptpayArgs),
    /// Promotes a standby: a running one (asked through its data directory, waiting for its
    /// answer) or a stopped directory (a new epoch begins there). For setups without etcd.
    Promote {
        #[arg(long)]
        data: PathBuf,
    },
    /// The documented order after an outage (deposits, cancel-only, post-only, open,
    /// withdrawals), one confirmed step at a time through the running exchange's console API.
    Resume(talat::resume_cli::ResumeArgs),
    /// Crypto custody: `rescan` re-reads a range of a chain's blocks through the running
    /// exchange and records the deposits its watcher missed (credited once, on its next pass).
    #[command(subcommand)]
    Custody(talat::custody_cli::CustodyCmd),
    /// Continuity drills, with reports kept for the regulator.
    #[command(subcommand)]
    Drill(talat::drill::DrillCmd),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Runs the sequencer on a data directory behind a framed TCP protocol on loopback (the
    /// real-crash test's target until the gateway exists).
    #[command(hide = true)]
    SequencerDriver(DriverArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A talat.toml (every key optional; see README).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (journal, snapshots, query store, master key). Default ./data.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Listen address, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    listen: Option<String>,
    /// Do not set up the demo exchange in a fresh directory.
    #[arg(long)]
    no_demo: bool,
    /// Do not run the liquidity bot.
    #[arg(long)]
    no_bot: bool,
    /// Funded load-test users (demo only; `talat loadgen` derives their keys).
    #[arg(long)]
    load_users: Option<u32>,
    /// Liquidity bot period in milliseconds.
    #[arg(long)]
    bot_interval_ms: Option<u64>,
    /// Turn the per-user rate limits off (benchmarks of the raw request path only).
    #[arg(long)]
    no_rate_limits: bool,
    /// Declared capacity: new orders admitted per second across all users (beyond it they are
    /// shed with 503 and Retry-After; 0 = no cap).
    #[arg(long)]
    max_new_orders_per_s: Option<u32>,
    /// Decimals in responses: numbers (as Bitkub's docs) or strings.
    #[arg(long)]
    decimals: Option<String>,
    /// Print the address and demo credentials as one JSON line.
    #[arg(long)]
    json: bool,
    /// `primary` or `standby` (see README, "A hot standby").
    #[arg(long)]
    role: Option<String>,
    /// The other node's replication address, followed while this node is the standby.
    #[arg(long)]
    peer: Option<String>,
    /// Where this node serves its standby while it is the primary.
    #[arg(long)]
    replication_listen: Option<String>,
    /// This node's name (etcd, logs).
    #[arg(long)]
    node_id: Option<String>,
    /// `sync` (default: acknowledged once both journals hold it) or `async`.
    #[arg(long)]
    replication_mode: Option<String>,
    /// Leadership by a lease in this etcd (e.g. http://127.0.0.1:2379); without it promotion
    /// is manual (`talat promote`).
    #[arg(long)]
    etcd: Option<String>,
    /// The etcd lease's time to live, in seconds.
    #[arg(long)]
    etcd_lease_ttl_s: Option<u64>,
}

#[derive(clap::Args)]
struct StaffingArgs {
    /// Contacts expected per interval.
    #[arg(long)]
    arrivals: f64,
    /// Interval length in minutes.
    #[arg(long)]
    interval_min: u32,
    /// Average handling time per contact, in seconds.
    #[arg(long)]
    aht_s: f64,
    /// Service-level target: percent of contacts answered within --answer-s.
    #[arg(long)]
    target_pct: f64,
    /// Answer-time threshold of the target, in seconds.
    #[arg(long)]
    answer_s: f64,
    /// Paid time lost to breaks, training and absence, in percent (for the rostered count).
    #[arg(long, default_value_t = 0.0)]
    shrinkage_pct: f64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct LoadgenArgs {
    /// Base URL of the exchange.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Offered requests per second (open loop).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of load.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Demo load users to spread the load over (`talat serve --load-users`).
    #[arg(long, default_value_t = 1000)]
    users: u32,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Generator threads.
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Request mix, e.g. place=70,cancel=20,read=10.
    #[arg(long, default_value = "place=70,cancel=20,read=10")]
    mix: String,
    /// Reads to rotate: balances, depth, open-orders.
    #[arg(long, default_value = "balances,depth,open-orders")]
    reads: String,
    #[arg(long, default_value = "BTC_THB")]
    symbol: String,
    /// Reference price (default: from the ticker).
    #[arg(long)]
    price: Option<String>,
    /// Orders are priced within this many percent of the reference.
    #[arg(long, default_value_t = 1.0)]
    band_pct: f64,
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// After the run, look up every acknowledged order (none may be missing).
    #[arg(long)]
    verify: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ReplayArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Stop after this engine command (default: the end of the journal).
    #[arg(long)]
    to: Option<u64>,
    /// Price levels shown per side of each book.
    #[arg(long, default_value_t = 5)]
    levels: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// Check every invariant after every command (slow) instead of at every checkpoint.
    #[arg(long)]
    every_command: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct JournalBenchArgs {
    /// Where to put the scratch directory (on the disk to measure, not a tmpfs).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Length of each throughput/latency run, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    run_ms: u64,
    /// Offered load of the open-loop runs, commands per second.
    #[arg(long, default_value_t = 100_000)]
    rate: u64,
    /// Commands in the journal that recovery and replay-from-scratch are measured on.
    #[arg(long, default_value_t = 10_000_000)]
    commands: u64,
    /// Skip building the long journal (recovery and replay figures).
    #[arg(long)]
    skip_recovery: bool,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DriverArgs {
    #[arg(long)]
    data: PathBuf,
    /// Loopback address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    #[arg(long, default_value_t = 1_000_000)]
    checkpoint_every: u64,
    #[arg(long, default_value_t = 1_000_000)]
    snapshot_every: u64,
    #[arg(long, default_value_t = 600_000)]
    snapshot_every_ms: u64,
    #[arg(long, default_value_t = 64 << 20)]
    segment_max_bytes: u64,
    #[arg(long, default_value_t = 4_096)]
    max_batch: usize,
    /// Keep every journal segment instead of archiving what snapshots cover.
    #[arg(long)]
    no_archive: bool,
    /// Run the engine's full invariant check after every command.
    #[arg(long)]
    check_invariants: bool,
}

#[derive(Subcommand)]
enum BenchCmd {
    /// The matching engine against peer order-book crates on one exchange-core-like op stream.
    Engine(EngineBenchArgs),
    /// Durable commands/s and acknowledgement latency with group commit (journal alone, and
    /// the sequencer with the real engine), recovery time of a long journal, replay speed.
    Journal(JournalBenchArgs),
    /// What a standby costs: the sequencer alone, with an asynchronous and with a synchronous
    /// standby over loopback; throughput and acknowledgement latency as ratios.
    Replication(talat::bench_replication::ReplicationBenchArgs),
    /// Proof of reserves: builds the Merkle sum tree over synthetic accounts (seeded balances
    /// and salts); build time, accounts/s, proof generation and verification rates.
    Por(talat::por_cli::BenchPorArgs),
}

#[derive(clap::Args)]
struct EngineBenchArgs {
    /// Ops in the timed stream of the normal (one-market) workload.
    #[arg(long, default_value_t = 3_000_000)]
    ops: usize,
    /// Throughput rounds per engine; the median is reported.
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Peers to compare with (comma-separated: matchcore, orderbook-rs, lobster).
    #[arg(long, value_delimiter = ',', default_value = "matchcore,orderbook-rs,lobster")]
    peers: Vec<String>,
    /// Also run the large case: 1 M resting orders over 10 markets and 100 k accounts.
    #[arg(long)]
    large: bool,
    /// Ops in the timed stream of the large workload.
    #[arg(long, default_value_t = 2_000_000)]
    large_ops: usize,
    /// Print every figure as one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match cli.command {
        Cmd::Demo { data } => {
            print!("{}", talat::demo::Demo::build().report());
            if let Some(data) = data {
                let journaled = talat::demo::journal_demo(&data)
                    .map(|(count, hash)| format!("journaled {count} commands into {} (state hash there {})\n", data.display(), talat_sequencer::hex(&hash)));
                return finish("talat demo", journaled);
            }
        }
        Cmd::Bench { what: BenchCmd::Engine(args) } => bench_engine(args),
        Cmd::Bench { what: BenchCmd::Replication(args) } => return finish("talat bench replication", talat::bench_replication::run(&args)),
        Cmd::Bench { what: BenchCmd::Por(args) } => return finish("talat bench por", talat::por_cli::bench(&args)),
        Cmd::Bench { what: BenchCmd::Journal(args) } => {
            let options = BenchJournalOptions {
                dir: args.dir,
                run_ms: args.run_ms.max(1),
                offered_rate_per_s: args.rate.max(1),
                commands: args.commands,
                skip_recovery: args.skip_recovery,
                json: args.json,
            };
            return finish("talat bench journal", journal_tools::bench_journal(&options));
        }
        Cmd::Replay(args) => {
            let output = journal_tools::replay(&args.data, args.to, args.levels, args.json);
            return finish("talat replay", output);
        }
        Cmd::Verify(args) => {
            let output = journal_tools::verify(&args.data, args.every_command, args.json);
            if args.json {
                if let Err(error) = &output {
                    println!("{}", serde_json::json!({ "ok": false, "error": error }));
                }
            }
            return finish("talat verify", output.map_err(|e| format!("FAILED: {e}")));
        }
        Cmd::SequencerDriver(args) => return sequencer_driver(args),
        Cmd::Loadgen(args) => return finish("talat loadgen", loadgen(args)),
        Cmd::Serve(args) => return finish("talat serve", serve(args).map(|()| String::new())),
        Cmd::Staffing(args) => return staffing(args),
        Cmd::Promote { data } => {
            let mut config = talat_sequencer::NodeConfig::default();
            config.engine.check_invariants_every_command = false;
            return finish("talat promote", talat::continuity::promote(&data, config));
        }
        Cmd::Drill(cmd) => return finish("talat drill", talat::drill::run(cmd)),
        Cmd::Promptpay(args) => return promptpay_cli::run(args),
        Cmd::Funds(cmd) => return talat::funds_cli::run(cmd),
        Cmd::Por(cmd) => return talat::por_cli::run(cmd),
        Cmd::Resume(args) => return talat::resume_cli::run(args),
        Cmd::Custody(cmd) => return talat::custody_cli::run(cmd),
        Cmd::Surveillance(cmd) => return talat::surveillance_cli::run(cmd),
    }
    ExitCode::SUCCESS
}

/// Bad figures are a usage error: exit code 2, like clap's own.
fn staffing(args: StaffingArgs) -> ExitCode {
    let options = talat::staffing::StaffingOptions {
        arrivals: args.arrivals,
        interval_min: args.interval_min,
        aht_s: args.aht_s,
        target_pct: args.target_pct,
        answer_s: args.answer_s,
        shrinkage_pct: args.shrinkage_pct,
        json: args.json,
    };
    match talat::staffing::report(&options) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("talat staffing: {error}");
            ExitCode::from(2)
        }
    }
}

fn loadgen(args: LoadgenArgs) -> Result<String, String> {
    let config = talat_loadgen::LoadgenConfig {
        url: args.url,
        rate_per_s: args.rate,
        duration_s: args.duration,
        users: args.users,
        connections: args.connections,
        threads: args.threads,
        mix: args.mix.parse().map_err(|e| format!("--mix: {e}"))?,
        reads: talat_loadgen::ReadKind::parse_list(&args.reads).map_err(|e| format!("--reads: {e}"))?,
        symbol: args.symbol,
        reference_price: args.price,
        band_pct: args.band_pct,
        timeout_ms: args.timeout_ms,
        seed: args.seed,
        verify: args.verify,
        ..talat_loadgen::LoadgenConfig::default()
    };
    let report = talat_loadgen::run_blocking(config, talat_loadgen::Progress::from_quiet(args.quiet || args.json)).map_err(|e| e.to_string())?;
    let text = if args.json { format!("{}\n", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?) } else { format!("{report}") };
    match &report.verify {
        Some(v) if v.missing > 0 => Err(format!("{text}FAILED: {} acknowledged orders are missing", v.missing)),
        _ => Ok(text),
    }
}

fn apply_continuity_args(continuity: &mut talat::continuity::ContinuityConfig, args: &ServeArgs) -> Result<(), String> {
    use talat::continuity::{EtcdSection, Mode, Role};
    if let Some(role) = &args.role {
        continuity.role = match role.as_str() {
            "primary" => Role::Primary,
            "standby" => Role::Standby,
            other => return Err(format!("--role must be primary or standby, not {other:?}")),
        };
    }
    if let Some(mode) = &args.replication_mode {
        continuity.mode = match mode.as_str() {
            "sync" => Mode::Sync,
            "async" => Mode::Async,
            other => return Err(format!("--replication-mode must be sync or async, not {other:?}")),
        };
    }
    if args.peer.is_some() {
        continuity.peer = args.peer.clone();
    }
    if args.replication_listen.is_some() {
        continuity.replication_listen = args.replication_listen.clone();
    }
    if let Some(id) = &args.node_id {
        continuity.node_id = id.clone();
    }
    if let Some(endpoint) = &args.etcd {
        continuity.etcd.get_or_insert_with(EtcdSection::default).endpoint = endpoint.clone();
    }
    if let Some(ttl) = args.etcd_lease_ttl_s {
        continuity.etcd.get_or_insert_with(EtcdSection::default).lease_ttl_s = ttl;
    }
    continuity.validate()
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let mut config = talat::serve::load_config(args.config.as_deref())?;
    if let Some(listen) = args.listen.clone() {
        config.api.listen = listen;
    }
    if args.no_demo {
        config.demo.enabled = false;
    }
    if args.no_bot {
        config.demo.bot = false;
    }
    if let Some(n) = args.load_users {
        config.demo.load_users = n;
    }
    if let Some(ms) = args.bot_interval_ms {
        config.demo.bot_interval_ms = ms;
    }
    if let Some(n) = args.max_new_orders_per_s {
        config.api.max_new_orders_per_s = n;
    }
    if args.no_rate_limits {
        config.api.rate_limits = false;
    }
    if let Some(style) = args.decimals.clone() {
        config.api.decimals = match style.as_str() {
            "numbers" => talat_gateway::decimal::DecimalStyle::Numbers,
            "strings" => talat_gateway::decimal::DecimalStyle::Strings,
            other => return Err(format!("--decimals must be numbers or strings, not {other:?}")),
        };
    }
    apply_continuity_args(&mut config.continuity, &args)?;
    let data_dir = args.data.or_else(|| config.data_dir.clone()).unwrap_or_else(|| PathBuf::from("data"));
    talat::serve::run(talat::serve::ServeOptions { config, data_dir, json_banner: args.json })
}

/// Logs go to stderr; TALAT_LOG=error|warn|info|debug|trace sets the level (default warn, so
/// recovery's torn-tail truncation is always shown).
fn init_logging() {
    let level = std::env::var("TALAT_LOG").ok().and_then(|v| v.parse::<tracing::Level>().ok()).unwrap_or(tracing::Level::WARN);
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).with_target(false).init();
}

fn finish(command: &str, output: Result<String, String>) -> ExitCode {
    match output {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{command}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn sequencer_driver(args: DriverArgs) -> ExitCode {
    use talat_sequencer::{NodeConfig, SequencerConfig, SnapshotPolicy};
    let mut node = NodeConfig::default();
    node.journal.segment_max_bytes = args.segment_max_bytes;
    node.engine.check_invariants_every_command = args.check_invariants;
    node.checkpoint_every_commands = args.checkpoint_every.max(1);
    node.snapshots = SnapshotPolicy {
        every_commands: args.snapshot_every,
        every_ms: args.snapshot_every_ms,
        archive_covered_segments: !args.no_archive,
        ..SnapshotPolicy::default()
    };
    let options = DriverOptions {
        data_dir: args.data,
        listen: args.listen,
        node,
        sequencer: SequencerConfig { max_batch_commands: args.max_batch.clamp(1, 65_536), ..SequencerConfig::default() },
        max_connections: 64,
    };
    let stopped = driver::run(options, |recovery, address| {
        if let Some(sentence) = &recovery.truncated_tail {
            eprintln!("recovery {sentence}");
        }
        eprintln!(
            "recovered: snapshot {}, replayed {} commands ({} checkpoints verified) in {} ms",
            recovery.snapshot.as_ref().map_or("none".into(), |s| format!("at journal record {}", s.journal_seq)),
            recovery.replayed.commands,
            recovery.replayed.checkpoints,
            recovery.total_us() / 1_000
        );
        // The first line on stdout is the contract with whoever started the driver.
        println!("listening on {address}");
    });
    match stopped {
        Ok(reason) => {
            eprintln!("talat sequencer-driver: stopped: {reason}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("talat sequencer-driver: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Targets for the engine on the 2-core machine (issue #2).
const TARGET_OPS_PER_S: f64 = 3_000_000.0;
const TARGET_P99_NS: u64 = 2_000;

fn bench_engine(args: EngineBenchArgs) {
    let mut peers = Vec::new();
    for name in &args.peers {
        match Peer::from_name(name) {
            Some(peer) => peers.push(peer),
            None => {
                eprintln!("talat bench engine: unknown peer {name:?} (known: matchcore, orderbook-rs, lobster)");
                std::process::exit(2);
            }
        }
    }
    let cfg = RunConfig { rounds: args.rounds.max(1), latency: true, progress: !args.json };
    let mut reports = vec![run_workload(Workload::normal(args.seed, args.ops), &cfg, &peers)];
    if args.large {
        let large_cfg = RunConfig { rounds: cfg.rounds.min(3), ..cfg.clone() };
        reports.push(run_workload(Workload::large(args.seed, args.large_ops), &large_cfg, &peers));
    }
    if args.json {
        let json: Vec<serde_json::Value> =
            reports.iter().map(|r| serde_json::json!({ "report": r, "ratios": r.ratios(TalatBooks::NAME), "targets": targets(r) })).collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "workloads": json })).expect("plain data"));
        return;
    }
    for r in &reports {
        print!("{}", r.table());
        for ratio in r.ratios(TalatBooks::NAME) {
            println!(
                "talat vs {:<13} {:>6.2}× throughput, {} p50, {} p99",
                ratio.peer,
                ratio.throughput,
                ratio.p50.map_or("-".into(), |x| format!("{x:.2}×")),
                ratio.p99.map_or("-".into(), |x| format!("{x:.2}×"))
            );
        }
        let t = targets(r);
        println!("targets: {}", serde_json::to_string(&t).expect("plain data"));
        println!();
    }
}

fn run_workload(w: Workload, cfg: &RunConfig, peers: &[Peer]) -> Report {
    let pb = progress_bar(passes_per_engine(cfg) * (1 + peers.len() as u64), cfg.progress);
    let mut report = Report::new(WorkloadSummary::of(&w), timer_overhead_ns(&quanta_clock()));
    report.engines.push(measure(&w, cfg, &pb, TalatBooks::new));
    for &peer in peers {
        report.engines.push(run_peer(peer, &w, cfg, &pb));
    }
    pb.finish_and_clear();
    report
}

fn quanta_clock() -> quanta::Clock {
    quanta::Clock::new()
}

/// Whether talat met its targets in this run: throughput and p99 absolute on this machine,
/// and faster than every peer measured alongside.
fn targets(r: &Report) -> serde_json::Value {
    let Some(me) = r.engine(TalatBooks::NAME) else { return serde_json::Value::Null };
    let faster_than_all = r.ratios(TalatBooks::NAME).iter().all(|x| x.throughput > 1.0);
    serde_json::json!({
        "ops_per_s_at_least_3m": me.ops_per_s_median >= TARGET_OPS_PER_S,
        "p99_at_most_2us": me.p99_ns <= TARGET_P99_NS,
        "faster_than_every_peer": faster_than_all,
    })
}
