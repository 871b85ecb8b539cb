//! What a placement expects to pay and receive, by the same rounding rules the engine settles
//! with (`orders`): a fee is rounded up, a sell's proceeds down, a buy's quantity down to the
//! grid. The gateway quotes these in its answers before any fill is known; they are estimates
//! at one price, not what the matching will do.

use talat_core::money::FEE_PPM_ONE;
use talat_core::Side;

/// The fee and the proceeds of a placement at one price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Always in quote units (Bitkub reports fees in THB).
    pub fee_quote: u128,
    /// Base units for a buy, quote units for a sell.
    pub receive: u128,
}

/// A buy spends `amount` quote units at `price`: the fee comes off the top and the rest buys
/// base. A sell of `amount` base units at `price` receives its floored notional less the fee.
/// `notional_divisor` is the market's 10^(price_scale + base_scale − quote_scale).
pub fn placement(side: Side, amount: u128, price: u64, fee_ppm: u32, notional_divisor: u128) -> Estimate {
    assert!(notional_divisor > 0, "a market's notional divisor is at least 1");
    let fee_of = |quote: u128| (quote * fee_ppm as u128).div_ceil(FEE_PPM_ONE as u128);
    match side {
        Side::Buy => {
            let fee_quote = fee_of(amount);
            let receive = if price == 0 { 0 } else { (amount - fee_quote) * notional_divisor / price as u128 };
            Estimate { fee_quote, receive }
        }
        Side::Sell => {
            let gross = price as u128 * amount / notional_divisor;
            let fee_quote = fee_of(gross);
            Estimate { fee_quote, receive: gross - fee_quote }
        }
    }
}

/// The largest quantity on the `qty_step` grid whose cost at `price` fits in `budget` quote
/// units (a Bitkub bid gives the THB to spend), capped at `max_qty`. Zero when not one step fits.
pub fn buy_qty_for_budget(budget: u64, price: u64, qty_step: u64, max_qty: u64, notional_divisor: u128) -> u64 {
    assert!(price > 0, "a limit buy has a price");
    let raw = budget as u128 * notional_divisor / price as u128;
    let step = qty_step.max(1) as u128;
    (raw / step * step).min(max_qty as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buy_pays_its_fee_rounded_up_and_receives_base_rounded_down() {
        // 1,000.00 THB at 0.25 % buys (100,000 − 250) / 3,500,000.00 THB per BTC.
        // BTC_THB: price scale 2, base 8, quote 2, so the divisor is 10^8.
        let e = placement(Side::Buy, 100_000, 350_000_000, 2_500, 100_000_000);
        assert_eq!(e, Estimate { fee_quote: 250, receive: 28_500 });
        assert_eq!(placement(Side::Buy, 1, 350_000_000, 2_500, 100_000_000).fee_quote, 1, "a fee of a fraction of a unit is one unit");
        assert_eq!(placement(Side::Buy, 100_000, 0, 2_500, 100_000_000).receive, 0, "no price, no estimate of what it buys");
    }

    #[test]
    fn a_sell_receives_its_floored_notional_less_the_fee() {
        // 0.001 BTC (100,000 sat) at 3,500,000.00: 3,500.00 THB, fee 8.75 THB.
        let e = placement(Side::Sell, 100_000, 350_000_000, 2_500, 100_000_000);
        assert_eq!(e, Estimate { fee_quote: 875, receive: 349_125 });
        // 1 sat at 3,500,000.00 is 0.035 THB: floored to 0.03, fee rounded up to 0.01.
        assert_eq!(placement(Side::Sell, 1, 350_000_000, 2_500, 100_000_000), Estimate { fee_quote: 1, receive: 2 });
    }

    #[test]
    fn a_budget_buys_whole_steps_only() {
        assert_eq!(buy_qty_for_budget(350_000, 350_000_000, 1, u64::MAX, 100_000_000), 100_000);
        assert_eq!(buy_qty_for_budget(350_000, 350_000_000, 30_000, u64::MAX, 100_000_000), 90_000);
        assert_eq!(buy_qty_for_budget(1, 350_000_000, 1, u64::MAX, 100_000_000), 0);
        assert_eq!(buy_qty_for_budget(350_000, 350_000_000, 1, 7, 100_000_000), 7);
    }
}
