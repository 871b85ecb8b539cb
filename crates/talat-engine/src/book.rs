//! One market's order book: price levels per side, each a FIFO queue threaded through the order
//! slab, and the stop orders waiting for a trigger. Levels live in `BTreeMap`s keyed by price:
//! a market has a few hundred to a few thousand live levels, where a B-tree costs ~50 ns and
//! keeps iteration ordered and deterministic.

use crate::orders::{OrderStore, NIL};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use talat_core::{OrderId, Price, Side};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub head: u32,
    pub tail: u32,
    pub total_qty: u64,
    pub count: u32,
}

#[derive(Default)]
pub struct Book {
    /// Best bid is the last key.
    pub bids: BTreeMap<u64, Level>,
    /// Best ask is the first key.
    pub asks: BTreeMap<u64, Level>,
    /// Buy stops trigger when the last price rises to their stop: lowest stop first, then oldest.
    pub buy_stops: BTreeMap<(u64, OrderId), u32>,
    /// Sell stops trigger when the last price falls to their stop: highest stop first, then oldest.
    pub sell_stops: BTreeMap<(Reverse<u64>, OrderId), u32>,
}

impl Book {
    #[inline]
    pub fn side(&self, side: Side) -> &BTreeMap<u64, Level> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    pub fn side_mut(&mut self, side: Side) -> &mut BTreeMap<u64, Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    #[inline]
    pub fn best(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.bids.last_key_value().map(|(p, _)| Price(*p)),
            Side::Sell => self.asks.first_key_value().map(|(p, _)| Price(*p)),
        }
    }

    /// Whether an order on `side` at `price` would match the opposite side's best.
    #[inline]
    pub fn crosses(&self, side: Side, price: Price) -> bool {
        match (side, self.best(side.opposite())) {
            (_, None) => false,
            (Side::Buy, Some(best_ask)) => price >= best_ask,
            (Side::Sell, Some(best_bid)) => price <= best_bid,
        }
    }

    /// Appends the order in `slot` to the back of its price level.
    pub fn push_back(&mut self, orders: &mut OrderStore, slot: u32) {
        let (side, price, qty) = {
            let o = orders.get(slot);
            (o.side, o.price.0, o.open_qty.0)
        };
        debug_assert!(qty > 0);
        let level = self.side_mut(side).entry(price).or_insert(Level { head: NIL, tail: NIL, total_qty: 0, count: 0 });
        let old_tail = level.tail;
        level.tail = slot;
        if old_tail == NIL {
            level.head = slot;
        }
        level.total_qty += qty;
        level.count += 1;
        let o = orders.get_mut(slot);
        o.prev = old_tail;
        o.next = NIL;
        if old_tail != NIL {
            orders.get_mut(old_tail).next = slot;
        }
    }

    /// Unlinks the order in `slot` from its level, dropping the level if it empties.
    pub fn unlink(&mut self, orders: &mut OrderStore, slot: u32) {
        let (side, price, qty, prev, next) = {
            let o = orders.get(slot);
            (o.side, o.price.0, o.open_qty.0, o.prev, o.next)
        };
        let levels = self.side_mut(side);
        let level = levels.get_mut(&price).expect("unlinking an order from a missing level");
        level.total_qty -= qty;
        level.count -= 1;
        if level.count == 0 {
            debug_assert_eq!(level.total_qty, 0);
            levels.remove(&price);
        } else {
            if level.head == slot {
                level.head = next;
            }
            if level.tail == slot {
                level.tail = prev;
            }
        }
        if prev != NIL {
            orders.get_mut(prev).next = next;
        }
        if next != NIL {
            orders.get_mut(next).prev = prev;
        }
        let o = orders.get_mut(slot);
        o.prev = NIL;
        o.next = NIL;
    }

    /// Reduces a resting order's level total after its open quantity fell by `qty` in place.
    #[inline]
    pub fn reduce_level(&mut self, side: Side, price: Price, qty: u64) {
        let level = self.side_mut(side).get_mut(&price.0).expect("reducing a missing level");
        level.total_qty -= qty;
    }

    pub fn add_stop(&mut self, side: Side, stop_price: Price, id: OrderId, slot: u32) {
        match side {
            Side::Buy => self.buy_stops.insert((stop_price.0, id), slot),
            Side::Sell => self.sell_stops.insert((Reverse(stop_price.0), id), slot),
        };
    }

    pub fn remove_stop(&mut self, side: Side, stop_price: Price, id: OrderId) {
        let removed = match side {
            Side::Buy => self.buy_stops.remove(&(stop_price.0, id)),
            Side::Sell => self.sell_stops.remove(&(Reverse(stop_price.0), id)),
        };
        assert!(removed.is_some(), "removing a missing stop order");
    }

    /// The next stop the last trade price `last` triggers, removed from the waiting set. Buy
    /// stops are served before sell stops; within a side, by trigger price then age.
    pub fn pop_triggered_stop(&mut self, last: Price) -> Option<u32> {
        if let Some(entry) = self.buy_stops.first_entry() {
            if entry.key().0 <= last.0 {
                return Some(entry.remove());
            }
        }
        if let Some(entry) = self.sell_stops.first_entry() {
            if entry.key().0 .0 >= last.0 {
                return Some(entry.remove());
            }
        }
        None
    }

    /// Slots of one side's resting orders, best price first, oldest first within a level.
    pub fn queue_order(&self, orders: &OrderStore, side: Side) -> Vec<u32> {
        let mut slots = Vec::new();
        let mut visit = |level: &Level| {
            let mut slot = level.head;
            while slot != NIL {
                slots.push(slot);
                slot = orders.get(slot).next;
            }
        };
        match side {
            Side::Buy => self.bids.values().rev().for_each(&mut visit),
            Side::Sell => self.asks.values().for_each(&mut visit),
        }
        slots
    }
}
