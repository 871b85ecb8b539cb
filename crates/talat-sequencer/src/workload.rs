//! Seeded streams of real engine commands, for the crash tests, the load client of the real-crash
//! test and the journal benchmarks.
//!
//! A [`Workload`] first lists THB and a few base assets with their THB markets, creates users and
//! funds them generously ([`Workload::setup`]); then [`Workload::next_command`] yields a mix of
//! limit orders (GTC, IOC, FOK, post-only) around a moving mid price, market and stop orders,
//! cancels, amends, cancel-alls, deposits, withdrawal holds/settles/releases and retried client
//! ids — money movements are rare (about 1 % of commands) as on a real exchange, whose engine
//! remembers every external id forever. It learns live order ids and pending withdrawals from the events it is shown
//! ([`Workload::observe`]); feeding it late or never only makes more commands rejected, which
//! the engine must handle anyway. Its memory is bounded.

use std::collections::{HashMap, VecDeque};
use talat_core::{
    Amount, AssetId, AssetSpec, ClientId, Command, Event, ExternalId, MarketId, MarketSpec, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode,
    TimeInForce, UserId,
};

/// Base assets the workload can list, one THB market each.
const BASES: [&str; 8] = ["BTC", "ETH", "USDT", "KUB", "XRP", "ADA", "DOGE", "SOL"];
/// Opening mid price of every market: 1,000,000.00 THB (price scale 2).
const MID_PRICE: u64 = 100_000_000;
/// One lot: 0.0001 of a base unit (scale 8), worth 100 THB at the mid.
const LOT: u64 = 10_000;
/// Funding per user and asset at setup, in smallest units.
const FUNDING: u64 = 10_000_000_000_000;
/// Bounds on what the workload remembers.
const LIVE_ORDERS_MAX: usize = 1 << 20;
const PENDING_WITHDRAWALS_MAX: usize = 1_024;
const RECENT_CLIENT_IDS_MAX: usize = 1_024;

/// The shape of a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadConfig {
    pub seed: u64,
    /// Users created at setup (ids `0..users`).
    pub users: u32,
    /// Markets listed at setup (at most 8).
    pub markets: u16,
    /// Live orders per market above which the workload mostly cancels.
    pub target_live_per_market: usize,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig { seed: 42, users: 100, markets: 2, target_live_per_market: 1_000 }
    }
}

/// A small, fast, seeded generator (SplitMix64); identical streams on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0);
        self.next_u64() % n
    }

    pub fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1_000) < per_thousand
    }
}

pub struct Workload {
    config: WorkloadConfig,
    rng: Rng,
    /// Live orders as last seen, for cancels and amends; `live_index` finds one for removal.
    live: Vec<(OrderId, UserId, MarketId)>,
    live_index: HashMap<OrderId, usize>,
    pending_withdrawals: VecDeque<ExternalId>,
    recent_client_ids: VecDeque<(UserId, MarketId, ClientId)>,
    /// Per market: the price the workload quotes around (follows trades).
    mids: Vec<u64>,
    next_external: u64,
}

impl Workload {
    pub fn new(config: WorkloadConfig) -> Self {
        assert!(config.users >= 2, "a market needs two users");
        assert!((1..=BASES.len() as u16).contains(&config.markets));
        Workload {
            rng: Rng::new(config.seed),
            mids: vec![MID_PRICE; config.markets as usize],
            config,
            live: Vec::new(),
            live_index: HashMap::new(),
            pending_withdrawals: VecDeque::new(),
            recent_client_ids: VecDeque::new(),
            next_external: 0,
        }
    }

    pub fn config(&self) -> &WorkloadConfig {
        &self.config
    }

    /// Commands that set the exchange up; all succeed on a new engine.
    pub fn setup(&self) -> Vec<Command> {
        let mut commands = vec![Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 })];
        for base in BASES.iter().take(self.config.markets as usize) {
            commands.push(Command::ListAsset(AssetSpec { code: (*base).into(), scale: 8 }));
        }
        for base in BASES.iter().take(self.config.markets as usize) {
            let mut spec = MarketSpec::with_defaults(base, "THB", 2, 1, LOT);
            spec.opening_price = Some(Price(MID_PRICE));
            commands.push(Command::ListMarket(spec));
        }
        for user in 0..self.config.users {
            commands.push(Command::CreateUser);
            for asset in 0..=self.config.markets {
                commands.push(Command::Deposit {
                    user: UserId(user),
                    asset: AssetId(asset),
                    amount: Amount(FUNDING),
                    external_id: ExternalId(format!("setup-{user}-{asset}")),
                });
            }
        }
        commands
    }

    fn user(&mut self) -> UserId {
        UserId(self.rng.below(self.config.users as u64) as u32)
    }

    fn market(&mut self) -> MarketId {
        MarketId(self.rng.below(self.config.markets as u64) as u16)
    }

    fn side(&mut self) -> Side {
        if self.rng.chance(500) {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn external(&mut self, kind: &str) -> ExternalId {
        self.next_external += 1;
        ExternalId(format!("{kind}-{}-{}", self.config.seed, self.next_external))
    }

    /// A price near the market's mid: mostly on the own side of it, sometimes crossing.
    fn price(&mut self, market: MarketId, side: Side, spread_ticks: u64) -> Price {
        let mid = self.mids[market.index()];
        let offset = 1 + self.rng.below(spread_ticks);
        let crossing = self.rng.chance(250);
        let below = (side == Side::Buy) != crossing;
        Price(if below { mid - offset } else { mid + offset })
    }

    fn qty(&mut self) -> Qty {
        Qty(LOT * (1 + self.rng.below(20)))
    }

    fn limit(&mut self, tif: TimeInForce, spread_ticks: u64) -> Command {
        let (user, market, side) = (self.user(), self.market(), self.side());
        let price = self.price(market, side, spread_ticks);
        let qty = self.qty();
        let client_id = if self.rng.chance(100) {
            let id = self.external("c");
            let client = ClientId(id.0);
            if self.recent_client_ids.len() == RECENT_CLIENT_IDS_MAX {
                self.recent_client_ids.pop_front();
            }
            self.recent_client_ids.push_back((user, market, client.clone()));
            Some(client)
        } else {
            None
        };
        let stp = match self.rng.below(4) {
            0 => StpMode::ExpireTaker,
            1 => StpMode::ExpireMaker,
            2 => StpMode::ExpireBoth,
            _ => StpMode::Decrement,
        };
        Command::PlaceOrder(NewOrder { user, market, side, kind: OrderKind::Limit { price, qty, tif }, client_id, stp })
    }

    /// Picks a live order and forgets it (a cancel or a second cancel of it is a reject anyway).
    fn take_live(&mut self) -> Option<(OrderId, UserId, MarketId)> {
        if self.live.is_empty() {
            return None;
        }
        let index = self.rng.below(self.live.len() as u64) as usize;
        let picked = self.live[index];
        self.forget(picked.0);
        Some(picked)
    }

    fn forget(&mut self, order: OrderId) {
        if let Some(index) = self.live_index.remove(&order) {
            self.live.swap_remove(index);
            if let Some(moved) = self.live.get(index) {
                self.live_index.insert(moved.0, index);
            }
        }
    }

    fn cancel(&mut self) -> Command {
        match self.take_live() {
            Some((order, user, _)) if !self.rng.chance(50) => Command::CancelOrder { user, order },
            // A cancel of an order that does not exist (or not the user's): a clean reject.
            _ => {
                let user = self.user();
                Command::CancelOrder { user, order: OrderId(1 + self.rng.below(1 << 30)) }
            }
        }
    }

    /// The next command of the stream.
    pub fn next_command(&mut self) -> Command {
        let over_target = self.live.len() > self.config.target_live_per_market * self.config.markets as usize;
        if over_target && self.rng.chance(600) {
            return self.cancel();
        }
        let roll = self.rng.below(1_000);
        match roll {
            0..=399 => self.limit(TimeInForce::Gtc, 200),
            400..=479 => self.limit(TimeInForce::Ioc, 100),
            480..=499 => self.limit(TimeInForce::Fok, 100),
            500..=539 => self.limit(TimeInForce::PostOnly, 300),
            540..=559 => {
                let (user, market, side) = (self.user(), self.market(), self.side());
                let amount = match side {
                    Side::Buy => Amount(10_000 * (1 + self.rng.below(50))),
                    Side::Sell => Amount(LOT * (1 + self.rng.below(5))),
                };
                Command::PlaceOrder(NewOrder { user, market, side, kind: OrderKind::Market { amount }, client_id: None, stp: StpMode::ExpireTaker })
            }
            560..=579 => {
                let (user, market, side) = (self.user(), self.market(), self.side());
                let mid = self.mids[market.index()];
                let distance = 500 + self.rng.below(2_000);
                let (stop_price, price) = match side {
                    Side::Buy => (mid + distance, mid + distance + 100),
                    Side::Sell => (mid - distance, mid - distance - 100),
                };
                let qty = self.qty();
                Command::PlaceOrder(NewOrder {
                    user,
                    market,
                    side,
                    kind: OrderKind::StopLimit { stop_price: Price(stop_price), price: Price(price), qty },
                    client_id: None,
                    stp: StpMode::ExpireTaker,
                })
            }
            580..=779 => self.cancel(),
            780..=879 => match self.live.is_empty() {
                true => self.limit(TimeInForce::Gtc, 200),
                false => {
                    let index = self.rng.below(self.live.len() as u64) as usize;
                    let (order, user, market) = self.live[index];
                    let price = self.rng.chance(700).then(|| self.price(market, Side::Buy, 200));
                    let qty = (price.is_none() || self.rng.chance(300)).then(|| self.qty());
                    Command::AmendOrder { user, order, price, qty }
                }
            },
            880..=884 => {
                let user = self.user();
                let market = self.rng.chance(500).then(|| self.market());
                Command::CancelAll { user, market }
            }
            885..=889 => {
                let user = self.user();
                let asset = AssetId(self.rng.below(self.config.markets as u64 + 1) as u16);
                let external_id = self.external("dep");
                Command::Deposit { user, asset, amount: Amount(1 + self.rng.below(10_000_000)), external_id }
            }
            890..=892 => {
                let user = self.user();
                let asset = AssetId(self.rng.below(self.config.markets as u64 + 1) as u16);
                let withdrawal_id = self.external("wd");
                Command::WithdrawalHold { user, asset, amount: Amount(1 + self.rng.below(1_000_000)), fee: Amount(self.rng.below(1_000)), withdrawal_id }
            }
            893..=895 => match self.pending_withdrawals.pop_front() {
                Some(withdrawal_id) if self.rng.chance(700) => Command::WithdrawalSettle { withdrawal_id },
                Some(withdrawal_id) => Command::WithdrawalRelease { withdrawal_id },
                None => self.limit(TimeInForce::Gtc, 200),
            },
            896..=910 => match self.recent_client_ids.len() {
                0 => self.limit(TimeInForce::Gtc, 200),
                n => {
                    // A client retrying an order it already sent: the engine answers Duplicate.
                    let index = self.rng.below(n as u64) as usize;
                    let (user, market, client) = self.recent_client_ids[index].clone();
                    let side = self.side();
                    let price = self.price(market, side, 200);
                    Command::PlaceOrder(NewOrder {
                        user,
                        market,
                        side,
                        kind: OrderKind::Limit { price, qty: Qty(LOT), tif: TimeInForce::Gtc },
                        client_id: Some(client),
                        stp: StpMode::ExpireTaker,
                    })
                }
            },
            _ => self.limit(TimeInForce::Gtc, 2_000),
        }
    }

    /// Learns from a command's events: new live orders, finished ones, pending withdrawals and
    /// the last trade price of each market.
    pub fn observe(&mut self, events: &[Event]) {
        for event in events {
            match event {
                Event::OrderAccepted { order, user, market, .. } if self.live.len() < LIVE_ORDERS_MAX && !self.live_index.contains_key(order) => {
                    self.live_index.insert(*order, self.live.len());
                    self.live.push((*order, *user, *market));
                }
                Event::OrderDone { order, .. } => self.forget(*order),
                Event::WithdrawalHeld { withdrawal_id, .. } => {
                    if self.pending_withdrawals.len() == PENDING_WITHDRAWALS_MAX {
                        self.pending_withdrawals.pop_front();
                    }
                    self.pending_withdrawals.push_back(withdrawal_id.clone());
                }
                Event::Trade { market, price, .. } => {
                    if let Some(mid) = self.mids.get_mut(market.index()) {
                        // Stay well inside the ±20 % band around the opening price.
                        *mid = price.0.clamp(MID_PRICE * 9 / 10, MID_PRICE * 11 / 10);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_core::Input;
    use talat_engine::{Engine, EngineConfig};

    #[test]
    fn setup_succeeds_and_the_stream_trades_rejects_and_keeps_invariants() {
        let mut workload = Workload::new(WorkloadConfig { users: 10, ..WorkloadConfig::default() });
        let mut engine = Engine::new(EngineConfig { check_invariants_every_command: false, ..EngineConfig::default() });
        let mut seq = 0;
        let mut events = Vec::new();
        for command in workload.setup() {
            seq += 1;
            events.clear();
            engine.apply(&Input { seq, ts_ms: 1, command: command.clone() }, &mut events);
            assert!(!matches!(events.first(), Some(Event::Rejected { .. })), "{command:?}: {events:?}");
        }
        let (mut trades, mut rejects, mut duplicates, mut settled) = (0, 0, 0, 0);
        for _ in 0..20_000 {
            seq += 1;
            events.clear();
            let command = workload.next_command();
            engine.apply(&Input { seq, ts_ms: 2 + seq, command }, &mut events);
            workload.observe(&events);
            for event in &events {
                match event {
                    Event::Trade { .. } => trades += 1,
                    Event::Rejected { .. } => rejects += 1,
                    Event::Duplicate { .. } => duplicates += 1,
                    Event::WithdrawalSettled { .. } => settled += 1,
                    _ => {}
                }
            }
        }
        engine.check_invariants().unwrap();
        assert!(trades > 1_000 && rejects > 100 && duplicates > 10 && settled > 10, "{trades} {rejects} {duplicates} {settled}");
        assert!(engine.live_order_count() < 10_000, "the book stays bounded: {}", engine.live_order_count());
        // Same seed, same stream.
        let mut again = Workload::new(workload.config().clone());
        let mut first = Workload::new(workload.config().clone());
        for _ in 0..100 {
            assert_eq!(again.next_command(), first.next_command());
        }
    }
}
