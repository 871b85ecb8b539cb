-- Forgot password: single-use reset links. Only the token's SHA-256 is stored; a link works
-- once, before its expiry.
CREATE TABLE password_resets (
    token_sha256        TEXT PRIMARY KEY,
    account_id          BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL,
    expires_ms          BIGINT NOT NULL,
    used_ms             BIGINT
);
CREATE INDEX password_resets_account ON password_resets (account_id, created_ms);

-- Ten single-use backup codes per customer with 2FA, for a lost phone; only their SHA-256.
CREATE TABLE totp_backup_codes (
    account_id          BIGINT NOT NULL,
    code_sha256         TEXT NOT NULL,
    created_ms          BIGINT NOT NULL,
    used_ms             BIGINT,
    PRIMARY KEY (account_id, code_sha256)
);
