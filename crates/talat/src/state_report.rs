//! A readable (and JSON) picture of an engine state: its hash, balances summed per asset over all
//! users beside the system accounts, and the top of every book. Used by `talat replay`.

use serde::Serialize;
use std::fmt::Write;
use talat_core::money::format_units;
use talat_core::{AssetId, MarketId, Side, UserId};
use talat_engine::Engine;
use talat_sequencer::hex;

#[derive(Clone, Debug, Serialize)]
pub struct AssetTotals {
    pub asset: String,
    /// Sums over every user, as exact decimals in the asset's unit.
    pub users_available: String,
    pub users_held: String,
    pub fee_revenue: String,
    pub rounding: String,
    pub custody: String,
    pub compensation: String,
    /// Users holding any of it.
    pub holders: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct BookTop {
    pub market: String,
    pub mode: String,
    pub last_price: Option<String>,
    /// (price, quantity) best first, as exact decimals.
    pub bids: Vec<(String, String)>,
    pub asks: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StateSummary {
    pub last_command_seq: u64,
    pub last_ts_ms: u64,
    pub state_hash: String,
    pub users: u32,
    pub live_orders: usize,
    pub assets: Vec<AssetTotals>,
    pub books: Vec<BookTop>,
}

fn signed(value: i128, scale: u8) -> String {
    let magnitude = format_units(value.unsigned_abs(), scale);
    if value < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// Summarises `engine`, showing `levels` price levels per side of each book.
pub fn summarize(engine: &Engine, levels: usize) -> StateSummary {
    let assets = engine
        .assets()
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let asset = AssetId(i as u16);
            let (mut available, mut held, mut holders) = (0u128, 0u128, 0u64);
            for user in 0..engine.user_count() {
                if let Some(balance) = engine.balance(UserId(user), asset) {
                    available += balance.available as u128;
                    held += balance.held as u128;
                    holders += u64::from(balance.available + balance.held > 0);
                }
            }
            let system = engine.ledger().system(asset);
            AssetTotals {
                asset: spec.code.clone(),
                users_available: format_units(available, spec.scale),
                users_held: format_units(held, spec.scale),
                fee_revenue: signed(system.fee_revenue, spec.scale),
                rounding: signed(system.rounding, spec.scale),
                custody: signed(system.custody, spec.scale),
                compensation: signed(system.compensation, spec.scale),
                holders,
            }
        })
        .collect();
    let books = (0..engine.market_count())
        .map(|m| {
            let market = MarketId(m);
            let spec = engine.market_spec(market).expect("listed market");
            let (base, _) = engine.market_assets(market).expect("listed market");
            let base_scale = engine.assets()[base.index()].scale;
            let side = |side| {
                engine
                    .depth(market, side, levels)
                    .into_iter()
                    .map(|(price, qty)| (format_units(price.0 as u128, spec.price_scale), format_units(qty as u128, base_scale)))
                    .collect()
            };
            BookTop {
                market: spec.symbol.clone(),
                mode: format!("{:?}", spec.mode),
                last_price: engine.last_price(market).map(|p| format_units(p.0 as u128, spec.price_scale)),
                bids: side(Side::Buy),
                asks: side(Side::Sell),
            }
        })
        .collect();
    StateSummary {
        last_command_seq: engine.last_seq(),
        last_ts_ms: engine.last_ts_ms(),
        state_hash: hex(&engine.state_hash()),
        users: engine.user_count(),
        live_orders: engine.live_order_count(),
        assets,
        books,
    }
}

/// The summary as aligned text.
pub fn render(summary: &StateSummary) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "state after engine command {} (time {} ms)", summary.last_command_seq, summary.last_ts_ms);
    let _ = writeln!(s, "state hash {}", summary.state_hash);
    let _ = writeln!(s, "{} users, {} live orders", summary.users, summary.live_orders);
    let _ = writeln!(s, "\nbalances (users summed; system accounts)");
    let _ = writeln!(
        s,
        "  {:<6} {:>22} {:>20} {:>16} {:>10} {:>24} {:>14} {:>8}",
        "asset", "available", "held", "fee revenue", "rounding", "custody", "compensation", "holders"
    );
    for a in &summary.assets {
        let _ = writeln!(
            s,
            "  {:<6} {:>22} {:>20} {:>16} {:>10} {:>24} {:>14} {:>8}",
            a.asset, a.users_available, a.users_held, a.fee_revenue, a.rounding, a.custody, a.compensation, a.holders
        );
    }
    for book in &summary.books {
        let _ = writeln!(s, "\n{} ({}), last {}", book.market, book.mode, book.last_price.as_deref().unwrap_or("-"));
        let rows = book.bids.len().max(book.asks.len()).max(1);
        for i in 0..rows {
            let cell = |level: Option<&(String, String)>| level.map_or(String::new(), |(p, q)| format!("{q:>16} @ {p:<14}"));
            let _ = writeln!(s, "   bid {:<33} ask {}", cell(book.bids.get(i)), cell(book.asks.get(i)));
        }
    }
    s
}
