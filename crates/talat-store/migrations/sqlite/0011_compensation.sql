-- Outage compensation (talat-web's compensation console, talat-gateway's refusal log).
-- (PostgreSQL twin in migrations/postgres/0011_compensation.sql.)

-- The durable log of customers' refused and failed requests: the evidence an incident's
-- affected customers are found from. Written in batches by the gateway's refusal writer, at
-- most a few rows per customer per minute (the rest counted in refused_overflow), pruned after
-- the retention. `verified` is 0 when the user was read from the API key header alone (a new
-- order shed before its signature was checked). `amount` and `rate` are the request's own
-- decimal text (a refused new order); `endpoint` is the route.
CREATE TABLE refused_requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT NOT NULL,
    verified        BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    http_status     BIGINT NOT NULL,
    code            BIGINT NOT NULL,
    symbol          TEXT,
    side            TEXT,
    amount          TEXT,
    rate            TEXT
);
CREATE INDEX refused_requests_ts ON refused_requests (ts_ms);
CREATE INDEX refused_requests_user ON refused_requests (user_id, ts_ms);

-- Refusals past the per-customer-minute bound: counted, not kept.
CREATE TABLE refused_overflow (
    user_id         BIGINT NOT NULL,
    minute          BIGINT NOT NULL,
    dropped         BIGINT NOT NULL,
    PRIMARY KEY (user_id, minute)
);

-- An incident window with its scope and policy, prepared (the preview: JSON, exactly what an
-- approval pays) by one staff member and approved by another. `markets` are symbols, `kinds`
-- and `networks` words, all comma-separated. `status`: prepared, approved.
CREATE TABLE comp_incidents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    t0_ms           BIGINT NOT NULL,
    t1_ms           BIGINT NOT NULL,
    markets         TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    networks        TEXT NOT NULL,
    support_incident_id BIGINT,
    pay_asset       TEXT NOT NULL,
    policy          TEXT NOT NULL,
    preview         TEXT NOT NULL,
    customers       BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('prepared', 'approved')),
    prepared_by     BIGINT NOT NULL,
    prepared_email  TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    approved_by     BIGINT,
    approved_email  TEXT,
    approved_ms     BIGINT,
    CHECK (t1_ms > t0_ms),
    CHECK (status <> 'approved' OR (approved_by IS NOT NULL AND approved_by <> prepared_by))
);

-- The credits an approval ordered, one per (incident, customer, class): `reference` is the
-- engine's idempotency key `comp:<incident>:<user>:<class>`. Complete once the projection's
-- `compensations` holds the reference; `submitted_ms` is when it was last sent.
CREATE TABLE comp_credits (
    reference       TEXT PRIMARY KEY,
    incident_id     BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    asset_id        BIGINT NOT NULL,
    class           TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    submitted_ms    BIGINT
);
CREATE INDEX comp_credits_incident ON comp_credits (incident_id);
CREATE INDEX comp_credits_user ON comp_credits (user_id, created_ms);
