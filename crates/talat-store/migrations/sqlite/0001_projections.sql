-- Projections of the engine's events. Every integer is an engine integer (ids, seqs, Unix ms,
-- money in the asset's smallest unit) stored as a 64-bit BIGINT; no column holds a float.
-- Enumerations are lower-case text so that rows read the same in a SQL shell.
-- (SQLite: single integer keys are INTEGER PRIMARY KEY, i.e. the rowid; composite keys cluster the
-- table WITHOUT ROWID. The PostgreSQL schema is otherwise the same.)

-- One row: the engine seq the projections below have reached. Written in the same transaction
-- as the rows, so a restart resumes exactly after the last committed command.
CREATE TABLE meta (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    projected_seq   BIGINT NOT NULL,
    last_ts_ms      BIGINT NOT NULL
);
INSERT INTO meta (id, projected_seq, last_ts_ms) VALUES (1, 0, 0);

CREATE TABLE assets (
    asset_id        INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    scale           BIGINT NOT NULL,
    listed_seq      BIGINT NOT NULL,
    listed_ts_ms    BIGINT NOT NULL
);

CREATE TABLE markets (
    market_id       INTEGER PRIMARY KEY,
    symbol          TEXT NOT NULL UNIQUE,
    base_asset      BIGINT NOT NULL,
    quote_asset     BIGINT NOT NULL,
    base            TEXT NOT NULL,
    quote           TEXT NOT NULL,
    price_scale     BIGINT NOT NULL,
    price_step      BIGINT NOT NULL,
    qty_step        BIGINT NOT NULL,
    min_quote       BIGINT NOT NULL,
    maker_fee_ppm   BIGINT NOT NULL,
    taker_fee_ppm   BIGINT NOT NULL,
    band_bps        BIGINT NOT NULL,
    opening_price   BIGINT,
    mode            TEXT NOT NULL,
    listed_seq      BIGINT NOT NULL,
    listed_ts_ms    BIGINT NOT NULL
);

CREATE TABLE users (
    user_id         INTEGER PRIMARY KEY,
    created_seq     BIGINT NOT NULL,
    created_ts_ms   BIGINT NOT NULL
);

CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    market_id       BIGINT NOT NULL,
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    tif             TEXT NOT NULL,
    post_only       BIGINT NOT NULL,
    stp             TEXT NOT NULL,
    price           BIGINT,
    stop_price      BIGINT,
    qty             BIGINT,
    amount          BIGINT,
    client_id       TEXT,
    status          TEXT NOT NULL,
    filled_qty      BIGINT NOT NULL,
    filled_quote    BIGINT NOT NULL,
    fee             BIGINT NOT NULL,
    remaining_qty   BIGINT,
    created_seq     BIGINT NOT NULL,
    created_ts_ms   BIGINT NOT NULL,
    updated_ts_ms   BIGINT NOT NULL,
    closed_ts_ms    BIGINT
);
CREATE INDEX orders_history ON orders (user_id, market_id, created_ts_ms, order_id);
-- Live orders only: the index stays as small as the books.
CREATE INDEX orders_open ON orders (user_id, market_id, created_ts_ms) WHERE status IN ('open', 'stop');

CREATE TABLE trades (
    seq             BIGINT NOT NULL,
    idx             BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    market_id       BIGINT NOT NULL,
    price           BIGINT NOT NULL,
    qty             BIGINT NOT NULL,
    maker_order     BIGINT NOT NULL,
    taker_order     BIGINT NOT NULL,
    maker_user      BIGINT NOT NULL,
    taker_user      BIGINT NOT NULL,
    taker_side      TEXT NOT NULL,
    quote_paid      BIGINT NOT NULL,
    quote_received  BIGINT NOT NULL,
    maker_fee       BIGINT NOT NULL,
    taker_fee       BIGINT NOT NULL,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX trades_market ON trades (market_id, seq, idx);
CREATE INDEX trades_maker ON trades (maker_order, seq, idx);
CREATE INDEX trades_taker ON trades (taker_order, seq, idx);

CREATE TABLE postings (
    seq             BIGINT NOT NULL,
    idx             BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    asset_id        BIGINT NOT NULL,
    from_kind       TEXT NOT NULL,
    from_user       BIGINT,
    to_kind         TEXT NOT NULL,
    to_user         BIGINT,
    amount          BIGINT NOT NULL,
    cause           TEXT NOT NULL,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX postings_from ON postings (from_user, asset_id, seq, idx);
CREATE INDEX postings_to ON postings (to_user, asset_id, seq, idx);

CREATE TABLE candles (
    market_id       BIGINT NOT NULL,
    resolution_s    BIGINT NOT NULL,
    bucket_start_s  BIGINT NOT NULL,
    open            BIGINT NOT NULL,
    high            BIGINT NOT NULL,
    low             BIGINT NOT NULL,
    close           BIGINT NOT NULL,
    volume          BIGINT NOT NULL,
    quote_volume    BIGINT NOT NULL,
    trades          BIGINT NOT NULL,
    PRIMARY KEY (market_id, resolution_s, bucket_start_s)
) WITHOUT ROWID;

CREATE TABLE deposits (
    external_id     TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    asset_id        BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL
);
CREATE INDEX deposits_user ON deposits (user_id, seq);

CREATE TABLE withdrawals (
    withdrawal_id   TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    asset_id        BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    fee             BIGINT NOT NULL,
    status          TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL,
    updated_ts_ms   BIGINT NOT NULL
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, seq);

CREATE TABLE compensations (
    reference       TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    asset_id        BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    seq             BIGINT NOT NULL,
    ts_ms           BIGINT NOT NULL
);
CREATE INDEX compensations_user ON compensations (user_id, seq);

-- The gateway's API keys. The gateway encrypts the secret; this table only keeps its bytes.
CREATE TABLE api_keys (
    api_key             TEXT PRIMARY KEY,
    user_id             BIGINT NOT NULL,
    secret_ciphertext   BLOB NOT NULL,
    secret_nonce        BLOB NOT NULL,
    perms               BIGINT NOT NULL,
    ip_allow            TEXT NOT NULL,
    created_ms          BIGINT NOT NULL,
    revoked_ms          BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);
