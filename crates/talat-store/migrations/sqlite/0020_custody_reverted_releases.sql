-- A mined-but-reverted Ethereum-family withdrawal (its nonce spent, nothing paid) keeps its
-- hold until staff release it: one staff member proposes the release, naming the reverted
-- transaction and why; a different one approves it, which moves the withdrawal to `rejected`
-- in the same transaction, and the engine's WithdrawalRelease returns the hold.
CREATE TABLE custody_reverted_releases (
    withdrawal_id       TEXT PRIMARY KEY,
    txid                TEXT NOT NULL,
    reason              TEXT NOT NULL,
    proposed_by         BIGINT NOT NULL,
    proposed_ms         BIGINT NOT NULL,
    approved_by         BIGINT,
    approved_ms         BIGINT,
    CHECK (approved_by IS NULL OR approved_by <> proposed_by)
);
