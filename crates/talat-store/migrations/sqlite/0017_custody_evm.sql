-- Crypto custody on the Ethereum family (native ETH, ERC-20 tokens).
--
-- A deposit's on-chain amount where it is finer than the engine's unit (wei, a token's base
-- units), kept beside the whole engine units credited.
ALTER TABLE custody_deposits ADD COLUMN amount_raw TEXT;

-- Each EVM hot wallet's next nonce, advanced in the same transaction that records a signed
-- withdrawal: a nonce is handed out once.
CREATE TABLE custody_evm_nonces (
    chain_id            BIGINT NOT NULL,
    address             TEXT NOT NULL,
    next_nonce          BIGINT NOT NULL,
    PRIMARY KEY (chain_id, address)
);

-- Which withdrawal a wallet's nonce belongs to: never two withdrawals with one nonce (a fee
-- bump's replacement reuses its own withdrawal's nonce and is not a second row here).
CREATE TABLE custody_evm_nonce_uses (
    chain_id            BIGINT NOT NULL,
    address             TEXT NOT NULL,
    nonce               BIGINT NOT NULL,
    withdrawal_id       TEXT NOT NULL UNIQUE,
    PRIMARY KEY (chain_id, address, nonce)
);

-- Every transaction signed for an EVM withdrawal, recorded before it is broadcast: the first
-- and each fee-bumped replacement (same nonce, higher fees). Whichever is mined completes it.
CREATE TABLE custody_evm_txs (
    txid                TEXT PRIMARY KEY,
    withdrawal_id       TEXT NOT NULL,
    network             TEXT NOT NULL,
    nonce               BIGINT NOT NULL,
    raw_tx              TEXT NOT NULL,
    max_fee_per_gas_wei BIGINT NOT NULL,
    priority_fee_per_gas_wei BIGINT NOT NULL,
    gas_limit           BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL
);
CREATE INDEX custody_evm_txs_withdrawal ON custody_evm_txs (withdrawal_id, created_ms);

-- Fee bumps of a stuck withdrawal: proposed by one staff member, approved (and so signed) by
-- another.
CREATE TABLE custody_evm_bumps (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    withdrawal_id       TEXT NOT NULL,
    max_fee_per_gas_wei BIGINT NOT NULL,
    priority_fee_per_gas_wei BIGINT NOT NULL,
    status              TEXT NOT NULL,
    proposed_by         BIGINT NOT NULL,
    proposed_ms         BIGINT NOT NULL,
    approved_by         BIGINT,
    approved_ms         BIGINT,
    txid                TEXT,
    CHECK (approved_by IS NULL OR approved_by <> proposed_by)
);
CREATE INDEX custody_evm_bumps_withdrawal ON custody_evm_bumps (withdrawal_id);
