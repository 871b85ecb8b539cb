//! talat's matching engine: a pure state machine. [`Engine::apply`] takes one sequenced
//! [`Input`] and appends the [`Event`]s it caused; it does no I/O, reads no clock (time comes
//! with the input), uses no randomness, no floats, and never iterates an unordered map, so the
//! same inputs give byte-identical state on any machine.
//!
//! Module map:
//! * [`ledger`] — double-entry balances; every change is a posting.
//! * [`orders`] — the slab of live orders and their hold/fee/rounding arithmetic.
//! * [`book`] — price levels, FIFO queues and waiting stop orders of one market.
//! * [`estimate`] — the fee and proceeds a placement expects, by the settlement rounding rules.
//! * `admin`, `funds`, `trading`, `matching` — the command handlers.
//! * [`snapshot`] — canonical snapshot, restore and state hash.
//! * [`invariants`] — conservation, held = owed, book consistency; run after every command in
//!   debug builds and tests, on demand in release.
//!
//! Every handler validates everything first and mutates only after: a rejected command
//! changes nothing but the sequence number.

pub mod book;
pub mod estimate;
mod id_index;
pub mod invariants;
mod ladder;
pub mod ledger;
pub mod orders;
mod prefetch;
pub mod snapshot;

mod admin;
mod funds;
mod matching;
mod trading;
mod venue;

use book::Book;
use ledger::{Balance, Ledger};
use orders::{Order, OrderStore, NIL};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use talat_core::money::{pow10, GridStep};
use talat_core::{
    AssetId, AssetSpec, ClientId, Command, Event, ExternalId, Funding, Input, MarketId, MarketSpec, OrderId, Price, RejectReason, ResumeState, Seq, Side,
    TierLimits, UserId, WithdrawalBudget,
};

pub use invariants::InvariantViolation;
pub use snapshot::SnapshotError;

/// Bounds on everything the engine stores. Part of the state (snapshotted), so replicas agree.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineConfig {
    pub max_users: u32,
    pub max_assets: u16,
    pub max_markets: u16,
    /// Live orders (resting and stop) across all markets.
    pub max_live_orders: u32,
    pub max_open_orders_per_user: u32,
    /// How many (user, client_id) pairs are remembered for idempotent retries, oldest forgotten
    /// first.
    pub client_id_window: u32,
    /// Run the full invariant check after every command (slow: O(state)). On in debug builds.
    #[serde(skip, default = "default_check_invariants")]
    pub check_invariants_every_command: bool,
}

fn default_check_invariants() -> bool {
    cfg!(debug_assertions)
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_users: 10_000_000,
            max_assets: 1_000,
            max_markets: 10_000,
            max_live_orders: 50_000_000,
            max_open_orders_per_user: 100_000,
            client_id_window: 1_000_000,
            check_invariants_every_command: default_check_invariants(),
        }
    }
}

pub(crate) struct MarketState {
    pub spec: MarketSpec,
    pub base: AssetId,
    pub quote: AssetId,
    /// `10^(price_scale + base_scale − quote_scale)`: quote units = price × qty / divisor.
    pub notional_divisor: u128,
    pub last_price: Option<Price>,
    /// Inclusive price limits of the band, recomputed whenever the reference price or the band
    /// width changes (see `refresh_band`), so orders do not pay for 128-bit arithmetic.
    pub band_limits: Option<(u64, u64)>,
    pub price_grid: GridStep,
    pub qty_grid: GridStep,
    /// `min_quote × notional_divisor`, so the minimum check needs no division (saturated: an
    /// unreachable minimum stays unreachable).
    pub min_quote_scaled: u128,
    pub book: Book,
}

impl MarketState {
    pub fn new(spec: MarketSpec, base: AssetId, quote: AssetId, notional_divisor: u128, last_price: Option<Price>, book: Book) -> MarketState {
        let mut state = MarketState {
            price_grid: GridStep::new(spec.price_step),
            qty_grid: GridStep::new(spec.qty_step),
            min_quote_scaled: (spec.min_quote.0 as u128).saturating_mul(notional_divisor),
            spec,
            base,
            quote,
            notional_divisor,
            last_price,
            band_limits: None,
            book,
        };
        state.refresh_band();
        state
    }

    /// Sets the last trade price and recomputes the band around it.
    pub fn set_last_price(&mut self, price: Price) {
        if self.last_price != Some(price) {
            self.last_price = Some(price);
            self.refresh_band();
        }
    }

    pub fn refresh_band(&mut self) {
        self.band_limits = self.compute_band();
    }

    /// The band's centre: the last trade, else the configured opening price.
    pub fn reference_price(&self) -> Option<Price> {
        self.last_price.or(self.spec.opening_price)
    }

    /// The asset an order on `side` holds: quote for a buy, base for a sell.
    pub fn held_asset(&self, side: Side) -> AssetId {
        match side {
            Side::Buy => self.quote,
            Side::Sell => self.base,
        }
    }
}

/// A withdrawal the engine holds, neither settled nor released yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingWithdrawal<'a> {
    pub id: &'a ExternalId,
    pub user: UserId,
    pub asset: AssetId,
    pub amount: u64,
    pub fee: u64,
    /// The Bangkok day (days since 1970) the hold was charged to the daily budget, and how much.
    pub budget_day: u32,
    pub budget_value: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct UserState {
    /// Self-trade-prevention group: the lowest user id among linked accounts.
    pub stp_group: UserId,
    pub limits: TierLimits,
    /// Today's withdrawal usage in the budget's asset: (Bangkok day number, value used).
    pub withdrawn_today: (u32, u64),
}

/// What every order reads or writes of its user, packed apart from [`UserState`] so that with
/// many users it stays in cache: a mirror of `stp_group` and `limits.can_trade`, and the head,
/// tail and length of the user's open-order list (derived; rebuilt on restore).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UserHot {
    pub stp_group: UserId,
    pub can_trade: bool,
    pub open_orders: u32,
    pub orders_head: u32,
    pub orders_tail: u32,
}

impl UserHot {
    pub fn of(state: &UserState) -> UserHot {
        UserHot { stp_group: state.stp_group, can_trade: state.limits.can_trade, open_orders: 0, orders_head: NIL, orders_tail: NIL }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum WithdrawalState {
    /// `value`: what the hold counted against the day's budget, returned on release.
    Pending {
        user: UserId,
        asset: AssetId,
        amount: u64,
        fee: u64,
        day: u32,
        value: u64,
    },
    Settled,
    Released,
}

/// Live orders plus users from which [`Engine::lookahead_pays`]: several MB of orders, index
/// and per-user state, more than a core's own caches (4 MiB of L2 on the project's machine).
pub const LOOKAHEAD_MIN_ENTRIES: usize = 65_536;

/// How many commands ahead of the one being applied [`Engine::prefetch_upcoming`] is given its
/// command ([`Engine::prefetch_next`] gets the very next one): far enough for the misses it
/// starts to land while the commands between run.
pub const UPCOMING_DISTANCE: usize = 2;

pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) last_seq: Seq,
    pub(crate) last_ts_ms: u64,
    pub(crate) next_order_id: u64,
    pub(crate) maintenance: bool,
    pub(crate) assets: Vec<AssetSpec>,
    pub(crate) asset_by_code: BTreeMap<String, AssetId>,
    pub(crate) markets: Vec<MarketState>,
    pub(crate) market_by_symbol: BTreeMap<String, MarketId>,
    pub(crate) users: Vec<UserState>,
    pub(crate) users_hot: Vec<UserHot>,
    pub(crate) ledger: Ledger,
    pub(crate) orders: OrderStore,
    /// (user, client_id) → order, for idempotent placement; `client_id_fifo` evicts the oldest.
    pub(crate) client_ids: FxHashMap<(UserId, ClientId), OrderId>,
    pub(crate) client_id_fifo: VecDeque<(UserId, ClientId, OrderId)>,
    pub(crate) deposits: BTreeSet<ExternalId>,
    pub(crate) withdrawals: BTreeMap<ExternalId, WithdrawalState>,
    pub(crate) compensations: BTreeSet<ExternalId>,
    pub(crate) funding: Funding,
    pub(crate) resume: ResumeState,
    /// Each armed dead-man's switch: user → deadline (sequenced ms). One per user.
    pub(crate) cancel_after: BTreeMap<UserId, u64>,
}

/// Result of validating a command: a rejection carries the reason; nothing was changed.
pub(crate) type Checked<T> = Result<T, RejectReason>;

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            config,
            last_seq: 0,
            last_ts_ms: 0,
            next_order_id: 1,
            maintenance: false,
            assets: Vec::new(),
            asset_by_code: BTreeMap::new(),
            markets: Vec::new(),
            market_by_symbol: BTreeMap::new(),
            users: Vec::new(),
            users_hot: Vec::new(),
            ledger: Ledger::default(),
            orders: OrderStore::default(),
            client_ids: FxHashMap::default(),
            client_id_fifo: VecDeque::new(),
            deposits: BTreeSet::new(),
            withdrawals: BTreeMap::new(),
            compensations: BTreeSet::new(),
            funding: Funding::default(),
            resume: ResumeState::default(),
            cancel_after: BTreeMap::new(),
        }
    }

    /// Applies one sequenced command, appending its events to `out`. Sequence numbers must
    /// follow one another without gaps (the journal guarantees it; anything else is a bug).
    pub fn apply(&mut self, input: &Input, out: &mut Vec<Event>) {
        assert_eq!(input.seq, self.last_seq + 1, "engine: command out of sequence");
        self.last_seq = input.seq;
        // Time never runs backwards inside the engine, whatever the sequencer's clock did.
        self.last_ts_ms = self.last_ts_ms.max(input.ts_ms);
        let first_event = out.len();
        if self.lookahead_pays() {
            self.prefetch(&input.command);
        }
        let result = self.dispatch(&input.command, out);
        if let Err(reason) = result {
            debug_assert_eq!(out.len(), first_event, "a rejected command must emit nothing else");
            out.push(Event::Rejected { reason });
        }
        if self.config.check_invariants_every_command {
            if let Err(violation) = self.check_invariants() {
                panic!("engine invariant broken after seq {}: {violation} (command {:?})", input.seq, input.command);
            }
        }
    }

    /// Whether prefetching pays for itself: only once the orders and users outgrow the caches.
    /// Below that every line a prefetch loads is already there and the prefetch is pure work
    /// (address arithmetic, a second index or ladder lookup). It gates the look-ahead hints
    /// (`talat bench engine`: the normal case, 1,000 resting orders, ran 7 % slower with them;
    /// the large one, a million orders and 100 k users, 24-43 % faster) and the prefetches a
    /// command makes for itself (`apply`'s start, an amend's or a cancel's order, an amend's
    /// new level: the normal case 6.6-6.8 → 7.0-7.2 M ops/s without them, the large one level).
    #[inline]
    pub fn lookahead_pays(&self) -> bool {
        self.orders.len() + self.users_hot.len() >= LOOKAHEAD_MIN_ENTRIES
    }

    /// A hint for a command that will be applied a few commands from now (the rest of a
    /// sequencer batch, a benchmark's stream): starts loading what it reads first, as `apply`
    /// does at its own start, but early enough that those misses overlap the commands before it.
    /// Changes nothing; a wrong hint costs only memory bandwidth.
    #[inline]
    pub fn prefetch_upcoming(&self, command: &Command) {
        self.prefetch(command);
    }

    /// A hint for the very next command, given after [`Engine::prefetch_upcoming`] for it: the
    /// order an amend or a cancel names is looked up (its index bucket is loaded by now) and the
    /// order itself starts loading. Changes nothing.
    #[inline]
    pub fn prefetch_next(&self, command: &Command) {
        if let Command::AmendOrder { order, .. } | Command::CancelOrder { order, .. } = command {
            if let Some(slot) = self.orders.slot_of(*order) {
                self.orders.prefetch_order(slot);
                self.orders.prefetch_links(slot);
            }
        }
    }

    /// Starts loading what an order command reads first — its user, the order's index bucket or
    /// the balance it holds from — so that those cache misses overlap rather than follow one
    /// another (with 100 k users and a million orders, each is a miss). Changes nothing.
    #[inline]
    fn prefetch(&self, command: &Command) {
        let user = match command {
            Command::PlaceOrder(new) => {
                if let Some(m) = self.markets.get(new.market.index()) {
                    self.ledger.prefetch(new.user, m.held_asset(new.side));
                    if let talat_core::OrderKind::Limit { price, .. } = new.kind {
                        m.book.prefetch_level_at(new.side, price);
                    }
                }
                new.user
            }
            Command::AmendOrder { user, order, .. } | Command::CancelOrder { user, order } => {
                self.orders.prefetch_id(*order);
                *user
            }
            _ => return,
        };
        if let Some(hot) = self.users_hot.get(user.index()) {
            prefetch::read(hot);
        }
    }

    fn dispatch(&mut self, command: &Command, out: &mut Vec<Event>) -> Checked<()> {
        match command {
            Command::ListAsset(spec) => self.list_asset(spec, out),
            Command::ListMarket(spec) => self.list_market(spec, out),
            Command::SetMarketMode { market, mode } => self.set_market_mode(*market, *mode, out),
            Command::SetMaintenance { on } => self.set_maintenance(*on, out),
            Command::SetFees { market, maker_fee_ppm, taker_fee_ppm } => self.set_fees(*market, *maker_fee_ppm, *taker_fee_ppm, out),
            Command::SetBand { market, band_bps } => self.set_band(*market, *band_bps, out),
            Command::CreateUser => self.create_user(out),
            Command::LinkAccounts { a, b } => self.link_accounts(*a, *b, out),
            Command::SetTierLimits { user, limits } => self.set_tier_limits(*user, limits, out),
            Command::Deposit { user, asset, amount, external_id } => self.deposit(*user, *asset, *amount, external_id, out),
            Command::WithdrawalHold { user, asset, amount, fee, withdrawal_id } => self.withdrawal_hold(*user, *asset, *amount, *fee, withdrawal_id, out),
            Command::WithdrawalSettle { withdrawal_id } => self.withdrawal_settle(withdrawal_id, out),
            Command::WithdrawalRelease { withdrawal_id } => self.withdrawal_release(withdrawal_id, out),
            Command::Compensate { user, asset, amount, reference } => self.compensate(*user, *asset, *amount, reference, out),
            Command::PlaceOrder(order) => self.place_order(order, out),
            Command::AmendOrder { user, order, price, qty } => self.amend_order(*user, *order, *price, *qty, out),
            Command::CancelOrder { user, order } => self.cancel_order(*user, *order, out),
            Command::CancelAll { user, market } => self.cancel_all(*user, *market, out),
            Command::SetFunding(funding) => self.set_funding(*funding, out),
            Command::Resume { step } => self.resume(*step, out),
            Command::CancelAfter { user, timeout_ms } => self.cancel_after(*user, *timeout_ms, out),
            Command::CancelAfterExpired { user } => self.cancel_after_expired(*user, out),
        }
    }

    // ---- read access (for the gateway's published views, tests and tools) ----

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn set_check_invariants_every_command(&mut self, on: bool) {
        self.config.check_invariants_every_command = on;
    }

    pub fn last_seq(&self) -> Seq {
        self.last_seq
    }

    pub fn last_ts_ms(&self) -> u64 {
        self.last_ts_ms
    }

    pub fn maintenance(&self) -> bool {
        self.maintenance
    }

    pub fn funding(&self) -> Funding {
        self.funding
    }

    pub fn resume_state(&self) -> &ResumeState {
        &self.resume
    }

    /// Every armed dead-man's switch: (user, deadline in sequenced ms), by user.
    pub fn cancel_after_deadlines(&self) -> impl Iterator<Item = (UserId, u64)> + '_ {
        self.cancel_after.iter().map(|(&u, &d)| (u, d))
    }

    pub fn user_count(&self) -> u32 {
        self.users.len() as u32
    }

    /// Withdrawals held and neither settled nor released yet.
    pub fn pending_withdrawals(&self) -> impl Iterator<Item = PendingWithdrawal<'_>> + '_ {
        self.withdrawals.iter().filter_map(|(id, w)| match w {
            WithdrawalState::Pending { user, asset, amount, fee, day, value } => {
                Some(PendingWithdrawal { id, user: *user, asset: *asset, amount: *amount, fee: *fee, budget_day: *day, budget_value: *value })
            }
            WithdrawalState::Settled | WithdrawalState::Released => None,
        })
    }

    /// Every user's daily withdrawal budget and today's use of it: (user, budget, (Bangkok day,
    /// value used that day)). Users without a budget are left out.
    pub fn withdrawal_budgets(&self) -> impl Iterator<Item = (UserId, WithdrawalBudget, (u32, u64))> + '_ {
        self.users.iter().enumerate().filter_map(|(i, u)| u.limits.daily_withdrawal.map(|b| (UserId(i as u32), b, u.withdrawn_today)))
    }

    pub fn assets(&self) -> &[AssetSpec] {
        &self.assets
    }

    pub fn asset_id(&self, code: &str) -> Option<AssetId> {
        self.asset_by_code.get(code).copied()
    }

    pub fn market_id(&self, symbol: &str) -> Option<MarketId> {
        self.market_by_symbol.get(symbol).copied()
    }

    pub fn market_count(&self) -> u16 {
        self.markets.len() as u16
    }

    pub fn market_spec(&self, market: MarketId) -> Option<&MarketSpec> {
        self.markets.get(market.index()).map(|m| &m.spec)
    }

    pub fn market_assets(&self, market: MarketId) -> Option<(AssetId, AssetId)> {
        self.markets.get(market.index()).map(|m| (m.base, m.quote))
    }

    pub fn last_price(&self, market: MarketId) -> Option<Price> {
        self.markets.get(market.index()).and_then(|m| m.last_price)
    }

    pub fn balance(&self, user: UserId, asset: AssetId) -> Option<Balance> {
        (user.index() < self.users.len() && asset.index() < self.assets.len()).then(|| self.ledger.balance(user, asset))
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn live_order_count(&self) -> usize {
        self.orders.len()
    }

    pub fn order(&self, id: OrderId) -> Option<&Order> {
        self.orders.slot_of(id).map(|slot| self.orders.get(slot))
    }

    /// Aggregated depth: up to `levels` (price, total quantity) pairs of one side, best first.
    pub fn depth(&self, market: MarketId, side: Side, levels: usize) -> Vec<(Price, u64)> {
        let Some(m) = self.markets.get(market.index()) else { return Vec::new() };
        m.book.levels(side).take(levels).map(|l| (Price(l.price), l.total_qty)).collect()
    }

    /// Live and kept-empty price levels of one side of a market (see [`book::Book`]).
    pub fn level_counts(&self, market: MarketId, side: Side) -> Option<(usize, usize)> {
        self.markets.get(market.index()).map(|m| (m.book.level_count(side), m.book.empty_level_count(side)))
    }

    /// A user's live orders (resting and stop) in placement order.
    pub fn open_orders(&self, user: UserId) -> Vec<&Order> {
        let mut out = Vec::new();
        let Some(u) = self.users_hot.get(user.index()) else { return out };
        let mut slot = u.orders_head;
        while slot != NIL {
            let o = self.orders.get(slot);
            out.push(o);
            slot = self.orders.links(slot).user_next;
        }
        out
    }

    // ---- helpers shared by the handlers ----

    pub(crate) fn user(&self, user: UserId) -> Checked<&UserState> {
        self.users.get(user.index()).ok_or(RejectReason::UnknownUser)
    }

    #[inline]
    pub(crate) fn user_hot(&self, user: UserId) -> Checked<&UserHot> {
        self.users_hot.get(user.index()).ok_or(RejectReason::UnknownUser)
    }

    pub(crate) fn market(&self, market: MarketId) -> Checked<&MarketState> {
        self.markets.get(market.index()).ok_or(RejectReason::UnknownMarket)
    }

    pub(crate) fn asset(&self, asset: AssetId) -> Checked<&AssetSpec> {
        self.assets.get(asset.index()).ok_or(RejectReason::UnknownAsset)
    }

    /// Links a newly live order at the end of its user's order list.
    pub(crate) fn link_user_order(&mut self, slot: u32) {
        let user = self.orders.get(slot).user;
        let u = &mut self.users_hot[user.index()];
        let old_tail = u.orders_tail;
        u.orders_tail = slot;
        if old_tail == NIL {
            u.orders_head = slot;
        }
        u.open_orders += 1;
        let links = self.orders.links_mut(slot);
        links.user_prev = old_tail;
        links.user_next = NIL;
        if old_tail != NIL {
            self.orders.links_mut(old_tail).user_next = slot;
        }
    }

    pub(crate) fn unlink_user_order(&mut self, slot: u32) {
        let user = self.orders.get(slot).user;
        let orders::Links { user_prev: prev, user_next: next, .. } = *self.orders.links(slot);
        if prev != NIL {
            self.orders.links_mut(prev).user_next = next;
        }
        if next != NIL {
            self.orders.links_mut(next).user_prev = prev;
        }
        let u = &mut self.users_hot[user.index()];
        if u.orders_head == slot {
            u.orders_head = next;
        }
        if u.orders_tail == slot {
            u.orders_tail = prev;
        }
        u.open_orders -= 1;
    }

    pub(crate) fn notional_divisor(base_scale: u8, quote_scale: u8, price_scale: u8) -> Option<u128> {
        let exp = (price_scale as u32 + base_scale as u32).checked_sub(quote_scale as u32)?;
        pow10(exp)
    }
}

/// Bangkok (UTC+7) calendar day number of a Unix-ms time: daily limits reset at Thai midnight.
/// The engine keeps it as a `u32` (enough until the year 11 million).
pub(crate) fn bangkok_day(ts_ms: u64) -> u32 {
    talat_core::calendar::bangkok_days(ts_ms) as u32
}
