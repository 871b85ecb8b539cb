-- Market surveillance (talat-surveillance's detectors, talat-gateway's live follower): alerts
-- with their evidence, each day's tape audit per market, the circuit breaker's actions, and
-- where a customer session came from (links between accounts by IP and device).

-- One row per alert; `id` is the detector's stable id, so a replayed or re-fed alert enters
-- once. `accounts` is a JSON array of engine user ids, `figures` and `evidence` JSON.
-- `status`: open, in_case, dismissed.
CREATE TABLE surv_alerts (
    id              TEXT PRIMARY KEY,
    detector        TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    accounts        TEXT NOT NULL,
    from_ts_ms      BIGINT NOT NULL,
    to_ts_ms        BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    summary         TEXT NOT NULL,
    figures         TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open',
    case_id         BIGINT,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX surv_alerts_status ON surv_alerts (status, created_ms);
CREATE INDEX surv_alerts_detector ON surv_alerts (detector, created_ms);

-- One report per market and Bangkok day (days since 1970); `report` is the JSON audit.
CREATE TABLE surv_audits (
    symbol          TEXT NOT NULL,
    day             BIGINT NOT NULL,
    report          TEXT NOT NULL,
    PRIMARY KEY (symbol, day)
);

-- `mode`: halted, cancel_only, open.
CREATE TABLE surv_breaker_actions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol          TEXT NOT NULL,
    mode            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    at_ms           BIGINT NOT NULL
);

ALTER TABLE web_sessions ADD COLUMN ip TEXT;
ALTER TABLE web_sessions ADD COLUMN device TEXT;

-- Every (IP, device) a customer account signed in from, kept after its session ends: the
-- account links surveillance reads must not vanish at logout.
CREATE TABLE surv_session_origins (
    owner_id        BIGINT NOT NULL,
    ip              TEXT NOT NULL,
    device          TEXT NOT NULL,
    first_ms        BIGINT NOT NULL,
    last_ms         BIGINT NOT NULL,
    PRIMARY KEY (owner_id, ip, device)
);
