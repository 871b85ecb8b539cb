//! How many applied commands per second `Store::project` sustains with a typical mix (limit
//! orders around the touch, some crossing, market orders, cancels), on a fresh SQLite file
//! unless a URL is given. Prints a figure; asserts nothing about time.
//!
//! cargo run --release -p talat-store --example project_bench -- [commands] [batch] [url]

use std::time::Instant;
use talat_core::*;
use talat_engine::{Engine, EngineConfig};
use talat_store::Store;

/// A small deterministic generator (no randomness crate needed for a benchmark stream).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn stream(commands: usize) -> Vec<Applied> {
    let config = EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() };
    let mut engine = Engine::new(config);
    let mut log = Vec::with_capacity(commands + 1_000);
    let mut seq = 0;
    let mut ts_ms = 1_700_000_000_000u64;
    let mut apply = |engine: &mut Engine, log: &mut Vec<Applied>, command: Command, ts_ms: u64| {
        seq += 1;
        let input = Input { seq, ts_ms, command };
        let mut events = Vec::new();
        engine.apply(&input, &mut events);
        log.push(Applied { input, events });
    };
    for (code, scale) in [("THB", 2), ("BTC", 8)] {
        apply(&mut engine, &mut log, Command::ListAsset(AssetSpec { code: code.into(), scale }), ts_ms);
    }
    apply(&mut engine, &mut log, Command::ListMarket(MarketSpec::with_defaults("BTC", "THB", 2, 1, 1)), ts_ms);
    let users = 200u32;
    for u in 0..users {
        apply(&mut engine, &mut log, Command::CreateUser, ts_ms);
        for (asset, amount) in [(AssetId(0), 1_000_000_000_000u64), (AssetId(1), 1_000_000_000_000)] {
            let external_id = ExternalId(format!("d-{u}-{}", asset.0));
            apply(&mut engine, &mut log, Command::Deposit { user: UserId(u), asset, amount: Amount(amount), external_id }, ts_ms);
        }
    }
    let mut rng = Lcg(42);
    let mut live: Vec<(UserId, OrderId)> = Vec::new();
    let mid = 1_000_000 * 100u64;
    while log.len() < commands {
        ts_ms += 1 + rng.below(20);
        let user = UserId(rng.below(users as u64) as u32);
        let side = if rng.below(2) == 0 { Side::Buy } else { Side::Sell };
        let roll = rng.below(100);
        let command = if roll < 30 && !live.is_empty() {
            let (user, order) = live.swap_remove(rng.below(live.len() as u64) as usize);
            Command::CancelOrder { user, order }
        } else if roll < 40 {
            let amount = if side == Side::Buy { 20_000 + rng.below(200_000) } else { 10_000 + rng.below(200_000) };
            Command::PlaceOrder(NewOrder {
                user,
                market: MarketId(0),
                side,
                kind: OrderKind::Market { amount: Amount(amount) },
                client_id: None,
                stp: StpMode::ExpireTaker,
            })
        } else {
            // Around the mid, within ±0.5 %: about a third cross.
            let offset = rng.below(10_000);
            let price = match side {
                Side::Buy => mid - 5_000 * 100 + offset * 100 - 1_600 * 100,
                Side::Sell => mid - 5_000 * 100 + offset * 100 + 1_600 * 100,
            };
            let qty = 100_000 + rng.below(1_000_000);
            Command::PlaceOrder(NewOrder {
                user,
                market: MarketId(0),
                side,
                kind: OrderKind::Limit { price: Price(price), qty: Qty(qty), tif: TimeInForce::Gtc },
                client_id: None,
                stp: StpMode::ExpireTaker,
            })
        };
        apply(&mut engine, &mut log, command, ts_ms);
        for e in &log.last().expect("just applied").events {
            match e {
                Event::OrderRested { order, .. } => live.push((user, *order)),
                Event::OrderDone { order, .. } => live.retain(|(_, o)| o != order),
                _ => {}
            }
        }
    }
    log
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let commands: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(50_000);
    let batch: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(512);
    let dir = tempfile::tempdir()?;
    let url = args.get(3).cloned().unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));

    let log = stream(commands);
    let events: usize = log.iter().map(|a| a.events.len()).sum();
    let trades = log.iter().flat_map(|a| &a.events).filter(|e| matches!(e, Event::Trade { .. })).count();
    let store = Store::connect(&url).await?;
    let started = Instant::now();
    for chunk in log.chunks(batch.max(1)) {
        store.project(chunk).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:?}: {} commands ({events} events, {trades} trades) in batches of {batch}: {:.2} s, {:.0} commands/s, {:.0} events/s",
        store.backend(),
        log.len(),
        secs,
        log.len() as f64 / secs,
        events as f64 / secs
    );
    Ok(())
}
