//! What the custody routes share: the service (or a readable refusal when this exchange runs
//! no chain), the JSON shapes of deposits, withdrawals, whitelist entries and cases, and the
//! mapping of custody's refusals to the web API's errors.

use crate::error::{WebError, WebResult};
use crate::Web;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use talat_custody::chain::format_units;
use talat_custody::deposit::DepositStatus;
use talat_custody::withdrawals::WithdrawError;
use talat_custody::Custody;
use talat_funds::crypto::CryptoWithdrawalStatus;
use talat_store::{CustodyCaseRow, CustodyDepositRow, CustodyWithdrawalRow, WhitelistRow};

pub fn custody(web: &Web) -> WebResult<&Arc<Custody>> {
    web.custody.get().ok_or_else(|| WebError::not_found("crypto deposits and withdrawals are not offered on this exchange"))
}

pub fn decimals(c: &Custody, network: &str) -> u8 {
    c.network(network).map_or(8, |n| n.config.engine_decimals)
}

/// A refusal keeps its Bitkub code (the v3 number, as the THB routes' refusals do), so the app
/// can translate it; the message says what to do.
pub fn withdraw_error(e: WithdrawError) -> WebError {
    let code = e.v3();
    let (_, _, message) = e.v4();
    match e {
        WithdrawError::Unavailable(what) => WebError::internal(what),
        WithdrawError::NotFound(m) => WebError::not_found(m),
        WithdrawError::Conflict(m) => WebError::conflict(m),
        WithdrawError::Refused(_) | WithdrawError::Engine(_) => {
            WebError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "rejected", bitkub_code: Some(code), ..WebError::conflict(message) }
        }
    }
}

pub fn deposit_json(c: &Custody, d: &CustodyDepositRow) -> Value {
    let status = DepositStatus::parse(&d.status);
    json!({
        "network": d.network, "asset": d.asset, "txid": d.txid, "output_index": d.output_index,
        "address": d.address, "amount": format_units(d.amount_units, decimals(c, &d.network)),
        "status": d.status, "bitkub_status": status.map_or("pending", DepositStatus::bitkub_status),
        "confirmations": d.confirmations, "required_confirmations": d.required_confirmations,
        "block_height": d.block_height, "seen_ms": d.seen_ms, "credited_ms": d.credited_ms,
    })
}

pub fn withdrawal_json(c: &Custody, w: &CustodyWithdrawalRow) -> Value {
    let d = decimals(c, &w.network);
    let status = CryptoWithdrawalStatus::parse(&w.status);
    json!({
        "id": w.id, "user_id": w.user_id, "network": w.network, "asset": w.asset, "address": w.address,
        "amount": format_units(w.amount_units, d), "receives": format_units(w.amount_units - w.fee_units, d), "fee": format_units(w.fee_units, d),
        "status": w.status, "bitkub_status": status.map_or("pending", CryptoWithdrawalStatus::bitkub_status),
        "can_cancel": status.is_some_and(CryptoWithdrawalStatus::can_stop),
        "approvals_needed": w.approvals_needed, "txid": w.txid, "confirmations": w.confirmations,
        "network_fee": w.network_fee_units.map(|f| format_units(f, d)), "reason": w.reason, "source": w.source,
        "created_ms": w.created_ms, "updated_ms": w.updated_ms, "completed_ms": w.completed_ms,
    })
}

pub fn whitelist_json(w: &WhitelistRow, cooling_off_ms: u64, now_ms: u64) -> Value {
    let usable_from_ms = w.added_ms.saturating_add(cooling_off_ms);
    json!({"network": w.network, "address": w.address, "label": w.label, "added_ms": w.added_ms, "usable_from_ms": usable_from_ms, "usable": now_ms >= usable_from_ms})
}

pub fn case_json(c: &CustodyCaseRow) -> Value {
    json!({
        "id": c.id, "network": c.network, "kind": c.kind, "user_id": c.user_id, "asset": c.asset, "txid": c.txid,
        "output_index": c.output_index, "detail": c.detail, "opened_ms": c.opened_ms,
        "resolved_ms": c.resolved_ms, "resolved_by": c.resolved_by, "resolution": c.resolution,
    })
}
