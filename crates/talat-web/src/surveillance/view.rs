//! What the surveillance routes share: alerts and cases as JSON (an alert's evidence read with
//! its market's units: prices in the quote asset per base unit, amounts in the base asset),
//! loading a case, who the accounts and staff are, and reading the routes' inputs. Nothing here
//! checks who asks; nothing here decides a case's move (that is `talat_surveillance::cases`).

use crate::error::{WebError, WebResult};
use crate::Web;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use talat_core::money::format_units;
use talat_core::{Side, UserId};
use talat_store::{AlertRow, CaseEventRow, CaseRow};
use talat_surveillance::alert::Evidence;
use talat_surveillance::DetectorKind;

/// Most alerts or cases one list answers with.
pub const MAX_LISTED: i64 = 200;
/// Longest case title, note, and question to a customer, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_QUESTION_CHARS: usize = 5_000;
/// Most alerts one case is opened from.
pub const MAX_CASE_ALERTS: usize = 50;

/// How a market's integers read: prices in `quote` per `base`, amounts in `base`, values in
/// `quote`. A market the gateway does not know (it cannot be delisted, but an alert is kept
/// forever) reads as raw integers.
#[derive(Clone, Debug)]
pub struct Units {
    pub base: String,
    pub quote: String,
    price_scale: u8,
    base_scale: u8,
    quote_scale: u8,
    divisor: u128,
}

impl Units {
    pub fn of(web: &Web, symbol: &str) -> Units {
        match web.gateway.market(symbol, false) {
            Ok(m) => Units {
                base: m.info.spec.base.clone(),
                quote: m.info.spec.quote.clone(),
                price_scale: m.info.spec.price_scale,
                base_scale: m.info.base_scale,
                quote_scale: m.info.quote_scale,
                divisor: m.divisor(),
            },
            Err(_) => Units { base: "units".into(), quote: "units".into(), price_scale: 0, base_scale: 0, quote_scale: 0, divisor: 1 },
        }
    }

    pub fn price(&self, p: u64) -> String {
        format_units(u128::from(p), self.price_scale)
    }

    pub fn qty(&self, q: u64) -> String {
        format_units(u128::from(q), self.base_scale)
    }

    /// price × quantity in the quote asset, rounded down (display; the engine's own rounding
    /// is per order).
    pub fn value(&self, price: u64, qty: u64) -> String {
        format_units(u128::from(price) * u128::from(qty) / self.divisor.max(1), self.quote_scale)
    }
}

pub fn side_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// The engine user ids an alert names.
pub fn alert_accounts(a: &AlertRow) -> Vec<u32> {
    serde_json::from_str(&a.accounts).unwrap_or_default()
}

/// The measured figures, in the detector's order.
pub fn alert_figures(a: &AlertRow) -> Vec<(String, String)> {
    serde_json::from_str(&a.figures).unwrap_or_default()
}

/// The evidence as the detector wrote it (`None` if it does not read: shown, never fatal).
pub fn alert_evidence(a: &AlertRow) -> Option<Evidence> {
    match serde_json::from_str(&a.evidence) {
        Ok(e) => Some(e),
        Err(error) => {
            tracing::warn!(alert = %a.id, %error, "surveillance: an alert's evidence does not read");
            None
        }
    }
}

pub fn detector_title(detector: &str) -> &'static str {
    DetectorKind::parse(detector).map_or("Unknown detector", DetectorKind::title)
}

/// The evidence with units: orders, trades, links and the window's chart bars.
pub fn evidence_json(e: &Evidence, u: &Units) -> Value {
    let opt = |x: u64, f: &dyn Fn(u64) -> String| if x == 0 { Value::Null } else { Value::String(f(x)) };
    json!({
        "units": {"price": format!("{} per {}", u.quote, u.base), "amount": u.base, "value": u.quote},
        "orders": e.orders.iter().map(|o| json!({
            "id": o.order.0.to_string(),
            "user_id": o.user.0,
            "side": side_name(o.side),
            "price": opt(o.price, &|p| u.price(p)),
            "amount": opt(o.qty, &|q| u.qty(q)),
            "placed_ms": o.placed_ts_ms,
            "outcome": o.outcome,
            "done_ms": o.done_ts_ms,
        })).collect::<Vec<_>>(),
        "trades": e.trades.iter().map(|t| json!({
            "seq": t.seq,
            "ts_ms": t.ts_ms,
            "price": u.price(t.price),
            "amount": u.qty(t.qty),
            "value": u.value(t.price, t.qty),
            "buyer": t.buyer.0,
            "seller": t.seller.0,
            "taker_side": side_name(t.taker_side),
        })).collect::<Vec<_>>(),
        "links": e.links.iter().map(|l| json!({"a": l.a.0, "b": l.b.0, "kind": l.kind.as_str()})).collect::<Vec<_>>(),
        "chart": e.chart.iter().map(|b| json!({
            "t_ms": b.start_ts_ms,
            "open": u.price(b.open),
            "high": u.price(b.high),
            "low": u.price(b.low),
            "close": u.price(b.close),
            "volume": u.qty(b.volume),
        })).collect::<Vec<_>>(),
    })
}

/// Who an engine user is, for staff: the web account's id and email, if it has one.
pub struct Accounts(HashMap<u32, Value>);

impl Accounts {
    pub async fn of(web: &Web, users: impl IntoIterator<Item = u32>) -> WebResult<Accounts> {
        let mut out = HashMap::new();
        for user in users {
            if out.contains_key(&user) {
                continue;
            }
            let account = web.store.web_account_of_user(UserId(user)).await?;
            out.insert(user, json!({"user_id": user, "account_id": account.as_ref().map(|a| a.id), "email": account.map(|a| a.email)}));
        }
        Ok(Accounts(out))
    }

    pub fn get(&self, user: u32) -> Value {
        self.0.get(&user).cloned().unwrap_or_else(|| json!({"user_id": user, "account_id": null, "email": null}))
    }
}

/// An alert as JSON; with its evidence (read with units) when `with_evidence`.
pub fn alert_json(web: &Web, a: &AlertRow, accounts: &Accounts, with_evidence: bool) -> Value {
    let mut v = json!({
        "id": a.id,
        "detector": a.detector,
        "title": detector_title(&a.detector),
        "symbol": a.symbol,
        "accounts": alert_accounts(a).into_iter().map(|u| accounts.get(u)).collect::<Vec<_>>(),
        "from_ms": a.from_ts_ms,
        "to_ms": a.to_ts_ms,
        "seq": a.seq,
        "summary": a.summary,
        "figures": alert_figures(a).into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
        "status": a.status,
        "case_id": a.case_id,
        "created_ms": a.created_ms,
    });
    if with_evidence {
        v["evidence"] = alert_evidence(a).map_or(Value::Null, |e| evidence_json(&e, &Units::of(web, &a.symbol)));
    }
    v
}

/// Staff emails by id, looked up once per request.
#[derive(Default)]
pub struct StaffNames(HashMap<u64, Option<String>>);

impl StaffNames {
    pub async fn email(&mut self, web: &Web, id: u64) -> WebResult<Option<String>> {
        if let Some(e) = self.0.get(&id) {
            return Ok(e.clone());
        }
        let email = web.store.staff(id).await?.map(|s| s.email);
        self.0.insert(id, email.clone());
        Ok(email)
    }
}

/// A case without its alerts and timeline (lists).
pub async fn case_json(web: &Web, c: &CaseRow, names: &mut StaffNames) -> WebResult<Value> {
    let assignee = match c.assignee_staff_id {
        Some(id) => json!({"id": id, "email": names.email(web, id).await?}),
        None => Value::Null,
    };
    let now = web.gateway.now_ms();
    Ok(json!({
        "id": c.id,
        "title": c.title,
        "status": c.status,
        "assignee": assignee,
        "disposition": c.disposition,
        "ticket_id": c.ticket_id,
        "explain_due_ms": c.explain_due_ms,
        "explain_overdue": c.status == "awaiting_customer" && c.explain_due_ms.is_some_and(|due| now > due),
        "created_by": {"id": c.created_by, "email": names.email(web, c.created_by).await?},
        "created_ms": c.created_ms,
        "updated_ms": c.updated_ms,
        "version": c.version,
        "str_csv_url": format!("/web/api/console/surveillance/cases/{}/str.csv", c.id),
        "str_pdf_url": format!("/web/api/console/surveillance/cases/{}/str.pdf", c.id),
    }))
}

pub async fn event_json(web: &Web, e: &CaseEventRow, names: &mut StaffNames) -> WebResult<Value> {
    let detail: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
    Ok(json!({
        "id": e.id,
        "ts_ms": e.ts_ms,
        "staff": {"id": e.staff_id, "email": names.email(web, e.staff_id).await?},
        "action": e.action,
        "note": e.note,
        "detail": detail,
    }))
}

/// The case `id` (its path text), or 404.
pub async fn load_case(web: &Web, id: &str) -> WebResult<CaseRow> {
    let n: u64 = id.parse().map_err(|_| WebError::not_found(format!("no case {id}")))?;
    web.store.surveillance_case(n).await?.ok_or_else(|| WebError::not_found(format!("no case {id}")))
}

/// Someone moved the case between our read and our write.
pub fn changed_meanwhile() -> WebError {
    WebError::conflict("the case changed meanwhile; reload it and try again")
}

/// An optional short text (trimmed; empty reads as none).
pub fn opt_text(m: &Map<String, Value>, field: &'static str, max_chars: usize) -> WebResult<Option<String>> {
    match crate::body::opt_str(m, field)? {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(_) => crate::support::input::text(m, field, max_chars).map(Some),
    }
}

/// An alert id as the detectors write them: 1 to 200 letters, digits and `-_.:`.
pub fn check_alert_id(id: &str) -> WebResult<()> {
    if id.is_empty() || id.len() > 200 || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) {
        return Err(WebError::invalid("alert_ids", format!("{id:?} is not an alert id")));
    }
    Ok(())
}

/// Every alert id given must look like one (checked before the store is asked).
pub fn alert_ids(m: &Map<String, Value>, max: usize) -> WebResult<Vec<String>> {
    let ids = crate::body::str_list(m, "alert_ids", max)?;
    if ids.is_empty() {
        return Err(WebError::invalid("alert_ids", "give at least one alert id"));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        check_alert_id(id)?;
        if !out.iter().any(|x| x == id) {
            out.push(id.to_string());
        }
    }
    Ok(out)
}
