//! One market's order book: price levels per side, each a FIFO queue threaded through the order
//! slab, and the stop orders waiting for a trigger. A market has a few hundred to a few thousand
//! live levels; they are ordered by a `BTreeMap` (deterministic iteration, ~50 ns a search) that
//! is touched only when a level appears or disappears.

use crate::ladder::Ladder;
use crate::orders::{Links, OrderStore, NIL};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use talat_core::money::GridStep;
use talat_core::{OrderId, Price, Side};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: u64,
    pub head: u32,
    pub tail: u32,
    pub total_qty: u64,
    pub count: u32,
}

/// Price levels live in a slab; each side's `BTreeMap` orders price → level slot and a
/// [`Ladder`] finds a price's level without a tree search. A resting order knows its level slot, so
/// filling, reducing or unlinking it costs no search, and the best price of each side is cached.
///
/// A level that empties stays indexed (with `count == 0`) so that an order moving onto a recently
/// vacated price — most of an order book's traffic — changes no index. Empty levels are skipped by
/// every reader, dropped when the scan for a new best price passes them, and collected in one
/// ordered pass once they outnumber twice the live levels of their side (and a floor of
/// [`EMPTY_LEVELS_FLOOR`]), which bounds both their memory and that scan.
pub struct Book {
    /// The market's price grid: a resting price's grid index keys the ladders.
    grid: GridStep,
    levels: Vec<Level>,
    free_levels: Vec<u32>,
    /// Scratch for [`Book::level_emptied`]: the empty levels its scan passed. Always empty between calls.
    passed_empty: Vec<(u64, u32)>,
    bids: SideIndex,
    asks: SideIndex,
    /// Buy stops trigger when the last price rises to their stop: lowest stop first, then oldest.
    pub buy_stops: BTreeMap<(u64, OrderId), u32>,
    /// Sell stops trigger when the last price falls to their stop: highest stop first, then oldest.
    pub sell_stops: BTreeMap<(Reverse<u64>, OrderId), u32>,
}

/// Empty levels a side may keep before they are collected, whatever its live level count.
pub const EMPTY_LEVELS_FLOOR: usize = 64;

#[derive(Default)]
struct SideIndex {
    ordered: BTreeMap<u64, u32>,
    /// Grid index → level slot. Lookup only, never iterated.
    lookup: Ladder,
    best: Option<(u64, u32)>,
    live_levels: usize,
    empty_levels: usize,
}

impl Book {
    /// An empty book for a market whose prices are multiples of `price_step`.
    pub fn new(price_step: u64) -> Book {
        Book {
            grid: GridStep::new(price_step),
            levels: Vec::new(),
            free_levels: Vec::new(),
            passed_empty: Vec::new(),
            bids: SideIndex::default(),
            asks: SideIndex::default(),
            buy_stops: BTreeMap::new(),
            sell_stops: BTreeMap::new(),
        }
    }

    /// A resting price's position on the grid. Only grid prices are admitted, so anything else
    /// here is a bug: crash rather than index a level under the wrong key.
    #[inline]
    fn grid_index(grid: &GridStep, price: u64) -> u64 {
        grid.exact_quotient(price).expect("a resting price lies on its market's grid")
    }

    #[inline]
    fn index(&self, side: Side) -> &SideIndex {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Starts loading a resting order's level (`NIL` and unknown slots are ignored).
    #[inline]
    pub fn prefetch_level(&self, slot: u32) {
        if let Some(level) = self.levels.get(slot as usize) {
            crate::prefetch::read(level);
        }
    }

    /// Starts loading the level at `price` on `side`, if there is one, for an order about to
    /// rest there. Off-grid prices (refused later) are ignored.
    #[inline]
    pub fn prefetch_level_at(&self, side: Side, price: Price) {
        if let Some(slot) = self.level_at(side, price.0) {
            self.prefetch_level(slot);
        }
    }

    /// The level slot resting at `price` on `side`, if any; `None` too for a price off the grid.
    #[inline]
    fn level_at(&self, side: Side, price: u64) -> Option<u32> {
        self.grid.exact_quotient(price).and_then(|grid_index| self.index(side).lookup.get(grid_index))
    }

    /// Starts loading the links of the last order at `price` on `side`, which an order joining
    /// that level writes; the level itself was prefetched earlier (`prefetch_level_at`).
    #[inline]
    pub fn prefetch_tail_at(&self, side: Side, price: Price, orders: &OrderStore) {
        if let Some(slot) = self.level_at(side, price.0) {
            let tail = self.levels[slot as usize].tail;
            if tail != NIL {
                orders.prefetch_links(tail);
            }
        }
    }

    /// The price step the ladders index by (an invariant: the market's own).
    pub fn price_step(&self) -> u64 {
        self.grid.step()
    }

    /// Whether the ladder finds exactly the levels the ordered index holds (an invariant).
    pub fn lookup_agrees(&self, side: Side) -> bool {
        let index = self.index(side);
        index.lookup.indexed() == index.ordered.len() && index.ordered.iter().all(|(&price, &slot)| self.level_at(side, price) == Some(slot))
    }

    /// Non-empty levels of one side, best first.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = &Level> + '_> {
        let level = move |(_, &slot): (&u64, &u32)| &self.levels[slot as usize];
        let live = |l: &&Level| l.count > 0;
        match side {
            Side::Buy => Box::new(self.bids.ordered.iter().rev().map(level).filter(live)),
            Side::Sell => Box::new(self.asks.ordered.iter().map(level).filter(live)),
        }
    }

    pub fn level_count(&self, side: Side) -> usize {
        self.index(side).live_levels
    }

    /// Levels kept empty on one side (bounded; see the type's documentation).
    pub fn empty_level_count(&self, side: Side) -> usize {
        self.index(side).empty_levels
    }

    #[inline]
    pub fn best(&self, side: Side) -> Option<Price> {
        self.index(side).best.map(|(p, _)| Price(p))
    }

    /// The best price of a side and the oldest order at it.
    #[inline]
    pub fn best_head(&self, side: Side) -> Option<(Price, u32)> {
        self.index(side).best.map(|(price, level)| (Price(price), self.levels[level as usize].head))
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

    /// The level slot for `price` on `side`, indexed if new, revived if empty; the best is
    /// updated when the level (now about to receive an order) beats it.
    fn level_for(&mut self, side: Side, price: u64) -> u32 {
        let index = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let grid_index = Self::grid_index(&self.grid, price);
        let slot = match index.lookup.get(grid_index) {
            Some(slot) => {
                if self.levels[slot as usize].count == 0 {
                    index.empty_levels -= 1;
                    index.live_levels += 1;
                }
                slot
            }
            None => {
                let level = Level { price, head: NIL, tail: NIL, total_qty: 0, count: 0 };
                let slot = match self.free_levels.pop() {
                    Some(slot) => {
                        self.levels[slot as usize] = level;
                        slot
                    }
                    None => {
                        assert!(self.levels.len() < NIL as usize, "level slab full");
                        self.levels.push(level);
                        (self.levels.len() - 1) as u32
                    }
                };
                index.ordered.insert(price, slot);
                index.lookup.insert(grid_index, slot);
                index.live_levels += 1;
                slot
            }
        };
        let beats_best = match (side, index.best) {
            (_, None) => true,
            (Side::Buy, Some((best, _))) => price > best,
            (Side::Sell, Some((best, _))) => price < best,
        };
        if beats_best {
            index.best = Some((price, slot));
        }
        slot
    }

    /// Marks a level empty; if it was the best, the next live level becomes best. Collects the
    /// side's empty levels when they have grown past their bound.
    fn level_emptied(&mut self, side: Side, price: u64, slot: u32) {
        let levels = &self.levels;
        let index = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        index.live_levels -= 1;
        index.empty_levels += 1;
        if index.best.is_some_and(|(_, s)| s == slot) {
            // The empty levels between the old best and the new one are dropped as they are
            // passed: a best that moves back and forth over them (a busy touch) would otherwise
            // walk them again each time, a cache miss per level. The old best itself stays
            // indexed for the order likely to come back to its price.
            let passed = &mut self.passed_empty;
            debug_assert!(passed.is_empty());
            let mut live = |(p, s): (&u64, &u32)| {
                let found = levels[*s as usize].count > 0;
                if !found {
                    passed.push((*p, *s));
                }
                found.then_some((*p, *s))
            };
            index.best = match side {
                Side::Buy => index.ordered.range(..price).rev().find_map(&mut live),
                Side::Sell => index.ordered.range(price + 1..).find_map(&mut live),
            };
            // Bounded by the side's empty levels, themselves bounded (see the type's documentation).
            for (passed_price, passed_slot) in passed.drain(..) {
                index.ordered.remove(&passed_price);
                index.lookup.remove(Self::grid_index(&self.grid, passed_price));
                self.free_levels.push(passed_slot);
                index.empty_levels -= 1;
            }
        }
        if index.empty_levels > (2 * index.live_levels).max(EMPTY_LEVELS_FLOOR) {
            self.collect_empty_levels(side);
        }
    }

    /// Drops every empty level of one side, in price order (deterministic).
    fn collect_empty_levels(&mut self, side: Side) {
        let index = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let levels = &self.levels;
        let free_levels = &mut self.free_levels;
        let lookup = &mut index.lookup;
        let grid = &self.grid;
        index.ordered.retain(|price, slot| {
            let keep = levels[*slot as usize].count > 0;
            if !keep {
                free_levels.push(*slot);
                lookup.remove(Self::grid_index(grid, *price));
            }
            keep
        });
        index.empty_levels = 0;
        debug_assert_eq!(index.ordered.len(), index.live_levels);
        debug_assert_eq!(index.lookup.indexed(), index.live_levels);
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
        orders.get_mut(slot).level = level_slot;
        let links = orders.links_mut(slot);
        links.prev = old_tail;
        links.next = NIL;
        if old_tail != NIL {
            orders.links_mut(old_tail).next = slot;
        }
    }

    /// Unlinks the order in `slot` from its level, dropping the level if it empties.
    pub fn unlink(&mut self, orders: &mut OrderStore, slot: u32) {
        let (side, qty, level_slot) = {
            let o = orders.get(slot);
            (o.side, o.open_qty.0, o.level)
        };
        let Links { prev, next, .. } = *orders.links(slot);
        let level = &mut self.levels[level_slot as usize];
        debug_assert!(level.count > 0, "unlinking from an empty level");
        level.total_qty -= qty;
        level.count -= 1;
        if level.count == 0 {
            debug_assert_eq!(level.total_qty, 0);
            (level.head, level.tail) = (NIL, NIL);
            let price = level.price;
            self.level_emptied(side, price, level_slot);
        } else {
            if level.head == slot {
                level.head = next;
            }
            if level.tail == slot {
                level.tail = prev;
            }
        }
        if prev != NIL {
            orders.links_mut(prev).next = next;
        }
        if next != NIL {
            orders.links_mut(next).prev = prev;
        }
        let links = orders.links_mut(slot);
        links.prev = NIL;
        links.next = NIL;
        orders.get_mut(slot).level = NIL;
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

    #[inline]
    pub fn has_stops(&self) -> bool {
        !self.buy_stops.is_empty() || !self.sell_stops.is_empty()
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
                slot = orders.links(slot).next;
            }
        }
        slots
    }
}
