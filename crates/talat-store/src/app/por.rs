//! Proof of reserves' tables (migration 0015): each customer's secret salt (made once), each
//! published report (root hash, totals, leaf count), and each report's leaves exactly as
//! published, so a customer's proof can be rebuilt for the report they are shown. The tree and
//! its format are `talat-por`'s; this module stores what it is given.
//!
//! Amounts and asset codes are stored as JSON arrays of strings (`["THB","BTC"]`,
//! `["100","0"]`): sums of 64-bit balances outgrow a BIGINT, and a browser reads amounts as
//! strings anyway. The arrays are written and read here, strictly, without a JSON library.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// Reports whose leaves are kept (a month of daily reports); older reports keep their row
/// (root and totals stay published) but lose their leaves.
pub const POR_KEEP_LEAF_REPORTS: i64 = 31;
/// Leaves per INSERT statement (3 parameters each: far below SQLite's 32,766).
pub const POR_LEAF_BATCH: usize = 500;
/// Most reports one listing returns, and most rows one page of salts or leaves.
pub const MAX_POR_REPORTS: i64 = 400;
pub const MAX_POR_PAGE: i64 = 10_000;
/// Bytes of a salt (`talat_por::Salt`).
pub const POR_SALT_BYTES: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PorReportRow {
    pub id: u64,
    /// When the balances were read.
    pub as_of_ms: u64,
    /// Asset codes in the tree's order.
    pub assets: Vec<String>,
    pub root_hash_hex: String,
    /// Per asset, in smallest units, as decimal strings.
    pub totals: Vec<String>,
    pub leaf_count: u64,
    pub published_ms: u64,
    /// The staff member who published it; `None` for the daily job.
    pub published_by: Option<u64>,
    /// The assets side (JSON, written by [`Store::set_por_reserves`]); `None` until then.
    pub reserves: Option<String>,
}

/// One customer's balances in one report, in the report's asset order (smallest units).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PorLeafRow {
    pub user_id: u64,
    pub balances: Vec<u64>,
}

const REPORT_COLUMNS: &str = "id, as_of_ms, assets, root_hash_hex, totals, leaf_count, published_ms, published_by, reserves";

impl PorReportRow {
    fn read(row: &AnyRow) -> Result<PorReportRow, StoreError> {
        let c = Cols::new(row, "por_reports");
        let strings =
            |col: &str| parse_strings(&c.text(col)?).ok_or_else(|| StoreError::corrupt("por_reports", format!("{col} is not a JSON array of strings")));
        Ok(PorReportRow {
            id: c.u64("id")?,
            as_of_ms: c.u64("as_of_ms")?,
            assets: strings("assets")?,
            root_hash_hex: c.text("root_hash_hex")?,
            totals: strings("totals")?,
            leaf_count: c.u64("leaf_count")?,
            published_ms: c.u64("published_ms")?,
            published_by: c.opt_u64("published_by")?,
            reserves: c.opt_text("reserves")?,
        })
    }
}

/// `["a","b"]` from strings that need no escaping (asset codes, decimal digits).
pub(crate) fn json_strings<T: std::fmt::Display>(values: &[T]) -> String {
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        let text = v.to_string();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()), "only codes and digits are stored unescaped: {text:?}");
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&text);
        out.push('"');
    }
    out.push(']');
    out
}

/// The inverse of [`json_strings`]; `None` for anything it would not have written.
pub(crate) fn parse_strings(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let s = item.strip_prefix('"')?.strip_suffix('"')?;
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| s.to_string())
        })
        .collect()
}

fn read_leaf(row: &AnyRow) -> Result<PorLeafRow, StoreError> {
    let c = Cols::new(row, "por_leaves");
    let bad = || StoreError::corrupt("por_leaves", "balances is not a JSON array of decimal strings");
    let balances = parse_strings(&c.text("balances")?).ok_or_else(bad)?.iter().map(|s| s.parse::<u64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    Ok(PorLeafRow { user_id: c.u64("user_id")?, balances })
}

impl Store {
    /// Stores salts for customers who have none yet, in one transaction; a salt already stored
    /// is kept (a customer's salt is made once). Returns how many were new.
    pub async fn insert_por_salts(&self, salts: &[(u64, [u8; POR_SALT_BYTES])], now_ms: u64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut inserted = 0;
        for (user_id, salt) in salts {
            let done = sqlx::query("INSERT INTO por_salts (user_id, salt, created_ms) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING")
                .bind(int(*user_id)?)
                .bind(salt.to_vec())
                .bind(int(now_ms)?)
                .execute(&mut *tx)
                .await?;
            inserted += done.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// One page of salts, by user id, after `after_user` (`None`: from the start).
    pub async fn por_salts_page(&self, after_user: Option<u64>, limit: i64) -> Result<Vec<(u64, [u8; POR_SALT_BYTES])>, StoreError> {
        let after = after_user.map(int).transpose()?.unwrap_or(-1);
        let rows = sqlx::query("SELECT user_id, salt FROM por_salts WHERE user_id > $1 ORDER BY user_id LIMIT $2")
            .bind(after)
            .bind(limit.clamp(0, MAX_POR_PAGE))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "por_salts");
                let salt = c.bytes("salt")?;
                let salt = <[u8; POR_SALT_BYTES]>::try_from(salt.as_slice())
                    .map_err(|_| StoreError::corrupt("por_salts", format!("a salt of {} bytes", salt.len())))?;
                Ok((c.u64("user_id")?, salt))
            })
            .collect()
    }

    /// Writes a report and its leaves in one transaction (leaves in batches of
    /// [`POR_LEAF_BATCH`]), then drops the leaves of reports older than the newest
    /// [`POR_KEEP_LEAF_REPORTS`]. The report row's `id` is ignored; the new id is returned.
    /// Records a report's assets side (once: a report's reserves are not rewritten).
    pub async fn set_por_reserves(&self, report_id: u64, reserves_json: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE por_reports SET reserves = $1 WHERE id = $2 AND reserves IS NULL")
            .bind(reserves_json)
            .bind(int(report_id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_por_report(&self, report: &PorReportRow, leaves: &[PorLeafRow]) -> Result<u64, StoreError> {
        assert_eq!(report.leaf_count, leaves.len() as u64, "a report lists as many leaves as it counts");
        assert_eq!(report.assets.len(), report.totals.len(), "one total per asset");
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO por_reports (as_of_ms, assets, root_hash_hex, totals, leaf_count, published_ms, published_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(int(report.as_of_ms)?)
        .bind(json_strings(&report.assets))
        .bind(report.root_hash_hex.as_str())
        .bind(json_strings(&report.totals))
        .bind(int(report.leaf_count)?)
        .bind(int(report.published_ms)?)
        .bind(report.published_by.map(int).transpose()?)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "por_reports").u64("id")?;
        for batch in leaves.chunks(POR_LEAF_BATCH) {
            let mut sql = String::with_capacity(64 + batch.len() * 20);
            sql.push_str("INSERT INTO por_leaves (report_id, user_id, balances) VALUES ");
            for i in 0..batch.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let p = i * 3;
                sql.push_str(&format!("(${}, ${}, ${})", p + 1, p + 2, p + 3));
            }
            let mut query = sqlx::query(&sql);
            for leaf in batch {
                assert_eq!(leaf.balances.len(), report.assets.len(), "one balance per asset");
                query = query.bind(int(id)?).bind(int(leaf.user_id)?).bind(json_strings(&leaf.balances));
            }
            query.execute(&mut *tx).await?;
        }
        // The newest reports keep their leaves; the subquery is NULL (nothing deleted) until
        // there are more reports than that.
        sqlx::query("DELETE FROM por_leaves WHERE report_id <= (SELECT id FROM por_reports ORDER BY id DESC LIMIT 1 OFFSET $1)")
            .bind(POR_KEEP_LEAF_REPORTS)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reports, newest first.
    pub async fn por_reports(&self, limit: i64) -> Result<Vec<PorReportRow>, StoreError> {
        let sql = format!("SELECT {REPORT_COLUMNS} FROM por_reports ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, MAX_POR_REPORTS)).fetch_all(&self.pool).await?;
        rows.iter().map(PorReportRow::read).collect()
    }

    pub async fn por_report(&self, id: u64) -> Result<Option<PorReportRow>, StoreError> {
        let sql = format!("SELECT {REPORT_COLUMNS} FROM por_reports WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(PorReportRow::read).transpose()
    }

    /// Replaces a report's assets side with `new_json` if it is still `old_json` (a cold
    /// address's proof of control attached to it); false if it changed meanwhile.
    pub async fn replace_por_reserves(&self, report_id: u64, old_json: &str, new_json: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE por_reports SET reserves = $1 WHERE id = $2 AND reserves = $3")
            .bind(new_json)
            .bind(int(report_id)?)
            .bind(old_json)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn latest_por_report(&self) -> Result<Option<PorReportRow>, StoreError> {
        Ok(self.por_reports(1).await?.into_iter().next())
    }

    /// One customer's leaf in a report, if they are in it (and its leaves are still kept).
    pub async fn por_leaf(&self, report_id: u64, user_id: u64) -> Result<Option<PorLeafRow>, StoreError> {
        sqlx::query("SELECT user_id, balances FROM por_leaves WHERE report_id = $1 AND user_id = $2")
            .bind(int(report_id)?)
            .bind(int(user_id)?)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(read_leaf)
            .transpose()
    }

    /// One page of a report's leaves, by user id, after `after_user` (`None`: from the start).
    pub async fn por_leaves_page(&self, report_id: u64, after_user: Option<u64>, limit: i64) -> Result<Vec<PorLeafRow>, StoreError> {
        let after = after_user.map(int).transpose()?.unwrap_or(-1);
        let rows = sqlx::query("SELECT user_id, balances FROM por_leaves WHERE report_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3")
            .bind(int(report_id)?)
            .bind(after)
            .bind(limit.clamp(0, MAX_POR_PAGE))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_leaf).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_arrays_round_trip_and_refuse_what_was_not_written() {
        assert_eq!(json_strings(&["THB", "BTC"]), r#"["THB","BTC"]"#);
        assert_eq!(parse_strings(r#"["100","0"]"#), Some(vec!["100".to_string(), "0".to_string()]));
        assert_eq!(parse_strings("[]"), Some(vec![]));
        for bad in ["", "[", r#"["a"]x"#, r#"["a b"]"#, r#"["a",]"#, r#"[""]"#, r#"["-5"]"#] {
            assert_eq!(parse_strings(bad), None, "{bad}");
        }
    }
}
