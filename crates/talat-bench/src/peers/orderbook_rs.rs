//! orderbook-rs 0.15: a concurrent, lock-free book (crossbeam skip lists,
//! DashMap indices, atomics). Driven from one thread here, as a sequenced
//! exchange would drive it.

use orderbook_rs::{OrderBook, OrderBookError};
use pricelevel::{Hash32, Id, OrderUpdate, Price, Quantity, TimeInForce};

use crate::book::{BookUnderTest, Outcome};
use crate::workload::{BookSpec, MarketOp, Op, Side, Tif};

pub struct OrderbookRsBooks {
    books: Vec<OrderBook<()>>,
}

impl OrderbookRsBooks {
    pub const NAME: &'static str = "orderbook-rs";
    pub const NOTES: &'static [&'static str] = &["orderbook-rs 0.15.3 (default features, STP off): place = add_limit_order_with_user (GTC|IOC); \
         cancel = cancel_order; amend = native update_order(UpdatePriceAndQuantity), \
         which the crate implements internally as cancel + re-add of the same id"];

    pub fn new(spec: &BookSpec) -> Self {
        Self { books: (0..spec.markets).map(|m| OrderBook::new(&format!("M{m}"))).collect() }
    }
}

fn side(s: Side) -> pricelevel::Side {
    match s {
        Side::Buy => pricelevel::Side::Buy,
        Side::Sell => pricelevel::Side::Sell,
    }
}

/// Accounts become the crate's 32-byte user ids (it indexes resting orders
/// by user even with STP off, so real owners keep that index honest).
fn user(account: u64) -> Hash32 {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&account.to_le_bytes());
    Hash32::new(b)
}

impl BookUnderTest for OrderbookRsBooks {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply(&mut self, mo: &MarketOp) -> Outcome {
        let Some(book) = self.books.get(mo.market as usize) else {
            return Outcome::Rejected;
        };
        match mo.op {
            Op::Place { id, account, side: s, price_ticks, qty_lots, tif } => {
                let tif = match tif {
                    Tif::Gtc => TimeInForce::Gtc,
                    Tif::Ioc => TimeInForce::Ioc,
                };
                match book.add_limit_order_with_user(Id::from_u64(id), u128::from(price_ticks), qty_lots, side(s), tif, user(account), None) {
                    Ok(_) => Outcome::Done,
                    // An IOC whose remainder was cancelled is reported as an
                    // error by this crate; for the stream it is a normal end.
                    Err(OrderBookError::InsufficientLiquidity { .. }) if tif == TimeInForce::Ioc => Outcome::Done,
                    Err(_) => Outcome::Rejected,
                }
            }
            Op::Cancel { id, .. } => match book.cancel_order(Id::from_u64(id)) {
                Ok(Some(_)) => Outcome::Done,
                Ok(None) => Outcome::UnknownOrder,
                Err(_) => Outcome::Rejected,
            },
            Op::Amend { id, new_price_ticks, new_qty_lots, .. } => {
                match book.update_order(OrderUpdate::UpdatePriceAndQuantity {
                    order_id: Id::from_u64(id),
                    new_price: Price::new(u128::from(new_price_ticks)),
                    new_quantity: Quantity::new(new_qty_lots),
                }) {
                    Ok(Some(_)) => Outcome::Done,
                    Ok(None) => Outcome::UnknownOrder,
                    Err(_) => Outcome::Rejected,
                }
            }
        }
    }

    fn resting_orders(&self) -> u64 {
        // Copies the id index: fine, this is only read outside the timer.
        self.books.iter().map(|b| b.get_order_locations_arc().len() as u64).sum()
    }
}
