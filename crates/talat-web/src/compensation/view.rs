//! The JSON shapes of compensation (docs/web-api.md, "Compensation"): an incident with its
//! preview, a credit with its status, and the regulator's report as CSV. Amounts are shown as
//! decimals of the pay asset and kept as integer units beside them.

use super::evidence::Preview;
use crate::error::{WebError, WebResult};
use crate::Web;
use serde_json::{json, Value};
use talat_compensation::report::PaidCredit;
use talat_core::money::format_units;
use talat_store::{CompCreditRow, CompIncidentRow};

/// The scale of an asset by code (0 if unknown).
pub fn scale_of(web: &Web, code: &str) -> u8 {
    web.gateway.read.assets().iter().find(|a| a.code == code).map_or(0, |a| a.scale)
}

pub fn code_of(web: &Web, asset_id: u32) -> String {
    web.gateway.read.assets().get(asset_id as usize).map_or_else(|| format!("#{asset_id}"), |a| a.code.clone())
}

fn list(text: &str) -> Vec<&str> {
    text.split(',').filter(|s| !s.is_empty()).collect()
}

pub fn preview_of(row: &CompIncidentRow) -> WebResult<Preview> {
    serde_json::from_str(&row.preview).map_err(WebError::internal)
}

/// An incident; with `detail`, its preview (every customer with the evidence) too.
pub async fn incident_json(web: &Web, row: &CompIncidentRow, detail: bool) -> WebResult<Value> {
    let scale = scale_of(web, &row.pay_asset);
    let money = |units: u64| format_units(units as u128, scale);
    let mut v = json!({
        "id": row.id,
        "title": row.title,
        "t0_ms": row.t0_ms,
        "t1_ms": row.t1_ms,
        "markets": list(&row.markets),
        "kinds": list(&row.kinds),
        "networks": list(&row.networks),
        "support_incident_id": row.support_incident_id,
        "pay_asset": row.pay_asset,
        "policy": serde_json::from_str::<Value>(&row.policy).unwrap_or(Value::Null),
        "customers": row.customers,
        "total": money(row.total),
        "total_units": row.total,
        "status": row.status,
        "prepared_by": row.prepared_email,
        "created_ms": row.created_ms,
        "approved_by": row.approved_email,
        "approved_ms": row.approved_ms,
    });
    if detail {
        let preview = preview_of(row)?;
        let mut customers = Vec::with_capacity(preview.assessments.len());
        for a in &preview.assessments {
            let email = web.store.web_account_of_user(talat_core::UserId(a.user as u32)).await?.map(|w| w.email);
            customers.push(json!({
                "user_id": a.user,
                "email": email,
                "credits": a.credits.iter().map(|c| json!({"class": c.class.as_str(), "amount": money(c.amount), "amount_units": c.amount})).collect::<Vec<_>>(),
                "total": money(a.total),
                "total_units": a.total,
                "capped": a.capped,
                "review": a.review,
                "evidence": a.evidence,
            }));
        }
        v["preview"] = json!({"customers": customers, "references": preview.references, "truncated": preview.truncated, "dropped": preview.dropped});
        let credits = web.store.comp_credits_of_incident(row.id).await?;
        v["credits"] = credits.iter().map(|c| credit_json(web, c)).collect();
    }
    Ok(v)
}

pub fn status_of(c: &CompCreditRow) -> &'static str {
    if c.completed_ms.is_some() {
        "complete"
    } else {
        "pending"
    }
}

/// A credit as staff and its customer see it.
pub fn credit_json(web: &Web, c: &CompCreditRow) -> Value {
    let code = code_of(web, c.asset_id);
    json!({
        "reference": c.reference,
        "incident_id": c.incident_id,
        "user_id": c.user,
        "class": c.class,
        "asset": code,
        "amount": format_units(c.amount as u128, scale_of(web, &code)),
        "status": status_of(c),
        "created_ms": c.created_ms,
        "completed_ms": c.completed_ms,
    })
}

/// The regulator's report (exchange-domain.md §8: users, amounts, pending, time to pay): the
/// incident, one line per credit, and the totals per asset.
pub async fn report_csv(web: &Web, row: &CompIncidentRow) -> WebResult<Vec<u8>> {
    let credits = web.store.comp_credits_of_incident(row.id).await?;
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    let fail = |e: csv::Error| WebError::internal(e);
    w.write_record(["incident", &row.id.to_string(), &row.title]).map_err(fail)?;
    w.write_record(["window_ms", &row.t0_ms.to_string(), &row.t1_ms.to_string()]).map_err(fail)?;
    w.write_record(["markets", &row.markets]).map_err(fail)?;
    w.write_record(["networks", &row.networks]).map_err(fail)?;
    w.write_record(["policy", &row.policy]).map_err(fail)?;
    w.write_record(["prepared", &row.prepared_email, &row.created_ms.to_string()]).map_err(fail)?;
    w.write_record(["approved", row.approved_email.as_deref().unwrap_or(""), &row.approved_ms.map(|t| t.to_string()).unwrap_or_default()]).map_err(fail)?;
    w.write_record(["reference", "user_id", "class", "asset", "amount", "status", "approved_ms", "completed_ms", "time_to_pay_ms"]).map_err(fail)?;
    let approved = row.approved_ms.unwrap_or(0);
    let codes: Vec<String> = credits.iter().map(|c| code_of(web, c.asset_id)).collect();
    for (c, code) in credits.iter().zip(&codes) {
        let time_to_pay = talat_compensation::report::time_to_pay_ms(approved, c.completed_ms);
        w.write_record([
            c.reference.as_str(),
            &c.user.to_string(),
            &c.class,
            code,
            &format_units(c.amount as u128, scale_of(web, code)),
            status_of(c),
            &approved.to_string(),
            &c.completed_ms.map(|t| t.to_string()).unwrap_or_default(),
            &time_to_pay.map(|t| t.to_string()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let paid: Vec<PaidCredit<'_>> =
        credits.iter().zip(&codes).map(|(c, code)| PaidCredit { user: c.user, asset: code, amount: c.amount, completed_ms: c.completed_ms }).collect();
    w.write_record(["total", "asset", "customers", "amount", "pending_credits", "pending_amount", "longest_time_to_pay_ms"]).map_err(fail)?;
    for (code, t) in &talat_compensation::report::totals(approved, &paid) {
        let scale = scale_of(web, code);
        w.write_record([
            "total",
            code.as_str(),
            &t.customers.to_string(),
            &format_units(t.amount as u128, scale),
            &t.pending_credits.to_string(),
            &format_units(t.pending_amount as u128, scale),
            &t.longest_time_to_pay_ms.to_string(),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| WebError::internal(e.to_string()))
}
