//! Orders through the web API: the same gateway path as the Bitkub API (admission, shedding,
//! the engine's checks), with inputs checked here first so a bad one names its field. A place
//! or cancel the exchange could not serve (shed, the market's mode, a server error) goes into
//! the gateway's refusal log, the evidence of outage compensation (`talat_gateway::refusals`).

use crate::auth::Customer;
use crate::body;
use crate::error::{WebError, WebResult};
use crate::views::{market_ref, order_json};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_core::money::{format_units, parse_units, MAX_AMOUNT, MAX_PRICE, MAX_QTY};
use talat_core::{Amount, Command, Event, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce};
use talat_gateway::gateway::{done_status, Placed};

/// A positive decimal string at `scale` decimals, at most `max` units, on the `step` grid.
fn decimal(m: &serde_json::Map<String, Value>, field: &'static str, scale: u8, max: u64, step: u64) -> WebResult<u64> {
    let text = body::str(m, field)?;
    let units = parse_units(text, scale).ok_or_else(|| WebError::invalid(field, format!("{field} must be a decimal number with at most {scale} decimals")))?;
    if units == 0 {
        return Err(WebError::invalid(field, format!("{field} must be greater than zero")));
    }
    let units = u64::try_from(units).ok().filter(|u| *u <= max).ok_or_else(|| WebError::invalid(field, format!("{field} is too large")))?;
    if step > 1 && units % step != 0 {
        return Err(WebError::invalid(field, format!("{field} must be a multiple of {}", format_units(step as u128, scale))));
    }
    Ok(units)
}

/// Records `result`'s refusal in the refusal log if it is evidence of an outage. The session
/// proved who the customer is, so the row is verified.
fn record_refusal<T>(web: &Web, user: talat_core::UserId, kind: &str, endpoint: &str, order: Option<&serde_json::Map<String, Value>>, result: &WebResult<T>) {
    let Err(e) = result else { return };
    let code = e.bitkub_code.unwrap_or(if e.code == "busy" { 90 } else { 0 });
    if !talat_gateway::refusals::is_evidence(code, e.status.as_u16()) {
        return;
    }
    let text = |key: &str| order.and_then(|m| m.get(key)).and_then(Value::as_str).map(talat_gateway::refusals::field);
    let market_order = text("type").as_deref() == Some("market");
    web.gateway.refusals.record(talat_store::RefusedRow {
        id: 0,
        user: user.0 as u64,
        verified: true,
        ts_ms: web.gateway.now_ms(),
        kind: kind.into(),
        endpoint: endpoint.into(),
        http_status: e.status.as_u16(),
        code,
        symbol: text("symbol").map(|s| s.to_ascii_uppercase()),
        side: text("side"),
        amount: text("amount"),
        rate: if market_order { Some("0".into()) } else { text("price") },
    });
}

pub async fn place(State(web): State<Arc<Web>>, headers: HeaderMap, customer: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let user = customer.account.user;
    let result = place_order(&web, customer, &m).await;
    record_refusal(&web, user, "place", "/web/api/orders", Some(&m), &result);
    result
}

async fn place_order(web: &Arc<Web>, Customer { account, .. }: Customer, m: &serde_json::Map<String, Value>) -> WebResult<Json<Value>> {
    let market = web.gateway.market(body::str(m, "symbol")?, false).map_err(|_| WebError::invalid("symbol", "no such market"))?;
    let info = Arc::clone(&market.info);
    let side = match body::str(m, "side")? {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(WebError::invalid("side", "side must be buy or sell")),
    };
    let typ = body::str(m, "type")?;
    let (ps, pstep) = (info.spec.price_scale, info.spec.price_step);
    let kind = match typ {
        "limit" | "post_only" => {
            let price = decimal(m, "price", ps, MAX_PRICE, pstep)?;
            let qty = decimal(m, "amount", info.base_scale, MAX_QTY, info.spec.qty_step)?;
            let tif = if typ == "post_only" { TimeInForce::PostOnly } else { TimeInForce::Gtc };
            OrderKind::Limit { price: Price(price), qty: Qty(qty), tif }
        }
        "market" => {
            if body::opt_str(m, "price")?.is_some() {
                return Err(WebError::invalid("price", "a market order takes no price"));
            }
            let amount = match side {
                Side::Buy => decimal(m, "amount", info.quote_scale, MAX_AMOUNT, 1)?,
                Side::Sell => decimal(m, "amount", info.base_scale, MAX_QTY, info.spec.qty_step)?,
            };
            OrderKind::Market { amount: Amount(amount) }
        }
        "stop_limit" => {
            let price = decimal(m, "price", ps, MAX_PRICE, pstep)?;
            let stop = decimal(m, "stop_price", ps, MAX_PRICE, pstep)?;
            let qty = decimal(m, "amount", info.base_scale, MAX_QTY, info.spec.qty_step)?;
            OrderKind::StopLimit { stop_price: Price(stop), price: Price(price), qty: Qty(qty) }
        }
        _ => return Err(WebError::invalid("type", "type must be limit, market, post_only or stop_limit")),
    };
    let budget = match kind {
        OrderKind::Market { amount } if side == Side::Buy => Some(amount.0),
        _ => None,
    };
    // The same one shed check and order path as the Bitkub API.
    let slot = web.gateway.admit()?;
    let new = NewOrder { user: account.user, market: info.id, side, kind, client_id: None, stp: StpMode::default() };
    let Placed { order: id, outcome, .. } = web.gateway.place(&slot, new).await?;
    // Still open: the read model has it. Done at once (filled, expired): report what happened.
    let mut order = match web.gateway.read.open_order(account.user, id) {
        Some(o) => order_json(&market, &o),
        None => {
            let status = done_status(&outcome, id).unwrap_or("canceled");
            json!({"id": id.0.to_string(), "symbol": info.spec.symbol, "side": if side == Side::Buy { "buy" } else { "sell" }, "type": typ, "status": status, "ts_ms": outcome.ts_ms})
        }
    };
    // What it did at once: the customer is told "filled at …", "partly filled, the rest rests",
    // or "nothing filled", not a bare "order placed".
    order["fill"] = crate::views::placed_fill_json(&market, &talat_gateway::fill::fill_of(&outcome.events, id), budget);
    Ok(Json(json!({"order": order})))
}

pub async fn open(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let filter = match q.get("symbol").filter(|s| !s.is_empty()) {
        Some(sym) => Some(web.gateway.market(sym, false).map_err(|_| WebError::invalid("symbol", "no such market"))?),
        None => None,
    };
    let orders = web.gateway.read.open_orders(account.user, filter.as_ref().map(|m| m.info.id));
    let list: Vec<Value> = orders.iter().filter_map(|o| Some(order_json(&market_ref(&web, o.market)?, o))).collect();
    Ok(Json(json!({"orders": list})))
}

pub async fn cancel(State(web): State<Arc<Web>>, Path(id): Path<String>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let order = id.parse::<u64>().map(OrderId).map_err(|_| WebError::invalid("id", "id must be an order number"))?;
    if web.gateway.read.open_order(account.user, order).is_none() {
        return Err(WebError::not_found("no such open order"));
    }
    let result = web.gateway.execute(Command::CancelOrder { user: account.user, order }).await.map_err(WebError::from);
    record_refusal(&web, account.user, "cancel", "/web/api/orders/{id}", None, &result);
    result?;
    Ok(Json(json!({})))
}

pub async fn cancel_all(State(web): State<Arc<Web>>, headers: HeaderMap, Customer { account, .. }: Customer, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let market = match body::opt_str(&m, "symbol")? {
        Some(sym) => Some(web.gateway.market(sym, false).map_err(|_| WebError::invalid("symbol", "no such market"))?.info.id),
        None => None,
    };
    let result = web.gateway.execute(Command::CancelAll { user: account.user, market }).await.map_err(WebError::from);
    record_refusal(&web, account.user, "cancel", "/web/api/orders/cancel-all", None, &result);
    let outcome = result?;
    let cancelled = outcome.events.iter().filter(|e| matches!(e, Event::OrderDone { .. })).count();
    Ok(Json(json!({"cancelled": cancelled})))
}
