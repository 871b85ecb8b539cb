//! The one v3 crypto endpoint Bitkub removed from its docs (April 2025; reference §11.2) that
//! talat does not serve: `internal-withdraw`, a transfer to another Bitkub customer, refused
//! with a clear code. The others answer from custody in `crypto`; the deprecated v3 fiat
//! endpoints are `fiat`'s.

use super::secure::Signed;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::AppState;
use talat_gateway::limits::{Caller, Endpoint};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/crypto/internal-withdraw", post(internal_withdraw))
}

async fn internal_withdraw(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.withdraw {
        return Err(ApiError::permission_denied("withdraw"));
    }
    Err(ApiError::new(53, "internal transfers to another customer are not offered: withdraw to an address instead"))
}
