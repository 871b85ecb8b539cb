//! Operations endpoints — Prometheus `/metrics`, the OpenAPI description — and what wraps every
//! request: body buffering, the request layer (`track`: the per-endpoint latency histograms and
//! the refusal evidence) and a new order's admission (`Admitted`).

use axum::extract::ConnectInfo;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, RwLock};
use talat_gateway::error::ApiError;
use talat_gateway::gateway::{AppState, PlaceSlot};
use talat_sequencer::Lane;

/// The OpenAPI 3 description of every endpoint, talat's additions included.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// Prometheus text, for this machine's scraper (loopback) or a caller with the metrics token:
/// queue depths and error counts are an attacker's map of a surge.
pub async fn metrics(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: axum::http::HeaderMap) -> Response {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !metrics_allowed(peer.ip(), state.config.metrics_token.as_deref(), bearer) {
        return (axum::http::StatusCode::FORBIDDEN, "metrics are served to this machine, or with the metrics token").into_response();
    }
    let depths = state.sequencer.lane_depths();
    for lane in [Lane::Cancel, Lane::MoneyOut, Lane::Place] {
        metrics::gauge!("talat_lane_depth", "lane" => lane.name()).set(depths[lane.index()] as f64);
    }
    metrics::gauge!("talat_ws_connections").set(state.ws_connections.load(Ordering::Relaxed) as f64);
    metrics::gauge!("talat_inflight_places").set(state.inflight_places.load(Ordering::Relaxed) as f64);
    metrics::gauge!("talat_engine_applied_seq").set(state.read.applied_seq() as f64);
    let body = state.metrics.as_ref().map(|handle| handle.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Loopback, or the configured token presented.
fn metrics_allowed(peer: std::net::IpAddr, token: Option<&str>, bearer: Option<&str>) -> bool {
    let token_ok = match (token, bearer) {
        (Some(token), Some(given)) => bool::from(subtle::ConstantTimeEq::ct_eq(token.as_bytes(), given.as_bytes())),
        _ => false,
    };
    peer.is_loopback() || token_ok
}

/// Reads every request's body before routing, up to the body limit. Bitkub clients send `{}`
/// with GET requests; a handler that ignores a body leaves it unread, and hyper then closes
/// the keep-alive connection — which a client reusing the connection sees as a dropped request.
/// Reading it here keeps every connection reusable and lets the signed extractor take it whole.
pub async fn buffer_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let has_body =
        request.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0") || request.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let upload = state.config.upload_path_prefixes.iter().any(|p| path.starts_with(p.as_str()));
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    // Upload paths may carry files: a larger cap, taken only under a permit when the body may
    // exceed the usual cap (a chunked body may, so it needs one too). No permit → refused
    // unread, so memory stays bounded by the permits.
    let needs_permit = upload && declared.is_none_or(|n| n > state.config.max_body_bytes);
    let _permit = if needs_permit {
        match state.upload_permits.try_acquire() {
            Ok(p) => Some(p),
            Err(_) => return talat_gateway::error::ApiError::system_busy(state.config.busy_retry_after_s).into_response(),
        }
    } else {
        None
    };
    let max_bytes = if needs_permit { state.config.max_upload_bytes } else { state.config.max_body_bytes };
    let (parts, body) = request.into_parts();
    let timeout = std::time::Duration::from_millis(state.config.body_read_timeout_ms.max(1));
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max_bytes)).await {
        // The permit is held until the answer: the body lives as long as the handler.
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Ok(Err(_)) if parts.uri.path().starts_with("/web/api/") => too_large_for_web(max_bytes),
        Ok(Err(_)) => talat_gateway::error::ApiError::body_too_large(max_bytes).into_response(),
        // A body trickled in too slowly: 408, and the connection closes (its body is half read).
        Err(_) => {
            metrics::counter!("talat_api_body_timeouts_total").increment(1);
            let mut response =
                (axum::http::StatusCode::REQUEST_TIMEOUT, axum::Json(serde_json::json!({"error": 90, "message": "the request body was not sent in time"})))
                    .into_response();
            response.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
            response
        }
    }
}

/// The web API's own error shape for a body over the cap (its clients read `error` as a word).
fn too_large_for_web(max_bytes: usize) -> Response {
    let body = serde_json::json!({"error": "too_large", "message": format!("the request body is larger than {max_bytes} bytes")});
    (axum::http::StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response()
}

/// A new order's admission: the gateway's one shed check ([`talat_gateway::Gateway::admit`]).
/// The new-order handlers take it as their first extractor, so it runs before any work
/// (authentication, parsing) — a shed order is answered at once — and the slot is held until
/// the handler has answered. An extractor rather than a layer: a layer wraps the route once
/// more, which costs every request a boxed clone of the route and a boxed future.
pub struct Admitted(pub PlaceSlot);

impl FromRequestParts<AppState> for Admitted {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.admit().map(Admitted)
    }
}

/// Records each request's latency and status under its route (not its raw path: bounded labels),
/// around the refusal evidence ([`super::evidence::record`]): one layer for both, since each
/// layer costs every request a boxed clone of the route and a boxed future.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = route_metrics(request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()));
    let started = std::time::Instant::now();
    let response = super::evidence::record(State(state), request, next).await;
    route.latency_seconds.record(started.elapsed().as_secs_f64());
    route.requests(response.status().as_u16()).increment(1);
    response
}

/// One route's metric handles, registered once. The `histogram!`/`counter!` macros build,
/// hash and look up their labelled key on every call, which cost about 2 % of a request.
struct RouteMetrics {
    latency_seconds: metrics::Histogram,
    /// By HTTP status; a route answers with a handful of them.
    by_status: RwLock<Vec<(u16, metrics::Counter)>>,
    route: &'static str,
}

impl RouteMetrics {
    fn requests(&self, status: u16) -> metrics::Counter {
        if let Some((_, counter)) = self.by_status.read().unwrap_or_else(|e| e.into_inner()).iter().find(|(s, _)| *s == status) {
            return counter.clone();
        }
        let counter = metrics::counter!("talat_api_requests_total", "route" => self.route, "status" => status.to_string());
        let mut by_status = self.by_status.write().unwrap_or_else(|e| e.into_inner());
        // Bounded by the distinct status codes (at most 500 in HTTP).
        if !by_status.iter().any(|(s, _)| *s == status) {
            by_status.push((status, counter.clone()));
        }
        counter
    }
}

/// The handles of `route`. Routes are the router's matched paths (a fixed set), so the map and
/// its leaked names are bounded by the routes the server has.
fn route_metrics(route: &str) -> Arc<RouteMetrics> {
    static ROUTES: LazyLock<RwLock<HashMap<&'static str, Arc<RouteMetrics>>>> = LazyLock::new(Default::default);
    if let Some(found) = ROUTES.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return found.clone();
    }
    let mut routes = ROUTES.write().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = routes.get(route) {
        return found.clone();
    }
    let route: &'static str = Box::leak(route.to_owned().into_boxed_str());
    let handles = Arc::new(RouteMetrics {
        latency_seconds: metrics::histogram!("talat_api_request_seconds", "route" => route),
        by_status: RwLock::new(Vec::new()),
        route,
    });
    routes.insert(route, handles.clone());
    handles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_for_this_machine_or_the_token() {
        let (lo, far) = ("127.0.0.1".parse().unwrap(), "203.0.113.9".parse().unwrap());
        assert!(metrics_allowed(lo, None, None));
        assert!(!metrics_allowed(far, None, None));
        assert!(!metrics_allowed(far, None, Some("x")), "no token set: nobody from outside");
        assert!(!metrics_allowed(far, Some("s3cret"), Some("s3cre")));
        assert!(!metrics_allowed(far, Some("s3cret"), None));
        assert!(metrics_allowed(far, Some("s3cret"), Some("s3cret")));
    }
}
