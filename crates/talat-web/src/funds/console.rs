//! The console's funds routes (page `funds`): withdrawals awaiting approval (maker-checker),
//! bank-account verification, payout batches and their files, statement import, exceptions
//! under four eyes, and the daily reconciliation. Every action is audited.

use super::view::{actor, bank_account_json, exception_json, report_json, staff_withdrawal_json};
use crate::auth::{allow, Action, Staff};
use crate::body;
use crate::error::{WebError, WebResult};
use crate::Web;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_gateway::funds::exceptions::ExceptionAction;
use talat_gateway::funds::ingest::StatementFormat;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/web/api/console/funds/withdrawals", get(withdrawals))
        .route("/web/api/console/funds/withdrawals/{id}/approve", post(approve))
        .route("/web/api/console/funds/withdrawals/{id}/reject", post(reject))
        .route("/web/api/console/funds/bank-accounts", get(bank_accounts))
        .route("/web/api/console/funds/bank-accounts/{id}/verify", post(verify_account))
        .route("/web/api/console/funds/bank-accounts/{id}/reject", post(reject_account))
        .route("/web/api/console/funds/payouts", get(payouts).post(create_payout))
        .route("/web/api/console/funds/payouts/{id}/csv", get(payout_csv))
        .route("/web/api/console/funds/statements", post(import_statement))
        .route("/web/api/console/funds/exceptions", get(exceptions))
        .route("/web/api/console/funds/exceptions/{id}/propose", post(propose))
        .route("/web/api/console/funds/exceptions/{id}/approve", post(approve_exception))
        .route("/web/api/console/funds/reconciliations", get(reconciliations).post(reconcile))
        .route("/web/api/console/funds/reconciliations/{date}/csv", get(reconciliation_csv))
}

fn open_only(q: &HashMap<String, String>) -> bool {
    q.get("status").map(String::as_str) != Some("all")
}

async fn withdrawals(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let statuses = if open_only(&q) { talat_gateway::funds::withdrawals::pending_statuses() } else { Vec::new() };
    let rows = web.store.fiat_withdrawals_in(&statuses).await?;
    let mut out = Vec::with_capacity(rows.len());
    for w in rows.iter().rev() {
        out.push(staff_withdrawal_json(&web, w).await?);
    }
    Ok(Json(json!({"withdrawals": out})))
}

async fn approve(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let mut roles = allow::FUNDS_APPROVE.to_vec();
    roles.extend_from_slice(allow::FUNDS_CHECK);
    let act = Action { web: &web, staff: &s, action: "funds.withdrawal.approve", target: format!("withdrawal:{id}") };
    act.run(&roles, &m, || async {
        let row = web.gateway.fiat()?.approve_withdrawal(&actor(&s), &id).await?;
        Ok(json!({"withdrawal": staff_withdrawal_json(&web, &row).await?}))
    })
    .await
}

async fn reject(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "funds.withdrawal.reject", target: format!("withdrawal:{id}") };
    act.run(allow::FUNDS_APPROVE, &m, || async {
        let reason = body::reason(&m)?;
        let row = web.gateway.fiat()?.reject_withdrawal(&actor(&s), &id, &reason).await?;
        Ok(json!({"withdrawal": staff_withdrawal_json(&web, &row).await?}))
    })
    .await
}

async fn bank_accounts(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let status = if open_only(&q) { Some("pending_verification") } else { None };
    let cooling = web.gateway.funds().config.limits.cooling_off_ms;
    let now = web.gateway.now_ms();
    let mut out = Vec::new();
    for a in web.store.bank_accounts_by_status(status).await? {
        let mut v = bank_account_json(&a, cooling, now);
        v["user_email"] = json!(web.store.web_account(a.account_id).await?.map(|w| w.email));
        v["account_no_full"] = json!(a.account_no);
        out.push(v);
    }
    Ok(Json(json!({"accounts": out})))
}

fn id_of(text: &str) -> WebResult<u64> {
    text.parse().map_err(|_| WebError::not_found(format!("no such id {text}")))
}

async fn decide_account(web: Arc<Web>, headers: HeaderMap, id: String, s: Staff, body: Bytes, verified: bool) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let action = if verified { "funds.bank_account.verify" } else { "funds.bank_account.reject" };
    let act = Action { web: &web, staff: &s, action, target: format!("bank_account:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let id = id_of(&id)?;
        let reason = if verified { None } else { Some(body::reason(&m)?) };
        if !web.store.decide_bank_account(id, verified, s.row.id, reason.as_deref(), web.gateway.now_ms()).await? {
            return Err(WebError::conflict("this bank account is not waiting for verification"));
        }
        let a = web.store.bank_account(id).await?.ok_or_else(|| WebError::not_found("no such bank account"))?;
        Ok(json!({"account": bank_account_json(&a, web.gateway.funds().config.limits.cooling_off_ms, web.gateway.now_ms())}))
    })
    .await
}

async fn verify_account(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    decide_account(web, headers, id, s, body, true).await
}

async fn reject_account(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    decide_account(web, headers, id, s, body, false).await
}

fn batch_json(b: &talat_store::PayoutBatchRow) -> Value {
    json!({"id": b.id, "created_ms": b.created_ms, "created_by": b.created_by_email, "count": b.line_count, "total": talat_funds::format_thb(b.total_satang), "status": "sent", "csv_url": format!("/web/api/console/funds/payouts/{}/csv", b.id)})
}

async fn payouts(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let rows = web.store.payout_batches().await?;
    Ok(Json(json!({"batches": rows.iter().map(batch_json).collect::<Vec<_>>()})))
}

async fn create_payout(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "funds.payout.create", target: "payouts".into() };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let batch =
            web.gateway.fiat()?.create_payout_batch(&actor(&s)).await?.ok_or_else(|| WebError::conflict("no withdrawal is approved and waiting for payout"))?;
        Ok(json!({"batch": batch_json(&batch)}))
    })
    .await
}

async fn payout_csv(State(web): State<Arc<Web>>, Path(id): Path<String>, s: Staff) -> WebResult<Response> {
    s.require(allow::FUNDS_READ)?;
    let batch = web.store.payout_batch(&id).await?.ok_or_else(|| WebError::not_found("no such payout batch"))?;
    let disposition = format!("attachment; filename=\"payout-{}.csv\"", batch.id);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], batch.content).into_response())
}

async fn import_statement(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object_up_to(&headers, &body, false, super::view::MAX_STATEMENT_BODY_BYTES)?;
    let format = body::str(&m, "format")?.to_string();
    // The audit keeps the format and size, not the statement itself.
    let detail = json!({"format": format, "bytes": body.len()}).to_string();
    let act = Action { web: &web, staff: &s, action: "funds.statement.import", target: "statements".into() };
    act.run_detail(allow::FUNDS_OPERATE, detail, || async {
        let format = StatementFormat::parse(&format).ok_or_else(|| WebError::invalid("format", "format is camt053 or csv"))?;
        let content = body::str(&m, "content")?;
        let summary = web.gateway.fiat()?.import_statement(format, content, &s.row.email).await?;
        Ok(json!({"import": summary}))
    })
    .await
}

async fn exceptions(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let now = web.gateway.now_ms();
    let mut out = Vec::new();
    for e in web.store.fiat_exceptions(open_only(&q)).await? {
        out.push(exception_json(&web, &e, now).await?);
    }
    Ok(Json(json!({"exceptions": out})))
}

async fn propose(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "funds.exception.propose", target: format!("exception:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let action = ExceptionAction::parse(body::str(&m, "action")?).ok_or_else(|| WebError::invalid("action", "action is credit, refund or return"))?;
        let email = body::opt_str(&m, "user_email")?;
        let reason = body::reason(&m)?;
        let row = web.gateway.fiat()?.propose_exception(&actor(&s), id_of(&id)?, action, email, &reason).await?;
        Ok(json!({"exception": exception_json(&web, &row, web.gateway.now_ms()).await?}))
    })
    .await
}

async fn approve_exception(State(web): State<Arc<Web>>, headers: HeaderMap, Path(id): Path<String>, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false).unwrap_or_default();
    let act = Action { web: &web, staff: &s, action: "funds.exception.approve", target: format!("exception:{id}") };
    act.run(allow::FUNDS_OPERATE, &m, || async {
        let row = web.gateway.fiat()?.approve_exception(&actor(&s), id_of(&id)?).await?;
        Ok(json!({"exception": exception_json(&web, &row, web.gateway.now_ms()).await?}))
    })
    .await
}

async fn reconciliations(State(web): State<Arc<Web>>, s: Staff) -> WebResult<Json<Value>> {
    s.require(allow::FUNDS_READ)?;
    let rows = web.store.reconciliations().await?;
    let reports: Vec<Value> =
        rows.iter().filter_map(|r| serde_json::from_str(&r.report).ok().map(|rep| report_json(&rep, r.created_ms, &r.created_by))).collect();
    Ok(Json(json!({"reports": reports})))
}

async fn reconcile(State(web): State<Arc<Web>>, headers: HeaderMap, s: Staff, body: Bytes) -> WebResult<Json<Value>> {
    let m = body::object(&headers, &body, false)?;
    let act = Action { web: &web, staff: &s, action: "funds.reconcile", target: "reconciliation".into() };
    let mut roles = allow::FUNDS_OPERATE.to_vec();
    roles.push(crate::auth::Role::Compliance);
    act.run(&roles, &m, || async {
        let date = body::str(&m, "date")?;
        let report = web.gateway.fiat()?.reconcile(date, &s.row.email).await?;
        Ok(json!({"report": report_json(&report, web.gateway.now_ms(), &s.row.email)}))
    })
    .await
}

async fn reconciliation_csv(State(web): State<Arc<Web>>, Path(date): Path<String>, s: Staff) -> WebResult<Response> {
    s.require(allow::FUNDS_READ)?;
    let row = web
        .store
        .reconciliations()
        .await?
        .into_iter()
        .find(|r| r.recon_date == date)
        .ok_or_else(|| WebError::not_found(format!("no reconciliation for {date}")))?;
    let report: talat_funds::recon::Report = serde_json::from_str(&row.report).map_err(WebError::internal)?;
    let disposition = format!("attachment; filename=\"reconciliation-{date}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], report.to_csv()).into_response())
}
