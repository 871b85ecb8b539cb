//! matchcore 0.4: a single-threaded, sequenced, LMAX-style book, the
//! closest in design to talat's engine.

use matchcore::{
    AmendCmd, AmendPatch, CancelCmd, Command, CommandFailure, CommandKind, CommandMeta, CommandOutcome, LimitOrder, LimitOrderPatch, NewOrder, OrderBook,
    OrderFlags, OrderId, OrderKind, Price, Quantity, QuantityPolicy, SequenceNumber, SubmitCmd, TimeInForce, Timestamp,
};

use crate::book::{BookUnderTest, Outcome};
use crate::workload::{BookSpec, MarketOp, Op, Side, Tif};

/// No matchcore order has this id: matchcore numbers orders by the sequence
/// number of their submit, which starts at 0 and only grows.
const NO_ORDER: u64 = u64::MAX;

pub struct MatchcoreBooks {
    books: Vec<OrderBook>,
    /// Next sequence number per book: matchcore rejects any gap.
    next_seq: Vec<u64>,
    /// Workload id -> matchcore `OrderId`. matchcore assigns ids itself (the
    /// submit's sequence number), so the adapter must remember them; ids are
    /// dense, so a `Vec` shared by all books does it without hashing.
    ids: Vec<u64>,
}

impl MatchcoreBooks {
    pub const NAME: &'static str = "matchcore";
    pub const NOTES: &'static [&'static str] = &[
        "matchcore 0.4.0: place = Submit(Limit GTC|IOC); cancel = Cancel(Limit); \
         amend = native Amend with a limit patch setting price and quantity (one call, no cancel)",
        "matchcore assigns order ids (= submit sequence number); the adapter maps workload ids to them with a dense Vec",
        "matchcore 0.4.0 matches a crossing limit order (submit or amend) with no price limit, sweeping past its \
         limit price; so on this stream its book drifts from the price-time reference and some later cancels/amends \
         find their order already filled (counted as unknown-order, which are cheap for it)",
    ];

    pub fn new(spec: &BookSpec) -> Self {
        let markets = spec.markets as usize;
        Self {
            books: (0..markets).map(|m| OrderBook::new(&format!("M{m}"))).collect(),
            next_seq: vec![0; markets],
            ids: vec![NO_ORDER; spec.max_order_id as usize + 1],
        }
    }

    fn target(&self, id: u64) -> Option<OrderId> {
        match self.ids.get(id as usize) {
            Some(&oid) if oid != NO_ORDER => Some(OrderId(oid)),
            _ => None,
        }
    }
}

fn side(s: Side) -> matchcore::Side {
    match s {
        Side::Buy => matchcore::Side::Buy,
        Side::Sell => matchcore::Side::Sell,
    }
}

impl BookUnderTest for MatchcoreBooks {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply(&mut self, mo: &MarketOp) -> Outcome {
        let m = mo.market as usize;
        if m >= self.books.len() {
            return Outcome::Rejected;
        }
        let kind = match mo.op {
            Op::Place { id, side: s, price_ticks, qty_lots, tif, .. } => {
                let Some(slot) = self.ids.get_mut(id as usize) else {
                    return Outcome::Rejected;
                };
                *slot = self.next_seq[m];
                let tif = match tif {
                    Tif::Gtc => TimeInForce::Gtc,
                    Tif::Ioc => TimeInForce::Ioc,
                };
                CommandKind::Submit(SubmitCmd {
                    order: NewOrder::Limit(LimitOrder::new(
                        Price(price_ticks),
                        QuantityPolicy::Standard { quantity: Quantity(qty_lots) },
                        OrderFlags::new(side(s), false, tif),
                    )),
                })
            }
            Op::Cancel { id, .. } => {
                let Some(order_id) = self.target(id) else {
                    return Outcome::UnknownOrder;
                };
                CommandKind::Cancel(CancelCmd { order_id, order_kind: OrderKind::Limit })
            }
            Op::Amend { id, new_price_ticks, new_qty_lots, .. } => {
                let Some(order_id) = self.target(id) else {
                    return Outcome::UnknownOrder;
                };
                let patch = LimitOrderPatch::new()
                    .with_price(Price(new_price_ticks))
                    .with_quantity_policy(QuantityPolicy::Standard { quantity: Quantity(new_qty_lots) });
                CommandKind::Amend(AmendCmd { order_id, patch: AmendPatch::Limit(patch) })
            }
        };
        let seq = self.next_seq[m];
        self.next_seq[m] += 1;
        // The sequence number doubles as the timestamp: matchcore only needs
        // it non-decreasing, and reading a clock would be measured too.
        let cmd = Command { meta: CommandMeta { sequence_number: SequenceNumber(seq), timestamp: Timestamp(seq) }, kind };
        match self.books[m].execute(&cmd) {
            CommandOutcome::Applied(_) => Outcome::Done,
            CommandOutcome::Rejected(CommandFailure::OrderNotFound) => Outcome::UnknownOrder,
            CommandOutcome::Rejected(_) => Outcome::Rejected,
        }
    }

    fn resting_orders(&self) -> u64 {
        self.books.iter().map(|b| b.limit().orders().len() as u64).sum()
    }
}
