//! The tape: what surveillance knows of the markets, built from the engine's commands and events
//! alone. It turns each executed command into [`Fact`]s (an order added, amended, done; a
//! trade; a prevented self-match) and keeps the state detectors look things up in: every live
//! order, each book's resting quantity per price, recent trades and price bars. Everything is
//! bounded: orders leave when done, trades and bars age out.

use crate::alert::{ChartBar, TradeEvidence};
use crate::config::{DAY_MS, HOUR_MS};
use std::collections::{BTreeMap, HashMap, VecDeque};
use talat_core::{Applied, AssetId, Command, DoneReason, Event, MarketId, OrderId, OrderKind, Side, TradingMode, UserId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketInfo {
    pub symbol: String,
    pub base: AssetId,
    pub price_scale: u8,
    pub qty_scale: u8,
    pub qty_step: u64,
    pub mode: TradingMode,
}

/// One order as surveillance sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderInfo {
    pub id: OrderId,
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    /// Limit price (price units); 0 for a market order.
    pub price: u64,
    /// Base quantity asked for; for a market buy, 0 (it names a quote amount).
    pub qty: u64,
    /// For a market buy, the quote amount it may spend; 0 otherwise.
    pub quote_amount: u64,
    pub placed_ts_ms: u64,
    pub placed_seq: u64,
    /// Where it rests and how much is open there, while it rests.
    pub resting: Option<(u64, u64)>,
    pub filled_qty: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    Placed(OrderInfo),
    Rested(OrderInfo),
    Amended(OrderInfo),
    Done { order: OrderInfo, reason: DoneReason, remaining: u64 },
    Trade { market: MarketId, trade: TradeEvidence, maker: OrderInfo, taker: OrderInfo },
    Prevented { market: MarketId, taker: OrderInfo, maker: OrderInfo, qty: u64 },
    ModeChanged { market: MarketId, mode: TradingMode },
}

/// Resting quantity per price of one side.
#[derive(Clone, Debug, Default)]
pub struct BookSide {
    levels: BTreeMap<u64, u64>,
}

impl BookSide {
    fn add(&mut self, price: u64, qty: u64) {
        *self.levels.entry(price).or_default() += qty;
    }

    fn remove(&mut self, price: u64, qty: u64) {
        if let Some(open) = self.levels.get_mut(&price) {
            *open = open.saturating_sub(qty);
            if *open == 0 {
                self.levels.remove(&price);
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct BookView {
    pub bids: BookSide,
    pub asks: BookSide,
}

impl BookView {
    pub fn best(&self, side: Side) -> Option<u64> {
        match side {
            Side::Buy => self.bids.levels.keys().next_back().copied(),
            Side::Sell => self.asks.levels.keys().next().copied(),
        }
    }

    /// The open quantity of the best `levels` prices of one side.
    pub fn top_depth(&self, side: Side, levels: usize) -> u64 {
        match side {
            Side::Buy => self.bids.levels.values().rev().take(levels).sum(),
            Side::Sell => self.asks.levels.values().take(levels).sum(),
        }
    }

    /// Whether `price` is among the best `levels` prices of its side.
    pub fn within_top(&self, side: Side, price: u64, levels: usize) -> bool {
        match side {
            Side::Buy => self.bids.levels.keys().rev().take(levels).any(|&p| p == price),
            Side::Sell => self.asks.levels.keys().take(levels).any(|&p| p == price),
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }
}

/// Bars of a fixed width, kept for a fixed span.
#[derive(Clone, Debug)]
pub struct Bars {
    width_ms: u64,
    keep_ms: u64,
    bars: VecDeque<ChartBar>,
}

impl Bars {
    fn new(width_ms: u64, keep_ms: u64) -> Bars {
        Bars { width_ms, keep_ms, bars: VecDeque::new() }
    }

    fn add(&mut self, ts_ms: u64, price: u64, qty: u64) {
        let start = ts_ms - ts_ms % self.width_ms;
        match self.bars.back_mut() {
            Some(bar) if bar.start_ts_ms == start => {
                bar.high = bar.high.max(price);
                bar.low = bar.low.min(price);
                bar.close = price;
                bar.volume += qty;
            }
            _ => self.bars.push_back(ChartBar { start_ts_ms: start, open: price, high: price, low: price, close: price, volume: qty }),
        }
        while self.bars.front().is_some_and(|b| b.start_ts_ms + self.keep_ms < ts_ms) {
            self.bars.pop_front();
        }
    }

    pub fn between(&self, from_ts_ms: u64, to_ts_ms: u64) -> Vec<ChartBar> {
        self.bars.iter().filter(|b| b.start_ts_ms + self.width_ms > from_ts_ms && b.start_ts_ms <= to_ts_ms).copied().collect()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &ChartBar> {
        self.bars.iter()
    }
}

/// Most trades kept per market for evidence (the last two hours, at most this many).
const RECENT_TRADES_MAX: usize = 200_000;

#[derive(Clone, Debug)]
pub struct MarketTape {
    pub info: MarketInfo,
    pub book: BookView,
    pub last_price: Option<u64>,
    /// Trades of the last two hours, oldest first.
    pub recent: VecDeque<TradeEvidence>,
    /// 10-second bars for two hours, minute bars for 26 hours.
    pub bars_10s: Bars,
    pub bars_1m: Bars,
}

impl MarketTape {
    fn new(info: MarketInfo) -> MarketTape {
        MarketTape {
            info,
            book: BookView::default(),
            last_price: None,
            recent: VecDeque::new(),
            bars_10s: Bars::new(10_000, 2 * HOUR_MS),
            bars_1m: Bars::new(60_000, DAY_MS + 2 * HOUR_MS),
        }
    }

    /// The window's chart: 10-second bars for windows up to an hour, minute bars beyond.
    pub fn chart(&self, from_ts_ms: u64, to_ts_ms: u64) -> Vec<ChartBar> {
        let span = to_ts_ms.saturating_sub(from_ts_ms);
        let margin = span / 4 + 10_000;
        let (from, to) = (from_ts_ms.saturating_sub(margin), to_ts_ms + margin);
        if span <= HOUR_MS {
            let bars = self.bars_10s.between(from, to);
            if !bars.is_empty() {
                return bars;
            }
        }
        self.bars_1m.between(from, to)
    }

    pub fn trades_between(&self, from_ts_ms: u64, to_ts_ms: u64) -> impl Iterator<Item = &TradeEvidence> {
        self.recent.iter().filter(move |t| t.ts_ms >= from_ts_ms && t.ts_ms <= to_ts_ms)
    }
}

/// Live orders remembered at most (beyond it new orders are not tracked: a detector then just
/// does not know them, it never misreads them).
pub const LIVE_ORDERS_MAX: usize = 4_000_000;

#[derive(Clone, Debug, Default)]
pub struct Tape {
    markets: BTreeMap<MarketId, MarketTape>,
    asset_scales: BTreeMap<AssetId, u8>,
    asset_codes: BTreeMap<String, AssetId>,
    orders: HashMap<OrderId, OrderInfo>,
    /// Markets and assets listed by a command whose id the event will give.
    pending_market: Option<talat_core::MarketSpec>,
    pending_asset: Option<(String, u8)>,
}

impl Tape {
    pub fn new() -> Tape {
        Tape::default()
    }

    /// Starts from an engine's state: its assets, markets and resting books (for a monitor that
    /// begins mid-stream, live or replayed from a snapshot).
    pub fn seed(&mut self, engine: &talat_engine::Engine) {
        for (i, asset) in engine.assets().iter().enumerate() {
            self.asset_scales.insert(AssetId(i as u16), asset.scale);
            self.asset_codes.insert(asset.code.clone(), AssetId(i as u16));
        }
        for m in 0..engine.market_count() {
            let market = MarketId(m);
            let (Some(spec), Some((base, _))) = (engine.market_spec(market), engine.market_assets(market)) else { continue };
            let info = MarketInfo {
                symbol: spec.symbol.clone(),
                base,
                price_scale: spec.price_scale,
                qty_scale: self.asset_scales.get(&base).copied().unwrap_or(8),
                qty_step: spec.qty_step,
                mode: spec.mode,
            };
            let mut tape = MarketTape::new(info);
            tape.last_price = engine.last_price(market).map(|p| p.0);
            for side in [Side::Buy, Side::Sell] {
                for (price, qty) in engine.depth(market, side, usize::MAX) {
                    tape.book.side_mut(side).add(price.0, qty);
                }
            }
            self.markets.insert(market, tape);
        }
    }

    pub fn market(&self, market: MarketId) -> Option<&MarketTape> {
        self.markets.get(&market)
    }

    pub fn markets(&self) -> impl Iterator<Item = (&MarketId, &MarketTape)> {
        self.markets.iter()
    }

    pub fn order(&self, order: OrderId) -> Option<&OrderInfo> {
        self.orders.get(&order)
    }

    /// Applies one executed command and returns what happened, in order.
    pub fn apply(&mut self, applied: &Applied) -> Vec<Fact> {
        let seq = applied.input.seq;
        let ts_ms = applied.input.ts_ms;
        let mut facts = Vec::new();
        match &applied.input.command {
            Command::ListAsset(spec) => self.pending_asset = Some((spec.code.clone(), spec.scale)),
            Command::ListMarket(spec) => self.pending_market = Some(spec.clone()),
            _ => {}
        }
        for event in &applied.events {
            self.ensure_market(event);
            match event {
                Event::AssetListed { asset } => {
                    if let Some((code, scale)) = self.pending_asset.take() {
                        self.asset_scales.insert(*asset, scale);
                        self.asset_codes.insert(code, *asset);
                    }
                }
                Event::MarketListed { market } => self.list_market(*market),
                Event::MarketModeChanged { market, mode } => {
                    if let Some(m) = self.markets.get_mut(market) {
                        m.info.mode = *mode;
                    }
                    facts.push(Fact::ModeChanged { market: *market, mode: *mode });
                }
                Event::OrderAccepted { order, user, market, side, .. } => {
                    let (price, qty, quote_amount) = match &applied.input.command {
                        Command::PlaceOrder(new) => match new.kind {
                            OrderKind::Limit { price, qty, .. } | OrderKind::StopLimit { price, qty, .. } => (price.0, qty.0, 0),
                            OrderKind::Market { amount } if *side == Side::Sell => (0, amount.0, 0),
                            OrderKind::Market { amount } => (0, 0, amount.0),
                        },
                        _ => (0, 0, 0),
                    };
                    let info = OrderInfo {
                        id: *order,
                        user: *user,
                        market: *market,
                        side: *side,
                        price,
                        qty,
                        quote_amount,
                        placed_ts_ms: ts_ms,
                        placed_seq: seq,
                        resting: None,
                        filled_qty: 0,
                    };
                    // Bounded memory: past the bound a new order is not tracked (its later events
                    // are skipped); the detectors see its placement, never a wrong state.
                    if self.orders.len() < LIVE_ORDERS_MAX {
                        self.orders.insert(*order, info);
                    }
                    facts.push(Fact::Placed(info));
                }
                Event::OrderRested { order, market, side, price, qty } => {
                    if let Some(m) = self.markets.get_mut(market) {
                        m.book.side_mut(*side).add(price.0, qty.0);
                    }
                    if let Some(o) = self.orders.get_mut(order) {
                        o.resting = Some((price.0, qty.0));
                        facts.push(Fact::Rested(*o));
                    }
                }
                Event::OrderAmended { order, price, qty, .. } => {
                    if let Some(o) = self.orders.get_mut(order) {
                        if let (Some((old_price, old_open)), Some(m)) = (o.resting, self.markets.get_mut(&o.market)) {
                            m.book.side_mut(o.side).remove(old_price, old_open);
                            m.book.side_mut(o.side).add(price.0, qty.0);
                        }
                        o.resting = Some((price.0, qty.0));
                        o.price = price.0;
                        facts.push(Fact::Amended(*o));
                    }
                }
                Event::Trade { market, maker_order, taker_order, maker_user, taker_user, taker_side, price, qty, .. } => {
                    let (buyer, seller) = match taker_side {
                        Side::Buy => (*taker_user, *maker_user),
                        Side::Sell => (*maker_user, *taker_user),
                    };
                    let trade = TradeEvidence { seq, ts_ms, price: price.0, qty: qty.0, buyer, seller, taker_side: *taker_side };
                    let maker = self.fill(*maker_order, qty.0, *market);
                    let taker = self.fill(*taker_order, qty.0, *market);
                    if let Some(m) = self.markets.get_mut(market) {
                        m.last_price = Some(price.0);
                        m.recent.push_back(trade.clone());
                        while m.recent.len() > RECENT_TRADES_MAX || m.recent.front().is_some_and(|t| t.ts_ms + 2 * HOUR_MS < ts_ms) {
                            m.recent.pop_front();
                        }
                        m.bars_10s.add(ts_ms, price.0, qty.0);
                        m.bars_1m.add(ts_ms, price.0, qty.0);
                    }
                    if let (Some(maker), Some(taker)) = (maker, taker) {
                        facts.push(Fact::Trade { market: *market, trade, maker, taker });
                    }
                }
                Event::SelfTradePrevented { market, taker_order, maker_order, qty, mode } => {
                    if *mode == talat_core::StpMode::Decrement {
                        self.fill(*maker_order, qty.0, *market);
                    }
                    if let (Some(taker), Some(maker)) = (self.orders.get(taker_order).copied(), self.orders.get(maker_order).copied()) {
                        facts.push(Fact::Prevented { market: *market, taker, maker, qty: qty.0 });
                    }
                }
                Event::OrderDone { order, reason, remaining } => {
                    if let Some(o) = self.orders.remove(order) {
                        if let (Some((price, open)), Some(m)) = (o.resting, self.markets.get_mut(&o.market)) {
                            m.book.side_mut(o.side).remove(price, open);
                        }
                        facts.push(Fact::Done { order: o, reason: *reason, remaining: remaining.0 });
                    }
                }
                _ => {}
            }
        }
        facts
    }

    /// A fill of `qty` on `order`: less open where it rests. Returns the order as it is now.
    fn fill(&mut self, order: OrderId, qty: u64, market: MarketId) -> Option<OrderInfo> {
        let o = self.orders.get_mut(&order)?;
        o.filled_qty += qty;
        if let Some((price, open)) = o.resting {
            o.resting = Some((price, open.saturating_sub(qty)));
            if let Some(m) = self.markets.get_mut(&market) {
                m.book.side_mut(o.side).remove(price, qty);
            }
        }
        Some(*o)
    }

    /// A market first seen in an event (a replay that began after its listing, with no engine
    /// to seed from): named by its id, with the common scales, so nothing it does is lost.
    fn ensure_market(&mut self, event: &Event) {
        let market = match event {
            Event::OrderAccepted { market, .. } | Event::OrderRested { market, .. } | Event::Trade { market, .. } | Event::MarketModeChanged { market, .. } => {
                *market
            }
            _ => return,
        };
        self.markets.entry(market).or_insert_with(|| {
            MarketTape::new(MarketInfo {
                symbol: format!("market-{}", market.0),
                base: AssetId(u16::MAX),
                price_scale: 2,
                qty_scale: 8,
                qty_step: 1,
                mode: TradingMode::Open,
            })
        });
    }

    fn list_market(&mut self, market: MarketId) {
        let Some(spec) = self.pending_market.take() else { return };
        let base = self.asset_codes.get(&spec.base).copied();
        let qty_scale = base.and_then(|b| self.asset_scales.get(&b).copied()).unwrap_or(8);
        let info = MarketInfo {
            symbol: spec.symbol,
            base: base.unwrap_or(AssetId(u16::MAX)),
            price_scale: spec.price_scale,
            qty_scale,
            qty_step: spec.qty_step,
            mode: spec.mode,
        };
        self.markets.insert(market, MarketTape::new(info));
    }
}
