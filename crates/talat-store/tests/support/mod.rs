//! Test support: a real engine producing `Applied` batches, the databases the suite runs on,
//! and an independent fold of the events (the oracle the projections are compared with).

#![allow(dead_code)]

pub mod pg;

use std::collections::BTreeMap;
use talat_core::*;
use talat_engine::{Engine, EngineConfig};
use talat_store::Store;
use tempfile::TempDir;

pub const THB: AssetId = AssetId(0);
pub const BTC: AssetId = AssetId(1);
pub const ETH: AssetId = AssetId(2);
pub const BTC_THB: MarketId = MarketId(0);
pub const ETH_THB: MarketId = MarketId(1);
pub const THB_1: u64 = 100;
pub const BTC_1: u64 = 100_000_000;

/// One database for one scenario: a SQLite file in a temporary directory, or a fresh database
/// on the suite's PostgreSQL server.
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A directory that does not exist yet: connect creates it.
        let url = format!("sqlite://{}/nested/store.db", dir.path().display());
        TestDb { url, _dir: Some(dir) }
    }

    pub async fn postgres(server: &pg::PgServer) -> TestDb {
        TestDb { url: server.fresh_database().await, _dir: None }
    }

    pub async fn connect(&self) -> Store {
        Store::connect(&self.url).await.unwrap_or_else(|e| panic!("connecting to {}: {e}", self.url))
    }
}

/// A real engine with a manual clock, recording every applied command. Commands applied
/// between two `tick`s share one time, as the sequencer stamps one time per batch.
pub struct Sim {
    pub engine: Engine,
    pub seq: u64,
    pub ts_ms: u64,
    pub log: Vec<Applied>,
}

impl Sim {
    /// THB (2), BTC (8), ETH (8); BTC_THB and ETH_THB with Bitkub's defaults.
    pub fn new() -> Sim {
        Sim::with_config(EngineConfig::default())
    }

    pub fn with_config(config: EngineConfig) -> Sim {
        let mut sim = Sim { engine: Engine::new(config), seq: 0, ts_ms: 1_700_000_000_000, log: Vec::new() };
        for (code, scale) in [("THB", 2), ("BTC", 8), ("ETH", 8)] {
            sim.ok(Command::ListAsset(AssetSpec { code: code.into(), scale }));
        }
        for base in ["BTC", "ETH"] {
            sim.ok(Command::ListMarket(MarketSpec::with_defaults(base, "THB", 2, 1, 1)));
        }
        sim
    }

    pub fn tick(&mut self, ms: u64) {
        self.ts_ms += ms;
    }

    pub fn apply(&mut self, command: Command) -> Vec<Event> {
        self.seq += 1;
        let input = Input { seq: self.seq, ts_ms: self.ts_ms, command };
        let mut events = Vec::new();
        self.engine.apply(&input, &mut events);
        self.log.push(Applied { input, events: events.clone() });
        events
    }

    pub fn ok(&mut self, command: Command) -> Vec<Event> {
        let events = self.apply(command.clone());
        if let Some(Event::Rejected { reason }) = events.first() {
            panic!("{command:?} was rejected: {reason:?}");
        }
        events
    }

    pub fn rejected(&mut self, command: Command) -> RejectReason {
        match self.apply(command.clone()).as_slice() {
            [Event::Rejected { reason }] => *reason,
            other => panic!("{command:?} was not rejected: {other:?}"),
        }
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

    /// A user with 10 M THB, 100 BTC and 100 ETH.
    pub fn rich_user(&mut self) -> UserId {
        let user = self.user();
        self.deposit(user, THB, 10_000_000 * THB_1);
        self.deposit(user, BTC, 100 * BTC_1);
        self.deposit(user, ETH, 100 * BTC_1);
        user
    }

    pub fn place_in(&mut self, market: MarketId, user: UserId, side: Side, kind: OrderKind) -> (Option<OrderId>, Vec<Event>) {
        let events = self.apply(Command::PlaceOrder(NewOrder { user, market, side, kind, client_id: None, stp: StpMode::ExpireTaker }));
        let id = events.iter().find_map(|e| match e {
            Event::OrderAccepted { order, .. } => Some(*order),
            _ => None,
        });
        (id, events)
    }

    /// A GTC limit order in BTC_THB at `price_thb` for `qty_sat`; must be accepted.
    pub fn limit(&mut self, user: UserId, side: Side, price_thb: u64, qty_sat: u64) -> OrderId {
        let kind = OrderKind::Limit { price: Price(price_thb * THB_1), qty: Qty(qty_sat), tif: TimeInForce::Gtc };
        self.place_in(BTC_THB, user, side, kind).0.expect("accepted")
    }

    /// Takes the commands logged since the last call.
    pub fn take(&mut self, from: &mut usize) -> Vec<Applied> {
        let batch = self.log[*from..].to_vec();
        *from = self.log.len();
        batch
    }
}

/// An order as the events alone say it stands, folded one event at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub filled_qty: u64,
    pub filled_quote: u64,
    pub fee: u64,
    pub done: Option<(DoneReason, u64)>,
    pub created_ts_ms: u64,
}

pub fn expected_orders(log: &[Applied]) -> BTreeMap<OrderId, Expected> {
    let mut orders: BTreeMap<OrderId, Expected> = BTreeMap::new();
    for a in log {
        for e in &a.events {
            match e {
                Event::OrderAccepted { order, user, market, side, .. } => {
                    orders.insert(
                        *order,
                        Expected {
                            user: *user,
                            market: *market,
                            side: *side,
                            filled_qty: 0,
                            filled_quote: 0,
                            fee: 0,
                            done: None,
                            created_ts_ms: a.input.ts_ms,
                        },
                    );
                }
                Event::Trade { maker_order, taker_order, taker_side, qty, quote_paid, quote_received, maker_fee, taker_fee, .. } => {
                    for (order, side, fee) in [(maker_order, taker_side.opposite(), maker_fee), (taker_order, *taker_side, taker_fee)] {
                        let o = orders.get_mut(order).expect("a trade names accepted orders");
                        o.filled_qty += qty.0;
                        o.filled_quote += if side == Side::Buy { quote_paid.0 } else { quote_received.0 };
                        o.fee += fee.0;
                    }
                }
                Event::OrderDone { order, reason, remaining } => {
                    orders.get_mut(order).expect("done names an accepted order").done = Some((*reason, remaining.0));
                }
                _ => {}
            }
        }
    }
    orders
}

/// Every trade in the log with its (seq, index within the command) and time.
pub fn trades_in(log: &[Applied]) -> Vec<(u64, u32, u64, Event)> {
    let mut out = Vec::new();
    for a in log {
        let mut idx = 0;
        for e in &a.events {
            if let Event::Trade { .. } = e {
                out.push((a.input.seq, idx, a.input.ts_ms, e.clone()));
                idx += 1;
            }
        }
    }
    out
}

/// `suite!(scenario, …)`: each scenario (an `async fn(&TestDb)`) as its own SQLite test, and all
/// of them in one test on a real PostgreSQL server started for it (one server per file keeps
/// the suite fast). The calling file needs `TestDb` and `pg` in scope.
#[allow(unused_macros)] // dedicated.rs shares this module but runs no suite
macro_rules! suite {
    ($($scenario:ident),+ $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(&TestDb::sqlite()).await;
                }
            )+
        }

        /// Every scenario on a real PostgreSQL server started for this test.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres_suite() {
            let server = pg::PgServer::start();
            $(
                eprintln!("postgres: {}", stringify!($scenario));
                $scenario(&TestDb::postgres(&server).await).await;
            )+
        }
    };
}
