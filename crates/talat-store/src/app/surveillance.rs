//! Market surveillance's tables (migration 0009): alerts with their evidence (entered once, by
//! the detector's stable id), each day's tape audit per market, the circuit breaker's actions,
//! and the facts that link accounts — a shared KYC identity, bank account, login IP or device,
//! and which customer accounts belong to staff. The rules and the JSON shapes are
//! talat-surveillance's; this module only keeps rows. Migration 0010 adds the compliance
//! cases those alerts are gathered into, with their append-only timeline.

use super::support::{insert_mail, insert_ticket, NewEvent, NewMail, NewMessage, NewTicket};
use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

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
    /// bank account, and every IP and device a customer signed in from (kept past the session).
    pub async fn surveillance_link_facts(&self) -> Result<Vec<LinkFact>, StoreError> {
        let mut facts = Vec::new();
        let queries: [(&str, &str); 4] = [
            (
                "kyc_identity",
                "SELECT DISTINCT w.user_id AS user_id, k.id_key AS link_key FROM kyc_applications k JOIN web_accounts w ON w.id = k.account_id WHERE k.id_key IS NOT NULL",
            ),
            ("bank_account", "SELECT DISTINCT user_id, bank_code || ':' || account_no AS link_key FROM fiat_bank_accounts"),
            ("ip", "SELECT DISTINCT w.user_id AS user_id, o.ip AS link_key FROM surv_session_origins o JOIN web_accounts w ON w.id = o.owner_id"),
            ("device", "SELECT DISTINCT w.user_id AS user_id, o.device AS link_key FROM surv_session_origins o JOIN web_accounts w ON w.id = o.owner_id"),
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
        // Customer sessions also leave a lasting record of where the account signed in from.
        if let (Some(ip), Some(device)) = (ip, device) {
            sqlx::query(
                "INSERT INTO surv_session_origins (owner_id, ip, device, first_ms, last_ms) \
                 SELECT owner_id, $1, $2, created_ms, created_ms FROM web_sessions WHERE token_sha256 = $3 AND kind = 'customer' \
                 ON CONFLICT (owner_id, ip, device) DO UPDATE SET last_ms = excluded.last_ms",
            )
            .bind(ip)
            .bind(device)
            .bind(token_sha256)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

// ---- cases (migration 0010) ------------------------------------------------------------------
//
// Which move a case may make from which status is `talat_surveillance::cases`; the
// store makes each move conditional on the status it leaves, in one transaction with its
// timeline entry (and, for the first move, the alerts; for a question to the customer, the
// support ticket), so two staff members racing each other change a case once and the caller
// learns whether its change was the one that happened.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    pub id: u64,
    pub title: String,
    /// `open`, `awaiting_customer`, `escalated`, `closed`.
    pub status: String,
    pub assignee_staff_id: Option<u64>,
    /// Set when closed: `no_action`, `warning`, `restricted`, `reported_to_amlo`, ….
    pub disposition: Option<String>,
    /// The support ticket that asked the customer to explain.
    pub ticket_id: Option<u64>,
    pub explain_due_ms: Option<u64>,
    pub created_by: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub version: u64,
}

const CASE_COLUMNS: &str = "id, title, status, assignee_staff_id, disposition, ticket_id, explain_due_ms, created_by, created_ms, updated_ms, version";

impl CaseRow {
    fn read(row: &AnyRow) -> Result<CaseRow, StoreError> {
        let c = Cols::new(row, "surv_cases");
        Ok(CaseRow {
            id: c.u64("id")?,
            title: c.text("title")?,
            status: c.text("status")?,
            assignee_staff_id: c.opt_u64("assignee_staff_id")?,
            disposition: c.opt_text("disposition")?,
            ticket_id: c.opt_u64("ticket_id")?,
            explain_due_ms: c.opt_u64("explain_due_ms")?,
            created_by: c.u64("created_by")?,
            created_ms: c.u64("created_ms")?,
            updated_ms: c.u64("updated_ms")?,
            version: c.u64("version")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseEventRow {
    pub id: u64,
    pub case_id: u64,
    pub ts_ms: u64,
    pub staff_id: u64,
    /// `opened`, `assigned`, `note`, `asked_customer`, `escalated`, `closed`.
    pub action: String,
    pub note: String,
    /// JSON.
    pub detail: String,
}

/// One entry for a case's timeline (its case, id and time are the store's).
#[derive(Clone, Debug)]
pub struct NewCaseEvent {
    pub staff_id: u64,
    pub action: String,
    pub note: String,
    /// JSON.
    pub detail: String,
}

/// One move of a case, applied only if the case is in one of `from`: the columns to set and
/// the timeline entry that records it.
#[derive(Clone, Debug)]
pub struct CaseChange<'a> {
    pub case_id: u64,
    pub from: &'a [&'a str],
    pub now_ms: u64,
    pub set: Vec<(&'static str, CaseSet)>,
    pub event: NewCaseEvent,
}

/// A value for one column of a case update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseSet {
    Text(String),
    Int(u64),
    Null,
}

/// The columns a [`CaseChange`] may set: not the id, the title, who opened it and when, or the
/// version and update time (the store's).
const CASE_SETTABLE: &[&str] = &["status", "assignee_staff_id", "disposition", "ticket_id", "explain_due_ms"];

/// What opening a case found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseOpened {
    Opened(CaseRow),
    /// This alert is not open (dismissed, in another case, or unknown): nothing was written.
    AlertNotOpen(String),
}

/// Moves an alert within the caller's transaction, as [`Store::surveillance_set_alert_status`]
/// does on its own; true if it was in `from`.
async fn move_alert(conn: &mut AnyConnection, id: &str, from: &str, to: &str, case_id: Option<u64>) -> Result<bool, StoreError> {
    let result = sqlx::query("UPDATE surv_alerts SET status = $1, case_id = $2 WHERE id = $3 AND status = $4")
        .bind(to)
        .bind(case_id.map(int).transpose()?)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

async fn insert_case_event(conn: &mut AnyConnection, case_id: u64, e: &NewCaseEvent, now_ms: u64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO surv_case_events (case_id, ts_ms, staff_id, action, note, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(int(case_id)?)
        .bind(int(now_ms)?)
        .bind(int(e.staff_id)?)
        .bind(e.action.as_str())
        .bind(e.note.as_str())
        .bind(e.detail.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies `change` to the case inside the caller's transaction; false if the case is not in
/// one of `change.from` (nothing written).
async fn apply_case_change(conn: &mut AnyConnection, change: &CaseChange<'_>) -> Result<bool, StoreError> {
    for (col, _) in &change.set {
        assert!(CASE_SETTABLE.contains(col), "surv_cases.{col} is not settable");
    }
    assert!(!change.from.is_empty() && change.from.len() <= 8, "a case change leaves 1 to 8 statuses");
    let mut sql = String::from("UPDATE surv_cases SET version = version + 1, updated_ms = $1");
    for (i, (col, _)) in change.set.iter().enumerate() {
        sql.push_str(&format!(", {col} = ${}", i + 2));
    }
    let n = change.set.len();
    let from: Vec<String> = (0..change.from.len()).map(|i| format!("${}", n + 3 + i)).collect();
    sql.push_str(&format!(" WHERE id = ${} AND status IN ({})", n + 2, from.join(", ")));
    let mut q = sqlx::query(&sql).bind(int(change.now_ms)?);
    for (_, v) in &change.set {
        q = match v {
            CaseSet::Text(s) => q.bind(s.clone()),
            CaseSet::Int(x) => q.bind(int(*x)?),
            CaseSet::Null => q.bind(None::<i64>),
        };
    }
    q = q.bind(int(change.case_id)?);
    for s in change.from {
        q = q.bind(*s);
    }
    if q.execute(&mut *conn).await?.rows_affected() != 1 {
        return Ok(false);
    }
    insert_case_event(conn, change.case_id, &change.event, change.now_ms).await?;
    Ok(true)
}

impl Store {
    /// Opens a case (`open`) from alerts that are all `open`, moving them `in_case` with it,
    /// and records `event` on its timeline — all or nothing.
    pub async fn surveillance_open_case(&self, title: &str, alert_ids: &[String], event: &NewCaseEvent, now_ms: u64) -> Result<CaseOpened, StoreError> {
        let now = int(now_ms)?;
        let mut tx = self.write_tx().await?;
        let row =
            sqlx::query("INSERT INTO surv_cases (title, status, created_by, created_ms, updated_ms, version) VALUES ($1, 'open', $2, $3, $4, 0) RETURNING id")
                .bind(title)
                .bind(int(event.staff_id)?)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
        let id = Cols::new(&row, "surv_cases").u64("id")?;
        for alert in alert_ids {
            if !move_alert(&mut tx, alert, "open", "in_case", Some(id)).await? {
                // Dropping the transaction rolls back the case and the alerts moved so far.
                return Ok(CaseOpened::AlertNotOpen(alert.clone()));
            }
        }
        insert_case_event(&mut tx, id, event, now_ms).await?;
        tx.commit().await?;
        let case = self.surveillance_case(id).await?.ok_or_else(|| StoreError::corrupt("surv_cases", format!("case {id} vanished after its insert")))?;
        Ok(CaseOpened::Opened(case))
    }

    /// Applies `change` if the case is in one of `change.from`; false (nothing changes) if it
    /// is not, or does not exist.
    pub async fn surveillance_change_case(&self, change: &CaseChange<'_>) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        if !apply_case_change(&mut tx, change).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Asks the customer to explain: creates the support ticket (with its first message and
    /// events, the first response stamped now: staff wrote first; assigned to `assignee`, so
    /// the support queue shows who owns the answer) and its mail (`mail`, made
    /// from the new ticket's id), then applies the case's move (`change`, made from the ticket's
    /// id, which the store also sets on the case) — one transaction, so there is no ticket
    /// without the case's move and no move without its ticket. `None` (nothing written) if the
    /// case was not in one of the move's `from` statuses.
    pub async fn surveillance_ask_customer(
        &self,
        ticket: &NewTicket,
        first: &NewMessage,
        ticket_events: &[NewEvent],
        assignee: Option<u64>,
        mail: &(dyn Fn(u64) -> Vec<NewMail> + Sync),
        change: &(dyn Fn(u64) -> CaseChange<'static> + Sync),
    ) -> Result<Option<u64>, StoreError> {
        let now = int(ticket.created_ms)?;
        let mut tx = self.write_tx().await?;
        let ticket_id = insert_ticket(&mut tx, ticket, first, &[], ticket_events).await?;
        sqlx::query("UPDATE support_tickets SET first_response_ms = $1, assignee_staff_id = $2 WHERE id = $3")
            .bind(now)
            .bind(assignee.map(int).transpose()?)
            .bind(ticket_id)
            .execute(&mut *tx)
            .await?;
        insert_mail(&mut tx, &mail(ticket_id as u64), now).await?;
        let mut change = change(ticket_id as u64);
        change.set.push(("ticket_id", CaseSet::Int(ticket_id as u64)));
        if !apply_case_change(&mut tx, &change).await? {
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(ticket_id as u64))
    }

    pub async fn surveillance_case(&self, id: u64) -> Result<Option<CaseRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM surv_cases WHERE id = $1")).bind(int(id)?).fetch_optional(&self.pool).await?;
        row.as_ref().map(CaseRow::read).transpose()
    }

    /// Cases, most recently changed first, optionally of one status.
    pub async fn surveillance_cases(&self, status: Option<&str>, limit: i64) -> Result<Vec<CaseRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM surv_cases WHERE ($1 = '' OR status = $1) ORDER BY updated_ms DESC, id DESC LIMIT $2"))
            .bind(status.unwrap_or(""))
            .bind(limit.clamp(1, MAX_SURVEILLANCE_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CaseRow::read).collect()
    }

    /// A case's timeline, oldest first.
    pub async fn surveillance_case_events(&self, case_id: u64) -> Result<Vec<CaseEventRow>, StoreError> {
        let rows = sqlx::query("SELECT id, case_id, ts_ms, staff_id, action, note, detail FROM surv_case_events WHERE case_id = $1 ORDER BY id LIMIT $2")
            .bind(int(case_id)?)
            .bind(MAX_SURVEILLANCE_ROWS * 10)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "surv_case_events");
                Ok(CaseEventRow {
                    id: c.u64("id")?,
                    case_id: c.u64("case_id")?,
                    ts_ms: c.u64("ts_ms")?,
                    staff_id: c.u64("staff_id")?,
                    action: c.text("action")?,
                    note: c.text("note")?,
                    detail: c.text("detail")?,
                })
            })
            .collect()
    }

    /// The alerts gathered in a case, oldest first.
    pub async fn surveillance_case_alerts(&self, case_id: u64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM surv_alerts WHERE case_id = $1 ORDER BY created_ms, id LIMIT $2"))
            .bind(int(case_id)?)
            .bind(MAX_SURVEILLANCE_ROWS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(AlertRow::read).collect()
    }
}
