//! The simulated market the scenarios run on: the real engine, fed commands stamped with
//! simulated time, its output fed to a [`Monitor`] exactly as the live follower feeds it.
//!
//! Background trading (the clean part of every scenario):
//! - a fair price that takes a one-tick step up or down in about a third of the seconds;
//! - market makers quoting a ladder around it: inner levels follow the fair price within a few
//!   ticks, outer levels (out to 12 %) only when it moved half a percent;
//! - retail accounts that, on average every two seconds, send a market order, rest a limit
//!   order some ticks away (and cancel it later), or cancel early. Sizes are spread evenly in
//!   log scale over two decades (so first digits follow Benford's law) and one in seven is
//!   rounded to a round size, as people do;
//! - some retail accounts share an IP (a household) and two are staff accounts that trade
//!   like everyone else: links that must not, by themselves, raise alerts.

use super::rng::Rng;
use crate::alert::Alert;
use crate::monitor::Monitor;
use crate::LinkKind;
use std::collections::VecDeque;
use talat_core::{
    Amount, AssetSpec, Command, Event, ExternalId, Input, MarketId, MarketSpec, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce, UserId,
};
use talat_engine::{Engine, EngineConfig};

/// Price units per tick (0.10 THB at a price of 1,000.00 THB: one basis point).
pub const TICK: u64 = 10;
/// The fair price the simulation starts at: 1,000.00 THB (price scale 2).
pub const START_PRICE: u64 = 100_000;
/// One whole ALT in base units (scale 8).
pub const ALT: u64 = 100_000_000;
/// The size grid: 0.0001 ALT.
pub const QTY_STEP: u64 = 10_000;

const MARKET_MAKERS: u32 = 4;
/// Ladder offsets from the fair price (ticks) and sizes (hundredths of an ALT).
const LADDER: [(u64, u64); 8] = [(2, 50), (5, 100), (10, 200), (30, 500), (100, 1_500), (300, 4_000), (600, 6_000), (1_200, 10_000)];
/// Levels below this index follow the fair price closely; the rest only on larger moves.
const INNER_LEVELS: usize = 3;
const INNER_REQUOTE_TICKS: u64 = 5;
/// Less than the gap between the widest inner and the nearest outer level, so a maker's new
/// inner quotes never cross its own stale outer ones.
const OUTER_REQUOTE_TICKS: u64 = 15;
/// Resting retail orders remembered per account (older ones are cancelled).
const RETAIL_RESTING_MAX: usize = 8;

pub struct MarketMaker {
    pub user: UserId,
    inner_mid: u64,
    outer_mid: u64,
    inner: Vec<OrderId>,
    outer: Vec<OrderId>,
}

pub struct Retail {
    pub user: UserId,
    /// Resting orders (id, when to cancel, side): all on one side at a time, as a person who
    /// is buying does not also sell into their own orders.
    resting: VecDeque<(OrderId, u64, Side)>,
}

pub struct Sim {
    engine: Engine,
    pub monitor: Monitor,
    pub market: MarketId,
    seq: u64,
    pub ts_ms: u64,
    pub fair: u64,
    pub rng: Rng,
    pub makers: Vec<MarketMaker>,
    pub retail: Vec<Retail>,
    pub alerts: Vec<Alert>,
    /// Orders placed by the background accounts, and by everyone.
    pub background_orders: u64,
    pub orders: u64,
    next_user: u32,
    events: Vec<Event>,
    /// Every executed command, when recording (for replay tests).
    pub recorded: Option<Vec<talat_core::Applied>>,
}

/// Whole seconds of a simulated instant.
pub fn secs(ts_ms: u64) -> u64 {
    ts_ms / 1_000
}

impl Sim {
    /// A fresh exchange with one market (ALT_THB), its market makers and `retail` accounts.
    pub fn new(seed: u64, start_ts_ms: u64, retail: u32, monitor: Monitor, record: bool) -> Sim {
        let config = EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() };
        let mut sim = Sim {
            engine: Engine::new(config),
            monitor,
            market: MarketId(0),
            seq: 0,
            ts_ms: start_ts_ms,
            fair: START_PRICE,
            rng: Rng::new(seed),
            makers: Vec::new(),
            retail: Vec::new(),
            alerts: Vec::new(),
            background_orders: 0,
            orders: 0,
            next_user: 0,
            events: Vec::new(),
            recorded: record.then(Vec::new),
        };
        sim.exec(Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 }));
        sim.exec(Command::ListAsset(AssetSpec { code: "ALT".into(), scale: 8 }));
        let mut spec = MarketSpec::with_defaults("ALT", "THB", 2, TICK, QTY_STEP);
        spec.opening_price = Some(Price(START_PRICE));
        sim.exec(Command::ListMarket(spec));
        for _ in 0..MARKET_MAKERS {
            let user = sim.new_account();
            sim.makers.push(MarketMaker { user, inner_mid: 0, outer_mid: 0, inner: Vec::new(), outer: Vec::new() });
        }
        for i in 0..retail {
            let user = sim.new_account();
            sim.retail.push(Retail { user, resting: VecDeque::new() });
            // Households: every tenth pair shares an IP address.
            if i % 10 == 1 {
                let other = sim.retail[i as usize - 1].user;
                sim.monitor.links_mut().add(other, LinkKind::Ip, format!("household-{i}"));
                sim.monitor.links_mut().add(user, LinkKind::Ip, format!("household-{i}"));
            }
        }
        // Two staff members who also trade, as staff of exchanges do.
        for r in sim.retail.iter().take(2) {
            sim.monitor.links_mut().add_staff(r.user);
        }
        sim.requote_all(true);
        sim
    }

    /// A funded account (THB 10 bn and 10 m ALT: background money is never the constraint).
    pub fn new_account(&mut self) -> UserId {
        let user = UserId(self.next_user);
        self.next_user += 1;
        self.exec(Command::CreateUser);
        for (asset, amount) in [(0u16, 1_000_000_000_000u64), (1, 10_000_000 * ALT)] {
            let id = ExternalId(format!("fund-{}-{asset}", user.0));
            self.exec(Command::Deposit { user, asset: talat_core::AssetId(asset), amount: Amount(amount), external_id: id });
        }
        user
    }

    /// Executes one command at the current simulated time and feeds the monitor.
    pub fn exec(&mut self, command: Command) -> &[Event] {
        self.seq += 1;
        let input = Input { seq: self.seq, ts_ms: self.ts_ms, command };
        self.events.clear();
        self.engine.apply(&input, &mut self.events);
        let applied = talat_core::Applied { input, events: std::mem::take(&mut self.events) };
        let mut output = self.monitor.observe(&applied);
        self.alerts.append(&mut output.alerts);
        if let Some(recorded) = self.recorded.as_mut() {
            recorded.push(applied.clone());
        }
        self.events = applied.events;
        &self.events
    }

    pub fn best(&self, side: Side) -> Option<u64> {
        self.engine.depth(self.market, side, 1).first().map(|(p, _)| p.0)
    }

    pub fn last_price(&self) -> u64 {
        self.engine.last_price(self.market).map_or(START_PRICE, |p| p.0)
    }

    /// Open quantity of the best `levels` prices of one side.
    pub fn depth(&self, side: Side, levels: usize) -> u64 {
        self.engine.depth(self.market, side, levels).iter().map(|(_, q)| q).sum()
    }

    /// Places an order; its id if the engine accepted it.
    pub fn place(&mut self, user: UserId, side: Side, kind: OrderKind) -> Option<OrderId> {
        self.orders += 1;
        let market = self.market;
        let events = self.exec(Command::PlaceOrder(NewOrder { user, market, side, kind, client_id: None, stp: StpMode::ExpireTaker }));
        events.iter().find_map(|e| match e {
            Event::OrderAccepted { order, .. } => Some(*order),
            _ => None,
        })
    }

    pub fn limit(&mut self, user: UserId, side: Side, price: u64, qty: u64, tif: TimeInForce) -> Option<OrderId> {
        let price = (price / TICK).max(1) * TICK;
        let qty = (qty / QTY_STEP).max(1) * QTY_STEP;
        self.place(user, side, OrderKind::Limit { price: Price(price), qty: Qty(qty), tif })
    }

    /// A market order of `qty` base units (a buy spends what that costs at the last price, and
    /// a little more, so it is not short of money at the first levels).
    pub fn market_order(&mut self, user: UserId, side: Side, qty: u64) -> Option<OrderId> {
        let qty = (qty / QTY_STEP).max(1) * QTY_STEP;
        let amount = match side {
            Side::Sell => qty,
            // price (satang per ALT) × qty (base units) / 10^8 base units per ALT.
            Side::Buy => (u128::from(self.last_price()) * u128::from(qty) / u128::from(ALT)) as u64 * 105 / 100,
        };
        self.place(user, side, OrderKind::Market { amount: Amount(amount.max(1_000)) })
    }

    pub fn cancel(&mut self, user: UserId, order: OrderId) {
        self.exec(Command::CancelOrder { user, order });
    }

    /// One simulated second of background trading, then time moves on.
    pub fn background_second(&mut self) {
        if self.rng.chance(330) {
            self.fair = if self.rng.chance(500) { self.fair + TICK } else { self.fair.saturating_sub(TICK).max(TICK * 100) };
        }
        self.requote_all(false);
        let actions = self.rng.below(3); // 0, 1 or 2 retail actions: one a second on average
        for _ in 0..actions {
            self.retail_action();
        }
    }

    /// A retail size: spread evenly in log scale over [0.02, 2] ALT; one in seven rounded.
    pub fn retail_size(&mut self) -> u64 {
        if self.rng.chance(143) {
            const ROUND: [u64; 6] = [5, 10, 20, 50, 100, 200]; // hundredths of an ALT
            return ROUND[self.rng.below(6) as usize] * ALT / 100;
        }
        self.rng.log_uniform(2 * ALT / 100, 2 * ALT)
    }

    fn retail_action(&mut self) {
        let i = self.rng.below(self.retail.len() as u64) as usize;
        let user = self.retail[i].user;
        let side = if self.rng.chance(500) { Side::Buy } else { Side::Sell };
        // Someone who turns from selling to buying cancels their resting sells first.
        if self.retail[i].resting.front().is_some_and(|r| r.2 != side) {
            while let Some((order, ..)) = self.retail[i].resting.pop_front() {
                self.cancel(user, order);
            }
        }
        let roll = self.rng.below(100);
        let size = self.retail_size();
        self.background_orders += 1;
        if roll < 55 {
            self.market_order(user, side, size);
        } else if roll < 90 {
            let away = 3 + self.rng.below(60);
            let price = match side {
                Side::Buy => self.fair.saturating_sub(away * TICK),
                Side::Sell => self.fair + away * TICK,
            };
            let lifetime_s = 60 + self.rng.below(1_800);
            if let Some(order) = self.limit(user, side, price, size, TimeInForce::Gtc) {
                let resting = &mut self.retail[i].resting;
                resting.push_back((order, secs(self.ts_ms) + lifetime_s, side));
                if resting.len() > RETAIL_RESTING_MAX {
                    let (old, ..) = resting.pop_front().expect("just pushed");
                    self.cancel(user, old);
                }
            }
        } else {
            self.background_orders -= 1;
            if let Some((order, ..)) = self.retail[i].resting.pop_front() {
                self.cancel(user, order);
            }
        }
        // Expired resting orders of this account.
        let now_s = secs(self.ts_ms);
        while let Some(&(order, until, _)) = self.retail[i].resting.front() {
            if until > now_s {
                break;
            }
            self.retail[i].resting.pop_front();
            self.cancel(user, order);
        }
    }

    /// Market makers move their ladders to the fair price (inner levels on small moves, outer
    /// levels on large ones, or everything when `all`).
    pub fn requote_all(&mut self, all: bool) {
        for m in 0..self.makers.len() {
            let fair = self.fair;
            let (inner_due, outer_due) = {
                let maker = &self.makers[m];
                (all || maker.inner_mid.abs_diff(fair) >= INNER_REQUOTE_TICKS * TICK, all || maker.outer_mid.abs_diff(fair) >= OUTER_REQUOTE_TICKS * TICK)
            };
            if inner_due {
                self.requote(m, 0..INNER_LEVELS);
            }
            if outer_due {
                self.requote(m, INNER_LEVELS..LADDER.len());
            }
        }
    }

    fn requote(&mut self, m: usize, levels: std::ops::Range<usize>) {
        let user = self.makers[m].user;
        let inner = levels.start == 0;
        let old = std::mem::take(if inner { &mut self.makers[m].inner } else { &mut self.makers[m].outer });
        for order in old {
            self.cancel(user, order);
        }
        let fair = self.fair;
        let mut placed = Vec::new();
        for level in levels {
            let (offset, hundredths) = LADDER[level];
            // Each maker spaces its ladder a little differently.
            let offset = offset + m as u64;
            for side in [Side::Buy, Side::Sell] {
                let size = hundredths * ALT / 100 * (80 + self.rng.below(40)) / 100;
                let price = match side {
                    Side::Buy => fair.saturating_sub(offset * TICK),
                    Side::Sell => fair + offset * TICK,
                };
                if let Some(order) = self.limit(user, side, price, size, TimeInForce::Gtc) {
                    placed.push(order);
                }
            }
        }
        let maker = &mut self.makers[m];
        if inner {
            maker.inner = placed;
            maker.inner_mid = fair;
        } else {
            maker.outer = placed;
            maker.outer_mid = fair;
        }
    }
}
