//! Prices and exact conversions. A market's price × quantity is in units of
//! 10^(price_scale + base_scale − quote_scale) quote units; `divisor` is that power of ten.
//! Every conversion here floors: a credit is never rounded up.

/// The volume-weighted average price of `(price, qty)` trades, floored; `None` without volume.
/// Σ price × qty is exact in u128 (each product is below 2^128); a sum that would overflow,
/// far beyond any real window's volume, gives `None` rather than a wrong price.
pub fn vwap(trades: impl IntoIterator<Item = (u64, u64)>) -> Option<u64> {
    let (mut value, mut volume) = (0u128, 0u128);
    for (price, qty) in trades {
        value = value.checked_add(price as u128 * qty as u128)?;
        volume += qty as u128;
    }
    if volume == 0 {
        return None;
    }
    u64::try_from(value / volume).ok()
}

/// Where a market's reference price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceSource {
    /// The volume-weighted average of the window's trades.
    Vwap,
    /// No trade in the window: the last price at its end.
    Last,
    /// Neither: the market cannot price a loss.
    None,
}

impl ReferenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceSource::Vwap => "vwap",
            ReferenceSource::Last => "last",
            ReferenceSource::None => "none",
        }
    }
}

/// A market's reference price for the incident: the window's VWAP, else the last price at the
/// window's end (a caller may skip looking it up when the window had volume).
pub fn reference_price(window_vwap: Option<u64>, last_at_end: Option<u64>) -> (Option<u64>, ReferenceSource) {
    match window_vwap {
        Some(p) => (Some(p), ReferenceSource::Vwap),
        None => match last_at_end {
            Some(p) => (Some(p), ReferenceSource::Last),
            None => (None, ReferenceSource::None),
        },
    }
}

/// Quote units of `qty` at `price`, floored.
pub fn quote_of(price: u64, qty: u64, divisor: u128) -> u128 {
    price as u128 * qty as u128 / divisor.max(1)
}

/// Base units `quote` buys at `price`, floored; 0 at price 0.
pub fn qty_for(quote: u64, price: u64, divisor: u128) -> u64 {
    if price == 0 {
        return 0;
    }
    u64::try_from(quote as u128 * divisor.max(1) / price as u128).unwrap_or(u64::MAX)
}

/// `amount` × `ppm` / 1,000,000, floored.
pub fn share(amount: u64, ppm: u64) -> u64 {
    u64::try_from(amount as u128 * ppm as u128 / crate::policy::PPM as u128).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_the_vwap_else_the_last_price_else_none() {
        assert_eq!(reference_price(Some(10), Some(12)), (Some(10), ReferenceSource::Vwap));
        assert_eq!(reference_price(None, Some(12)), (Some(12), ReferenceSource::Last));
        assert_eq!(reference_price(None, None), (None, ReferenceSource::None));
    }

    #[test]
    fn vwap_weights_by_volume_and_floors() {
        assert_eq!(vwap([]), None);
        assert_eq!(vwap([(100, 0)]), None);
        assert_eq!(vwap([(100, 1), (200, 3)]), Some(175));
        // (100·1 + 101·1) / 2 = 100.5 → 100
        assert_eq!(vwap([(100, 1), (101, 1)]), Some(100));
        assert_eq!(vwap([(u64::MAX, u64::MAX)]), Some(u64::MAX));
        // A sum past u128 is refused, not wrapped.
        assert_eq!(vwap([(u64::MAX, u64::MAX), (u64::MAX, u64::MAX)]), None);
    }

    #[test]
    fn conversions_floor() {
        // BTC_THB: price scale 2, base 8, quote 2 → divisor 10^8.
        let d = 100_000_000u128;
        assert_eq!(quote_of(350_000_000, 10_000_000, d), 35_000_000); // 0.1 BTC at 3.5 m = THB 350,000.00
        assert_eq!(qty_for(35_000_000, 350_000_000, d), 10_000_000);
        assert_eq!(qty_for(1, 350_000_000, d), 0);
        assert_eq!(qty_for(1, 0, d), 0);
        assert_eq!(share(999, 500_000), 499);
    }
}
