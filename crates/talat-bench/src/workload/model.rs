//! An exact, deliberately plain price-time-priority book.
//!
//! The generator runs every op through it so that it always knows which
//! orders are live, how much of each is open and where the best prices are.
//! That lets the stream refer only to live orders, give amends the true open
//! quantity, and aim "crossing" ops at real liquidity; and it gives the
//! runner an expected end state to check each engine against. Speed does not
//! matter here (it runs before any timer), clarity does.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::{BookState, Side, Tif};
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resting {
    pub side: Side,
    pub price: u64,
    /// Open (unfilled) quantity.
    pub qty: u64,
    pub account: u64,
    /// Index of this order in `ModelBook::live`.
    live_pos: usize,
}

#[derive(Clone, Debug, Default)]
pub struct ModelBook {
    bids: BTreeMap<u64, VecDeque<u64>>,
    asks: BTreeMap<u64, VecDeque<u64>>,
    orders: HashMap<u64, Resting>,
    /// Resting ids in no particular order, for O(1) uniform picks.
    live: Vec<u64>,
}

impl ModelBook {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    pub fn best_bid(&self) -> Option<u64> {
        self.bids.last_key_value().map(|(p, _)| *p)
    }

    pub fn best_ask(&self) -> Option<u64> {
        self.asks.first_key_value().map(|(p, _)| *p)
    }

    /// Best price on the side an order of `side` would trade against.
    pub fn best_opposite(&self, side: Side) -> Option<u64> {
        match side {
            Side::Buy => self.best_ask(),
            Side::Sell => self.best_bid(),
        }
    }

    /// Lots an order of `side` limited at `limit` could take right now.
    pub fn available_within(&self, side: Side, limit: u64) -> u64 {
        let levels: Box<dyn Iterator<Item = &VecDeque<u64>>> = match side {
            Side::Buy => Box::new(self.asks.range(..=limit).map(|(_, q)| q)),
            Side::Sell => Box::new(self.bids.range(limit..).map(|(_, q)| q)),
        };
        levels.flat_map(|q| q.iter()).map(|id| self.orders[id].qty).sum()
    }

    pub fn get(&self, id: u64) -> Option<&Resting> {
        self.orders.get(&id)
    }

    /// A uniformly chosen resting order.
    pub fn pick_live(&self, rng: &mut Rng) -> Option<(u64, Resting)> {
        if self.live.is_empty() {
            return None;
        }
        let id = self.live[rng.below(self.live.len() as u64) as usize];
        Some((id, self.orders[&id]))
    }

    pub fn state(&self) -> BookState {
        BookState { resting_orders: self.live.len() as u64, bid_levels: self.bids.len() as u64, ask_levels: self.asks.len() as u64 }
    }

    /// Submits a new order; returns the lots it traded.
    pub fn place(&mut self, id: u64, account: u64, side: Side, price: u64, qty: u64, tif: Tif) -> u64 {
        debug_assert!(!self.orders.contains_key(&id), "id {id} reused");
        let open = self.take(side, price, qty);
        if open > 0 && tif == Tif::Gtc {
            self.rest(id, account, side, price, open);
        }
        qty - open
    }

    /// Removes a resting order; false if it was not resting.
    pub fn cancel(&mut self, id: u64) -> bool {
        self.remove(id).is_some()
    }

    /// Moves a resting order to a new price and open quantity, losing
    /// priority; it may trade as a taker. `None` if it was not resting.
    pub fn amend(&mut self, id: u64, price: u64, qty: u64) -> Option<u64> {
        let old = self.remove(id)?;
        Some(self.place(id, old.account, old.side, price, qty, Tif::Gtc))
    }

    /// Matches `qty` against the opposite side up to `limit`; returns what is
    /// left open.
    fn take(&mut self, side: Side, limit: u64, mut qty: u64) -> u64 {
        while qty > 0 {
            let mut level = match side {
                Side::Buy => match self.asks.first_entry() {
                    Some(e) if *e.key() <= limit => e,
                    _ => break,
                },
                Side::Sell => match self.bids.last_entry() {
                    Some(e) if *e.key() >= limit => e,
                    _ => break,
                },
            };
            while qty > 0 {
                let Some(&maker_id) = level.get().front() else {
                    break;
                };
                let maker = self.orders.get_mut(&maker_id).expect("queued order is indexed");
                let fill = qty.min(maker.qty);
                maker.qty -= fill;
                qty -= fill;
                if maker.qty == 0 {
                    level.get_mut().pop_front();
                    let pos = maker.live_pos;
                    self.orders.remove(&maker_id);
                    unlist(&mut self.live, &mut self.orders, pos);
                }
            }
            if level.get().is_empty() {
                level.remove();
            }
        }
        qty
    }

    fn rest(&mut self, id: u64, account: u64, side: Side, price: u64, qty: u64) {
        let levels = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        levels.entry(price).or_default().push_back(id);
        self.orders.insert(id, Resting { side, price, qty, account, live_pos: self.live.len() });
        self.live.push(id);
    }

    fn remove(&mut self, id: u64) -> Option<Resting> {
        let order = self.orders.remove(&id)?;
        let levels = match order.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let queue = levels.get_mut(&order.price).expect("resting order has a level");
        let at = queue.iter().position(|&q| q == id).expect("resting order is queued");
        queue.remove(at);
        if queue.is_empty() {
            levels.remove(&order.price);
        }
        unlist(&mut self.live, &mut self.orders, order.live_pos);
        Some(order)
    }
}

/// Swap-removes `live[pos]`, fixing the moved order's back-pointer. A free
/// function so it can run while a price level of the same book is borrowed.
fn unlist(live: &mut Vec<u64>, orders: &mut HashMap<u64, Resting>, pos: usize) {
    live.swap_remove(pos);
    if let Some(&moved) = live.get(pos) {
        orders.get_mut(&moved).expect("live order is indexed").live_pos = pos;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_time_priority_and_partial_fills() {
        let mut b = ModelBook::new();
        b.place(1, 1, Side::Sell, 101, 5, Tif::Gtc);
        b.place(2, 2, Side::Sell, 101, 5, Tif::Gtc);
        b.place(3, 3, Side::Sell, 102, 5, Tif::Gtc);
        // Takes all of #1 (first in time at the best price) and 2 of #2.
        assert_eq!(b.place(4, 4, Side::Buy, 101, 7, Tif::Ioc), 7);
        assert!(b.get(1).is_none());
        assert_eq!(b.get(2).unwrap().qty, 3);
        assert_eq!(b.len(), 2);
        // IOC remainder never rests; GTC remainder does.
        assert_eq!(b.place(5, 5, Side::Buy, 102, 10, Tif::Ioc), 8);
        assert!(b.is_empty());
        assert_eq!(b.place(6, 6, Side::Buy, 100, 4, Tif::Gtc), 0);
        assert_eq!(b.best_bid(), Some(100));
        assert_eq!(b.best_ask(), None);
    }

    #[test]
    fn amend_loses_priority_and_can_trade() {
        let mut b = ModelBook::new();
        b.place(1, 1, Side::Buy, 100, 5, Tif::Gtc);
        b.place(2, 2, Side::Buy, 100, 5, Tif::Gtc);
        b.place(3, 3, Side::Sell, 105, 4, Tif::Gtc);
        // Move #1 away and back: it is now behind #2.
        assert_eq!(b.amend(1, 99, 5), Some(0));
        assert_eq!(b.amend(1, 100, 5), Some(0));
        b.place(4, 4, Side::Sell, 100, 5, Tif::Ioc);
        assert!(b.get(2).is_none(), "#2 had priority");
        assert_eq!(b.get(1).unwrap().qty, 5);
        // Crossing move: buys the 4 at 105, rests 1 at 106.
        assert_eq!(b.amend(1, 106, 5), Some(4));
        assert_eq!(b.get(1).unwrap().qty, 1);
        assert_eq!(b.best_bid(), Some(106));
        assert_eq!(b.amend(99, 1, 1), None);
        assert!(!b.cancel(3));
        assert!(b.cancel(1));
        assert_eq!(b.state(), BookState::default());
    }
}
