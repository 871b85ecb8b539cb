//! The web app's and the staff console's tables: customer accounts, staff, sessions and the
//! append-only audit log (the database itself refuses UPDATE and DELETE on it, see migration
//! 0002). Secrets arrive hashed (passwords, session tokens) or sealed (TOTP); this module only
//! stores the bytes it is given.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use talat_core::UserId;

/// A sealed secret and its nonce.
pub type Sealed = (Vec<u8>, Vec<u8>);

/// Most rows one listing returns.
pub const MAX_WEB_ROWS: i64 = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebAccountRow {
    pub id: u64,
    pub email: String,
    pub password_hash: String,
    /// Sealed TOTP secret and its nonce (set by 2FA setup, active once `totp_enabled`).
    pub totp: Option<Sealed>,
    pub totp_enabled: bool,
    pub user: UserId,
    pub locked: bool,
    /// Tier limits (JSON) in force when the account was locked.
    pub saved_limits: Option<String>,
    pub created_ms: u64,
    /// Onboarding (migration 0006): when the email was verified, the KYC level (0–2), when the
    /// admission policy admitted the customer (`None`: waitlisted since `waitlisted_ms`), the
    /// risk rating and when it is next due for review.
    pub email_verified_ms: Option<u64>,
    pub kyc_level: u8,
    pub admitted_ms: Option<u64>,
    pub waitlisted_ms: Option<u64>,
    pub risk_rating: Option<String>,
    pub next_review_ms: Option<u64>,
    /// The customer's language, `th` or `en` (migration 0023): their mails are written in it.
    pub lang: String,
}

const ACCOUNT_COLUMNS: &str = "id, email, password_hash, totp_sealed, totp_nonce, totp_enabled, user_id, locked, saved_limits, created_ms, \
     email_verified_ms, kyc_level, admitted_ms, waitlisted_ms, risk_rating, next_review_ms, lang";

fn sealed(row: &AnyRow) -> Result<Option<Sealed>, StoreError> {
    use sqlx::Row;
    let s: Option<Vec<u8>> = row.try_get("totp_sealed")?;
    let n: Option<Vec<u8>> = row.try_get("totp_nonce")?;
    Ok(s.zip(n))
}

impl WebAccountRow {
    fn read(row: &AnyRow) -> Result<WebAccountRow, StoreError> {
        let c = Cols::new(row, "web_accounts");
        Ok(WebAccountRow {
            id: c.u64("id")?,
            email: c.text("email")?,
            password_hash: c.text("password_hash")?,
            totp: sealed(row)?,
            totp_enabled: c.bool("totp_enabled")?,
            user: c.user("user_id")?,
            locked: c.bool("locked")?,
            saved_limits: c.opt_text("saved_limits")?,
            created_ms: c.u64("created_ms")?,
            email_verified_ms: c.opt_u64("email_verified_ms")?,
            kyc_level: c.u32("kyc_level")?.try_into().map_err(|_| StoreError::corrupt("web_accounts", "kyc_level above 255"))?,
            admitted_ms: c.opt_u64("admitted_ms")?,
            waitlisted_ms: c.opt_u64("waitlisted_ms")?,
            risk_rating: c.opt_text("risk_rating")?,
            next_review_ms: c.opt_u64("next_review_ms")?,
            lang: c.text("lang")?,
        })
    }
}

/// An account a console search found: a web account, or an engine user with no web account
/// (API-only: created for API keys, e.g. a market maker's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountHit {
    Web(Box<WebAccountRow>),
    ApiOnly { user: UserId, created_ms: u64, live_keys: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRow {
    pub id: u64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub totp: Option<Sealed>,
    pub totp_enabled: bool,
    pub created_ms: u64,
    /// When an approved change disabled the account (migration 0021): it cannot log in.
    pub disabled_ms: Option<u64>,
}

pub(crate) const STAFF_COLUMNS: &str = "id, email, password_hash, role, totp_sealed, totp_nonce, totp_enabled, created_ms, disabled_ms";

impl StaffRow {
    pub(crate) fn read(row: &AnyRow) -> Result<StaffRow, StoreError> {
        let c = Cols::new(row, "staff");
        Ok(StaffRow {
            id: c.u64("id")?,
            email: c.text("email")?,
            password_hash: c.text("password_hash")?,
            role: c.text("role")?,
            totp: sealed(row)?,
            totp_enabled: c.bool("totp_enabled")?,
            created_ms: c.u64("created_ms")?,
            disabled_ms: c.opt_u64("disabled_ms")?,
        })
    }
}

/// Which audit entries to list: by staff member (exact email), by action (itself or its family:
/// `support` finds `support.ticket.reply`), and by time (`from_ms` included, `to_ms` not).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub staff_email: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<u64>,
    pub to_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie's token.
    pub token_sha256: String,
    /// `customer` or `staff`.
    pub kind: String,
    pub owner_id: u64,
    pub csrf: String,
    pub created_ms: u64,
    pub last_seen_ms: u64,
}

const SESSION_COLUMNS: &str = "token_sha256, kind, owner_id, csrf, created_ms, last_seen_ms";

impl SessionRow {
    fn read(row: &AnyRow) -> Result<SessionRow, StoreError> {
        let c = Cols::new(row, "web_sessions");
        Ok(SessionRow {
            token_sha256: c.text("token_sha256")?,
            kind: c.text("kind")?,
            owner_id: c.u64("owner_id")?,
            csrf: c.text("csrf")?,
            created_ms: c.u64("created_ms")?,
            last_seen_ms: c.u64("last_seen_ms")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Assigned by the database; ignored on insert.
    pub id: u64,
    pub ts_ms: u64,
    pub staff_id: u64,
    pub staff_email: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub outcome: String,
}

const AUDIT_COLUMNS: &str = "id, ts_ms, staff_id, staff_email, role, action, target, detail, outcome";

impl AuditRow {
    fn read(row: &AnyRow) -> Result<AuditRow, StoreError> {
        let c = Cols::new(row, "staff_audit");
        Ok(AuditRow {
            id: c.u64("id")?,
            ts_ms: c.u64("ts_ms")?,
            staff_id: c.u64("staff_id")?,
            staff_email: c.text("staff_email")?,
            role: c.text("role")?,
            action: c.text("action")?,
            target: c.text("target")?,
            detail: c.text("detail")?,
            outcome: c.text("outcome")?,
        })
    }
}

impl Store {
    // ---- customer accounts ----------------------------------------------------------------

    /// Inserts an account reading Thai; `None` if the email is taken (emails are stored
    /// lower-cased by the caller). Returns the new id.
    pub async fn insert_web_account(&self, email: &str, password_hash: &str, user: UserId, created_ms: u64) -> Result<Option<u64>, StoreError> {
        self.insert_web_account_in(email, password_hash, user, created_ms, "th").await
    }

    /// [`Store::insert_web_account`] with the account's language (`th` or `en`, checked by the
    /// caller) in the same row.
    pub async fn insert_web_account_in(&self, email: &str, password_hash: &str, user: UserId, created_ms: u64, lang: &str) -> Result<Option<u64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO web_accounts (email, password_hash, totp_enabled, user_id, locked, created_ms, lang) VALUES ($1, $2, 0, $3, 0, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
        )
            .bind(email)
            .bind(password_hash)
            .bind(i64::from(user.0))
            .bind(int(created_ms)?)
            .bind(lang)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| Cols::new(&r, "web_accounts").u64("id")).transpose()
    }

    /// Sets the account's language (`th` or `en`, checked by the caller); false if there is no
    /// such account.
    pub async fn set_web_account_lang(&self, id: u64, lang: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE web_accounts SET lang = $1 WHERE id = $2").bind(lang).bind(int(id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Up to when the account has read its notifications (ms; 0: nothing read yet).
    pub async fn notifications_read_ms(&self, id: u64) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT notifications_read_ms FROM web_accounts WHERE id = $1").bind(int(id)?).fetch_optional(&self.pool).await?;
        row.map_or(Ok(0), |r| Cols::new(&r, "web_accounts").u64("notifications_read_ms"))
    }

    /// Marks the account's notifications read up to `read_ms`; never moves the mark back.
    pub async fn mark_notifications_read(&self, id: u64, read_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_accounts SET notifications_read_ms = $1 WHERE id = $2 AND notifications_read_ms < $1")
            .bind(int(read_ms)?)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many customer accounts exist.
    pub async fn count_web_accounts(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM web_accounts").fetch_one(&self.pool).await?;
        Cols::new(&row, "web_accounts").u64("n")
    }

    pub async fn web_account_by_email(&self, email: &str) -> Result<Option<WebAccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_accounts WHERE email = $1");
        sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await?.as_ref().map(WebAccountRow::read).transpose()
    }

    pub async fn web_account(&self, id: u64) -> Result<Option<WebAccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_accounts WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(WebAccountRow::read).transpose()
    }

    pub async fn web_account_of_user(&self, user: UserId) -> Result<Option<WebAccountRow>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_accounts WHERE user_id = $1");
        sqlx::query(&sql).bind(i64::from(user.0)).fetch_optional(&self.pool).await?.as_ref().map(WebAccountRow::read).transpose()
    }

    /// Accounts whose email contains `needle` (lower-cased by the caller) or whose engine user
    /// id is `user`, oldest first, at most `limit` (≤ [`MAX_WEB_ROWS`]).
    pub async fn search_web_accounts(&self, needle: &str, user: Option<UserId>, limit: i64) -> Result<Vec<WebAccountRow>, StoreError> {
        // `instr`/`strpos` differ between the dialects; LIKE with escaped wildcards is common.
        let escaped: String = needle.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        let pattern = format!("%{escaped}%");
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_accounts WHERE email LIKE $1 ESCAPE '\\' OR user_id = $2 ORDER BY id LIMIT $3");
        let rows =
            sqlx::query(&sql).bind(pattern).bind(user.map(|u| i64::from(u.0)).unwrap_or(-1)).bind(limit.clamp(0, MAX_WEB_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(WebAccountRow::read).collect()
    }

    /// Every account `needle` finds, API-only ones included: the web accounts
    /// [`Store::search_web_accounts`] finds, then engine users without a web account whose user
    /// id is `user` or one of whose API keys starts with `needle` (all of them when `needle` is
    /// empty), oldest first, at most `limit` in all.
    pub async fn search_accounts(&self, needle: &str, user: Option<UserId>, limit: i64) -> Result<Vec<AccountHit>, StoreError> {
        let limit = limit.clamp(0, MAX_WEB_ROWS);
        let mut hits: Vec<AccountHit> = self.search_web_accounts(needle, user, limit).await?.into_iter().map(|a| AccountHit::Web(Box::new(a))).collect();
        let left = limit - hits.len() as i64;
        if left <= 0 {
            return Ok(hits);
        }
        let escaped: String = needle.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        let rows = sqlx::query(
            "SELECT u.user_id, u.created_ts_ms, (SELECT COUNT(*) FROM api_keys k WHERE k.user_id = u.user_id AND k.revoked_ms IS NULL) AS live_keys \
             FROM users u WHERE NOT EXISTS (SELECT 1 FROM web_accounts w WHERE w.user_id = u.user_id) \
             AND ($1 = '' OR u.user_id = $2 OR EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = u.user_id AND k.api_key LIKE $3 ESCAPE '\\')) \
             ORDER BY u.user_id LIMIT $4",
        )
        .bind(needle)
        .bind(user.map(|u| i64::from(u.0)).unwrap_or(-1))
        .bind(format!("{escaped}%"))
        .bind(left)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let c = Cols::new(r, "users");
            hits.push(AccountHit::ApiOnly { user: c.user("user_id")?, created_ms: c.u64("created_ts_ms")?, live_keys: c.u64("live_keys")? });
        }
        Ok(hits)
    }

    /// When the engine created `user`, from the projected `users` table (`None`: no such user
    /// yet in the store).
    pub async fn engine_user_created_ms(&self, user: UserId) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query("SELECT created_ts_ms FROM users WHERE user_id = $1").bind(i64::from(user.0)).fetch_optional(&self.pool).await?;
        row.map(|r| Cols::new(&r, "users").u64("created_ts_ms")).transpose()
    }

    /// Sets (or clears) the sealed TOTP secret and whether it is active. Setting it inactive
    /// (a new secret from setup, or 2FA turned off) also forgets the last used time step, which
    /// belongs to the old secret; enabling keeps it (the enabling code stays used).
    pub async fn set_web_account_totp(&self, id: u64, totp: Option<(&[u8], &[u8])>, enabled: bool) -> Result<(), StoreError> {
        self.set_totp("web_accounts", id, totp, enabled).await
    }

    /// Records that a customer's TOTP code for time step `step` was used: true if `step` is
    /// later than the last one used (now `step`), false if not (a replay; nothing changes).
    /// One conditional UPDATE, so of two concurrent uses of one code only one gets true.
    pub async fn use_web_account_totp_step(&self, id: u64, step: u64) -> Result<bool, StoreError> {
        self.use_totp_step("web_accounts", id, step).await
    }

    /// The one TOTP update of the two tables that carry a sealed secret (a fixed name, never
    /// input).
    async fn set_totp(&self, table: &'static str, id: u64, totp: Option<(&[u8], &[u8])>, enabled: bool) -> Result<(), StoreError> {
        assert!(matches!(table, "web_accounts" | "staff"), "TOTP lives in web_accounts and staff only");
        let mut tx = self.write_tx().await?;
        let reset = if enabled { "" } else { ", totp_last_step = 0" };
        let sql = format!("UPDATE {table} SET totp_sealed = $1, totp_nonce = $2, totp_enabled = $3{reset} WHERE id = $4");
        sqlx::query(&sql).bind(totp.map(|t| t.0.to_vec())).bind(totp.map(|t| t.1.to_vec())).bind(i64::from(enabled)).bind(int(id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The one replay check of the two tables (a fixed name, never input): the row's
    /// `totp_last_step` moves to `step` only if it is below it; 0 rows updated is a replay.
    async fn use_totp_step(&self, table: &'static str, id: u64, step: u64) -> Result<bool, StoreError> {
        assert!(matches!(table, "web_accounts" | "staff"), "TOTP lives in web_accounts and staff only");
        let mut tx = self.write_tx().await?;
        let sql = format!("UPDATE {table} SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $3");
        let step = int(step)?;
        let done = sqlx::query(&sql).bind(step).bind(int(id)?).bind(step).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a lock (with the limits to restore) or an unlock (`saved_limits` cleared).
    pub async fn set_web_account_lock(&self, id: u64, locked: bool, saved_limits: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_accounts SET locked = $1, saved_limits = $2 WHERE id = $3")
            .bind(i64::from(locked))
            .bind(saved_limits)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- staff ----------------------------------------------------------------------------

    /// Inserts a staff member; `None` if the email is taken.
    pub async fn insert_staff(&self, email: &str, password_hash: &str, role: &str, created_ms: u64) -> Result<Option<u64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO staff (email, password_hash, role, totp_enabled, created_ms) VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(role)
        .bind(int(created_ms)?)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| Cols::new(&r, "staff").u64("id")).transpose()
    }

    pub async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRow>, StoreError> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE email = $1");
        sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await?.as_ref().map(StaffRow::read).transpose()
    }

    pub async fn staff(&self, id: u64) -> Result<Option<StaffRow>, StoreError> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(StaffRow::read).transpose()
    }

    /// Sets (or clears) a staff member's sealed TOTP secret and whether it is active.
    pub async fn set_staff_totp(&self, id: u64, totp: Option<(&[u8], &[u8])>, enabled: bool) -> Result<(), StoreError> {
        self.set_totp("staff", id, totp, enabled).await
    }

    /// Records that a staff member's TOTP code for time step `step` was used; see
    /// [`Store::use_web_account_totp_step`].
    pub async fn use_staff_totp_step(&self, id: u64, step: u64) -> Result<bool, StoreError> {
        self.use_totp_step("staff", id, step).await
    }

    /// Every staff member, oldest first (at most [`MAX_WEB_ROWS`]).
    pub async fn staff_list(&self) -> Result<Vec<StaffRow>, StoreError> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY id LIMIT $1");
        let rows = sqlx::query(&sql).bind(MAX_WEB_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(StaffRow::read).collect()
    }

    /// Resets a staff member's 2FA (an admin's doing, for one who lost the authenticator): the
    /// sealed secret, the enabled flag and the last used time step are cleared and every staff
    /// session of theirs is deleted, in one transaction. Only while 2FA is on: `None` (nothing
    /// changes) when there is no such staff member or 2FA is off, so of two concurrent resets
    /// one gets `Some`. Returns how many sessions were ended.
    pub async fn reset_staff_totp(&self, id: u64) -> Result<Option<u64>, StoreError> {
        let id = int(id)?;
        let mut tx = self.write_tx().await?;
        let cleared =
            sqlx::query("UPDATE staff SET totp_sealed = NULL, totp_nonce = NULL, totp_enabled = 0, totp_last_step = 0 WHERE id = $1 AND totp_enabled = 1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if cleared != 1 {
            return Ok(None);
        }
        let ended = sqlx::query("DELETE FROM web_sessions WHERE kind = 'staff' AND owner_id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(Some(ended))
    }

    // ---- sessions -------------------------------------------------------------------------

    pub async fn insert_session(&self, s: &SessionRow) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO web_sessions (token_sha256, kind, owner_id, csrf, created_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(s.token_sha256.as_str())
            .bind(s.kind.as_str())
            .bind(int(s.owner_id)?)
            .bind(s.csrf.as_str())
            .bind(int(s.created_ms)?)
            .bind(int(s.last_seen_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session(&self, token_sha256: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM web_sessions WHERE token_sha256 = $1");
        sqlx::query(&sql).bind(token_sha256).fetch_optional(&self.pool).await?.as_ref().map(SessionRow::read).transpose()
    }

    pub async fn touch_session(&self, token_sha256: &str, last_seen_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_sessions SET last_seen_ms = $1 WHERE token_sha256 = $2").bind(int(last_seen_ms)?).bind(token_sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM web_sessions WHERE token_sha256 = $1").bind(token_sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live sessions of one owner, newest first: (session row, ip, device key).
    pub async fn sessions_of(&self, kind: &str, owner_id: u64) -> Result<Vec<(SessionRow, Option<String>, Option<String>)>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS}, ip, device FROM web_sessions WHERE kind = $1 AND owner_id = $2 ORDER BY created_ms DESC LIMIT $3");
        let rows = sqlx::query(&sql).bind(kind).bind(int(owner_id)?).bind(MAX_WEB_ROWS).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "web_sessions");
                Ok((SessionRow::read(r)?, c.opt_text("ip")?, c.opt_text("device")?))
            })
            .collect()
    }

    /// Ends every session of one owner but `keep` (the caller's own, when given); returns how
    /// many ended.
    pub async fn delete_sessions_of(&self, kind: &str, owner_id: u64, keep: Option<&str>) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM web_sessions WHERE kind = $1 AND owner_id = $2 AND token_sha256 <> $3")
            .bind(kind)
            .bind(int(owner_id)?)
            .bind(keep.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Whether the customer signed in before from this address or this device (the lasting
    /// origins surveillance keeps).
    pub async fn origin_seen(&self, owner_id: u64, ip: &str, device: &str) -> Result<(bool, bool), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN ip = $2 THEN 1 ELSE 0 END), 0) AS ips, COALESCE(SUM(CASE WHEN device = $3 THEN 1 ELSE 0 END), 0) AS devices \
             FROM surv_session_origins WHERE owner_id = $1",
        )
        .bind(int(owner_id)?)
        .bind(ip)
        .bind(device)
        .fetch_one(&self.pool)
        .await?;
        let c = Cols::new(&row, "surv_session_origins");
        Ok((c.i64("ips")? > 0, c.i64("devices")? > 0))
    }

    pub async fn set_web_account_password(&self, id: u64, password_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE web_accounts SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(int(id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- 2FA backup codes ---------------------------------------------------------------------

    /// Replaces the account's backup codes with `hashes` (SHA-256 hex); none when empty.
    pub async fn replace_backup_codes(&self, account_id: u64, hashes: &[String], now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM totp_backup_codes WHERE account_id = $1").bind(int(account_id)?).execute(&mut *tx).await?;
        for h in hashes {
            sqlx::query("INSERT INTO totp_backup_codes (account_id, code_sha256, created_ms) VALUES ($1, $2, $3)")
                .bind(int(account_id)?)
                .bind(h.as_str())
                .bind(int(now_ms)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Uses a backup code once: true if it was the account's and unused (and it is used now).
    pub async fn use_backup_code(&self, account_id: u64, code_sha256: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE totp_backup_codes SET used_ms = $1 WHERE account_id = $2 AND code_sha256 = $3 AND used_ms IS NULL")
            .bind(int(now_ms)?)
            .bind(int(account_id)?)
            .bind(code_sha256)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn backup_codes_left(&self, account_id: u64) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM totp_backup_codes WHERE account_id = $1 AND used_ms IS NULL")
            .bind(int(account_id)?)
            .fetch_one(&self.pool)
            .await?;
        Ok(Cols::new(&row, "totp_backup_codes").i64("n")?.max(0) as u64)
    }

    // ---- password resets --------------------------------------------------------------------

    /// Stores a reset link's token hash; earlier unused links of the account stop working.
    pub async fn insert_password_reset(&self, token_sha256: &str, account_id: u64, now_ms: u64, expires_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE password_resets SET used_ms = $1 WHERE account_id = $2 AND used_ms IS NULL")
            .bind(int(now_ms)?)
            .bind(int(account_id)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO password_resets (token_sha256, account_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)")
            .bind(token_sha256)
            .bind(int(account_id)?)
            .bind(int(now_ms)?)
            .bind(int(expires_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses a reset link once: its account if it was unused and unexpired, and it is used now.
    pub async fn use_password_reset(&self, token_sha256: &str, now_ms: u64) -> Result<Option<u64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("UPDATE password_resets SET used_ms = $1 WHERE token_sha256 = $2 AND used_ms IS NULL AND expires_ms > $1 RETURNING account_id")
            .bind(int(now_ms)?)
            .bind(token_sha256)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| Cols::new(&r, "password_resets").u64("account_id")).transpose()
    }

    /// Reset links asked for an account since `since_ms` (a bound on mails per account).
    pub async fn password_resets_since(&self, account_id: u64, since_ms: u64) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM password_resets WHERE account_id = $1 AND created_ms >= $2")
            .bind(int(account_id)?)
            .bind(int(since_ms)?)
            .fetch_one(&self.pool)
            .await?;
        Ok(Cols::new(&row, "password_resets").i64("n")?.max(0) as u64)
    }

    /// Deletes at most `limit` (≤ [`MAX_WEB_ROWS`]) sessions idle since before `idle_before_ms`
    /// or created before `created_before_ms`; returns how many went. Bounded so one call holds
    /// the writer lock briefly; the caller repeats while a call deletes `limit`. Both conditions
    /// are index reads (`web_sessions_last_seen`, `web_sessions_created`).
    pub async fn delete_expired_sessions(&self, idle_before_ms: u64, created_before_ms: u64, limit: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "DELETE FROM web_sessions WHERE token_sha256 IN \
             (SELECT token_sha256 FROM web_sessions WHERE last_seen_ms < $1 OR created_ms < $2 LIMIT $3)",
        )
        .bind(int(idle_before_ms)?)
        .bind(int(created_before_ms)?)
        .bind(limit.clamp(0, MAX_WEB_ROWS))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    // ---- audit ----------------------------------------------------------------------------

    /// Appends one entry; returns its id.
    pub async fn append_audit(&self, e: &AuditRow) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("INSERT INTO staff_audit (ts_ms, staff_id, staff_email, role, action, target, detail, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(int(e.ts_ms)?)
            .bind(int(e.staff_id)?)
            .bind(e.staff_email.as_str())
            .bind(e.role.as_str())
            .bind(e.action.as_str())
            .bind(e.target.as_str())
            .bind(e.detail.as_str())
            .bind(e.outcome.as_str())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Cols::new(&row, "staff_audit").u64("id")
    }

    /// Entries newest first, below `before_id` if given, at most `limit` (≤ [`MAX_WEB_ROWS`]).
    pub async fn audit_entries(&self, before_id: Option<u64>, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_entries_where(&AuditFilter::default(), before_id, limit).await
    }

    /// Entries matching `filter`, newest first, older than `before_id` (paging).
    pub async fn audit_entries_where(&self, filter: &AuditFilter, before_id: Option<u64>, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let before = before_id.map(int).transpose()?.unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM staff_audit WHERE id < $1 AND ($2 = '' OR staff_email = $2) AND ($3 = '' OR action = $3 OR action LIKE $4) \
             AND ts_ms >= $5 AND ts_ms < $6 ORDER BY id DESC LIMIT $7"
        );
        let action = filter.action.as_deref().unwrap_or("");
        let rows = sqlx::query(&sql)
            .bind(before)
            .bind(filter.staff_email.as_deref().unwrap_or(""))
            .bind(action)
            // `support` finds `support.ticket.reply` too; LIKE's own wildcards are not in action names.
            .bind(format!("{action}.%"))
            .bind(int(filter.from_ms.unwrap_or(0))?)
            .bind(filter.to_ms.map(int).transpose()?.unwrap_or(i64::MAX))
            .bind(limit.clamp(0, MAX_WEB_ROWS))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(AuditRow::read).collect()
    }

    /// Runs one raw statement (tests: proving the audit log refuses UPDATE and DELETE).
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(sql).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
