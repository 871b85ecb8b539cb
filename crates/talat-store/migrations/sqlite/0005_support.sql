-- Customer support (talat-support): tickets with their messages, attachments and an
-- append-only event history (every status, complaint, priority, assignment and clock change,
-- timestamped), incidents that many tickets link to, the support roster, and the mail outbox.
-- (PostgreSQL twin in migrations/postgres/0005_support.sql: same tables and columns.)

-- `version` rises by one with every change: updates are conditional on the version read, so
-- two staff acting on one ticket at once cannot both apply a change made against stale state.
-- The clock columns are facts: `first_response_ms` (first answer the customer could see),
-- `resolved_ms`, `escalated_ms` (the clock passed its escalation point), `*_breached_ms`.
CREATE TABLE support_tickets (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id                  BIGINT NOT NULL,
    category                    TEXT NOT NULL,
    priority                    TEXT NOT NULL,
    subject                     TEXT NOT NULL,
    status                      TEXT NOT NULL,
    link_kind                   TEXT,
    link_ref                    TEXT,
    complaint_status            TEXT,
    complaint_reason            TEXT,
    complaint_received_ms       BIGINT,
    complaint_acknowledged_ms   BIGINT,
    complaint_closed_ms         BIGINT,
    incident_id                 BIGINT,
    assignee_staff_id           BIGINT,
    created_ms                  BIGINT NOT NULL,
    updated_ms                  BIGINT NOT NULL,
    first_response_ms           BIGINT,
    resolved_ms                 BIGINT,
    closed_ms                   BIGINT,
    escalated_ms                BIGINT,
    first_response_breached_ms  BIGINT,
    resolution_breached_ms      BIGINT,
    version                     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX support_tickets_account ON support_tickets (account_id, id);
CREATE INDEX support_tickets_status ON support_tickets (status, id);
CREATE INDEX support_tickets_incident ON support_tickets (incident_id);
CREATE INDEX support_tickets_created ON support_tickets (created_ms);
CREATE INDEX support_tickets_complaint ON support_tickets (complaint_received_ms);

CREATE TABLE support_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       BIGINT NOT NULL,
    author          TEXT NOT NULL,
    author_id       BIGINT NOT NULL,
    internal        BIGINT NOT NULL DEFAULT 0,
    body            TEXT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);

-- Attachments are small (the API caps them) and belong to one message: stored with it, in the
-- same transaction, so a refused or failed request leaves no orphan file behind.
CREATE TABLE support_attachments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       BIGINT NOT NULL,
    message_id      BIGINT NOT NULL,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    content         BLOB NOT NULL
);
CREATE INDEX support_attachments_ticket ON support_attachments (ticket_id, id);

CREATE TABLE support_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    actor_id        BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT,
    detail          TEXT NOT NULL
);
CREATE INDEX support_events_ticket ON support_events (ticket_id, id);
CREATE TRIGGER support_events_no_update BEFORE UPDATE ON support_events
BEGIN
    SELECT RAISE(ABORT, 'support_events is append-only');
END;
CREATE TRIGGER support_events_no_delete BEFORE DELETE ON support_events
BEGIN
    SELECT RAISE(ABORT, 'support_events is append-only');
END;

CREATE TABLE support_incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_by      BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    resolved_ms     BIGINT
);

-- Agents rostered per half-hour slot of the day (0 = 00:00–00:30 Bangkok time … 47).
CREATE TABLE support_roster (
    slot            BIGINT PRIMARY KEY,
    agents          BIGINT NOT NULL
);

-- Mail waiting to be sent (or sent: `sent_ms`). Rows are written in the transaction of the
-- change they announce, so a mail is never promised for a change that did not happen.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    sent_ms         BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT
);
CREATE INDEX mail_outbox_pending ON mail_outbox (sent_ms, id);
