//! talat's engine as a [`BookUnderTest`], so `talat bench engine` and `cargo bench` drive it
//! with exactly the op stream the peer crates get.
//!
//! Unlike the peers, talat does full exchange work on every op: balances are held and released,
//! fees charged, postings recorded, rejections validated. Accounts are funded and markets listed
//! while the book is built, outside the timer.

use talat_bench::{BookSpec, BookUnderTest, MarketOp, Op, Outcome, Side as WSide, Tif};
use talat_core::{
    Amount, AssetId, AssetSpec, Command, Event, ExternalId, Input, MarketId, MarketSpec, NewOrder, OrderId, OrderKind, Price, Qty, RejectReason, Side, StpMode,
    TimeInForce, UserId,
};
use talat_engine::{Engine, EngineConfig};

/// One lot of the workload is 0.01 of a base unit (10^6 units at scale 8): at the workload's
/// mid price of 10,000 THB a lot is worth 100 THB, above the 10 THB minimum.
pub const BASE_UNITS_PER_LOT: u64 = 1_000_000;

// The bench's timed loop hands every engine its far op at the distance the sequencer gives
// talat's engine its far hint; the two must not drift apart.
const _: () = assert!(talat_bench::LOOKAHEAD_FAR == talat_engine::UPCOMING_DISTANCE);

pub struct TalatBooks {
    engine: Engine,
    seq: u64,
    ts_ms: u64,
    events: Vec<Event>,
    /// Workload order id → talat order id (0 = never placed).
    ids: Vec<u64>,
}

impl TalatBooks {
    pub const NAME: &'static str = "talat";

    pub fn new(spec: &BookSpec) -> TalatBooks {
        let config = EngineConfig {
            max_live_orders: (spec.max_order_id + 1).min(u32::MAX as u64 - 1) as u32,
            check_invariants_every_command: false,
            ..EngineConfig::default()
        };
        let mut books = TalatBooks {
            engine: Engine::new(config),
            seq: 0,
            ts_ms: 1_700_000_000_000,
            events: Vec::with_capacity(64),
            ids: vec![0; spec.max_order_id as usize + 1],
        };
        books.setup(spec);
        books
    }

    fn submit(&mut self, command: Command) -> &[Event] {
        self.seq += 1;
        self.events.clear();
        self.engine.apply(&Input { seq: self.seq, ts_ms: self.ts_ms, command }, &mut self.events);
        &self.events
    }

    fn setup_ok(&mut self, command: Command) {
        let events = self.submit(command.clone());
        assert!(!matches!(events.first(), Some(Event::Rejected { .. })), "bench setup rejected: {command:?}");
    }

    /// Lists THB and one base asset per market, creates users `0..=accounts` and funds each
    /// well beyond what the stream can spend.
    fn setup(&mut self, spec: &BookSpec) {
        self.setup_ok(Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 }));
        for m in 0..spec.markets {
            let code = format!("C{m}");
            self.setup_ok(Command::ListAsset(AssetSpec { code: code.clone(), scale: 8 }));
            let mut market = MarketSpec::with_defaults(&code, "THB", 2, 1, BASE_UNITS_PER_LOT);
            market.opening_price = Some(Price(spec.mid_price_ticks));
            self.setup_ok(Command::ListMarket(market));
        }
        // As much as the engine's per-asset outstanding cap allows, shared by every account:
        // still far more than any account's orders in the stream can hold.
        let per_user = ((u64::MAX / 4) / (spec.accounts + 1)).min(1 << 50);
        let (per_user_quote, per_user_base) = (per_user, per_user);
        for user in 0..=spec.accounts {
            self.setup_ok(Command::CreateUser);
            let user = UserId(user as u32);
            self.setup_ok(Command::Deposit { user, asset: AssetId(0), amount: Amount(per_user_quote), external_id: ExternalId(format!("q{}", user.0)) });
            for m in 0..spec.markets {
                let asset = AssetId(1 + m as u16);
                let external_id = ExternalId(format!("b{}-{m}", user.0));
                self.setup_ok(Command::Deposit { user, asset, amount: Amount(per_user_base), external_id });
            }
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn outcome(&self) -> Outcome {
        match self.events.first() {
            Some(Event::Rejected { reason: RejectReason::UnknownOrder }) => Outcome::UnknownOrder,
            Some(Event::Rejected { .. }) => Outcome::Rejected,
            _ => Outcome::Done,
        }
    }

    /// The engine command for a workload op.
    #[inline]
    fn command(&self, op: &MarketOp) -> Command {
        let market = MarketId(op.market as u16);
        match op.op {
            Op::Place { account, side, price_ticks, qty_lots, tif, .. } => {
                let tif = match tif {
                    Tif::Gtc => TimeInForce::Gtc,
                    Tif::Ioc => TimeInForce::Ioc,
                };
                let side = match side {
                    WSide::Buy => Side::Buy,
                    WSide::Sell => Side::Sell,
                };
                let kind = OrderKind::Limit { price: Price(price_ticks), qty: Qty(qty_lots * BASE_UNITS_PER_LOT), tif };
                Command::PlaceOrder(NewOrder { user: UserId(account as u32), market, side, kind, client_id: None, stp: StpMode::ExpireTaker })
            }
            Op::Cancel { id, account } => Command::CancelOrder { user: UserId(account as u32), order: OrderId(self.ids[id as usize]) },
            Op::Amend { id, account, new_price_ticks, new_qty_lots } => Command::AmendOrder {
                user: UserId(account as u32),
                order: OrderId(self.ids[id as usize]),
                price: Some(Price(new_price_ticks)),
                qty: Some(Qty(new_qty_lots * BASE_UNITS_PER_LOT)),
            },
        }
    }
}

impl BookUnderTest for TalatBooks {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    #[inline]
    fn apply(&mut self, op: &MarketOp) -> Outcome {
        let command = self.command(op);
        let events = self.submit(command);
        if let (Op::Place { id, .. }, Some(Event::OrderAccepted { order, .. })) = (op.op, events.first()) {
            self.ids[id as usize] = order.0;
        }
        self.outcome()
    }

    /// The engine's look-ahead hints, as the sequencer gives them over a batch. An op ahead
    /// that names an order placed by an op before it still reads id 0 here: a wasted hint.
    #[inline]
    fn hint(&self, far: Option<&MarketOp>, near: Option<&MarketOp>) {
        if !self.engine.lookahead_pays() {
            return;
        }
        if let Some(op) = far {
            self.engine.prefetch_upcoming(&self.command(op));
        }
        if let Some(op) = near {
            self.engine.prefetch_next(&self.command(op));
        }
    }

    fn resting_orders(&self) -> u64 {
        self.engine.live_order_count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_bench::Workload;

    #[test]
    fn talat_agrees_with_the_workload_model_and_keeps_its_invariants() {
        let w = Workload::normal(7, 20_000);
        let mut books = TalatBooks::new(&w.spec);
        for op in w.warmup.iter() {
            assert_eq!(books.apply(op), Outcome::Done, "warm-up op {op:?}");
        }
        assert_eq!(books.resting_orders(), w.after_warmup.resting_orders);
        let mut rejected = 0;
        for op in &w.stream {
            rejected += (books.apply(op) == Outcome::Rejected) as u32;
        }
        assert_eq!(rejected, 0, "no op of the stream is refused for balance, grid or band");
        assert_eq!(books.resting_orders(), w.after_stream.resting_orders, "same book size as the price-time model");
        books.engine().check_invariants().unwrap();
    }
}

#[cfg(test)]
mod stp_tests {
    use super::*;
    use talat_bench::Workload;

    /// The workload's price-time model lets an account trade with itself; talat always applies
    /// self-trade prevention (expire-taker), so its books can differ from the model's. Count
    /// both, to show that every disagreement is explained by prevented self-trades.
    #[test]
    fn disagreements_with_the_workload_model_come_from_self_trade_prevention() {
        let w = Workload::normal(42, 200_000);
        let mut books = TalatBooks::new(&w.spec);
        for op in &w.warmup {
            books.apply(op);
        }
        let (mut prevented, mut unknown) = (0u64, 0u64);
        for op in &w.stream {
            unknown += (books.apply(op) == Outcome::UnknownOrder) as u64;
            prevented += books.events.iter().filter(|e| matches!(e, Event::SelfTradePrevented { .. })).count() as u64;
        }
        assert!(prevented > 0 || unknown == 0, "unknown orders ({unknown}) without any prevented self-trade");
    }
}
