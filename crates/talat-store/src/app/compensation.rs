//! Outage compensation's tables (migration 0011): the durable log of customers' refused and
//! failed requests (with what the per-minute bound dropped), compensation incidents with their
//! preview, and the credits an approval ordered. A credit's completion is not stored: it is
//! complete once the projection's `compensations` holds its reference (the engine applied it).
//! The rules are talat-compensation's; this module only keeps and reads rows.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use crate::TradeRow;
use sqlx::any::AnyRow;
use talat_core::MarketId;

/// The most refused requests one read returns; an incident that finds more says it was cut.
pub const MAX_REFUSED_READ: i64 = 200_000;
/// The most trades one page of [`Store::trades_between`] returns.
pub const MAX_TRADES_PAGE: i64 = 10_000;
/// The most incidents and credits a list returns.
pub const MAX_COMP_ROWS: i64 = 1_000;

/// One refused or failed request (see the migration for the columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedRow {
    pub id: u64,
    pub user: u64,
    pub verified: bool,
    pub ts_ms: u64,
    pub kind: String,
    pub endpoint: String,
    pub http_status: u16,
    pub code: u16,
    pub symbol: Option<String>,
    pub side: Option<String>,
    pub amount: Option<String>,
    pub rate: Option<String>,
}

const REFUSED_COLUMNS: &str = "id, user_id, verified, ts_ms, kind, endpoint, http_status, code, symbol, side, amount, rate";

impl RefusedRow {
    fn read(row: &AnyRow) -> Result<RefusedRow, StoreError> {
        let c = Cols::new(row, "refused_requests");
        Ok(RefusedRow {
            id: c.u64("id")?,
            user: c.u64("user_id")?,
            verified: c.u64("verified")? != 0,
            ts_ms: c.u64("ts_ms")?,
            kind: c.text("kind")?,
            endpoint: c.text("endpoint")?,
            http_status: c.narrow("http_status")?,
            code: c.narrow("code")?,
            symbol: c.opt_text("symbol")?,
            side: c.opt_text("side")?,
            amount: c.opt_text("amount")?,
            rate: c.opt_text("rate")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompIncidentRow {
    pub id: u64,
    pub title: String,
    pub t0_ms: u64,
    pub t1_ms: u64,
    /// Comma-separated symbols, kinds and networks.
    pub markets: String,
    pub kinds: String,
    pub networks: String,
    pub support_incident_id: Option<u64>,
    pub pay_asset: String,
    /// JSON: the policy, and the preview (every assessment with its evidence).
    pub policy: String,
    pub preview: String,
    pub customers: u64,
    pub total: u64,
    pub status: String,
    pub prepared_by: u64,
    pub prepared_email: String,
    pub created_ms: u64,
    pub approved_by: Option<u64>,
    pub approved_email: Option<String>,
    pub approved_ms: Option<u64>,
}

const INCIDENT_COLUMNS: &str = "id, title, t0_ms, t1_ms, markets, kinds, networks, support_incident_id, pay_asset, policy, preview, customers, total, \
     status, prepared_by, prepared_email, created_ms, approved_by, approved_email, approved_ms";

impl CompIncidentRow {
    fn read(row: &AnyRow) -> Result<CompIncidentRow, StoreError> {
        let c = Cols::new(row, "comp_incidents");
        Ok(CompIncidentRow {
            id: c.u64("id")?,
            title: c.text("title")?,
            t0_ms: c.u64("t0_ms")?,
            t1_ms: c.u64("t1_ms")?,
            markets: c.text("markets")?,
            kinds: c.text("kinds")?,
            networks: c.text("networks")?,
            support_incident_id: c.opt_u64("support_incident_id")?,
            pay_asset: c.text("pay_asset")?,
            policy: c.text("policy")?,
            preview: c.text("preview")?,
            customers: c.u64("customers")?,
            total: c.u64("total")?,
            status: c.text("status")?,
            prepared_by: c.u64("prepared_by")?,
            prepared_email: c.text("prepared_email")?,
            created_ms: c.u64("created_ms")?,
            approved_by: c.opt_u64("approved_by")?,
            approved_email: c.opt_text("approved_email")?,
            approved_ms: c.opt_u64("approved_ms")?,
        })
    }
}

/// One credit an approval ordered, with whether (and when) the engine applied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompCreditRow {
    pub reference: String,
    pub incident_id: u64,
    pub user: u64,
    pub asset_id: u32,
    pub class: String,
    pub amount: u64,
    pub created_ms: u64,
    pub submitted_ms: Option<u64>,
    /// From the projection: the time the engine credited it, if it has.
    pub completed_ms: Option<u64>,
}

const CREDIT_SELECT: &str =
    "SELECT c.reference, c.incident_id, c.user_id, c.asset_id, c.class, c.amount, c.created_ms, c.submitted_ms, p.ts_ms AS completed_ms \
     FROM comp_credits c LEFT JOIN compensations p ON p.reference = c.reference";

impl CompCreditRow {
    fn read(row: &AnyRow) -> Result<CompCreditRow, StoreError> {
        let c = Cols::new(row, "comp_credits");
        Ok(CompCreditRow {
            reference: c.text("reference")?,
            incident_id: c.u64("incident_id")?,
            user: c.u64("user_id")?,
            asset_id: c.u32("asset_id")?,
            class: c.text("class")?,
            amount: c.u64("amount")?,
            created_ms: c.u64("created_ms")?,
            submitted_ms: c.opt_u64("submitted_ms")?,
            completed_ms: c.opt_u64("completed_ms")?,
        })
    }
}

fn opt_int(value: Option<u64>) -> Result<Option<i64>, StoreError> {
    value.map(int).transpose()
}

impl Store {
    /// Appends refused requests and adds to the per-customer-minute overflow counts, in one
    /// transaction (the refusal writer's batch).
    pub async fn record_refusals(&self, rows: &[RefusedRow], overflow: &[(u64, u64, u64)]) -> Result<(), StoreError> {
        if rows.is_empty() && overflow.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO refused_requests (user_id, verified, ts_ms, kind, endpoint, http_status, code, symbol, side, amount, rate) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(int(r.user)?)
            .bind(r.verified as i64)
            .bind(int(r.ts_ms)?)
            .bind(&r.kind)
            .bind(&r.endpoint)
            .bind(r.http_status as i64)
            .bind(r.code as i64)
            .bind(r.symbol.as_deref())
            .bind(r.side.as_deref())
            .bind(r.amount.as_deref())
            .bind(r.rate.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        for &(user, minute, dropped) in overflow {
            sqlx::query(
                "INSERT INTO refused_overflow (user_id, minute, dropped) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, minute) DO UPDATE SET dropped = refused_overflow.dropped + excluded.dropped",
            )
            .bind(int(user)?)
            .bind(int(minute)?)
            .bind(int(dropped)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refused requests from `t0_ms` to `t1_ms` inclusive, oldest first, at most `limit`.
    pub async fn refusals_between(&self, t0_ms: u64, t1_ms: u64, limit: i64) -> Result<Vec<RefusedRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {REFUSED_COLUMNS} FROM refused_requests WHERE ts_ms >= $1 AND ts_ms <= $2 ORDER BY ts_ms, id LIMIT $3"))
            .bind(int(t0_ms)?)
            .bind(int(t1_ms)?)
            .bind(limit.clamp(1, MAX_REFUSED_READ))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(RefusedRow::read).collect()
    }

    /// What the per-minute bound dropped from `t0_ms` to `t1_ms`: (user, dropped), by user.
    pub async fn refusals_dropped_between(&self, t0_ms: u64, t1_ms: u64) -> Result<Vec<(u64, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, CAST(SUM(dropped) AS BIGINT) AS n FROM refused_overflow WHERE minute >= $1 AND minute <= $2 GROUP BY user_id ORDER BY user_id LIMIT $3",
        )
        .bind(int(t0_ms / 60_000)?)
        .bind(int(t1_ms / 60_000)?)
        .bind(MAX_REFUSED_READ)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "refused_overflow");
                Ok((c.u64("user_id")?, c.u64("n")?))
            })
            .collect()
    }

    /// Deletes refused requests (and overflow counts) older than `before_ms`, at most `batch`
    /// rows per statement. Returns how many requests were deleted.
    pub async fn prune_refusals(&self, before_ms: u64, batch: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let deleted = sqlx::query("DELETE FROM refused_requests WHERE id IN (SELECT id FROM refused_requests WHERE ts_ms < $1 ORDER BY ts_ms LIMIT $2)")
            .bind(int(before_ms)?)
            .bind(batch.clamp(1, 100_000))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM refused_overflow WHERE minute < $1").bind(int(before_ms / 60_000)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// Trades of `market` from `from_ms` to `to_ms` inclusive, after the trade `after` (seq, idx),
    /// in order, at most [`MAX_TRADES_PAGE`]: page through a window's trades.
    pub async fn trades_between(&self, market: MarketId, from_ms: u64, to_ms: u64, after: (u64, u32)) -> Result<Vec<TradeRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM trades WHERE market_id = $1 AND ts_ms >= $2 AND ts_ms <= $3 AND (seq > $4 OR (seq = $5 AND idx > $6)) ORDER BY seq, idx LIMIT $7",
            TradeRow::COLUMNS
        ))
        .bind(market.0 as i64)
        .bind(int(from_ms)?)
        .bind(int(to_ms)?)
        .bind(int(after.0)?)
        .bind(int(after.0)?)
        .bind(after.1 as i64)
        .bind(MAX_TRADES_PAGE)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(TradeRow::read).collect()
    }

    /// The price of the last trade of `market` at or before `ts_ms`.
    pub async fn last_price_at(&self, market: MarketId, ts_ms: u64) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query("SELECT price FROM trades WHERE market_id = $1 AND ts_ms <= $2 ORDER BY seq DESC, idx DESC LIMIT 1")
            .bind(market.0 as i64)
            .bind(int(ts_ms)?)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Cols::new(&r, "trades").u64("price")).transpose()
    }

    /// Stores a prepared incident; returns its id.
    pub async fn comp_insert_incident(&self, i: &CompIncidentRow) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO comp_incidents (title, t0_ms, t1_ms, markets, kinds, networks, support_incident_id, pay_asset, policy, preview, customers, total, \
             status, prepared_by, prepared_email, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'prepared', $13, $14, $15) RETURNING id",
        )
        .bind(&i.title)
        .bind(int(i.t0_ms)?)
        .bind(int(i.t1_ms)?)
        .bind(&i.markets)
        .bind(&i.kinds)
        .bind(&i.networks)
        .bind(opt_int(i.support_incident_id)?)
        .bind(&i.pay_asset)
        .bind(&i.policy)
        .bind(&i.preview)
        .bind(int(i.customers)?)
        .bind(int(i.total)?)
        .bind(int(i.prepared_by)?)
        .bind(&i.prepared_email)
        .bind(int(i.created_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "comp_incidents").u64("id")?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn comp_incident(&self, id: u64) -> Result<Option<CompIncidentRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {INCIDENT_COLUMNS} FROM comp_incidents WHERE id = $1")).bind(int(id)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(CompIncidentRow::read).transpose()
    }

    /// Incidents, newest first.
    pub async fn comp_incidents(&self, limit: i64) -> Result<Vec<CompIncidentRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {INCIDENT_COLUMNS} FROM comp_incidents ORDER BY id DESC LIMIT $1"))
            .bind(limit.clamp(1, MAX_COMP_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CompIncidentRow::read).collect()
    }

    /// Approves a prepared incident and stores its credits, in one transaction: false (and
    /// nothing written) if it is not `prepared` any more or `staff_id` prepared it. A credit
    /// whose reference exists is left as it is.
    pub async fn comp_approve(&self, id: u64, staff_id: u64, staff_email: &str, now_ms: u64, credits: &[CompCreditRow]) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE comp_incidents SET status = 'approved', approved_by = $1, approved_email = $2, approved_ms = $3 \
             WHERE id = $4 AND status = 'prepared' AND prepared_by <> $5",
        )
        .bind(int(staff_id)?)
        .bind(staff_email)
        .bind(int(now_ms)?)
        .bind(int(id)?)
        .bind(int(staff_id)?)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for c in credits {
            sqlx::query(
                "INSERT INTO comp_credits (reference, incident_id, user_id, asset_id, class, amount, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (reference) DO NOTHING",
            )
            .bind(&c.reference)
            .bind(int(id)?)
            .bind(int(c.user)?)
            .bind(c.asset_id as i64)
            .bind(&c.class)
            .bind(int(c.amount)?)
            .bind(int(now_ms)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Notes that a credit was sent to the engine at `now_ms`.
    pub async fn comp_mark_submitted(&self, reference: &str, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE comp_credits SET submitted_ms = $1 WHERE reference = $2").bind(int(now_ms)?).bind(reference).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An incident's credits, by user and class.
    pub async fn comp_credits_of_incident(&self, id: u64) -> Result<Vec<CompCreditRow>, StoreError> {
        let rows = sqlx::query(&format!("{CREDIT_SELECT} WHERE c.incident_id = $1 ORDER BY c.user_id, c.class")).bind(int(id)?).fetch_all(&self.pool).await?;
        rows.iter().map(CompCreditRow::read).collect()
    }

    /// A customer's credits, newest first.
    pub async fn comp_credits_of_user(&self, user: u64, limit: i64) -> Result<Vec<CompCreditRow>, StoreError> {
        let rows = sqlx::query(&format!("{CREDIT_SELECT} WHERE c.user_id = $1 ORDER BY c.created_ms DESC, c.reference LIMIT $2"))
            .bind(int(user)?)
            .bind(limit.clamp(1, MAX_COMP_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CompCreditRow::read).collect()
    }
}
