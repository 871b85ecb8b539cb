//! Public market data (reference §8): status, server time, symbols, ticker, bids, asks, depth,
//! trades. Everything comes from the read models; nothing waits on the engine.

use super::{ip_of, now_ms_of, ok_v3, Peer};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use talat_core::{Side, TradingMode};
use talat_gateway::decimal::Dec;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, MarketRef};
use talat_gateway::limits::{Caller, Endpoint};
use talat_gateway::read::MarketState;

/// Default and largest `lmt` of list endpoints.
pub const LIST_DEFAULT: usize = 10;
pub const LIST_MAX: usize = 1_000;

pub fn public_limit(state: &AppState, peer: Peer, endpoint: Endpoint) -> Result<(), ApiError> {
    state.limit(Caller::Ip(ip_of(peer)), endpoint)
}

pub async fn status(State(state): State<AppState>, peer: Peer) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Status)?;
    // Bitkub's shape is exactly these two entries (SDKs check it): what is not "ok" about
    // trading and funding goes in the secure endpoints' message.
    let venue = state.read.venue();
    let mut notes: Vec<String> = Vec::new();
    for m in state.read.markets() {
        let m = m.read();
        let mode = m.mode_name();
        if mode != "open" && mode != "maintenance" {
            notes.push(format!("{} {}", m.info.spec.symbol, mode_message(mode)));
        }
    }
    if !venue.funding.deposits_open {
        notes.push("deposits suspended".into());
    }
    if !venue.funding.withdrawals_open {
        notes.push("withdrawals suspended".into());
    }
    if let Some(step) = venue.resume.last {
        notes.push(format!("resuming after an outage: {} done, next {}", step.name(), venue.resume.expected().name()));
    }
    let secure = match state.sequencer.stop_reason() {
        Some(reason) => json!({"name":"Secure endpoints","status":"error","message":reason.to_string()}),
        None if state.read.maintenance() => {
            json!({"name":"Secure endpoints","status":"maintenance","message":"the exchange is under maintenance: no orders or cancels"})
        }
        None => json!({"name":"Secure endpoints","status":"ok","message":notes.join("; ")}),
    };
    Ok(Json(json!([{"name":"Non-secure endpoints","status":"ok","message":""}, secure])).into_response())
}

fn mode_message(mode: &str) -> &'static str {
    match mode {
        "post_only" => "post-only: limit orders rest, nothing matches",
        "cancel_only" => "cancel-only: no new orders",
        _ => "halted: no orders or cancels",
    }
}

/// Bare milliseconds, just the digits (§8.2): some clients call this before every signed call.
pub async fn servertime(State(state): State<AppState>, peer: Peer) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::ServerTime)?;
    let body = now_ms_of(&state).to_string();
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Bitkub writes these instants in Bangkok time: `YYYY-MM-DDTHH:MM:SS+07:00`.
fn iso_plus7(ts_ms: u64) -> String {
    talat_core::calendar::bangkok_iso_datetime(ts_ms)
}

pub fn symbol_record(m: &MarketState) -> Value {
    let info = &m.info;
    let spec = &info.spec;
    let step = |units: u64, scale: u8| talat_core::money::format_units(units as u128, scale);
    // Basis points printed as a percentage: 2000 → 20.
    let band_pct = Dec::num(spec.band_bps, 2);
    json!({
        "base_asset": spec.base,
        "base_asset_scale": info.base_scale,
        "buy_price_gap_as_percent": band_pct,
        "created_at": iso_plus7(info.listed_ts_ms.load(std::sync::atomic::Ordering::Relaxed)),
        "description": format!("{} to {}", asset_name(&spec.quote), asset_name(&spec.base)),
        "freeze_buy": m.frozen(),
        "freeze_cancel": m.maintenance || m.mode == TradingMode::Halted,
        "freeze_sell": m.frozen(),
        "market_segment": "SPOT",
        "min_quote_size": Dec::num(spec.min_quote.0, info.quote_scale),
        "modified_at": iso_plus7(info.listed_ts_ms.load(std::sync::atomic::Ordering::Relaxed)),
        "name": asset_name(&spec.base),
        "pairing_id": info.pairing_id,
        "price_scale": spec.price_scale,
        "price_step": step(spec.price_step, spec.price_scale),
        "quantity_scale": info.base_scale,
        "quantity_step": step(spec.qty_step, info.base_scale),
        "quote_asset": spec.quote,
        "quote_asset_scale": info.quote_scale,
        "sell_price_gap_as_percent": band_pct,
        "status": if m.maintenance || m.mode == TradingMode::Halted { "halted" } else { "active" },
        "symbol": spec.symbol,
        "source": "exchange",
    })
}

/// A human name for the symbols list (`description`, `name`); the code where we know none.
pub fn asset_name(code: &str) -> String {
    match code {
        "THB" => "Thai Baht",
        "BTC" => "Bitcoin",
        "ETH" => "Ethereum",
        "USDT" => "Tether",
        "XRP" => "XRP",
        "ADA" => "Cardano",
        "DOGE" => "Dogecoin",
        "SOL" => "Solana",
        "KUB" => "Bitkub Coin",
        "LTC" => "Litecoin",
        other => other,
    }
    .to_string()
}

pub async fn symbols(State(state): State<AppState>, peer: Peer) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Symbols)?;
    let list: Vec<Value> = state.read.markets().iter().map(|m| symbol_record(&m.read())).collect();
    Ok(ok_v3(list))
}

/// One market's ticker figures, as exact decimal strings.
pub struct TickerFigures {
    pub last: String,
    pub high: String,
    pub low: String,
    pub open: String,
    pub change: String,
    pub percent_change: String,
    pub base_volume: String,
    pub quote_volume: String,
    pub highest_bid: String,
    pub highest_bid_size: String,
    pub lowest_ask: String,
    pub lowest_ask_size: String,
}

pub fn ticker_figures(m: &MarketState, now_ms: u64) -> TickerFigures {
    let info = &m.info;
    let ps = info.spec.price_scale;
    let fmt = |units: u128, scale: u8| talat_core::money::format_units(units, scale);
    let last = m.last_price.unwrap_or(0);
    let day = m.day_stats(now_ms);
    let (open, high, low, base_volume, quote_volume) = match day {
        Some(d) => (d.open, d.high, d.low, d.base_volume, d.quote_volume),
        None => (last, last, last, 0, 0),
    };
    let (change, percent_change) = signed_change(open, last, ps);
    let bid = m.best_bid();
    let ask = m.best_ask();
    TickerFigures {
        last: fmt(last as u128, ps),
        high: fmt(high as u128, ps),
        low: fmt(low as u128, ps),
        open: fmt(open as u128, ps),
        change,
        percent_change,
        base_volume: fmt(base_volume, info.base_scale),
        quote_volume: fmt(quote_volume, info.quote_scale),
        highest_bid: fmt(bid.map_or(0, |b| b.0) as u128, ps),
        highest_bid_size: fmt(bid.map_or(0, |b| b.1.qty) as u128, info.base_scale),
        lowest_ask: fmt(ask.map_or(0, |a| a.0) as u128, ps),
        lowest_ask_size: fmt(ask.map_or(0, |a| a.1.qty) as u128, info.base_scale),
    }
}

/// (last − open, and that as a percentage of open to two decimals), exact and signed.
fn signed_change(open: u64, last: u64, price_scale: u8) -> (String, String) {
    let fmt = |units: u128, scale: u8| talat_core::money::format_units(units, scale);
    let negative = last < open;
    let diff = last.abs_diff(open) as u128;
    let sign = if negative && diff > 0 { "-" } else { "" };
    // Hundredths of a percent, rounded half away from zero.
    let pct_hundredths = if open == 0 { 0 } else { (diff * 10_000 * 2 + open as u128) / (2 * open as u128) };
    (format!("{sign}{}", fmt(diff, price_scale)), format!("{}{}", if pct_hundredths > 0 { sign } else { "" }, fmt(pct_hundredths, 2)))
}

pub async fn ticker(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Ticker)?;
    let now_ms = now_ms_of(&state);
    let markets = match query.get("sym").filter(|s| !s.is_empty()) {
        Some(sym) => vec![state.market(sym, true)?.state],
        None => state.read.markets(),
    };
    let list: Vec<Value> = markets
        .iter()
        .map(|m| {
            let m = m.read();
            let t = ticker_figures(&m, now_ms);
            json!({
                "symbol": m.info.spec.symbol,
                "base_volume": t.base_volume,
                "high_24_hr": t.high,
                "highest_bid": t.highest_bid,
                "last": t.last,
                "low_24_hr": t.low,
                "lowest_ask": t.lowest_ask,
                "percent_change": t.percent_change,
                "quote_volume": t.quote_volume,
            })
        })
        .collect();
    Ok(Json(Value::Array(list)).into_response())
}

/// `sym` (required) and `lmt` (default 10, at most [`LIST_MAX`]) of the list endpoints.
pub fn sym_and_limit(state: &AppState, query: &HashMap<String, String>) -> Result<(MarketRef, usize), ApiError> {
    let sym = query.get("sym").filter(|s| !s.is_empty()).ok_or_else(|| ApiError::invalid_parameter("sym is required"))?;
    let market = state.market(sym, true)?;
    let lmt = parse_lmt(query.get("lmt").map(String::as_str))?;
    Ok((market, lmt))
}

pub fn parse_lmt(text: Option<&str>) -> Result<usize, ApiError> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(LIST_DEFAULT),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n.min(LIST_MAX)),
            _ => Err(ApiError::invalid_parameter("lmt must be an integer of at least 1")),
        },
    }
}

async fn book_orders(state: AppState, peer: Peer, query: HashMap<String, String>, side: Side, endpoint: Endpoint) -> Result<Response, ApiError> {
    public_limit(&state, peer, endpoint)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    let info = &market.info;
    let orders = market.state.read().orders(side, lmt);
    let list: Vec<Value> = orders
        .into_iter()
        .map(|(id, price, resting)| {
            json!({
                "order_id": id.0.to_string(),
                "price": talat_core::money::format_units(price as u128, info.spec.price_scale),
                "side": if side == Side::Buy { "buy" } else { "sell" },
                "size": talat_core::money::format_units(resting.qty as u128, info.base_scale),
                "timestamp": resting.ts_ms,
                "volume": talat_core::money::format_units(market.notional_floor(price, resting.qty), info.quote_scale),
            })
        })
        .collect();
    Ok(ok_v3(list))
}

pub async fn bids(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    book_orders(state, peer, query, Side::Buy, Endpoint::Bids).await
}

pub async fn asks(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    book_orders(state, peer, query, Side::Sell, Endpoint::Asks).await
}

/// `[[price, size], …]` per side, numbers.
pub fn depth_value(market: &MarketRef, lmt: usize) -> Value {
    let info = &market.info;
    let m = market.state.read();
    let side = |side| -> Vec<Value> {
        m.levels(side, lmt).into_iter().map(|(price, level)| json!([Dec::num(price, info.spec.price_scale), Dec::num(level.qty, info.base_scale)])).collect()
    };
    json!({"asks": side(Side::Sell), "bids": side(Side::Buy)})
}

pub async fn depth(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Depth)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(depth_value(&market, lmt)))
}

/// `[ts, rate, amount, "BUY"|"SELL"]`, newest first; `ts` is ms divided by `ts_divisor` (1 for
/// v3, 1000 for the legacy seconds).
pub fn trade_rows(market: &MarketRef, lmt: usize, ts_divisor: u64) -> Vec<Value> {
    let info = &market.info;
    market
        .state
        .read()
        .recent_trades(lmt)
        .into_iter()
        .map(|t| {
            json!([
                t.ts_ms / ts_divisor,
                Dec::num(t.price, info.spec.price_scale),
                Dec::num(t.qty, info.base_scale),
                if t.taker_side == Side::Buy { "BUY" } else { "SELL" }
            ])
        })
        .collect()
}

pub async fn trades(State(state): State<AppState>, peer: Peer, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    public_limit(&state, peer, Endpoint::Trades)?;
    let (market, lmt) = sym_and_limit(&state, &query)?;
    Ok(ok_v3(trade_rows(&market, lmt, 1)))
}
