//! Market surveillance's tables (migration 0009): alerts with their evidence (entered once, by
//! the detector's stable id), each day's tape audit per market, the circuit breaker's actions,
//! and the facts that link accounts — a shared KYC identity, bank account, login IP or device,
//! and which customer accounts belong to staff. The rules and the JSON shapes are
//! talat-surveillance's; this module only keeps rows.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// The most rows one list read returns.
pub const MAX_SURVEILLANCE_ROWS: i64 = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    pub id: String,
    pub detector: String,
    pub symbol: String,
    /// JSON array of engine user ids.
    pub accounts: String,
    pub from_ts_ms: u64,
    pub to_ts_ms: u64,
    pub seq: u64,
    pub summary: String,
    /// JSON.
    pub figures: String,
    pub evidence: String,
    pub status: String,
    pub case_id: Option<u64>,
    pub created_ms: u64,
}

const ALERT_COLUMNS: &str = "id, detector, symbol, accounts, from_ts_ms, to_ts_ms, seq, summary, figures, evidence, status, case_id, created_ms";

impl AlertRow {
    fn read(row: &AnyRow) -> Result<AlertRow, StoreError> {
        let c = Cols::new(row, "surv_alerts");
        Ok(AlertRow {
            id: c.text("id")?,
            detector: c.text("detector")?,
            symbol: c.text("symbol")?,
            accounts: c.text("accounts")?,
            from_ts_ms: c.u64("from_ts_ms")?,
            to_ts_ms: c.u64("to_ts_ms")?,
            seq: c.u64("seq")?,
            summary: c.text("summary")?,
            figures: c.text("figures")?,
            evidence: c.text("evidence")?,
            status: c.text("status")?,
            case_id: c.opt_u64("case_id")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakerActionRow {
    pub id: u64,
    pub symbol: String,
    pub mode: String,
    pub reason: String,
    pub at_ms: u64,
}

/// One fact linking an account to a key others may share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFact {
    pub user: u32,
    /// `kyc_identity`, `bank_account`, `ip`, `device`.
    pub kind: String,
    pub key: String,
}

/// The most session rows read for IP and device links (the newest).
const MAX_SESSION_FACTS: i64 = 100_000;

impl Store {
    /// Stores alerts; one already stored (same id) is left as it is. Returns how many were new.
    pub async fn surveillance_record_alerts(&self, alerts: &[AlertRow]) -> Result<usize, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut added = 0;
        for a in alerts {
            let result = sqlx::query(&format!(
                "INSERT INTO surv_alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING"
            ))
            .bind(&a.id)
            .bind(&a.detector)
            .bind(&a.symbol)
            .bind(&a.accounts)
            .bind(int(a.from_ts_ms)?)
            .bind(int(a.to_ts_ms)?)
            .bind(int(a.seq)?)
            .bind(&a.summary)
            .bind(&a.figures)
            .bind(&a.evidence)
            .bind(&a.status)
            .bind(a.case_id.map(int).transpose()?)
            .bind(int(a.created_ms)?)
            .execute(&mut *tx)
            .await?;
            added += result.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn surveillance_alert(&self, id: &str) -> Result<Option<AlertRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM surv_alerts WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(AlertRow::read).transpose()
    }

    /// Alerts, newest first, optionally of one status and one detector.
    pub async fn surveillance_alerts(&self, status: Option<&str>, detector: Option<&str>, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ALERT_COLUMNS} FROM surv_alerts WHERE ($1 = '' OR status = $1) AND ($2 = '' OR detector = $2) ORDER BY created_ms DESC, id LIMIT $3"
        ))
        .bind(status.unwrap_or(""))
        .bind(detector.unwrap_or(""))
        .bind(limit.clamp(1, MAX_SURVEILLANCE_ROWS))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(AlertRow::read).collect()
    }

    /// Moves an alert from `from` to `to` status (and case); false when it was not in `from`.
    pub async fn surveillance_set_alert_status(&self, id: &str, from: &str, to: &str, case_id: Option<u64>) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let result = sqlx::query("UPDATE surv_alerts SET status = $1, case_id = $2 WHERE id = $3 AND status = $4")
            .bind(to)
            .bind(case_id.map(int).transpose()?)
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Stores a day's audit of a market, replacing an earlier one of the same day.
    pub async fn surveillance_record_audit(&self, symbol: &str, day: u64, report_json: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO surv_audits (symbol, day, report) VALUES ($1, $2, $3) ON CONFLICT (symbol, day) DO UPDATE SET report = excluded.report")
            .bind(symbol)
            .bind(int(day)?)
            .bind(report_json)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stored audits (symbol, day, JSON), newest day first.
    pub async fn surveillance_audits(&self, limit: i64) -> Result<Vec<(String, u64, String)>, StoreError> {
        let rows = sqlx::query("SELECT symbol, day, report FROM surv_audits ORDER BY day DESC, symbol LIMIT $1")
            .bind(limit.clamp(1, MAX_SURVEILLANCE_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "surv_audits");
                Ok((c.text("symbol")?, c.u64("day")?, c.text("report")?))
            })
            .collect()
    }

    pub async fn surveillance_record_action(&self, symbol: &str, mode: &str, reason: &str, at_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO surv_breaker_actions (symbol, mode, reason, at_ms) VALUES ($1, $2, $3, $4)")
            .bind(symbol)
            .bind(mode)
            .bind(reason)
            .bind(int(at_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The circuit breaker's actions, newest first.
    pub async fn surveillance_actions(&self, limit: i64) -> Result<Vec<BreakerActionRow>, StoreError> {
        let rows = sqlx::query("SELECT id, symbol, mode, reason, at_ms FROM surv_breaker_actions ORDER BY id DESC LIMIT $1")
            .bind(limit.clamp(1, MAX_SURVEILLANCE_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "surv_breaker_actions");
                Ok(BreakerActionRow { id: c.u64("id")?, symbol: c.text("symbol")?, mode: c.text("mode")?, reason: c.text("reason")?, at_ms: c.u64("at_ms")? })
            })
            .collect()
    }

    /// Every fact that can link two accounts: the KYC identity key of each application, each
    /// bank account, and the IP and device of customer sessions.
    pub async fn surveillance_link_facts(&self) -> Result<Vec<LinkFact>, StoreError> {
        let mut facts = Vec::new();
        let queries: [(&str, &str); 4] = [
            (
                "kyc_identity",
                "SELECT DISTINCT w.user_id AS user_id, k.id_key AS link_key FROM kyc_applications k JOIN web_accounts w ON w.id = k.account_id WHERE k.id_key IS NOT NULL",
            ),
            ("bank_account", "SELECT DISTINCT user_id, bank_code || ':' || account_no AS link_key FROM fiat_bank_accounts"),
            ("ip", "SELECT DISTINCT w.user_id AS user_id, s.ip AS link_key FROM web_sessions s JOIN web_accounts w ON w.id = s.owner_id WHERE s.kind = 'customer' AND s.ip IS NOT NULL"),
            (
                "device",
                "SELECT DISTINCT w.user_id AS user_id, s.device AS link_key FROM web_sessions s JOIN web_accounts w ON w.id = s.owner_id WHERE s.kind = 'customer' AND s.device IS NOT NULL",
            ),
        ];
        for (kind, sql) in queries {
            let rows = sqlx::query(&format!("{sql} LIMIT $1")).bind(MAX_SESSION_FACTS).fetch_all(&self.pool).await?;
            for row in &rows {
                let c = Cols::new(row, "link facts");
                let user = u32::try_from(c.u64("user_id")?).map_err(|_| StoreError::corrupt("link facts", "a user id above u32"))?;
                facts.push(LinkFact { user, kind: kind.to_string(), key: c.text("link_key")? });
            }
        }
        Ok(facts)
    }

    /// Engine user ids of customer accounts that share their email with a staff member.
    pub async fn surveillance_staff_users(&self) -> Result<Vec<u32>, StoreError> {
        let rows = sqlx::query("SELECT w.user_id AS user_id FROM web_accounts w JOIN staff s ON lower(s.email) = lower(w.email) ORDER BY w.user_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let id = Cols::new(row, "staff users").u64("user_id")?;
                u32::try_from(id).map_err(|_| StoreError::corrupt("link facts", "a user id above u32"))
            })
            .collect()
    }

    /// Records where a customer session came from (for IP and device links).
    pub async fn set_session_origin(&self, token_sha256: &str, ip: Option<&str>, device: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_sessions SET ip = $1, device = $2 WHERE token_sha256 = $3").bind(ip).bind(device).bind(token_sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
