//! One market's order book: price levels per side, each a FIFO queue threaded through the order
//! slab, and the stop orders waiting for a trigger. A market has a few hundred to a few thousand
//! live levels; they are ordered by a `BTreeMap` (deterministic iteration, ~50 ns a search) that
//! is touched only when a level appears or disappears.

use crate::orders::{OrderStore, NIL};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use talat_core::{OrderId, Price, Side};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: u64,
    pub head: u32,
    pub tail: u32,
    pub total_qty: u64,
    pub count: u32,
}

/// Price levels live in a slab; each side's `BTreeMap` maps price → level slot and is searched
/// only when a level appears or disappears. A resting order knows its level slot, so filling,
/// reducing or unlinking it costs no search, and the best price of each side is cached.
#[derive(Default)]
pub struct Book {
    levels: Vec<Level>,
    free_levels: Vec<u32>,
    bid_index: BTreeMap<u64, u32>,
    ask_index: BTreeMap<u64, u32>,
    /// Price → level slot for lookups only (never iterated): a hash probe instead of a B-tree
    /// search for the common case of joining an existing level.
    bid_lookup: FxHashMap<u64, u32>,
    ask_lookup: FxHashMap<u64, u32>,
    best_bid: Option<(u64, u32)>,
    best_ask: Option<(u64, u32)>,
    /// Buy stops trigger when the last price rises to their stop: lowest stop first, then oldest.
    pub buy_stops: BTreeMap<(u64, OrderId), u32>,
    /// Sell stops trigger when the last price falls to their stop: highest stop first, then oldest.
    pub sell_stops: BTreeMap<(Reverse<u64>, OrderId), u32>,
}

impl Book {
    #[inline]
    fn index(&self, side: Side) -> &BTreeMap<u64, u32> {
        match side {
            Side::Buy => &self.bid_index,
            Side::Sell => &self.ask_index,
        }
    }

    /// Levels of one side, best first.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = &Level> + '_> {
        let level = move |(_, &slot): (&u64, &u32)| &self.levels[slot as usize];
        match side {
            Side::Buy => Box::new(self.bid_index.iter().rev().map(level)),
            Side::Sell => Box::new(self.ask_index.iter().map(level)),
        }
    }

    pub fn level_count(&self, side: Side) -> usize {
        self.index(side).len()
    }

    #[inline]
    pub fn best(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.best_bid.map(|(p, _)| Price(p)),
            Side::Sell => self.best_ask.map(|(p, _)| Price(p)),
        }
    }

    /// The best price of a side and the oldest order at it.
    #[inline]
    pub fn best_head(&self, side: Side) -> Option<(Price, u32)> {
        let best = match side {
            Side::Buy => self.best_bid,
            Side::Sell => self.best_ask,
        };
        best.map(|(price, level)| (Price(price), self.levels[level as usize].head))
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

    /// The level slot for `price` on `side`, created (and the best updated) if new.
    fn level_for(&mut self, side: Side, price: u64) -> u32 {
        let (index, lookup) = match side {
            Side::Buy => (&mut self.bid_index, &mut self.bid_lookup),
            Side::Sell => (&mut self.ask_index, &mut self.ask_lookup),
        };
        if let Some(&slot) = lookup.get(&price) {
            return slot;
        }
        let level = Level { price, head: NIL, tail: NIL, total_qty: 0, count: 0 };
        let slot = match self.free_levels.pop() {
            Some(slot) => {
                self.levels[slot as usize] = level;
                slot
            }
            None => {
                self.levels.push(level);
                (self.levels.len() - 1) as u32
            }
        };
        index.insert(price, slot);
        lookup.insert(price, slot);
        match side {
            Side::Buy if self.best_bid.is_none_or(|(best, _)| price > best) => self.best_bid = Some((price, slot)),
            Side::Sell if self.best_ask.is_none_or(|(best, _)| price < best) => self.best_ask = Some((price, slot)),
            _ => {}
        }
        slot
    }

    /// Drops an empty level; if it was the best, the next one becomes best.
    fn drop_level(&mut self, side: Side, price: u64, slot: u32) {
        self.free_levels.push(slot);
        match side {
            Side::Buy => {
                self.bid_index.remove(&price);
                self.bid_lookup.remove(&price);
                if self.best_bid.is_some_and(|(_, s)| s == slot) {
                    self.best_bid = self.bid_index.last_key_value().map(|(p, s)| (*p, *s));
                }
            }
            Side::Sell => {
                self.ask_index.remove(&price);
                self.ask_lookup.remove(&price);
                if self.best_ask.is_some_and(|(_, s)| s == slot) {
                    self.best_ask = self.ask_index.first_key_value().map(|(p, s)| (*p, *s));
                }
            }
        }
    }

    /// Appends the order in `slot` to the back of its price level.
    pub fn push_back(&mut self, orders: &mut OrderStore, slot: u32) {
        let (side, price, qty) = {
            let o = orders.get(slot);
            (o.side, o.price.0, o.open_qty.0)
        };
        debug_assert!(qty > 0);
        let level_slot = self.level_for(side, price);
        let level = &mut self.levels[level_slot as usize];
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
        o.level = level_slot;
        if old_tail != NIL {
            orders.get_mut(old_tail).next = slot;
        }
    }

    /// Unlinks the order in `slot` from its level, dropping the level if it empties.
    pub fn unlink(&mut self, orders: &mut OrderStore, slot: u32) {
        let (side, qty, prev, next, level_slot) = {
            let o = orders.get(slot);
            (o.side, o.open_qty.0, o.prev, o.next, o.level)
        };
        let level = &mut self.levels[level_slot as usize];
        debug_assert!(level.count > 0, "unlinking from an empty level");
        level.total_qty -= qty;
        level.count -= 1;
        if level.count == 0 {
            debug_assert_eq!(level.total_qty, 0);
            let price = level.price;
            self.drop_level(side, price, level_slot);
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
        o.level = NIL;
    }

    /// Reduces a level's total after one of its orders' open quantity fell by `qty` in place.
    #[inline]
    pub fn reduce_level(&mut self, level: u32, qty: u64) {
        self.levels[level as usize].total_qty -= qty;
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
        for level in self.levels(side) {
            let mut slot = level.head;
            while slot != NIL {
                slots.push(slot);
                slot = orders.get(slot).next;
            }
        }
        slots
    }
}
