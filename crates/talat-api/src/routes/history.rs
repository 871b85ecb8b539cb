//! What the query store answers: the caller's order history (page and keyset pagination, §10.8),
//! closed orders for order-info (§10.9), and OHLCV candles for `/tradingview/history` (§8.4).
//! The store is waited on until it reflects what the read models show, so a client never
//! reads history older than an acknowledgement it already has.

use super::public::public_limit;
use super::secure::{order_info_json, Signed};
use super::Peer;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use talat_core::{OrderId, Side};
use talat_gateway::decimal::Dec;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, MarketRef};
use talat_gateway::limits::{Caller, Endpoint};
use talat_gateway::read::{OrderType, OrderView};
use talat_store::{HistoryCursor, HistoryQuery, OrderRow, Resolution};

/// Default and largest page of my-order-history.
const HISTORY_DEFAULT: u32 = 10;
const HISTORY_MAX: u32 = 1_000;
/// Most fills listed in one order-info answer.
const FILLS_MAX: u32 = 1_000;

/// order-info from the store, with the order's fills (closed orders, and open ones with fills).
pub async fn closed_order_info(state: &AppState, market: &MarketRef, user: talat_core::UserId, order: OrderId, side: Side) -> Result<Value, ApiError> {
    let store = state.store_at_read_seq().await?;
    let row = store.order(order).await.map_err(ApiError::unavailable)?;
    let row = row.filter(|r| r.user == user && r.market == market.info.id && r.side == side).ok_or_else(ApiError::lookup_not_found)?;
    let fills = store.fills_of(order, FILLS_MAX).await.map_err(ApiError::unavailable)?;
    let info = &market.info;
    let style = state.config.decimals;
    let history: Vec<Value> = fills
        .iter()
        .map(|f| {
            // Amount as Bitkub counts it: THB for a buy, base for a sell.
            let (amount, scale) = if f.side == Side::Buy { (f.quote, info.quote_scale) } else { (f.qty, info.base_scale) };
            let fee_thb = if f.side == Side::Buy { market.notional_floor(f.price, f.fee) } else { f.fee as u128 };
            json!({
                "amount": Dec::styled(amount, scale, style),
                "credit": Dec::styled(0u64, info.quote_scale, style),
                "fee": Dec::styled(fee_thb, info.quote_scale, style),
                "id": order.0.to_string(),
                "rate": Dec::styled(f.price, info.spec.price_scale, style),
                "timestamp": f.ts_ms,
                "txn_id": format!("{}-{}", f.seq, f.idx),
            })
        })
        .collect();
    Ok(order_info_json(state, market, &OrderView::from_row(&row), history))
}

#[derive(Serialize)]
struct HistoryItem {
    txn_id: String,
    order_id: String,
    parent_order_id: String,
    super_order_id: String,
    client_id: String,
    taken_by_me: bool,
    is_maker: bool,
    side: &'static str,
    #[serde(rename = "type")]
    order_type: &'static str,
    rate: String,
    fee: String,
    credit: String,
    amount: String,
    ts: u64,
    order_closed_at: Option<u64>,
}

fn history_item(market: &MarketRef, row: &OrderRow) -> HistoryItem {
    let info = &market.info;
    let o = OrderView::from_row(row);
    let text = |units: u128, scale: u8| talat_core::money::format_units(units, scale);
    let (amount, scale) = match (o.side, o.order_type) {
        (Side::Buy, OrderType::Market) => (o.budget as u128, info.quote_scale),
        (Side::Buy, _) => (market.notional_floor(o.price, o.qty), info.quote_scale),
        (Side::Sell, _) => (o.qty as u128, info.base_scale),
    };
    let fee_thb = if o.side == Side::Buy { market.notional_floor(o.price, o.fee) } else { o.fee as u128 };
    // An order that rested made liquidity; one that filled at once (or a market order) took it.
    let is_maker = o.order_type != OrderType::Market && (row.remaining_qty.is_none() || o.filled_qty == 0);
    HistoryItem {
        txn_id: o.id.0.to_string(),
        order_id: o.id.0.to_string(),
        parent_order_id: o.id.0.to_string(),
        super_order_id: o.id.0.to_string(),
        client_id: o.client_id.clone().unwrap_or_default(),
        taken_by_me: !is_maker,
        is_maker,
        side: if o.side == Side::Buy { "buy" } else { "sell" },
        order_type: o.order_type.as_str(),
        rate: text(o.price as u128, info.spec.price_scale),
        fee: text(fee_thb, info.quote_scale),
        credit: "0".into(),
        amount: text(amount, scale),
        ts: o.created_ms,
        order_closed_at: row.closed_ts_ms,
    }
}

/// `{"id":"…","ts":"…"}` in standard base64; `e30=` (`{}`) is the empty cursor.
fn decode_cursor(text: &str) -> Result<Option<HistoryCursor>, ApiError> {
    let bad = || ApiError::invalid_parameter("cursor must be the base64 of {\"id\":\"<order id>\",\"ts\":\"<ms>\"}");
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| bad())?;
    let value: HashMap<String, Value> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if value.is_empty() {
        return Ok(None);
    }
    let field = |k: &str| -> Result<u64, ApiError> {
        match value.get(k) {
            Some(Value::String(s)) => s.parse().map_err(|_| bad()),
            Some(Value::Number(n)) => n.as_u64().ok_or_else(bad),
            _ => Err(bad()),
        }
    };
    Ok(Some(HistoryCursor { order: OrderId(field("id")?), ts_ms: field("ts")? }))
}

fn encode_cursor(cursor: &HistoryCursor) -> String {
    let text = json!({"id": cursor.order.0.to_string(), "ts": cursor.ts_ms.to_string()}).to_string();
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// my-order-history (§10.8): page mode (default; `p`, `lmt`) or keyset mode
/// (`pagination_type=keyset`, `cursor`), with `start` < `end` in ms.
pub async fn my_order_history(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::MyOrderHistory)?;
    let p = &signed.params;
    let market = state.market(&p.str("sym").map_err(|_| ApiError::invalid_symbol())?, true)?;
    let keyset = match p.opt_str("pagination_type")?.as_deref() {
        None | Some("page") => false,
        Some("keyset") => true,
        Some(_) => return Err(ApiError::invalid_parameter("pagination_type must be page or keyset")),
    };
    let page = p.opt_u64("p")?;
    let cursor_text = p.opt_str("cursor")?;
    if page.is_some() && cursor_text.is_some() {
        return Err(ApiError::invalid_parameter("p and cursor cannot be used together"));
    }
    if page.is_some() && keyset {
        return Err(ApiError::invalid_parameter("p requires pagination_type=page"));
    }
    if cursor_text.is_some() && !keyset {
        return Err(ApiError::invalid_parameter("cursor requires pagination_type=keyset"));
    }
    let limit = match p.opt_u64("lmt")? {
        None => HISTORY_DEFAULT,
        Some(0) => return Err(ApiError::invalid_parameter("lmt must be at least 1")),
        Some(n) => n.min(HISTORY_MAX as u64) as u32,
    };
    if page == Some(0) {
        return Err(ApiError::invalid_parameter("p must be at least 1"));
    }
    let start_ms = p.opt_u64("start")?;
    let end_ms = p.opt_u64("end")?;
    if let (Some(start), Some(end)) = (start_ms, end_ms) {
        if start >= end {
            return Err(ApiError::invalid_parameter("start must be less than end"));
        }
    }
    let cursor = match &cursor_text {
        Some(text) => decode_cursor(text)?,
        None => None,
    };
    let query = HistoryQuery { page: if keyset { None } else { Some(page.unwrap_or(1) as u32) }, cursor, limit, start_ms, end_ms };
    let store = state.store_at_read_seq().await?;
    let result = store.order_history(signed.key.user, market.info.id, &query).await.map_err(ApiError::unavailable)?;
    let items: Vec<HistoryItem> = result.orders.iter().map(|row| history_item(&market, row)).collect();
    let pagination = if keyset {
        json!({"cursor": result.next_cursor.as_ref().map(encode_cursor).unwrap_or_else(|| "e30=".into()), "has_next": result.has_next})
    } else {
        let page = result.page.unwrap_or(1);
        let last = result.last_page.unwrap_or(1).max(1);
        json!({"page": page, "last": last, "next": if page < last { Some(page + 1) } else { None }, "prev": if page > 1 { Some(page - 1) } else { None }})
    };
    Ok(Json(json!({"error": 0, "result": items, "pagination": pagination})).into_response())
}

/// `/tradingview/history` (§8.4): `{s, t, o, h, l, c, v}` (numbers, `t` in seconds), or
/// `{"s":"no_data"}`.
pub async fn tradingview(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::TradingView)?;
    let symbol = query.get("symbol").filter(|s| !s.is_empty()).ok_or_else(|| ApiError::invalid_parameter("symbol is required"))?;
    let market = state.market(symbol, true)?;
    let resolution = query
        .get("resolution")
        .and_then(|r| Resolution::from_tradingview(r))
        .ok_or_else(|| ApiError::invalid_parameter("resolution must be 1, 5, 15, 60, 240 or 1D"))?;
    let seconds = |k: &str| -> Result<u64, ApiError> {
        query
            .get(k)
            .ok_or_else(|| ApiError::invalid_parameter(format!("{k} is required (Unix seconds)")))?
            .parse()
            .map_err(|_| ApiError::invalid_parameter(format!("{k} must be Unix seconds")))
    };
    let (from_s, to_s) = (seconds("from")?, seconds("to")?);
    if from_s > to_s {
        return Err(ApiError::invalid_parameter("from must not be after to"));
    }
    let store = state.store_at_read_seq().await?;
    let mut candles = store.candles(market.info.id, resolution, from_s, to_s, talat_store::MAX_CANDLES).await.map_err(ApiError::unavailable)?;
    candles.sort_by_key(|c| c.bucket_start_s);
    if candles.is_empty() {
        return Ok(Json(json!({"s": "no_data"})).into_response());
    }
    let info = &market.info;
    let price = |p: u64| Dec::num(p, info.spec.price_scale);
    let body = json!({
        "s": "ok",
        "t": candles.iter().map(|c| c.bucket_start_s).collect::<Vec<_>>(),
        "o": candles.iter().map(|c| price(c.open)).collect::<Vec<_>>(),
        "h": candles.iter().map(|c| price(c.high)).collect::<Vec<_>>(),
        "l": candles.iter().map(|c| price(c.low)).collect::<Vec<_>>(),
        "c": candles.iter().map(|c| price(c.close)).collect::<Vec<_>>(),
        "v": candles.iter().map(|c| Dec::num(c.volume, info.base_scale)).collect::<Vec<_>>(),
    });
    Ok(Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_the_empty_one_is_none() {
        let c = HistoryCursor { order: OrderId(42), ts_ms: 1_755_850_086_843 };
        assert_eq!(decode_cursor(&encode_cursor(&c)).unwrap(), Some(c));
        assert_eq!(decode_cursor("e30=").unwrap(), None);
        assert_eq!(decode_cursor("!!").unwrap_err().code, 10);
        assert_eq!(decode_cursor("eyJpZCI6IngifQ==").unwrap_err().code, 10);
    }
}
