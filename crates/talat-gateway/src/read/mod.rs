//! The read models: what the engine published, kept current by one applier thread, read by
//! every request without ever touching the engine thread (DESIGN invariant 8).
//!
//! Built once from the recovered engine (before the sequencer starts), then advanced by each
//! batch the sequencer publishes. Every batch bumps [`ReadModel::applied_seq`], so a request that
//! was acknowledged at seq S can wait for the models to reach S and then read its own write.
//! Each batch also becomes one [`Feed`] for the WebSocket fan-out.

mod budget;
mod market;
mod orders;

pub use budget::BudgetView;
pub use market::{DayStats, Level, MarketInfo, MarketState, Resting, TradeView, RECENT_TRADES_MAX};
pub use orders::{OrderStatus, OrderType, OrderView};

use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use talat_core::venue::{Funding, ResumeState, ResumeStep};
use talat_core::{Account, Applied, AssetId, AssetSpec, Command, Event, MarketId, OrderId, Price, Qty, Side, UserId};
use talat_engine::Engine;
use tokio::sync::{broadcast, watch};

/// User shards: a request locks one shard, the applier one at a time.
const USER_SHARDS: usize = 64;
/// Feeds buffered for WebSocket tasks; a task further behind is told it lagged and resyncs.
pub const FEED_CAPACITY: usize = 4_096;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BalanceView {
    pub available: u64,
    pub held: u64,
}

#[derive(Debug, Default)]
struct UserView {
    balances: Vec<BalanceView>,
    open: FxHashMap<OrderId, OrderView>,
}

/// A fill as the private stream reports it.
#[derive(Clone, Debug)]
pub struct MatchView {
    pub order: OrderView,
    pub trade: TradeView,
    pub is_maker: bool,
    /// Fee charged on this fill, in the asset the order receives.
    pub fee: u64,
}

/// A deposit credited or a withdrawal held, settled or released, as the private stream's
/// `funding_update` reports it: what the engine did with the customer's money, whatever the
/// rail (THB or a chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundingView {
    pub user: UserId,
    pub kind: FundingKind,
    pub asset: AssetId,
    /// In the asset's smallest units; for a withdrawal, what leaves without the fee.
    pub amount: u64,
    pub fee: u64,
    pub status: FundingStatus,
    /// The deposit's key (`LTC:<txid>:<output>`, a bank reference) or the withdrawal's id.
    pub reference: String,
    pub ts_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundingKind {
    Deposit,
    Withdrawal,
}

impl FundingKind {
    pub fn name(self) -> &'static str {
        match self {
            FundingKind::Deposit => "deposit",
            FundingKind::Withdrawal => "withdrawal",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundingStatus {
    /// A deposit in the customer's balance.
    Credited,
    /// A withdrawal's amount and fee held, on its way out.
    Held,
    /// A withdrawal paid out: the hold left the balance.
    Settled,
    /// A withdrawal stopped: the hold went back to the customer.
    Released,
}

impl FundingStatus {
    /// The word the stream uses (Bitkub's history endpoints' vocabulary).
    pub fn name(self) -> &'static str {
        match self {
            FundingStatus::Credited | FundingStatus::Settled => "complete",
            FundingStatus::Held => "pending",
            FundingStatus::Released => "cancelled",
        }
    }
}

#[derive(Clone, Debug)]
pub enum PrivateUpdate {
    Order(OrderView),
    Match(MatchView),
    Funding(FundingView),
}

/// What one published batch changed, for the WebSocket fan-out.
#[derive(Clone, Debug, Default)]
pub struct Feed {
    pub seq: u64,
    pub ts_ms: u64,
    /// Markets whose bids / asks / trades changed: (market, bids, asks, new trades).
    pub markets: Vec<MarketChange>,
    pub private: Vec<(UserId, PrivateUpdate)>,
}

/// The venue's switches as the engine last published them.
#[derive(Clone, Debug, Default)]
pub struct VenueView {
    pub funding: Funding,
    pub resume: ResumeState,
    /// Armed dead-man's switches the timer still has to fire: user → deadline (sequenced ms).
    /// A switch that fired with orders left in a halted market leaves this map: the engine
    /// fires it again itself when that market allows cancels.
    pub cancel_after: BTreeMap<UserId, u64>,
}

#[derive(Clone, Debug)]
pub struct MarketChange {
    pub market: MarketId,
    pub bids: bool,
    pub asks: bool,
    pub trades: Vec<TradeView>,
}

pub struct ReadModel {
    assets: RwLock<Vec<AssetSpec>>,
    markets: RwLock<Vec<Arc<RwLock<MarketState>>>>,
    symbols: RwLock<FxHashMap<String, MarketId>>,
    users: Vec<RwLock<FxHashMap<UserId, UserView>>>,
    /// Open order → owner, for events that name only the order.
    owners: RwLock<FxHashMap<OrderId, (UserId, MarketId)>>,
    user_count: std::sync::atomic::AtomicU32,
    maintenance: AtomicBool,
    venue: RwLock<VenueView>,
    /// Wakes the dead-man's timer when a switch is armed or moved.
    cancel_after_changed: tokio::sync::Notify,
    /// Withdrawals held and not yet settled or released, by id: their settle and release name
    /// only the id. As many as the engine holds (it keeps the same map), seeded from it.
    held_withdrawals: RwLock<FxHashMap<String, FundingView>>,
    /// Each user's daily withdrawal budget and today's use, as the engine counts it.
    budgets: RwLock<budget::Budgets>,
    applied: watch::Sender<u64>,
    feed: broadcast::Sender<Arc<Feed>>,
}

/// The engine's held withdrawals as the private stream shows them.
fn held_withdrawals_of(engine: &Engine) -> FxHashMap<String, FundingView> {
    engine
        .pending_withdrawals()
        .map(|w| {
            let view = FundingView {
                user: w.user,
                kind: FundingKind::Withdrawal,
                asset: w.asset,
                amount: w.amount,
                fee: w.fee,
                status: FundingStatus::Held,
                reference: w.id.0.clone(),
                ts_ms: 0,
            };
            (w.id.0.clone(), view)
        })
        .collect()
}

impl ReadModel {
    /// The models of `engine`'s state (the recovered engine, before the sequencer starts).
    pub fn from_engine(engine: &Engine) -> ReadModel {
        let (applied, _) = watch::channel(engine.last_seq());
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let model = ReadModel {
            assets: RwLock::new(engine.assets().to_vec()),
            markets: RwLock::new(Vec::new()),
            symbols: RwLock::new(FxHashMap::default()),
            users: (0..USER_SHARDS).map(|_| RwLock::new(FxHashMap::default())).collect(),
            owners: RwLock::new(FxHashMap::default()),
            user_count: std::sync::atomic::AtomicU32::new(engine.user_count()),
            maintenance: AtomicBool::new(engine.maintenance()),
            venue: RwLock::new(VenueView {
                funding: engine.funding(),
                resume: engine.resume_state().clone(),
                cancel_after: engine.cancel_after_deadlines().collect(),
            }),
            cancel_after_changed: tokio::sync::Notify::new(),
            held_withdrawals: RwLock::new(held_withdrawals_of(engine)),
            budgets: RwLock::new(budget::Budgets::from_engine(engine)),
            applied,
            feed,
        };
        for m in 0..engine.market_count() {
            let id = MarketId(m);
            let spec = engine.market_spec(id).expect("listed market").clone();
            model.add_market(id, spec, engine.last_price(id).map(|p| p.0), 0);
            model.market(id).expect("just added").write().maintenance = engine.maintenance();
        }
        let asset_count = engine.assets().len();
        for u in 0..engine.user_count() {
            let user = UserId(u);
            let mut view = UserView::default();
            for a in 0..asset_count {
                let b = engine.balance(user, AssetId(a as u16)).unwrap_or_default();
                view.balances.push(BalanceView { available: b.available, held: b.held });
            }
            for o in engine.open_orders(user) {
                let kind = match o.budget {
                    0 if o.stop_price.0 != 0 => {
                        talat_core::OrderKind::StopLimit { stop_price: o.stop_price, price: o.price, qty: talat_core::Qty(o.open_qty.0 + o.filled_qty.0) }
                    }
                    _ => talat_core::OrderKind::Limit {
                        price: o.price,
                        qty: talat_core::Qty(o.open_qty.0 + o.filled_qty.0),
                        tif: if o.post_only { talat_core::TimeInForce::PostOnly } else { talat_core::TimeInForce::Gtc },
                    },
                };
                let mut order = OrderView::from_kind(o.id, user, o.market, o.side, &kind, o.client_id.as_ref().map(|c| c.0.clone()), o.ts_ms);
                order.open_qty = o.open_qty.0;
                order.filled_qty = o.filled_qty.0;
                order.filled_quote = o.cum_quote_settled;
                order.fee = o.cum_fee_charged;
                if o.state == talat_engine::orders::OrderState::Stop {
                    order.status = OrderStatus::Untriggered;
                } else {
                    order.status = order.live_status();
                    let market = model.market(o.market).expect("an order's market is listed");
                    market.write().rest(o.id, o.side, o.price.0, Resting { user, qty: o.open_qty.0, ts_ms: o.ts_ms });
                }
                model.owners.write().insert(o.id, (user, o.market));
                view.open.insert(o.id, order);
            }
            model.users[shard(user)].write().insert(user, view);
        }
        model
    }

    /// Sets when `market` was listed (from the query store, after a restart).
    pub fn set_listed_ts_ms(&self, market: MarketId, ts_ms: u64) {
        if let Some(state) = self.market(market) {
            state.read().info.listed_ts_ms.store(ts_ms, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn add_market(&self, id: MarketId, spec: talat_core::MarketSpec, last_price: Option<u64>, ts_ms: u64) {
        let assets = self.assets.read();
        let scale_of = |code: &str| assets.iter().find(|a| a.code == code).map_or(0, |a| a.scale);
        let info = Arc::new(MarketInfo {
            id,
            pairing_id: id.0 as u32 + 1,
            base_scale: scale_of(&spec.base),
            quote_scale: scale_of(&spec.quote),
            spec,
            listed_ts_ms: ts_ms.into(),
        });
        let mut markets = self.markets.write();
        assert_eq!(markets.len(), id.index(), "markets are listed in id order");
        self.symbols.write().insert(info.spec.symbol.clone(), id);
        markets.push(Arc::new(RwLock::new(MarketState::new(info, last_price))));
    }

    // ---- reads -------------------------------------------------------------------------------

    pub fn applied_seq(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Resolves once the models reflect engine seq `seq`.
    pub async fn wait_for_seq(&self, seq: u64) {
        // The usual case: the publisher applied the batch before its tickets resolved.
        if self.applied_seq() >= seq {
            return;
        }
        let mut rx = self.applied.subscribe();
        // The sender lives as long as the model; an error would mean it was dropped.
        let _ = rx.wait_for(|applied| *applied >= seq).await;
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Feed>> {
        self.feed.subscribe()
    }

    pub fn maintenance(&self) -> bool {
        self.maintenance.load(Ordering::Relaxed)
    }

    pub fn venue(&self) -> VenueView {
        self.venue.read().clone()
    }

    pub fn funding(&self) -> Funding {
        self.venue.read().funding
    }

    /// The user's armed switch's deadline (sequenced ms), if the timer still has to fire it.
    pub fn cancel_after_of(&self, user: UserId) -> Option<u64> {
        self.venue.read().cancel_after.get(&user).copied()
    }

    /// The earliest switch to fire and every switch due at `now_ms` (at most `max_due`).
    pub fn cancel_after_due(&self, now_ms: u64, max_due: usize) -> (Option<u64>, Vec<UserId>) {
        let venue = self.venue.read();
        let earliest = venue.cancel_after.values().min().copied();
        let due = venue.cancel_after.iter().filter(|(_, &d)| d <= now_ms).map(|(&u, _)| u).take(max_due).collect();
        (earliest, due)
    }

    /// Resolves when a switch is armed, moved or disarmed.
    pub async fn cancel_after_changed(&self) {
        self.cancel_after_changed.notified().await
    }

    pub fn assets(&self) -> Vec<AssetSpec> {
        self.assets.read().clone()
    }

    pub fn asset_id(&self, code: &str) -> Option<AssetId> {
        self.assets.read().iter().position(|a| a.code == code).map(|i| AssetId(i as u16))
    }

    pub fn market_count(&self) -> usize {
        self.markets.read().len()
    }

    pub fn market(&self, id: MarketId) -> Option<Arc<RwLock<MarketState>>> {
        self.markets.read().get(id.index()).cloned()
    }

    /// Looks a market up by `BASE_QUOTE` (any case).
    pub fn market_by_symbol(&self, symbol: &str) -> Option<Arc<RwLock<MarketState>>> {
        let id = *self.symbols.read().get(&symbol.to_ascii_uppercase())?;
        self.market(id)
    }

    pub fn markets(&self) -> Vec<Arc<RwLock<MarketState>>> {
        self.markets.read().clone()
    }

    pub fn user_exists(&self, user: UserId) -> bool {
        user.0 < self.user_count.load(Ordering::Relaxed)
    }

    /// Balances of every listed asset (zero where the user holds nothing).
    pub fn balances(&self, user: UserId) -> Vec<(AssetSpec, BalanceView)> {
        let assets = self.assets.read().clone();
        let shard = self.users[shard(user)].read();
        let view = shard.get(&user);
        assets
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                let b = view.and_then(|v| v.balances.get(i)).copied().unwrap_or_default();
                (spec, b)
            })
            .collect()
    }

    pub fn balance(&self, user: UserId, asset: AssetId) -> BalanceView {
        let shard = self.users[shard(user)].read();
        shard.get(&user).and_then(|v| v.balances.get(asset.index())).copied().unwrap_or_default()
    }

    /// The user's open orders (optionally of one market), oldest first.
    pub fn open_orders(&self, user: UserId, market: Option<MarketId>) -> Vec<OrderView> {
        let shard = self.users[shard(user)].read();
        let mut orders: Vec<OrderView> =
            shard.get(&user).map(|v| v.open.values().filter(|o| market.is_none_or(|m| o.market == m)).cloned().collect()).unwrap_or_default();
        orders.sort_by_key(|o| o.id);
        orders
    }

    pub fn open_order(&self, user: UserId, order: OrderId) -> Option<OrderView> {
        self.users[shard(user)].read().get(&user).and_then(|v| v.open.get(&order).cloned())
    }

    // ---- the applier ---------------------------------------------------------------------------

    /// Applies one published batch (called by the single applier thread, in seq order).
    pub fn apply_batch(&self, batch: &[Applied]) {
        let Some(last) = batch.last() else { return };
        let mut feed = Feed { seq: last.seq(), ts_ms: last.ts_ms(), ..Feed::default() };
        for applied in batch {
            assert_eq!(applied.seq(), self.applied_seq() + 1, "batches arrive in seq order");
            self.apply_one(applied, &mut feed);
            self.applied.send_replace(applied.seq());
        }
        if self.feed.receiver_count() > 0 && (!feed.markets.is_empty() || !feed.private.is_empty()) {
            let _ = self.feed.send(Arc::new(feed));
        }
    }

    /// One command's events, each to its own method. The match names every event: a new event
    /// does not compile until the read models say what it changes (if only "nothing").
    fn apply_one(&self, applied: &Applied, feed: &mut Feed) {
        let ts_ms = applied.ts_ms();
        for event in &applied.events {
            match event {
                Event::AssetListed { asset } => self.on_asset_listed(applied, *asset),
                Event::MarketListed { market } => self.on_market_listed(applied, *market, ts_ms),
                Event::MarketModeChanged { market, mode } => {
                    self.on_mode_changed(*market, *mode);
                    change_of(feed, *market);
                }
                Event::FeesChanged { market, maker_fee_ppm, taker_fee_ppm } => self.on_fees_changed(*market, *maker_fee_ppm, *taker_fee_ppm),
                Event::BandChanged { market, band_bps } => self.update_spec(*market, |spec| spec.band_bps = *band_bps),
                Event::MaintenanceChanged { on } => self.on_maintenance_changed(*on, feed),
                Event::UserCreated { user } => self.on_user_created(*user),
                Event::Posting { asset, from, to, amount, .. } => self.on_posting(*asset, *from, *to, amount.0),
                Event::OrderAccepted { order, user, market, side, client_id } => {
                    self.on_order_accepted(applied, *order, *user, *market, *side, client_id.as_ref(), ts_ms)
                }
                Event::StopAccepted { order, .. } => self.on_stop_accepted(*order, feed),
                Event::StopTriggered { order, .. } => self.on_stop_triggered(*order, ts_ms),
                Event::OrderRested { order, market, side, price, qty } => self.on_order_rested(*order, *market, *side, *price, *qty, ts_ms, feed),
                Event::Trade { .. } => self.on_trade(applied, event, feed),
                // Decrement shrinks the resting maker; the other modes end orders with OrderDone.
                Event::SelfTradePrevented { market, maker_order, qty, mode: talat_core::StpMode::Decrement, .. } => {
                    self.on_maker_decremented(*market, *maker_order, *qty, feed)
                }
                Event::SelfTradePrevented { .. } => {}
                Event::OrderAmended { order, price, qty, kept_priority } => self.on_order_amended(*order, *price, *qty, *kept_priority, ts_ms, feed),
                Event::OrderDone { order, reason, .. } => self.on_order_done(*order, *reason, ts_ms, feed),
                Event::FundingChanged(funding) => self.venue.write().funding = *funding,
                Event::ResumeStepTaken { step } => self.on_resume_step(*step, ts_ms),
                Event::CancelAfterArmed { user, deadline_ms } => self.on_cancel_after(*user, Some(*deadline_ms)),
                Event::CancelAfterDisarmed { user } | Event::CancelAfterFired { user, .. } => self.on_cancel_after(*user, None),
                // Balances move by their Posting events; the rest change nothing shown here.
                Event::TierLimitsSet { user } => self.on_tier_limits_set(applied, *user),
                Event::Rejected { .. } | Event::Duplicate { .. } | Event::AccountsLinked { .. } | Event::Compensated { .. } => {}
                Event::DepositCredited { user, asset, amount, external_id } => self.on_deposit_credited(*user, *asset, amount.0, &external_id.0, ts_ms, feed),
                Event::WithdrawalHeld { user, asset, amount, fee, withdrawal_id, budget_value } => {
                    self.budgets.write().held(*user, &withdrawal_id.0, budget_value.0, ts_ms);
                    self.on_withdrawal_held(*user, *asset, amount.0, fee.0, &withdrawal_id.0, ts_ms, feed)
                }
                Event::WithdrawalSettled { withdrawal_id } => self.on_withdrawal_done(&withdrawal_id.0, FundingStatus::Settled, ts_ms, feed),
                Event::WithdrawalReleased { withdrawal_id } => self.on_withdrawal_done(&withdrawal_id.0, FundingStatus::Released, ts_ms, feed),
            }
        }
        self.report_new_orders(applied, feed);
    }

    fn on_fees_changed(&self, market: MarketId, maker_fee_ppm: u32, taker_fee_ppm: u32) {
        self.update_spec(market, |spec| {
            spec.maker_fee_ppm = maker_fee_ppm;
            spec.taker_fee_ppm = taker_fee_ppm;
        })
    }

    fn on_maintenance_changed(&self, on: bool, feed: &mut Feed) {
        self.maintenance.store(on, Ordering::Relaxed);
        // Every market's mode as customers meet it changed: their tickers say so.
        for (i, m) in self.markets().iter().enumerate() {
            m.write().maintenance = on;
            change_of(feed, MarketId(i as u16));
        }
    }

    fn on_posting(&self, asset: AssetId, from: Account, to: Account, amount: u64) {
        self.post(from, asset, amount, false);
        self.post(to, asset, amount, true);
    }

    /// A dead-man's switch armed (`Some(deadline)`), disarmed or fired (`None`).
    fn on_cancel_after(&self, user: UserId, deadline_ms: Option<u64>) {
        match deadline_ms {
            Some(deadline_ms) => self.venue.write().cancel_after.insert(user, deadline_ms),
            None => self.venue.write().cancel_after.remove(&user),
        };
        self.cancel_after_changed.notify_one();
    }

    fn on_deposit_credited(&self, user: UserId, asset: AssetId, amount: u64, reference: &str, ts_ms: u64, feed: &mut Feed) {
        let view =
            FundingView { user, kind: FundingKind::Deposit, asset, amount, fee: 0, status: FundingStatus::Credited, reference: reference.to_string(), ts_ms };
        feed.private.push((user, PrivateUpdate::Funding(view)));
    }

    fn on_asset_listed(&self, applied: &Applied, asset: AssetId) {
        if let Command::ListAsset(spec) = &applied.input.command {
            let mut assets = self.assets.write();
            assert_eq!(assets.len(), asset.index());
            assets.push(spec.clone());
        }
    }

    fn on_market_listed(&self, applied: &Applied, market: MarketId, ts_ms: u64) {
        if let Command::ListMarket(spec) = &applied.input.command {
            self.add_market(market, spec.clone(), None, ts_ms);
        }
    }

    fn on_mode_changed(&self, market: MarketId, mode: talat_core::TradingMode) {
        if let Some(m) = self.market(market) {
            let mut m = m.write();
            m.mode = mode;
            let mut info = (*m.info).clone();
            info.spec.mode = mode;
            m.info = Arc::new(info);
        }
    }

    /// Mirrors the engine's resume state (the markets list aside: only the engine walks them).
    fn on_resume_step(&self, step: ResumeStep, ts_ms: u64) {
        let mut venue = self.venue.write();
        match step {
            ResumeStep::Withdrawals => venue.resume = ResumeState::default(),
            ResumeStep::Begin { cancel_only_ms } => {
                venue.resume = ResumeState { last: Some(step), last_at_ms: ts_ms, began_at_ms: ts_ms, cancel_only_ms, markets: Vec::new() };
            }
            _ => {
                venue.resume.last = Some(step);
                venue.resume.last_at_ms = ts_ms;
            }
        }
    }

    fn on_user_created(&self, user: UserId) {
        self.user_count.fetch_max(user.0 + 1, Ordering::Relaxed);
        self.users[shard(user)].write().entry(user).or_default();
    }

    #[allow(clippy::too_many_arguments)]
    fn on_order_accepted(
        &self,
        applied: &Applied,
        order: OrderId,
        user: UserId,
        market: MarketId,
        side: Side,
        client_id: Option<&talat_core::ClientId>,
        ts_ms: u64,
    ) {
        let Command::PlaceOrder(new) = &applied.input.command else { unreachable!("only PlaceOrder accepts orders") };
        let view = OrderView::from_kind(order, user, market, side, &new.kind, client_id.map(|c| c.0.clone()), ts_ms);
        self.owners.write().insert(order, (user, market));
        self.users[shard(user)].write().entry(user).or_default().open.insert(order, view);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_withdrawal_held(&self, user: UserId, asset: AssetId, amount: u64, fee: u64, id: &str, ts_ms: u64, feed: &mut Feed) {
        let view = FundingView { user, kind: FundingKind::Withdrawal, asset, amount, fee, status: FundingStatus::Held, reference: id.to_owned(), ts_ms };
        self.held_withdrawals.write().insert(id.to_owned(), view.clone());
        feed.private.push((user, PrivateUpdate::Funding(view)));
    }

    fn on_tier_limits_set(&self, applied: &Applied, user: UserId) {
        if let Command::SetTierLimits { limits, .. } = &applied.input.command {
            self.budgets.write().set_limits(user, limits);
        }
    }

    /// `user`'s daily withdrawal budget at `now_ms` (THB and every crypto asset together, each
    /// valued when it was held); `None` when the user has none.
    pub fn withdrawal_budget(&self, user: UserId, now_ms: u64) -> Option<BudgetView> {
        self.budgets.read().view(user, now_ms)
    }

    fn on_withdrawal_done(&self, id: &str, status: FundingStatus, ts_ms: u64, feed: &mut Feed) {
        self.budgets.write().ended(id, status == FundingStatus::Released);
        // The engine settles or releases only what it holds, and the map mirrors its holds.
        let held = self.held_withdrawals.write().remove(id);
        let Some(mut view) = held else {
            // Not expected (the map is seeded from the engine's holds): the stream misses one
            // notification, the balances are right all the same.
            tracing::warn!(withdrawal = id, "a withdrawal ended without a hold the read model knew");
            return;
        };
        view.status = status;
        view.ts_ms = ts_ms;
        feed.private.push((view.user, PrivateUpdate::Funding(view)));
    }

    fn on_stop_accepted(&self, order: OrderId, feed: &mut Feed) {
        let view = self.with_order(order, |o| {
            o.status = OrderStatus::Untriggered;
            // Waiting, its whole quantity is open (not on the book).
            o.open_qty = o.qty;
            o.clone()
        });
        if let Some(view) = view {
            feed.private.push((view.user, PrivateUpdate::Order(view)));
        }
    }

    fn on_stop_triggered(&self, order: OrderId, ts_ms: u64) {
        self.with_order(order, |o| {
            o.status = OrderStatus::New;
            o.triggered_ms = Some(ts_ms);
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_order_rested(&self, order: OrderId, market: MarketId, side: Side, price: Price, qty: Qty, ts_ms: u64, feed: &mut Feed) {
        let view = self.with_order(order, |o| {
            o.open_qty = qty.0;
            o.price = price.0;
            o.status = o.live_status();
            o.updated_ms = ts_ms;
            o.clone()
        });
        if let (Some(view), Some(m)) = (view, self.market(market)) {
            m.write().rest(order, side, price.0, Resting { user: view.user, qty: qty.0, ts_ms });
            touch(feed, market, side);
            feed.private.push((view.user, PrivateUpdate::Order(view)));
        }
    }

    fn on_trade(&self, applied: &Applied, event: &Event, feed: &mut Feed) {
        let Event::Trade { market, maker_order, taker_order, maker_user, taker_user, taker_side, price, qty, quote_paid, quote_received, maker_fee, taker_fee } =
            event
        else {
            unreachable!("on_trade is given trades only")
        };
        let ts_ms = applied.ts_ms();
        let (buyer, seller) = match taker_side {
            Side::Buy => (*taker_user, *maker_user),
            Side::Sell => (*maker_user, *taker_user),
        };
        let trade = TradeView {
            seq: applied.seq(),
            ts_ms,
            price: price.0,
            qty: qty.0,
            quote: quote_paid.0,
            quote_received: quote_received.0,
            taker_side: *taker_side,
            maker_order: *maker_order,
            taker_order: *taker_order,
            buyer,
            seller,
        };
        if let Some(m) = self.market(*market) {
            let mut m = m.write();
            m.reduce(*maker_order, qty.0);
            m.record_trade(trade);
        }
        touch(feed, *market, taker_side.opposite());
        push_trade(feed, *market, trade);
        for (order, is_maker, fee) in [(*maker_order, true, maker_fee.0), (*taker_order, false, taker_fee.0)] {
            let view = self.with_order(order, |o| {
                o.filled_qty += qty.0;
                o.filled_quote += if o.side == Side::Buy { quote_paid.0 } else { quote_received.0 };
                o.fee += fee;
                if is_maker {
                    o.open_qty = o.open_qty.saturating_sub(qty.0);
                }
                o.status = o.live_status();
                o.updated_ms = ts_ms;
                o.clone()
            });
            if let Some(view) = view {
                feed.private.push((view.user, PrivateUpdate::Match(MatchView { order: view, trade, is_maker, fee })));
            }
        }
    }

    fn on_maker_decremented(&self, market: MarketId, maker_order: OrderId, qty: Qty, feed: &mut Feed) {
        if let Some(m) = self.market(market) {
            m.write().reduce(maker_order, qty.0);
        }
        self.with_order(maker_order, |o| o.open_qty = o.open_qty.saturating_sub(qty.0));
        let side = self.owners.read().get(&maker_order).and_then(|(u, _)| self.open_order(*u, maker_order)).map(|o| o.side);
        if let Some(side) = side {
            touch(feed, market, side);
        }
    }

    fn on_order_amended(&self, order: OrderId, price: Price, qty: Qty, kept_priority: bool, ts_ms: u64, feed: &mut Feed) {
        let view = self.with_order(order, |o| {
            o.price = price.0;
            o.qty = o.filled_qty + qty.0;
            o.open_qty = qty.0;
            o.updated_ms = ts_ms;
            o.clone()
        });
        let Some(view) = view else { return };
        if let Some(m) = self.market(view.market) {
            // Losing priority, the engine takes the order off the book and runs it again as a
            // taker: its OrderRested (or fills) follow.
            let mut m = m.write();
            if kept_priority {
                m.amend(order, price.0, qty.0, true);
            } else {
                m.remove(order);
            }
        }
        touch(feed, view.market, view.side);
        feed.private.push((view.user, PrivateUpdate::Order(view)));
    }

    fn on_order_done(&self, order: OrderId, reason: talat_core::DoneReason, ts_ms: u64, feed: &mut Feed) {
        let Some((user, market)) = self.owners.write().remove(&order) else { return };
        if let Some(m) = self.market(market) {
            m.write().remove(order);
        }
        let view = self.users[shard(user)].write().get_mut(&user).and_then(|v| v.open.remove(&order));
        if let Some(mut view) = view {
            view.finish(reason, ts_ms);
            touch(feed, market, view.side);
            feed.private.push((user, PrivateUpdate::Order(view)));
        }
    }

    /// A new order that neither rested nor finished in this command (an untriggered stop is
    /// reported by its own event) still gets its "new" update.
    fn report_new_orders(&self, applied: &Applied, feed: &mut Feed) {
        if !matches!(applied.input.command, Command::PlaceOrder(_)) {
            return;
        }
        for event in &applied.events {
            if let Event::OrderAccepted { order, user, .. } = event {
                let reported = feed.private.iter().any(|(_, u)| matches!(u, PrivateUpdate::Order(o) if o.id == *order));
                if !reported {
                    if let Some(view) = self.open_order(*user, *order) {
                        feed.private.push((*user, PrivateUpdate::Order(view)));
                    }
                }
            }
        }
    }

    fn update_spec(&self, market: MarketId, change: impl FnOnce(&mut talat_core::MarketSpec)) {
        if let Some(m) = self.market(market) {
            let mut m = m.write();
            let mut info = (*m.info).clone();
            change(&mut info.spec);
            m.info = Arc::new(info);
        }
    }

    fn post(&self, account: Account, asset: AssetId, amount: u64, credit: bool) {
        let (user, held) = match account {
            Account::Available(user) => (user, false),
            Account::Held(user) => (user, true),
            _ => return,
        };
        let mut shard = self.users[shard(user)].write();
        let view = shard.entry(user).or_default();
        if view.balances.len() <= asset.index() {
            view.balances.resize(asset.index() + 1, BalanceView::default());
        }
        let b = &mut view.balances[asset.index()];
        let slot = if held { &mut b.held } else { &mut b.available };
        *slot = if credit {
            slot.checked_add(amount).expect("a balance fits in u64 (the engine bounds it)")
        } else {
            slot.checked_sub(amount).expect("the engine never posts a user below zero")
        };
    }

    fn with_order<T>(&self, order: OrderId, f: impl FnOnce(&mut OrderView) -> T) -> Option<T> {
        let (user, _) = *self.owners.read().get(&order)?;
        let mut shard = self.users[shard(user)].write();
        shard.get_mut(&user)?.open.get_mut(&order).map(f)
    }
}

fn shard(user: UserId) -> usize {
    user.index() % USER_SHARDS
}

fn change_of(feed: &mut Feed, market: MarketId) -> &mut MarketChange {
    let at = match feed.markets.iter().position(|c| c.market == market) {
        Some(at) => at,
        None => {
            feed.markets.push(MarketChange { market, bids: false, asks: false, trades: Vec::new() });
            feed.markets.len() - 1
        }
    };
    &mut feed.markets[at]
}

fn touch(feed: &mut Feed, market: MarketId, side: Side) {
    let change = change_of(feed, market);
    match side {
        Side::Buy => change.bids = true,
        Side::Sell => change.asks = true,
    }
}

/// Trades kept per market in one feed (the socket sends at most 30 anyway).
const FEED_TRADES_MAX: usize = 64;

fn push_trade(feed: &mut Feed, market: MarketId, trade: TradeView) {
    let change = change_of(feed, market);
    if change.trades.len() < FEED_TRADES_MAX {
        change.trades.push(trade);
    }
}
