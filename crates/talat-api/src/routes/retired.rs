//! The v3 crypto endpoints Bitkub removed from its docs (April 2025; reference §11.2): SDKs
//! still call them, so they answer in the v3 shape, signed like every other call. talat has no
//! crypto custody over this API yet: lists are truthfully empty, and requests to move money out
//! are refused with a clear code. (The deprecated v3 fiat endpoints are `fiat`'s.)

use super::secure::Signed;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::AppState;
use talat_gateway::limits::{Caller, Endpoint};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/crypto/addresses", post(crypto_list))
        .route("/api/v3/crypto/deposit-history", post(crypto_list))
        .route("/api/v3/crypto/withdraw-history", post(crypto_list))
        .route("/api/v3/crypto/withdraw", post(crypto_withdraw))
        .route("/api/v3/crypto/internal-withdraw", post(crypto_withdraw))
        .route("/api/v3/crypto/generate-address", post(generate_address))
}

fn empty_page() -> Response {
    Json(json!({"error": 0, "result": [], "pagination": {"page": 1, "last": 1}})).into_response()
}

async fn crypto_list(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    Ok(empty_page())
}

async fn crypto_withdraw(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.withdraw {
        return Err(ApiError::permission_denied("withdraw"));
    }
    Err(ApiError::new(51, "crypto withdrawals are not available over this API"))
}

async fn generate_address(State(state): State<AppState>, signed: Signed) -> Result<Response, ApiError> {
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    if !signed.key.perms.deposit {
        return Err(ApiError::permission_denied("deposit"));
    }
    Err(ApiError::new(41, "crypto deposit addresses are not available over this API"))
}
