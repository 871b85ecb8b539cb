//! The engine's invariants (DESIGN.md): conservation per asset, held = owed, no negative or
//! inconsistent account, a consistent uncrossed book. Checked after every command in debug
//! builds and tests; on demand (`talat verify`) in release.

use crate::orders::{OrderState, NIL};
use crate::{Engine, WithdrawalState};
use std::collections::BTreeMap;
use talat_core::{AssetId, Price, Side, UserId};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvariantViolation(pub String);

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(InvariantViolation(format!($($fmt)+)));
        }
    };
}

impl Engine {
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        self.check_conservation()?;
        self.check_books()?;
        self.check_held_equals_owed()?;
        self.check_user_lists()?;
        ensure!(
            self.client_ids.len() == self.client_id_fifo.len() && self.client_ids.len() <= self.config.client_id_window as usize,
            "client id index ({}) and its eviction queue ({}) disagree",
            self.client_ids.len(),
            self.client_id_fifo.len()
        );
        Ok(())
    }

    fn check_conservation(&self) -> Result<(), InvariantViolation> {
        for (i, spec) in self.assets.iter().enumerate() {
            let asset = AssetId(i as u16);
            let sum = self.ledger.sum(asset);
            ensure!(sum == 0, "asset {}: postings sum to {sum}, not zero", spec.code);
            let s = self.ledger.system(asset);
            ensure!(s.fee_revenue >= 0, "asset {}: fee revenue negative ({})", spec.code, s.fee_revenue);
            ensure!(s.rounding >= 0, "asset {}: rounding account negative ({})", spec.code, s.rounding);
            ensure!(s.compensation <= 0, "asset {}: compensation account positive ({})", spec.code, s.compensation);
        }
        Ok(())
    }

    fn check_books(&self) -> Result<(), InvariantViolation> {
        let mut on_books = 0usize;
        for (mi, m) in self.markets.iter().enumerate() {
            for side in [Side::Buy, Side::Sell] {
                for level in m.book.levels(side) {
                    let price = level.price;
                    let (mut slot, mut prev, mut count, mut total) = (level.head, NIL, 0u32, 0u64);
                    while slot != NIL {
                        let o = self.orders.get(slot);
                        ensure!(o.state == OrderState::Resting, "order {} on the book is not resting", o.id);
                        ensure!(o.market.index() == mi && o.side == side && o.price.0 == price, "order {} is on the wrong level", o.id);
                        ensure!(o.open_qty.0 > 0, "order {} rests with nothing open", o.id);
                        ensure!(self.orders.links(slot).prev == prev, "order {} has a broken back link", o.id);

                        count += 1;
                        total += o.open_qty.0;
                        ensure!(count <= level.count, "level {price} of market {mi} has more orders than counted");
                        prev = slot;
                        slot = self.orders.links(slot).next;
                    }
                    ensure!(level.tail == prev, "level {price} of market {mi} has a wrong tail");
                    ensure!(count == level.count && count > 0, "level {price} of market {mi}: count {} vs {count}", level.count);
                    ensure!(total == level.total_qty, "level {price} of market {mi}: total {} vs {total}", level.total_qty);
                    on_books += count as usize;
                }
            }
            ensure!(m.band() == m.compute_band(), "market {} caches a stale price band", m.spec.symbol);
            ensure!(m.price_grid.step() == m.spec.price_step && m.qty_grid.step() == m.spec.qty_step, "market {} caches a stale grid", m.spec.symbol);
            ensure!(m.book.price_step() == m.spec.price_step, "market {}'s book indexes a stale price step", m.spec.symbol);
            for side in [Side::Buy, Side::Sell] {
                let (live, empty) = (m.book.level_count(side), m.book.empty_level_count(side));
                ensure!(live == m.book.levels(side).count(), "market {} miscounts its live levels", m.spec.symbol);
                ensure!(m.book.lookup_agrees(side), "market {}'s price ladder disagrees with its level index", m.spec.symbol);
                ensure!(empty <= (2 * live).max(crate::book::EMPTY_LEVELS_FLOOR), "market {} keeps {empty} empty levels", m.spec.symbol);
                let first = m.book.levels(side).next().map(|l| Price(l.price));
                ensure!(m.book.best(side) == first, "market {} caches a stale best {:?} price", m.spec.symbol, side);
            }
            if let (Some(bid), Some(ask)) = (m.book.best(Side::Buy), m.book.best(Side::Sell)) {
                ensure!(bid < ask, "market {} is crossed: bid {} ≥ ask {}", m.spec.symbol, bid.0, ask.0);
            }
            for &slot in m.book.buy_stops.values().chain(m.book.sell_stops.values()) {
                let o = self.orders.get(slot);
                ensure!(o.state == OrderState::Stop && o.market.index() == mi, "stop order {} is misplaced", o.id);
                on_books += 1;
            }
        }
        ensure!(on_books == self.orders.len(), "{} live orders but {on_books} on books and stop lists", self.orders.len());
        for (slot, o) in self.orders.iter() {
            ensure!(self.orders.slot_of(o.id) == Some(slot), "order {} is not found by its id", o.id);
        }
        Ok(())
    }

    /// Every user's held balance of every asset equals what their live orders and pending
    /// withdrawals reserve, and each order holds exactly what it can still need.
    fn check_held_equals_owed(&self) -> Result<(), InvariantViolation> {
        let mut owed: BTreeMap<(UserId, AssetId), u64> = BTreeMap::new();
        for (_, o) in self.orders.iter() {
            let m = &self.markets[o.market.index()];
            let required = o.required_hold(m.notional_divisor);
            ensure!(o.held == required, "order {} holds {} but needs {required}", o.id, o.held);
            *owed.entry((o.user, m.held_asset(o.side))).or_default() += o.held;
        }
        for w in self.withdrawals.values() {
            if let WithdrawalState::Pending { user, asset, amount, fee, .. } = w {
                *owed.entry((*user, *asset)).or_default() += amount + fee;
            }
        }
        for u in 0..self.users.len() {
            let user = UserId(u as u32);
            for (a, balance) in self.ledger.user_balances(user).iter().enumerate() {
                let asset = AssetId(a as u16);
                let expected = owed.remove(&(user, asset)).unwrap_or(0);
                ensure!(balance.held == expected, "user {user} asset {asset}: held {} but owed {expected}", balance.held);
            }
        }
        ensure!(owed.values().all(|&v| v == 0), "holds exist for accounts the ledger has never touched");
        Ok(())
    }

    fn check_user_lists(&self) -> Result<(), InvariantViolation> {
        let mut total = 0usize;
        ensure!(self.users_hot.len() == self.users.len(), "user tables differ in length");
        for (u, (state, hot)) in self.users.iter().zip(&self.users_hot).enumerate() {
            ensure!(hot.stp_group == state.stp_group && hot.can_trade == state.limits.can_trade, "user {u}'s cached group or trading permission is stale");
            let state = hot;
            let (mut slot, mut prev, mut count, mut last_id) = (state.orders_head, NIL, 0u32, 0u64);
            while slot != NIL {
                let o = self.orders.get(slot);
                ensure!(o.user.index() == u, "order {} is in the wrong user's list", o.id);
                ensure!(self.orders.links(slot).user_prev == prev, "order {} has a broken user back link", o.id);
                ensure!(o.id.0 > last_id, "user {u}'s orders are out of placement order");
                last_id = o.id.0;
                count += 1;
                ensure!(count <= state.open_orders, "user {u} has more orders listed than counted");
                prev = slot;
                slot = self.orders.links(slot).user_next;
            }
            ensure!(state.orders_tail == prev, "user {u}'s order list has a wrong tail");
            ensure!(count == state.open_orders, "user {u}: {} open orders counted, {count} listed", state.open_orders);
            total += count as usize;
        }
        ensure!(total == self.orders.len(), "user lists hold {total} orders, {} are live", self.orders.len());
        Ok(())
    }
}
