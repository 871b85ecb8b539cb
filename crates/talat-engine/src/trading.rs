//! Order entry: place, amend, cancel, cancel-all. Each handler validates the whole command
//! first (mode, tier, grid, band, minimum size, balance) and only then mutates.

use crate::orders::{Order, OrderState, NIL};
use crate::{Checked, Engine, MarketState};
use talat_core::money::{div_ceil_u128, notional_scaled, BPS_ONE, MAX_AMOUNT, MAX_PRICE, MAX_QTY};
use talat_core::{
    Account, DoneReason, Event, MarketId, NewOrder, OrderId, OrderKind, PostingCause, Price, Qty, RejectReason, Side, StpMode, TimeInForce, TradingMode, UserId,
};

/// What an order entering the book is, after validation.
struct Admitted {
    price: Price,
    stop_price: Price,
    qty: Qty,
    budget: u64,
    hold: u64,
    tif: TimeInForce,
}

impl MarketState {
    /// Inclusive price limits of the band around the reference price, if a band applies.
    #[inline]
    pub(crate) fn band(&self) -> Option<(u64, u64)> {
        self.band_limits
    }

    pub(crate) fn compute_band(&self) -> Option<(u64, u64)> {
        let reference = self.reference_price()?.0 as u128;
        let band_bps = self.spec.band_bps as u128;
        if band_bps == 0 {
            return None;
        }
        let low = div_ceil_u128(reference * (BPS_ONE as u128 - band_bps), BPS_ONE as u128) as u64;
        let high = (reference * (BPS_ONE as u128 + band_bps) / BPS_ONE as u128) as u64;
        Some((low, high))
    }

    fn check_price(&self, price: Price) -> Checked<()> {
        if price.0 == 0 || price.0 > MAX_PRICE || !self.price_grid.divides(price.0) {
            return Err(RejectReason::InvalidRate);
        }
        Ok(())
    }

    fn check_qty(&self, qty: Qty) -> Checked<()> {
        if qty.0 == 0 || qty.0 > MAX_QTY || !self.qty_grid.divides(qty.0) {
            return Err(RejectReason::InvalidAmount);
        }
        Ok(())
    }

    fn check_band(&self, price: Price) -> Checked<()> {
        match self.band() {
            Some((low, high)) if price.0 < low || price.0 > high => Err(RejectReason::OutsidePriceBand),
            _ => Ok(()),
        }
    }

    /// Quote value of `qty` at `price`, rounded down, against the market's minimum:
    /// `floor(p·q / D) ≥ min ⟺ p·q ≥ min·D` for a whole `min`.
    #[inline]
    fn check_min_quote(&self, price: Price, qty: Qty) -> Checked<()> {
        if notional_scaled(price, qty) < self.min_quote_scaled {
            return Err(RejectReason::AmountTooLow);
        }
        Ok(())
    }

    /// Quote a buy of `qty` at `price` must hold: the value rounded up.
    fn buy_hold(&self, price: Price, qty: Qty) -> Checked<u64> {
        let hold = div_ceil_u128(notional_scaled(price, qty), self.notional_divisor);
        if hold > MAX_AMOUNT as u128 {
            return Err(RejectReason::InvalidAmount);
        }
        Ok(hold as u64)
    }

    /// Whether the market's mode lets a new order of this kind in.
    fn check_mode_for_new(&self, kind: &OrderKind) -> Checked<()> {
        match self.spec.mode {
            TradingMode::Open => Ok(()),
            TradingMode::PostOnly => match kind {
                OrderKind::Limit { tif: TimeInForce::PostOnly, .. } => Ok(()),
                _ => Err(RejectReason::PostOnlyMode),
            },
            TradingMode::CancelOnly => Err(RejectReason::CancelOnlyMode),
            TradingMode::Halted => Err(RejectReason::MarketHalted),
        }
    }
}

impl Engine {
    fn check_trading_allowed(&self, user: UserId, market: MarketId) -> Checked<&MarketState> {
        let u = self.user_hot(user)?;
        let m = self.market(market)?;
        if self.maintenance {
            return Err(RejectReason::Maintenance);
        }
        if m.spec.mode == TradingMode::Halted {
            return Err(RejectReason::MarketHalted);
        }
        if !u.can_trade {
            return Err(RejectReason::TradingNotAllowed);
        }
        Ok(m)
    }

    pub(crate) fn place_order(&mut self, new: &NewOrder, out: &mut Vec<Event>) -> Checked<()> {
        let m = self.check_trading_allowed(new.user, new.market)?;
        m.check_mode_for_new(&new.kind)?;
        if let Some(client_id) = &new.client_id {
            if !client_id.is_valid() {
                return Err(RejectReason::InvalidParameter);
            }
            if let Some(first) = self.client_ids.get(&(new.user, client_id.clone())) {
                out.push(Event::Duplicate { order: Some(*first) });
                return Ok(());
            }
        }
        if self.users_hot[new.user.index()].open_orders >= self.config.max_open_orders_per_user || self.orders.len() >= self.config.max_live_orders as usize {
            return Err(RejectReason::TooManyOpenOrders);
        }
        let admitted = self.admit(m, new)?;
        let held_asset = m.held_asset(new.side);
        if self.ledger.available(new.user, held_asset) < admitted.hold {
            return Err(RejectReason::InsufficientBalance);
        }
        if admitted.tif == TimeInForce::Fok && !self.fok_fillable(new, admitted.price, admitted.qty) {
            // Killed without touching anything but the order id.
            let order = self.next_id();
            out.push(Event::OrderAccepted { order, user: new.user, market: new.market, side: new.side, client_id: new.client_id.clone() });
            out.push(Event::OrderDone { order, reason: DoneReason::Killed, remaining: admitted.qty });
            self.remember_client_id(new, order);
            return Ok(());
        }

        // ---- validated: mutate from here on ----
        let id = self.next_id();
        self.remember_client_id(new, id);
        let is_stop = matches!(new.kind, OrderKind::StopLimit { .. });
        let slot = self.orders.insert(Order {
            id,
            user: new.user,
            market: new.market,
            side: new.side,
            state: if is_stop { OrderState::Stop } else { OrderState::Taking },
            price: admitted.price,
            stop_price: admitted.stop_price,
            open_qty: admitted.qty,
            filled_qty: Qty(0),
            budget: admitted.budget,
            post_only: admitted.tif == TimeInForce::PostOnly,
            stp: new.stp,
            ts_ms: self.last_ts_ms,
            client_id: new.client_id.clone(),
            held: admitted.hold,
            cum_quote_scaled: 0,
            cum_quote_settled: 0,
            cum_fee_scaled: 0,
            cum_fee_charged: 0,
            level: NIL,
        });
        self.link_user_order(slot);
        out.push(Event::OrderAccepted { order: id, user: new.user, market: new.market, side: new.side, client_id: new.client_id.clone() });
        self.ledger.post(held_asset, Account::Available(new.user), Account::Held(new.user), admitted.hold, PostingCause::OrderHold, out);
        if is_stop {
            self.markets[new.market.index()].book.add_stop(new.side, admitted.stop_price, id, slot);
            out.push(Event::StopAccepted { order: id, market: new.market, stop_price: admitted.stop_price });
            return Ok(());
        }
        self.take(new.market, slot, admitted.tif, out);
        self.run_triggered_stops(new.market, out);
        Ok(())
    }

    /// Validates the order's kind against the market: grid, band, minimum size, and what it
    /// must hold.
    fn admit(&self, m: &MarketState, new: &NewOrder) -> Checked<Admitted> {
        match new.kind {
            OrderKind::Limit { price, qty, tif } => {
                m.check_price(price)?;
                m.check_qty(qty)?;
                m.check_band(price)?;
                m.check_min_quote(price, qty)?;
                if tif == TimeInForce::PostOnly && m.book.crosses(new.side, price) {
                    return Err(RejectReason::PostOnlyWouldTake);
                }
                let hold = match new.side {
                    Side::Buy => m.buy_hold(price, qty)?,
                    Side::Sell => qty.0,
                };
                Ok(Admitted { price, stop_price: Price(0), qty, budget: 0, hold, tif })
            }
            OrderKind::Market { amount } => {
                if amount.0 == 0 || amount.0 > MAX_AMOUNT {
                    return Err(RejectReason::InvalidAmount);
                }
                match new.side {
                    Side::Buy => {
                        if amount < m.spec.min_quote {
                            return Err(RejectReason::AmountTooLow);
                        }
                        Ok(Admitted { price: Price(0), stop_price: Price(0), qty: Qty(0), budget: amount.0, hold: amount.0, tif: TimeInForce::Ioc })
                    }
                    Side::Sell => {
                        let qty = Qty(amount.0);
                        m.check_qty(qty)?;
                        if let Some(price) = m.reference_price().or(m.book.best(Side::Buy)) {
                            m.check_min_quote(price, qty)?;
                        }
                        Ok(Admitted { price: Price(0), stop_price: Price(0), qty, budget: 0, hold: qty.0, tif: TimeInForce::Ioc })
                    }
                }
            }
            OrderKind::StopLimit { stop_price, price, qty } => {
                m.check_price(stop_price)?;
                m.check_price(price)?;
                m.check_qty(qty)?;
                m.check_band(price)?;
                m.check_min_quote(price, qty)?;
                if let Some(last) = m.reference_price() {
                    let triggers_now = match new.side {
                        Side::Buy => last >= stop_price,
                        Side::Sell => last <= stop_price,
                    };
                    if triggers_now {
                        return Err(RejectReason::StopWouldTrigger);
                    }
                }
                let hold = match new.side {
                    Side::Buy => m.buy_hold(price, qty)?,
                    Side::Sell => qty.0,
                };
                Ok(Admitted { price, stop_price, qty, budget: 0, hold, tif: TimeInForce::Gtc })
            }
        }
    }

    /// Would a fill-or-kill fill completely right now? Walks the opposite side in priority
    /// order exactly as matching would, stopping where self-trade prevention would stop the
    /// taker. Bounded by the book's size and stops as soon as the quantity is covered.
    fn fok_fillable(&self, new: &NewOrder, limit: Price, qty: Qty) -> bool {
        let m = &self.markets[new.market.index()];
        let group = self.users_hot[new.user.index()].stp_group;
        let mut covered = 0u64;
        for level in m.book.levels(new.side.opposite()) {
            let acceptable = match new.side {
                Side::Buy => level.price <= limit.0,
                Side::Sell => level.price >= limit.0,
            };
            if !acceptable {
                return false;
            }
            let mut slot = level.head;
            while slot != NIL {
                let maker = self.orders.get(slot);
                if self.users_hot[maker.user.index()].stp_group == group {
                    if new.stp != StpMode::ExpireMaker {
                        return false;
                    }
                } else {
                    covered += maker.open_qty.0;
                    if covered >= qty.0 {
                        return true;
                    }
                }
                slot = self.orders.links(slot).next;
            }
        }
        false
    }

    fn next_id(&mut self) -> OrderId {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        id
    }

    fn remember_client_id(&mut self, new: &NewOrder, id: OrderId) {
        let Some(client_id) = &new.client_id else { return };
        self.client_ids.insert((new.user, client_id.clone()), id);
        self.client_id_fifo.push_back((new.user, client_id.clone(), id));
        while self.client_id_fifo.len() > self.config.client_id_window as usize {
            let (user, client_id, _) = self.client_id_fifo.pop_front().expect("non-empty");
            self.client_ids.remove(&(user, client_id));
        }
    }

    /// Starts loading what acting on a found order reads next (see [`crate::prefetch`]): its
    /// queue links, its level, the balance it holds from and, for an amend to a new price, the
    /// level it moves to; only where prefetching pays (`lookahead_pays`). Changes nothing.
    #[inline]
    fn prefetch_order(&self, slot: u32, new_price: Option<Price>) {
        if !self.lookahead_pays() {
            return;
        }
        self.orders.prefetch_links(slot);
        let o = self.orders.get(slot);
        if let Some(m) = self.markets.get(o.market.index()) {
            self.ledger.prefetch(o.user, m.held_asset(o.side));
            m.book.prefetch_level(o.level);
            if let Some(new_price) = new_price {
                m.book.prefetch_level_at(o.side, new_price);
            }
        }
    }

    pub(crate) fn amend_order(&mut self, user: UserId, id: OrderId, price: Option<Price>, qty: Option<Qty>, out: &mut Vec<Event>) -> Checked<()> {
        self.user_hot(user)?;
        let slot = self.orders.slot_of(id).ok_or(RejectReason::UnknownOrder)?;
        self.prefetch_order(slot, price);
        let o = self.orders.get(slot);
        if o.user != user {
            return Err(RejectReason::UnknownOrder);
        }
        let market = o.market;
        let m = self.check_trading_allowed(user, market)?;
        match m.spec.mode {
            TradingMode::CancelOnly => return Err(RejectReason::CancelOnlyMode),
            TradingMode::Open | TradingMode::PostOnly | TradingMode::Halted => {}
        }
        if o.state != OrderState::Resting {
            return Err(RejectReason::InvalidParameter);
        }
        let new_price = price.unwrap_or(o.price);
        let new_qty = qty.unwrap_or(o.open_qty);
        m.check_price(new_price)?;
        m.check_qty(new_qty)?;
        if new_price == o.price && new_qty == o.open_qty {
            return Err(RejectReason::AmendNoChange);
        }
        if new_price != o.price {
            m.check_band(new_price)?;
        }
        m.check_min_quote(new_price, new_qty)?;
        let crosses = m.book.crosses(o.side, new_price);
        if crosses && (o.post_only || m.spec.mode == TradingMode::PostOnly) {
            return Err(RejectReason::PostOnlyWouldTake);
        }
        let new_hold = match o.side {
            Side::Sell => new_qty.0,
            Side::Buy => {
                let total = div_ceil_u128(o.cum_quote_scaled + notional_scaled(new_price, new_qty), m.notional_divisor);
                if total > MAX_AMOUNT as u128 {
                    return Err(RejectReason::InvalidAmount);
                }
                total as u64 - o.cum_quote_settled
            }
        };
        let held_asset = m.held_asset(o.side);
        if new_hold > o.held && self.ledger.available(user, held_asset) < new_hold - o.held {
            return Err(RejectReason::InsufficientBalance);
        }

        // ---- validated: mutate from here on ----
        let (old_price, old_qty, old_held, post_only, side) = (o.price, o.open_qty, o.held, o.post_only, o.side);
        let kept_priority = new_price == old_price && new_qty <= old_qty;
        let prefetch = self.lookahead_pays();
        let book = &mut self.markets[market.index()].book;
        if kept_priority {
            let level = self.orders.get(slot).level;
            book.reduce_level(level, old_qty.0 - new_qty.0);
        } else {
            if prefetch {
                book.prefetch_tail_at(side, new_price, &self.orders);
            }
            book.unlink(&mut self.orders, slot);
        }
        let o = self.orders.get_mut(slot);
        o.price = new_price;
        o.open_qty = new_qty;
        o.held = new_hold;
        if new_hold > old_held {
            self.ledger.post(held_asset, Account::Available(user), Account::Held(user), new_hold - old_held, PostingCause::OrderHold, out);
        } else {
            self.ledger.post(held_asset, Account::Held(user), Account::Available(user), old_held - new_hold, PostingCause::OrderRelease, out);
        }
        out.push(Event::OrderAmended { order: id, price: new_price, qty: new_qty, kept_priority });
        if !kept_priority {
            self.orders.get_mut(slot).state = OrderState::Taking;
            let tif = if post_only { TimeInForce::PostOnly } else { TimeInForce::Gtc };
            self.take(market, slot, tif, out);
            self.run_triggered_stops(market, out);
        }
        Ok(())
    }

    pub(crate) fn cancel_order(&mut self, user: UserId, id: OrderId, out: &mut Vec<Event>) -> Checked<()> {
        self.user_hot(user)?;
        let slot = self.orders.slot_of(id).ok_or(RejectReason::UnknownOrder)?;
        self.prefetch_order(slot, None);
        let o = self.orders.get(slot);
        if o.user != user {
            return Err(RejectReason::UnknownOrder);
        }
        if self.maintenance {
            return Err(RejectReason::Maintenance);
        }
        if self.markets[o.market.index()].spec.mode == TradingMode::Halted {
            return Err(RejectReason::MarketHalted);
        }
        self.finish(slot, DoneReason::Cancelled, out);
        Ok(())
    }

    /// Cancels every live order of the user, or of the user in one market. Orders in halted
    /// markets stay (a halted market is frozen); naming a halted market is refused.
    pub(crate) fn cancel_all(&mut self, user: UserId, market: Option<MarketId>, out: &mut Vec<Event>) -> Checked<()> {
        self.user_hot(user)?;
        if let Some(market) = market {
            if self.market(market)?.spec.mode == TradingMode::Halted {
                return Err(RejectReason::MarketHalted);
            }
        }
        if self.maintenance {
            return Err(RejectReason::Maintenance);
        }
        let mut slot = self.users_hot[user.index()].orders_head;
        while slot != NIL {
            let o = self.orders.get(slot);
            let next = self.orders.links(slot).user_next;
            let cancellable = market.is_none_or(|m| m == o.market) && self.markets[o.market.index()].spec.mode != TradingMode::Halted;
            if cancellable {
                self.finish(slot, DoneReason::Cancelled, out);
            }
            slot = next;
        }
        Ok(())
    }
}
