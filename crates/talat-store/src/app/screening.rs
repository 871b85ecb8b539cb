//! Sanctions screening's tables (migration 0006): loaded lists with their entries, hits on
//! customers, and reviewers' clearances. The rules — parsing, matching, when a clearance lapses
//! — live in `talat-onboarding`; this module stores what it is given. Entries are kept as the
//! caller's JSON (one `ListEntry` per row), so the store needs no knowledge of the list model.
//!
//! Every change that belongs together is one transaction: a list with all its entries and the
//! deactivation of the list it replaces; new hits with the screening status of the customer's
//! applications; a decision on a hit (conditional on the hit still being open) with its
//! clearance or the rejection of the applications.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Most rows one screening listing returns.
pub const MAX_SCREENING_ROWS: i64 = 500;
/// Entries inserted per statement when a list is loaded (4 parameters each).
const ENTRY_INSERT_BATCH: usize = 500;
/// Entries read per statement when a list is read back.
const ENTRY_READ_BATCH: i64 = 5_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanctionsListRow {
    pub id: u64,
    pub name: String,
    /// `un_xml` or `csv`.
    pub format: String,
    /// Hex SHA-256 of the file as loaded.
    pub sha256: String,
    pub entry_count: u64,
    pub loaded_by: u64,
    pub loaded_ms: u64,
    pub active: bool,
}

const LIST_COLUMNS: &str = "id, name, format, sha256, entry_count, loaded_by, loaded_ms, active";

impl SanctionsListRow {
    fn read(row: &AnyRow) -> Result<SanctionsListRow, StoreError> {
        let c = Cols::new(row, "sanctions_lists");
        Ok(SanctionsListRow {
            id: c.u64("id")?,
            name: c.text("name")?,
            format: c.text("format")?,
            sha256: c.text("sha256")?,
            entry_count: c.u64("entry_count")?,
            loaded_by: c.u64("loaded_by")?,
            loaded_ms: c.u64("loaded_ms")?,
            active: c.bool("active")?,
        })
    }
}

/// A list about to be loaded.
#[derive(Clone, Debug)]
pub struct NewSanctionsList {
    pub name: String,
    pub format: String,
    pub sha256: String,
    pub loaded_by: u64,
    pub loaded_ms: u64,
}

/// One entry of a list: its id and version (also inside `entry`, kept apart for queries) and
/// the entry itself as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanctionsEntryRow {
    pub entity_id: String,
    pub version: u64,
    pub entry: String,
    /// The digital-currency addresses the entry names, as (currency, address) with the
    /// address trimmed and lower case. Stored beside the entry for lookups; not read back.
    pub addresses: Vec<(String, String)>,
}

/// A listed address an active list names: what a withdrawal to it is refused with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanctionedAddressRow {
    pub list_name: String,
    pub entity_id: String,
    pub entity_version: u64,
    pub currency: String,
    pub address: String,
}

/// What loading a list did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListLoad {
    /// Stored and active; the previous active list of that name (if any) is inactive now.
    Loaded { list: SanctionsListRow, replaced: Option<u64> },
    /// The same file is already the active list of that name: nothing changed.
    AlreadyActive(SanctionsListRow),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningHitRow {
    pub id: u64,
    pub account_id: u64,
    pub list_name: String,
    pub entity_id: String,
    pub entity_version: u64,
    /// The score × 1000.
    pub score_milli: u64,
    pub matched_name: String,
    /// JSON array of the matcher's reasons.
    pub reasons: String,
    /// `open`, `cleared` or `confirmed`.
    pub status: String,
    pub created_ms: u64,
    pub decided_by: Option<u64>,
    pub decision_reason: Option<String>,
    pub decided_ms: Option<u64>,
    /// The customer's email (read with the hit; `None` if the account is gone).
    pub customer_email: Option<String>,
}

const HIT_SELECT: &str = "SELECT h.id, h.account_id, h.list_name, h.entity_id, h.entity_version, h.score_milli, h.matched_name, h.reasons, \
     h.status, h.created_ms, h.decided_by, h.decision_reason, h.decided_ms, w.email AS customer_email \
     FROM screening_hits h LEFT JOIN web_accounts w ON w.id = h.account_id";

impl ScreeningHitRow {
    fn read(row: &AnyRow) -> Result<ScreeningHitRow, StoreError> {
        let c = Cols::new(row, "screening_hits");
        Ok(ScreeningHitRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            list_name: c.text("list_name")?,
            entity_id: c.text("entity_id")?,
            entity_version: c.u64("entity_version")?,
            score_milli: c.u64("score_milli")?,
            matched_name: c.text("matched_name")?,
            reasons: c.text("reasons")?,
            status: c.text("status")?,
            created_ms: c.u64("created_ms")?,
            decided_by: c.opt_u64("decided_by")?,
            decision_reason: c.opt_text("decision_reason")?,
            decided_ms: c.opt_u64("decided_ms")?,
            customer_email: c.opt_text("customer_email")?,
        })
    }
}

/// A hit found by the matcher (not yet stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewScreeningHit {
    pub list_name: String,
    pub entity_id: String,
    pub entity_version: u64,
    pub score_milli: u64,
    pub matched_name: String,
    pub reasons: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearanceRow {
    pub account_id: u64,
    pub list_name: String,
    pub entity_id: String,
    pub entity_version: u64,
    pub staff_id: u64,
    pub reason: String,
    pub ts_ms: u64,
}

impl ClearanceRow {
    fn read(row: &AnyRow) -> Result<ClearanceRow, StoreError> {
        let c = Cols::new(row, "screening_clearances");
        Ok(ClearanceRow {
            account_id: c.u64("account_id")?,
            list_name: c.text("list_name")?,
            entity_id: c.text("entity_id")?,
            entity_version: c.u64("entity_version")?,
            staff_id: c.u64("staff_id")?,
            reason: c.text("reason")?,
            ts_ms: c.u64("ts_ms")?,
        })
    }
}

const CLEARANCE_COLUMNS: &str = "account_id, list_name, entity_id, entity_version, staff_id, reason, ts_ms";

/// A customer's identity data as screened: the latest level-1 application of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningSubjectRow {
    pub application_id: u64,
    pub account_id: u64,
    /// The application's `data` JSON.
    pub data: String,
}

/// What recording one customer's screening did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Hits stored now (hits already open or confirmed for the same entry version are not).
    pub inserted: u64,
    /// The customer's open hits afterwards.
    pub open: u64,
}

/// A decision on a hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HitDecision {
    /// Applied; the hit as it is now and the customer's screening status afterwards.
    Decided {
        hit: ScreeningHitRow,
        screening_status: String,
    },
    /// The hit was decided already (by someone else, or before): nothing changed.
    AlreadyDecided(ScreeningHitRow),
    NotFound,
}

/// The screening status of an account's applications from its hits: `hit` while any is open,
/// else `confirmed` if one was confirmed, else `cleared` if one was cleared, else `clear`.
async fn derive_status(conn: &mut AnyConnection, account_id: i64) -> Result<(String, u64), StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) AS open, \
         COALESCE(SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END), 0) AS confirmed, \
         COALESCE(SUM(CASE WHEN status = 'cleared' THEN 1 ELSE 0 END), 0) AS cleared \
         FROM screening_hits WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_one(&mut *conn)
    .await?;
    let c = Cols::new(&row, "screening_hits");
    let (open, confirmed, cleared) = (c.u64("open")?, c.u64("confirmed")?, c.u64("cleared")?);
    let status = if open > 0 {
        "hit"
    } else if confirmed > 0 {
        "confirmed"
    } else if cleared > 0 {
        "cleared"
    } else {
        "clear"
    };
    Ok((status.to_string(), open))
}

/// Sets the screening status of the account's live (not rejected) applications, raising their
/// version where it changes so a reviewer's conditional update made on the old state fails.
async fn set_status(conn: &mut AnyConnection, account_id: i64, status: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE kyc_applications SET screening_status = $1, updated_ms = $2, version = version + 1 \
         WHERE account_id = $3 AND status <> 'rejected' AND screening_status <> $4",
    )
    .bind(status)
    .bind(now)
    .bind(account_id)
    .bind(status)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    // ---- lists ------------------------------------------------------------------------------

    /// Stores a list with all its entries in one transaction and makes it the active list of
    /// its name (the previous one becomes inactive). The same file (same SHA-256) already active
    /// under that name changes nothing: [`ListLoad::AlreadyActive`].
    pub async fn load_sanctions_list(&self, list: &NewSanctionsList, entries: &[SanctionsEntryRow]) -> Result<ListLoad, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {LIST_COLUMNS} FROM sanctions_lists WHERE name = $1 AND active = 1 ORDER BY id DESC");
        let active: Vec<SanctionsListRow> =
            sqlx::query(&sql).bind(list.name.as_str()).fetch_all(&mut *tx).await?.iter().map(SanctionsListRow::read).collect::<Result<_, _>>()?;
        if let Some(same) = active.iter().find(|l| l.sha256 == list.sha256) {
            return Ok(ListLoad::AlreadyActive(same.clone()));
        }
        sqlx::query("UPDATE sanctions_lists SET active = 0 WHERE name = $1 AND active = 1").bind(list.name.as_str()).execute(&mut *tx).await?;
        let row = sqlx::query(
            "INSERT INTO sanctions_lists (name, format, sha256, entry_count, loaded_by, loaded_ms, active) VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
        )
        .bind(list.name.as_str())
        .bind(list.format.as_str())
        .bind(list.sha256.as_str())
        .bind(int(entries.len() as u64)?)
        .bind(int(list.loaded_by)?)
        .bind(int(list.loaded_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "sanctions_lists").i64("id")?;
        for chunk in entries.chunks(ENTRY_INSERT_BATCH) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)).collect();
            let sql = format!("INSERT INTO sanctions_entries (list_id, entity_id, version, entry) VALUES {}", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(id).bind(e.entity_id.as_str()).bind(int(e.version)?).bind(e.entry.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        let addresses: Vec<(&str, &str, &str)> =
            entries.iter().flat_map(|e| e.addresses.iter().map(|(currency, address)| (e.entity_id.as_str(), currency.as_str(), address.as_str()))).collect();
        for chunk in addresses.chunks(ENTRY_INSERT_BATCH) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4)).collect();
            // One entry may name an address twice (in two currencies' words): keep one row.
            let sql = format!("INSERT INTO sanctioned_addresses (list_id, entity_id, currency, address) VALUES {} ON CONFLICT DO NOTHING", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for (entity_id, currency, address) in chunk {
                debug_assert_eq!(*address, address.trim().to_ascii_lowercase(), "addresses are stored normalised");
                q = q.bind(id).bind(*entity_id).bind(*currency).bind(*address);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let list =
            self.sanctions_list(id as u64).await?.ok_or_else(|| StoreError::corrupt("sanctions_lists", format!("list {id} vanished after its insert")))?;
        Ok(ListLoad::Loaded { list, replaced: active.first().map(|l| l.id) })
    }

    /// The entry of an active list that names `address` (trimmed and lower case), if any.
    pub async fn sanctioned_address(&self, address: &str) -> Result<Option<SanctionedAddressRow>, StoreError> {
        let row = sqlx::query(
            "SELECT l.name, a.entity_id, e.version, a.currency, a.address FROM sanctioned_addresses a \
             JOIN sanctions_lists l ON l.id = a.list_id AND l.active = 1 \
             JOIN sanctions_entries e ON e.list_id = a.list_id AND e.entity_id = a.entity_id \
             WHERE a.address = $1 ORDER BY a.list_id LIMIT 1",
        )
        .bind(address.trim().to_ascii_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let c = Cols::new(&row, "sanctioned_addresses");
        Ok(Some(SanctionedAddressRow {
            list_name: c.text("name")?,
            entity_id: c.text("entity_id")?,
            entity_version: c.u64("version")?,
            currency: c.text("currency")?,
            address: c.text("address")?,
        }))
    }

    pub async fn sanctions_list(&self, id: u64) -> Result<Option<SanctionsListRow>, StoreError> {
        let sql = format!("SELECT {LIST_COLUMNS} FROM sanctions_lists WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(SanctionsListRow::read).transpose()
    }

    /// Every load, newest first, at most `limit`.
    pub async fn sanctions_lists(&self, limit: i64) -> Result<Vec<SanctionsListRow>, StoreError> {
        let sql = format!("SELECT {LIST_COLUMNS} FROM sanctions_lists ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, MAX_SCREENING_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(SanctionsListRow::read).collect()
    }

    /// The active lists (one per name), by id.
    pub async fn active_sanctions_lists(&self) -> Result<Vec<SanctionsListRow>, StoreError> {
        let sql = format!("SELECT {LIST_COLUMNS} FROM sanctions_lists WHERE active = 1 ORDER BY id LIMIT $1");
        let rows = sqlx::query(&sql).bind(MAX_SCREENING_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(SanctionsListRow::read).collect()
    }

    /// Every entry of a list, by entity id (read in pages of a few thousand).
    pub async fn sanctions_entries(&self, list_id: u64) -> Result<Vec<SanctionsEntryRow>, StoreError> {
        let mut out: Vec<SanctionsEntryRow> = Vec::new();
        loop {
            let after = out.last().map(|e| e.entity_id.clone());
            let rows = match &after {
                None => {
                    sqlx::query("SELECT entity_id, version, entry FROM sanctions_entries WHERE list_id = $1 ORDER BY entity_id LIMIT $2")
                        .bind(int(list_id)?)
                        .bind(ENTRY_READ_BATCH)
                        .fetch_all(&self.pool)
                        .await?
                }
                Some(a) => {
                    sqlx::query("SELECT entity_id, version, entry FROM sanctions_entries WHERE list_id = $1 AND entity_id > $2 ORDER BY entity_id LIMIT $3")
                        .bind(int(list_id)?)
                        .bind(a.as_str())
                        .bind(ENTRY_READ_BATCH)
                        .fetch_all(&self.pool)
                        .await?
                }
            };
            let n = rows.len();
            for r in &rows {
                let c = Cols::new(r, "sanctions_entries");
                out.push(SanctionsEntryRow { entity_id: c.text("entity_id")?, version: c.u64("version")?, entry: c.text("entry")?, addresses: Vec::new() });
            }
            if (n as i64) < ENTRY_READ_BATCH {
                return Ok(out);
            }
        }
    }

    // ---- subjects ---------------------------------------------------------------------------

    /// The latest level-1 application of each account with an id above `after_account_id`, by
    /// account id, at most `limit` (≤ [`MAX_SCREENING_ROWS`]): one batch of a re-screening.
    pub async fn screening_subjects_after(&self, after_account_id: u64, limit: i64) -> Result<Vec<ScreeningSubjectRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.account_id, a.data FROM kyc_applications a WHERE a.account_id > $1 AND a.level = 1 \
             AND a.id = (SELECT MAX(b.id) FROM kyc_applications b WHERE b.account_id = a.account_id AND b.level = 1) \
             ORDER BY a.account_id LIMIT $2",
        )
        .bind(int(after_account_id)?)
        .bind(limit.clamp(0, MAX_SCREENING_ROWS))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "kyc_applications");
                Ok(ScreeningSubjectRow { application_id: c.u64("id")?, account_id: c.u64("account_id")?, data: c.text("data")? })
            })
            .collect()
    }

    /// Inserts a bare KYC application (status `submitted`, screening `clear`): for tests and
    /// tools; the level-1 route stores applications through onboarding's own functions.
    #[doc(hidden)]
    pub async fn insert_kyc_application_for_tests(&self, account_id: u64, level: u8, data: &str, now_ms: u64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO kyc_applications (account_id, level, status, data, submitted_ms, updated_ms) VALUES ($1, $2, 'submitted', $3, $4, $5) RETURNING id",
        )
        .bind(int(account_id)?)
        .bind(i64::from(level))
        .bind(data)
        .bind(int(now_ms)?)
        .bind(int(now_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Cols::new(&row, "kyc_applications").u64("id")
    }

    /// `(status, screening_status, decision_reason, version)` of one application.
    pub async fn kyc_application_screening(&self, application_id: u64) -> Result<Option<(String, String, Option<String>, u64)>, StoreError> {
        let row = sqlx::query("SELECT status, screening_status, decision_reason, version FROM kyc_applications WHERE id = $1")
            .bind(int(application_id)?)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|r| {
                let c = Cols::new(r, "kyc_applications");
                Ok((c.text("status")?, c.text("screening_status")?, c.opt_text("decision_reason")?, c.u64("version")?))
            })
            .transpose()
    }

    // ---- hits -------------------------------------------------------------------------------

    /// Records one customer's screening in one transaction: each hit not already open or
    /// confirmed for the same (list, entry, version) is stored as `open`, and the screening
    /// status of the customer's live applications follows their hits.
    pub async fn record_screening(&self, account_id: u64, hits: &[NewScreeningHit], now_ms: u64) -> Result<Recorded, StoreError> {
        let account = int(account_id)?;
        let now = int(now_ms)?;
        let mut tx = self.write_tx().await?;
        let mut inserted = 0;
        for h in hits {
            let done = sqlx::query(
                "INSERT INTO screening_hits (account_id, list_name, entity_id, entity_version, score_milli, matched_name, reasons, status, created_ms) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, 'open', $8 WHERE NOT EXISTS (SELECT 1 FROM screening_hits \
                 WHERE account_id = $9 AND list_name = $10 AND entity_id = $11 AND entity_version = $12 AND status IN ('open', 'confirmed'))",
            )
            .bind(account)
            .bind(h.list_name.as_str())
            .bind(h.entity_id.as_str())
            .bind(int(h.entity_version)?)
            .bind(int(h.score_milli)?)
            .bind(h.matched_name.as_str())
            .bind(h.reasons.as_str())
            .bind(now)
            .bind(account)
            .bind(h.list_name.as_str())
            .bind(h.entity_id.as_str())
            .bind(int(h.entity_version)?)
            .execute(&mut *tx)
            .await?;
            inserted += done.rows_affected();
        }
        let (status, open) = derive_status(&mut tx, account).await?;
        set_status(&mut tx, account, &status, now).await?;
        tx.commit().await?;
        Ok(Recorded { inserted, open })
    }

    pub async fn screening_hit(&self, id: u64) -> Result<Option<ScreeningHitRow>, StoreError> {
        let sql = format!("{HIT_SELECT} WHERE h.id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(ScreeningHitRow::read).transpose()
    }

    /// Hits with `status` (any status if `None`), oldest first, at most `limit`.
    pub async fn screening_hits(&self, status: Option<&str>, limit: i64) -> Result<Vec<ScreeningHitRow>, StoreError> {
        let limit = limit.clamp(0, MAX_SCREENING_ROWS);
        let rows = match status {
            Some(s) => {
                let sql = format!("{HIT_SELECT} WHERE h.status = $1 ORDER BY h.id LIMIT $2");
                sqlx::query(&sql).bind(s).bind(limit).fetch_all(&self.pool).await?
            }
            None => {
                let sql = format!("{HIT_SELECT} ORDER BY h.id LIMIT $1");
                sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(ScreeningHitRow::read).collect()
    }

    /// One customer's hits, oldest first.
    pub async fn screening_hits_of_account(&self, account_id: u64, limit: i64) -> Result<Vec<ScreeningHitRow>, StoreError> {
        let sql = format!("{HIT_SELECT} WHERE h.account_id = $1 ORDER BY h.id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(account_id)?).bind(limit.clamp(0, MAX_SCREENING_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(ScreeningHitRow::read).collect()
    }

    /// Clearances of the accounts `from..=to` (a re-screening batch reads them at once).
    pub async fn screening_clearances_between(&self, from_account: u64, to_account: u64) -> Result<Vec<ClearanceRow>, StoreError> {
        let sql = format!("SELECT {CLEARANCE_COLUMNS} FROM screening_clearances WHERE account_id >= $1 AND account_id <= $2 ORDER BY account_id, ts_ms");
        let rows = sqlx::query(&sql).bind(int(from_account)?).bind(int(to_account)?).fetch_all(&self.pool).await?;
        rows.iter().map(ClearanceRow::read).collect()
    }

    /// Clears an open hit (a false positive): the hit becomes `cleared`, a clearance is kept
    /// for (account, list, entry, version), and the applications' screening status follows —
    /// one transaction, applied only if the hit is still open.
    pub async fn clear_screening_hit(&self, id: u64, staff_id: u64, reason: &str, now_ms: u64) -> Result<HitDecision, StoreError> {
        self.decide(id, "cleared", staff_id, reason, now_ms).await
    }

    /// Confirms an open hit (a true match): the hit becomes `confirmed`, and every live
    /// application of the customer is rejected with screening status `confirmed` (with an
    /// event) — one transaction, applied only if the hit is still open. Locking the account is
    /// the caller's (it needs the engine).
    pub async fn confirm_screening_hit(&self, id: u64, staff_id: u64, reason: &str, now_ms: u64) -> Result<HitDecision, StoreError> {
        self.decide(id, "confirmed", staff_id, reason, now_ms).await
    }

    async fn decide(&self, id: u64, to: &str, staff_id: u64, reason: &str, now_ms: u64) -> Result<HitDecision, StoreError> {
        let Some(hit) = self.screening_hit(id).await? else { return Ok(HitDecision::NotFound) };
        let status = {
            let now = int(now_ms)?;
            let staff = int(staff_id)?;
            let account = int(hit.account_id)?;
            let mut tx = self.write_tx().await?;
            let done =
                sqlx::query("UPDATE screening_hits SET status = $1, decided_by = $2, decision_reason = $3, decided_ms = $4 WHERE id = $5 AND status = 'open'")
                    .bind(to)
                    .bind(staff)
                    .bind(reason)
                    .bind(now)
                    .bind(int(id)?)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() != 1 {
                drop(tx);
                let now_hit = self.screening_hit(id).await?.ok_or_else(|| StoreError::corrupt("screening_hits", format!("hit {id} vanished")))?;
                return Ok(HitDecision::AlreadyDecided(now_hit));
            }
            let status = if to == "cleared" {
                remember_clearance(&mut tx, &hit, account, staff, reason, now).await?
            } else {
                reject_applications(&mut tx, &hit, account, staff, reason, now).await?
            };
            tx.commit().await?;
            status
        };
        let hit = self.screening_hit(id).await?.ok_or_else(|| StoreError::corrupt("screening_hits", format!("hit {id} vanished")))?;
        Ok(HitDecision::Decided { hit, screening_status: status })
    }
}

/// A cleared hit: the clearance is remembered (for this entry version) and the customer's
/// screening status derived again. Returns the new status.
async fn remember_clearance(conn: &mut AnyConnection, hit: &ScreeningHitRow, account: i64, staff: i64, reason: &str, now: i64) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO screening_clearances (account_id, list_name, entity_id, entity_version, staff_id, reason, ts_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account_id, list_name, entity_id, entity_version) DO NOTHING",
    )
    .bind(account)
    .bind(hit.list_name.as_str())
    .bind(hit.entity_id.as_str())
    .bind(int(hit.entity_version)?)
    .bind(staff)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let (status, _) = derive_status(conn, account).await?;
    set_status(conn, account, &status, now).await?;
    Ok(status)
}

/// A confirmed hit: every live application of the customer is rejected, each with its event.
async fn reject_applications(conn: &mut AnyConnection, hit: &ScreeningHitRow, account: i64, staff: i64, reason: &str, now: i64) -> Result<String, StoreError> {
    let live: Vec<i64> = sqlx::query("SELECT id FROM kyc_applications WHERE account_id = $1 AND status <> 'rejected' ORDER BY id")
        .bind(account)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Cols::new(r, "kyc_applications").i64("id"))
        .collect::<Result<_, _>>()?;
    let why = format!("sanctions screening: hit {} on {} entry {} confirmed: {reason}", hit.id, hit.list_name, hit.entity_id);
    sqlx::query(
        "UPDATE kyc_applications SET status = 'rejected', screening_status = 'confirmed', decision_reason = $1, decided_by_staff_id = $2, \
         decided_ms = $3, updated_ms = $4, version = version + 1 WHERE account_id = $5 AND status <> 'rejected'",
    )
    .bind(why.as_str())
    .bind(staff)
    .bind(now)
    .bind(now)
    .bind(account)
    .execute(&mut *conn)
    .await?;
    for app in live {
        sqlx::query("INSERT INTO kyc_events (application_id, ts_ms, actor, actor_id, kind, detail) VALUES ($1, $2, 'staff', $3, 'screening.confirmed', $4)")
            .bind(app)
            .bind(now)
            .bind(staff)
            .bind(why.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok("confirmed".to_string())
}
