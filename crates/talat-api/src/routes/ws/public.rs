//! Public market streams (reference §15.1): `GET /websocket-api/<streams>`, where `<streams>`
//! is a comma-separated list of `market.ticker.<quote_base>` and `market.trade.<quote_base>`
//! (any case; `base_quote` is accepted too). An unknown stream closes the socket with a reason
//! naming it.
//!
//! A ticker stream sends the market's ticker on connect, then again whenever a feed brings the
//! market trades or changes what the ticker shows (best prices and sizes): at most one per
//! market per published batch. A trade stream sends one message per trade (the stream was
//! retired upstream on 2026-05-18; it is served in its documented shape for old clients).

use super::{close, code, configure, not_upgradable, number, send_ping, send_text, Due, Liveness, WsSlot};
use crate::routes::public::ticker_figures;
use crate::routes::{ip_of, Peer};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;
use talat_core::{MarketId, Side};
use talat_gateway::gateway::AppState;
use talat_gateway::read::{MarketChange, MarketState, ReadModel, TradeView};
use tokio::sync::broadcast::error::RecvError;

/// Most streams one socket may name (duplicates count once).
pub const MAX_STREAMS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    Ticker,
    Trade,
}

/// One requested stream, resolved to its market, with its canonical (lower-case, quote-first)
/// name as messages carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    pub kind: StreamKind,
    pub market: MarketId,
    pub name: String,
}

/// Resolves a stream's symbol: `thb_btc` (quote first, as documented) or `btc_thb`, any case.
pub fn market_of_stream_symbol(read: &ReadModel, symbol: &str) -> Option<Arc<RwLock<MarketState>>> {
    let (a, b) = symbol.split_once('_')?;
    read.market_by_symbol(&format!("{b}_{a}")).or_else(|| read.market_by_symbol(symbol))
}

/// Parses the path segment into streams, or says which name is wrong.
pub fn parse_streams(read: &ReadModel, path: &str) -> Result<Vec<Stream>, String> {
    let mut streams: Vec<Stream> = Vec::new();
    for raw in path.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let lower = raw.to_ascii_lowercase();
        let unknown = || format!("unknown stream: {raw} (expected market.ticker.<quote_base> or market.trade.<quote_base>, e.g. market.ticker.thb_btc)");
        let mut parts = lower.splitn(3, '.');
        let (Some("market"), Some(kind), Some(symbol)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(unknown());
        };
        let kind = match kind {
            "ticker" => StreamKind::Ticker,
            "trade" => StreamKind::Trade,
            _ => return Err(unknown()),
        };
        let market = market_of_stream_symbol(read, symbol).ok_or_else(|| format!("unknown stream: {raw} (no such market)"))?;
        let info = Arc::clone(&market.read().info);
        let kind_name = if kind == StreamKind::Ticker { "ticker" } else { "trade" };
        let stream = Stream { kind, market: info.id, name: format!("market.{kind_name}.{}", info.legacy_symbol().to_ascii_lowercase()) };
        if !streams.contains(&stream) {
            if streams.len() == MAX_STREAMS {
                return Err(format!("too many streams: at most {MAX_STREAMS} per connection"));
            }
            streams.push(stream);
        }
    }
    if streams.is_empty() {
        return Err("no stream named: use /websocket-api/market.ticker.thb_btc[,…]".into());
    }
    Ok(streams)
}

/// The ticker message (§15.1, numeric since 2025-04-02); also the `data` of the order book's
/// `ticker` event.
#[derive(Debug, Serialize)]
pub struct TickerMessage {
    pub stream: String,
    pub id: u32,
    pub last: Box<RawValue>,
    #[serde(rename = "lowestAsk")]
    pub lowest_ask: Box<RawValue>,
    #[serde(rename = "lowestAskSize")]
    pub lowest_ask_size: Box<RawValue>,
    #[serde(rename = "highestBid")]
    pub highest_bid: Box<RawValue>,
    #[serde(rename = "highestBidSize")]
    pub highest_bid_size: Box<RawValue>,
    pub change: Box<RawValue>,
    #[serde(rename = "percentChange")]
    pub percent_change: Box<RawValue>,
    #[serde(rename = "baseVolume")]
    pub base_volume: Box<RawValue>,
    #[serde(rename = "quoteVolume")]
    pub quote_volume: Box<RawValue>,
    #[serde(rename = "isFrozen")]
    pub is_frozen: u8,
    /// talat's addition: the market's mode by name, so a bot sees cancel-only or a halt as it
    /// happens (a mode change sends a ticker).
    #[serde(rename = "tradingMode")]
    pub trading_mode: &'static str,
    pub high24hr: Box<RawValue>,
    pub low24hr: Box<RawValue>,
    pub open: Box<RawValue>,
    pub close: Box<RawValue>,
}

pub fn ticker_name(m: &MarketState) -> String {
    format!("market.ticker.{}", m.info.legacy_symbol().to_ascii_lowercase())
}

pub fn ticker_message(m: &MarketState, now_ms: u64) -> TickerMessage {
    let t = ticker_figures(m, now_ms);
    TickerMessage {
        stream: ticker_name(m),
        id: m.info.pairing_id,
        close: number(t.last.clone()),
        last: number(t.last),
        lowest_ask: number(t.lowest_ask),
        lowest_ask_size: number(t.lowest_ask_size),
        highest_bid: number(t.highest_bid),
        highest_bid_size: number(t.highest_bid_size),
        change: number(t.change),
        percent_change: number(t.percent_change),
        base_volume: number(t.base_volume),
        quote_volume: number(t.quote_volume),
        // Frozen as the symbols list's freeze_buy/freeze_sell: no new orders at all.
        is_frozen: u8::from(m.frozen()),
        trading_mode: m.mode_name(),
        high24hr: number(t.high),
        low24hr: number(t.low),
        open: number(t.open),
    }
}

pub fn ticker_text(m: &MarketState, now_ms: u64) -> String {
    serde_json::to_string(&ticker_message(m, now_ms)).expect("a ticker serialises")
}

/// A trade's id as the trade stream and `match_update` print it: base, taker side, engine seq,
/// maker and taker order (unique: a pair of orders trades at most once per command).
pub fn txn_id(base: &str, trade: &TradeView) -> String {
    let side = if trade.taker_side == Side::Buy { "BUY" } else { "SELL" };
    format!("{base}{side}{:010}-{}-{}", trade.seq, trade.maker_order.0, trade.taker_order.0)
}

/// The retired trade stream's message: `rat` a string, `amt` a number, `ts` in seconds.
#[derive(Debug, Serialize)]
pub struct TradeMessage {
    pub stream: String,
    pub sym: String,
    pub txn: String,
    pub rat: String,
    pub amt: Box<RawValue>,
    pub bid: String,
    pub sid: String,
    pub ts: u64,
}

pub fn trade_message(m: &MarketState, trade: &TradeView) -> TradeMessage {
    let info = &m.info;
    let (buy, sell) = match trade.taker_side {
        Side::Buy => (trade.taker_order, trade.maker_order),
        Side::Sell => (trade.maker_order, trade.taker_order),
    };
    let legacy = info.legacy_symbol();
    TradeMessage {
        stream: format!("market.trade.{}", legacy.to_ascii_lowercase()),
        sym: legacy,
        txn: txn_id(&info.spec.base, trade),
        rat: talat_core::money::format_units(trade.price as u128, info.spec.price_scale),
        amt: number(talat_core::money::format_units(trade.qty as u128, info.base_scale)),
        bid: buy.0.to_string(),
        sid: sell.0.to_string(),
        ts: trade.ts_ms / 1000,
    }
}

pub async fn handler(
    State(state): State<AppState>,
    peer: Peer,
    Path(streams): Path<String>,
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
    let parsed = parse_streams(&state.read, &streams);
    configure(ws).on_upgrade(move |socket| run(state, slot, parsed, socket))
}

/// One subscribed stream and what its socket last sent for it.
struct Subscription {
    stream: Stream,
    market: Arc<RwLock<MarketState>>,
    last_ticker: Option<String>,
}

impl Subscription {
    /// What to send for one market change: a ticker if it differs or trades happened, the
    /// trades of a trade stream.
    fn messages(&mut self, change: &MarketChange, now_ms: u64, out: &mut Vec<String>) {
        let m = self.market.read();
        match self.stream.kind {
            StreamKind::Ticker => {
                let text = ticker_text(&m, now_ms);
                if !change.trades.is_empty() || self.last_ticker.as_deref() != Some(text.as_str()) {
                    self.last_ticker = Some(text.clone());
                    out.push(text);
                }
            }
            StreamKind::Trade => {
                for trade in &change.trades {
                    out.push(serde_json::to_string(&trade_message(&m, trade)).expect("a trade serialises"));
                }
            }
        }
    }

    fn snapshot(&mut self, now_ms: u64, out: &mut Vec<String>) {
        if self.stream.kind == StreamKind::Ticker {
            let text = ticker_text(&self.market.read(), now_ms);
            self.last_ticker = Some(text.clone());
            out.push(text);
        }
    }
}

async fn run(state: AppState, _slot: WsSlot, parsed: Result<Vec<Stream>, String>, mut socket: WebSocket) {
    let streams = match parsed {
        Ok(streams) => streams,
        Err(reason) => return close(socket, code::POLICY, &reason).await,
    };
    // Subscribe before the first snapshot, so nothing between the two is missed.
    let mut feed = state.read.subscribe();
    let mut subscriptions: Vec<Subscription> =
        streams.into_iter().filter_map(|stream| Some(Subscription { market: state.read.market(stream.market)?, stream, last_ticker: None })).collect();
    let mut out = Vec::new();
    let now_ms = state.now_ms();
    for s in subscriptions.iter_mut() {
        s.snapshot(now_ms, &mut out);
    }
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
                    let now_ms = state.now_ms();
                    for change in &update.markets {
                        for s in subscriptions.iter_mut().filter(|s| s.stream.market == change.market) {
                            s.messages(change, now_ms, &mut out);
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Trades missed are gone (the stream is best effort); tickers resync.
                    metrics::counter!("talat_api_ws_lagged_total", "socket" => "public").increment(1);
                    tracing::debug!(missed, "public stream lagged; resending tickers");
                    let now_ms = state.now_ms();
                    for s in subscriptions.iter_mut() {
                        s.snapshot(now_ms, &mut out);
                    }
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
                // Nothing to say to a public stream; protocol pings are answered by the socket.
                Some(Ok(_)) => liveness.heard(),
            },
        }
    }
}
