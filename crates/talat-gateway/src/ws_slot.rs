//! One open WebSocket's place in the gateway's bounds: every surface that upgrades a request
//! (the Bitkub API's public and private sockets, the web app's notification stream) takes a
//! [`WsSlot`] first, so `max_ws_connections` and `max_ws_per_ip` hold across all of them.

use crate::error::ApiError;
use crate::gateway::{AppState, Gateway};
use axum::http::StatusCode;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One open WebSocket, counted in `Gateway::ws_connections` and in its IP's entry of
/// `Gateway::ws_per_ip` until dropped.
pub struct WsSlot {
    gateway: AppState,
    ip: IpAddr,
}

impl WsSlot {
    /// Takes a slot if fewer than `max_ws_connections` are open in all and fewer than
    /// `max_ws_per_ip` from `ip`; otherwise the refusal to answer with.
    pub fn acquire(gateway: &AppState, ip: IpAddr) -> Result<WsSlot, ApiError> {
        {
            let mut per_ip = gateway.ws_per_ip.lock();
            let open = per_ip.entry(ip).or_insert(0);
            if *open >= gateway.config.max_ws_per_ip {
                metrics::counter!("talat_api_shed_total", "reason" => "ws_per_ip").increment(1);
                return Err(refusal(30, StatusCode::TOO_MANY_REQUESTS, "too many WebSocket connections from this address"));
            }
            *open += 1;
        }
        let max = gateway.config.max_ws_connections;
        let taken = gateway.ws_connections.fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| (open < max).then_some(open + 1));
        if taken.is_err() {
            release_ip(gateway, ip);
            return Err(too_many_connections(gateway));
        }
        metrics::gauge!("talat_api_ws_connections").increment(1.0);
        Ok(WsSlot { gateway: Arc::clone(gateway), ip })
    }
}

fn release_ip(gateway: &Gateway, ip: IpAddr) {
    let mut per_ip = gateway.ws_per_ip.lock();
    let open = per_ip.get_mut(&ip).expect("an acquired slot's IP is counted");
    assert!(*open > 0);
    *open -= 1;
    if *open == 0 {
        per_ip.remove(&ip);
    }
}

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.gateway.ws_connections.fetch_sub(1, Ordering::AcqRel);
        release_ip(&self.gateway, self.ip);
        metrics::gauge!("talat_api_ws_connections").decrement(1.0);
    }
}

/// A v3-style refusal of the handshake (`{"error":N,"message":…}` with an HTTP status).
pub fn refusal(code: u16, status: StatusCode, message: impl Into<Cow<'static, str>>) -> ApiError {
    let mut error = ApiError::new(code, message);
    error.status = status;
    error
}

/// Every socket is full: 503 with `Retry-After`, before any upgrade.
pub fn too_many_connections(gateway: &Gateway) -> ApiError {
    metrics::counter!("talat_api_shed_total", "reason" => "ws_connections").increment(1);
    let mut error = refusal(90, StatusCode::SERVICE_UNAVAILABLE, "too many WebSocket connections: retry later");
    error.retry_after_s = Some(gateway.config.busy_retry_after_s);
    error
}
