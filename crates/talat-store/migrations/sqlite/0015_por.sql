-- Proof of reserves, the liabilities side: one secret salt per customer (a report's salts are
-- derived from it), each published report (root, totals, who published it), and each report's
-- leaves exactly as published, so a customer's proof can be rebuilt for the report they see.
-- Amounts are decimal strings in JSON: sums of u64 balances outgrow a BIGINT.
CREATE TABLE por_salts (
    user_id             BIGINT PRIMARY KEY,
    salt                BLOB NOT NULL,
    created_ms          BIGINT NOT NULL
);

CREATE TABLE por_reports (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    as_of_ms            BIGINT NOT NULL,
    assets              TEXT NOT NULL,
    root_hash_hex       TEXT NOT NULL,
    totals              TEXT NOT NULL,
    leaf_count          BIGINT NOT NULL,
    published_ms        BIGINT NOT NULL,
    published_by        BIGINT
);
CREATE INDEX por_reports_as_of ON por_reports (as_of_ms);

CREATE TABLE por_leaves (
    report_id           BIGINT NOT NULL REFERENCES por_reports (id),
    user_id             BIGINT NOT NULL,
    balances            TEXT NOT NULL,
    PRIMARY KEY (report_id, user_id)
);
