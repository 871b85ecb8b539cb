-- In-app notifications. The history of each market's trading mode, projected from the engine's
-- MarketModeChanged events (the markets table keeps only the current mode), so a customer can be
-- told that a market was halted and reopened; and how far each customer has read their
-- notifications (everything at or before `notifications_read_ms` is read).
CREATE TABLE market_mode_changes (
    seq        BIGINT NOT NULL,
    market_id  BIGINT NOT NULL,
    ts_ms      BIGINT NOT NULL,
    mode       TEXT NOT NULL,
    PRIMARY KEY (seq, market_id)
);
CREATE INDEX market_mode_changes_ts ON market_mode_changes (ts_ms);
ALTER TABLE web_accounts ADD COLUMN notifications_read_ms BIGINT NOT NULL DEFAULT 0;
