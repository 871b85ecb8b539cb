//! Live orders: a slab of [`Order`]s addressed by slot, an id → slot map, and intrusive links so
//! that every removal is O(1): `prev`/`next` chain a price level's FIFO queue, `user_prev` /
//! `user_next` chain one user's open orders (for cancel-all) in placement order.
//!
//! The links live in their own compact array beside the slab: relinking a queue touches the
//! neighbours' 16-byte links, not their whole orders (with a million resting orders, each of
//! those is a cache miss).

use crate::id_index::IdIndex;
use talat_core::money::{div_ceil_u128, div_floor_u128, notional_scaled, FEE_PPM_ONE};
use talat_core::{ClientId, MarketId, OrderId, Price, Qty, Side, StpMode, UserId};

pub const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    /// Being matched as the incoming order of the current command.
    Taking,
    /// On the book at `price`.
    Resting,
    /// A stop-limit waiting for its trigger.
    Stop,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: OrderId,
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub state: OrderState,
    /// Limit price; zero for a market order.
    pub price: Price,
    /// Trigger price of a stop-limit (zero otherwise).
    pub stop_price: Price,
    /// Quantity still open. A market buy is bounded by `budget` instead and keeps this at zero.
    pub open_qty: Qty,
    pub filled_qty: Qty,
    /// Quote budget of a market buy (zero otherwise).
    pub budget: u64,
    pub post_only: bool,
    pub stp: StpMode,
    pub ts_ms: u64,
    pub client_id: Option<ClientId>,
    /// Funds reserved for this order right now (quote for a buy, base for a sell).
    pub held: u64,
    /// Σ price × qty over this order's fills, in 1 / notional_divisor quote units.
    pub cum_quote_scaled: u128,
    /// Quote settled so far: paid by a buy (ceil of the running sum), received by a sell (floor).
    pub cum_quote_settled: u64,
    /// Σ received × fee_ppm over this order's fills.
    pub cum_fee_scaled: u128,
    /// Fee charged so far: ceil(cum_fee_scaled / 1e6).
    pub cum_fee_charged: u64,
    /// Slot of the price level the order rests on (`NIL` unless resting).
    pub level: u32,
}

/// Queue links of one slot (`NIL` where there is no neighbour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Links {
    pub prev: u32,
    pub next: u32,
    pub user_prev: u32,
    pub user_next: u32,
}

impl Links {
    pub const NONE: Links = Links { prev: NIL, next: NIL, user_prev: NIL, user_next: NIL };
}

impl Order {
    /// What this order must have held right now: a buy, the quote its remaining quantity can
    /// cost at its limit on top of what it already paid (or its unspent budget); a sell, its
    /// open quantity. Recomputed after every change and asserted equal to `held`.
    #[inline]
    pub fn required_hold(&self, notional_divisor: u128) -> u64 {
        match self.side {
            Side::Sell => self.open_qty.0,
            Side::Buy if self.price.0 == 0 => self.budget - self.cum_quote_settled,
            Side::Buy => {
                let total_scaled = self.cum_quote_scaled + notional_scaled(self.price, self.open_qty);
                let total = div_ceil_u128(total_scaled, notional_divisor) as u64;
                total - self.cum_quote_settled
            }
        }
    }

    /// Records a fill of `qty` at `price` on this order; returns the quote settled by it (paid
    /// if a buy, received before fees if a sell). Rounding is per order over its running sum, so
    /// an order pays at most one unit more (or receives at most one unit less) than exact.
    #[inline]
    pub fn settle_fill(&mut self, price: Price, qty: Qty, notional_divisor: u128) -> u64 {
        self.cum_quote_scaled += notional_scaled(price, qty);
        let settled = match self.side {
            Side::Buy => div_ceil_u128(self.cum_quote_scaled, notional_divisor),
            Side::Sell => div_floor_u128(self.cum_quote_scaled, notional_divisor),
        } as u64;
        let delta = settled - self.cum_quote_settled;
        self.cum_quote_settled = settled;
        self.filled_qty.0 += qty.0;
        delta
    }

    /// Adds a fee on `received` units at `fee_ppm`; returns the fee to charge now.
    #[inline]
    pub fn charge_fee(&mut self, received: u64, fee_ppm: u32) -> u64 {
        self.cum_fee_scaled += received as u128 * fee_ppm as u128;
        let charged = div_ceil_u128(self.cum_fee_scaled, FEE_PPM_ONE as u128) as u64;
        let delta = charged - self.cum_fee_charged;
        self.cum_fee_charged = charged;
        delta
    }
}

/// Slab of live orders plus the id index. Freed slots are reused (LIFO free list), so memory is
/// bounded by the largest number of live orders, not by the number ever placed.
#[derive(Default)]
pub struct OrderStore {
    slots: Vec<Option<Order>>,
    links: Vec<Links>,
    free: Vec<u32>,
    by_id: IdIndex,
}

impl OrderStore {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn insert(&mut self, order: Order) -> u32 {
        let id = order.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                debug_assert!(self.slots[slot as usize].is_none());
                self.slots[slot as usize] = Some(order);
                self.links[slot as usize] = Links::NONE;
                slot
            }
            None => {
                assert!(self.slots.len() < NIL as usize, "order slab full");
                self.slots.push(Some(order));
                self.links.push(Links::NONE);
                (self.slots.len() - 1) as u32
            }
        };
        self.by_id.insert(id, slot);
        slot
    }

    pub fn remove(&mut self, slot: u32) -> Order {
        let order = self.slots[slot as usize].take().expect("removing a free slot");
        let removed = self.by_id.remove(order.id);
        debug_assert_eq!(removed, Some(slot));
        self.free.push(slot);
        order
    }

    #[inline]
    pub fn slot_of(&self, id: OrderId) -> Option<u32> {
        self.by_id.get(id)
    }

    /// Starts loading the index bucket of `id` (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch_id(&self, id: OrderId) {
        self.by_id.prefetch(id);
    }

    /// Starts loading the order in `slot`.
    #[inline]
    pub fn prefetch_order(&self, slot: u32) {
        if let Some(order) = self.slots.get(slot as usize) {
            crate::prefetch::read(order);
        }
    }

    /// Starts loading the queue links of `slot`.
    #[inline]
    pub fn prefetch_links(&self, slot: u32) {
        crate::prefetch::read(&self.links[slot as usize]);
    }

    #[inline]
    pub fn links(&self, slot: u32) -> &Links {
        &self.links[slot as usize]
    }

    #[inline]
    pub fn links_mut(&mut self, slot: u32) -> &mut Links {
        &mut self.links[slot as usize]
    }

    #[inline]
    pub fn get(&self, slot: u32) -> &Order {
        self.slots[slot as usize].as_ref().expect("dangling order slot")
    }

    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Order {
        self.slots[slot as usize].as_mut().expect("dangling order slot")
    }

    /// Every live order, in slot order (not canonical: callers sort by id).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Order)> {
        self.slots.iter().enumerate().filter_map(|(i, o)| o.as_ref().map(|o| (i as u32, o)))
    }
}
