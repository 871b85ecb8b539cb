//! `GET /api/v4/crypto/compensations` (reference §12.1): the caller's compensation credits, the
//! ones an approved outage incident ordered (talat-web's compensation console), each `pending`
//! until the engine applied it and `complete` after. talat never claws a credit back, so a
//! `DECOMPENSATE` filter lists nothing. Signed like every v4 endpoint; v4 envelope and errors.

use super::fiat::V4Error;
use super::json_response;
use super::secure::Signed;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use talat_core::calendar::{civil_from_days, DAY_MS};
use talat_core::money::format_units;
use talat_gateway::error::ApiError;
use talat_gateway::gateway::AppState;
use talat_gateway::limits::{Caller, Endpoint};

/// The most credits one answer reads (and `limit`'s bound, as the other v4 lists).
const MAX_CREDITS: i64 = 1_000;
const MAX_LIMIT: u64 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v4/crypto/compensations", get(compensations))
}

/// UTC with milliseconds, as Bitkub's v4 writes times: `2022-03-18T05:41:40.199Z`.
pub fn iso_utc_ms(ms: u64) -> String {
    let (year, month, day) = civil_from_days((ms / DAY_MS) as i64);
    let in_day = ms % DAY_MS;
    let s = in_day / 1_000;
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3_600, s / 60 % 60, s % 60, in_day % 1_000)
}

async fn compensations(State(state): State<AppState>, signed: Result<Signed, ApiError>) -> Result<Response, V4Error> {
    let signed = signed?;
    state.limit(Caller::User(signed.key.user.0), Endpoint::Crypto)?;
    let p = &signed.params;
    let kind = p.opt_str("type")?.map(|t| t.to_ascii_uppercase());
    let listed = match kind.as_deref() {
        None | Some("COMPENSATE") => true,
        Some("DECOMPENSATE") => false,
        Some(_) => return Err(ApiError::invalid_parameter("type is COMPENSATE or DECOMPENSATE").into()),
    };
    let status = p.opt_str("status")?.map(|s| s.to_ascii_lowercase());
    if status.as_deref().is_some_and(|s| s != "pending" && s != "complete") {
        return Err(ApiError::invalid_parameter("status is pending or complete").into());
    }
    let page = p.opt_u64("page")?.unwrap_or(1);
    let limit = p.opt_u64("limit")?.unwrap_or(MAX_LIMIT);
    if page == 0 || limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid_parameter("page starts at 1 and limit is 1 to 200").into());
    }
    let store = state.store_at_read_seq().await?;
    let rows = if listed { store.comp_credits_of_user(signed.key.user.0 as u64, MAX_CREDITS).await.map_err(ApiError::unavailable)? } else { Vec::new() };
    let assets = state.read.assets();
    let items: Vec<Value> = rows
        .iter()
        .filter(|c| match status.as_deref() {
            Some("complete") => c.completed_ms.is_some(),
            Some(_) => c.completed_ms.is_none(),
            None => true,
        })
        .map(|c| {
            let asset = assets.get(c.asset_id as usize);
            json!({
                "txn_id": c.reference,
                "symbol": asset.map_or("", |a| a.code.as_str()),
                "type": "COMPENSATE",
                "amount": format_units(c.amount as u128, asset.map_or(0, |a| a.scale)),
                "status": if c.completed_ms.is_some() { "complete" } else { "pending" },
                "created_at": iso_utc_ms(c.created_ms),
                "completed_at": c.completed_ms.map(iso_utc_ms),
                "user_id": c.user,
            })
        })
        .collect();
    let total = items.len() as u64;
    let page_items: Vec<Value> = items.into_iter().skip(((page - 1) * limit) as usize).take(limit as usize).collect();
    let data = json!({"page": page, "total_page": total.div_ceil(limit).max(1), "total_item": total, "items": page_items});
    Ok(json_response(&json!({"code": "0", "message": "success", "data": data})))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(super::iso_utc_ms(1_647_582_100_199), "2022-03-18T05:41:40.199Z");
        assert_eq!(super::iso_utc_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
