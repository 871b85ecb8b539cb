-- The web app and the staff console: customer accounts, staff, sessions and the audit log.
-- (PostgreSQL twin in migrations/postgres/0002_web.sql: same tables and columns.)

-- A customer of the web app, tied to one engine user. The TOTP secret is sealed under the
-- gateway's master key (associated data `totp:account:<id>`); `saved_limits` holds the tier
-- limits (JSON) in force when the account was locked, restored on unlock.
CREATE TABLE web_accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    totp_sealed     BLOB,
    totp_nonce      BLOB,
    totp_enabled    BIGINT NOT NULL DEFAULT 0,
    user_id         BIGINT NOT NULL UNIQUE,
    locked          BIGINT NOT NULL DEFAULT 0,
    saved_limits    TEXT,
    created_ms      BIGINT NOT NULL
);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL,
    totp_sealed     BLOB,
    totp_nonce      BLOB,
    totp_enabled    BIGINT NOT NULL DEFAULT 0,
    created_ms      BIGINT NOT NULL
);

-- Only the SHA-256 of a session token is stored: a copy of this table opens no session.
CREATE TABLE web_sessions (
    token_sha256    TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    owner_id        BIGINT NOT NULL,
    csrf            TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    last_seen_ms    BIGINT NOT NULL
);
CREATE INDEX web_sessions_owner ON web_sessions (kind, owner_id);

-- Append-only: the triggers below refuse every UPDATE and DELETE.
CREATE TABLE staff_audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms           BIGINT NOT NULL,
    staff_id        BIGINT NOT NULL,
    staff_email     TEXT NOT NULL,
    role            TEXT NOT NULL,
    action          TEXT NOT NULL,
    target          TEXT NOT NULL,
    detail          TEXT NOT NULL,
    outcome         TEXT NOT NULL
);
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
