-- Crypto custody: deposit addresses derived per customer and network, each chain watcher's
-- durable cursor (the recent blocks' hashes, to find a fork point after a reorg), the on-chain
-- deposits it saw, and the cases a reorg below a credited deposit opens (with the freeze of
-- that asset's withdrawals for the customer).
CREATE TABLE custody_addresses (
    user_id             BIGINT NOT NULL,
    network             TEXT NOT NULL,
    derivation_index    BIGINT NOT NULL,
    address             TEXT NOT NULL UNIQUE,
    created_ms          BIGINT NOT NULL,
    PRIMARY KEY (user_id, network)
);
CREATE UNIQUE INDEX custody_addresses_index ON custody_addresses (network, derivation_index);

CREATE TABLE custody_blocks (
    network             TEXT NOT NULL,
    height              BIGINT NOT NULL,
    hash                TEXT NOT NULL,
    PRIMARY KEY (network, height)
);

CREATE TABLE custody_deposits (
    network             TEXT NOT NULL,
    txid                TEXT NOT NULL,
    output_index        BIGINT NOT NULL,
    user_id             BIGINT NOT NULL,
    asset               TEXT NOT NULL,
    address             TEXT NOT NULL,
    amount_units        BIGINT NOT NULL,
    block_height        BIGINT,
    block_hash          TEXT,
    confirmations       BIGINT NOT NULL,
    required_confirmations BIGINT NOT NULL,
    status              TEXT NOT NULL,
    seen_ms             BIGINT NOT NULL,
    updated_ms          BIGINT NOT NULL,
    credited_ms         BIGINT,
    PRIMARY KEY (network, txid, output_index)
);
CREATE INDEX custody_deposits_user ON custody_deposits (user_id, seen_ms);
CREATE INDEX custody_deposits_status ON custody_deposits (network, status);

CREATE TABLE custody_cases (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    network             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    user_id             BIGINT NOT NULL,
    asset               TEXT NOT NULL,
    txid                TEXT NOT NULL,
    output_index        BIGINT NOT NULL,
    detail              TEXT NOT NULL,
    opened_ms           BIGINT NOT NULL,
    resolved_ms         BIGINT,
    resolved_by         BIGINT,
    resolution          TEXT
);
CREATE INDEX custody_cases_open ON custody_cases (resolved_ms);

CREATE TABLE custody_freezes (
    user_id             BIGINT NOT NULL,
    asset               TEXT NOT NULL,
    case_id             BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL,
    PRIMARY KEY (user_id, asset)
);

-- The hot wallet of each network: its signing key sealed under the node's master key (as API
-- secrets are), and the one address it receives change and top-ups on.
CREATE TABLE custody_hot_wallets (
    network             TEXT PRIMARY KEY,
    address             TEXT NOT NULL,
    sealed_key          BLOB NOT NULL,
    nonce               BLOB NOT NULL,
    created_ms          BIGINT NOT NULL
);

-- Withdrawal destinations a customer trusts, each usable after its cooling-off.
CREATE TABLE custody_whitelist (
    user_id             BIGINT NOT NULL,
    network             TEXT NOT NULL,
    address             TEXT NOT NULL,
    label               TEXT NOT NULL,
    added_ms            BIGINT NOT NULL,
    PRIMARY KEY (user_id, network, address)
);

-- Crypto withdrawals. raw_tx is written (status signed) before the transaction is broadcast:
-- a row that has one is never signed again.
CREATE TABLE custody_withdrawals (
    id                  TEXT PRIMARY KEY,
    user_id             BIGINT NOT NULL,
    network             TEXT NOT NULL,
    asset               TEXT NOT NULL,
    address             TEXT NOT NULL,
    amount_units        BIGINT NOT NULL,
    fee_units           BIGINT NOT NULL,
    status              TEXT NOT NULL,
    approvals_needed    BIGINT NOT NULL,
    source              TEXT NOT NULL,
    engine_held         BIGINT NOT NULL,
    txid                TEXT,
    raw_tx              TEXT,
    inputs              TEXT,
    network_fee_units   BIGINT,
    confirmations       BIGINT NOT NULL,
    reason              TEXT,
    created_ms          BIGINT NOT NULL,
    updated_ms          BIGINT NOT NULL,
    completed_ms        BIGINT
);
CREATE INDEX custody_withdrawals_user ON custody_withdrawals (user_id, created_ms);
CREATE INDEX custody_withdrawals_status ON custody_withdrawals (status);

CREATE TABLE custody_withdrawal_approvals (
    withdrawal_id       TEXT NOT NULL,
    staff_id            BIGINT NOT NULL,
    staff_email         TEXT NOT NULL,
    at_ms               BIGINT NOT NULL,
    PRIMARY KEY (withdrawal_id, staff_id)
);

-- Sweeps of customers' deposit outputs to the hot wallet: talat holds no deposit key, so it
-- prepares a PSBT for the operator's offline signer; a second staff member approves it before
-- it is released, and the signed transaction is accepted only if it is that PSBT's.
CREATE TABLE custody_sweeps (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    network             TEXT NOT NULL,
    psbt                TEXT NOT NULL,
    unsigned_txid       TEXT NOT NULL,
    inputs              TEXT NOT NULL,
    send_units          BIGINT NOT NULL,
    fee_units           BIGINT NOT NULL,
    destination         TEXT NOT NULL,
    status              TEXT NOT NULL,
    proposed_by         BIGINT NOT NULL,
    proposed_ms         BIGINT NOT NULL,
    approved_by         BIGINT,
    approved_ms         BIGINT,
    broadcast_ms        BIGINT
);
