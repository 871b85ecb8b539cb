//! Matching: an incoming order against the opposite side in price-time priority, with
//! self-trade prevention, fees, rounding and stop triggers. Only markets in `Open` mode match.

use crate::orders::OrderState;
use crate::Engine;
use talat_core::money::div_ceil_u128;
use talat_core::{Account, Amount, DoneReason, Event, MarketId, PostingCause, Price, Qty, Side, StpMode, TimeInForce, TradingMode};

/// How the taker's matching loop ended.
enum MatchEnd {
    /// Nothing more to match against (or nothing left to fill).
    Exhausted,
    /// Self-trade prevention expired the taker.
    ExpiredBySelfTrade,
}

impl Engine {
    /// Runs the order in `slot` (state `Taking`) against the book, then rests or ends it.
    pub(crate) fn take(&mut self, market: MarketId, slot: u32, tif: TimeInForce, out: &mut Vec<Event>) {
        debug_assert_eq!(self.orders.get(slot).state, OrderState::Taking);
        let m = &self.markets[market.index()];
        let o = self.orders.get(slot);
        // Most limit orders land on the book without touching the other side.
        let may_match = m.spec.mode == TradingMode::Open && (o.price.0 == 0 || m.book.crosses(o.side, o.price));
        let end = if may_match { self.match_order(market, slot, out) } else { MatchEnd::Exhausted };
        let o = self.orders.get(slot);
        let is_market_order = o.price.0 == 0;
        if let MatchEnd::ExpiredBySelfTrade = end {
            self.finish(slot, DoneReason::SelfTradePrevented, out);
        } else if is_market_order {
            let left = if o.side == Side::Buy { o.budget - o.cum_quote_settled } else { o.open_qty.0 };
            let reason = if left == 0 { DoneReason::Filled } else { DoneReason::Expired };
            self.finish(slot, reason, out);
        } else if o.open_qty.0 == 0 {
            self.finish(slot, DoneReason::Filled, out);
        } else {
            match tif {
                TimeInForce::Gtc | TimeInForce::PostOnly => {
                    let (id, side, price, qty) = (o.id, o.side, o.price, o.open_qty);
                    self.orders.get_mut(slot).state = OrderState::Resting;
                    self.markets[market.index()].book.push_back(&mut self.orders, slot);
                    out.push(Event::OrderRested { order: id, market, side, price, qty });
                }
                TimeInForce::Ioc | TimeInForce::Fok => self.finish(slot, DoneReason::Expired, out),
            }
        }
    }

    fn match_order(&mut self, market: MarketId, taker: u32, out: &mut Vec<Event>) -> MatchEnd {
        let m = &self.markets[market.index()];
        let t = self.orders.get(taker);
        let (side, user, stp) = (t.side, t.user, t.stp);
        let is_market_buy = side == Side::Buy && t.price.0 == 0;
        // A limit order stops at its limit; a market order at the edge of the price band.
        let bound = if t.price.0 > 0 { Some(t.price.0) } else { m.band().map(|(low, high)| if side == Side::Buy { high } else { low }) };
        let group = self.users_hot[user.index()].stp_group;
        let maker_side = side.opposite();
        // Every iteration fills or removes a maker, or ends the loop: bounded by the book size.
        loop {
            let m = &self.markets[market.index()];
            let Some((best, maker)) = m.book.best_head(maker_side) else { return MatchEnd::Exhausted };
            let price_ok = match (side, bound) {
                (_, None) => true,
                (Side::Buy, Some(b)) => best.0 <= b,
                (Side::Sell, Some(b)) => best.0 >= b,
            };
            if !price_ok {
                return MatchEnd::Exhausted;
            }
            let t = self.orders.get(taker);
            let want = if is_market_buy { self.affordable_qty(market, taker, best) } else { t.open_qty.0 };
            if want == 0 {
                return MatchEnd::Exhausted;
            }
            let mo = self.orders.get(maker);
            let qty = want.min(mo.open_qty.0);
            if self.users_hot[mo.user.index()].stp_group == group {
                out.push(Event::SelfTradePrevented { market, taker_order: t.id, maker_order: mo.id, qty: Qty(qty), mode: stp });
                match stp {
                    StpMode::ExpireTaker => return MatchEnd::ExpiredBySelfTrade,
                    StpMode::ExpireMaker => self.finish(maker, DoneReason::SelfTradePrevented, out),
                    StpMode::ExpireBoth => {
                        self.finish(maker, DoneReason::SelfTradePrevented, out);
                        return MatchEnd::ExpiredBySelfTrade;
                    }
                    StpMode::Decrement => {
                        if self.decrement(market, maker, taker, best, qty, out) {
                            return MatchEnd::ExpiredBySelfTrade;
                        }
                    }
                }
                continue;
            }
            self.fill(market, maker, taker, best, Qty(qty), out);
            if self.orders.get(maker).open_qty.0 == 0 {
                self.finish(maker, DoneReason::Filled, out);
            }
        }
    }

    /// Largest quantity on the grid a market buy can still pay for at `price`.
    fn affordable_qty(&self, market: MarketId, taker: u32, price: Price) -> u64 {
        let m = &self.markets[market.index()];
        let t = self.orders.get(taker);
        let budget_scaled = t.budget as u128 * m.notional_divisor;
        let room = budget_scaled - t.cum_quote_scaled;
        let qty = (room / price.0 as u128).min(talat_core::money::MAX_QTY as u128) as u64;
        qty - qty % m.spec.qty_step
    }

    /// Decrement-mode self-trade prevention: both orders shrink by `qty` without trading; the
    /// maker expires if it reaches zero. Returns whether the taker reached zero.
    fn decrement(&mut self, market: MarketId, maker: u32, taker: u32, price: Price, qty: u64, out: &mut Vec<Event>) -> bool {
        let divisor = self.markets[market.index()].notional_divisor;
        let mo = self.orders.get_mut(maker);
        mo.open_qty.0 -= qty;
        let (maker_level, maker_done) = (mo.level, mo.open_qty.0 == 0);
        self.markets[market.index()].book.reduce_level(maker_level, qty);
        self.release_excess_hold(market, maker, out);
        if maker_done {
            self.finish(maker, DoneReason::SelfTradePrevented, out);
        }
        let t = self.orders.get_mut(taker);
        if t.side == Side::Buy && t.price.0 == 0 {
            // A market buy shrinks by the value of the prevented quantity.
            let value = div_ceil_u128(price.0 as u128 * qty as u128, divisor) as u64;
            t.budget -= value.min(t.budget - t.cum_quote_settled);
        } else {
            t.open_qty.0 -= qty;
        }
        let taker_done = if t.price.0 == 0 && t.side == Side::Buy { t.budget == t.cum_quote_settled } else { t.open_qty.0 == 0 };
        self.release_excess_hold(market, taker, out);
        taker_done
    }

    /// Executes one fill between a resting `maker` and the incoming `taker`.
    fn fill(&mut self, market: MarketId, maker: u32, taker: u32, price: Price, qty: Qty, out: &mut Vec<Event>) {
        let m = &self.markets[market.index()];
        let (base, quote, divisor) = (m.base, m.quote, m.notional_divisor);
        let (maker_fee_ppm, taker_fee_ppm) = (m.spec.maker_fee_ppm, m.spec.taker_fee_ppm);
        let taker_side = self.orders.get(taker).side;
        let (buy, sell, buy_fee_ppm, sell_fee_ppm) = match taker_side {
            Side::Buy => (taker, maker, taker_fee_ppm, maker_fee_ppm),
            Side::Sell => (maker, taker, maker_fee_ppm, taker_fee_ppm),
        };

        let b = self.orders.get_mut(buy);
        let paid = b.settle_fill(price, qty, divisor);
        let buyer_fee = b.charge_fee(qty.0, buy_fee_ppm);
        b.held -= paid;
        if b.price.0 > 0 {
            b.open_qty.0 -= qty.0;
        }
        let (buyer, buy_id) = (b.user, b.id);

        let s = self.orders.get_mut(sell);
        let received = s.settle_fill(price, qty, divisor);
        let seller_fee = s.charge_fee(received, sell_fee_ppm);
        s.held -= qty.0;
        s.open_qty.0 -= qty.0;
        let (seller, sell_id) = (s.user, s.id);

        let maker_level = self.orders.get(maker).level;
        let m = &mut self.markets[market.index()];
        m.book.reduce_level(maker_level, qty.0);
        m.set_last_price(price);

        let ledger = &mut self.ledger;
        ledger.post(quote, Account::Held(buyer), Account::Available(seller), paid.min(received), PostingCause::Trade, out);
        if paid > received {
            ledger.post(quote, Account::Held(buyer), Account::Rounding, paid - received, PostingCause::TradeRounding, out);
        } else if received > paid {
            ledger.post(quote, Account::Rounding, Account::Available(seller), received - paid, PostingCause::TradeRounding, out);
        }
        ledger.post(base, Account::Held(seller), Account::Available(buyer), qty.0, PostingCause::Trade, out);
        ledger.post(base, Account::Available(buyer), Account::FeeRevenue, buyer_fee, PostingCause::TradeFee, out);
        ledger.post(quote, Account::Available(seller), Account::FeeRevenue, seller_fee, PostingCause::TradeFee, out);

        // A buy that filled below its limit holds more than it can still need.
        self.release_excess_hold(market, buy, out);

        let (maker_order, taker_order, maker_user, taker_user) = match taker_side {
            Side::Buy => (sell_id, buy_id, seller, buyer),
            Side::Sell => (buy_id, sell_id, buyer, seller),
        };
        let (maker_fee, taker_fee) = match taker_side {
            Side::Buy => (seller_fee, buyer_fee),
            Side::Sell => (buyer_fee, seller_fee),
        };
        out.push(Event::Trade {
            market,
            maker_order,
            taker_order,
            maker_user,
            taker_user,
            taker_side,
            price,
            qty,
            quote_paid: Amount(paid),
            quote_received: Amount(received),
            maker_fee: Amount(maker_fee),
            taker_fee: Amount(taker_fee),
        });
    }

    /// Returns to the user whatever the order holds beyond what it can still need.
    fn release_excess_hold(&mut self, market: MarketId, slot: u32, out: &mut Vec<Event>) {
        let m = &self.markets[market.index()];
        let o = self.orders.get_mut(slot);
        let required = o.required_hold(m.notional_divisor);
        assert!(required <= o.held, "order {} needs more than it holds", o.id);
        let excess = o.held - required;
        if excess > 0 {
            o.held = required;
            let (user, asset) = (o.user, m.held_asset(o.side));
            self.ledger.post(asset, Account::Held(user), Account::Available(user), excess, PostingCause::OrderRelease, out);
        }
    }

    /// Ends a live order: off the book (or the stop list), its hold released, forgotten.
    pub(crate) fn finish(&mut self, slot: u32, reason: DoneReason, out: &mut Vec<Event>) {
        let o = self.orders.get(slot);
        let (market, side, state, stop_price, id) = (o.market, o.side, o.state, o.stop_price, o.id);
        let book = &mut self.markets[market.index()].book;
        match state {
            OrderState::Resting => book.unlink(&mut self.orders, slot),
            OrderState::Stop => book.remove_stop(side, stop_price, id),
            OrderState::Taking => {}
        }
        self.unlink_user_order(slot);
        let o = self.orders.remove(slot);
        let asset = self.markets[market.index()].held_asset(side);
        self.ledger.post(asset, Account::Held(o.user), Account::Available(o.user), o.held, PostingCause::OrderRelease, out);
        out.push(Event::OrderDone { order: o.id, reason, remaining: o.open_qty });
    }

    /// Activates stop orders the market's last price has reached, one at a time, until none is
    /// left to trigger. Each activation removes a stop, so the loop is bounded by their number.
    pub(crate) fn run_triggered_stops(&mut self, market: MarketId, out: &mut Vec<Event>) {
        loop {
            let m = &mut self.markets[market.index()];
            if m.spec.mode != TradingMode::Open || !m.book.has_stops() {
                return;
            }
            let Some(last) = m.last_price else { return };
            let Some(slot) = m.book.pop_triggered_stop(last) else { return };
            let o = self.orders.get_mut(slot);
            debug_assert_eq!(o.state, OrderState::Stop);
            o.state = OrderState::Taking;
            out.push(Event::StopTriggered { order: o.id, market });
            self.take(market, slot, TimeInForce::Gtc, out);
        }
    }
}
