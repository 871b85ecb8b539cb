//! `talat demo`: a demo exchange run in-process — the markets, a liquidity bot around a
//! reference price, and a demo user trading — printed as books, balances and the state hash.
//! The HTTP gateway (`talat serve`) builds on exactly this state.

use std::fmt::Write;
use talat_core::money::format_units;
use talat_core::{
    Amount, AssetId, AssetSpec, Command, Event, ExternalId, Input, MarketId, MarketSpec, NewOrder, OrderKind, Price, Qty, Side, StpMode, TimeInForce, UserId,
};
use talat_engine::{Engine, EngineConfig};

/// Prices and THB amounts are in satang (THB at scale 2).
const SATANG: u64 = 100;

/// (base, base scale, price step in satang, quantity step in base units, reference price in satang).
pub const DEMO_MARKETS: [(&str, u8, u64, u64, u64); 4] =
    [("BTC", 8, 1, 1_000, 3_500_000 * SATANG), ("ETH", 8, 1, 10_000, 120_000 * SATANG), ("USDT", 6, 1, 10_000, 3_350), ("KUB", 8, 1, 100_000, 45 * SATANG)];

pub struct Demo {
    pub engine: Engine,
    seq: u64,
    ts_ms: u64,
    pub log: Vec<Event>,
    /// Every command submitted, in order (what `talat demo --data` journals).
    pub commands: Vec<Command>,
}

impl Demo {
    pub fn new(start_ts_ms: u64) -> Demo {
        Demo { engine: Engine::new(EngineConfig::default()), seq: 0, ts_ms: start_ts_ms, log: Vec::new(), commands: Vec::new() }
    }

    pub fn submit(&mut self, command: Command) -> Vec<Event> {
        self.seq += 1;
        self.ts_ms += 7;
        self.commands.push(command.clone());
        let mut out = Vec::new();
        self.engine.apply(&Input { seq: self.seq, ts_ms: self.ts_ms, command }, &mut out);
        self.log.extend(out.iter().cloned());
        out
    }

    fn user(&mut self) -> UserId {
        match self.submit(Command::CreateUser).as_slice() {
            [Event::UserCreated { user }] => *user,
            other => panic!("creating a demo user failed: {other:?}"),
        }
    }

    fn fund(&mut self, user: UserId, asset: AssetId, units: u64) {
        let external_id = ExternalId(format!("demo-funding-{}-{}", user.0, asset.0));
        self.submit(Command::Deposit { user, asset, amount: Amount(units), external_id });
    }

    /// Lists the demo markets, funds a market maker that quotes ten levels a side around each
    /// reference price, and a demo user who buys and sells a little.
    pub fn build() -> Demo {
        let mut demo = Demo::new(1_764_000_000_000);
        demo.submit(Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 }));
        for (code, scale, ..) in DEMO_MARKETS {
            demo.submit(Command::ListAsset(AssetSpec { code: code.into(), scale }));
        }
        for (code, _, price_step, qty_step, reference) in DEMO_MARKETS {
            let mut spec = MarketSpec::with_defaults(code, "THB", 2, price_step, qty_step);
            spec.opening_price = Some(Price(reference));
            demo.submit(Command::ListMarket(spec));
        }
        let maker = demo.user();
        let customer = demo.user();
        demo.fund(maker, AssetId(0), 1_000_000_000 * SATANG);
        demo.fund(customer, AssetId(0), 100_000 * SATANG);
        for (i, (_, scale, ..)) in DEMO_MARKETS.iter().enumerate() {
            demo.fund(maker, AssetId(1 + i as u16), 10_000 * 10u64.pow(*scale as u32));
        }
        for (i, (_, scale, price_step, qty_step, reference)) in DEMO_MARKETS.iter().enumerate() {
            let market = MarketId(i as u16);
            // Quotes worth about 20,000 THB each, 0.05 % apart.
            let qty_units = (((20_000 * SATANG) as u128 * 10u128.pow(*scale as u32) / *reference as u128) as u64 / qty_step).max(1) * qty_step;
            for level in 1..=10u64 {
                let offset = (reference * level / 2_000 / price_step).max(1) * price_step;
                for (side, price) in [(Side::Buy, reference - offset), (Side::Sell, reference + offset)] {
                    let kind = OrderKind::Limit { price: Price(price), qty: Qty(qty_units), tif: TimeInForce::PostOnly };
                    demo.submit(Command::PlaceOrder(NewOrder { user: maker, market, side, kind, client_id: None, stp: StpMode::ExpireTaker }));
                }
            }
        }
        // The demo customer spends 50,000 THB on BTC at market, then offers a little back.
        demo.submit(Command::PlaceOrder(NewOrder {
            user: customer,
            market: MarketId(0),
            side: Side::Buy,
            kind: OrderKind::Market { amount: Amount(50_000 * SATANG) },
            client_id: None,
            stp: StpMode::ExpireTaker,
        }));
        let btc = demo.engine.balance(customer, AssetId(1)).map_or(0, |b| b.available);
        demo.submit(Command::PlaceOrder(NewOrder {
            user: customer,
            market: MarketId(0),
            side: Side::Sell,
            kind: OrderKind::Limit { price: Price(3_520_000 * SATANG), qty: Qty(btc / 2 / 1_000 * 1_000), tif: TimeInForce::Gtc },
            client_id: None,
            stp: StpMode::ExpireTaker,
        }));
        demo
    }

    /// A human-readable summary: every market's top of book, the demo customer's balances, the
    /// ledger check and the state hash.
    pub fn report(&self) -> String {
        let e = &self.engine;
        let mut s = String::new();
        let thb_scale = e.assets()[0].scale;
        for m in 0..e.market_count() {
            let market = MarketId(m);
            let spec = e.market_spec(market).expect("listed");
            let (base, _) = e.market_assets(market).expect("listed");
            let base_scale = e.assets()[base.index()].scale;
            let _ = writeln!(
                s,
                "{} ({:?}), last {}",
                spec.symbol,
                spec.mode,
                e.last_price(market).map_or("-".into(), |p| format_units(p.0 as u128, spec.price_scale))
            );
            let bids = e.depth(market, Side::Buy, 3);
            let asks = e.depth(market, Side::Sell, 3);
            for i in 0..3 {
                let fmt = |level: Option<&(Price, u64)>| {
                    level.map_or(String::new(), |(p, q)| {
                        format!("{:>14} @ {:<14}", format_units(*q as u128, base_scale), format_units(p.0 as u128, spec.price_scale))
                    })
                };
                let _ = writeln!(s, "   bid {:<32} ask {}", fmt(bids.get(i)), fmt(asks.get(i)));
            }
        }
        let customer = UserId(1);
        let _ = writeln!(s, "demo customer (user 1) balances:");
        for (i, asset) in e.assets().iter().enumerate() {
            if let Some(b) = e.balance(customer, AssetId(i as u16)).filter(|b| b.available + b.held > 0) {
                let _ = writeln!(
                    s,
                    "   {:<5} available {:>16}  held {:>16}",
                    asset.code,
                    format_units(b.available as u128, asset.scale),
                    format_units(b.held as u128, asset.scale)
                );
            }
        }
        let fees = e.ledger().system(AssetId(0)).fee_revenue;
        let _ = writeln!(s, "fee revenue THB {}", format_units(fees.max(0) as u128, thb_scale));
        let _ = writeln!(
            s,
            "invariants: {}",
            match e.check_invariants() {
                Ok(()) => "hold".to_string(),
                Err(v) => format!("BROKEN: {v}"),
            }
        );
        let hash: String = e.state_hash().iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "after {} commands, state hash {hash}", e.last_seq());
        s
    }
}

/// Journals the demo's commands into a new data directory through a node (group commit, then
/// the engine), so that `talat replay` and `talat verify` have something to show. Returns the
/// number of commands and the node's state hash.
pub fn journal_demo(data_dir: &std::path::Path) -> Result<(usize, [u8; 32]), String> {
    use talat_sequencer::{Node, NodeConfig, SystemClock};
    let demo = Demo::build();
    let mut node = Node::open(data_dir, NodeConfig::default(), SystemClock).map_err(|e| e.to_string())?;
    if node.engine().last_seq() != 0 {
        return Err(format!("{} already holds a journal; give a new directory", data_dir.display()));
    }
    let count = demo.commands.len();
    node.commit(demo.commands).map_err(|e| e.to_string())?;
    let hash = node.engine().state_hash();
    node.close().map_err(|e| e.to_string())?;
    Ok((count, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_trades_and_keeps_every_invariant() {
        let demo = Demo::build();
        demo.engine.check_invariants().unwrap();
        assert!(!demo.log.iter().any(|e| matches!(e, Event::Rejected { .. })), "no demo command is rejected");
        assert!(demo.log.iter().any(|e| matches!(e, Event::Trade { .. })));
        assert_eq!(demo.engine.depth(MarketId(1), Side::Buy, 100).len(), 10);
        // Same commands, same state: the demo is deterministic.
        assert_eq!(Demo::build().engine.state_hash(), demo.engine.state_hash());
        assert!(demo.report().contains("invariants: hold"));
    }

    #[test]
    fn the_journaled_demo_replays_to_the_same_books() {
        let dir = tempfile::tempdir().unwrap();
        let (count, _) = journal_demo(dir.path()).unwrap();
        assert_eq!(count, Demo::build().commands.len());
        let rebuilt = talat_sequencer::offline::rebuild(dir.path(), None, &mut |_| {}).unwrap();
        let demo = Demo::build();
        // Stamped with another clock, so compare what time does not touch: books and balances.
        for m in 0..demo.engine.market_count() {
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(rebuilt.engine.depth(MarketId(m), side, 20), demo.engine.depth(MarketId(m), side, 20));
            }
        }
        assert_eq!(rebuilt.engine.balance(UserId(1), AssetId(1)), demo.engine.balance(UserId(1), AssetId(1)));
        assert!(journal_demo(dir.path()).unwrap_err().contains("already holds"));
    }
}
