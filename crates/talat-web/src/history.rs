//! The customer's history pages from the query store: orders (paged), fills and funds
//! (deposits and withdrawals). Each read first waits for the store to reach the exchange's
//! applied seq — which includes every write this caller was answered for — the way the Bitkub
//! history routes do (`Gateway::store_at_read_seq`), so a page never misses an order the
//! customer just placed or cancelled.

use crate::auth::Customer;
use crate::error::{WebError, WebResult};
use crate::views::{fill_json, funds_items, market_ref, order_json};
use crate::Web;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use talat_core::MarketId;
use talat_gateway::gateway::MarketRef;
use talat_store::HistoryQuery;

/// Rows per answer when `limit` is not given, and the most one answer may ask for.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// Highest page number accepted (a deeper page is an offset scan of the user's orders).
pub const MAX_PAGE: u32 = 100_000;

/// A positive whole number in `1..=max`, `default` when the parameter is absent or empty.
fn number(q: &HashMap<String, String>, field: &'static str, default: u32, max: u32) -> WebResult<u32> {
    let Some(text) = q.get(field).filter(|t| !t.is_empty()) else { return Ok(default) };
    let n = (text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u64>().ok()).flatten();
    match n {
        Some(n) if (1..=u64::from(max)).contains(&n) => Ok(n as u32),
        _ => Err(WebError::invalid(field, format!("{field} must be a whole number from 1 to {max}"))),
    }
}

/// The `symbol` filter: `None` (all markets) when absent or empty.
fn symbol_filter(web: &Web, q: &HashMap<String, String>) -> WebResult<Option<MarketRef>> {
    match q.get("symbol").filter(|s| !s.is_empty()) {
        Some(sym) => Ok(Some(web.gateway.market(sym, false).map_err(|_| WebError::invalid("symbol", "no such market"))?)),
        None => Ok(None),
    }
}

/// Markets by id, looked up once per answer.
struct Markets<'a> {
    web: &'a Web,
    seen: HashMap<MarketId, Option<MarketRef>>,
}

impl<'a> Markets<'a> {
    fn new(web: &'a Web) -> Markets<'a> {
        Markets { web, seen: HashMap::new() }
    }

    fn get(&mut self, id: MarketId) -> WebResult<MarketRef> {
        let web = self.web;
        self.seen
            .entry(id)
            .or_insert_with(|| market_ref(web, id))
            .clone()
            .ok_or_else(|| WebError::internal(format!("market {} is not in the read model", id.0)))
    }
}

/// `GET /web/api/orders/history?symbol=&page=&limit=` → `{orders, page, last_page, total}`,
/// newest first; a page past the last is empty.
pub async fn orders(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let filter = symbol_filter(&web, &q)?;
    let page = number(&q, "page", 1, MAX_PAGE)?;
    let limit = number(&q, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let store = web.gateway.store_at_read_seq().await?;
    let query = HistoryQuery { page: Some(page), limit, ..Default::default() };
    let found = store.user_order_history(account.user, filter.as_ref().map(|m| m.info.id), &query).await?;
    let mut markets = Markets::new(&web);
    let orders = found
        .orders
        .iter()
        .map(|row| Ok(order_json(&markets.get(row.market)?, &talat_gateway::read::OrderView::from_row(row))))
        .collect::<WebResult<Vec<Value>>>()?;
    Ok(Json(json!({
        "orders": orders,
        "page": found.page.unwrap_or(page),
        "last_page": found.last_page.unwrap_or(1),
        "total": found.total.unwrap_or(0),
    })))
}

/// `GET /web/api/trades/history?symbol=&limit=` → `{trades: [...]}`, the customer's fills
/// newest first. `fee` is in the asset the fill received (`fee_asset`: base for a buy, quote
/// for a sell); `quote` is what the fill paid (buy) or received before the fee (sell).
pub async fn trades(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let filter = symbol_filter(&web, &q)?;
    let limit = number(&q, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let store = web.gateway.store_at_read_seq().await?;
    let fills = store.user_fills(account.user, filter.as_ref().map(|m| m.info.id), limit).await?;
    let mut markets = Markets::new(&web);
    let mut trades = Vec::with_capacity(fills.len());
    for f in &fills {
        trades.push(fill_json(&markets.get(f.market)?, f));
    }
    Ok(Json(json!({"trades": trades})))
}

/// `GET /web/api/funds/history?limit=` → `{items: [...]}`: credited deposits (`status`
/// `credited`) and withdrawals with their current status (`pending`, `settled`, `released`),
/// newest first. A withdrawal's `fee` is charged on top of its `amount`.
pub async fn funds(State(web): State<Arc<Web>>, Query(q): Query<HashMap<String, String>>, Customer { account, .. }: Customer) -> WebResult<Json<Value>> {
    let limit = number(&q, "limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let store = web.gateway.store_at_read_seq().await?;
    let deposits = store.deposits_of(account.user, limit).await?;
    let withdrawals = store.withdrawals_of(account.user, limit).await?;
    let items = funds_items(&web, &deposits, &withdrawals, limit as usize)?;
    Ok(Json(json!({"items": items})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_bounded_whole_and_default_when_absent() {
        let q = |k: &str, v: &str| HashMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(number(&HashMap::new(), "limit", 50, 200), Ok(50));
        assert_eq!(number(&q("limit", ""), "limit", 50, 200), Ok(50));
        assert_eq!(number(&q("limit", "200"), "limit", 50, 200), Ok(200));
        assert_eq!(number(&q("limit", "1"), "limit", 50, 200), Ok(1));
        for bad in ["0", "201", "-1", "+5", "1.5", "abc", " 5", "99999999999999999999"] {
            let e = number(&q("limit", bad), "limit", 50, 200).unwrap_err();
            assert_eq!((e.code, e.field), ("invalid", Some("limit")), "{bad}");
        }
    }
}
