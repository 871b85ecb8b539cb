//! The legacy public paths (reference §9) in their v1 shapes, `THB_BTC` naming: deprecated by
//! Bitkub but still called by popular SDKs (bitkub-python fetches symbols and books).

use super::public::{public_limit, sym_and_limit, ticker_figures};
use super::{now_ms_of, ok_v3, Peer};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use talat_core::{Side, TradingMode};
use talat_gateway::decimal::Dec;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, MarketRef};
use talat_gateway::limits::Endpoint;

pub async fn symbols(State(state): State<AppState>, peer: Peer) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Symbols)?;
    let list: Vec<Value> = state
        .read
        .markets()
        .iter()
        .map(|m| {
            let m = m.read();
            let spec = &m.info.spec;
            json!({
                "id": m.info.pairing_id,
                "symbol": m.info.legacy_symbol(),
                "info": format!("{} to {}", super::public::asset_name(&spec.quote), super::public::asset_name(&spec.base)),
            })
        })
        .collect();
    Ok(ok_v3(list))
}

/// A decimal string as a JSON number token (the v1 shapes are numeric).
fn num(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::from(0))
}

pub async fn ticker(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Ticker)?;
    let now_ms = now_ms_of(&state);
    let markets = match query.get("sym").filter(|s| !s.is_empty()) {
        Some(sym) => vec![state.market(sym, true)?.state],
        None => state.read.markets(),
    };
    let mut out = Map::new();
    for m in markets {
        let m = m.read();
        let t = ticker_figures(&m, now_ms);
        out.insert(
            m.info.legacy_symbol(),
            json!({
                "id": m.info.pairing_id,
                "last": num(t.last),
                "lowestAsk": num(t.lowest_ask),
                "highestBid": num(t.highest_bid),
                "percentChange": num(t.percent_change),
                "baseVolume": num(t.base_volume),
                "quoteVolume": num(t.quote_volume),
                "isFrozen": if m.mode == TradingMode::Open { 0 } else { 1 },
                "high24hr": num(t.high),
                "low24hr": num(t.low),
                "change": num(t.change),
                "prevClose": num(t.open.clone()),
                "prevOpen": num(t.open),
            }),
        );
    }
    Ok(Json(Value::Object(out)).into_response())
}

pub async fn trades(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Trades)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(super::public::trade_rows(&market, lmt, 1000)))
}

/// `[order_id, ts_s, volume, rate, amount]` rows of one side.
fn book_rows(market: &MarketRef, side: Side, lmt: usize) -> Vec<Value> {
    let info = &market.info;
    market
        .state
        .read()
        .orders(side, lmt)
        .into_iter()
        .map(|(id, price, r)| {
            json!([
                id.0.to_string(),
                r.ts_ms / 1000,
                Dec::num(market.notional_floor(price, r.qty), info.quote_scale),
                Dec::num(price, info.spec.price_scale),
                Dec::num(r.qty, info.base_scale)
            ])
        })
        .collect()
}

pub async fn bids(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Bids)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(book_rows(&market, Side::Buy, lmt)))
}

pub async fn asks(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Asks)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(book_rows(&market, Side::Sell, lmt)))
}

pub async fn books(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Bids)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(json!({"bids": book_rows(&market, Side::Buy, lmt), "asks": book_rows(&market, Side::Sell, lmt)})))
}

pub async fn depth(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Depth)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(Json(super::public::depth_value(&market, lmt)).into_response())
}
