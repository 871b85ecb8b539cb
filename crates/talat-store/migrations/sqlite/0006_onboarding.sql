-- Onboarding and KYC (talat-onboarding's rules, talat-web's routes): email verification, the
-- admission decision and waitlist, KYC applications with their documents and append-only
-- events, knowledge-test results, sanctions lists with their entries, screening hits and the
-- reviewers' clearances. (PostgreSQL twin in migrations/postgres/0006_onboarding.sql.)

-- `kyc_level`: 0 signed up, 1 identity verified and knowledge test passed (may trade), 2 income
-- or asset documents accepted. `admitted_ms`: when the admission policy accepted the customer
-- (NULL: on the waitlist, `waitlist_position` orders it).
ALTER TABLE web_accounts ADD COLUMN email_verified_ms BIGINT;
ALTER TABLE web_accounts ADD COLUMN kyc_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE web_accounts ADD COLUMN admitted_ms BIGINT;
ALTER TABLE web_accounts ADD COLUMN waitlisted_ms BIGINT;
ALTER TABLE web_accounts ADD COLUMN risk_rating TEXT;
ALTER TABLE web_accounts ADD COLUMN next_review_ms BIGINT;

-- Only the SHA-256 of a verification token is stored.
CREATE TABLE email_verifications (
    token_sha256    TEXT PRIMARY KEY,
    account_id      BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    used_ms         BIGINT
);
CREATE INDEX email_verifications_account ON email_verifications (account_id);

-- One application per level attempt. `data` is the submitted form as JSON (validated before
-- it is stored); `id_key` is a keyed hash of the ID or passport number, unique among live
-- applications so one identity opens one account. `status`: submitted, more_info, approved,
-- rejected. `version` rises with every change (updates are conditional on it).
CREATE TABLE kyc_applications (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id              BIGINT NOT NULL,
    level                   BIGINT NOT NULL,
    status                  TEXT NOT NULL,
    data                    TEXT NOT NULL,
    id_key                  TEXT,
    idv_provider            TEXT,
    idv_outcome             TEXT,
    idv_evidence            TEXT,
    screening_status        TEXT NOT NULL DEFAULT 'clear',
    risk_rating             TEXT,
    risk_factors            TEXT,
    assignee_staff_id       BIGINT,
    first_approver_staff_id BIGINT,
    decided_by_staff_id     BIGINT,
    decision_reason         TEXT,
    submitted_ms            BIGINT NOT NULL,
    updated_ms              BIGINT NOT NULL,
    decided_ms              BIGINT,
    version                 BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kyc_applications_account ON kyc_applications (account_id, id);
CREATE INDEX kyc_applications_status ON kyc_applications (status, id);
CREATE INDEX kyc_applications_id_key ON kyc_applications (id_key);

-- Uploaded files: the bytes live content-addressed on disk (`<data>/uploads/ab/cd/<sha256>`);
-- this row says whose they are and what they were checked to be.
CREATE TABLE kyc_documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    application_id  BIGINT,
    purpose         TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    width           BIGINT,
    height          BIGINT,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX kyc_documents_account ON kyc_documents (account_id, id);

CREATE TABLE kyc_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    actor_id        BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX kyc_events_application ON kyc_events (application_id, id);
CREATE TRIGGER kyc_events_no_update BEFORE UPDATE ON kyc_events
BEGIN
    SELECT RAISE(ABORT, 'kyc_events is append-only');
END;
CREATE TRIGGER kyc_events_no_delete BEFORE DELETE ON kyc_events
BEGIN
    SELECT RAISE(ABORT, 'kyc_events is append-only');
END;

-- Every attempt of the knowledge test, with the test's version (the regulator asks for both).
CREATE TABLE knowledge_results (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    test_version    TEXT NOT NULL,
    score_pct       BIGINT NOT NULL,
    passed          BIGINT NOT NULL,
    answers         TEXT NOT NULL,
    ts_ms           BIGINT NOT NULL
);
CREATE INDEX knowledge_results_account ON knowledge_results (account_id, id);

-- A loaded sanctions or PEP list (one row per load); its entries as parsed (JSON per entry).
CREATE TABLE sanctions_lists (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    format          TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    entry_count     BIGINT NOT NULL,
    loaded_by       BIGINT NOT NULL,
    loaded_ms       BIGINT NOT NULL,
    active          BIGINT NOT NULL DEFAULT 1
);
CREATE TABLE sanctions_entries (
    list_id         BIGINT NOT NULL,
    entity_id       TEXT NOT NULL,
    version         BIGINT NOT NULL,
    entry           TEXT NOT NULL,
    PRIMARY KEY (list_id, entity_id)
);

-- A screening hit on a customer: `status` open (awaiting a reviewer), cleared (a false
-- positive), confirmed. A clearance is remembered per (account, list entry, entry version), so
-- the same entry does not fire again for that customer until the entry changes.
CREATE TABLE screening_hits (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    list_name       TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    entity_version  BIGINT NOT NULL,
    score_milli     BIGINT NOT NULL,
    matched_name    TEXT NOT NULL,
    reasons         TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    decided_by      BIGINT,
    decision_reason TEXT,
    decided_ms      BIGINT
);
CREATE INDEX screening_hits_account ON screening_hits (account_id, id);
CREATE INDEX screening_hits_status ON screening_hits (status, id);
CREATE TABLE screening_clearances (
    account_id      BIGINT NOT NULL,
    list_name       TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    entity_version  BIGINT NOT NULL,
    staff_id        BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    PRIMARY KEY (account_id, list_name, entity_id, entity_version)
);
