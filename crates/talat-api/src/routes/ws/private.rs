//! The private stream (reference §15.3, §7.4): `GET /v3/private`.
//!
//! The handshake needs a `User-Agent` (else HTTP 400, a v3 error body). The first message must
//! be `auth` (within [`AUTH_TIMEOUT`]) with the key, a timestamp within the window and the HMAC
//! of the timestamp alone (else `"401"` and the socket closes; anything else first, likewise);
//! an API key holds at most `max_private_ws_per_key` sockets at once (code `"429"`). Then
//! `subscribe` / `unsubscribe` to `order_update` and `match_update` (and talat's own
//! `funding_update`: deposits credited, withdrawals held, paid or cancelled), and `ping`. Only
//! the key's user's orders and money are pushed, only on the channels subscribed. The socket is closed after
//! `private_ws_idle_s` without a ping (an event `ping` or a protocol ping frame) and after
//! `private_ws_max_age_s` in any case; a socket that falls behind the feed is told and closed
//! (its client should reconnect and re-read its open orders).
//!
//! Every frame is `{"event","code","message","data",…,"connection_id","timestamp"}` with a
//! string code (§13.3) and an RFC 3339 timestamp with nanoseconds. Amounts are exact decimal
//! strings. Fees are charged in the asset an order receives (base for a buy, quote for a
//! sell), which `fee_currency` names.

use super::public::txn_id;
use super::{close, code, configure, not_upgradable, refusal, send_ping, send_text, Due, Liveness, WsSlot};
use crate::routes::{ip_of, Peer};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use talat_core::{DoneReason, OrderId, Side};
use talat_gateway::auth::{sign, ApiKey};
use talat_gateway::decimal::Dec;
use talat_gateway::gateway::{AppState, Gateway};
use talat_gateway::read::{Feed, FundingStatus, FundingView, MarketInfo, MatchView, OrderStatus, OrderType, OrderView, PrivateUpdate};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{sleep_until, Instant};

/// Longest wait for the `auth` message (or the idle time, if shorter).
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(30);

pub const ORDER_UPDATE: &str = "order_update";
pub const MATCH_UPDATE: &str = "match_update";
/// talat's own channel (Bitkub's stream has none for money in and out): deposits credited and
/// withdrawals held, paid or cancelled, THB and crypto alike.
pub const FUNDING_UPDATE: &str = "funding_update";

// ---- frames --------------------------------------------------------------------------------

/// One server frame. `channel` is present on subscription answers only.
#[derive(Debug, Serialize)]
pub struct Frame<'a, D: Serialize> {
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<&'a str>,
    pub code: &'a str,
    pub message: &'a str,
    pub data: D,
    pub connection_id: &'a str,
    pub timestamp: String,
}

/// `2024-01-01T12:00:00.000000000Z`.
pub fn rfc3339_nanos(ts_ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ts_ms as i128 * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    t.format(&format).unwrap_or_default()
}

/// The message text of a string code (§13.3).
pub fn code_message(code: &str) -> &'static str {
    match code {
        "200" => "Success",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "404" => "Not Found",
        "429" => "Too Many Connections",
        _ => "Internal Server Error",
    }
}

/// A frame's JSON text.
pub fn frame_text<D: Serialize>(event: &str, channel: Option<&str>, code: &str, data: D, connection_id: &str, now_ms: u64) -> String {
    let frame = Frame { event, channel, code, message: code_message(code), data, connection_id, timestamp: rfc3339_nanos(now_ms) };
    serde_json::to_string(&frame).expect("a frame serialises")
}

/// `{"message": text}`, the `data` of answers that explain something.
fn says(text: impl Into<String>) -> Value {
    json!({ "message": text.into() })
}

// ---- order_update and match_update ----------------------------------------------------------

/// `data` of `order_update` (§15.3).
#[derive(Debug, Serialize)]
pub struct OrderUpdate {
    pub user_id: String,
    pub order_id: String,
    pub client_id: Option<String>,
    pub symbol: String,
    pub side: &'static str,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub status: &'static str,
    /// Null for a market order.
    pub price: Option<Dec>,
    pub stop_price: Option<Dec>,
    pub order_currency: String,
    pub order_amount: Dec,
    pub executed_currency: String,
    pub executed_amount: Dec,
    pub received_currency: String,
    pub received_amount: Dec,
    pub total_fee: Dec,
    pub fee_currency: String,
    pub credit_used: Dec,
    pub net_fee_paid: Dec,
    pub avg_filled_price: Dec,
    pub post_only: bool,
    pub canceled_by: Option<&'static str>,
    pub order_created_at: u64,
    pub order_triggered_at: Option<u64>,
    pub order_updated_at: Option<u64>,
}

/// `data` of `match_update` (§15.3).
#[derive(Debug, Serialize)]
pub struct MatchUpdate {
    pub order_id: String,
    pub txn_id: String,
    pub client_id: Option<String>,
    pub symbol: String,
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub status: &'static str,
    pub side: &'static str,
    pub is_maker: bool,
    pub price: Dec,
    pub executed_currency: String,
    pub executed_amount: Dec,
    pub received_currency: String,
    pub received_amount: Dec,
    pub fee_rate: Dec,
    pub total_fee: Dec,
    pub fee_currency: String,
    pub credit_used: Dec,
    pub net_fee_paid: Dec,
    pub txn_ts: u64,
}

fn side_str(side: Side) -> &'static str {
    if side == Side::Buy {
        "buy"
    } else {
        "sell"
    }
}

/// 10^(price_scale + base_scale − quote_scale): price × qty / divisor is quote units.
fn divisor(info: &MarketInfo) -> u128 {
    let exp = info.spec.price_scale as i32 + info.base_scale as i32 - info.quote_scale as i32;
    talat_core::money::pow10(exp.max(0) as u32).expect("scales are small")
}

/// (currency, scale) of what an order of `side` spends and receives.
fn currencies(info: &MarketInfo, side: Side) -> ((String, u8), (String, u8)) {
    let base = (info.spec.base.clone(), info.base_scale);
    let quote = (info.spec.quote.clone(), info.quote_scale);
    match side {
        Side::Buy => (quote, base),
        Side::Sell => (base, quote),
    }
}

pub fn order_update(info: &MarketInfo, o: &OrderView) -> OrderUpdate {
    let ps = info.spec.price_scale;
    let ((spend, spend_scale), (receive, receive_scale)) = currencies(info, o.side);
    // Bitkub's amounts: quote for a buy (its value at the limit, or a market buy's budget),
    // base for a sell.
    let (ordered, executed, received_gross) = match o.side {
        Side::Buy => {
            let ordered = if o.order_type == OrderType::Market { o.budget as u128 } else { o.price as u128 * o.qty as u128 / divisor(info) };
            (ordered, o.filled_quote as u128, o.filled_qty as u128)
        }
        Side::Sell => (o.qty as u128, o.filled_qty as u128, o.filled_quote as u128),
    };
    let average = if o.filled_qty == 0 { 0 } else { o.filled_quote as u128 * divisor(info) / o.filled_qty as u128 };
    let canceled_by = match (o.status, o.done) {
        (OrderStatus::Canceled | OrderStatus::PartialFilledCanceled, Some(DoneReason::Cancelled)) => Some("user"),
        (OrderStatus::Canceled | OrderStatus::PartialFilledCanceled, Some(_)) => Some("system"),
        _ => None,
    };
    OrderUpdate {
        user_id: o.user.0.to_string(),
        order_id: o.id.0.to_string(),
        client_id: o.client_id.clone(),
        symbol: info.spec.symbol.clone(),
        side: side_str(o.side),
        order_type: o.order_type.as_str(),
        status: o.status.as_str(),
        price: (o.order_type != OrderType::Market).then(|| Dec::str(o.price, ps)),
        stop_price: (o.order_type == OrderType::StopLimit).then(|| Dec::str(o.stop_price, ps)),
        order_currency: spend.clone(),
        order_amount: Dec::str(ordered, spend_scale),
        executed_currency: spend,
        executed_amount: Dec::str(executed, spend_scale),
        received_currency: receive.clone(),
        received_amount: Dec::str(received_gross.saturating_sub(o.fee as u128), receive_scale),
        total_fee: Dec::str(o.fee, receive_scale),
        fee_currency: receive,
        credit_used: Dec::str(0u64, receive_scale),
        net_fee_paid: Dec::str(o.fee, receive_scale),
        avg_filled_price: Dec::str(average, ps),
        post_only: o.post_only(),
        canceled_by,
        order_created_at: o.created_ms,
        order_triggered_at: o.triggered_ms,
        order_updated_at: Some(o.updated_ms),
    }
}

/// One fill of `m.order` (the order as it stands after the fill).
///
/// Exact on both sides: the trade carries what the buyer paid and what the seller was credited.
pub fn match_update(info: &MarketInfo, m: &MatchView) -> MatchUpdate {
    let o = &m.order;
    let t = &m.trade;
    let ((spend, spend_scale), (receive, receive_scale)) = currencies(info, o.side);
    let (executed, received_gross) = match o.side {
        Side::Buy => (t.quote as u128, t.qty as u128),
        Side::Sell => (t.qty as u128, t.quote_received as u128),
    };
    let complete = o.status == OrderStatus::Filled || (o.qty > 0 && o.filled_qty >= o.qty);
    let fee_ppm = if m.is_maker { info.spec.maker_fee_ppm } else { info.spec.taker_fee_ppm };
    MatchUpdate {
        order_id: o.id.0.to_string(),
        txn_id: txn_id(&info.spec.base, t),
        client_id: o.client_id.clone(),
        symbol: info.spec.symbol.clone(),
        order_type: o.order_type.as_str(),
        status: if complete { OrderStatus::Filled.as_str() } else { OrderStatus::PartialFilled.as_str() },
        side: side_str(o.side),
        is_maker: m.is_maker,
        price: Dec::str(t.price, info.spec.price_scale),
        executed_currency: spend,
        executed_amount: Dec::str(executed, spend_scale),
        received_currency: receive.clone(),
        received_amount: Dec::str(received_gross.saturating_sub(m.fee as u128), receive_scale),
        fee_rate: Dec::str(fee_ppm, 6),
        total_fee: Dec::str(m.fee, receive_scale),
        fee_currency: receive,
        credit_used: Dec::str(0u64, receive_scale),
        net_fee_paid: Dec::str(m.fee, receive_scale),
        txn_ts: t.ts_ms / 1000,
    }
}

// ---- authentication ------------------------------------------------------------------------

/// A string field of the `auth` data, its name in any case; a numeric timestamp is accepted.
fn auth_field(data: &Value, name: &str) -> Option<String> {
    let (_, value) = data.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks an `auth` message's data (§7.4): the key, its address list, the timestamp window and
/// the signature over the timestamp alone. The error says which.
pub fn authenticate(gateway: &Gateway, data: Option<&Value>, ip: IpAddr) -> Result<Arc<ApiKey>, String> {
    let data = data.ok_or("auth needs data with X-BTK-APIKEY, X-BTK-SIGN and X-BTK-TIMESTAMP")?;
    let api_key = auth_field(data, "X-BTK-APIKEY").ok_or("missing X-BTK-APIKEY")?;
    let timestamp = auth_field(data, "X-BTK-TIMESTAMP").ok_or("missing X-BTK-TIMESTAMP")?;
    let signature = auth_field(data, "X-BTK-SIGN").ok_or("missing X-BTK-SIGN")?;
    let key = gateway.keys.get(&api_key).ok_or("invalid API key")?;
    if !key.ip_allowed(ip) {
        return Err("IP not allowed".into());
    }
    gateway.check_timestamp(&timestamp).map_err(|e| e.message.into_owned())?;
    if !sign::verify_timestamp_only(key.secret(), &timestamp, &signature) {
        metrics::counter!("talat_api_bad_signatures_total").increment(1);
        return Err("invalid signature: expected the HMAC-SHA256 of X-BTK-TIMESTAMP alone".into());
    }
    gateway.first_use(&api_key, &timestamp, &signature).map_err(|e| e.message.into_owned())?;
    Ok(key)
}

/// One of an API key's private sockets, counted in `Gateway::private_ws_per_key` until dropped.
pub struct KeySlot {
    gateway: AppState,
    api_key: String,
}

impl KeySlot {
    pub fn acquire(gateway: &AppState, api_key: &str) -> Option<KeySlot> {
        let max = gateway.config.max_private_ws_per_key;
        let mut counts = gateway.private_ws_per_key.lock();
        let open = counts.get(api_key).copied().unwrap_or(0);
        if open >= max {
            return None;
        }
        counts.insert(api_key.to_string(), open + 1);
        Some(KeySlot { gateway: Arc::clone(gateway), api_key: api_key.to_string() })
    }
}

impl Drop for KeySlot {
    fn drop(&mut self) {
        let mut counts = self.gateway.private_ws_per_key.lock();
        if let Some(open) = counts.get_mut(&self.api_key) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.api_key);
            }
        }
    }
}

// ---- the socket ----------------------------------------------------------------------------

pub async fn handler(State(state): State<AppState>, peer: Peer, headers: HeaderMap, ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return not_upgradable(rejection).into_response(),
    };
    let has_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).is_some_and(|v| !v.trim().is_empty());
    if !has_agent {
        return refusal(10, StatusCode::BAD_REQUEST, "a User-Agent header is required on the private WebSocket handshake (e.g. python-bot/1.0)")
            .into_response();
    }
    let slot = match WsSlot::acquire(&state, ip_of(peer)) {
        Ok(slot) => slot,
        Err(refused) => return refused.into_response(),
    };
    let ip = ip_of(peer);
    configure(ws).on_upgrade(move |socket| Session::new(state, ip).run(slot, socket))
}

/// A random connection id, like the reference's `Y33pLftYyQ0CEpQ=`.
fn connection_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 10];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the socket does after one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Continue,
    /// Send what was queued, then close with this code and reason.
    Close(u16, String),
    /// The client is gone.
    Quit,
}

struct Authenticated {
    key: Arc<ApiKey>,
    _slot: KeySlot,
    feed: broadcast::Receiver<Arc<Feed>>,
}

fn order_of(update: &PrivateUpdate) -> Option<&OrderView> {
    match update {
        PrivateUpdate::Order(order) => Some(order),
        PrivateUpdate::Match(fill) => Some(&fill.order),
        PrivateUpdate::Funding(_) => None,
    }
}

/// A `funding_update`'s data: amounts as exact decimal strings in the asset's scale.
#[derive(Debug, Serialize)]
pub struct FundingUpdate {
    pub user_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub currency: String,
    pub amount: String,
    pub fee: String,
    pub status: &'static str,
    /// `credited`, `held`, `settled` or `released`: what the engine did.
    pub event: &'static str,
    pub reference: String,
    pub updated_at: u64,
}

pub fn funding_update(code: &str, scale: u8, f: &FundingView) -> FundingUpdate {
    let event = match f.status {
        FundingStatus::Credited => "credited",
        FundingStatus::Held => "held",
        FundingStatus::Settled => "settled",
        FundingStatus::Released => "released",
    };
    FundingUpdate {
        user_id: f.user.0.to_string(),
        kind: f.kind.name(),
        currency: code.to_owned(),
        amount: talat_core::money::format_units(u128::from(f.amount), scale),
        fee: talat_core::money::format_units(u128::from(f.fee), scale),
        status: f.status.name(),
        event,
        reference: f.reference.clone(),
        updated_at: f.ts_ms,
    }
}

/// One private connection's state, apart from the socket.
pub struct Session {
    gateway: AppState,
    ip: IpAddr,
    connection_id: String,
    auth: Option<Authenticated>,
    order_update: bool,
    match_update: bool,
    funding_update: bool,
    /// Frames to send before waiting again.
    out: Vec<String>,
    /// Set by a ping (and by auth): the idle timer restarts.
    pinged: bool,
}

impl Session {
    pub fn new(gateway: AppState, ip: IpAddr) -> Session {
        Session {
            gateway,
            ip,
            connection_id: connection_id(),
            auth: None,
            order_update: false,
            match_update: false,
            funding_update: false,
            out: Vec::new(),
            pinged: false,
        }
    }

    fn reply<D: Serialize>(&mut self, event: &str, channel: Option<&str>, code: &str, data: D) {
        let text = frame_text(event, channel, code, data, &self.connection_id, self.gateway.now_ms());
        self.out.push(text);
    }

    async fn run(mut self, _slot: WsSlot, mut socket: WebSocket) {
        let config = &self.gateway.config;
        let idle = Duration::from_secs(config.private_ws_idle_s);
        let max_age = Duration::from_secs(config.private_ws_max_age_s);
        let closes_at = Instant::now() + max_age;
        // Until authenticated, a socket gets at most AUTH_TIMEOUT.
        let mut idle_until = Instant::now() + idle.min(AUTH_TIMEOUT);
        let mut liveness = Liveness::new(&self.gateway);
        loop {
            for text in std::mem::take(&mut self.out) {
                if !send_text(&mut socket, text).await {
                    return;
                }
            }
            let step = tokio::select! {
                _ = sleep_until(idle_until) => match self.auth {
                    Some(_) => Step::Close(code::POLICY, format!("idle: no ping for {} s", idle.as_secs())),
                    None => Step::Close(code::POLICY, format!("idle: no auth within {} s", idle.min(AUTH_TIMEOUT).as_secs())),
                },
                _ = sleep_until(closes_at) => Step::Close(code::NORMAL, format!("connection age limit of {} s reached: reconnect", max_age.as_secs())),
                _ = sleep_until(liveness.deadline()) => match liveness.due() {
                    Due::Ping if send_ping(&mut socket).await => Step::Continue,
                    Due::Ping => Step::Quit,
                    Due::Dead => Step::Close(code::POLICY, "no pong: the connection is gone".into()),
                },
                update = next_feed(&mut self.auth) => self.on_feed(update),
                incoming = socket.recv() => {
                    if matches!(incoming, Some(Ok(_))) {
                        liveness.heard();
                    }
                    self.on_incoming(incoming)
                }
            };
            if std::mem::take(&mut self.pinged) {
                idle_until = Instant::now() + idle;
            }
            match step {
                Step::Continue => {}
                Step::Quit => return,
                Step::Close(code, reason) => {
                    for text in std::mem::take(&mut self.out) {
                        if !send_text(&mut socket, text).await {
                            return;
                        }
                    }
                    return close(socket, code, &reason).await;
                }
            }
        }
    }

    /// Pushes the user's updates on the channels subscribed. A fill changes its order too
    /// (`partial_filled`, amounts): after an order's last fill in a batch, an `order_update`
    /// follows unless the batch reports the order again itself (resting or done).
    pub fn on_feed(&mut self, update: Result<Arc<Feed>, RecvError>) -> Step {
        let Some(auth) = &self.auth else { return Step::Continue };
        let user = auth.key.user;
        match update {
            Ok(feed) => {
                let mine: Vec<&PrivateUpdate> = feed.private.iter().filter(|(owner, _)| *owner == user).map(|(_, u)| u).collect();
                // Where each order is last mentioned in this batch.
                let mut last_mention: FxHashMap<OrderId, usize> = FxHashMap::default();
                if self.order_update {
                    for (i, update) in mine.iter().enumerate() {
                        if let Some(order) = order_of(update) {
                            last_mention.insert(order.id, i);
                        }
                    }
                }
                for (i, update) in mine.into_iter().enumerate() {
                    let now_ms = self.gateway.now_ms();
                    let Some(order) = order_of(update) else {
                        if let PrivateUpdate::Funding(f) = update {
                            self.push_funding(f, now_ms);
                        }
                        continue;
                    };
                    let Some(info) = self.info(order.market) else { continue };
                    match update {
                        PrivateUpdate::Order(order) if self.order_update => {
                            self.out.push(frame_text(ORDER_UPDATE, None, "200", order_update(&info, order), &self.connection_id, now_ms));
                        }
                        PrivateUpdate::Order(_) | PrivateUpdate::Funding(_) => {}
                        PrivateUpdate::Match(fill) => {
                            if self.match_update {
                                self.out.push(frame_text(MATCH_UPDATE, None, "200", match_update(&info, fill), &self.connection_id, now_ms));
                            }
                            if self.order_update && last_mention.get(&fill.order.id) == Some(&i) {
                                self.out.push(frame_text(ORDER_UPDATE, None, "200", order_update(&info, &fill.order), &self.connection_id, now_ms));
                            }
                        }
                    }
                }
                Step::Continue
            }
            Err(RecvError::Lagged(missed)) => {
                metrics::counter!("talat_api_ws_lagged_total", "socket" => "private").increment(1);
                self.reply(
                    "error",
                    None,
                    "500",
                    says(format!("this connection fell {missed} updates behind and is closed: reconnect and re-read open orders")),
                );
                Step::Close(code::TRY_AGAIN_LATER, "fell behind the update stream: reconnect".into())
            }
            Err(RecvError::Closed) => Step::Close(code::GOING_AWAY, "server shutting down".into()),
        }
    }

    fn push_funding(&mut self, f: &FundingView, now_ms: u64) {
        if !self.funding_update {
            return;
        }
        let Some(spec) = self.gateway.read.assets().into_iter().nth(f.asset.0 as usize) else { return };
        self.out.push(frame_text(FUNDING_UPDATE, None, "200", funding_update(&spec.code, spec.scale, f), &self.connection_id, now_ms));
    }

    fn info(&self, market: talat_core::MarketId) -> Option<Arc<MarketInfo>> {
        self.gateway.read.market(market).map(|m| Arc::clone(&m.read().info))
    }

    fn on_incoming(&mut self, incoming: Option<Result<Message, axum::Error>>) -> Step {
        match incoming {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Step::Quit,
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str()),
            Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                Ok(text) => self.on_text(text),
                Err(_) => {
                    self.reply("error", None, "400", says("messages are JSON text"));
                    Step::Continue
                }
            },
            // A protocol ping counts as a ping (the socket answers it with a pong).
            Some(Ok(Message::Ping(_))) => {
                self.pinged = true;
                Step::Continue
            }
            Some(Ok(Message::Pong(_))) => Step::Continue,
        }
    }

    /// One client message: `auth`, `subscribe`, `unsubscribe` or `ping`.
    pub fn on_text(&mut self, text: &str) -> Step {
        let request: Value = match serde_json::from_str(text) {
            Ok(value @ Value::Object(_)) => value,
            Ok(_) => {
                self.reply("error", None, "400", says("expected a JSON object such as {\"event\":\"ping\"}"));
                return Step::Continue;
            }
            Err(e) => {
                self.reply("error", None, "400", says(format!("malformed JSON: {e}")));
                return Step::Continue;
            }
        };
        let Some(event) = request.get("event").and_then(Value::as_str).map(str::to_string) else {
            self.reply("error", None, "400", says("missing event (auth, subscribe, unsubscribe or ping)"));
            return Step::Continue;
        };
        if event == "auth" {
            return self.on_auth(request.get("data"));
        }
        if self.auth.is_none() {
            self.reply(&event, None, "401", says("authenticate first: the first message must be auth"));
            return Step::Close(code::POLICY, "not authenticated".into());
        }
        match event.as_str() {
            "ping" => {
                self.pinged = true;
                self.reply("ping", None, "200", says("pong"));
            }
            "subscribe" | "unsubscribe" => self.on_subscription(&event, request.get("channel")),
            _ => self.reply(&event, None, "400", says(format!("unknown event {event:?}: expected auth, subscribe, unsubscribe or ping"))),
        }
        Step::Continue
    }

    fn on_auth(&mut self, data: Option<&Value>) -> Step {
        if self.auth.is_some() {
            self.reply("auth", None, "400", says("already authenticated"));
            return Step::Continue;
        }
        let key = match authenticate(&self.gateway, data, self.ip) {
            Ok(key) => key,
            Err(reason) => {
                self.reply("auth", None, "401", says(reason));
                return Step::Close(code::POLICY, "unauthorized".into());
            }
        };
        let Some(slot) = KeySlot::acquire(&self.gateway, &key.api_key) else {
            let max = self.gateway.config.max_private_ws_per_key;
            self.reply("auth", None, "429", says(format!("at most {max} connections per API key")));
            return Step::Close(code::POLICY, "too many connections for this API key".into());
        };
        // Subscribe to the feed before answering, so nothing after the answer is missed.
        let feed = self.gateway.read.subscribe();
        self.auth = Some(Authenticated { key, _slot: slot, feed });
        self.pinged = true;
        self.reply("auth", None, "200", json!({}));
        Step::Continue
    }

    fn on_subscription(&mut self, event: &str, channel: Option<&Value>) {
        let Some(channel) = channel.and_then(Value::as_str) else {
            self.reply(event, None, "400", says("channel is required: order_update, match_update or funding_update"));
            return;
        };
        let on = event == "subscribe";
        match channel {
            ORDER_UPDATE => self.order_update = on,
            MATCH_UPDATE => self.match_update = on,
            FUNDING_UPDATE => self.funding_update = on,
            other => {
                let message = format!("unknown channel {other:?}: expected order_update, match_update or funding_update");
                self.reply(event, Some(other), "404", says(message));
                return;
            }
        }
        let done = if on { "Subscribed successfully" } else { "Unsubscribed successfully" };
        self.reply(event, Some(channel), "200", says(done));
    }
}

/// The next feed of an authenticated session; never resolves before authentication.
async fn next_feed(auth: &mut Option<Authenticated>) -> Result<Arc<Feed>, RecvError> {
    match auth {
        Some(auth) => auth.feed.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_nanoseconds() {
        assert_eq!(rfc3339_nanos(1_704_110_400_123), "2024-01-01T12:00:00.123000000Z");
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn frames_carry_every_envelope_field_in_order() {
        let text = frame_text("subscribe", Some("order_update"), "200", says("Subscribed successfully"), "abc=", 0);
        assert_eq!(
            text,
            r#"{"event":"subscribe","channel":"order_update","code":"200","message":"Success","data":{"message":"Subscribed successfully"},"connection_id":"abc=","timestamp":"1970-01-01T00:00:00.000000000Z"}"#
        );
    }

    /// A session driven by hand (no socket): auth, the user filter, the fill-then-state rule
    /// and the lag rule.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_pushes_its_user_only_and_closes_when_it_lags() {
        use crate::testkit::TestExchange;
        use talat_core::{MarketId, OrderKind, Price, Qty, TimeInForce, UserId};
        use talat_gateway::config::ApiConfig;
        use talat_gateway::read::TradeView;
        let ex = TestExchange::start(ApiConfig::default(), 2, talat_sequencer::SequencerConfig::default()).await;
        let mut session = Session::new(Arc::clone(&ex.gateway), "127.0.0.1".parse().unwrap());
        let user = &ex.users[0];
        let ts = ex.gateway.now_ms().to_string();
        let sig = sign::sign(user.secret.as_bytes(), &ts, "", "", b"");
        let auth = json!({"event": "auth", "data": {"X-BTK-APIKEY": user.key, "X-BTK-SIGN": sig, "X-BTK-TIMESTAMP": ts}});
        assert_eq!(session.on_text(&auth.to_string()), Step::Continue);
        assert_eq!(session.on_text(r#"{"event":"subscribe","channel":"order_update"}"#), Step::Continue);
        assert_eq!(session.on_text(r#"{"event":"subscribe","channel":"match_update"}"#), Step::Continue);
        assert_eq!(session.out.len(), 3);
        session.out.clear();

        let kind = OrderKind::Limit { price: Price(340_000_000), qty: Qty(100_000), tif: TimeInForce::Gtc };
        let order = |owner: UserId, id: u64| OrderView::from_kind(OrderId(id), owner, MarketId(0), Side::Buy, &kind, None, 1_000);
        let trade = TradeView {
            seq: 9,
            ts_ms: 2_000,
            price: 340_000_000,
            qty: 40_000,
            quote: 136_000,
            quote_received: 136_000,
            taker_side: Side::Sell,
            maker_order: OrderId(7),
            taker_order: OrderId(8),
            buyer: user.user,
            seller: ex.users[1].user,
        };
        let mut filled = order(user.user, 7);
        filled.filled_qty = 40_000;
        filled.filled_quote = 136_000;
        filled.fee = 100;
        filled.status = OrderStatus::PartialFilled;
        let fill = MatchView { order: filled, trade, is_maker: true, fee: 100 };
        let feed = Feed {
            private: vec![
                (ex.users[1].user, PrivateUpdate::Order(order(ex.users[1].user, 8))),
                (user.user, PrivateUpdate::Match(fill.clone())),
                (user.user, PrivateUpdate::Match(fill)),
            ],
            ..Feed::default()
        };
        assert_eq!(session.on_feed(Ok(Arc::new(feed))), Step::Continue);
        let events: Vec<String> = session.out.iter().map(|t| serde_json::from_str::<Value>(t).unwrap()["event"].as_str().unwrap().to_string()).collect();
        // Two fills of one order in a batch: two matches, one state after the last.
        assert_eq!(events, ["match_update", "match_update", "order_update"]);
        assert!(session.out.iter().all(|t| !t.contains("\"order_id\":\"8\"")), "not the other user's order");
        session.out.clear();

        let step = session.on_feed(Err(RecvError::Lagged(3)));
        assert_eq!(step, Step::Close(code::TRY_AGAIN_LATER, "fell behind the update stream: reconnect".into()));
        let told: Value = serde_json::from_str(&session.out[0]).unwrap();
        assert_eq!((told["event"].as_str(), told["code"].as_str()), (Some("error"), Some("500")));
        drop(session);
        assert!(ex.gateway.private_ws_per_key.lock().is_empty(), "the key's slot is released");
        ex.stop().await;
    }

    /// Real commands through the engine: the read model turns a deposit and a withdrawal's
    /// hold, settle and release into `funding_update` frames for their owner only.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn money_in_and_out_reaches_its_owner_on_funding_update() {
        use crate::testkit::TestExchange;
        use talat_core::{Amount, Command, ExternalId};
        use talat_gateway::config::ApiConfig;
        let ex = TestExchange::start(ApiConfig::default(), 2, talat_sequencer::SequencerConfig::default()).await;
        let mut session = Session::new(Arc::clone(&ex.gateway), "127.0.0.1".parse().unwrap());
        let (user, other) = (ex.users[0].user, ex.users[1].user);
        let ts = ex.gateway.now_ms().to_string();
        let sig = sign::sign(ex.users[0].secret.as_bytes(), &ts, "", "", b"");
        let auth = json!({"event": "auth", "data": {"X-BTK-APIKEY": ex.users[0].key, "X-BTK-SIGN": sig, "X-BTK-TIMESTAMP": ts}});
        assert_eq!(session.on_text(&auth.to_string()), Step::Continue);
        assert_eq!(session.on_text(r#"{"event":"subscribe","channel":"funding_update"}"#), Step::Continue);
        let answer: Value = serde_json::from_str(session.out.last().unwrap()).unwrap();
        assert_eq!((answer["channel"].as_str(), answer["code"].as_str()), (Some("funding_update"), Some("200")));
        session.out.clear();

        let thb = ex.gateway.read.asset_id("THB").unwrap();
        let id = |s: &str| ExternalId(s.into());
        let commands = [
            Command::Deposit { user: other, asset: thb, amount: Amount(500_00), external_id: id("not-mine") },
            Command::Deposit { user, asset: thb, amount: Amount(1_234_56), external_id: id("bank:REF1") },
            Command::WithdrawalHold { user, asset: thb, amount: Amount(100_00), fee: Amount(20_00), withdrawal_id: id("W1") },
            Command::WithdrawalSettle { withdrawal_id: id("W1") },
            Command::WithdrawalHold { user, asset: thb, amount: Amount(50_00), fee: Amount(0), withdrawal_id: id("W2") },
            Command::WithdrawalRelease { withdrawal_id: id("W2") },
        ];
        for c in commands {
            ex.gateway.execute(c).await.unwrap();
        }
        let mut frames: Vec<Value> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while frames.len() < 5 && Instant::now() < deadline {
            let update = tokio::time::timeout(Duration::from_secs(1), next_feed(&mut session.auth)).await;
            if let Ok(update) = update {
                assert_eq!(session.on_feed(update), Step::Continue);
            }
            frames.extend(session.out.drain(..).map(|t| serde_json::from_str::<Value>(&t).unwrap()));
        }
        let seen: Vec<(&str, &str, &str, &str, &str)> = frames
            .iter()
            .map(|f| {
                let d = &f["data"];
                (
                    d["type"].as_str().unwrap(),
                    d["event"].as_str().unwrap(),
                    d["status"].as_str().unwrap(),
                    d["amount"].as_str().unwrap(),
                    d["reference"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("deposit", "credited", "complete", "1234.56", "bank:REF1"),
                ("withdrawal", "held", "pending", "100", "W1"),
                ("withdrawal", "settled", "complete", "100", "W1"),
                ("withdrawal", "held", "pending", "50", "W2"),
                ("withdrawal", "released", "cancelled", "50", "W2"),
            ],
            "the owner's money only, in order"
        );
        let owner = user.0.to_string();
        assert!(frames.iter().all(|f| f["event"] == "funding_update" && f["data"]["currency"] == "THB" && f["data"]["user_id"] == owner.as_str()));
        assert_eq!(frames[1]["data"]["fee"], "20");
        ex.stop().await;
    }

    #[test]
    fn connection_ids_look_like_the_reference() {
        let id = connection_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
    }
}
