//! lobster 0.7: a minimal BTreeMap book with market, limit and cancel only.
//! The baseline: no amend, no IOC, and a cancel that reports success even
//! for unknown ids, so the adapter supplies all three itself.

use lobster::{FillMetadata, OrderBook, OrderEvent, OrderType};

use crate::book::{BookUnderTest, Outcome};
use crate::workload::{BookSpec, MarketOp, Op, Side, Tif};

const GONE: u8 = 0;
const BID: u8 = 1;
const ASK: u8 = 2;

pub struct LobsterBooks {
    books: Vec<OrderBook>,
    /// Per workload id: `GONE`, or the side it rests on. lobster keeps no
    /// side an outsider can read and does not say whether a cancel found
    /// anything, yet an amend must re-insert on the right side and an
    /// unknown id must be reported; so the adapter tracks liveness from
    /// lobster's own fill reports.
    live: Vec<u8>,
}

impl LobsterBooks {
    /// Total resting quantity per side `(bids, asks)` of one market, read
    /// from lobster itself.
    pub fn depth_lots(&self, market: usize) -> (u64, u64) {
        // lobster's `depth(n)` returns every non-empty level whatever `n`
        // is and uses `n` only as a `Vec` capacity, so 0 is the cheap ask.
        let d = self.books[market].depth(0);
        (d.bids.iter().map(|l| l.qty).sum(), d.asks.iter().map(|l| l.qty).sum())
    }

    pub const NAME: &'static str = "lobster";
    pub const NOTES: &'static [&'static str] = &[
        "lobster 0.7.0 has no amend: amend = Cancel + Limit re-inserted with the SAME id \
         (its arena frees the id on cancel, so reuse is valid); priority is lost, as on the other engines",
        "lobster has no IOC: IOC = Limit, then Cancel of any rested remainder (two calls)",
        "lobster cancel does not report unknown ids: the adapter tracks liveness (side per id) from fill events",
    ];

    pub fn new(spec: &BookSpec) -> Self {
        // Arena sized for the expected resting book with headroom, as its
        // docs suggest; it grows past that on its own.
        let arena = (spec.resting_per_market as usize).saturating_mul(2).max(1024);
        Self { books: (0..spec.markets).map(|_| OrderBook::new(arena, 16, false)).collect(), live: vec![GONE; spec.max_order_id as usize + 1] }
    }

    fn forget_filled_makers(live: &mut [u8], fills: &[FillMetadata]) {
        for f in fills {
            if f.total_fill {
                if let Some(slot) = live.get_mut(f.order_2 as usize) {
                    *slot = GONE;
                }
            }
        }
    }

    /// Submits a limit order and records whether anything of it rests.
    fn limit(&mut self, m: usize, id: u64, side: Side, price: u64, qty: u64) -> bool {
        let side_code = if side == Side::Buy { BID } else { ASK };
        let event = self.books[m].execute(OrderType::Limit {
            id: u128::from(id),
            side: if side == Side::Buy { lobster::Side::Bid } else { lobster::Side::Ask },
            qty,
            price,
        });
        let rested = match &event {
            OrderEvent::Placed { .. } => true,
            // For a limit order "partially filled" means the rest was booked.
            OrderEvent::PartiallyFilled { fills, .. } => {
                Self::forget_filled_makers(&mut self.live, fills);
                true
            }
            OrderEvent::Filled { fills, .. } => {
                Self::forget_filled_makers(&mut self.live, fills);
                false
            }
            OrderEvent::Unfilled { .. } | OrderEvent::Canceled { .. } => false,
        };
        self.live[id as usize] = if rested { side_code } else { GONE };
        rested
    }

    fn cancel(&mut self, m: usize, id: u64) {
        self.books[m].execute(OrderType::Cancel { id: u128::from(id) });
        self.live[id as usize] = GONE;
    }
}

impl BookUnderTest for LobsterBooks {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply(&mut self, mo: &MarketOp) -> Outcome {
        let m = mo.market as usize;
        if m >= self.books.len() {
            return Outcome::Rejected;
        }
        match mo.op {
            Op::Place { id, side, price_ticks, qty_lots, tif, .. } => {
                if id as usize >= self.live.len() {
                    return Outcome::Rejected;
                }
                if self.limit(m, id, side, price_ticks, qty_lots) && tif == Tif::Ioc {
                    self.cancel(m, id);
                }
                Outcome::Done
            }
            Op::Cancel { id, .. } => {
                if self.live.get(id as usize).copied().unwrap_or(GONE) == GONE {
                    return Outcome::UnknownOrder;
                }
                self.cancel(m, id);
                Outcome::Done
            }
            Op::Amend { id, new_price_ticks, new_qty_lots, .. } => {
                let side = match self.live.get(id as usize).copied().unwrap_or(GONE) {
                    BID => Side::Buy,
                    ASK => Side::Sell,
                    _ => return Outcome::UnknownOrder,
                };
                self.cancel(m, id);
                self.limit(m, id, side, new_price_ticks, new_qty_lots);
                Outcome::Done
            }
        }
    }

    fn resting_orders(&self) -> u64 {
        // lobster exposes no order count (only per-level quantities through
        // `depth`), so this is the adapter's liveness table; the tests check
        // it against lobster's depth.
        self.live.iter().filter(|&&s| s != GONE).count() as u64
    }
}
