//! A user's order as readers see it: what was asked (from the command) and what happened to it
//! (from the events), enough for my-open-orders, order-info and the private stream.

use talat_core::{DoneReason, MarketId, OrderId, OrderKind, Side, TimeInForce, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderType {
    Limit,
    Market,
    StopLimit,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "limit",
            OrderType::Market => "market",
            OrderType::StopLimit => "stoplimit",
        }
    }
}

/// The private stream's status set (reference §15.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    New,
    Untriggered,
    Open,
    PartialFilled,
    Filled,
    Canceled,
    PartialFilledCanceled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Untriggered => "untriggered",
            OrderStatus::Open => "open",
            OrderStatus::PartialFilled => "partial_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Canceled => "canceled",
            OrderStatus::PartialFilledCanceled => "partial_filled_canceled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::PartialFilledCanceled)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub id: OrderId,
    pub user: UserId,
    pub market: MarketId,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: Option<TimeInForce>,
    /// Limit price (0 for a market order).
    pub price: u64,
    pub stop_price: u64,
    /// Base quantity asked (limit and stop-limit; a market sell's quantity).
    pub qty: u64,
    /// Quote to spend (market buy only).
    pub budget: u64,
    pub open_qty: u64,
    pub filled_qty: u64,
    /// Quote paid (buy) or received before fees (sell) so far.
    pub filled_quote: u64,
    /// Fee charged so far, in the asset the order receives.
    pub fee: u64,
    pub client_id: Option<String>,
    pub status: OrderStatus,
    pub done: Option<DoneReason>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub triggered_ms: Option<u64>,
}

impl OrderView {
    pub fn from_kind(id: OrderId, user: UserId, market: MarketId, side: Side, kind: &OrderKind, client_id: Option<String>, ts_ms: u64) -> OrderView {
        let (order_type, tif, price, stop_price, qty, budget) = match *kind {
            OrderKind::Limit { price, qty, tif } => (OrderType::Limit, Some(tif), price.0, 0, qty.0, 0),
            OrderKind::Market { amount } => match side {
                Side::Buy => (OrderType::Market, None, 0, 0, 0, amount.0),
                Side::Sell => (OrderType::Market, None, 0, 0, amount.0, 0),
            },
            OrderKind::StopLimit { stop_price, price, qty } => (OrderType::StopLimit, Some(TimeInForce::Gtc), price.0, stop_price.0, qty.0, 0),
        };
        OrderView {
            id,
            user,
            market,
            side,
            order_type,
            tif,
            price,
            stop_price,
            qty,
            budget,
            open_qty: 0,
            filled_qty: 0,
            filled_quote: 0,
            fee: 0,
            client_id,
            status: OrderStatus::New,
            done: None,
            created_ms: ts_ms,
            updated_ms: ts_ms,
            triggered_ms: None,
        }
    }

    pub fn post_only(&self) -> bool {
        self.tif == Some(TimeInForce::PostOnly)
    }

    /// Status after a fill or a rest.
    pub fn live_status(&self) -> OrderStatus {
        if self.filled_qty > 0 {
            OrderStatus::PartialFilled
        } else {
            OrderStatus::Open
        }
    }

    pub fn finish(&mut self, reason: DoneReason, ts_ms: u64) {
        self.done = Some(reason);
        self.open_qty = 0;
        self.updated_ms = ts_ms;
        self.status = match reason {
            DoneReason::Filled => OrderStatus::Filled,
            _ if self.filled_qty > 0 => OrderStatus::PartialFilledCanceled,
            _ => OrderStatus::Canceled,
        };
    }
}

impl OrderView {
    /// The average price of what filled so far, in price units to the nearest unit (display
    /// only): quote over quantity, rescaled from `10^-quote_scale` per `10^-base_scale` to
    /// `10^-price_scale` per whole base unit. `None` before a fill.
    pub fn average_price(&self, base_scale: u8, quote_scale: u8, price_scale: u8) -> Option<u64> {
        if self.filled_qty == 0 {
            return None;
        }
        let up = 10u128.pow(u32::from(price_scale) + u32::from(base_scale));
        let down = u128::from(self.filled_qty) * 10u128.pow(u32::from(quote_scale));
        let average = (u128::from(self.filled_quote) * up + down / 2) / down;
        u64::try_from(average).ok()
    }

    /// A stored order in the shape the read models use, so both print the same way.
    pub fn from_row(row: &talat_store::OrderRow) -> OrderView {
        let status = match row.status {
            talat_store::OrderStatus::Stop => OrderStatus::Untriggered,
            talat_store::OrderStatus::Open if row.filled_qty > 0 => OrderStatus::PartialFilled,
            talat_store::OrderStatus::Open => OrderStatus::Open,
            talat_store::OrderStatus::Filled => OrderStatus::Filled,
            _ if row.filled_qty > 0 => OrderStatus::PartialFilledCanceled,
            _ => OrderStatus::Canceled,
        };
        let done = match row.status {
            talat_store::OrderStatus::Filled => Some(DoneReason::Filled),
            talat_store::OrderStatus::Cancelled => Some(DoneReason::Cancelled),
            talat_store::OrderStatus::Expired => Some(DoneReason::Expired),
            talat_store::OrderStatus::Killed => Some(DoneReason::Killed),
            talat_store::OrderStatus::SelfTradePrevented => Some(DoneReason::SelfTradePrevented),
            _ => None,
        };
        let order_type = match row.order_type {
            talat_store::OrderType::Limit => OrderType::Limit,
            talat_store::OrderType::Market => OrderType::Market,
            talat_store::OrderType::StopLimit => OrderType::StopLimit,
        };
        let (qty, budget) = match (order_type, row.side) {
            (OrderType::Market, Side::Buy) => (0, row.amount.unwrap_or(0)),
            _ => (row.qty.or(row.amount).unwrap_or(0), 0),
        };
        OrderView {
            id: row.order,
            user: row.user,
            market: row.market,
            side: row.side,
            order_type,
            tif: Some(row.tif),
            price: row.price.unwrap_or(0),
            stop_price: row.stop_price.unwrap_or(0),
            qty,
            budget,
            open_qty: if status.is_final() { 0 } else { qty.saturating_sub(row.filled_qty) },
            filled_qty: row.filled_qty,
            filled_quote: row.filled_quote,
            fee: row.fee,
            client_id: row.client_id.clone(),
            status,
            done,
            created_ms: row.created_ts_ms,
            updated_ms: row.updated_ts_ms,
            triggered_ms: None,
        }
    }
}
