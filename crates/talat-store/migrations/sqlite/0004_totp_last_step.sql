-- TOTP replay protection (RFC 6238 §5.2): the last time step (Unix seconds / 30) whose code was
-- accepted for the account or staff member. A code is accepted only for a later step, recorded
-- with one conditional UPDATE (`... WHERE totp_last_step < step`), so a code works once even
-- under concurrent requests. 0 = none used yet (also after a new secret is set up).
-- (Same statements in both migrations/sqlite and migrations/postgres.)
ALTER TABLE web_accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
