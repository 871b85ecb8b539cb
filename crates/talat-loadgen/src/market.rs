//! The traded market: its grid (read once from `/api/v3/market/symbols`), the reference price
//! (from the ticker), and the prices and sizes of the orders the load places on that grid.

use crate::decimal::{format_units, parse_units, parse_units_truncating};
use serde::Serialize;
use serde_json::Value;

/// Orders are sized to this much above `min_quote_size`, so rounding the quantity down to its
/// step on the server never takes them below the minimum.
const SIZE_MARGIN_PCT: u128 = 10;

/// Everything the generator needs about one market, in integer units of each scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    /// As the server spells it (`BTC_THB`).
    pub symbol: String,
    pub price_scale: u8,
    /// Price grid, in units of `10^-price_scale`.
    pub price_step: u64,
    pub base_scale: u8,
    /// Quantity grid, in base units.
    pub qty_step: u64,
    pub quote_scale: u8,
    /// Smallest order value, in quote units.
    pub min_quote: u64,
    /// Centre of the price band, on the grid, in price units.
    pub reference_price: u64,
    /// Where the reference came from: `last`, `mid` or `flag`.
    pub reference_source: &'static str,
}

/// What went wrong reading the market.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MarketError(pub String);

fn err(message: impl Into<String>) -> MarketError {
    MarketError(message.into())
}

/// Text of a JSON string or number (the reference mixes both for decimals).
fn decimal_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn scale_of(item: &Value, field: &str) -> Result<u8, MarketError> {
    let scale = item.get(field).and_then(Value::as_u64).ok_or_else(|| err(format!("symbols: `{field}` missing or not a number")))?;
    // 18 keeps every product of a price and a quantity inside u128.
    if scale > 18 {
        return Err(err(format!("symbols: `{field}` = {scale} is larger than this generator handles (18)")));
    }
    Ok(scale as u8)
}

fn units_of(item: &Value, field: &str, scale: u8) -> Result<u64, MarketError> {
    let text = decimal_text(item.get(field)).ok_or_else(|| err(format!("symbols: `{field}` missing")))?;
    parse_units(&text, scale).map_err(|e| err(format!("symbols: `{field}` = {text:?} is not a decimal at scale {scale}: {e:?}")))
}

impl Market {
    /// Builds the market from a `/api/v3/market/symbols` answer and a `/api/v3/market/ticker`
    /// answer, falling back to `flag_price` (decimal text) when the ticker has no price.
    pub fn discover(symbols: &Value, ticker: &Value, symbol: &str, flag_price: Option<&str>) -> Result<Market, MarketError> {
        let list = symbols.get("result").and_then(Value::as_array).ok_or_else(|| err("symbols: the answer has no `result` list"))?;
        let item = list
            .iter()
            .find(|m| m.get("symbol").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(symbol)))
            .ok_or_else(|| err(format!("symbols: the server lists no market {symbol}")))?;
        let price_scale = scale_of(item, "price_scale")?;
        // `quantity_scale` is a placeholder for some markets (§8.3); the base asset's scale is
        // what amounts are written in.
        let base_scale = scale_of(item, "base_asset_scale")?;
        let quote_scale = scale_of(item, "quote_asset_scale")?;
        if price_scale + base_scale < quote_scale {
            return Err(err("symbols: price, base and quote scales this generator cannot combine"));
        }
        let mut market = Market {
            symbol: item.get("symbol").and_then(Value::as_str).unwrap_or(symbol).to_string(),
            price_scale,
            price_step: units_of(item, "price_step", price_scale)?.max(1),
            base_scale,
            qty_step: units_of(item, "quantity_step", base_scale)?.max(1),
            quote_scale,
            min_quote: units_of(item, "min_quote_size", quote_scale)?,
            reference_price: 0,
            reference_source: "flag",
        };
        let (price, source) = reference_from_ticker(ticker, &market.symbol, price_scale)
            .or_else(|| flag_price.and_then(|p| parse_units_truncating(p, price_scale).ok()).filter(|p| *p > 0).map(|p| (p as u128, "flag")))
            .ok_or_else(|| err(format!("the ticker has no price for {} and no --price was given", market.symbol)))?;
        market.reference_price = market.round_to_grid(price);
        market.reference_source = source;
        Ok(market)
    }

    /// Nearest grid price, never below one step.
    pub fn round_to_grid(&self, price: u128) -> u64 {
        let step = self.price_step as u128;
        let steps = (price + step / 2) / step;
        (steps.max(1) * step).min(u64::MAX as u128 / 2) as u64
    }

    /// A grid price `offset_ppm` millionths away from the reference.
    pub fn price_at(&self, offset_ppm: i64) -> u64 {
        let reference = self.reference_price as i128;
        let price = reference + reference * offset_ppm as i128 / 1_000_000;
        self.round_to_grid(price.max(0) as u128)
    }

    /// 10^(price_scale + base_scale − quote_scale): price units × base units ÷ this = quote units.
    fn value_divisor(&self) -> u128 {
        10u128.pow((self.price_scale + self.base_scale - self.quote_scale) as u32)
    }

    /// The smallest quantity on the grid worth at least the minimum plus the margin at `price`.
    pub fn order_qty(&self, price: u64) -> u64 {
        let target_value = (self.min_quote as u128 * (100 + SIZE_MARGIN_PCT)).div_ceil(100).max(1);
        let raw = (target_value * self.value_divisor()).div_ceil(price.max(1) as u128);
        let step = self.qty_step as u128;
        (raw.div_ceil(step).max(1) * step).min(u64::MAX as u128) as u64
    }

    /// What a bid of `qty` at `price` spends (`amt` of place-bid is THB): the value rounded
    /// up, so the server's floor of `amt ÷ price` buys at least `qty`.
    pub fn bid_amount(&self, price: u64, qty: u64) -> u64 {
        (price as u128 * qty as u128).div_ceil(self.value_divisor()).min(u64::MAX as u128) as u64
    }

    pub fn summary(&self) -> MarketSummary {
        let qty = self.order_qty(self.reference_price);
        MarketSummary {
            symbol: self.symbol.clone(),
            reference_price: format_units(self.reference_price, self.price_scale),
            reference_source: self.reference_source.to_string(),
            price_step: format_units(self.price_step, self.price_scale),
            quantity_step: format_units(self.qty_step, self.base_scale),
            min_quote_size: format_units(self.min_quote, self.quote_scale),
            order_qty_at_reference: format_units(qty, self.base_scale),
            order_value_at_reference: format_units(self.bid_amount(self.reference_price, qty), self.quote_scale),
        }
    }
}

/// The ticker's last price, else the mid of its best bid and ask, on the price scale.
fn reference_from_ticker(ticker: &Value, symbol: &str, price_scale: u8) -> Option<(u128, &'static str)> {
    // The v3 ticker is a bare array (§8.5); accept an enveloped one too.
    let list = ticker.as_array().or_else(|| ticker.get("result").and_then(Value::as_array))?;
    let item = list.iter().find(|t| t.get("symbol").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case(symbol)))?;
    let read = |field: &str| decimal_text(item.get(field)).and_then(|t| parse_units_truncating(&t, price_scale).ok()).filter(|p| *p > 0);
    if let Some(last) = read("last") {
        return Some((last as u128, "last"));
    }
    let (bid, ask) = (read("highest_bid")?, read("lowest_ask")?);
    Some(((bid as u128 + ask as u128) / 2, "mid"))
}

/// The market as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketSummary {
    pub symbol: String,
    pub reference_price: String,
    pub reference_source: String,
    pub price_step: String,
    pub quantity_step: String,
    pub min_quote_size: String,
    pub order_qty_at_reference: String,
    pub order_value_at_reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn symbols() -> Value {
        json!({"error":0,"result":[
            {"symbol":"ETH_THB","price_step":"0.01","price_scale":2,"quantity_step":"0.00000001","base_asset_scale":8,"quote_asset_scale":2,"min_quote_size":10},
            {"symbol":"BTC_THB","price_step":"0.01","price_scale":2,"quantity_step":"0.00000001","quantity_scale":0,
             "base_asset_scale":8,"quote_asset_scale":2,"min_quote_size":10}
        ]})
    }

    fn btc(ticker: Value, flag: Option<&str>) -> Result<Market, MarketError> {
        Market::discover(&symbols(), &ticker, "btc_thb", flag)
    }

    #[test]
    fn reference_prefers_last_then_mid_then_flag() {
        let m = btc(json!([{"symbol":"BTC_THB","last":"3500000.015","highest_bid":"1","lowest_ask":"2"}]), None).unwrap();
        assert_eq!((m.reference_price, m.reference_source), (350_000_001, "last"));
        let m = btc(json!([{"symbol":"BTC_THB","last":"0","highest_bid":"100","lowest_ask":"101"}]), None).unwrap();
        assert_eq!((m.reference_price, m.reference_source), (10_050, "mid"));
        let m = btc(json!([]), Some("2000000")).unwrap();
        assert_eq!((m.reference_price, m.reference_source), (200_000_000, "flag"));
        assert!(btc(json!([{"symbol":"BTC_THB","last":"0","highest_bid":"0","lowest_ask":"0"}]), None).is_err());
        assert_eq!(m.symbol, "BTC_THB");
        assert!(Market::discover(&symbols(), &json!([]), "DOGE_THB", Some("1")).is_err());
    }

    #[test]
    fn prices_stay_on_the_grid_and_in_the_band() {
        let mut m = btc(json!([{"symbol":"BTC_THB","last":"3500000"}]), None).unwrap();
        for ppm in [-10_000i64, -3_333, 0, 1, 7_777, 10_000] {
            let p = m.price_at(ppm);
            assert_eq!(p % m.price_step, 0);
            let low = 350_000_000 - 3_500_000 - 1;
            let high = 350_000_000 + 3_500_000 + 1;
            assert!((low..=high).contains(&p), "{p}");
        }
        // A coarse grid: 5-satang steps round to the nearest multiple.
        m.price_step = 5;
        m.reference_price = 1_000;
        assert_eq!(m.price_at(2_000), 1_000); // 1002 → 1000
        assert_eq!(m.price_at(3_000), 1_005); // 1003 → 1005
        assert_eq!(m.price_at(-1_000_000), 5, "never below one step");
    }

    #[test]
    fn sizes_sit_just_above_the_minimum_on_the_quantity_grid() {
        let m = btc(json!([{"symbol":"BTC_THB","last":"3500000"}]), None).unwrap();
        let price = m.reference_price;
        let qty = m.order_qty(price);
        // 11 THB at 3.5M THB/BTC = 0.00000314.. BTC → 315 satoshi on a 1-satoshi grid.
        assert_eq!(qty, 315);
        let amount = m.bid_amount(price, qty);
        assert_eq!(format_units(amount, 2), "11.03"); // 315e-8 × 3.5e6 = 11.025, rounded up
                                                      // The server buys floor(amt × 10^8 ÷ price) ≥ qty, worth at least the minimum.
        let bought = amount as u128 * 100_000_000 / price as u128;
        assert!(bought >= qty as u128);
        assert!(bought * price as u128 / 100_000_000 >= m.min_quote as u128);

        // A coarse quantity step (DOGE-like: 0.01 at scale 8) rounds up to whole steps.
        let doge = Market { qty_step: 1_000_000, reference_price: 800, ..m.clone() };
        let q = doge.order_qty(800);
        assert_eq!(q % 1_000_000, 0);
        assert!(q as u128 * 800 / 100_000_000 >= 1_100, "worth at least 11 THB");
        assert_eq!(format_units(q, 8), "1.38"); // 11 THB ÷ 8 THB = 1.375, up to the step

        let s = m.summary();
        assert_eq!((s.price_step.as_str(), s.quantity_step.as_str(), s.min_quote_size.as_str()), ("0.01", "0.00000001", "10"));
        assert_eq!(s.order_qty_at_reference, "0.00000315");
    }

    #[test]
    fn malformed_symbols_are_named() {
        let bad = json!({"error":0,"result":[{"symbol":"BTC_THB","price_step":"0.001","price_scale":2,
            "quantity_step":"0.00000001","base_asset_scale":8,"quote_asset_scale":2,"min_quote_size":10}]});
        let e = Market::discover(&bad, &json!([]), "BTC_THB", Some("1")).unwrap_err();
        assert!(e.0.contains("price_step"), "{e}");
        let e = Market::discover(&json!({"error":3}), &json!([]), "BTC_THB", Some("1")).unwrap_err();
        assert!(e.0.contains("result"), "{e}");
    }
}
