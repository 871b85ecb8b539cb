//! The console's crypto routes (page `custody`): withdrawals awaiting approval (four eyes, by
//! the THB value's tier), rejections that release the hold, fee bumps of a stuck Ethereum
//! withdrawal (proposed by one staff member, approved by another), the release of a mined but
//! reverted one's hold (the same four eyes), reorg cases and their resolution
//! (which lifts the freeze), each network's wallet (hot balance, pending outgoing, the
//! watcher's height against the node's) and rescans. Every action is audited.

use super::view::{case_json, custody, withdraw_error, withdrawal_json};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_custody::chain::format_units;
use talat_funds::crypto::CryptoWithdrawalStatus as S;

/// Most blocks one rescan request re-reads.
const MAX_RESCAN_BLOCKS: u64 = 10_000;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/custody/withdrawals", get(withdrawals))
        .route("/web/api/console/custody/withdrawals/{id}/approve", post(approve))
        .route("/web/api/console/custody/withdrawals/{id}/reject", post(reject))
        .route("/web/api/console/custody/withdrawals/{id}/fee-bump", post(propose_fee_bump))
        .route("/web/api/console/custody/fee-bumps/{id}/approve", post(approve_fee_bump))
        .route("/web/api/console/custody/withdrawals/{id}/release-reverted", post(propose_release))
        .route("/web/api/console/custody/withdrawals/{id}/release-reverted/approve", post(approve_release))
        .route("/web/api/console/custody/cases", get(cases))
        .route("/web/api/console/custody/cases/{id}/resolve", post(resolve_case))
        .route("/web/api/console/custody/wallets", get(wallets))
        .route("/web/api/console/custody/rescan", post(rescan))
        .route("/web/api/console/custody/faucet", post(faucet))
        .route("/web/api/console/custody/sweeps", get(sweeps).post(propose_sweep))
        .route("/web/api/console/custody/sweeps/{id}/approve", post(approve_sweep))
        .route("/web/api/console/custody/transfers/to-cold", post(propose_to_cold))
        .route("/web/api/console/custody/transfers/top-up", post(propose_top_up))
        .route("/web/api/console/custody/sweeps/{id}/broadcast", post(broadcast_sweep))
}

async fn withdrawals(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let c = custody(&web)?;
    let all = q.get("status").map(String::as_str) == Some("all");
    let statuses: Vec<&str> = S::ALL.into_iter().filter(|x| all || x.is_pending()).map(S::as_str).collect();
    let mut out = Vec::new();
    for n in &c.networks {
        for w in c.store.custody_withdrawals_in(&n.config.network, &statuses).await? {
            let mut v = withdrawal_json(c, &w);
            v["user_email"] = json!(c.store.web_account_of_user(talat_core::UserId(w.user_id as u32)).await?.map(|a| a.email));
            v["approvals"] =
                json!(c.store.custody_approvals(&w.id).await?.into_iter().map(|(id, email)| json!({"staff_id": id, "email": email})).collect::<Vec<_>>());
            if n.config.is_evm() {
                v["fee_bumps"] = json!(c.store.evm_bumps_of(&w.id).await?.iter().map(bump_json).collect::<Vec<_>>());
                v["reverted_release"] = c.store.reverted_release(&w.id).await?.as_ref().map_or(Value::Null, release_json);
            }
            out.push(v);
        }
    }
    Ok(Json(json!({"withdrawals": out})))
}

async fn approve(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "custody.withdrawal.approve", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let c = custody(&web)?;
        let row = c.approve_withdrawal(&id, s.row.id, &s.row.email).await.map_err(withdraw_error)?;
        Ok(json!({"withdrawal": withdrawal_json(c, &row)}))
    })
    .await
}

async fn reject(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "custody.withdrawal.reject", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let reason = body::reason(&m)?;
        let c = custody(&web)?;
        let row = c.stop_withdrawal(&id, S::Rejected, &reason).await.map_err(withdraw_error)?;
        Ok(json!({"withdrawal": withdrawal_json(c, &row)}))
    })
    .await
}

fn bump_json(b: &talat_store::EvmBumpRow) -> Value {
    json!({
        "id": b.id, "withdrawal_id": b.withdrawal_id, "status": b.status,
        "max_fee_per_gas_wei": b.max_fee_per_gas_wei.to_string(), "priority_fee_per_gas_wei": b.priority_fee_per_gas_wei.to_string(),
        "proposed_by": b.proposed_by, "proposed_ms": b.proposed_ms, "approved_by": b.approved_by, "approved_ms": b.approved_ms, "txid": b.txid,
    })
}

/// Proposes replacing a stuck Ethereum-family withdrawal's transaction with a higher fee (the
/// same nonce); nothing is signed until another staff member approves.
async fn propose_fee_bump(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "custody.withdrawal.fee_bump", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let c = custody(&web)?;
        let bump = c.propose_fee_bump(&id, s.row.id).await.map_err(withdraw_error)?;
        Ok(json!({"fee_bump": bump_json(&bump)}))
    })
    .await
}

/// A second staff member approves a fee bump: the replacement is signed, recorded, then sent.
async fn approve_fee_bump(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "custody.fee_bump.approve", target: format!("fee_bump:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let bump_id: u64 = id.parse().map_err(|_| WebError::not_found(format!("no such fee bump {id}")))?;
        let c = custody(&web)?;
        let row = c.approve_fee_bump(bump_id, s.row.id).await.map_err(withdraw_error)?;
        Ok(json!({"withdrawal": withdrawal_json(c, &row)}))
    })
    .await
}

fn release_json(r: &talat_store::RevertedReleaseRow) -> Value {
    json!({
        "withdrawal_id": r.withdrawal_id, "txid": r.txid, "reason": r.reason, "proposed_by": r.proposed_by, "proposed_ms": r.proposed_ms,
        "approved_by": r.approved_by, "approved_ms": r.approved_ms,
    })
}

/// Proposes releasing the hold of an Ethereum-family withdrawal whose transaction was mined
/// but reverted (checked on chain); nothing moves until another staff member approves.
async fn propose_release(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "custody.withdrawal.release_reverted", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let reason = body::reason(&m)?;
        let c = custody(&web)?;
        let release = c.propose_reverted_release(&id, s.row.id, &reason).await.map_err(withdraw_error)?;
        Ok(json!({"reverted_release": release_json(&release)}))
    })
    .await
}

/// A second staff member approves: checked on chain again, the withdrawal is rejected and the
/// engine returns the hold to the customer.
async fn approve_release(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "custody.withdrawal.release_reverted.approve", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let c = custody(&web)?;
        let row = c.approve_reverted_release(&id, s.row.id).await.map_err(withdraw_error)?;
        Ok(json!({"withdrawal": withdrawal_json(c, &row)}))
    })
    .await
}

async fn cases(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let c = custody(&web)?;
    let open_only = q.get("status").map(String::as_str) != Some("all");
    let rows = c.store.custody_cases(open_only).await?;
    Ok(Json(json!({"cases": rows.iter().map(case_json).collect::<Vec<_>>()})))
}

async fn resolve_case(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "custody.case.resolve", target: format!("custody_case:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let id: u64 = id.parse().map_err(|_| WebError::not_found(format!("no such case {id}")))?;
        let resolution = body::reason(&m)?;
        let c = custody(&web)?;
        if !c.store.resolve_custody_case(id, s.row.id, &resolution, web.gateway.now_ms()).await? {
            return Err(WebError::conflict("this case is not open"));
        }
        Ok(json!({"resolved": id}))
    })
    .await
}

/// Each network: the hot wallet's address and confirmed balance against its watermarks (`low`:
/// top it up from cold; `high`: move the excess to cold), what signed withdrawals are still
/// taking out of it, the watcher's height against the node's tip.
async fn wallets(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let c = custody(&web)?;
    let mut out = Vec::new();
    for n in &c.networks {
        let k = &n.config;
        let (hot, read) = c.hot_wallet(n).await.map_err(withdraw_error)?;
        let (balance, tip, error) = match read {
            Ok((units, tip)) => (Some(units), Some(tip), None),
            Err(e) => (None, None, Some(e)),
        };
        let outgoing: u64 =
            c.store.custody_withdrawals_in(&k.network, &[S::Signed.as_str(), S::Broadcast.as_str()]).await?.iter().map(|w| w.amount_units - w.fee_units).sum();
        let cursor = c.store.custody_cursor(&k.network).await?.map(|(h, _)| h);
        let cold = if k.cold_xpub.is_empty() { None } else { c.cold_balance(&k.network).await.ok().flatten() };
        out.push(json!({
            "network": k.network, "asset": k.asset, "hot_address": hot,
            "hot_balance": balance.map(|b| format_units(b, k.engine_decimals)), "outgoing": format_units(outgoing, k.engine_decimals),
            "watermark": balance.map(|b| k.hot_watermark(b)),
            "hot_low": format_units(k.hot_low_units, k.engine_decimals), "hot_high": format_units(k.hot_high_units, k.engine_decimals),
            "node_height": tip, "scanned_height": cursor, "error": error,
            "cold_configured": !k.cold_xpub.is_empty(), "cold_balance": cold.map(|b| format_units(b.units, k.engine_decimals)),
        }));
    }
    Ok(Json(json!({"wallets": out})))
}

/// Re-reads a range of blocks and records deposits the watcher does not have; its next pass
/// credits them, once (`talat custody rescan` calls this).
async fn rescan(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let network = body::str(&m, "network")?.to_string();
    let act = Action { web: &web, staff: &s, action: "custody.rescan", target: format!("network:{network}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let from = m.get("from").and_then(Value::as_u64).ok_or_else(|| WebError::invalid("from", "the first height to re-read"))?;
        let to = m.get("to").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let c = custody(&web)?;
        let network = c.network(&network).map_err(|e| WebError::invalid("network", e.to_string()))?.config.network.clone();
        let cursor = c.store.custody_cursor(&network).await?.map_or(0, |(h, _)| h);
        let to = to.min(cursor);
        if from > to {
            return Err(WebError::invalid("from", format!("the watcher has scanned up to height {cursor}")));
        }
        if to - from >= MAX_RESCAN_BLOCKS {
            return Err(WebError::invalid("from", format!("at most {MAX_RESCAN_BLOCKS} blocks per rescan")));
        }
        let missing = c.rescan(&network, from, to).await.map_err(|e| WebError::internal(e.to_string()))?;
        Ok(json!({"network": network, "from": from, "to": to, "missing": missing}))
    })
    .await
}

/// Most a faucet payment sends, in whole coins.
const FAUCET_MAX_COINS: u64 = 10;

/// The demo chains' faucet: pays test coins (LTC from the regtest node's wallet, ETH from an
/// anvil development account) to a customer's deposit address on `network` (LTC when not
/// named; derived if they have none yet), so a newcomer sees a deposit confirm and credit. Only
/// on the demo's own nodes.
async fn faucet(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let email = body::str(&m, "user_email")?.trim().to_string();
    let act = Action { web: &web, staff: &s, action: "custody.faucet", target: format!("customer:{email}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let c = custody(&web)?;
        let network = match m.get("network") {
            None => "LTC".to_string(),
            Some(_) => body::str(&m, "network")?.trim().to_ascii_uppercase(),
        };
        let n = c.network(&network).map_err(|_| WebError::invalid("network", format!("no network {network} on this exchange")))?;
        let decimals = n.config.engine_decimals;
        let amount = body::str(&m, "amount")?.trim().to_string();
        let max_units = FAUCET_MAX_COINS * 10u64.pow(u32::from(decimals));
        let units = match talat_custody::chain::parse_units(&amount, decimals) {
            Some(units) if units > 0 && units <= max_units => units,
            _ => {
                return Err(WebError::invalid(
                    "amount",
                    format!("an amount of {network} above 0 and at most {FAUCET_MAX_COINS}, with at most {decimals} decimals"),
                ))
            }
        };
        let account = web.store.web_account_by_email(&email).await?.ok_or_else(|| WebError::invalid("user_email", "no customer has this email"))?;
        let address = c.address_for(u64::from(account.user.0), &network).await.map_err(|e| WebError::internal(e.to_string()))?;
        let txid = if n.config.is_evm() {
            let node = c.demo_evm.get().filter(|_| n.config.token().is_none());
            let node = node.ok_or_else(|| WebError::not_found(format!("the faucet pays {network} only on the demo's own chain")))?;
            let wei = talat_custody::evm::units::units_to_raw(units, n.config.decimals, decimals)
                .ok_or_else(|| WebError::internal("the amount does not convert to wei"))?;
            node.send_eth(1, &address.address, wei).await.map_err(WebError::internal)?
        } else {
            let node = c.demo_node.get().ok_or_else(|| WebError::not_found(format!("the faucet pays {network} only on the demo's own chain")))?;
            node.send(&address.address, &amount).await.map_err(WebError::internal)?
        };
        Ok(json!({"network": network, "address": address.address, "amount": amount, "txid": txid}))
    })
    .await
}

fn sweep_json(c: &talat_custody::Custody, s: &talat_store::CustodySweepRow) -> Value {
    let d = super::view::decimals(c, &s.network);
    json!({
        "id": s.id, "network": s.network, "inputs": s.inputs.split(',').filter(|x| !x.is_empty()).count(),
        // A gas top-up sends ETH (wei) from the hot wallet to a deposit address.
        "send": if s.kind == "gas" { format_units(s.send_units, 18) } else { format_units(s.send_units, d) }, "fee": format_units(s.fee_units, d), "destination": s.destination, "status": s.status,
        "proposed_by": s.proposed_by, "proposed_ms": s.proposed_ms, "approved_by": s.approved_by, "approved_ms": s.approved_ms, "broadcast_ms": s.broadcast_ms,
        "unsigned_txid": s.unsigned_txid,
        // Released for the offline signer only once a second staff member approved.
        "psbt": (s.status != "proposed" && !s.psbt.is_empty()).then(|| s.psbt.clone()),
        "kind": s.kind,
        // An Ethereum sweep's or top-up's sender: the key the offline signer signs with.
        "from": s.inputs.starts_with("0x").then(|| s.inputs.clone()),
    })
}

fn sweep_id(text: &str) -> WebResult<u64> {
    text.parse().map_err(|_| WebError::not_found(format!("no such sweep {text}")))
}

async fn sweeps(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let c = custody(&web)?;
    let rows = c.store.custody_sweeps(100).await?;
    Ok(Json(json!({"sweeps": rows.iter().map(|r| sweep_json(c, r)).collect::<Vec<_>>()})))
}

/// Gathers credited deposit outputs into a PSBT for the offline holder of the deposit key (on
/// Ethereum: one unsigned transaction per deposit address, and the gas top-ups they need).
async fn propose_sweep(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let network = body::str(&m, "network")?.to_string();
    let act = Action { web: &web, staff: &s, action: "custody.sweep.propose", target: format!("network:{network}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let c = custody(&web)?;
        let rows = c.propose_sweeps(&network, s.row.id).await.map_err(withdraw_error)?;
        Ok(json!({"sweep": sweep_json(c, &rows[0]), "sweeps": rows.iter().map(|r| sweep_json(c, r)).collect::<Vec<_>>()}))
    })
    .await
}

/// An amount of the network's asset in the body (`amount`, a decimal), if given.
fn amount_in(c: &talat_custody::Custody, m: &serde_json::Map<String, Value>, network: &str) -> WebResult<Option<u64>> {
    let Some(text) = m.get("amount").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let d = super::view::decimals(c, network);
    match talat_custody::chain::parse_units(text, d) {
        Some(units) if units > 0 => Ok(Some(units)),
        _ => Err(WebError::invalid("amount", format!("an amount above 0 with at most {d} decimals"))),
    }
}

/// Proposes moving the hot wallet's excess (or `amount`) to the cold wallet; a second staff
/// member's approval signs and sends it.
async fn propose_to_cold(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let network = body::str(&m, "network")?.to_string();
    let act = Action { web: &web, staff: &s, action: "custody.transfer.to_cold", target: format!("network:{network}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let c = custody(&web)?;
        let amount = amount_in(c, &m, &network)?;
        let row = c.propose_to_cold(&network, s.row.id, amount).await.map_err(withdraw_error)?;
        Ok(json!({"sweep": sweep_json(c, &row)}))
    })
    .await
}

/// Prepares a cold → hot top-up of `amount` as a PSBT for the offline cold key.
async fn propose_top_up(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let network = body::str(&m, "network")?.to_string();
    let act = Action { web: &web, staff: &s, action: "custody.transfer.top_up", target: format!("network:{network}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let c = custody(&web)?;
        let amount = amount_in(c, &m, &network)?.ok_or_else(|| WebError::invalid("amount", "name the amount to bring from cold"))?;
        let row = c.propose_top_up(&network, s.row.id, amount).await.map_err(withdraw_error)?;
        Ok(json!({"sweep": sweep_json(c, &row)}))
    })
    .await
}

/// The four eyes: a staff member other than the proposer approves — a sweep's or top-up's PSBT
/// is released to the offline signer; a transfer to cold is signed and sent.
async fn approve_sweep(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "custody.sweep.approve", target: format!("sweep:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let id = sweep_id(&id)?;
        let c = custody(&web)?;
        let row = c.approve_transfer(id, s.row.id).await.map_err(withdraw_error)?;
        Ok(json!({"sweep": sweep_json(c, &row)}))
    })
    .await
}

/// The offline signer's transaction (hex), sent only if it is the approved PSBT's own.
async fn broadcast_sweep(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "custody.sweep.broadcast", target: format!("sweep:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let id = sweep_id(&id)?;
        let signed = body::str(&m, "transaction_hex")?;
        let c = custody(&web)?;
        let row = c.broadcast_sweep(id, signed).await.map_err(withdraw_error)?;
        Ok(json!({"sweep": sweep_json(c, &row)}))
    })
    .await
}
