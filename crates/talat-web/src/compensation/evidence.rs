//! From an incident's window and scope to its preview: reads the evidence from the query store
//! (the refusal log, the scoped markets' trades, a linked support incident's tickets), turns it
//! into talat-compensation's facts and runs the policy. I/O only; the rules are the crate's.

use crate::error::{WebError, WebResult};
use crate::Web;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use talat_compensation::price::{quote_of, vwap};
use talat_compensation::{assess, Assessment, Facts, Fill, Incident, MarketFacts, Policy, Refused, RequestKind};
use talat_core::money::parse_units;
use talat_core::Side;
use talat_gateway::gateway::MarketRef;
use talat_store::{RefusedRow, MAX_REFUSED_READ};

/// Pages of [`talat_store::MAX_TRADES_PAGE`] trades read per market: past this the window is
/// too busy to assess in one request (split the incident).
const MAX_TRADE_PAGES: usize = 200;
/// Tickets read from a linked support incident.
const MAX_TICKETS: i64 = 5_000;

/// A scoped market's reference price and where it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reference {
    pub symbol: String,
    /// Price units of the market, and as text.
    pub price: Option<u64>,
    pub price_text: Option<String>,
    /// `vwap` (the window's trades), `last` (the last trade at or before t1) or `none`.
    pub source: String,
    pub trades: u64,
}

/// What a preview stores: every assessment, the reference prices, and what limited the
/// evidence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Preview {
    pub assessments: Vec<Assessment>,
    pub references: Vec<Reference>,
    /// The refusal log had more rows in the window than one read takes.
    pub truncated: bool,
    /// Refusals the per-minute bound counted but did not keep, per user (not evidence rows).
    pub dropped: Vec<(u64, u64)>,
}

/// The side and the order's size in the policy's convention (a buy: quote to spend; a sell:
/// base quantity) of a refused new order; Bitkub's place-bid already gives quote, place-order
/// and the web app give a limit buy's base quantity.
fn intent(row: &RefusedRow, market: &MarketRef) -> (Option<Side>, Option<u64>, Option<u64>) {
    let side = match row.side.as_deref() {
        Some("buy") => Some(Side::Buy),
        Some("sell") => Some(Side::Sell),
        _ => None,
    };
    let info = &market.info;
    let rate = row.rate.as_deref().and_then(|r| parse_units(r, info.spec.price_scale)).and_then(|r| u64::try_from(r).ok());
    let quote_given = row.endpoint.ends_with("place-bid") || rate == Some(0);
    let scale = match side {
        Some(Side::Buy) if quote_given => info.quote_scale,
        _ => info.base_scale,
    };
    let mut amount = row.amount.as_deref().and_then(|a| parse_units(a, scale)).and_then(|a| u64::try_from(a).ok());
    if side == Some(Side::Buy) && !quote_given {
        amount = match (amount, rate) {
            (Some(qty), Some(rate)) => u64::try_from(quote_of(rate, qty, market.divisor())).ok(),
            _ => None,
        };
    }
    (side, amount, rate)
}

/// The refusal log's rows as the policy's facts.
fn refused_of(web: &Web, rows: &[RefusedRow]) -> Vec<Refused> {
    rows.iter()
        .map(|r| {
            let market = r.symbol.as_deref().map(|s| web.gateway.market(s, true).ok());
            let (side, amount, rate) = match &market {
                Some(Some(m)) if r.kind == "place" => intent(r, m),
                _ => (None, None, None),
            };
            Refused {
                id: r.id,
                user: r.user,
                ts_ms: r.ts_ms,
                kind: RequestKind::parse(&r.kind).unwrap_or(RequestKind::Other),
                // A symbol no market has matches no scope.
                market: market.map(|m| m.map_or(u32::MAX, |m| m.info.id.0 as u32)),
                side,
                amount,
                rate,
                verified: r.verified,
                code: r.code,
            }
        })
        .collect()
}

/// The users a linked support incident's tickets came from.
async fn ticket_users_of(store: &talat_store::Store, support_incident: Option<u64>) -> WebResult<Vec<u64>> {
    let mut users = Vec::new();
    if let Some(id) = support_incident {
        store.incident(id).await?.ok_or_else(|| WebError::invalid("support_incident_id", format!("no support incident {id}")))?;
        for t in store.incident_tickets(id, MAX_TICKETS).await? {
            if let Some(a) = store.web_account(t.account_id).await? {
                users.push(a.user.0 as u64);
            }
        }
    }
    Ok(users)
}

/// The two fills of a trade (taker and maker), kept for the affected `users` only.
fn fills_of(t: &talat_store::TradeRow, market: u32, users: &BTreeSet<u64>, fills: &mut Vec<Fill>) {
    let taker = t.taker_side;
    let maker = if taker == Side::Buy { Side::Sell } else { Side::Buy };
    for (user, side, fee) in [(t.taker_user, taker, t.taker_fee), (t.maker_user, maker, t.maker_fee)] {
        if users.contains(&(user.0 as u64)) {
            fills.push(Fill { user: user.0 as u64, market, ts_ms: t.ts_ms, side, price: t.price, qty: t.qty, fee, fee_in_base: side == Side::Buy });
        }
    }
}

/// One market's trades from t0 to the grace period's end, page by page (bounded): the affected
/// users' fills go to `fills`; the window's own (price, qty) pairs are returned.
async fn market_trades(
    store: &talat_store::Store,
    m: &MarketRef,
    w: &talat_compensation::Window,
    grace_end: u64,
    users: &BTreeSet<u64>,
    fills: &mut Vec<Fill>,
) -> WebResult<Vec<(u64, u64)>> {
    let id = m.info.id;
    let (mut in_window, mut after) = (Vec::new(), (0u64, 0u32));
    for _ in 0..MAX_TRADE_PAGES {
        let page = store.trades_between(id, w.t0_ms, grace_end, after).await?;
        for t in &page {
            if w.contains(t.ts_ms) {
                in_window.push((t.price, t.qty));
            }
            fills_of(t, id.0 as u32, users, fills);
        }
        match page.last() {
            Some(last) if page.len() as i64 == talat_store::MAX_TRADES_PAGE => after = (last.seq, last.idx),
            _ => return Ok(in_window),
        }
    }
    let most = MAX_TRADE_PAGES as i64 * talat_store::MAX_TRADES_PAGE;
    Err(WebError::invalid("t1_ms", format!("{} traded more than {most} trades in this window: split the incident", m.info.spec.symbol)))
}

/// Computes the preview of `incident` in `markets` under `policy`.
pub async fn preview(web: &Web, incident: &Incident, markets: &[MarketRef], policy: &Policy, support_incident: Option<u64>) -> WebResult<Preview> {
    let store = web.gateway.store_at_read_seq().await?;
    let w = incident.window;
    let rows = store.refusals_between(w.t0_ms, w.t1_ms, MAX_REFUSED_READ).await?;
    let truncated = rows.len() as i64 >= MAX_REFUSED_READ;
    let refused = refused_of(web, &rows);
    let ticket_users = ticket_users_of(store, support_incident).await?;
    let users: BTreeSet<u64> = refused.iter().map(|r| r.user).chain(ticket_users.iter().copied()).collect();
    let grace_end = w.t1_ms.saturating_add(policy.grace_ms);
    let (mut fills, mut facts, mut references) = (Vec::new(), Vec::new(), Vec::new());
    for m in markets {
        let id = m.info.id;
        let in_window = market_trades(store, m, &w, grace_end, &users, &mut fills).await?;
        let window_vwap = vwap(in_window.iter().copied());
        let last_at_end = if window_vwap.is_none() { store.last_price_at(id, w.t1_ms).await? } else { None };
        let (price, source) = talat_compensation::price::reference_price(window_vwap, last_at_end);
        references.push(Reference {
            symbol: m.info.spec.symbol.clone(),
            price,
            price_text: price.map(|p| talat_core::money::format_units(p as u128, m.info.spec.price_scale)),
            source: source.as_str().into(),
            trades: in_window.len() as u64,
        });
        facts.push(MarketFacts { market: id.0 as u32, divisor: m.divisor(), reference_price: price });
    }
    let assessments = assess(incident, policy, &Facts { refused: &refused, fills: &fills, markets: &facts, ticket_users: &ticket_users });
    let dropped = store.refusals_dropped_between(w.t0_ms, w.t1_ms).await?;
    Ok(Preview { assessments, references, truncated, dropped })
}
