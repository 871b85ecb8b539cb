//! One market as readers see it: its spec, the resting orders of both sides (individual orders
//! for `bids`/`asks`, levels for `depth`), the last trades and the rolling 24 h statistics.

use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, VecDeque};
use talat_core::{MarketId, MarketSpec, OrderId, Side, TradingMode, UserId};

/// Trades kept per market for `/trades` and the WebSocket snapshot.
pub const RECENT_TRADES_MAX: usize = 1_000;
/// Minute buckets kept for the 24 h ticker.
const MINUTES_PER_DAY: u64 = 1_440;

/// A market's static facts plus the ids and scales needed to print it.
#[derive(Debug)]
pub struct MarketInfo {
    pub id: MarketId,
    /// Bitkub's `pairing_id` (symbol id of the order-book WebSocket): the market id plus one.
    pub pairing_id: u32,
    pub spec: MarketSpec,
    pub base_scale: u8,
    pub quote_scale: u8,
    /// When the market was listed. The engine does not keep it, so after a restart the read
    /// model starts at 0 and the gateway fills it in from the query store.
    pub listed_ts_ms: std::sync::atomic::AtomicU64,
}

impl Clone for MarketInfo {
    fn clone(&self) -> MarketInfo {
        MarketInfo {
            id: self.id,
            pairing_id: self.pairing_id,
            spec: self.spec.clone(),
            base_scale: self.base_scale,
            quote_scale: self.quote_scale,
            listed_ts_ms: self.listed_ts_ms.load(std::sync::atomic::Ordering::Relaxed).into(),
        }
    }
}

impl MarketInfo {
    /// `THB_BTC`: the legacy and public-stream name (quote first).
    pub fn legacy_symbol(&self) -> String {
        format!("{}_{}", self.spec.quote, self.spec.base)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resting {
    pub user: UserId,
    pub qty: u64,
    pub ts_ms: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Level {
    pub qty: u64,
    pub orders: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeView {
    pub seq: u64,
    pub ts_ms: u64,
    pub price: u64,
    pub qty: u64,
    /// Quote the buyer paid for this fill.
    pub quote: u64,
    /// Quote the seller was credited for it (before fees); differs from `quote` by the
    /// per-order rounding, at most one unit.
    pub quote_received: u64,
    pub taker_side: Side,
    pub maker_order: OrderId,
    pub taker_order: OrderId,
    pub buyer: UserId,
    pub seller: UserId,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Minute {
    minute: u64,
    open: u64,
    high: u64,
    low: u64,
    close: u64,
    base_volume: u64,
    quote_volume: u128,
}

/// Rolling 24 h figures, computed from minute buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayStats {
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub base_volume: u128,
    pub quote_volume: u128,
}

#[derive(Debug)]
pub struct MarketState {
    pub info: std::sync::Arc<MarketInfo>,
    pub mode: TradingMode,
    /// The exchange-wide maintenance switch, mirrored into every market so one lock reads both.
    pub maintenance: bool,
    pub last_price: Option<u64>,
    /// Resting orders keyed by (price, queue position): `queue` grows each time an order joins
    /// the back of a level, so the map's order is exactly price-time priority even after an
    /// amend that loses priority.
    bids: BTreeMap<(Reverse<u64>, u64), (OrderId, Resting)>,
    asks: BTreeMap<(u64, u64), (OrderId, Resting)>,
    /// Order id → (side, price, queue position) of every resting order.
    index: FxHashMap<OrderId, (Side, u64, u64)>,
    queue: u64,
    bid_levels: BTreeMap<Reverse<u64>, Level>,
    ask_levels: BTreeMap<u64, Level>,
    trades: VecDeque<TradeView>,
    minutes: VecDeque<Minute>,
}

impl MarketState {
    pub fn new(info: std::sync::Arc<MarketInfo>, last_price: Option<u64>) -> MarketState {
        MarketState {
            mode: info.spec.mode,
            maintenance: false,
            info,
            last_price,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            index: FxHashMap::default(),
            queue: 0,
            bid_levels: BTreeMap::new(),
            ask_levels: BTreeMap::new(),
            trades: VecDeque::with_capacity(64),
            minutes: VecDeque::new(),
        }
    }

    /// The mode customers meet, by name (maintenance overrides every market's own mode).
    pub fn mode_name(&self) -> &'static str {
        self.mode.effective_name(self.maintenance)
    }

    /// No new orders at all (the symbols list's `freeze_buy`/`freeze_sell`, the ticker's
    /// `isFrozen`).
    pub fn frozen(&self) -> bool {
        self.maintenance || matches!(self.mode, TradingMode::CancelOnly | TradingMode::Halted)
    }

    /// Puts an order at the back of its price level.
    pub fn rest(&mut self, order: OrderId, side: Side, price: u64, resting: Resting) {
        assert!(resting.qty > 0, "a resting order has quantity");
        self.queue += 1;
        let position = self.queue;
        let previous = self.index.insert(order, (side, price, position));
        assert!(previous.is_none(), "order {order:?} rests once");
        match side {
            Side::Buy => {
                let level = self.bid_levels.entry(Reverse(price)).or_default();
                level.qty += resting.qty;
                level.orders += 1;
                self.bids.insert((Reverse(price), position), (order, resting));
            }
            Side::Sell => {
                let level = self.ask_levels.entry(price).or_default();
                level.qty += resting.qty;
                level.orders += 1;
                self.asks.insert((price, position), (order, resting));
            }
        }
    }

    /// Takes `qty` off a resting order (a fill or a decrement); removes it when nothing is left.
    /// Returns false if the order is not resting here.
    pub fn reduce(&mut self, order: OrderId, qty: u64) -> bool {
        let Some(&(side, price, position)) = self.index.get(&order) else { return false };
        let (taken, empty) = match side {
            Side::Buy => reduce_entry(&mut self.bids, (Reverse(price), position), qty),
            Side::Sell => reduce_entry(&mut self.asks, (price, position), qty),
        };
        match side {
            Side::Buy => take_from_level(&mut self.bid_levels, Reverse(price), taken, empty),
            Side::Sell => take_from_level(&mut self.ask_levels, price, taken, empty),
        }
        if empty {
            self.index.remove(&order);
        }
        true
    }

    /// Removes a resting order entirely (cancel, expiry, amend). Returns its remaining quantity.
    pub fn remove(&mut self, order: OrderId) -> Option<u64> {
        let &(side, price, position) = self.index.get(&order)?;
        let qty = match side {
            Side::Buy => self.bids.get(&(Reverse(price), position)).map(|e| e.1.qty),
            Side::Sell => self.asks.get(&(price, position)).map(|e| e.1.qty),
        }
        .expect("the index and the book agree");
        self.reduce(order, qty);
        Some(qty)
    }

    /// Shrinks a resting order in place (an amend that keeps its priority: same price, no
    /// growth). An amend that loses priority is a `remove` followed by the engine's new rest.
    pub fn amend(&mut self, order: OrderId, price: u64, qty: u64, kept_priority: bool) {
        assert!(kept_priority, "only priority-keeping amends change an order in place");
        let Some(&(side, old_price, position)) = self.index.get(&order) else { return };
        assert_eq!(price, old_price, "an amend that keeps priority keeps the price");
        let open = match side {
            Side::Buy => self.bids.get(&(Reverse(old_price), position)).map(|e| e.1.qty),
            Side::Sell => self.asks.get(&(old_price, position)).map(|e| e.1.qty),
        }
        .expect("the index and the book agree");
        assert!(qty <= open, "an amend that keeps priority does not grow");
        self.reduce(order, open - qty);
    }

    pub fn is_resting(&self, order: OrderId) -> bool {
        self.index.contains_key(&order)
    }

    pub fn record_trade(&mut self, trade: TradeView) {
        self.last_price = Some(trade.price);
        if self.trades.len() == RECENT_TRADES_MAX {
            self.trades.pop_front();
        }
        self.trades.push_back(trade);
        self.add_to_minutes(trade.ts_ms, trade.price, trade.qty, trade.quote as u128);
    }

    /// Seeds the 24 h statistics from stored candles or trades at startup.
    pub fn add_to_minutes(&mut self, ts_ms: u64, price: u64, base: u64, quote: u128) {
        let minute = ts_ms / 60_000;
        match self.minutes.back_mut() {
            Some(last) if last.minute == minute => {
                last.high = last.high.max(price);
                last.low = last.low.min(price);
                last.close = price;
                last.base_volume = last.base_volume.saturating_add(base);
                last.quote_volume += quote;
            }
            Some(last) if last.minute > minute => {} // older than what we hold: ignore
            _ => {
                self.minutes.push_back(Minute { minute, open: price, high: price, low: price, close: price, base_volume: base, quote_volume: quote });
                while self.minutes.len() as u64 > MINUTES_PER_DAY {
                    self.minutes.pop_front();
                }
            }
        }
    }

    /// The last 24 h as of `now_ms`; `None` if nothing traded in that window.
    pub fn day_stats(&self, now_ms: u64) -> Option<DayStats> {
        let from_minute = (now_ms / 60_000).saturating_sub(MINUTES_PER_DAY - 1);
        let mut stats: Option<DayStats> = None;
        for m in self.minutes.iter().filter(|m| m.minute >= from_minute) {
            let s = stats.get_or_insert(DayStats { open: m.open, high: m.high, low: m.low, ..DayStats::default() });
            s.high = s.high.max(m.high);
            s.low = s.low.min(m.low);
            s.base_volume += m.base_volume as u128;
            s.quote_volume += m.quote_volume;
        }
        stats
    }

    pub fn best_bid(&self) -> Option<(u64, Level)> {
        self.bid_levels.iter().next().map(|(p, l)| (p.0, *l))
    }

    pub fn best_ask(&self) -> Option<(u64, Level)> {
        self.ask_levels.iter().next().map(|(p, l)| (*p, *l))
    }

    /// Up to `n` aggregated levels, best first.
    pub fn levels(&self, side: Side, n: usize) -> Vec<(u64, Level)> {
        match side {
            Side::Buy => self.bid_levels.iter().take(n).map(|(p, l)| (p.0, *l)).collect(),
            Side::Sell => self.ask_levels.iter().take(n).map(|(p, l)| (*p, *l)).collect(),
        }
    }

    /// Up to `n` resting orders, best price first, then time priority.
    pub fn orders(&self, side: Side, n: usize) -> Vec<(OrderId, u64, Resting)> {
        match side {
            Side::Buy => self.bids.iter().take(n).map(|((p, _), (id, r))| (*id, p.0, *r)).collect(),
            Side::Sell => self.asks.iter().take(n).map(|((p, _), (id, r))| (*id, *p, *r)).collect(),
        }
    }

    /// Up to `n` most recent trades, newest first.
    pub fn recent_trades(&self, n: usize) -> Vec<TradeView> {
        self.trades.iter().rev().take(n).copied().collect()
    }

    pub fn resting_count(&self) -> usize {
        self.index.len()
    }
}

fn reduce_entry<K: Ord>(map: &mut BTreeMap<K, (OrderId, Resting)>, key: K, qty: u64) -> (u64, bool) {
    let entry = map.get_mut(&key).expect("the index and the book agree");
    let taken = qty.min(entry.1.qty);
    entry.1.qty -= taken;
    let empty = entry.1.qty == 0;
    if empty {
        map.remove(&key);
    }
    (taken, empty)
}

fn take_from_level<K: Ord + Copy>(levels: &mut BTreeMap<K, Level>, key: K, qty: u64, order_gone: bool) {
    let level = levels.get_mut(&key).expect("a resting order's level exists");
    level.qty -= qty;
    if order_gone {
        level.orders -= 1;
    }
    if level.orders == 0 {
        debug_assert_eq!(level.qty, 0);
        levels.remove(&key);
    }
}
