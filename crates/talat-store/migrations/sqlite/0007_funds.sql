-- Money in and out (talat-funds' rules, talat-gateway's funds service): customers' bank
-- accounts, THB deposit intents, every bank line seen (callback or statement; a line enters
-- once, by the bank's reference), exceptions for staff, withdrawals with their approvals and
-- timeline, payout batches, statement imports and daily reconciliations.
-- (PostgreSQL twin in migrations/postgres/0007_funds.sql.)

-- When the customer last changed their password or 2FA: withdrawals wait out a cooling-off.
ALTER TABLE web_accounts ADD COLUMN security_changed_ms BIGINT;

-- `status`: pending_verification, verified, rejected. `name_matches`: the holder's name is the
-- customer's KYC name (1) or not (0), checked when the account is added.
CREATE TABLE fiat_bank_accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    bank_code       TEXT NOT NULL,
    account_no      TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    name_matches    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    verified_ms     BIGINT,
    decided_by      BIGINT,
    reason          TEXT,
    created_ms      BIGINT NOT NULL,
    UNIQUE (account_id, bank_code, account_no)
);
CREATE INDEX fiat_bank_accounts_status ON fiat_bank_accounts (status, id);

-- A deposit intent: one single-use QR. `id` is the QR's Ref2, `customer_code` its Ref1.
-- `status`: awaiting_payment, credited, expired, exception, refunded.
CREATE TABLE fiat_deposits (
    id              TEXT PRIMARY KEY,
    account_id      BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    customer_code   TEXT NOT NULL,
    amount_satang   BIGINT NOT NULL,
    status          TEXT NOT NULL,
    qr_payload      TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    expires_ms      BIGINT NOT NULL,
    credited_ms     BIGINT,
    bank_ref        TEXT
);
CREATE INDEX fiat_deposits_account ON fiat_deposits (account_id, created_ms);
CREATE INDEX fiat_deposits_status ON fiat_deposits (status, expires_ms);

-- Every bank line seen, keyed by the bank's reference. `source`: callback or statement.
-- `on_statement`: a statement has shown it (the truth). `outcome`: pending (being applied;
-- re-applied after a crash), credited, settled, exception, ignored.
CREATE TABLE fiat_bank_lines (
    reference       TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    direction       TEXT NOT NULL,
    amount_satang   BIGINT NOT NULL,
    booked_on       TEXT NOT NULL,
    counterparty_name TEXT,
    counterparty_account TEXT,
    ref1            TEXT,
    ref2            TEXT,
    description     TEXT NOT NULL,
    on_statement    BIGINT NOT NULL,
    first_seen_ms   BIGINT NOT NULL,
    statement_ms    BIGINT,
    outcome         TEXT NOT NULL,
    subject         TEXT
);
CREATE INDEX fiat_bank_lines_booked ON fiat_bank_lines (booked_on);

-- A line that could not be applied by itself. `status`: open, proposed, resolved. A proposal
-- (credit to an account, refund, return) is carried out only when another staff member approves.
CREATE TABLE fiat_exceptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    class           TEXT NOT NULL,
    reference       TEXT NOT NULL,
    intent_id       TEXT,
    status          TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    proposal_action TEXT,
    proposal_account_id BIGINT,
    proposal_reason TEXT,
    proposed_by     BIGINT,
    proposed_by_email TEXT,
    proposed_ms     BIGINT,
    resolved_by     BIGINT,
    resolved_by_email TEXT,
    resolved_ms     BIGINT,
    UNIQUE (class, reference)
);
CREATE INDEX fiat_exceptions_status ON fiat_exceptions (status, id);

-- A THB withdrawal. `status`: talat-funds' WithdrawalStatus. `engine_done`: the engine has
-- been told what the status requires (hold, settle or release); 0 means a restart re-issues it
-- (every such command is idempotent on the withdrawal id).
CREATE TABLE fiat_withdrawals (
    id              TEXT PRIMARY KEY,
    account_id      BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    bank_account_id BIGINT NOT NULL,
    amount_satang   BIGINT NOT NULL,
    fee_satang      BIGINT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    source          TEXT NOT NULL,
    engine_done     BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    batch_id        TEXT,
    bank_ref        TEXT
);
CREATE INDEX fiat_withdrawals_account ON fiat_withdrawals (account_id, created_ms);
CREATE INDEX fiat_withdrawals_status ON fiat_withdrawals (status, created_ms);
-- One pending withdrawal per customer, enforced by the database as well as the rule.
CREATE UNIQUE INDEX fiat_withdrawals_one_pending ON fiat_withdrawals (account_id)
    WHERE status IN ('requested', 'awaiting_2fa', 'awaiting_approval', 'approved', 'processing', 'sent', 'unknown_outcome');

CREATE TABLE fiat_withdrawal_approvals (
    withdrawal_id   TEXT NOT NULL,
    staff_id        BIGINT NOT NULL,
    staff_email     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    at_ms           BIGINT NOT NULL,
    PRIMARY KEY (withdrawal_id, staff_id)
);

-- The timeline customers and staff see, append-only: deposits and withdrawals by id.
CREATE TABLE fiat_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subject         TEXT NOT NULL,
    status          TEXT NOT NULL,
    note            TEXT NOT NULL,
    actor           TEXT NOT NULL,
    at_ms           BIGINT NOT NULL
);
CREATE INDEX fiat_events_subject ON fiat_events (subject, id);

-- A payout file, stored before it is handed over (the withdrawals in it are `processing`).
CREATE TABLE fiat_payout_batches (
    id              TEXT PRIMARY KEY,
    created_ms      BIGINT NOT NULL,
    created_by      BIGINT NOT NULL,
    created_by_email TEXT NOT NULL,
    line_count      BIGINT NOT NULL,
    total_satang    BIGINT NOT NULL,
    content         TEXT NOT NULL
);

CREATE TABLE fiat_statement_imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    format          TEXT NOT NULL,
    account         TEXT NOT NULL,
    statement_date  TEXT NOT NULL,
    opening_satang  BIGINT NOT NULL,
    closing_satang  BIGINT NOT NULL,
    line_count      BIGINT NOT NULL,
    summary         TEXT NOT NULL,
    imported_by     TEXT NOT NULL,
    imported_ms     BIGINT NOT NULL
);
CREATE INDEX fiat_statement_imports_date ON fiat_statement_imports (statement_date, id);

-- One report per Bangkok business day (a rerun replaces it); `report` is the JSON evidence.
CREATE TABLE fiat_reconciliations (
    recon_date      TEXT PRIMARY KEY,
    report          TEXT NOT NULL,
    difference_satang BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    created_by      TEXT NOT NULL
);
