-- Market surveillance's cases (talat-web's surveillance console): compliance staff gather
-- alerts into a case, assign it, note it, ask the customer to explain (a support ticket),
-- escalate it and close it with a disposition; every step is on the case's timeline.
-- (PostgreSQL twin in migrations/postgres/0010_surveillance_cases.sql.)

-- `status`: open, awaiting_customer, escalated, closed. A closed case has its `disposition`
-- (no_action, warning, restricted, account_closed, reported_to_amlo, reported_to_sec).
-- `ticket_id`: the support ticket that asked the customer to explain, due `explain_due_ms`.
-- Every change raises `version`. Alerts point at their case (surv_alerts.case_id).
CREATE TABLE surv_cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'awaiting_customer', 'escalated', 'closed')),
    assignee_staff_id BIGINT,
    disposition     TEXT,
    ticket_id       BIGINT,
    explain_due_ms  BIGINT,
    created_by      BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    version         BIGINT NOT NULL,
    CHECK (status <> 'closed' OR disposition IS NOT NULL)
);
CREATE INDEX surv_cases_status ON surv_cases (status, updated_ms);
CREATE INDEX surv_alerts_case ON surv_alerts (case_id);

-- A case's timeline. `action`: opened, assigned, note, asked_customer, escalated, closed.
-- `detail` is JSON. Append-only: the triggers below refuse every UPDATE and DELETE (the
-- timeline is what the regulator's report quotes).
CREATE TABLE surv_case_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    staff_id        BIGINT NOT NULL,
    action          TEXT NOT NULL,
    note            TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX surv_case_events_case ON surv_case_events (case_id, id);
CREATE TRIGGER surv_case_events_no_update BEFORE UPDATE ON surv_case_events
BEGIN
    SELECT RAISE(ABORT, 'surv_case_events is append-only');
END;
CREATE TRIGGER surv_case_events_no_delete BEFORE DELETE ON surv_case_events
BEGIN
    SELECT RAISE(ABORT, 'surv_case_events is append-only');
END;
