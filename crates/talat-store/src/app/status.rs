//! The status page's tables (migration 0012): incidents and maintenance windows, their timed
//! updates, and operators' overrides of a component's measured state. Which words are valid and
//! which status ends an incident is `talat-status`'s rule; this module stores what it is given.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// Most incidents one listing returns (the page shows 90 days; the JSON the newest 50).
pub const MAX_STATUS_INCIDENTS: i64 = 500;
/// Most updates read per incident.
pub const MAX_STATUS_UPDATES: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusIncidentRow {
    pub id: u64,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub impact: String,
    /// Component ids, comma-separated.
    pub components: String,
    pub support_incident_id: Option<u64>,
    /// `operator` (posted by staff) or `resume` (opened by a resume after an outage, which
    /// posts each step to it).
    pub source: String,
    pub scheduled_for_ms: Option<u64>,
    pub scheduled_until_ms: Option<u64>,
    pub created_by: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub resolved_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdateRow {
    pub id: u64,
    pub incident_id: u64,
    pub status: String,
    pub body: String,
    pub created_by: u64,
    pub created_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusOverrideRow {
    pub component: String,
    pub status: String,
    pub reason: String,
    pub set_by: u64,
    pub set_ms: u64,
}

/// A new incident or maintenance window; its first update is written with it.
pub struct NewStatusIncident<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub status: &'a str,
    pub impact: &'a str,
    pub components: &'a str,
    pub support_incident_id: Option<u64>,
    pub source: &'a str,
    pub scheduled_for_ms: Option<u64>,
    pub scheduled_until_ms: Option<u64>,
    pub body: &'a str,
    pub created_by: u64,
    pub now_ms: u64,
}

const INCIDENT_COLUMNS: &str = "id, kind, name, status, impact, components, support_incident_id, source, scheduled_for_ms, scheduled_until_ms, created_by, created_ms, updated_ms, resolved_ms";

impl StatusIncidentRow {
    fn read(row: &AnyRow) -> Result<StatusIncidentRow, StoreError> {
        let c = Cols::new(row, "status_incidents");
        Ok(StatusIncidentRow {
            id: c.u64("id")?,
            kind: c.text("kind")?,
            name: c.text("name")?,
            status: c.text("status")?,
            impact: c.text("impact")?,
            components: c.text("components")?,
            support_incident_id: c.opt_u64("support_incident_id")?,
            source: c.text("source")?,
            scheduled_for_ms: c.opt_u64("scheduled_for_ms")?,
            scheduled_until_ms: c.opt_u64("scheduled_until_ms")?,
            created_by: c.u64("created_by")?,
            created_ms: c.u64("created_ms")?,
            updated_ms: c.u64("updated_ms")?,
            resolved_ms: c.opt_u64("resolved_ms")?,
        })
    }
}

fn opt(v: Option<u64>) -> Result<Option<i64>, StoreError> {
    v.map(int).transpose()
}

impl Store {
    pub async fn create_status_incident(&self, new: &NewStatusIncident<'_>) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO status_incidents (kind, name, status, impact, components, support_incident_id, source, scheduled_for_ms, scheduled_until_ms, created_by, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(new.kind)
        .bind(new.name)
        .bind(new.status)
        .bind(new.impact)
        .bind(new.components)
        .bind(opt(new.support_incident_id)?)
        .bind(new.source)
        .bind(opt(new.scheduled_for_ms)?)
        .bind(opt(new.scheduled_until_ms)?)
        .bind(int(new.created_by)?)
        .bind(int(new.now_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "status_incidents").u64("id")?;
        sqlx::query("INSERT INTO status_updates (incident_id, status, body, created_by, created_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(int(id)?)
            .bind(new.status)
            .bind(new.body)
            .bind(int(new.created_by)?)
            .bind(int(new.now_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Posts an update to an open incident; `resolves` closes it. False if it was not open.
    pub async fn add_status_update(&self, incident_id: u64, status: &str, body: &str, resolves: bool, by: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE status_incidents SET status = $1, updated_ms = $2, resolved_ms = CASE WHEN $3 = 1 THEN $2 ELSE NULL END WHERE id = $4 AND resolved_ms IS NULL",
        )
        .bind(status)
        .bind(int(now_ms)?)
        .bind(i64::from(resolves))
        .bind(int(incident_id)?)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO status_updates (incident_id, status, body, created_by, created_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(int(incident_id)?)
            .bind(status)
            .bind(body)
            .bind(int(by)?)
            .bind(int(now_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn status_incident(&self, id: u64) -> Result<Option<StatusIncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(StatusIncidentRow::read).transpose()
    }

    /// The open incident a resume posts its steps to, if one is open.
    pub async fn open_resume_incident(&self) -> Result<Option<StatusIncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE source = 'resume' AND resolved_ms IS NULL ORDER BY id DESC LIMIT 1");
        sqlx::query(&sql).fetch_optional(&self.pool).await?.as_ref().map(StatusIncidentRow::read).transpose()
    }

    /// Open incidents and those resolved at or after `since_ms`, newest first.
    pub async fn status_incidents_since(&self, since_ms: u64, limit: i64) -> Result<Vec<StatusIncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM status_incidents WHERE resolved_ms IS NULL OR resolved_ms >= $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(since_ms)?).bind(limit.clamp(0, MAX_STATUS_INCIDENTS)).fetch_all(&self.pool).await?;
        rows.iter().map(StatusIncidentRow::read).collect()
    }

    /// The updates of the given incidents, newest first within each.
    pub async fn status_updates_of(&self, incident_id: u64) -> Result<Vec<StatusUpdateRow>, StoreError> {
        let rows =
            sqlx::query("SELECT id, incident_id, status, body, created_by, created_ms FROM status_updates WHERE incident_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(int(incident_id)?)
                .bind(MAX_STATUS_UPDATES)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "status_updates");
                Ok(StatusUpdateRow {
                    id: c.u64("id")?,
                    incident_id: c.u64("incident_id")?,
                    status: c.text("status")?,
                    body: c.text("body")?,
                    created_by: c.u64("created_by")?,
                    created_ms: c.u64("created_ms")?,
                })
            })
            .collect()
    }

    pub async fn set_status_override(&self, component: &str, status: &str, reason: &str, by: u64, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM status_overrides WHERE component = $1").bind(component).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO status_overrides (component, status, reason, set_by, set_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(component)
            .bind(status)
            .bind(reason)
            .bind(int(by)?)
            .bind(int(now_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears an override; false if there was none.
    pub async fn clear_status_override(&self, component: &str) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM status_overrides WHERE component = $1").bind(component).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn status_overrides(&self) -> Result<Vec<StatusOverrideRow>, StoreError> {
        let rows =
            sqlx::query("SELECT component, status, reason, set_by, set_ms FROM status_overrides ORDER BY component LIMIT 1000").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "status_overrides");
                Ok(StatusOverrideRow {
                    component: c.text("component")?,
                    status: c.text("status")?,
                    reason: c.text("reason")?,
                    set_by: c.u64("set_by")?,
                    set_ms: c.u64("set_ms")?,
                })
            })
            .collect()
    }
}
