//! Onboarding's tables (migration 0006) as the KYC routes use them: email verification tokens
//! (only their SHA-256), uploaded documents' descriptions, KYC applications with their
//! append-only events, knowledge-test attempts, and — read only — the screening hits of a
//! customer (written by the screening module). The rules live in `talat-onboarding` and the web
//! routes; this module stores what it is given, and every change that belongs together (an
//! application, its documents, its first event; a decision, its event, the account's level and
//! the customer's mail) is one transaction.

use super::support::{NewMail, Set};
use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Most rows one onboarding listing returns.
pub const MAX_KYC_ROWS: i64 = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycApplicationRow {
    pub id: u64,
    pub account_id: u64,
    pub level: u8,
    /// `submitted`, `more_info`, `approved`, `rejected`.
    pub status: String,
    /// The normalised form as JSON.
    pub data: String,
    pub id_key: Option<String>,
    pub idv_provider: Option<String>,
    pub idv_outcome: Option<String>,
    pub idv_evidence: Option<String>,
    /// `clear`, `hit`, `cleared`, `confirmed`.
    pub screening_status: String,
    pub risk_rating: Option<String>,
    pub risk_factors: Option<String>,
    pub assignee_staff_id: Option<u64>,
    pub first_approver_staff_id: Option<u64>,
    pub decided_by_staff_id: Option<u64>,
    pub decision_reason: Option<String>,
    pub submitted_ms: u64,
    pub updated_ms: u64,
    pub decided_ms: Option<u64>,
    pub version: u64,
}

const APPLICATION_COLUMNS: &str = "id, account_id, level, status, data, id_key, idv_provider, idv_outcome, idv_evidence, screening_status, \
     risk_rating, risk_factors, assignee_staff_id, first_approver_staff_id, decided_by_staff_id, decision_reason, submitted_ms, updated_ms, \
     decided_ms, version";

impl KycApplicationRow {
    fn read(row: &AnyRow) -> Result<KycApplicationRow, StoreError> {
        let c = Cols::new(row, "kyc_applications");
        Ok(KycApplicationRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            level: c.u32("level")?.try_into().map_err(|_| StoreError::corrupt("kyc_applications", "level above 255"))?,
            status: c.text("status")?,
            data: c.text("data")?,
            id_key: c.opt_text("id_key")?,
            idv_provider: c.opt_text("idv_provider")?,
            idv_outcome: c.opt_text("idv_outcome")?,
            idv_evidence: c.opt_text("idv_evidence")?,
            screening_status: c.text("screening_status")?,
            risk_rating: c.opt_text("risk_rating")?,
            risk_factors: c.opt_text("risk_factors")?,
            assignee_staff_id: c.opt_u64("assignee_staff_id")?,
            first_approver_staff_id: c.opt_u64("first_approver_staff_id")?,
            decided_by_staff_id: c.opt_u64("decided_by_staff_id")?,
            decision_reason: c.opt_text("decision_reason")?,
            submitted_ms: c.u64("submitted_ms")?,
            updated_ms: c.u64("updated_ms")?,
            decided_ms: c.opt_u64("decided_ms")?,
            version: c.u64("version")?,
        })
    }
}

/// A new application (its id, version and timestamps are the store's).
#[derive(Clone, Debug, Default)]
pub struct NewKycApplication {
    pub account_id: u64,
    pub level: u8,
    pub data: String,
    pub id_key: Option<String>,
    pub idv_provider: Option<String>,
    pub idv_outcome: Option<String>,
    pub idv_evidence: Option<String>,
    pub screening_status: String,
    pub risk_rating: Option<String>,
    pub risk_factors: Option<String>,
    pub submitted_ms: u64,
}

/// What [`Store::create_kyc_application`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KycCreate {
    Created(Box<KycApplicationRow>),
    /// The account already has an application of this level under review (or approved).
    AlreadyOpen,
    /// Another account's live application has the same `id_key`.
    DuplicateIdentity,
    /// A document is not the account's, or is already part of another application.
    DocumentUnavailable(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycDocumentRow {
    pub id: u64,
    pub account_id: u64,
    pub application_id: Option<u64>,
    /// `id_photo`, `selfie`, `income`, `asset`.
    pub purpose: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub created_ms: u64,
}

const DOCUMENT_COLUMNS: &str = "id, account_id, application_id, purpose, content_type, sha256, size_bytes, width, height, created_ms";

impl KycDocumentRow {
    fn read(row: &AnyRow) -> Result<KycDocumentRow, StoreError> {
        let c = Cols::new(row, "kyc_documents");
        Ok(KycDocumentRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            application_id: c.opt_u64("application_id")?,
            purpose: c.text("purpose")?,
            content_type: c.text("content_type")?,
            sha256: c.text("sha256")?,
            size_bytes: c.u64("size_bytes")?,
            width: c.opt_u64("width")?,
            height: c.opt_u64("height")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewKycDocument {
    pub account_id: u64,
    pub purpose: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub created_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycEventRow {
    pub id: u64,
    pub application_id: u64,
    pub ts_ms: u64,
    /// `customer`, `staff` or `system`.
    pub actor: String,
    pub actor_id: u64,
    pub kind: String,
    pub detail: String,
}

impl KycEventRow {
    fn read(row: &AnyRow) -> Result<KycEventRow, StoreError> {
        let c = Cols::new(row, "kyc_events");
        Ok(KycEventRow {
            id: c.u64("id")?,
            application_id: c.u64("application_id")?,
            ts_ms: c.u64("ts_ms")?,
            actor: c.text("actor")?,
            actor_id: c.u64("actor_id")?,
            kind: c.text("kind")?,
            detail: c.text("detail")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewKycEvent {
    pub actor: String,
    pub actor_id: u64,
    pub kind: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnowledgeResultRow {
    pub id: u64,
    pub account_id: u64,
    pub test_version: String,
    pub score_pct: u8,
    pub passed: bool,
    /// The answers given, as JSON.
    pub answers: String,
    pub ts_ms: u64,
}

impl KnowledgeResultRow {
    fn read(row: &AnyRow) -> Result<KnowledgeResultRow, StoreError> {
        let c = Cols::new(row, "knowledge_results");
        Ok(KnowledgeResultRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            test_version: c.text("test_version")?,
            score_pct: c.u32("score_pct")?.min(100) as u8,
            passed: c.bool("passed")?,
            answers: c.text("answers")?,
            ts_ms: c.u64("ts_ms")?,
        })
    }
}

/// One change to an application, applied only if it is still at `expect_version`: the new
/// column values, its events, the account's new level / risk rating, and the customer's mail —
/// all in one transaction.
#[derive(Clone, Debug, Default)]
pub struct KycChange {
    pub application_id: u64,
    pub expect_version: u64,
    pub now_ms: u64,
    /// Columns to set (names from a fixed list; checked).
    pub set: Vec<(&'static str, Set)>,
    pub events: Vec<NewKycEvent>,
    pub mail: Vec<NewMail>,
    /// `(rating, next_review_ms)` recorded on the application's account.
    pub account_risk: Option<(String, Option<u64>)>,
    /// Documents (the account's own, not yet in another application) attached to it.
    pub attach_documents: Vec<u64>,
}

/// The columns a [`KycChange`] may set.
const SETTABLE: &[&str] = &[
    "status",
    "screening_status",
    "risk_rating",
    "risk_factors",
    "assignee_staff_id",
    "first_approver_staff_id",
    "decided_by_staff_id",
    "decision_reason",
    "decided_ms",
    "idv_outcome",
    "idv_evidence",
];

/// Counts of the review queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KycCounts {
    pub submitted: u64,
    pub more_info: u64,
    pub approved: u64,
    pub rejected: u64,
}

async fn insert_events(conn: &mut AnyConnection, application_id: i64, events: &[NewKycEvent], now: i64) -> Result<(), StoreError> {
    for e in events {
        sqlx::query("INSERT INTO kyc_events (application_id, ts_ms, actor, actor_id, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(application_id)
            .bind(now)
            .bind(e.actor.as_str())
            .bind(int(e.actor_id)?)
            .bind(e.kind.as_str())
            .bind(e.detail.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

use super::support::insert_mail;

/// Attaches the account's free documents to an application; false if one is not available.
async fn attach(conn: &mut AnyConnection, application_id: i64, account_id: i64, documents: &[u64]) -> Result<Option<u64>, StoreError> {
    for &d in documents {
        let n = sqlx::query("UPDATE kyc_documents SET application_id = $1 WHERE id = $2 AND account_id = $3 AND application_id IS NULL")
            .bind(application_id)
            .bind(int(d)?)
            .bind(account_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if n != 1 {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

impl Store {
    // ---- email verification ----------------------------------------------------------------

    /// Stores a verification token's hash and queues its mail, in one transaction.
    pub async fn create_email_verification(&self, account_id: u64, token_sha256: &str, now_ms: u64, mail: &NewMail) -> Result<(), StoreError> {
        let now = int(now_ms)?;
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO email_verifications (token_sha256, account_id, created_ms) VALUES ($1, $2, $3)")
            .bind(token_sha256)
            .bind(int(account_id)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_mail(&mut tx, std::slice::from_ref(mail), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// When the account's latest verification token was made (for the resend rate limit).
    pub async fn last_email_verification_ms(&self, account_id: u64) -> Result<Option<u64>, StoreError> {
        let row =
            sqlx::query("SELECT MAX(created_ms) AS last FROM email_verifications WHERE account_id = $1").bind(int(account_id)?).fetch_one(&self.pool).await?;
        Cols::new(&row, "email_verifications").opt_u64("last")
    }

    /// Uses the account's token (unused, made at or after `not_before_ms`) and marks its email
    /// verified (the first verification time stays). False for a wrong, used or expired token.
    pub async fn use_email_verification(&self, account_id: u64, token_sha256: &str, not_before_ms: u64, now_ms: u64) -> Result<bool, StoreError> {
        let now = int(now_ms)?;
        let account = int(account_id)?;
        let mut tx = self.write_tx().await?;
        let used =
            sqlx::query("UPDATE email_verifications SET used_ms = $1 WHERE token_sha256 = $2 AND account_id = $3 AND used_ms IS NULL AND created_ms >= $4")
                .bind(now)
                .bind(token_sha256)
                .bind(account)
                .bind(int(not_before_ms)?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if used != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE web_accounts SET email_verified_ms = COALESCE(email_verified_ms, $1) WHERE id = $2")
            .bind(now)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    // ---- account level and admission ------------------------------------------------------

    /// Records the account's KYC level (the engine's limits are set by the caller first).
    pub async fn set_kyc_level(&self, account_id: u64, level: u8) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_accounts SET kyc_level = $1 WHERE id = $2").bind(i64::from(level)).bind(int(account_id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks an account admitted at `now_ms` if it is not yet (tests and tooling; the admission
    /// policy has its own writes). True if it changed.
    pub async fn kyc_mark_admitted(&self, account_id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("UPDATE web_accounts SET admitted_ms = $1 WHERE id = $2 AND admitted_ms IS NULL")
            .bind(int(now_ms)?)
            .bind(int(account_id)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    // ---- documents --------------------------------------------------------------------------

    pub async fn insert_kyc_document(&self, d: &NewKycDocument) -> Result<KycDocumentRow, StoreError> {
        let id = {
            let mut tx = self.write_tx().await?;
            let row = sqlx::query("INSERT INTO kyc_documents (account_id, purpose, content_type, sha256, size_bytes, width, height, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(int(d.account_id)?)
                .bind(d.purpose.as_str())
                .bind(d.content_type.as_str())
                .bind(d.sha256.as_str())
                .bind(int(d.size_bytes)?)
                .bind(d.width.map(int).transpose()?)
                .bind(d.height.map(int).transpose()?)
                .bind(int(d.created_ms)?)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Cols::new(&row, "kyc_documents").u64("id")?
        };
        self.kyc_document(id).await?.ok_or_else(|| StoreError::corrupt("kyc_documents", format!("document {id} vanished after its insert")))
    }

    pub async fn kyc_document(&self, id: u64) -> Result<Option<KycDocumentRow>, StoreError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM kyc_documents WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(KycDocumentRow::read).transpose()
    }

    pub async fn kyc_documents_of_application(&self, application_id: u64) -> Result<Vec<KycDocumentRow>, StoreError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM kyc_documents WHERE application_id = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(application_id)?).bind(MAX_KYC_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(KycDocumentRow::read).collect()
    }

    pub async fn kyc_documents_of_account(&self, account_id: u64) -> Result<Vec<KycDocumentRow>, StoreError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM kyc_documents WHERE account_id = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(account_id)?).bind(MAX_KYC_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(KycDocumentRow::read).collect()
    }

    // ---- applications -----------------------------------------------------------------------

    /// Creates an application with its documents attached and its first events, in one
    /// transaction, unless the account already has one of this level under review or approved,
    /// another account's live application has the same `id_key`, or a document is not free.
    pub async fn create_kyc_application(&self, a: &NewKycApplication, documents: &[u64], events: &[NewKycEvent]) -> Result<KycCreate, StoreError> {
        let now = int(a.submitted_ms)?;
        let account = int(a.account_id)?;
        let mut tx = self.write_tx().await?;
        let open =
            sqlx::query("SELECT COUNT(*) AS n FROM kyc_applications WHERE account_id = $1 AND level = $2 AND status IN ('submitted', 'more_info', 'approved')")
                .bind(account)
                .bind(i64::from(a.level))
                .fetch_one(&mut *tx)
                .await?;
        if Cols::new(&open, "kyc_applications").u64("n")? > 0 {
            return Ok(KycCreate::AlreadyOpen);
        }
        if let Some(key) = &a.id_key {
            let dup = sqlx::query(
                "SELECT COUNT(*) AS n FROM kyc_applications WHERE id_key = $1 AND account_id <> $2 AND status IN ('submitted', 'more_info', 'approved')",
            )
            .bind(key.as_str())
            .bind(account)
            .fetch_one(&mut *tx)
            .await?;
            if Cols::new(&dup, "kyc_applications").u64("n")? > 0 {
                return Ok(KycCreate::DuplicateIdentity);
            }
        }
        let row = sqlx::query(
            "INSERT INTO kyc_applications (account_id, level, status, data, id_key, idv_provider, idv_outcome, idv_evidence, screening_status, \
             risk_rating, risk_factors, submitted_ms, updated_ms, version) VALUES ($1, $2, 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0) RETURNING id",
        )
        .bind(account)
        .bind(i64::from(a.level))
        .bind(a.data.as_str())
        .bind(a.id_key.as_deref())
        .bind(a.idv_provider.as_deref())
        .bind(a.idv_outcome.as_deref())
        .bind(a.idv_evidence.as_deref())
        .bind(a.screening_status.as_str())
        .bind(a.risk_rating.as_deref())
        .bind(a.risk_factors.as_deref())
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "kyc_applications").i64("id")?;
        if let Some(d) = attach(&mut tx, id, account, documents).await? {
            return Ok(KycCreate::DocumentUnavailable(d));
        }
        insert_events(&mut tx, id, events, now).await?;
        tx.commit().await?;
        let row = self
            .kyc_application(id as u64)
            .await?
            .ok_or_else(|| StoreError::corrupt("kyc_applications", format!("application {id} vanished after its insert")))?;
        Ok(KycCreate::Created(Box::new(row)))
    }

    /// Applies `change` if the application is still at its expected version; `false` (nothing
    /// changes) if it is not, does not exist, or a document to attach is not free.
    pub async fn change_kyc_application(&self, change: &KycChange) -> Result<bool, StoreError> {
        for (col, _) in &change.set {
            assert!(SETTABLE.contains(col), "kyc_applications.{col} is not settable");
        }
        let now = int(change.now_ms)?;
        let mut sql = String::from("UPDATE kyc_applications SET version = version + 1, updated_ms = $1");
        for (i, (col, _)) in change.set.iter().enumerate() {
            sql.push_str(&format!(", {col} = ${}", i + 2));
        }
        let n = change.set.len();
        sql.push_str(&format!(" WHERE id = ${} AND version = ${} RETURNING account_id", n + 2, n + 3));
        let mut tx = self.write_tx().await?;
        let mut q = sqlx::query(&sql).bind(now);
        for (_, v) in &change.set {
            q = match v {
                Set::Text(s) => q.bind(s.clone()),
                Set::Int(x) => q.bind(int(*x)?),
                Set::Null => q.bind(None::<i64>),
            };
        }
        let id = int(change.application_id)?;
        let Some(row) = q.bind(id).bind(int(change.expect_version)?).fetch_optional(&mut *tx).await? else { return Ok(false) };
        let account = Cols::new(&row, "kyc_applications").i64("account_id")?;
        if attach(&mut tx, id, account, &change.attach_documents).await?.is_some() {
            return Ok(false);
        }
        if let Some((rating, next_review)) = &change.account_risk {
            sqlx::query("UPDATE web_accounts SET risk_rating = $1, next_review_ms = $2 WHERE id = $3")
                .bind(rating.as_str())
                .bind(next_review.map(int).transpose()?)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        insert_events(&mut tx, id, &change.events, now).await?;
        insert_mail(&mut tx, &change.mail, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn kyc_application(&self, id: u64) -> Result<Option<KycApplicationRow>, StoreError> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM kyc_applications WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(KycApplicationRow::read).transpose()
    }

    /// A customer's applications, newest first.
    pub async fn kyc_applications_of_account(&self, account_id: u64) -> Result<Vec<KycApplicationRow>, StoreError> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM kyc_applications WHERE account_id = $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(account_id)?).bind(MAX_KYC_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(KycApplicationRow::read).collect()
    }

    /// The review queue, oldest first: applications in `statuses` (empty: submitted and
    /// more_info), optionally only those assigned to `assignee`.
    pub async fn kyc_queue(&self, statuses: &[&str], assignee: Option<u64>, limit: i64) -> Result<Vec<KycApplicationRow>, StoreError> {
        let statuses: Vec<&str> = if statuses.is_empty() { vec!["submitted", "more_info"] } else { statuses.to_vec() };
        assert!(statuses.len() <= 8, "at most 8 statuses");
        let marks: Vec<String> = (1..=statuses.len()).map(|i| format!("${i}")).collect();
        let mut sql = format!("SELECT {APPLICATION_COLUMNS} FROM kyc_applications WHERE status IN ({})", marks.join(", "));
        let mut next = statuses.len() + 1;
        if assignee.is_some() {
            sql.push_str(&format!(" AND assignee_staff_id = ${next}"));
            next += 1;
        }
        sql.push_str(&format!(" ORDER BY submitted_ms, id LIMIT ${next}"));
        let mut q = sqlx::query(&sql);
        for s in statuses {
            q = q.bind(s);
        }
        if let Some(a) = assignee {
            q = q.bind(int(a)?);
        }
        let rows = q.bind(limit.clamp(0, MAX_KYC_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(KycApplicationRow::read).collect()
    }

    pub async fn kyc_counts(&self) -> Result<KycCounts, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END), 0) AS submitted, \
             COALESCE(SUM(CASE WHEN status = 'more_info' THEN 1 ELSE 0 END), 0) AS more_info, \
             COALESCE(SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END), 0) AS approved, \
             COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0) AS rejected FROM kyc_applications",
        )
        .fetch_one(&self.pool)
        .await?;
        let c = Cols::new(&row, "kyc_applications");
        Ok(KycCounts { submitted: c.u64("submitted")?, more_info: c.u64("more_info")?, approved: c.u64("approved")?, rejected: c.u64("rejected")? })
    }

    pub async fn kyc_events(&self, application_id: u64) -> Result<Vec<KycEventRow>, StoreError> {
        let rows =
            sqlx::query("SELECT id, application_id, ts_ms, actor, actor_id, kind, detail FROM kyc_events WHERE application_id = $1 ORDER BY id LIMIT $2")
                .bind(int(application_id)?)
                .bind(MAX_KYC_ROWS * 4)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(KycEventRow::read).collect()
    }

    // ---- knowledge test ---------------------------------------------------------------------

    pub async fn insert_knowledge_result(
        &self,
        account_id: u64,
        test_version: &str,
        score_pct: u8,
        passed: bool,
        answers: &str,
        ts_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO knowledge_results (account_id, test_version, score_pct, passed, answers, ts_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(int(account_id)?)
        .bind(test_version)
        .bind(i64::from(score_pct))
        .bind(i64::from(passed))
        .bind(answers)
        .bind(int(ts_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Cols::new(&row, "knowledge_results").u64("id")
    }

    /// A customer's attempts, newest first.
    pub async fn knowledge_results(&self, account_id: u64, limit: i64) -> Result<Vec<KnowledgeResultRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account_id, test_version, score_pct, passed, answers, ts_ms FROM knowledge_results WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(int(account_id)?)
        .bind(limit.clamp(0, MAX_KYC_ROWS))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(KnowledgeResultRow::read).collect()
    }
}
