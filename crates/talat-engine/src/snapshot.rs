//! Snapshot, restore and state hash.
//!
//! A snapshot is the engine's canonical logical state — not its memory layout: books are
//! written level by level in queue order, orders without slab slots or links, maps in key order,
//! balances without trailing zero entries. Restoring rebuilds the indexes from that, so an engine
//! restored from a snapshot and one that never stopped produce the same snapshot bytes, and the
//! state hash is simply SHA-256 over those bytes.
//!
//! Format: `MAGIC` (8 bytes), format version (u32 little-endian), postcard payload. Version 2
//! appends the venue's switches (funding, resume, dead-man's switches) as a second postcard
//! value; a state whose switches are all at rest is still written as version 1, so every state
//! that existed before them keeps its bytes and its hash (journals' checkpoints still verify).

use crate::book::Book;
use crate::ledger::{Balance, Ledger, SystemAccounts};
use crate::orders::{Order, OrderState, OrderStore, NIL};
use crate::{Engine, EngineConfig, MarketState, UserHot, UserState, WithdrawalState};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, VecDeque};
use talat_core::{AssetSpec, ClientId, ExternalId, Funding, MarketId, MarketSpec, OrderId, Price, Qty, ResumeState, Side, StpMode, UserId};

/// The venue's switches: version 2's second value, field for field [`VenueView`].
#[derive(Deserialize, Default)]
struct VenueSnap {
    funding: Funding,
    resume: ResumeState,
    cancel_after: Vec<(UserId, u64)>,
}

#[derive(Serialize)]
struct VenueView<'a> {
    funding: Funding,
    resume: &'a ResumeState,
    cancel_after: SeqOf<std::collections::btree_map::Iter<'a, UserId, u64>>,
}

impl VenueView<'_> {
    fn at_rest(&self) -> bool {
        self.funding == Funding::default() && !self.resume.active() && self.resume.markets.is_empty() && self.cancel_after.0.len() == 0
    }
}

const MAGIC: &[u8; 8] = b"TALATSNP";
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;
/// The version written while the venue's switches are at rest.
const SNAPSHOT_FORMAT_V1: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a talat snapshot (bad magic)")]
    BadMagic,
    #[error("snapshot format version {0} is not supported (this build reads 1 to {SNAPSHOT_FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    #[error("snapshot payload is malformed: {0}")]
    Malformed(String),
    #[error("snapshot state violates an invariant: {0}")]
    Invalid(String),
}

/// The snapshot as read back. [`SnapshotView`] writes the same layout from borrowed state.
#[derive(Deserialize)]
struct SnapshotV1 {
    config: EngineConfig,
    last_seq: u64,
    last_ts_ms: u64,
    next_order_id: u64,
    maintenance: bool,
    assets: Vec<AssetSpec>,
    markets: Vec<MarketSnap>,
    users: Vec<UserState>,
    balances: Vec<Vec<(u64, u64)>>,
    system: Vec<(i128, i128, i128, i128)>,
    client_ids: Vec<(UserId, ClientId, OrderId)>,
    deposits: Vec<ExternalId>,
    withdrawals: Vec<(ExternalId, WithdrawalState)>,
    compensations: Vec<ExternalId>,
}

#[derive(Deserialize)]
struct MarketSnap {
    spec: MarketSpec,
    last_price: Option<Price>,
    /// Best first, oldest first within a level.
    bids: Vec<OrderSnap>,
    asks: Vec<OrderSnap>,
    /// In trigger order.
    buy_stops: Vec<OrderSnap>,
    sell_stops: Vec<OrderSnap>,
}

#[derive(Deserialize)]
struct OrderSnap {
    id: OrderId,
    user: UserId,
    side: Side,
    price: Price,
    stop_price: Price,
    open_qty: Qty,
    filled_qty: Qty,
    budget: u64,
    post_only: bool,
    stp: StpMode,
    ts_ms: u64,
    client_id: Option<ClientId>,
    held: u64,
    cum_quote_scaled: u128,
    cum_quote_settled: u64,
    cum_fee_scaled: u128,
    cum_fee_charged: u64,
}

impl OrderSnap {
    fn into_order(self, market: MarketId, state: OrderState) -> Order {
        Order {
            id: self.id,
            user: self.user,
            market,
            side: self.side,
            state,
            price: self.price,
            stop_price: self.stop_price,
            open_qty: self.open_qty,
            filled_qty: self.filled_qty,
            budget: self.budget,
            post_only: self.post_only,
            stp: self.stp,
            ts_ms: self.ts_ms,
            client_id: self.client_id,
            held: self.held,
            cum_quote_scaled: self.cum_quote_scaled,
            cum_quote_settled: self.cum_quote_settled,
            cum_fee_scaled: self.cum_fee_scaled,
            cum_fee_charged: self.cum_fee_charged,
            level: NIL,
        }
    }
}

impl Engine {
    /// The canonical snapshot of the whole state.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1 << 16);
        write_snapshot(&self.view(), &mut bytes);
        bytes
    }

    /// SHA-256 of the canonical snapshot: equal for equal states on any machine. The snapshot is
    /// streamed into the hasher from a borrowed view: nothing is cloned or buffered, so a
    /// checkpoint costs one pass over the state.
    pub fn state_hash(&self) -> [u8; 32] {
        hash_view(&self.view())
    }

    /// The state hash without the sequence clock (last sequence number and time): unchanged by
    /// a rejected command, which is how tests show that a rejection changes nothing.
    pub fn content_hash(&self) -> [u8; 32] {
        let mut view = self.view();
        (view.last_seq, view.last_ts_ms) = (0, 0);
        hash_view(&view)
    }

    /// The state as the snapshot writes it, borrowed; field for field the layout of
    /// [`SnapshotV1`], which reads it back.
    fn view(&self) -> SnapshotView<'_> {
        let orders = |slots: Vec<u32>| slots.into_iter().map(|s| OrderView::of(self.orders.get(s))).collect();
        SnapshotView {
            config: &self.config,
            last_seq: self.last_seq,
            last_ts_ms: self.last_ts_ms,
            next_order_id: self.next_order_id,
            maintenance: self.maintenance,
            assets: &self.assets,
            markets: self
                .markets
                .iter()
                .map(|m| MarketView {
                    spec: &m.spec,
                    last_price: m.last_price,
                    bids: orders(m.book.queue_order(&self.orders, Side::Buy)),
                    asks: orders(m.book.queue_order(&self.orders, Side::Sell)),
                    buy_stops: orders(m.book.buy_stops.values().copied().collect()),
                    sell_stops: orders(m.book.sell_stops.values().copied().collect()),
                })
                .collect(),
            users: &self.users,
            balances: (0..self.users.len()).map(|u| BalancesView(self.ledger.user_balances(UserId(u as u32)))).collect(),
            system: (0..self.assets.len())
                .map(|a| {
                    let s = self.ledger.system(talat_core::AssetId(a as u16));
                    (s.fee_revenue, s.rounding, s.custody, s.compensation)
                })
                .collect(),
            client_ids: self.client_id_fifo.iter().map(|(user, cid, order)| (user, cid, order)).collect(),
            deposits: &self.deposits,
            withdrawals: SeqOf(self.withdrawals.iter()),
            compensations: &self.compensations,
            venue: VenueView { funding: self.funding, resume: &self.resume, cancel_after: SeqOf(self.cancel_after.iter()) },
        }
    }

    /// Rebuilds an engine from snapshot bytes and checks every invariant before returning it.
    pub fn restore(bytes: &[u8]) -> Result<Engine, SnapshotError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(SnapshotError::BadMagic);
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        let malformed = |e: postcard::Error| SnapshotError::Malformed(e.to_string());
        let (snap, rest): (SnapshotV1, &[u8]) = postcard::take_from_bytes(&bytes[12..]).map_err(malformed)?;
        let venue = match version {
            SNAPSHOT_FORMAT_V1 => VenueSnap::default(),
            SNAPSHOT_FORMAT_VERSION => postcard::from_bytes(rest).map_err(malformed)?,
            _ => return Err(SnapshotError::UnsupportedVersion(version)),
        };
        let mut engine = Engine::from_snapshot(snap)?;
        if venue.cancel_after.iter().any(|(u, _)| u.index() >= engine.users.len()) || venue.resume.markets.iter().any(|m| m.index() >= engine.markets.len()) {
            return Err(SnapshotError::Malformed("a dead-man's switch of no known user or a resume of no known market".into()));
        }
        engine.funding = venue.funding;
        engine.resume = venue.resume;
        engine.cancel_after = venue.cancel_after.into_iter().collect();
        engine.check_invariants().map_err(|v| SnapshotError::Invalid(v.0))?;
        Ok(engine)
    }

    fn from_snapshot(snap: SnapshotV1) -> Result<Engine, SnapshotError> {
        let malformed = |what: &str| SnapshotError::Malformed(what.to_string());
        let mut engine = Engine::new(snap.config);
        engine.last_seq = snap.last_seq;
        engine.last_ts_ms = snap.last_ts_ms;
        engine.next_order_id = snap.next_order_id;
        engine.maintenance = snap.maintenance;
        for (i, asset) in snap.assets.iter().enumerate() {
            engine.asset_by_code.insert(asset.code.clone(), talat_core::AssetId(i as u16));
        }
        engine.assets = snap.assets;
        if snap.system.len() != engine.assets.len() || snap.balances.len() != snap.users.len() {
            return Err(malformed("account tables do not match the asset and user lists"));
        }
        let system =
            snap.system.iter().map(|&(fee_revenue, rounding, custody, compensation)| SystemAccounts { fee_revenue, rounding, custody, compensation }).collect();
        let mut balances = Vec::with_capacity(snap.balances.len());
        for list in &snap.balances {
            if list.len() > engine.assets.len() {
                return Err(malformed("a user has balances of unlisted assets"));
            }
            balances.push(list.iter().map(|&(available, held)| Balance { available, held }).collect());
        }
        engine.ledger = Ledger::from_parts(balances, system);
        engine.users_hot = snap.users.iter().map(UserHot::of).collect();
        engine.users = snap.users;
        let mut orders = OrderStore::default();
        let mut all: Vec<(OrderId, u32)> = Vec::new();
        let mut seen_ids = std::collections::BTreeSet::new();
        for (mi, ms) in snap.markets.into_iter().enumerate() {
            let market = MarketId(mi as u16);
            if ms.spec.price_step == 0 || ms.spec.qty_step == 0 {
                return Err(malformed("a market with a zero price or quantity step"));
            }
            for o in ms.bids.iter().chain(&ms.asks).chain(&ms.buy_stops).chain(&ms.sell_stops) {
                if !seen_ids.insert(o.id) || o.id.0 == 0 || o.id.0 >= snap.next_order_id {
                    return Err(malformed("an order id is repeated or not yet issued"));
                }
            }
            if ms.bids.iter().chain(&ms.asks).any(|o| o.open_qty.0 == 0 || o.price.0 == 0) {
                return Err(malformed("a resting order with no quantity or price"));
            }
            if ms.bids.iter().chain(&ms.asks).any(|o| o.price.0 % ms.spec.price_step != 0) {
                return Err(malformed("a resting price off the market's grid"));
            }
            let base = *engine.asset_by_code.get(&ms.spec.base).ok_or_else(|| malformed("market of an unlisted asset"))?;
            let quote = *engine.asset_by_code.get(&ms.spec.quote).ok_or_else(|| malformed("market of an unlisted asset"))?;
            let notional_divisor = Engine::notional_divisor(engine.assets[base.index()].scale, engine.assets[quote.index()].scale, ms.spec.price_scale)
                .ok_or_else(|| malformed("market scales"))?;
            let mut book = Book::new(ms.spec.price_step);
            for o in ms.bids.into_iter().chain(ms.asks) {
                check_user(&o, engine.users.len())?;
                let slot = orders.insert(o.into_order(market, OrderState::Resting));
                book.push_back(&mut orders, slot);
                all.push((orders.get(slot).id, slot));
            }
            for o in ms.buy_stops.into_iter().chain(ms.sell_stops) {
                check_user(&o, engine.users.len())?;
                let (side, stop_price, id) = (o.side, o.stop_price, o.id);
                let slot = orders.insert(o.into_order(market, OrderState::Stop));
                book.add_stop(side, stop_price, id, slot);
                all.push((id, slot));
            }
            engine.market_by_symbol.insert(ms.spec.symbol.clone(), market);
            engine.markets.push(MarketState::new(ms.spec, base, quote, notional_divisor, ms.last_price, book));
        }
        engine.orders = orders;
        all.sort();
        for (_, slot) in all {
            engine.link_user_order(slot);
        }
        let mut client_ids = FxHashMap::default();
        let mut fifo = VecDeque::with_capacity(snap.client_ids.len());
        for (user, cid, order) in snap.client_ids {
            client_ids.insert((user, cid.clone()), order);
            fifo.push_back((user, cid, order));
        }
        engine.client_ids = client_ids;
        engine.client_id_fifo = fifo;
        engine.deposits = snap.deposits.into_iter().collect();
        engine.withdrawals = snap.withdrawals.into_iter().collect();
        engine.compensations = snap.compensations.into_iter().collect();
        Ok(engine)
    }
}

// ---- the borrowed view the snapshot and the hashes are written from ----

#[derive(Serialize)]
struct SnapshotView<'a> {
    config: &'a EngineConfig,
    last_seq: u64,
    last_ts_ms: u64,
    next_order_id: u64,
    maintenance: bool,
    assets: &'a [AssetSpec],
    markets: Vec<MarketView<'a>>,
    users: &'a [UserState],
    balances: Vec<BalancesView<'a>>,
    system: Vec<(i128, i128, i128, i128)>,
    client_ids: Vec<(&'a UserId, &'a ClientId, &'a OrderId)>,
    deposits: &'a BTreeSet<ExternalId>,
    withdrawals: SeqOf<std::collections::btree_map::Iter<'a, ExternalId, WithdrawalState>>,
    compensations: &'a BTreeSet<ExternalId>,
    /// Written after the view, as version 2's second value (never inside the first).
    #[serde(skip)]
    venue: VenueView<'a>,
}

#[derive(Serialize)]
struct MarketView<'a> {
    spec: &'a MarketSpec,
    last_price: Option<Price>,
    bids: Vec<OrderView<'a>>,
    asks: Vec<OrderView<'a>>,
    buy_stops: Vec<OrderView<'a>>,
    sell_stops: Vec<OrderView<'a>>,
}

/// Field for field [`OrderSnap`].
#[derive(Serialize)]
struct OrderView<'a> {
    id: OrderId,
    user: UserId,
    side: Side,
    price: Price,
    stop_price: Price,
    open_qty: Qty,
    filled_qty: Qty,
    budget: u64,
    post_only: bool,
    stp: StpMode,
    ts_ms: u64,
    client_id: &'a Option<ClientId>,
    held: u64,
    cum_quote_scaled: u128,
    cum_quote_settled: u64,
    cum_fee_scaled: u128,
    cum_fee_charged: u64,
}

impl OrderView<'_> {
    fn of(o: &Order) -> OrderView<'_> {
        OrderView {
            id: o.id,
            user: o.user,
            side: o.side,
            price: o.price,
            stop_price: o.stop_price,
            open_qty: o.open_qty,
            filled_qty: o.filled_qty,
            budget: o.budget,
            post_only: o.post_only,
            stp: o.stp,
            ts_ms: o.ts_ms,
            client_id: &o.client_id,
            held: o.held,
            cum_quote_scaled: o.cum_quote_scaled,
            cum_quote_settled: o.cum_quote_settled,
            cum_fee_scaled: o.cum_fee_scaled,
            cum_fee_charged: o.cum_fee_charged,
        }
    }
}

/// Serialises a (cheaply cloned) iterator as a sequence.
struct SeqOf<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for SeqOf<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// One user's balances without trailing zero entries, as `(available, held)` pairs.
#[derive(Clone, Copy)]
struct BalancesView<'a>(&'a [Balance]);

impl Serialize for BalancesView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let used = self.0.iter().rposition(|b| *b != Balance::default()).map_or(0, |i| i + 1);
        serializer.collect_seq(self.0[..used].iter().map(|b| (b.available, b.held)))
    }
}

fn write_snapshot(view: &SnapshotView<'_>, out: &mut impl std::io::Write) {
    let at_rest = view.venue.at_rest();
    let version = if at_rest { SNAPSHOT_FORMAT_V1 } else { SNAPSHOT_FORMAT_VERSION };
    out.write_all(MAGIC).expect("snapshot sink");
    out.write_all(&version.to_le_bytes()).expect("snapshot sink");
    postcard::to_io(view, &mut *out).expect("serialising a snapshot into memory cannot fail");
    if !at_rest {
        postcard::to_io(&view.venue, out).expect("serialising a snapshot into memory cannot fail");
    }
}

fn hash_view(view: &SnapshotView<'_>) -> [u8; 32] {
    struct HashSink(Sha256);
    impl std::io::Write for HashSink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = HashSink(Sha256::new());
    write_snapshot(view, &mut sink);
    sink.0.finalize().into()
}

fn check_user(o: &OrderSnap, user_count: usize) -> Result<(), SnapshotError> {
    if o.user.index() >= user_count {
        return Err(SnapshotError::Malformed(format!("order {} belongs to no known user", o.id)));
    }
    Ok(())
}
