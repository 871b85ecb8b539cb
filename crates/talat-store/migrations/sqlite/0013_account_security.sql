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
