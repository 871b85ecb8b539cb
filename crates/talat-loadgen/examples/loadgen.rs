//! A stand-in for `talat loadgen` until the CLI wires the crate: the same flags, parsed by
//! hand.
//!
//! ```text
//! cargo run --release -p talat-loadgen --example loadgen -- --url http://127.0.0.1:8080 \
//!     --rate 5000 --duration 10 --users 1000 --verify [--json] [--quiet]
//! ```

use talat_loadgen::{LoadgenConfig, Progress, ReadKind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    fn parsed<T: std::str::FromStr>(name: &str, text: Option<String>, default: T) -> T {
        text.map_or(default, |t| t.parse().unwrap_or_else(|_| panic!("{name}: cannot parse {t:?}")))
    }
    let d = LoadgenConfig::default();
    let config = LoadgenConfig {
        url: value("--url").unwrap_or(d.url),
        rate_per_s: parsed("--rate", value("--rate"), d.rate_per_s),
        duration_s: parsed("--duration", value("--duration"), d.duration_s),
        users: parsed("--users", value("--users"), d.users),
        connections: parsed("--connections", value("--connections"), d.connections),
        threads: parsed("--threads", value("--threads"), d.threads),
        mix: parsed("--mix", value("--mix"), d.mix),
        reads: value("--reads").map_or(d.reads, |r| ReadKind::parse_list(&r).expect("--reads")),
        symbol: value("--symbol").unwrap_or(d.symbol),
        reference_price: value("--price"),
        band_pct: parsed("--band-pct", value("--band-pct"), d.band_pct),
        max_backlog: parsed("--max-backlog", value("--max-backlog"), d.max_backlog),
        open_orders_per_user: parsed("--open-orders-per-user", value("--open-orders-per-user"), d.open_orders_per_user),
        timeout_ms: parsed("--timeout-ms", value("--timeout-ms"), d.timeout_ms),
        timer_resolution_us: parsed("--timer-resolution-us", value("--timer-resolution-us"), d.timer_resolution_us),
        seed: parsed("--seed", value("--seed"), d.seed),
        verify: has("--verify"),
        verify_rate_per_user_per_s: parsed("--verify-rate-per-user", value("--verify-rate-per-user"), d.verify_rate_per_user_per_s),
        max_tracked_orders: parsed("--max-tracked-orders", value("--max-tracked-orders"), d.max_tracked_orders),
    };
    let progress = Progress::from_quiet(has("--quiet") || has("--json"));
    match talat_loadgen::run_blocking(config, progress) {
        Ok(report) if has("--json") => println!("{}", serde_json::to_string_pretty(&report).expect("a report serialises")),
        Ok(report) => print!("{report}"),
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    }
}
