//! Reads for the gateway. Every list is bounded: `limit` is clamped to `1..=MAX_LIMIT`
//! (`MAX_CANDLES` for candles), so no request can ask the database for an unbounded scan of
//! rows to return.

use super::candles::Resolution;
use super::rows::{AssetRow, CandleRow, DepositRow, FillRow, HistoryCursor, MarketRow, OrderRow, PostingRow, TradeRow, WithdrawalRow};
use super::sql::Val;
use crate::codec::int;
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use std::sync::LazyLock;
use talat_core::{AssetId, MarketId, OrderId, UserId};

/// Most rows one list query returns.
pub const MAX_LIMIT: u32 = 1_000;
/// Most candles one query returns.
pub const MAX_CANDLES: u32 = 5_000;
/// Most assets or markets listed.
const MAX_LISTINGS: i64 = 100_000;

fn clamp(limit: u32, max: u32) -> i64 {
    limit.clamp(1, max).into()
}

/// Order history request. `cursor` selects keyset mode (rows strictly older than the cursor);
/// otherwise `page` selects page mode (1-based, with a total count); neither is keyset mode from
/// the newest row. `start_ms`/`end_ms` bound the creation time, both inclusive; `limit` is
/// clamped to `1..=MAX_LIMIT`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub page: Option<u32>,
    pub cursor: Option<HistoryCursor>,
    pub limit: u32,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
}

/// One page of order history, newest first, with what both of Bitkub's pagination modes need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    pub orders: Vec<OrderRow>,
    /// Page mode: the page returned, the number of matching orders and the last page (≥ 1).
    pub page: Option<u32>,
    pub total: Option<u64>,
    pub last_page: Option<u32>,
    /// Whether older rows exist past this page, and the cursor that reads them.
    pub has_next: bool,
    pub next_cursor: Option<HistoryCursor>,
}

/// A `WHERE` clause and its values, numbered as they are added.
#[derive(Default)]
struct Filter<'a> {
    sql: String,
    vals: Vec<Val<'a>>,
}

impl<'a> Filter<'a> {
    /// Adds `condition`, whose placeholders are written `?` and numbered here in order.
    fn and(&mut self, condition: &str, vals: &[Val<'a>]) -> &mut Self {
        self.sql.push_str(if self.sql.is_empty() { " WHERE " } else { " AND " });
        let mut vals = vals.iter();
        for ch in condition.chars() {
            if ch == '?' {
                let v = vals.next().expect("one value per placeholder");
                self.vals.push(*v);
                self.sql.push_str(&format!("${}", self.vals.len()));
            } else {
                self.sql.push(ch);
            }
        }
        self
    }

    fn placeholder(&mut self, v: Val<'a>) -> String {
        self.vals.push(v);
        format!("${}", self.vals.len())
    }

    fn bind<'q>(&self, mut query: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>>
    where
        'a: 'q,
    {
        for v in &self.vals {
            query = match *v {
                Val::Int(x) => query.bind(x),
                Val::OptInt(x) => query.bind(x),
                Val::Text(x) => query.bind(x),
                Val::OptText(x) => query.bind(x),
            };
        }
        query
    }
}

/// `postings_of`: one index-ordered read per side, each stopping at the limit (as in
/// `fills_of`). A posting between two accounts of the user (a hold) comes from the first read
/// only. `$1` asset, `$2` user, `$3` limit. Built once, not on every customer's read.
static POSTINGS_OF_SQL: LazyLock<String> = LazyLock::new(|| {
    let cols = PostingRow::COLUMNS;
    format!(
        "SELECT {cols} FROM (SELECT {cols} FROM postings WHERE from_user = $2 AND asset_id = $1 ORDER BY seq DESC, idx DESC LIMIT $3) AS f \
         UNION ALL SELECT {cols} FROM (SELECT {cols} FROM postings WHERE to_user = $2 AND asset_id = $1 \
         AND (from_user IS NULL OR from_user <> $2) ORDER BY seq DESC, idx DESC LIMIT $3) AS t \
         ORDER BY seq DESC, idx DESC LIMIT $3"
    )
});

fn read_all<T>(rows: Vec<AnyRow>, read: impl Fn(&AnyRow) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(read).collect()
}

impl Store {
    pub async fn assets(&self) -> Result<Vec<AssetRow>, StoreError> {
        let sql = format!("SELECT {} FROM assets ORDER BY asset_id LIMIT $1", AssetRow::COLUMNS);
        read_all(sqlx::query(&sql).bind(MAX_LISTINGS).fetch_all(&self.pool).await?, AssetRow::read)
    }

    pub async fn markets(&self) -> Result<Vec<MarketRow>, StoreError> {
        let sql = format!("SELECT {} FROM markets ORDER BY market_id LIMIT $1", MarketRow::COLUMNS);
        read_all(sqlx::query(&sql).bind(MAX_LISTINGS).fetch_all(&self.pool).await?, MarketRow::read)
    }

    pub async fn order(&self, order: OrderId) -> Result<Option<OrderRow>, StoreError> {
        let sql = format!("SELECT {} FROM orders WHERE order_id = $1", OrderRow::COLUMNS);
        let row = sqlx::query(&sql).bind(int(order.0)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(OrderRow::read).transpose()
    }

    /// The user's live orders (resting or waiting for a stop trigger), newest first.
    pub async fn open_orders(&self, user: UserId, market: Option<MarketId>, limit: u32) -> Result<Vec<OrderRow>, StoreError> {
        let mut f = Filter::default();
        f.and("user_id = ? AND status IN ('open', 'stop')", &[Val::Int(user.0.into())]);
        if let Some(m) = market {
            f.and("market_id = ?", &[Val::Int(m.0.into())]);
        }
        let limit = f.placeholder(Val::Int(clamp(limit, MAX_LIMIT)));
        let sql = format!("SELECT {} FROM orders{} ORDER BY created_ts_ms DESC, order_id DESC LIMIT {limit}", OrderRow::COLUMNS, f.sql);
        read_all(f.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?, OrderRow::read)
    }

    /// The user's orders in `market`, newest first (Bitkub's my-order-history: one row per
    /// order with its fill totals and fee).
    pub async fn order_history(&self, user: UserId, market: MarketId, q: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        self.user_order_history(user, Some(market), q).await
    }

    /// [`Store::order_history`] in one market or, with `market` `None`, across all of them (the
    /// web app's history page; index `orders_user`).
    pub async fn user_order_history(&self, user: UserId, market: Option<MarketId>, q: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        let limit = clamp(q.limit, MAX_LIMIT);
        let mut f = Filter::default();
        f.and("user_id = ?", &[Val::Int(user.0.into())]);
        if let Some(m) = market {
            f.and("market_id = ?", &[Val::Int(m.0.into())]);
        }
        if let Some(start) = q.start_ms {
            f.and("created_ts_ms >= ?", &[Val::Int(int(start)?)]);
        }
        if let Some(end) = q.end_ms {
            f.and("created_ts_ms <= ?", &[Val::Int(int(end)?)]);
        }
        let page_mode = q.cursor.is_none() && q.page.is_some();
        let (total, page) = if page_mode {
            let sql = format!("SELECT COUNT(*) FROM orders{}", f.sql);
            let count: i64 = f.bind(sqlx::query(&sql)).fetch_one(&self.pool).await?.try_get(0)?;
            (Some(u64::try_from(count).unwrap_or(0)), Some(q.page.unwrap_or(1).max(1)))
        } else {
            (None, None)
        };
        if let Some(c) = q.cursor {
            let (ts, id) = (int(c.ts_ms)?, int(c.order.0)?);
            f.and("(created_ts_ms < ? OR (created_ts_ms = ? AND order_id < ?))", &[Val::Int(ts), Val::Int(ts), Val::Int(id)]);
        }
        // One row past the page tells whether another page follows.
        let fetch = f.placeholder(Val::Int(limit + 1));
        let offset = f.placeholder(Val::Int(page.map_or(0, |p| i64::from(p - 1) * limit)));
        let sql = format!("SELECT {} FROM orders{} ORDER BY created_ts_ms DESC, order_id DESC LIMIT {fetch} OFFSET {offset}", OrderRow::COLUMNS, f.sql);
        let mut orders = read_all(f.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?, OrderRow::read)?;
        let has_next = orders.len() as i64 > limit;
        orders.truncate(limit as usize);
        let next_cursor = if has_next { orders.last().map(OrderRow::cursor) } else { None };
        let last_page = total.map(|t| u32::try_from(t.div_ceil(limit as u64).max(1)).unwrap_or(u32::MAX));
        Ok(HistoryPage { orders, page, total, last_page, has_next, next_cursor })
    }

    /// The order's fills in the order they happened.
    pub async fn fills_of(&self, order: OrderId, limit: u32) -> Result<Vec<FillRow>, StoreError> {
        // Two index-ordered reads, each stopping at the limit, rather than an OR that sorts every
        // fill of the order.
        let cols = TradeRow::COLUMNS;
        let sql = format!(
            "SELECT {cols} FROM (SELECT {cols} FROM trades WHERE maker_order = $1 ORDER BY seq, idx LIMIT $2) AS m \
             UNION ALL SELECT {cols} FROM (SELECT {cols} FROM trades WHERE taker_order = $1 ORDER BY seq, idx LIMIT $2) AS t \
             ORDER BY seq, idx LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(int(order.0)?).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        let trades = read_all(rows, TradeRow::read)?;
        Ok(trades.iter().filter_map(|t| t.fill_of(order)).collect())
    }

    /// The user's fills across markets (or in `market`), newest first: one per side of a trade
    /// the user was on (a self-trade gives two, the maker's first). As in `fills_of`: one
    /// index-ordered read per side (`trades_maker_user*`, `trades_taker_user*`), each stopping
    /// at the limit.
    pub async fn user_fills(&self, user: UserId, market: Option<MarketId>, limit: u32) -> Result<Vec<FillRow>, StoreError> {
        let cols = TradeRow::COLUMNS;
        let in_market = if market.is_some() { " AND market_id = $3" } else { "" };
        let sql = format!(
            "SELECT {cols}, as_maker FROM (SELECT {cols}, CAST(1 AS BIGINT) AS as_maker FROM trades WHERE maker_user = $1{in_market} \
             ORDER BY seq DESC, idx DESC LIMIT $2) AS m \
             UNION ALL SELECT {cols}, as_maker FROM (SELECT {cols}, CAST(0 AS BIGINT) AS as_maker FROM trades WHERE taker_user = $1{in_market} \
             ORDER BY seq DESC, idx DESC LIMIT $2) AS t \
             ORDER BY seq DESC, idx DESC, as_maker DESC LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(i64::from(user.0)).bind(clamp(limit, MAX_LIMIT));
        if let Some(m) = market {
            query = query.bind(i64::from(m.0));
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let trade = TradeRow::read(row)?;
                let as_maker = row.try_get::<i64, _>("as_maker")? != 0;
                let order = if as_maker { trade.maker_order } else { trade.taker_order };
                trade.fill_of(order).ok_or_else(|| StoreError::corrupt("trades", "a fill of neither order"))
            })
            .collect()
    }

    /// The market's latest trades, newest first.
    pub async fn recent_trades(&self, market: MarketId, limit: u32) -> Result<Vec<TradeRow>, StoreError> {
        let sql = format!("SELECT {} FROM trades WHERE market_id = $1 ORDER BY seq DESC, idx DESC LIMIT $2", TradeRow::COLUMNS);
        let rows = sqlx::query(&sql).bind(i64::from(market.0)).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, TradeRow::read)
    }

    /// Candles whose bucket starts in `from_s..=to_s`, oldest first; when more than `limit`
    /// match, the newest `limit`. Buckets without trades are absent (no gap filling).
    pub async fn candles(&self, market: MarketId, resolution: Resolution, from_s: u64, to_s: u64, limit: u32) -> Result<Vec<CandleRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM candles WHERE market_id = $1 AND resolution_s = $2 AND bucket_start_s >= $3 AND bucket_start_s <= $4 \
             ORDER BY bucket_start_s DESC LIMIT $5",
            CandleRow::COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(market.0))
            .bind(int(resolution.seconds())?)
            .bind(int(from_s)?)
            .bind(int(to_s.min(i64::MAX as u64))?)
            .bind(clamp(limit, MAX_CANDLES))
            .fetch_all(&self.pool)
            .await?;
        let mut candles = read_all(rows, CandleRow::read)?;
        candles.reverse();
        Ok(candles)
    }

    /// Ledger movements touching any account of `user` in `asset`, newest first.
    pub async fn postings_of(&self, user: UserId, asset: AssetId, limit: u32) -> Result<Vec<PostingRow>, StoreError> {
        let rows =
            sqlx::query(POSTINGS_OF_SQL.as_str()).bind(i64::from(asset.0)).bind(i64::from(user.0)).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, PostingRow::read)
    }

    /// How the store's database would run `postings_of` (for tests: each side is read through
    /// its user index, whatever the indexes' definitions).
    #[cfg(test)]
    pub(crate) async fn postings_of_plan(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {}", *POSTINGS_OF_SQL)).bind(1i64).bind(1i64).bind(10i64).fetch_all(&self.pool).await?;
        rows.iter().map(|row| row.try_get::<String, _>(3).map_err(StoreError::from)).collect()
    }

    /// Every posting of `asset` (for audits and tests: postings sum to zero per asset), oldest
    /// first, from `after` = (seq, idx) exclusive.
    pub async fn postings_of_asset(&self, asset: AssetId, after: Option<(u64, u32)>, limit: u32) -> Result<Vec<PostingRow>, StoreError> {
        let (seq, idx) = match after {
            Some((s, i)) => (int(s)?, i64::from(i)),
            None => (-1, -1),
        };
        let sql =
            format!("SELECT {} FROM postings WHERE asset_id = $1 AND (seq > $2 OR (seq = $2 AND idx > $3)) ORDER BY seq, idx LIMIT $4", PostingRow::COLUMNS);
        let rows = sqlx::query(&sql).bind(i64::from(asset.0)).bind(seq).bind(idx).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, PostingRow::read)
    }

    /// The user's credited deposits, newest first.
    pub async fn deposits_of(&self, user: UserId, limit: u32) -> Result<Vec<DepositRow>, StoreError> {
        let sql = "SELECT external_id, user_id, asset_id, amount, seq, ts_ms FROM deposits WHERE user_id = $1 ORDER BY seq DESC LIMIT $2";
        let rows = sqlx::query(sql).bind(i64::from(user.0)).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, |r| DepositRow::read(r, "deposits", "external_id"))
    }

    /// Market mode changes at or after `since_ms`, newest first, at most `limit`: (ts_ms,
    /// market, mode) from the `market_mode_changes` history.
    pub async fn market_mode_changes_since(&self, since_ms: u64, limit: u32) -> Result<Vec<(u64, MarketId, talat_core::TradingMode)>, StoreError> {
        let sql = "SELECT ts_ms, market_id, mode FROM market_mode_changes WHERE ts_ms >= $1 ORDER BY seq DESC, market_id LIMIT $2";
        let rows = sqlx::query(sql).bind(int(since_ms)?).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, |r| {
            let cols = crate::codec::Cols::new(r, "market_mode_changes");
            let word: String = r.try_get("mode")?;
            let mode = talat_core::TradingMode::parse(&word).ok_or_else(|| StoreError::corrupt("market_mode_changes", format!("mode {word:?}")))?;
            Ok((cols.u64("ts_ms")?, cols.market("market_id")?, mode))
        })
    }

    /// The user's orders the exchange cancelled (not the user) at or after `since_ms`, newest
    /// first, at most `limit`, each with why.
    pub async fn system_cancels_of(&self, user: UserId, since_ms: u64, limit: u32) -> Result<Vec<(OrderRow, crate::SystemCancel)>, StoreError> {
        let columns: Vec<String> = OrderRow::COLUMNS.split(',').map(|c| format!("o.{}", c.trim())).collect();
        let sql = format!(
            "SELECT {}, c.cause FROM system_cancels c JOIN orders o ON o.order_id = c.order_id \
             WHERE o.user_id = $1 AND c.ts_ms >= $2 ORDER BY c.seq DESC, c.order_id DESC LIMIT $3",
            columns.join(", ")
        );
        let rows = sqlx::query(&sql).bind(i64::from(user.0)).bind(int(since_ms)?).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, |r| {
            let word: String = r.try_get("cause")?;
            let cause = crate::SystemCancel::parse(&word).ok_or_else(|| StoreError::corrupt("system_cancels", format!("cause {word:?}")))?;
            Ok((OrderRow::read(r)?, cause))
        })
    }

    /// The user's compensation credits, newest first (`external_id` holds the reference).
    pub async fn compensations_of(&self, user: UserId, limit: u32) -> Result<Vec<DepositRow>, StoreError> {
        let sql = "SELECT reference, user_id, asset_id, amount, seq, ts_ms FROM compensations WHERE user_id = $1 ORDER BY seq DESC LIMIT $2";
        let rows = sqlx::query(sql).bind(i64::from(user.0)).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, |r| DepositRow::read(r, "compensations", "reference"))
    }

    /// The user's withdrawals with their current status, newest first.
    pub async fn withdrawals_of(&self, user: UserId, limit: u32) -> Result<Vec<WithdrawalRow>, StoreError> {
        let sql = format!("SELECT {} FROM withdrawals WHERE user_id = $1 ORDER BY seq DESC LIMIT $2", WithdrawalRow::COLUMNS);
        let rows = sqlx::query(&sql).bind(i64::from(user.0)).bind(clamp(limit, MAX_LIMIT)).fetch_all(&self.pool).await?;
        read_all(rows, WithdrawalRow::read)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    /// Each side of a customer's ledger is read through its user index (`postings_from`,
    /// `postings_to`): partial indexes, which only a query the planner can prove to need no
    /// NULL user may use. A full scan here would read every posting of the exchange.
    #[test]
    fn a_customers_ledger_is_read_through_the_user_indexes() {
        let plan = Store::with_memory_store(|store| async move { store.postings_of_plan().await }).expect("the plan");
        let uses = |index: &str| plan.iter().any(|step| step.contains(&format!("INDEX {index} ")));
        assert!(uses("postings_from") && uses("postings_to"), "plan: {plan:#?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN postings")), "plan: {plan:#?}");
    }
}
