//! Assets and markets as listed by journaled commands.

use crate::money::{Amount, Price, Qty};
use serde::{Deserialize, Serialize};

/// Longest asset code (`BTC`, `USDT`, …).
pub const MAX_ASSET_CODE_BYTES: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSpec {
    /// Upper-case code, e.g. `THB`, `BTC`.
    pub code: String,
    /// Decimals of the smallest unit the exchange books: 2 for THB (satang), 8 for BTC.
    pub scale: u8,
}

/// Trading mode of one market (continuity practice: Kraken's system states, Bitkub error 55).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TradingMode {
    /// Everything allowed; orders match.
    Open,
    /// Only post-only limit orders are accepted; nothing matches; cancels work.
    PostOnly,
    /// Only cancels (and cancel-all) are accepted; nothing trades.
    CancelOnly,
    /// Frozen: no new orders, amends or cancels.
    Halted,
}

impl TradingMode {
    pub const ALL: [TradingMode; 4] = [TradingMode::Open, TradingMode::PostOnly, TradingMode::CancelOnly, TradingMode::Halted];

    /// The mode as every surface names it (API, web app, status page, the query store).
    pub fn name(self) -> &'static str {
        match self {
            TradingMode::Open => "open",
            TradingMode::PostOnly => "post_only",
            TradingMode::CancelOnly => "cancel_only",
            TradingMode::Halted => "halted",
        }
    }

    pub fn parse(word: &str) -> Option<TradingMode> {
        TradingMode::ALL.into_iter().find(|m| m.name() == word)
    }

    /// The mode a customer meets: the exchange-wide maintenance switch freezes every market.
    pub fn effective_name(self, maintenance: bool) -> &'static str {
        if maintenance {
            "maintenance"
        } else {
            self.name()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSpec {
    /// `BASE_QUOTE`, upper case, e.g. `BTC_THB`.
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// Prices are in units of `10^-price_scale` quote per whole base unit.
    pub price_scale: u8,
    /// Every price is a multiple of this many price units (`1` with scale 2 = 0.01 THB).
    pub price_step: u64,
    /// Every order quantity is a multiple of this many base units.
    pub qty_step: u64,
    /// Smallest order value in quote units (10 THB = 1_000 satang).
    pub min_quote: Amount,
    pub maker_fee_ppm: u32,
    pub taker_fee_ppm: u32,
    /// Limit prices must lie within this many basis points of the reference price.
    pub band_bps: u32,
    /// Reference price until the first trade (and the band's centre until then).
    pub opening_price: Option<Price>,
    pub mode: TradingMode,
}

impl MarketSpec {
    /// A market with Bitkub's defaults: 10 THB minimum, 0.25 % fees, ±20 % band, open.
    pub fn with_defaults(base: &str, quote: &str, price_scale: u8, price_step: u64, qty_step: u64) -> MarketSpec {
        MarketSpec {
            symbol: format!("{base}_{quote}"),
            base: base.to_string(),
            quote: quote.to_string(),
            price_scale,
            price_step,
            qty_step,
            min_quote: Amount(1_000),
            maker_fee_ppm: 2_500,
            taker_fee_ppm: 2_500,
            band_bps: 2_000,
            opening_price: None,
            mode: TradingMode::Open,
        }
    }

    pub fn is_on_price_grid(&self, price: Price) -> bool {
        price.0 > 0 && price.0.is_multiple_of(self.price_step)
    }

    pub fn is_on_qty_grid(&self, qty: Qty) -> bool {
        qty.0 > 0 && qty.0.is_multiple_of(self.qty_step)
    }
}
