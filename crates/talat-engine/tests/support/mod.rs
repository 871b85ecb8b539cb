//! A small driver for engine tests: lists THB (scale 2), BTC (scale 8) and ETH (scale 8), the
//! markets BTC_THB and ETH_THB (price step 0.01 THB, quantity step 1 satoshi / 1 wei-unit),
//! and sequences commands with a manual clock.

#![allow(dead_code)]

use talat_core::*;
use talat_engine::{Engine, EngineConfig};

pub const THB: AssetId = AssetId(0);
pub const BTC: AssetId = AssetId(1);
pub const ETH: AssetId = AssetId(2);
pub const BTC_THB: MarketId = MarketId(0);
pub const ETH_THB: MarketId = MarketId(1);

/// 1 THB in satang.
pub const THB_1: u64 = 100;
/// 1 BTC in satoshi.
pub const BTC_1: u64 = 100_000_000;

pub struct Harness {
    pub engine: Engine,
    pub seq: u64,
    pub ts_ms: u64,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_markets(|_| {})
    }

    /// The standard assets and markets on an engine with `config`.
    pub fn with_config(config: EngineConfig) -> Harness {
        Harness::build(config, |_| {})
    }

    /// Lists the standard assets and markets, letting the caller adjust each market spec.
    pub fn with_markets(adjust: impl Fn(&mut MarketSpec)) -> Harness {
        Harness::build(EngineConfig::default(), adjust)
    }

    fn build(config: EngineConfig, adjust: impl Fn(&mut MarketSpec)) -> Harness {
        let mut h = Harness { engine: Engine::new(config), seq: 0, ts_ms: 1_700_000_000_000 };
        for (code, scale) in [("THB", 2), ("BTC", 8), ("ETH", 8)] {
            h.ok(Command::ListAsset(AssetSpec { code: code.into(), scale }));
        }
        for base in ["BTC", "ETH"] {
            let mut spec = MarketSpec::with_defaults(base, "THB", 2, 1, 1);
            adjust(&mut spec);
            h.ok(Command::ListMarket(spec));
        }
        h
    }

    pub fn apply(&mut self, command: Command) -> Vec<Event> {
        self.seq += 1;
        self.ts_ms += 1;
        let mut out = Vec::new();
        self.engine.apply(&Input { seq: self.seq, ts_ms: self.ts_ms, command }, &mut out);
        out
    }

    /// Applies a command that must not be rejected.
    pub fn ok(&mut self, command: Command) -> Vec<Event> {
        let events = self.apply(command.clone());
        if let Some(Event::Rejected { reason }) = events.first() {
            panic!("{command:?} was rejected: {reason:?}");
        }
        events
    }

    /// Applies a command that must be rejected for `reason`, and checks it changed nothing.
    pub fn rejects(&mut self, command: Command, reason: RejectReason) {
        let before = self.engine.content_hash();
        let events = self.apply(command.clone());
        assert_eq!(events, vec![Event::Rejected { reason }], "for {command:?}");
        assert_eq!(self.engine.content_hash(), before, "a rejected {command:?} changed state");
    }

    pub fn user(&mut self) -> UserId {
        match self.ok(Command::CreateUser).as_slice() {
            [Event::UserCreated { user }] => *user,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn deposit(&mut self, user: UserId, asset: AssetId, amount: u64) {
        let id = format!("dep-{}", self.seq + 1);
        self.ok(Command::Deposit { user, asset, amount: Amount(amount), external_id: ExternalId(id) });
    }

    /// A user funded with 10 M THB and 100 BTC and 100 ETH.
    pub fn rich_user(&mut self) -> UserId {
        let user = self.user();
        self.deposit(user, THB, 10_000_000 * THB_1);
        self.deposit(user, BTC, 100 * BTC_1);
        self.deposit(user, ETH, 100 * BTC_1);
        user
    }

    pub fn order(user: UserId, side: Side, kind: OrderKind) -> Command {
        Command::PlaceOrder(NewOrder { user, market: BTC_THB, side, kind, client_id: None, stp: StpMode::ExpireTaker })
    }

    pub fn limit(user: UserId, side: Side, price_thb: u64, qty_sat: u64) -> Command {
        Harness::order(user, side, OrderKind::Limit { price: Price(price_thb * THB_1), qty: Qty(qty_sat), tif: TimeInForce::Gtc })
    }

    /// Places an order that must be accepted; returns its id and all events.
    pub fn place(&mut self, command: Command) -> (OrderId, Vec<Event>) {
        let events = self.ok(command);
        let id = events
            .iter()
            .find_map(|e| match e {
                Event::OrderAccepted { order, .. } => Some(*order),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no OrderAccepted in {events:?}"));
        (id, events)
    }

    pub fn balance(&self, user: UserId, asset: AssetId) -> (u64, u64) {
        let b = self.engine.balance(user, asset).expect("known user and asset");
        (b.available, b.held)
    }

    pub fn trades(events: &[Event]) -> Vec<(OrderId, OrderId, u64, u64)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Trade { maker_order, taker_order, price, qty, .. } => Some((*maker_order, *taker_order, price.0, qty.0)),
                _ => None,
            })
            .collect()
    }

    pub fn done(events: &[Event], id: OrderId) -> Option<(DoneReason, u64)> {
        events.iter().find_map(|e| match e {
            Event::OrderDone { order, reason, remaining } if *order == id => Some((*reason, remaining.0)),
            _ => None,
        })
    }

    pub fn is_live(&self, id: OrderId) -> bool {
        self.engine.order(id).is_some()
    }
}
