//! Staff administration's tables (migration 0021): `staff_changes`, the invite, disable and
//! role changes admins propose and a different admin approves or rejects, and
//! `staff_password_links`, an invited staff member's one-time set-password link (only its
//! SHA-256). An approval marks the change and applies it in one transaction, conditional on the
//! change still pending, so of two concurrent approvals one applies it. The rules (who may
//! propose and approve what) are `talat-staff`'s; this module stores what it is given.

use crate::app::support::{insert_mail, NewMail};
use crate::app::web::{StaffRow, STAFF_COLUMNS};
use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Most staff changes one listing returns.
pub const MAX_STAFF_CHANGES: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffChangeRow {
    pub id: u64,
    /// `invite`, `disable` or `role`.
    pub kind: String,
    /// The staff member changed (for an invite: the account it created, once approved).
    pub target_id: Option<u64>,
    /// An invite's address.
    pub email: Option<String>,
    /// An invite's or a role change's role.
    pub role: Option<String>,
    pub reason: String,
    pub proposed_by: u64,
    pub proposed_ms: u64,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub decided_by: Option<u64>,
    pub decided_ms: Option<u64>,
}

const CHANGE_COLUMNS: &str = "id, kind, target_id, email, role, reason, proposed_by, proposed_ms, status, decided_by, decided_ms";

impl StaffChangeRow {
    fn read(row: &AnyRow) -> Result<StaffChangeRow, StoreError> {
        let c = Cols::new(row, "staff_changes");
        Ok(StaffChangeRow {
            id: c.u64("id")?,
            kind: c.text("kind")?,
            target_id: c.opt_u64("target_id")?,
            email: c.opt_text("email")?,
            role: c.opt_text("role")?,
            reason: c.text("reason")?,
            proposed_by: c.u64("proposed_by")?,
            proposed_ms: c.u64("proposed_ms")?,
            status: c.text("status")?,
            decided_by: c.opt_u64("decided_by")?,
            decided_ms: c.opt_u64("decided_ms")?,
        })
    }
}

/// What an approval does to the staff, beyond marking the change approved.
#[derive(Clone, Debug)]
pub enum StaffEffect {
    /// A new account that cannot log in until its password is set through the link
    /// (`link_sha256`, good until `expires_ms`), and the invitation mail.
    Invite {
        email: String,
        role: String,
        password_hash: String,
        link_sha256: String,
        expires_ms: u64,
        mail: NewMail,
    },
    /// Disabled from now; every staff session of theirs ends.
    Disable {
        staff_id: u64,
    },
    SetRole {
        staff_id: u64,
        role: String,
    },
}

/// What an applied approval did: the staff member it concerned and how many sessions ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffApplied {
    pub staff_id: u64,
    pub sessions_ended: u64,
}

impl Store {
    /// Stores a proposal (status `pending`); returns its id.
    pub async fn insert_staff_change(&self, c: &StaffChangeRow) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO staff_changes (kind, target_id, email, role, reason, proposed_by, proposed_ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING id",
        )
        .bind(c.kind.as_str())
        .bind(c.target_id.map(int).transpose()?)
        .bind(c.email.as_deref())
        .bind(c.role.as_deref())
        .bind(c.reason.as_str())
        .bind(int(c.proposed_by)?)
        .bind(int(c.proposed_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Cols::new(&row, "staff_changes").u64("id")
    }

    pub async fn staff_change(&self, id: u64) -> Result<Option<StaffChangeRow>, StoreError> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM staff_changes WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(StaffChangeRow::read).transpose()
    }

    /// Changes with `status` (every status when `None`), newest first.
    pub async fn staff_changes(&self, status: Option<&str>, limit: i64) -> Result<Vec<StaffChangeRow>, StoreError> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM staff_changes WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(status.unwrap_or("")).bind(limit.clamp(0, MAX_STAFF_CHANGES)).fetch_all(&self.pool).await?;
        rows.iter().map(StaffChangeRow::read).collect()
    }

    /// Rejects a pending change; false if it was not pending (nothing changes).
    pub async fn reject_staff_change(&self, id: u64, by: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE staff_changes SET status = 'rejected', decided_by = $1, decided_ms = $2 WHERE id = $3 AND status = 'pending'")
            .bind(int(by)?)
            .bind(int(now_ms)?)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Approves a pending change and applies `effect`, in one transaction; `None` (nothing
    /// changes) when the change is no longer pending or the effect cannot apply (an invited
    /// email taken meanwhile, a staff member gone).
    pub async fn approve_staff_change(&self, id: u64, by: u64, now_ms: u64, effect: &StaffEffect) -> Result<Option<StaffApplied>, StoreError> {
        let mut tx = self.write_tx().await?;
        let marked = sqlx::query("UPDATE staff_changes SET status = 'approved', decided_by = $1, decided_ms = $2 WHERE id = $3 AND status = 'pending'")
            .bind(int(by)?)
            .bind(int(now_ms)?)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if marked != 1 {
            return Ok(None);
        }
        let applied = match effect {
            StaffEffect::Invite { .. } => apply_invite(&mut tx, id, now_ms, effect).await?,
            StaffEffect::Disable { staff_id } => apply_disable(&mut tx, *staff_id, now_ms).await?,
            StaffEffect::SetRole { staff_id, role } => apply_role(&mut tx, *staff_id, role).await?,
        };
        if applied.is_some() {
            tx.commit().await?;
        }
        Ok(applied)
    }

    /// Sets an invited staff member's password through their link, once: the staff member, if
    /// the link was unused and unexpired (and it is used now).
    pub async fn use_staff_password_link(&self, token_sha256: &str, password_hash: &str, now_ms: u64) -> Result<Option<StaffRow>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row =
            sqlx::query("UPDATE staff_password_links SET used_ms = $1 WHERE token_sha256 = $2 AND used_ms IS NULL AND expires_ms > $1 RETURNING staff_id")
                .bind(int(now_ms)?)
                .bind(token_sha256)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let staff_id = Cols::new(&row, "staff_password_links").i64("staff_id")?;
        sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2 AND disabled_ms IS NULL").bind(password_hash).bind(staff_id).execute(&mut *tx).await?;
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1 AND disabled_ms IS NULL");
        let staff = sqlx::query(&sql).bind(staff_id).fetch_optional(&mut *tx).await?.as_ref().map(StaffRow::read).transpose()?;
        if staff.is_some() {
            tx.commit().await?;
        }
        Ok(staff)
    }
}

async fn apply_invite(conn: &mut AnyConnection, change_id: u64, now_ms: u64, effect: &StaffEffect) -> Result<Option<StaffApplied>, StoreError> {
    let StaffEffect::Invite { email, role, password_hash, link_sha256, expires_ms, mail } = effect else { return Ok(None) };
    let now = int(now_ms)?;
    let row =
        sqlx::query("INSERT INTO staff (email, password_hash, role, totp_enabled, created_ms) VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING RETURNING id")
            .bind(email.as_str())
            .bind(password_hash.as_str())
            .bind(role.as_str())
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let staff_id = Cols::new(&row, "staff").i64("id")?;
    sqlx::query("UPDATE staff_changes SET target_id = $1 WHERE id = $2").bind(staff_id).bind(int(change_id)?).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO staff_password_links (token_sha256, staff_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)")
        .bind(link_sha256.as_str())
        .bind(staff_id)
        .bind(now)
        .bind(int(*expires_ms)?)
        .execute(&mut *conn)
        .await?;
    insert_mail(conn, std::slice::from_ref(mail), now).await?;
    Ok(Some(StaffApplied { staff_id: staff_id as u64, sessions_ended: 0 }))
}

async fn apply_disable(conn: &mut AnyConnection, staff_id: u64, now_ms: u64) -> Result<Option<StaffApplied>, StoreError> {
    let id = int(staff_id)?;
    let done = sqlx::query("UPDATE staff SET disabled_ms = $1 WHERE id = $2 AND disabled_ms IS NULL").bind(int(now_ms)?).bind(id).execute(&mut *conn).await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let ended = sqlx::query("DELETE FROM web_sessions WHERE kind = 'staff' AND owner_id = $1").bind(id).execute(&mut *conn).await?.rows_affected();
    Ok(Some(StaffApplied { staff_id, sessions_ended: ended }))
}

async fn apply_role(conn: &mut AnyConnection, staff_id: u64, role: &str) -> Result<Option<StaffApplied>, StoreError> {
    let done = sqlx::query("UPDATE staff SET role = $1 WHERE id = $2 AND disabled_ms IS NULL").bind(role).bind(int(staff_id)?).execute(&mut *conn).await?;
    Ok((done.rows_affected() == 1).then_some(StaffApplied { staff_id, sessions_ended: 0 }))
}
