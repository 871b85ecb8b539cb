//! What the funds routes share: deposits, withdrawals, bank accounts, exceptions and reports as
//! JSON (amounts as THB strings), the QR image, and who is asking in the funds service's terms.

use crate::auth::{allow, Staff};
use crate::error::WebResult;
use crate::Web;
use serde_json::{json, Value};
use talat_funds::banks::{bank, bank_name, mask};
use talat_funds::format_thb;
use talat_funds::lifecycle::WithdrawalStatus;
use talat_funds::recon::Report;
use talat_gateway::funds::{Customer, StaffActor};
use talat_store::{BankAccountRow, ExceptionRow, FiatDepositRow, FiatWithdrawalRow, WebAccountRow};

/// The largest statement accepted in one request (a camt.053 of a busy day).
pub const MAX_STATEMENT_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn customer(account: &WebAccountRow) -> Customer {
    Customer::of(account)
}

pub fn actor(s: &Staff) -> StaffActor {
    StaffActor {
        id: s.row.id,
        email: s.row.email.clone(),
        may_approve: allow::FUNDS_APPROVE.contains(&s.role),
        may_check: allow::FUNDS_CHECK.contains(&s.role),
    }
}

pub use crate::views::qr_svg;

pub async fn timeline(web: &Web, subject: &str) -> WebResult<Value> {
    let events = web.store.funds_events(subject).await?;
    Ok(Value::Array(events.iter().map(|e| json!({"status": e.status, "at_ms": e.at_ms, "note": e.note})).collect()))
}

pub async fn deposit_json(web: &Web, d: &FiatDepositRow) -> WebResult<Value> {
    Ok(json!({
        "id": d.id,
        "amount": format_thb(d.amount_satang),
        "status": d.status,
        "created_ms": d.created_ms,
        "expires_ms": d.expires_ms,
        "ref1": d.customer_code,
        "ref2": d.id,
        "qr_payload": d.qr_payload,
        "qr_svg": if d.status == "awaiting_payment" { qr_svg(&d.qr_payload) } else { String::new() },
        "timeline": timeline(web, &d.id).await?,
    }))
}

pub fn bank_account_json(a: &BankAccountRow, cooling_off_ms: u64, now_ms: u64) -> Value {
    let usable_from_ms = a.verified_ms.map(|v| v.saturating_add(cooling_off_ms));
    let status = match (a.status.as_str(), usable_from_ms) {
        ("verified", Some(from)) if now_ms < from => "cooling_off",
        ("verified", _) => "active",
        (other, _) => other,
    };
    json!({
        "id": a.id,
        "bank_code": a.bank_code,
        "bank": bank_name(&a.bank_code),
        "bank_th": bank(&a.bank_code).map_or("", |b| b.name_th),
        "account_no": mask(&a.account_no),
        "name": a.holder_name,
        "name_matches": a.name_matches,
        "status": status,
        "usable_from_ms": usable_from_ms,
        "created_ms": a.created_ms,
        "reason": a.reason,
    })
}

pub async fn withdrawal_json(web: &Web, w: &FiatWithdrawalRow) -> WebResult<Value> {
    let account = web.store.bank_account(w.bank_account_id).await?;
    let status = WithdrawalStatus::parse(&w.status);
    Ok(json!({
        "id": w.id,
        "amount": format_thb(w.amount_satang),
        "fee": format_thb(w.fee_satang),
        "receive": format_thb(w.amount_satang - w.fee_satang),
        "bank": account.as_ref().map_or("", |a| bank_name(&a.bank_code)),
        "account_no": account.as_ref().map(|a| mask(&a.account_no)),
        "status": w.status,
        "reason": w.reason,
        "created_ms": w.created_ms,
        "can_cancel": status.is_some_and(WithdrawalStatus::customer_can_cancel),
        "timeline": timeline(web, &w.id).await?,
    }))
}

/// A withdrawal as staff see it: who asked, the tier, who signed, the batch.
pub async fn staff_withdrawal_json(web: &Web, w: &FiatWithdrawalRow) -> WebResult<Value> {
    let mut v = withdrawal_json(web, w).await?;
    let email = web.store.web_account(w.account_id).await?.map(|a| a.email).unwrap_or_default();
    let tier = web.gateway.funds().config.approval.tier(w.amount_satang);
    let approvals = web.store.withdrawal_approvals(&w.id).await?;
    v["user_id"] = json!(w.user_id);
    v["user_email"] = json!(email);
    v["tier"] = json!({"approvers": tier.approvers, "checker": tier.checker});
    v["approvals"] = Value::Array(approvals.iter().map(|a| json!({"staff_email": a.staff_email, "kind": a.kind, "at_ms": a.at_ms})).collect());
    v["payout_batch"] = json!(w.batch_id);
    v["source"] = json!(w.source);
    Ok(v)
}

pub async fn exception_json(web: &Web, e: &ExceptionRow, now_ms: u64) -> WebResult<Value> {
    let line = web.store.bank_line(&e.reference).await?;
    let proposal_email = match e.proposal_account_id {
        Some(id) => web.store.web_account(id).await?.map(|a| a.email),
        None => None,
    };
    Ok(json!({
        "id": e.id,
        "class": e.class,
        "status": e.status,
        "created_ms": e.created_ms,
        "age_ms": now_ms.saturating_sub(e.created_ms),
        "intent_id": e.intent_id,
        "line": line.map(|l| json!({
            "reference": l.reference, "booked_on": l.booked_on, "amount": format_thb(l.amount_satang), "direction": l.direction,
            "counterparty_name": l.counterparty_name, "ref1": l.ref1, "ref2": l.ref2, "description": l.description, "source": l.source,
        })),
        "proposal": e.proposal_action.as_ref().map(|a| json!({"action": a, "user_email": proposal_email, "reason": e.proposal_reason, "by": e.proposed_by_email, "at_ms": e.proposed_ms})),
        "resolution": e.resolved_ms.map(|at| json!({"action": e.proposal_action, "by": e.resolved_by_email, "at_ms": at})),
    }))
}

/// Signed satang as a THB string.
pub fn thb_signed(v: i64) -> String {
    format!("{}{}", if v < 0 { "-" } else { "" }, format_thb(v.unsigned_abs()))
}

pub fn report_json(r: &Report, created_ms: u64, created_by: &str) -> Value {
    json!({
        "date": r.date,
        "ledger_thb": thb_signed(r.ledger_custody_satang),
        "customers_thb": thb_signed(r.ledger.customers_satang),
        "fee_revenue_thb": thb_signed(r.ledger.fee_revenue_satang),
        "compensation_thb": thb_signed(r.ledger.compensation_satang),
        "bank_thb": thb_signed(r.bank_satang),
        "in_transit_thb": thb_signed(r.in_transit_satang),
        "expected_bank_thb": thb_signed(r.expected_bank_satang),
        "difference_thb": thb_signed(r.difference_satang),
        "status": if r.balanced() { "balanced" } else { "difference" },
        "items": r.items.iter().map(|i| json!({"kind": i.kind, "reference": i.reference, "amount": thb_signed(i.kind.sign() * i.amount_satang), "note": i.note})).collect::<Vec<_>>(),
        "created_ms": created_ms,
        "created_by": created_by,
    })
}
