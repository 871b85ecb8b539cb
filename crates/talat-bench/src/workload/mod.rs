//! The operation stream every engine is driven with.
//!
//! A [`Workload`] is generated once, up front, from a seed; the runner then
//! replays the very same ops into every engine, so engines differ only in
//! how they execute them. Nothing here knows about talat's own types: the
//! stream is plain integers (ticks, lots, ids), and each adapter converts.

mod generate;
mod model;

pub use generate::{generate, WorkloadConfig};
pub use model::ModelBook;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// Time in force. Only the two the exchange-core workload uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tif {
    /// Rests whatever does not trade at once.
    Gtc,
    /// Trades what it can at once; the rest is cancelled, never rests.
    Ioc,
}

/// One order-entry instruction against one book.
///
/// Ids are dense, start at 1 and are unique across all markets of a
/// workload, so adapters can index a `Vec` by them instead of hashing.
/// An amended order keeps its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    Place {
        id: u64,
        account: u64,
        side: Side,
        price_ticks: u64,
        qty_lots: u64,
        tif: Tif,
    },
    Cancel {
        id: u64,
        account: u64,
    },
    /// Replace the price and the open (unfilled) quantity of a resting order;
    /// time priority is lost, as a price change loses it on every engine
    /// here. The generator only emits "moves": the price changes and
    /// `new_qty_lots` equals the open quantity the order has at that point.
    Amend {
        id: u64,
        account: u64,
        new_price_ticks: u64,
        new_qty_lots: u64,
    },
}

/// An [`Op`] addressed to one of the workload's books (`0..markets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MarketOp {
    pub market: u32,
    pub op: Op,
}

/// What an engine can be told about before the first op, so it can size
/// its tables and (for a full exchange engine) register markets and fund
/// accounts outside the timer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookSpec {
    pub markets: u32,
    /// Accounts are `1..=accounts`.
    pub accounts: u64,
    /// Order ids are `1..=max_order_id`.
    pub max_order_id: u64,
    /// Orders resting per market after warm-up (the stream stays near it).
    pub resting_per_market: u64,
    /// Every price in the stream lies in this range (inclusive).
    pub min_price_ticks: u64,
    pub max_price_ticks: u64,
    /// Largest quantity of any single op.
    pub max_qty_lots: u64,
    /// The reference price the stream is centred on (the same in every market).
    pub mid_price_ticks: u64,
}

/// Counts of what the stream (after warm-up) contains, for checking the mix
/// and for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStats {
    pub gtc: u64,
    pub ioc: u64,
    pub cancel: u64,
    pub amend: u64,
    /// Ops that traded at least one lot, according to the reference model.
    pub trading: u64,
}

impl StreamStats {
    pub fn total(&self) -> u64 {
        self.gtc + self.ioc + self.cancel + self.amend
    }
}

/// The reference model's view of the books at a point in the stream. An
/// engine that matches price-time like the model must agree with it; the
/// runner reports any disagreement as a note.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookState {
    pub resting_orders: u64,
    pub bid_levels: u64,
    pub ask_levels: u64,
}

/// A generated workload: warm-up (untimed) then the stream (timed).
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: String,
    pub seed: u64,
    /// The config it was generated from (`generate(&w.config)` rebuilds it).
    pub config: WorkloadConfig,
    pub spec: BookSpec,
    /// Places only, none crossing: builds the resting book.
    pub warmup: Vec<MarketOp>,
    pub stream: Vec<MarketOp>,
    pub stats: StreamStats,
    pub after_warmup: BookState,
    pub after_stream: BookState,
}

impl Workload {
    /// The exchange-core-like single-book workload (see [`WorkloadConfig::normal`]).
    pub fn normal(seed: u64, stream_ops: usize) -> Workload {
        generate(&WorkloadConfig::normal(seed, stream_ops))
    }

    /// The 10-market, 1,000,000-resting-order workload (see [`WorkloadConfig::large`]).
    pub fn large(seed: u64, stream_ops: usize) -> Workload {
        generate(&WorkloadConfig::large(seed, stream_ops))
    }

    /// A stable 64-bit fingerprint of every op, to show two runs used the
    /// same stream (printed in reports, pinned in a test).
    pub fn fingerprint(&self) -> u64 {
        // FNV-1a over a fixed little-endian encoding: independent of Rust's
        // `Hash`, whose output is not guaranteed stable across releases.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for mo in self.warmup.iter().chain(&self.stream) {
            eat(u64::from(mo.market));
            match mo.op {
                Op::Place { id, account, side, price_ticks, qty_lots, tif } => {
                    eat(1);
                    eat(id);
                    eat(account);
                    eat(side as u64);
                    eat(price_ticks);
                    eat(qty_lots);
                    eat(tif as u64);
                }
                Op::Cancel { id, account } => {
                    eat(2);
                    eat(id);
                    eat(account);
                }
                Op::Amend { id, account, new_price_ticks, new_qty_lots } => {
                    eat(3);
                    eat(id);
                    eat(account);
                    eat(new_price_ticks);
                    eat(new_qty_lots);
                }
            }
        }
        h
    }
}

#[cfg(test)]
mod tests;
