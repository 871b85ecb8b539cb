-- Per-user reads across markets for the web app (order, trade and funds history) and the sweep
-- of expired web sessions: each is an index range read, never a table scan.
-- (Same statements in both migrations/sqlite and migrations/postgres.)

-- Order history across all markets (orders_history serves one market).
CREATE INDEX orders_user ON orders (user_id, created_ts_ms, order_id);

-- A user's fills, newest first: one read per side of the trade. A one-market read walks the
-- same index and skips other markets (reads are bounded by their limit); per-market indexes
-- would cost the projector two more index writes per trade.
CREATE INDEX trades_maker_user ON trades (maker_user, seq, idx);
CREATE INDEX trades_taker_user ON trades (taker_user, seq, idx);

-- The session sweep: idle since before a time, or created before one.
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_ms);
CREATE INDEX web_sessions_created ON web_sessions (created_ms);
