//! Customer support's tables (migration 0005): tickets, their messages, attachments and
//! append-only events, incidents, the roster and the mail outbox. The rules — which change is
//! allowed, what a clock says — live in `talat-support`; this module stores what it is given,
//! and every change that belongs together (a ticket and its first message, a status change and
//! its event and mail) is one transaction.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Most rows one support listing returns.
pub const MAX_SUPPORT_ROWS: i64 = 500;
/// Half-hour slots in a day (the roster's length).
pub const ROSTER_SLOTS: usize = 48;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRow {
    pub id: u64,
    pub account_id: u64,
    pub category: String,
    pub priority: String,
    pub subject: String,
    pub status: String,
    pub link_kind: Option<String>,
    pub link_ref: Option<String>,
    pub complaint_status: Option<String>,
    pub complaint_reason: Option<String>,
    pub complaint_received_ms: Option<u64>,
    pub complaint_acknowledged_ms: Option<u64>,
    pub complaint_closed_ms: Option<u64>,
    pub incident_id: Option<u64>,
    pub assignee_staff_id: Option<u64>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub first_response_ms: Option<u64>,
    pub resolved_ms: Option<u64>,
    pub closed_ms: Option<u64>,
    pub escalated_ms: Option<u64>,
    pub first_response_breached_ms: Option<u64>,
    pub resolution_breached_ms: Option<u64>,
    pub version: u64,
}

const TICKET_COLUMNS: &str = "id, account_id, category, priority, subject, status, link_kind, link_ref, complaint_status, complaint_reason, \
     complaint_received_ms, complaint_acknowledged_ms, complaint_closed_ms, incident_id, assignee_staff_id, created_ms, updated_ms, \
     first_response_ms, resolved_ms, closed_ms, escalated_ms, first_response_breached_ms, resolution_breached_ms, version";

impl TicketRow {
    fn read(row: &AnyRow) -> Result<TicketRow, StoreError> {
        let c = Cols::new(row, "support_tickets");
        Ok(TicketRow {
            id: c.u64("id")?,
            account_id: c.u64("account_id")?,
            category: c.text("category")?,
            priority: c.text("priority")?,
            subject: c.text("subject")?,
            status: c.text("status")?,
            link_kind: c.opt_text("link_kind")?,
            link_ref: c.opt_text("link_ref")?,
            complaint_status: c.opt_text("complaint_status")?,
            complaint_reason: c.opt_text("complaint_reason")?,
            complaint_received_ms: c.opt_u64("complaint_received_ms")?,
            complaint_acknowledged_ms: c.opt_u64("complaint_acknowledged_ms")?,
            complaint_closed_ms: c.opt_u64("complaint_closed_ms")?,
            incident_id: c.opt_u64("incident_id")?,
            assignee_staff_id: c.opt_u64("assignee_staff_id")?,
            created_ms: c.u64("created_ms")?,
            updated_ms: c.u64("updated_ms")?,
            first_response_ms: c.opt_u64("first_response_ms")?,
            resolved_ms: c.opt_u64("resolved_ms")?,
            closed_ms: c.opt_u64("closed_ms")?,
            escalated_ms: c.opt_u64("escalated_ms")?,
            first_response_breached_ms: c.opt_u64("first_response_breached_ms")?,
            resolution_breached_ms: c.opt_u64("resolution_breached_ms")?,
            version: c.u64("version")?,
        })
    }
}

/// A new ticket (its id, version and the clock facts are the store's).
#[derive(Clone, Debug)]
pub struct NewTicket {
    pub account_id: u64,
    pub category: String,
    pub priority: String,
    pub subject: String,
    pub status: String,
    pub link_kind: Option<String>,
    pub link_ref: Option<String>,
    pub complaint_status: Option<String>,
    pub complaint_reason: Option<String>,
    pub created_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    pub id: u64,
    pub ticket_id: u64,
    /// `customer`, `staff` or `system`.
    pub author: String,
    pub author_id: u64,
    /// A staff note the customer never sees.
    pub internal: bool,
    pub body: String,
    pub created_ms: u64,
}

impl MessageRow {
    fn read(row: &AnyRow) -> Result<MessageRow, StoreError> {
        let c = Cols::new(row, "support_messages");
        Ok(MessageRow {
            id: c.u64("id")?,
            ticket_id: c.u64("ticket_id")?,
            author: c.text("author")?,
            author_id: c.u64("author_id")?,
            internal: c.bool("internal")?,
            body: c.text("body")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub author: String,
    pub author_id: u64,
    pub internal: bool,
    pub body: String,
}

/// An attachment, checked by the caller (type, size, content).
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// An attachment's description (its bytes are read one at a time with [`Store::attachment`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: u64,
    pub ticket_id: u64,
    pub message_id: u64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub sha256: String,
}

impl AttachmentMeta {
    fn read(row: &AnyRow) -> Result<AttachmentMeta, StoreError> {
        let c = Cols::new(row, "support_attachments");
        Ok(AttachmentMeta {
            id: c.u64("id")?,
            ticket_id: c.u64("ticket_id")?,
            message_id: c.u64("message_id")?,
            file_name: c.text("file_name")?,
            content_type: c.text("content_type")?,
            size_bytes: c.u64("size_bytes")?,
            sha256: c.text("sha256")?,
        })
    }
}

const ATTACHMENT_META_COLUMNS: &str = "id, ticket_id, message_id, file_name, content_type, size_bytes, sha256";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub id: u64,
    pub ticket_id: u64,
    pub ts_ms: u64,
    /// `customer`, `staff` or `system`.
    pub actor: String,
    pub actor_id: u64,
    /// `created`, `status`, `complaint`, `priority`, `assigned`, `escalated`, `breached`,
    /// `incident`, `message`.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: String,
}

impl EventRow {
    fn read(row: &AnyRow) -> Result<EventRow, StoreError> {
        let c = Cols::new(row, "support_events");
        Ok(EventRow {
            id: c.u64("id")?,
            ticket_id: c.u64("ticket_id")?,
            ts_ms: c.u64("ts_ms")?,
            actor: c.text("actor")?,
            actor_id: c.u64("actor_id")?,
            kind: c.text("kind")?,
            from_state: c.opt_text("from_state")?,
            to_state: c.opt_text("to_state")?,
            detail: c.text("detail")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewEvent {
    pub actor: String,
    pub actor_id: u64,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    pub id: u64,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub created_ms: u64,
    pub sent_ms: Option<u64>,
    pub attempts: u64,
    pub last_error: Option<String>,
}

impl MailRow {
    fn read(row: &AnyRow) -> Result<MailRow, StoreError> {
        let c = Cols::new(row, "mail_outbox");
        Ok(MailRow {
            id: c.u64("id")?,
            kind: c.text("kind")?,
            to_addr: c.text("to_addr")?,
            subject: c.text("subject")?,
            body: c.text("body")?,
            created_ms: c.u64("created_ms")?,
            sent_ms: c.opt_u64("sent_ms")?,
            attempts: c.u64("attempts")?,
            last_error: c.opt_text("last_error")?,
        })
    }
}

const MAIL_COLUMNS: &str = "id, kind, to_addr, subject, body, created_ms, sent_ms, attempts, last_error";

#[derive(Clone, Debug)]
pub struct NewMail {
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRow {
    pub id: u64,
    pub title: String,
    pub description: String,
    /// `open` or `resolved`.
    pub status: String,
    pub created_by: u64,
    pub created_ms: u64,
    pub resolved_ms: Option<u64>,
    pub ticket_count: u64,
}

impl IncidentRow {
    fn read(row: &AnyRow) -> Result<IncidentRow, StoreError> {
        let c = Cols::new(row, "support_incidents");
        Ok(IncidentRow {
            id: c.u64("id")?,
            title: c.text("title")?,
            description: c.text("description")?,
            status: c.text("status")?,
            created_by: c.u64("created_by")?,
            created_ms: c.u64("created_ms")?,
            resolved_ms: c.opt_u64("resolved_ms")?,
            ticket_count: c.u64("ticket_count")?,
        })
    }
}

const INCIDENT_SELECT: &str = "SELECT i.id, i.title, i.description, i.status, i.created_by, i.created_ms, i.resolved_ms, \
     (SELECT COUNT(*) FROM support_tickets t WHERE t.incident_id = i.id) AS ticket_count FROM support_incidents i";

/// A value for one column of a ticket update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Set {
    Text(String),
    Int(u64),
    Null,
}

/// One change to a ticket, applied only if the ticket is still at `expect_version`: the new
/// column values, the message (with attachments) and events that record it, and the mail that
/// announces it — all in one transaction, so each is there only if all are.
#[derive(Clone, Debug, Default)]
pub struct TicketChange {
    pub ticket_id: u64,
    pub expect_version: u64,
    pub now_ms: u64,
    /// Columns to set (names from a fixed list; checked).
    pub set: Vec<(&'static str, Set)>,
    pub message: Option<(NewMessage, Vec<NewAttachment>)>,
    pub events: Vec<NewEvent>,
    pub mail: Vec<NewMail>,
}

/// The columns a [`TicketChange`] may set: everything but the id, the owner, creation and the
/// version (which the store raises).
const SETTABLE: &[&str] = &[
    "category",
    "priority",
    "subject",
    "status",
    "link_kind",
    "link_ref",
    "complaint_status",
    "complaint_reason",
    "complaint_received_ms",
    "complaint_acknowledged_ms",
    "complaint_closed_ms",
    "incident_id",
    "assignee_staff_id",
    "first_response_ms",
    "resolved_ms",
    "closed_ms",
    "escalated_ms",
    "first_response_breached_ms",
    "resolution_breached_ms",
];

/// Counts for the dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SupportCounts {
    pub open: u64,
    pub waiting_customer: u64,
    /// Unresolved tickets past their escalation point.
    pub at_risk: u64,
    /// Unresolved tickets with a breached clock.
    pub breached: u64,
    /// Clocks breached (first response or resolution) since the given time.
    pub breaches_since: u64,
    pub complaints_open: u64,
}

/// What the console's queue lists.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// Only these statuses (empty = open and waiting on the customer).
    pub statuses: Vec<String>,
    pub complaints_only: bool,
    pub escalated_only: bool,
    pub breached_only: bool,
    pub assignee: Option<u64>,
    /// Part of the subject, or a ticket id.
    pub text: Option<String>,
    pub limit: i64,
}

async fn insert_message(conn: &mut AnyConnection, ticket_id: i64, m: &NewMessage, files: &[NewAttachment], now: i64) -> Result<u64, StoreError> {
    let row =
        sqlx::query("INSERT INTO support_messages (ticket_id, author, author_id, internal, body, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(ticket_id)
            .bind(m.author.as_str())
            .bind(int(m.author_id)?)
            .bind(i64::from(m.internal))
            .bind(m.body.as_str())
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
    let message_id = Cols::new(&row, "support_messages").u64("id")?;
    for f in files {
        sqlx::query(
            "INSERT INTO support_attachments (ticket_id, message_id, file_name, content_type, size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ticket_id)
        .bind(int(message_id)?)
        .bind(f.file_name.as_str())
        .bind(f.content_type.as_str())
        .bind(int(f.content.len() as u64)?)
        .bind(f.sha256.as_str())
        .bind(f.content.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(message_id)
}

async fn insert_events(conn: &mut AnyConnection, ticket_id: i64, events: &[NewEvent], now: i64) -> Result<(), StoreError> {
    for e in events {
        sqlx::query(
            "INSERT INTO support_events (ticket_id, ts_ms, actor, actor_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ticket_id)
        .bind(now)
        .bind(e.actor.as_str())
        .bind(int(e.actor_id)?)
        .bind(e.kind.as_str())
        .bind(e.from_state.as_deref())
        .bind(e.to_state.as_deref())
        .bind(e.detail.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts a ticket with its first message, attachments and events inside the caller's
/// transaction (shared with surveillance's question to a customer); returns its id.
pub(crate) async fn insert_ticket(
    conn: &mut AnyConnection,
    t: &NewTicket,
    first: &NewMessage,
    files: &[NewAttachment],
    events: &[NewEvent],
) -> Result<i64, StoreError> {
    let now = int(t.created_ms)?;
    let row = sqlx::query(
        "INSERT INTO support_tickets (account_id, category, priority, subject, status, link_kind, link_ref, complaint_status, complaint_reason, \
         complaint_received_ms, created_ms, updated_ms, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0) RETURNING id",
    )
    .bind(int(t.account_id)?)
    .bind(t.category.as_str())
    .bind(t.priority.as_str())
    .bind(t.subject.as_str())
    .bind(t.status.as_str())
    .bind(t.link_kind.as_deref())
    .bind(t.link_ref.as_deref())
    .bind(t.complaint_status.as_deref())
    .bind(t.complaint_reason.as_deref())
    .bind(t.complaint_status.as_ref().map(|_| now))
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id = Cols::new(&row, "support_tickets").i64("id")?;
    insert_message(conn, id, first, files, now).await?;
    insert_events(conn, id, events, now).await?;
    Ok(id)
}

/// Queues mail inside the caller's transaction (shared with onboarding's changes).
pub(crate) async fn insert_mail(conn: &mut AnyConnection, mail: &[NewMail], now: i64) -> Result<(), StoreError> {
    for m in mail {
        sqlx::query("INSERT INTO mail_outbox (kind, to_addr, subject, body, created_ms, attempts) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(m.kind.as_str())
            .bind(m.to_addr.as_str())
            .bind(m.subject.as_str())
            .bind(m.body.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    // ---- tickets ----------------------------------------------------------------------------

    /// Creates a ticket with its first message, attachments, events and mail (made by `mail`
    /// from the new ticket's id) in one transaction; returns it.
    pub async fn create_ticket(
        &self,
        t: &NewTicket,
        first: &NewMessage,
        files: &[NewAttachment],
        events: &[NewEvent],
        mail: &(dyn Fn(u64) -> Vec<NewMail> + Sync),
    ) -> Result<TicketRow, StoreError> {
        let now = int(t.created_ms)?;
        let mut tx = self.write_tx().await?;
        let id = insert_ticket(&mut tx, t, first, files, events).await?;
        insert_mail(&mut tx, &mail(id as u64), now).await?;
        tx.commit().await?;
        self.ticket(id as u64).await?.ok_or_else(|| StoreError::corrupt("support_tickets", format!("ticket {id} vanished after its insert")))
    }

    /// Applies `change` if the ticket is still at its expected version; `false` (nothing
    /// changes) if it is not — someone changed it first — or does not exist.
    pub async fn change_ticket(&self, change: &TicketChange) -> Result<bool, StoreError> {
        for (col, _) in &change.set {
            assert!(SETTABLE.contains(col), "support_tickets.{col} is not settable");
        }
        let now = int(change.now_ms)?;
        let mut sql = String::from("UPDATE support_tickets SET version = version + 1, updated_ms = $1");
        for (i, (col, _)) in change.set.iter().enumerate() {
            sql.push_str(&format!(", {col} = ${}", i + 2));
        }
        let n = change.set.len();
        sql.push_str(&format!(" WHERE id = ${} AND version = ${}", n + 2, n + 3));
        let mut tx = self.write_tx().await?;
        let mut q = sqlx::query(&sql).bind(now);
        for (_, v) in &change.set {
            q = match v {
                Set::Text(s) => q.bind(s.clone()),
                Set::Int(x) => q.bind(int(*x)?),
                Set::Null => q.bind(None::<i64>),
            };
        }
        let id = int(change.ticket_id)?;
        let updated = q.bind(id).bind(int(change.expect_version)?).execute(&mut *tx).await?.rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        if let Some((m, files)) = &change.message {
            insert_message(&mut tx, id, m, files, now).await?;
        }
        insert_events(&mut tx, id, &change.events, now).await?;
        insert_mail(&mut tx, &change.mail, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn ticket(&self, id: u64) -> Result<Option<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(TicketRow::read).transpose()
    }

    /// A customer's tickets, newest first.
    pub async fn tickets_of_account(&self, account_id: u64, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE account_id = $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(account_id)?).bind(limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// The console's queue: oldest first (the caller orders by urgency).
    pub async fn ticket_queue(&self, f: &QueueFilter) -> Result<Vec<TicketRow>, StoreError> {
        let mut sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE 1 = 1");
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Placeholders are numbered in bind order: texts first, then integers, then the limit.
        let statuses: Vec<String> = if f.statuses.is_empty() { vec!["open".into(), "waiting_customer".into()] } else { f.statuses.clone() };
        assert!(statuses.len() <= 8, "at most 8 statuses");
        let marks: Vec<String> = statuses.iter().enumerate().map(|(i, _)| format!("${}", i + 1)).collect();
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
        texts.extend(statuses);
        let mut next = texts.len() + 1;
        if let Some(t) = f.text.as_deref().filter(|t| !t.is_empty()) {
            let escaped: String = t.to_lowercase().chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
            sql.push_str(&format!(" AND (LOWER(subject) LIKE ${next} ESCAPE '\\'"));
            texts.push(format!("%{escaped}%"));
            next += 1;
            sql.push_str(&format!(" OR id = ${next})"));
            ints.push(t.trim().trim_start_matches('#').parse::<i64>().unwrap_or(-1));
            next += 1;
        }
        if let Some(a) = f.assignee {
            sql.push_str(&format!(" AND assignee_staff_id = ${next}"));
            ints.push(int(a)?);
            next += 1;
        }
        if f.complaints_only {
            sql.push_str(" AND complaint_status IS NOT NULL");
        }
        if f.escalated_only {
            sql.push_str(" AND escalated_ms IS NOT NULL");
        }
        if f.breached_only {
            sql.push_str(" AND (first_response_breached_ms IS NOT NULL OR resolution_breached_ms IS NOT NULL)");
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${next}"));
        let mut q = sqlx::query(&sql);
        for t in texts {
            q = q.bind(t);
        }
        for i in ints {
            q = q.bind(i);
        }
        let rows = q.bind(f.limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// Tickets not yet resolved (open or waiting on the customer), oldest first: what the
    /// escalation sweep looks at.
    pub async fn unresolved_tickets(&self, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE status IN ('open', 'waiting_customer') ORDER BY id LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, 10_000)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// Tickets resolved before `before_ms` and not closed yet (closed after a quiet week).
    pub async fn resolved_before(&self, before_ms: u64, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE status = 'resolved' AND resolved_ms < $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(before_ms)?).bind(limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// Tickets created in `[from_ms, to_ms)`, oldest first (reports), at most `limit`.
    pub async fn tickets_created_between(&self, from_ms: u64, to_ms: u64, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE created_ms >= $1 AND created_ms < $2 ORDER BY id LIMIT $3");
        let rows = sqlx::query(&sql).bind(int(from_ms)?).bind(int(to_ms)?).bind(limit.clamp(0, 100_000)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// Complaints received in `[from_ms, to_ms)` together with every complaint still open
    /// whenever it was received (the monthly report lists both), oldest first.
    pub async fn complaints_for_report(&self, from_ms: u64, to_ms: u64, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM support_tickets WHERE complaint_received_ms IS NOT NULL AND \
             ((complaint_received_ms >= $1 AND complaint_received_ms < $2) OR (complaint_closed_ms IS NULL AND complaint_received_ms < $3)) ORDER BY id LIMIT $4"
        );
        let rows = sqlx::query(&sql).bind(int(from_ms)?).bind(int(to_ms)?).bind(int(to_ms)?).bind(limit.clamp(0, 100_000)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    /// When tickets were created since `since_ms` (staffing's measured arrivals), at most `limit`.
    pub async fn ticket_arrivals_since(&self, since_ms: u64, limit: i64) -> Result<Vec<u64>, StoreError> {
        let rows = sqlx::query("SELECT created_ms FROM support_tickets WHERE created_ms >= $1 ORDER BY created_ms LIMIT $2")
            .bind(int(since_ms)?)
            .bind(limit.clamp(0, 1_000_000))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Cols::new(r, "support_tickets").u64("created_ms")).collect()
    }

    pub async fn support_counts(&self, breaches_since_ms: u64) -> Result<SupportCounts, StoreError> {
        let row = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0) AS open, \
             COALESCE(SUM(CASE WHEN status = 'waiting_customer' THEN 1 ELSE 0 END), 0) AS waiting, \
             COALESCE(SUM(CASE WHEN status IN ('open', 'waiting_customer') AND escalated_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS at_risk, \
             COALESCE(SUM(CASE WHEN status IN ('open', 'waiting_customer') AND (first_response_breached_ms IS NOT NULL OR resolution_breached_ms IS NOT NULL) THEN 1 ELSE 0 END), 0) AS breached, \
             COALESCE(SUM(CASE WHEN first_response_breached_ms >= $1 THEN 1 ELSE 0 END), 0) + COALESCE(SUM(CASE WHEN resolution_breached_ms >= $2 THEN 1 ELSE 0 END), 0) AS breaches_since, \
             COALESCE(SUM(CASE WHEN complaint_status IS NOT NULL AND complaint_closed_ms IS NULL THEN 1 ELSE 0 END), 0) AS complaints_open \
             FROM support_tickets",
        )
        .bind(int(breaches_since_ms)?)
        .bind(int(breaches_since_ms)?)
        .fetch_one(&self.pool)
        .await?;
        let c = Cols::new(&row, "support_tickets");
        Ok(SupportCounts {
            open: c.u64("open")?,
            waiting_customer: c.u64("waiting")?,
            at_risk: c.u64("at_risk")?,
            breached: c.u64("breached")?,
            breaches_since: c.u64("breaches_since")?,
            complaints_open: c.u64("complaints_open")?,
        })
    }

    pub async fn ticket_messages(&self, ticket_id: u64) -> Result<Vec<MessageRow>, StoreError> {
        let rows =
            sqlx::query("SELECT id, ticket_id, author, author_id, internal, body, created_ms FROM support_messages WHERE ticket_id = $1 ORDER BY id LIMIT $2")
                .bind(int(ticket_id)?)
                .bind(MAX_SUPPORT_ROWS * 4)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(MessageRow::read).collect()
    }

    pub async fn ticket_attachments(&self, ticket_id: u64) -> Result<Vec<AttachmentMeta>, StoreError> {
        let sql = format!("SELECT {ATTACHMENT_META_COLUMNS} FROM support_attachments WHERE ticket_id = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(ticket_id)?).bind(MAX_SUPPORT_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(AttachmentMeta::read).collect()
    }

    /// One attachment with its bytes.
    pub async fn attachment(&self, id: u64) -> Result<Option<(AttachmentMeta, Vec<u8>)>, StoreError> {
        let sql = format!("SELECT {ATTACHMENT_META_COLUMNS}, content FROM support_attachments WHERE id = $1");
        let Some(row) = sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await? else { return Ok(None) };
        let meta = AttachmentMeta::read(&row)?;
        let bytes = Cols::new(&row, "support_attachments").bytes("content")?;
        Ok(Some((meta, bytes)))
    }

    pub async fn ticket_events(&self, ticket_id: u64) -> Result<Vec<EventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, ticket_id, ts_ms, actor, actor_id, kind, from_state, to_state, detail FROM support_events WHERE ticket_id = $1 ORDER BY id LIMIT $2",
        )
        .bind(int(ticket_id)?)
        .bind(MAX_SUPPORT_ROWS * 4)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(EventRow::read).collect()
    }

    // ---- incidents --------------------------------------------------------------------------

    pub async fn create_incident(&self, title: &str, description: &str, created_by: u64, now_ms: u64) -> Result<IncidentRow, StoreError> {
        let id = {
            let mut tx = self.write_tx().await?;
            let row =
                sqlx::query("INSERT INTO support_incidents (title, description, status, created_by, created_ms) VALUES ($1, $2, 'open', $3, $4) RETURNING id")
                    .bind(title)
                    .bind(description)
                    .bind(int(created_by)?)
                    .bind(int(now_ms)?)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            Cols::new(&row, "support_incidents").u64("id")?
        };
        self.incident(id).await?.ok_or_else(|| StoreError::corrupt("support_incidents", format!("incident {id} vanished after its insert")))
    }

    pub async fn incident(&self, id: u64) -> Result<Option<IncidentRow>, StoreError> {
        let sql = format!("{INCIDENT_SELECT} WHERE i.id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(IncidentRow::read).transpose()
    }

    /// Newest first.
    pub async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>, StoreError> {
        let sql = format!("{INCIDENT_SELECT} ORDER BY i.id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(IncidentRow::read).collect()
    }

    /// Marks an open incident resolved; false if it was not open.
    pub async fn resolve_incident(&self, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE support_incidents SET status = 'resolved', resolved_ms = $1 WHERE id = $2 AND status = 'open'")
            .bind(int(now_ms)?)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Tickets linked to an incident, oldest first.
    pub async fn incident_tickets(&self, incident_id: u64, limit: i64) -> Result<Vec<TicketRow>, StoreError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM support_tickets WHERE incident_id = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(incident_id)?).bind(limit.clamp(0, 10_000)).fetch_all(&self.pool).await?;
        rows.iter().map(TicketRow::read).collect()
    }

    // ---- roster -----------------------------------------------------------------------------

    /// Agents rostered per half-hour slot ([`ROSTER_SLOTS`] values; 0 where none is set).
    pub async fn roster(&self) -> Result<Vec<u32>, StoreError> {
        let rows = sqlx::query("SELECT slot, agents FROM support_roster ORDER BY slot LIMIT $1").bind(ROSTER_SLOTS as i64).fetch_all(&self.pool).await?;
        let mut out = vec![0u32; ROSTER_SLOTS];
        for r in &rows {
            let c = Cols::new(r, "support_roster");
            let slot = c.u64("slot")? as usize;
            if slot >= ROSTER_SLOTS {
                return Err(StoreError::corrupt("support_roster", format!("slot {slot} out of range")));
            }
            out[slot] = c.u32("agents")?;
        }
        Ok(out)
    }

    pub async fn set_roster(&self, agents: &[u32]) -> Result<(), StoreError> {
        assert_eq!(agents.len(), ROSTER_SLOTS, "a roster has one value per half-hour slot");
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM support_roster").execute(&mut *tx).await?;
        for (slot, n) in agents.iter().enumerate() {
            sqlx::query("INSERT INTO support_roster (slot, agents) VALUES ($1, $2)").bind(slot as i64).bind(i64::from(*n)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- mail outbox ------------------------------------------------------------------------

    /// Queues mail outside any ticket change (e.g. account mail).
    pub async fn enqueue_mail(&self, mail: &[NewMail], now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        insert_mail(&mut tx, mail, int(now_ms)?).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The outbox, newest first.
    pub async fn outbox(&self, limit: i64) -> Result<Vec<MailRow>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(MailRow::read).collect()
    }

    /// Unsent mail, oldest first, with fewer than `max_attempts` attempts.
    pub async fn pending_mail(&self, max_attempts: u64, limit: i64) -> Result<Vec<MailRow>, StoreError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE sent_ms IS NULL AND attempts < $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(max_attempts)?).bind(limit.clamp(0, MAX_SUPPORT_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(MailRow::read).collect()
    }

    /// Records one delivery attempt: sent at `now_ms`, or failed with `error`.
    pub async fn mail_attempted(&self, id: u64, now_ms: u64, error: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let sent = if error.is_none() { Some(int(now_ms)?) } else { None };
        sqlx::query("UPDATE mail_outbox SET attempts = attempts + 1, sent_ms = $1, last_error = $2 WHERE id = $3 AND sent_ms IS NULL")
            .bind(sent)
            .bind(error)
            .bind(int(id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
