-- The public status page: incidents and scheduled maintenance with their timed updates, and
-- operators' overrides of a component's measured state.
CREATE TABLE status_incidents (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                TEXT NOT NULL,
    name                TEXT NOT NULL,
    status              TEXT NOT NULL,
    impact              TEXT NOT NULL,
    components          TEXT NOT NULL,
    support_incident_id BIGINT,
    source              TEXT NOT NULL,
    scheduled_for_ms    BIGINT,
    scheduled_until_ms  BIGINT,
    created_by          BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL,
    updated_ms          BIGINT NOT NULL,
    resolved_ms         BIGINT
);
CREATE INDEX status_incidents_resolved ON status_incidents (resolved_ms);

CREATE TABLE status_updates (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id         BIGINT NOT NULL REFERENCES status_incidents (id),
    status              TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_by          BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, id);

CREATE TABLE status_overrides (
    component           TEXT PRIMARY KEY,
    status              TEXT NOT NULL,
    reason              TEXT NOT NULL,
    set_by              BIGINT NOT NULL,
    set_ms              BIGINT NOT NULL
);
