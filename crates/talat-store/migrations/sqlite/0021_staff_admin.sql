-- Admins manage the staff (issue 21): invite, disable, change role, each proposed by one admin
-- and approved by a different one (the rules are talat-staff's; the database refuses an
-- approval by the proposer too). An approved change is applied in the approving transaction.

-- A disabled staff member cannot log in; their sessions were ended when it was approved.
ALTER TABLE staff ADD COLUMN disabled_ms BIGINT;

-- kind: invite (email, role), disable (target_id), role (target_id, role).
-- status: pending → approved | rejected. An approved invite names the account it created.
CREATE TABLE staff_changes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    target_id       BIGINT,
    email           TEXT,
    role            TEXT,
    reason          TEXT NOT NULL,
    proposed_by     BIGINT NOT NULL,
    proposed_ms     BIGINT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    decided_by      BIGINT,
    decided_ms      BIGINT,
    CHECK (status <> 'approved' OR decided_by <> proposed_by)
);
CREATE INDEX staff_changes_status ON staff_changes (status, id);

-- One-time set-password links of invited staff: only the token's SHA-256 is kept.
CREATE TABLE staff_password_links (
    token_sha256    TEXT PRIMARY KEY,
    staff_id        BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    expires_ms      BIGINT NOT NULL,
    used_ms         BIGINT
);
