//! The HTTP surface: which path goes to which handler.

pub mod compensations;
pub mod crypto;
pub mod evidence;
pub mod fiat;
pub mod history;
pub mod legacy;
pub mod ops;
pub mod public;
pub mod retired;
pub mod secure;
pub mod ws;

use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use talat_gateway::error::ApiError;
use talat_gateway::gateway::AppState;

/// The caller's address (the server is started with connect info).
pub type Peer = ConnectInfo<SocketAddr>;

pub fn ip_of(peer: Peer) -> IpAddr {
    peer.0.ip()
}

pub fn now_ms_of(state: &AppState) -> u64 {
    state.now_ms()
}

/// `{"error":0,"result":…}`, serialised straight from `result` (no intermediate JSON tree).
pub fn ok_v3<T: Serialize>(result: T) -> Response {
    #[derive(Serialize)]
    struct V3<T> {
        error: u8,
        result: T,
    }
    json_response(&V3 { error: 0, result })
}

pub fn json_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => ([(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"))], bytes).into_response(),
        Err(error) => ApiError::unavailable(format!("serialising the answer: {error}")).into_response(),
    }
}

/// A JSON object from key/value pairs in order (asset codes → balances) without building a map.
pub struct Pairs<K, V>(pub Vec<(K, V)>);

impl<K: AsRef<str>, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

/// `{}`.
#[derive(Serialize)]
pub struct Empty {}

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The gateway's router plus `extra` routes (the web app and staff console, which live in their
/// own crate), under the same body buffering, limits and latency tracking.
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let max_body = state.config.max_body_bytes;
    state.start_timers();
    Router::new()
        .route("/api/status", get(public::status))
        .route("/api/servertime", get(public::servertime))
        .route("/api/v3/servertime", get(public::servertime))
        .route("/api/v3/market/symbols", get(public::symbols))
        .route("/api/v3/market/ticker", get(public::ticker))
        .route("/api/v3/market/bids", get(public::bids))
        .route("/api/v3/market/asks", get(public::asks))
        .route("/api/v3/market/depth", get(public::depth))
        .route("/api/v3/market/trades", get(public::trades))
        .route("/tradingview/history", get(history::tradingview))
        .route("/api/v3/market/my-order-history", get(history::my_order_history))
        .route("/api/market/symbols", get(legacy::symbols))
        .route("/api/market/ticker", get(legacy::ticker))
        .route("/api/market/trades", get(legacy::trades))
        .route("/api/market/bids", get(legacy::bids))
        .route("/api/market/asks", get(legacy::asks))
        .route("/api/market/books", get(legacy::books))
        .route("/api/market/depth", get(legacy::depth))
        .merge(secure::routes())
        .merge(retired::routes())
        .merge(fiat::routes())
        .merge(compensations::routes())
        .merge(ws::routes())
        .route("/metrics", get(ops::metrics))
        .route("/api/openapi.json", get(ops::openapi))
        .merge(extra)
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), ops::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::buffer_body))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(state)
}

async fn fallback() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    let mut error = ApiError::invalid_parameter("method not allowed on this endpoint");
    error.status = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    error
}
