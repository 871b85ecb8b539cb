//! Records customers' refused and failed Bitkub API requests in the gateway's refusal log
//! (`talat_gateway::refusals`: which refusals count, and why a shed order's user is read from
//! its key header unverified); run inside the request layer, `ops::track`. It costs a
//! successful request one header lookup and one small allocation; a refused one, a key lookup
//! and, for a new order, reading its parameters from the already-buffered body. The web app
//! records its own order routes.

use crate::params::Params;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use talat_gateway::error::ErrorCode;
use talat_gateway::gateway::AppState;
use talat_gateway::refusals::{field, is_evidence, VerifiedUser};
use talat_store::RefusedRow;

/// What a route does, as the compensation evidence names it.
pub fn kind_of(path: &str) -> &'static str {
    if path.contains("place-") {
        "place"
    } else if path.contains("cancel") {
        "cancel"
    } else if path.contains("withdraw") {
        "withdraw"
    } else {
        "other"
    }
}

pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/web/") {
        return next.run(request).await;
    }
    let Some(api_key) = request.headers().get("x-btk-apikey").and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return next.run(request).await;
    };
    let endpoint = request.extensions().get::<MatchedPath>().map_or_else(|| path.to_owned(), |p| p.as_str().to_owned());
    let kind = kind_of(&endpoint);
    let verified = VerifiedUser::default();
    request.extensions_mut().insert(verified.clone());
    // A new order's parameters, kept (a cheap clone of the buffered body) in case it is refused.
    let order_input = if kind == "place" {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, state.config.max_body_bytes).await.unwrap_or_default();
        let query = parts.uri.query().map(str::to_owned);
        request = Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
        Some((query, bytes))
    } else {
        None
    };
    let response = next.run(request).await;
    let code = response.extensions().get::<ErrorCode>().map_or(0, |c| c.0);
    let status = response.status().as_u16();
    if !is_evidence(code, status) {
        return response;
    }
    let (user, is_verified) = match verified.0.get() {
        Some(user) => (*user, true),
        None => match state.keys.get(&api_key) {
            Some(key) => (key.user.0 as u64, false),
            None => return response,
        },
    };
    let mut row = RefusedRow {
        id: 0,
        user,
        verified: is_verified,
        ts_ms: state.now_ms(),
        kind: kind.into(),
        endpoint,
        http_status: status,
        code,
        symbol: None,
        side: None,
        amount: None,
        rate: None,
    };
    if let Some((query, bytes)) = order_input {
        if let Ok(p) = Params::parse(query.as_deref(), &bytes) {
            let text = |key: &str| p.opt_str(key).ok().flatten().map(|v| field(&v));
            row.symbol = text("sym").map(|s| s.to_ascii_uppercase());
            row.side = if row.endpoint.ends_with("place-bid") {
                Some("buy".into())
            } else if row.endpoint.ends_with("place-ask") {
                Some("sell".into())
            } else {
                text("sd").map(|s| s.to_ascii_lowercase())
            };
            row.amount = text("amt");
            row.rate = if text("typ").as_deref() == Some("market") { Some("0".into()) } else { text("rat") };
        }
    }
    state.refusals.record(row);
    response
}
