//! The suspicious-transaction report (STR) for the Anti-Money Laundering Office, gathered once
//! for a case and rendered by `str_csv` and `str_pdf`: the case and its disposition, the
//! accounts (with their KYC names when identity verification approved them), each alert's
//! summary and figures, the orders and trades of the evidence in their market's units, and the
//! case's timeline. A plain value: the renderers do no I/O and read no clock.

use super::view::{alert_accounts, alert_evidence, alert_figures, detector_title, side_name, Units};
use crate::error::WebResult;
use crate::Web;
use std::collections::BTreeSet;
use talat_core::UserId;
use talat_store::{AlertRow, CaseRow};

pub struct StrReport {
    /// Who files it (the site's name) and when and by whom this copy was made.
    pub reporting_entity: String,
    pub generated_ms: u64,
    pub generated_by: String,
    pub case: CaseRow,
    pub assignee: Option<String>,
    pub opened_by: Option<String>,
    pub accounts: Vec<StrAccount>,
    pub alerts: Vec<StrAlert>,
    pub orders: Vec<StrOrder>,
    pub trades: Vec<StrTrade>,
    pub timeline: Vec<StrEvent>,
}

pub struct StrAccount {
    pub user_id: u32,
    pub account_id: Option<u64>,
    pub email: Option<String>,
    /// From approved identity verification: Latin script, then Thai.
    pub name_latin: Option<String>,
    pub name_thai: Option<String>,
    pub kyc_level: Option<u8>,
    pub locked: Option<bool>,
}

pub struct StrAlert {
    pub id: String,
    pub detector: String,
    pub title: String,
    pub symbol: String,
    pub from_ms: u64,
    pub to_ms: u64,
    pub summary: String,
    pub figures: Vec<(String, String)>,
    pub accounts: Vec<u32>,
}

pub struct StrOrder {
    pub alert_id: String,
    pub symbol: String,
    pub order_id: String,
    pub user_id: u32,
    pub side: &'static str,
    /// Empty for a market order (no limit) or a market buy's amount (it named its budget).
    pub price: String,
    pub amount: String,
    pub price_unit: String,
    pub amount_unit: String,
    pub placed_ms: u64,
    pub outcome: String,
    pub done_ms: Option<u64>,
}

pub struct StrTrade {
    pub alert_id: String,
    pub symbol: String,
    pub seq: u64,
    pub ts_ms: u64,
    pub price: String,
    pub amount: String,
    pub value: String,
    pub price_unit: String,
    pub amount_unit: String,
    pub value_unit: String,
    pub buyer: u32,
    pub seller: u32,
    pub taker_side: &'static str,
}

pub struct StrEvent {
    pub ts_ms: u64,
    pub staff: String,
    pub action: String,
    pub note: String,
}

/// The customer's names from approved identity verification (Latin, Thai).
async fn kyc_names(web: &Web, account_id: u64) -> WebResult<(Option<String>, Option<String>)> {
    let mut latin = None;
    let mut thai = None;
    for app in web.store.kyc_applications_of_account(account_id).await?.iter().filter(|a| a.status == "approved") {
        let Ok(data) = serde_json::from_str::<serde_json::Value>(&app.data) else { continue };
        let name = |first: &str, last: &str| match (data[first].as_str(), data[last].as_str()) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        };
        latin = name("first_name_en", "last_name_en").or(latin);
        thai = name("first_name_th", "last_name_th").or(thai);
    }
    Ok((latin, thai))
}

async fn staff_email(web: &Web, id: u64) -> WebResult<String> {
    Ok(web.store.staff(id).await?.map_or_else(|| format!("staff {id}"), |s| s.email))
}

/// An alert's orders as report rows, in the market's units.
fn order_rows(a: &AlertRow, u: &Units, orders: &[talat_surveillance::alert::OrderEvidence]) -> Vec<StrOrder> {
    orders
        .iter()
        .map(|o| StrOrder {
            alert_id: a.id.clone(),
            symbol: a.symbol.clone(),
            order_id: o.order.0.to_string(),
            user_id: o.user.0,
            side: side_name(o.side),
            price: if o.price == 0 { String::new() } else { u.price(o.price) },
            amount: if o.qty == 0 { String::new() } else { u.qty(o.qty) },
            price_unit: format!("{}/{}", u.quote, u.base),
            amount_unit: u.base.clone(),
            placed_ms: o.placed_ts_ms,
            outcome: o.outcome.clone().unwrap_or_default(),
            done_ms: o.done_ts_ms,
        })
        .collect()
}

/// An alert's trades as report rows, in the market's units.
fn trade_rows(a: &AlertRow, u: &Units, trades: &[talat_surveillance::alert::TradeEvidence]) -> Vec<StrTrade> {
    trades
        .iter()
        .map(|t| StrTrade {
            alert_id: a.id.clone(),
            symbol: a.symbol.clone(),
            seq: t.seq,
            ts_ms: t.ts_ms,
            price: u.price(t.price),
            amount: u.qty(t.qty),
            value: u.value(t.price, t.qty),
            price_unit: format!("{}/{}", u.quote, u.base),
            amount_unit: u.base.clone(),
            value_unit: u.quote.clone(),
            buyer: t.buyer.0,
            seller: t.seller.0,
            taker_side: side_name(t.taker_side),
        })
        .collect()
}

/// The accounts the report names, each with what KYC verified.
async fn account_rows(web: &Web, users: BTreeSet<u32>) -> WebResult<Vec<StrAccount>> {
    let mut accounts = Vec::with_capacity(users.len());
    for user in users {
        let account = web.store.web_account_of_user(UserId(user)).await?;
        let (name_latin, name_thai) = match &account {
            Some(a) => kyc_names(web, a.id).await?,
            None => (None, None),
        };
        accounts.push(StrAccount {
            user_id: user,
            account_id: account.as_ref().map(|a| a.id),
            email: account.as_ref().map(|a| a.email.clone()),
            name_latin,
            name_thai,
            kyc_level: account.as_ref().map(|a| a.kyc_level),
            locked: account.as_ref().map(|a| a.locked),
        });
    }
    Ok(accounts)
}

/// Gathers the report of `case` as of `now_ms`, made by `generated_by`.
pub async fn gather(web: &Web, case: CaseRow, generated_by: &str, now_ms: u64) -> WebResult<StrReport> {
    let rows = web.store.surveillance_case_alerts(case.id).await?;
    let mut users = BTreeSet::new();
    let (mut alerts, mut orders, mut trades) = (Vec::new(), Vec::new(), Vec::new());
    for a in &rows {
        let accounts = alert_accounts(a);
        users.extend(accounts.iter().copied());
        if let Some(e) = alert_evidence(a) {
            let u = Units::of(web, &a.symbol);
            users.extend(e.orders.iter().map(|o| o.user.0));
            users.extend(e.trades.iter().flat_map(|t| [t.buyer.0, t.seller.0]));
            orders.extend(order_rows(a, &u, &e.orders));
            trades.extend(trade_rows(a, &u, &e.trades));
        }
        alerts.push(StrAlert {
            id: a.id.clone(),
            detector: a.detector.clone(),
            title: detector_title(&a.detector).to_string(),
            symbol: a.symbol.clone(),
            from_ms: a.from_ts_ms,
            to_ms: a.to_ts_ms,
            summary: a.summary.clone(),
            figures: alert_figures(a),
            accounts,
        });
    }
    let accounts = account_rows(web, users).await?;
    let mut timeline = Vec::new();
    for e in web.store.surveillance_case_events(case.id).await? {
        timeline.push(StrEvent { ts_ms: e.ts_ms, staff: staff_email(web, e.staff_id).await?, action: e.action, note: e.note });
    }
    let assignee = match case.assignee_staff_id {
        Some(id) => Some(staff_email(web, id).await?),
        None => None,
    };
    let opened_by = Some(staff_email(web, case.created_by).await?);
    Ok(StrReport {
        reporting_entity: web.config.support.site_name.clone(),
        generated_ms: now_ms,
        generated_by: generated_by.to_string(),
        case,
        assignee,
        opened_by,
        accounts,
        alerts,
        orders,
        trades,
        timeline,
    })
}

/// A time in the report: Bangkok, to the second, with its offset.
pub fn when(ms: u64) -> String {
    talat_core::calendar::bangkok_iso_datetime(ms)
}

/// The file name of a case's report.
pub fn file_name(case_id: u64, ext: &str) -> String {
    format!("str-case-{case_id}.{ext}")
}
