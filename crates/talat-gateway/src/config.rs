//! The gateway's settings (`[api]` in talat.toml); every one has a default.

use crate::decimal::DecimalStyle;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Address the HTTP and WebSocket server listens on.
    pub listen: String,
    /// Largest accepted `X-BTK-TIMESTAMP` distance from the server clock, either way.
    pub timestamp_window_ms: u64,
    /// Decimals that the reference shows as JSON numbers: `numbers` (the docs) or `strings`.
    pub decimals: DecimalStyle,
    /// Open HTTP connections held at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Open HTTP connections from one IP address; more are closed at once, so one host cannot
    /// take every slot (below `max_connections`).
    pub max_connections_per_ip: usize,
    /// Time to send a request's head, from the moment the connection waits for one: a new
    /// connection, or a keep-alive connection between requests (so this is also the idle
    /// keep-alive timeout). A slow or silent client is disconnected.
    pub header_read_timeout_ms: u64,
    /// Time to send a request's body once its head is read; past it the answer is 408 and the
    /// connection is closed.
    pub body_read_timeout_ms: u64,
    /// `/metrics` answers requests from this machine (loopback); from elsewhere only with
    /// `Authorization: Bearer <metrics_token>` when one is set.
    pub metrics_token: Option<String>,
    /// WebSockets: the server pings this often and closes a socket whose pong (or any message)
    /// does not come within `ws_pong_timeout_s`.
    pub ws_ping_interval_s: u64,
    pub ws_pong_timeout_s: u64,
    /// Largest request body; larger ones are refused unread.
    pub max_body_bytes: usize,
    /// Largest body of a request whose path starts with one of `upload_path_prefixes` (support
    /// tickets and KYC documents carry files).
    pub max_upload_bytes: usize,
    pub upload_path_prefixes: Vec<String>,
    /// Upload-sized bodies read at once; another one meanwhile is refused (503) unread, so
    /// uploads can hold at most this many × `max_upload_bytes` of memory.
    pub max_concurrent_uploads: usize,
    /// Per-user / per-IP limits of the reference (§14); off only for benchmarks of the raw path.
    pub rate_limits: bool,
    /// How long a caller over a limit is blocked.
    pub rate_block_s: u32,
    /// Public requests per second per IP address (reads of market data).
    pub public_per_ip_per_s: u32,
    /// New orders are shed once the place lane holds this many commands (a fraction of its
    /// capacity: the rest is the burst a batch absorbs).
    pub place_high_water: usize,
    /// New orders are shed once this many are in flight in this gateway (submitted, not yet
    /// answered): bounds the gateway's memory and the latency a new order can see.
    pub max_inflight_places: usize,
    /// New orders admitted per second across all users (0: no such cap). The capacity the
    /// operator declares from a benchmark: beyond it, new orders are shed at once instead of
    /// queueing, so cancels and reads keep their latency during a surge.
    pub max_new_orders_per_s: u32,
    /// What a shed client is told to wait (`Retry-After`).
    pub busy_retry_after_s: u32,
    /// Open WebSocket connections, all kinds together.
    pub max_ws_connections: usize,
    /// Open WebSocket connections from one IP address, all kinds together: one client cannot
    /// take every slot.
    pub max_ws_per_ip: usize,
    /// Private WebSocket connections per API key (the reference's 5).
    pub max_private_ws_per_key: usize,
    /// A private connection is closed after this long without a ping (the reference: 5 min).
    pub private_ws_idle_s: u64,
    /// And after this long in any case (the reference: 2 h).
    pub private_ws_max_age_s: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: "127.0.0.1:8080".into(),
            timestamp_window_ms: 30_000,
            decimals: DecimalStyle::Numbers,
            max_connections: 4_096,
            max_connections_per_ip: 512,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            metrics_token: None,
            ws_ping_interval_s: 30,
            ws_pong_timeout_s: 15,
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 8 * 1024 * 1024,
            upload_path_prefixes: vec![
                "/web/api/support/".into(),
                "/web/api/console/support/".into(),
                "/web/api/kyc/".into(),
                "/web/api/console/screening/".into(),
            ],
            max_concurrent_uploads: 8,
            rate_limits: true,
            rate_block_s: 30,
            public_per_ip_per_s: 1_000,
            place_high_water: 16_384,
            max_inflight_places: 256,
            max_new_orders_per_s: 0,
            busy_retry_after_s: 1,
            max_ws_connections: 10_000,
            max_ws_per_ip: 200,
            max_private_ws_per_key: 5,
            private_ws_idle_s: 300,
            private_ws_max_age_s: 7_200,
        }
    }
}
