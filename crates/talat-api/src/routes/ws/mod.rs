//! WebSocket APIs (reference §15): public market streams (`/websocket-api/<streams>`), the live
//! order book (`/websocket-api/orderbook/<pairing_id>`) and the private stream (`/v3/private`).
//!
//! Every socket is one task that waits on three things: the read models' feed (one `Arc<Feed>`
//! per published batch), the client's frames and its own timers. Nothing is queued per socket
//! beyond the message being written: a send that the client does not drain within
//! [`SEND_TIMEOUT`] drops the connection, and a task that falls behind the feed's bounded
//! broadcast (`Lagged`) resynchronises from the read models (public sockets) or is told and
//! closed (private). Every socket holds a [`WsSlot`], counted in `Gateway::ws_connections`
//! against `max_ws_connections`, and released on every exit path by `Drop`.
//!
//! The JSON of every message is written straight from `Serialize` structs, so decimals print
//! exactly (numbers as raw tokens, never through `f64`).

pub mod orderbook;
pub mod private;
pub mod public;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::routing::get;
use axum::Router;
use std::time::Duration;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, Gateway};

/// Largest frame or message a client may send (subscriptions and pings are tiny).
pub const MAX_INCOMING_BYTES: usize = 16 * 1024;
/// Largest amount of unsent output a socket may hold before writes fail.
pub const MAX_WRITE_BUFFER_BYTES: usize = 1024 * 1024;
/// A client that does not take a message within this long is disconnected.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing socket waits for the client's closing handshake.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// Close codes used (RFC 6455 §7.4.1).
pub mod code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/websocket-api/orderbook/{pairing_id}", get(orderbook::handler))
        .route("/websocket-api/{streams}", get(public::handler))
        .route("/v3/private", get(private::handler))
}

pub use talat_gateway::ws_slot::{refusal, too_many_connections, WsSlot};

/// A plain HTTP request on a WebSocket path.
pub fn not_upgradable(rejection: WebSocketUpgradeRejection) -> ApiError {
    refusal(10, rejection.status(), format!("this path is a WebSocket endpoint: {}", rejection.body_text()))
}

/// Whether the client is still there: the server pings every `ping_every`, and a socket from
/// which nothing (a pong, a ping, any message) arrived within `pong_within` of a ping is dead
/// and closed. A half-open TCP connection therefore frees its slot within one interval and one
/// deadline.
pub struct Liveness {
    ping_every: Duration,
    pong_within: Duration,
    next_ping: tokio::time::Instant,
    /// When the unanswered ping was sent.
    waiting_since: Option<tokio::time::Instant>,
}

/// What to do when [`Liveness::deadline`] passes.
pub enum Due {
    Ping,
    Dead,
}

impl Liveness {
    pub fn new(gateway: &Gateway) -> Liveness {
        let ping_every = Duration::from_secs(gateway.config.ws_ping_interval_s.max(1));
        let pong_within = Duration::from_secs(gateway.config.ws_pong_timeout_s.max(1));
        Liveness { ping_every, pong_within, next_ping: tokio::time::Instant::now() + ping_every, waiting_since: None }
    }

    /// When the socket loop must wake for liveness.
    pub fn deadline(&self) -> tokio::time::Instant {
        match self.waiting_since {
            Some(since) => since + self.pong_within,
            None => self.next_ping,
        }
    }

    /// The deadline passed: ping, or give up.
    pub fn due(&mut self) -> Due {
        let now = tokio::time::Instant::now();
        if self.waiting_since.is_some() {
            return Due::Dead;
        }
        self.waiting_since = Some(now);
        self.next_ping = now + self.ping_every;
        Due::Ping
    }

    /// Something arrived from the client: it is alive.
    pub fn heard(&mut self) {
        self.waiting_since = None;
    }
}

/// Sends the liveness ping; false if the client cannot take it.
pub async fn send_ping(socket: &mut WebSocket) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default()))).await, Ok(Ok(())))
}

/// The handshake settings every socket shares: bounded frames in, bounded buffer out.
pub fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_INCOMING_BYTES).max_frame_size(MAX_INCOMING_BYTES).max_write_buffer_size(MAX_WRITE_BUFFER_BYTES).write_buffer_size(0)
}

/// Sends one text message; false if the client is gone or too slow to take it.
pub async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::text(text))).await, Ok(Ok(())))
}

/// Sends a close frame with `reason` (cut to the protocol's 123 bytes), then waits briefly for
/// the client's answer.
pub async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: clip_reason(reason).into() };
    if !matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await, Ok(Ok(()))) {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A close reason fits in 123 bytes (RFC 6455 §5.5); cut on a character boundary.
pub fn clip_reason(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_string();
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

/// A decimal text (`-12.5`, `0.001`) as a raw JSON number token, exact.
pub fn number(text: String) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(text).unwrap_or_else(|_| serde_json::value::RawValue::from_string("0".into()).expect("0 is JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_to_the_protocol_limit_on_a_char_boundary() {
        assert_eq!(clip_reason("short"), "short");
        let long = "é".repeat(100);
        let cut = clip_reason(&long);
        assert!(cut.len() <= 123 && long.starts_with(&cut));
    }

    #[test]
    fn numbers_stay_exact() {
        let text = serde_json::to_string(&number("-184467440737.09551615".into())).unwrap();
        assert_eq!(text, "-184467440737.09551615");
        assert_eq!(serde_json::to_string(&number("not a number".into())).unwrap(), "0");
    }
}
