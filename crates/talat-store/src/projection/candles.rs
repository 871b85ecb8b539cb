//! OHLCV candles: which buckets a trade falls into, and how the trades of one batch fold into
//! one upsert per touched bucket.

use std::collections::BTreeMap;
use talat_core::MarketId;

/// The candle widths the store keeps, the ones Bitkub's TradingView feed offers. Buckets are
/// aligned to the Unix epoch (UTC), so a `1D` candle is a UTC day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resolution {
    M1,
    M5,
    M15,
    H1,
    H4,
    D1,
}

impl Resolution {
    pub const ALL: [Resolution; 6] = [Resolution::M1, Resolution::M5, Resolution::M15, Resolution::H1, Resolution::H4, Resolution::D1];

    pub fn seconds(self) -> u64 {
        match self {
            Resolution::M1 => 60,
            Resolution::M5 => 300,
            Resolution::M15 => 900,
            Resolution::H1 => 3_600,
            Resolution::H4 => 14_400,
            Resolution::D1 => 86_400,
        }
    }

    /// TradingView's resolution strings: `1`, `5`, `15`, `60`, `240`, `1D`.
    pub fn from_tradingview(text: &str) -> Option<Resolution> {
        Some(match text {
            "1" => Resolution::M1,
            "5" => Resolution::M5,
            "15" => Resolution::M15,
            "60" => Resolution::H1,
            "240" => Resolution::H4,
            "1D" | "D" => Resolution::D1,
            _ => return None,
        })
    }

    pub fn from_seconds(seconds: u64) -> Option<Resolution> {
        Resolution::ALL.into_iter().find(|r| r.seconds() == seconds)
    }

    /// Start (Unix seconds) of the bucket holding `ts_ms`.
    pub fn bucket_start(self, ts_ms: u64) -> u64 {
        let s = ts_ms / 1_000;
        s - s % self.seconds()
    }
}

/// One bucket's aggregate over some trades, in trade order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    /// Base quantity traded.
    pub volume: u64,
    /// Quote paid by the buyers.
    pub quote_volume: u64,
    pub trades: u64,
}

/// Candles touched by one batch: (market, resolution, bucket start) → aggregate. Merged into
/// the table with an upsert that keeps the stored open and takes this close (batches arrive in
/// seq order and time never runs backwards, so this batch's trades come after the stored ones).
#[derive(Default)]
pub(crate) struct CandleBatch {
    pub buckets: BTreeMap<(MarketId, Resolution, u64), Bucket>,
}

impl CandleBatch {
    pub fn add_trade(&mut self, market: MarketId, ts_ms: u64, price: u64, qty: u64, quote: u64) {
        for resolution in Resolution::ALL {
            let key = (market, resolution, resolution.bucket_start(ts_ms));
            self.buckets
                .entry(key)
                .and_modify(|b| {
                    b.high = b.high.max(price);
                    b.low = b.low.min(price);
                    b.close = price;
                    // Sums stay far below 2^63: each trade's quantity and value are below 2^62
                    // and a bucket holds one batch's trades; saturate rather than wrap anyway.
                    b.volume = b.volume.saturating_add(qty);
                    b.quote_volume = b.quote_volume.saturating_add(quote);
                    b.trades += 1;
                })
                .or_insert(Bucket { open: price, high: price, low: price, close: price, volume: qty, quote_volume: quote, trades: 1 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_to_the_epoch() {
        let ts = 1_700_000_123_456; // 2023-11-14T22:15:23.456Z
        assert_eq!(Resolution::M1.bucket_start(ts), 1_700_000_100);
        assert_eq!(Resolution::H1.bucket_start(ts), 1_699_999_200);
        assert_eq!(Resolution::D1.bucket_start(ts), 1_699_920_000);
        assert_eq!(Resolution::from_tradingview("240"), Some(Resolution::H4));
        assert_eq!(Resolution::from_seconds(900), Some(Resolution::M15));
    }

    #[test]
    fn a_batch_folds_trades_in_order() {
        let mut c = CandleBatch::default();
        c.add_trade(MarketId(0), 60_000, 10, 1, 10);
        c.add_trade(MarketId(0), 60_500, 12, 2, 24);
        c.add_trade(MarketId(0), 61_000, 9, 3, 27);
        let b = c.buckets[&(MarketId(0), Resolution::M1, 60)];
        assert_eq!(b, Bucket { open: 10, high: 12, low: 9, close: 9, volume: 6, quote_volume: 61, trades: 3 });
        assert_eq!(c.buckets.len(), Resolution::ALL.len());
    }
}
