//! What an order did in the command that placed it, read from that command's events: the trades
//! it took as the taker, what they came to, the fee and how the order ended. A surface words it
//! for the customer right after a submit ("filled 0.01 BTC at 3,456,000 THB on average, fee …";
//! "nothing filled: the book had no sellers"), instead of a bare "order placed".

use talat_core::{DoneReason, Event, OrderId, Side};

/// The taker side of one order within one command's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fill {
    pub trades: u32,
    /// Base units traded.
    pub qty: u64,
    /// Quote units paid (a buy, rounded up) or received before the fee (a sell, rounded down).
    pub quote: u64,
    /// Σ price × qty in price units × base units: the average price's numerator.
    price_qty: u128,
    /// The fee: base units for a buy, quote units for a sell (the asset the taker receives).
    pub fee: u64,
    /// The price of the last trade (the worst one: a taker walks the book away from the best).
    pub last_price: u64,
    pub side: Option<Side>,
    /// How the order ended in this command; `None` while it rests (or waits as a stop).
    pub done: Option<DoneReason>,
}

impl Fill {
    /// The quantity-weighted average price in price units, to the nearest unit (display only:
    /// no money moves by it). `None` when nothing traded.
    pub fn average_price(&self) -> Option<u64> {
        if self.qty == 0 {
            return None;
        }
        let qty = u128::from(self.qty);
        let average = (self.price_qty + qty / 2) / qty;
        Some(u64::try_from(average).expect("an average of u64 prices fits in u64"))
    }

    /// A market buy that traded and ended with less of its `budget` left (quote units) than one
    /// more `qty_step` costs at its last price: that remainder is dust the grid cannot buy, not
    /// a part the book could not fill. Scales as in `MarketSpec` (price per whole base unit).
    pub fn left_only_dust(&self, budget: u64, qty_step: u64, base_scale: u8, quote_scale: u8, price_scale: u8) -> bool {
        if self.trades == 0 || self.side != Some(Side::Buy) {
            return false;
        }
        // left < one step's cost = price × step × 10^qs / 10^(ps + bs), compared without division.
        let left = u128::from(budget.saturating_sub(self.quote)) * 10u128.pow(u32::from(price_scale) + u32::from(base_scale));
        left < u128::from(self.last_price) * u128::from(qty_step) * 10u128.pow(u32::from(quote_scale))
    }

    /// The fee is in the base asset (a buy receives base) rather than the quote asset.
    pub fn fee_in_base(&self) -> bool {
        self.side == Some(Side::Buy)
    }
}

/// The trades `order` took as the taker in `events` and how it ended there.
pub fn fill_of(events: &[Event], order: OrderId) -> Fill {
    let mut fill = Fill::default();
    for event in events {
        match event {
            Event::Trade { taker_order, taker_side, price, qty, quote_paid, quote_received, taker_fee, .. } if *taker_order == order => {
                fill.trades += 1;
                fill.qty = fill.qty.checked_add(qty.0).expect("an order's fills fit in u64");
                let quote = if *taker_side == Side::Buy { quote_paid.0 } else { quote_received.0 };
                fill.quote = fill.quote.checked_add(quote).expect("an order's quote fits in u64");
                fill.price_qty += u128::from(price.0) * u128::from(qty.0);
                fill.fee = fill.fee.checked_add(taker_fee.0).expect("an order's fees fit in u64");
                fill.last_price = price.0;
                fill.side = Some(*taker_side);
            }
            Event::OrderDone { order: o, reason, .. } if *o == order => fill.done = Some(*reason),
            _ => {}
        }
    }
    fill
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::{Amount, MarketId, Price, Qty, UserId};

    fn trade(taker: u64, side: Side, price: u64, qty: u64, fee: u64) -> Event {
        Event::Trade {
            market: MarketId(0),
            maker_order: OrderId(99),
            taker_order: OrderId(taker),
            maker_user: UserId(1),
            taker_user: UserId(2),
            taker_side: side,
            price: Price(price),
            qty: Qty(qty),
            quote_paid: Amount(price * qty / 10 + 1),
            quote_received: Amount(price * qty / 10),
            maker_fee: Amount(0),
            taker_fee: Amount(fee),
        }
    }

    #[test]
    fn sums_the_takers_trades_and_weights_the_average_by_quantity() {
        let events = [
            trade(7, Side::Buy, 100, 1, 3),
            trade(8, Side::Buy, 500, 9, 100), // another order's trade
            trade(7, Side::Buy, 110, 3, 5),
            Event::OrderDone { order: OrderId(7), reason: DoneReason::Filled, remaining: Qty(0) },
        ];
        let fill = fill_of(&events, OrderId(7));
        assert_eq!((fill.trades, fill.qty, fill.fee), (2, 4, 8));
        assert_eq!(fill.quote, (100 / 10 + 1) + (330 / 10 + 1));
        // (100·1 + 110·3) / 4 = 107.5 → 108 (nearest).
        assert_eq!(fill.average_price(), Some(108));
        assert_eq!(fill.done, Some(DoneReason::Filled));
        assert!(fill.fee_in_base());
    }

    #[test]
    fn an_order_that_traded_nothing_has_no_average_and_says_how_it_ended() {
        let events = [trade(8, Side::Sell, 100, 1, 1), Event::OrderDone { order: OrderId(7), reason: DoneReason::Expired, remaining: Qty(5) }];
        let fill = fill_of(&events, OrderId(7));
        assert_eq!(fill, Fill { done: Some(DoneReason::Expired), ..Fill::default() });
        assert_eq!(fill.average_price(), None);
        let sold = fill_of(&[trade(7, Side::Sell, 100, 2, 4)], OrderId(7));
        assert_eq!((sold.quote, sold.done, sold.fee_in_base()), (20, None, false));
    }

    #[test]
    fn a_market_buys_leftover_below_one_step_is_dust() {
        // 1 BTC = 3,500,000.00 THB (price scale 2), 1 satoshi steps: one step costs 0.035 THB,
        // so 0.03 THB buys nothing more at that price, 0.04 THB would.
        let bought = |quote: u64| Fill { trades: 1, qty: 1, quote, last_price: 350_000_000, side: Some(Side::Buy), ..Fill::default() };
        assert!(bought(1_997).left_only_dust(2_000, 1, 8, 2, 2), "3 satang left: dust");
        assert!(!bought(1_996).left_only_dust(2_000, 1, 8, 2, 2), "4 satang buy one more satoshi");
        assert!(!bought(1_000).left_only_dust(2_000, 1, 8, 2, 2), "10 THB left: the book ran out");
        assert!(!Fill::default().left_only_dust(2_000, 1, 8, 2, 2), "nothing traded: not dust");
    }
}
