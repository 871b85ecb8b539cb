-- Transfers between the operator's own wallets beside deposit sweeps, in the same table and the
-- same four-eyes flow: `kind` is `sweep` (deposit outputs → hot, a PSBT for the offline deposit
-- key), `to_cold` (hot → cold, signed by talat once a second staff member approved it, recorded
-- in `raw_tx` before it is broadcast) or `top_up` (cold → hot, a PSBT for the offline cold key).
ALTER TABLE custody_sweeps ADD COLUMN kind TEXT NOT NULL DEFAULT 'sweep';
ALTER TABLE custody_sweeps ADD COLUMN raw_tx TEXT;
