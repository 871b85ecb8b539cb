//! The live order book (reference §15.2): `GET /websocket-api/orderbook/<pairing_id>`.
//!
//! Every message is `{"data":…,"event":…,"pairing_id":N}`. On connect: a `tradeschanged`
//! snapshot, `[trades, bids, asks]`. Then, per published batch that touched the market:
//! `bidschanged` / `askschanged` (the side's rows) for each side that changed, `tradeschanged`
//! (the snapshot again, this batch's trades marked new) when trades happened, and `ticker` when
//! trades happened or the ticker's figures changed. Each list holds at most [`BOOK_ROWS`] rows;
//! book rows are price levels (aggregated), best first; trades newest first. A socket that lags
//! the feed gets a fresh snapshot.

use super::public::ticker_message;
use super::{close, code, configure, not_upgradable, send_ping, send_text, Due, Liveness, WsSlot};
use crate::routes::{ip_of, Peer};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
use serde::Serialize;
use std::sync::Arc;
use talat_core::{MarketId, Side};
use talat_gateway::decimal::Dec;
use talat_gateway::gateway::AppState;
use talat_gateway::read::{MarketInfo, MarketState, TradeView};
use tokio::sync::broadcast::error::RecvError;

/// Entries per list (the reference's 30).
pub const BOOK_ROWS: usize = 30;

#[derive(Debug, Serialize)]
pub struct Envelope<'a, D: Serialize> {
    pub data: D,
    pub event: &'a str,
    pub pairing_id: u32,
}

/// `[vol, rate, amount, 0, is_new_order, user_is_owner]`: quote value, price, base quantity.
pub type BookRow = (Dec, Dec, Dec, u8, bool, bool);
/// `[ts_s, rate, amount, side, 0, 0, is_new, user_is_buyer, user_is_seller]`; the side is the
/// taker's.
pub type TradeRow = (u64, Dec, Dec, &'static str, u8, u8, bool, bool, bool);

/// Quote units of `qty` at `price`, floored (the `vol` column).
fn notional(info: &MarketInfo, price: u64, qty: u64) -> u128 {
    let exp = info.spec.price_scale as i32 + info.base_scale as i32 - info.quote_scale as i32;
    let divisor = talat_core::money::pow10(exp.max(0) as u32).expect("scales are small");
    price as u128 * qty as u128 / divisor
}

pub fn book_rows(m: &MarketState, side: Side) -> Vec<BookRow> {
    let info = &m.info;
    m.levels(side, BOOK_ROWS)
        .into_iter()
        .map(|(price, level)| {
            (
                Dec::num(notional(info, price, level.qty), info.quote_scale),
                Dec::num(price, info.spec.price_scale),
                Dec::num(level.qty, info.base_scale),
                0,
                false,
                false,
            )
        })
        .collect()
}

/// The last [`BOOK_ROWS`] trades, newest first; those in `new` (this batch's) marked new.
pub fn trade_rows(m: &MarketState, new: &[TradeView]) -> Vec<TradeRow> {
    let info = &m.info;
    m.recent_trades(BOOK_ROWS)
        .into_iter()
        .map(|t| {
            let side = if t.taker_side == Side::Buy { "BUY" } else { "SELL" };
            (t.ts_ms / 1000, Dec::num(t.price, info.spec.price_scale), Dec::num(t.qty, info.base_scale), side, 0, 0, new.contains(&t), false, false)
        })
        .collect()
}

fn envelope<D: Serialize>(m: &MarketState, event: &str, data: D) -> String {
    serde_json::to_string(&Envelope { data, event, pairing_id: m.info.pairing_id }).expect("a book message serialises")
}

/// `bidschanged` or `askschanged`.
pub fn side_message(m: &MarketState, side: Side) -> String {
    let event = if side == Side::Buy { "bidschanged" } else { "askschanged" };
    envelope(m, event, book_rows(m, side))
}

/// `tradeschanged`: `[trades, bids, asks]` (also the snapshot on connect).
pub fn trades_message(m: &MarketState, new: &[TradeView]) -> String {
    envelope(m, "tradeschanged", (trade_rows(m, new), book_rows(m, Side::Buy), book_rows(m, Side::Sell)))
}

pub fn ticker_event(m: &MarketState, now_ms: u64) -> String {
    envelope(m, "ticker", ticker_message(m, now_ms))
}

/// The market of an order-book path (`1` → the market with pairing id 1).
pub fn market_of_pairing_id(state: &AppState, text: &str) -> Result<Arc<RwLock<MarketState>>, String> {
    let unknown = || format!("unknown pairing_id: {text} (see pairing_id in /api/v3/market/symbols)");
    let id: u32 = text.trim().parse().map_err(|_| unknown())?;
    let index = id.checked_sub(1).and_then(|i| u16::try_from(i).ok()).ok_or_else(unknown)?;
    state.read.market(MarketId(index)).ok_or_else(unknown)
}

pub async fn handler(
    State(state): State<AppState>,
    peer: Peer,
    Path(pairing_id): Path<String>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return not_upgradable(rejection).into_response(),
    };
    let slot = match WsSlot::acquire(&state, ip_of(peer)) {
        Ok(slot) => slot,
        Err(refused) => return refused.into_response(),
    };
    let market = market_of_pairing_id(&state, &pairing_id);
    configure(ws).on_upgrade(move |socket| run(state, slot, market, socket))
}

/// The snapshot and the ticker it shows, as sent on connect and after a lag.
fn snapshot(m: &MarketState, now_ms: u64) -> (String, String) {
    (trades_message(m, &[]), ticker_event(m, now_ms))
}

async fn run(state: AppState, _slot: WsSlot, market: Result<Arc<RwLock<MarketState>>, String>, mut socket: WebSocket) {
    let market = match market {
        Ok(market) => market,
        Err(reason) => return close(socket, code::POLICY, &reason).await,
    };
    let id = market.read().info.id;
    // Subscribe before the snapshot, so nothing between the two is missed.
    let mut feed = state.read.subscribe();
    let (first, mut last_ticker) = snapshot(&market.read(), state.now_ms());
    let mut out = vec![first];
    let mut liveness = Liveness::new(&state);
    loop {
        for text in out.drain(..) {
            if !send_text(&mut socket, text).await {
                return;
            }
        }
        tokio::select! {
            update = feed.recv() => match update {
                Ok(update) => {
                    let Some(change) = update.markets.iter().find(|c| c.market == id) else { continue };
                    let m = market.read();
                    if change.bids {
                        out.push(side_message(&m, Side::Buy));
                    }
                    if change.asks {
                        out.push(side_message(&m, Side::Sell));
                    }
                    if !change.trades.is_empty() {
                        out.push(trades_message(&m, &change.trades));
                    }
                    let ticker = ticker_event(&m, state.now_ms());
                    if !change.trades.is_empty() || ticker != last_ticker {
                        last_ticker = ticker.clone();
                        out.push(ticker);
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    metrics::counter!("talat_api_ws_lagged_total", "socket" => "orderbook").increment(1);
                    tracing::debug!(missed, "order-book socket lagged; resending the snapshot");
                    let (first, ticker) = snapshot(&market.read(), state.now_ms());
                    out.push(first);
                    out.push(ticker.clone());
                    last_ticker = ticker;
                }
                Err(RecvError::Closed) => return close(socket, code::GOING_AWAY, "server shutting down").await,
            },
            _ = tokio::time::sleep_until(liveness.deadline()) => match liveness.due() {
                Due::Ping => {
                    if !send_ping(&mut socket).await {
                        return;
                    }
                }
                Due::Dead => return close(socket, code::POLICY, "no pong: the connection is gone").await,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => liveness.heard(),
            },
        }
    }
}
