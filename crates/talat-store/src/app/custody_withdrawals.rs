//! Crypto withdrawals' tables (migration 0014): the hot wallets' sealed keys, customers'
//! whitelisted destinations, withdrawals and their approvals. The statuses and which move is
//! allowed are `talat_funds::crypto`'s; each move here is a compare-and-set on the status, so
//! two workers (or a worker and a restart) cannot both take the same step.

use crate::codec::{int, placeholders, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyWithdrawalRow {
    pub id: String,
    pub user_id: u64,
    pub network: String,
    pub asset: String,
    pub address: String,
    /// What leaves the customer's balance, the fee included; the address receives the rest.
    pub amount_units: u64,
    pub fee_units: u64,
    pub status: String,
    pub approvals_needed: u64,
    pub source: String,
    pub engine_held: bool,
    pub txid: Option<String>,
    pub raw_tx: Option<String>,
    /// The hot wallet's outputs the signed transaction spends: `txid:vout`, comma-separated.
    pub inputs: Option<String>,
    pub network_fee_units: Option<u64>,
    pub confirmations: u64,
    pub reason: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub completed_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhitelistRow {
    pub user_id: u64,
    pub network: String,
    pub address: String,
    pub label: String,
    pub added_ms: u64,
}

const COLUMNS: &str = "id, user_id, network, asset, address, amount_units, fee_units, status, approvals_needed, source, engine_held, txid, raw_tx, inputs, network_fee_units, confirmations, reason, created_ms, updated_ms, completed_ms";

impl CustodyWithdrawalRow {
    fn read(row: &AnyRow) -> Result<CustodyWithdrawalRow, StoreError> {
        let c = Cols::new(row, "custody_withdrawals");
        Ok(CustodyWithdrawalRow {
            id: c.text("id")?,
            user_id: c.u64("user_id")?,
            network: c.text("network")?,
            asset: c.text("asset")?,
            address: c.text("address")?,
            amount_units: c.u64("amount_units")?,
            fee_units: c.u64("fee_units")?,
            status: c.text("status")?,
            approvals_needed: c.u64("approvals_needed")?,
            source: c.text("source")?,
            engine_held: c.u64("engine_held")? == 1,
            txid: c.opt_text("txid")?,
            raw_tx: c.opt_text("raw_tx")?,
            inputs: c.opt_text("inputs")?,
            network_fee_units: c.opt_u64("network_fee_units")?,
            confirmations: c.u64("confirmations")?,
            reason: c.opt_text("reason")?,
            created_ms: c.u64("created_ms")?,
            updated_ms: c.u64("updated_ms")?,
            completed_ms: c.opt_u64("completed_ms")?,
        })
    }
}

impl Store {
    /// The network's hot wallet key, sealed: (address, sealed key, nonce).
    pub async fn custody_hot_wallet(&self, network: &str) -> Result<Option<(String, Vec<u8>, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT address, sealed_key, nonce FROM custody_hot_wallets WHERE network = $1").bind(network).fetch_optional(&self.pool).await?;
        row.map(|r| Ok((r.try_get::<String, _>("address")?, r.try_get::<Vec<u8>, _>("sealed_key")?, r.try_get::<Vec<u8>, _>("nonce")?))).transpose()
    }

    /// Stores a new hot wallet unless the network has one; returns whichever is stored.
    pub async fn create_custody_hot_wallet(
        &self,
        network: &str,
        address: &str,
        sealed: &[u8],
        nonce: &[u8],
        now_ms: u64,
    ) -> Result<(String, Vec<u8>, Vec<u8>), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO custody_hot_wallets (network, address, sealed_key, nonce, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (network) DO NOTHING",
        )
        .bind(network)
        .bind(address)
        .bind(sealed.to_vec())
        .bind(nonce.to_vec())
        .bind(int(now_ms)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(self.custody_hot_wallet(network).await?.expect("just stored"))
    }

    pub async fn add_custody_whitelist(&self, w: &WhitelistRow) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("INSERT INTO custody_whitelist (user_id, network, address, label, added_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, network, address) DO NOTHING")
            .bind(int(w.user_id)?)
            .bind(&w.network)
            .bind(&w.address)
            .bind(&w.label)
            .bind(int(w.added_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn custody_whitelist_of(&self, user_id: u64) -> Result<Vec<WhitelistRow>, StoreError> {
        let rows = sqlx::query("SELECT user_id, network, address, label, added_ms FROM custody_whitelist WHERE user_id = $1 ORDER BY network, added_ms")
            .bind(int(user_id)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "custody_whitelist");
                Ok(WhitelistRow {
                    user_id: c.u64("user_id")?,
                    network: c.text("network")?,
                    address: c.text("address")?,
                    label: c.text("label")?,
                    added_ms: c.u64("added_ms")?,
                })
            })
            .collect()
    }

    /// Inserts a withdrawal unless the customer has a pending one (one write transaction, so
    /// two requests at once cannot both pass). False when one is pending.
    pub async fn insert_custody_withdrawal(&self, w: &CustodyWithdrawalRow, pending_statuses: &[&str]) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT COUNT(*) AS n FROM custody_withdrawals WHERE user_id = $1 AND status IN ({})", placeholders(2, pending_statuses.len()));
        let mut q = sqlx::query(&sql).bind(int(w.user_id)?);
        for s in pending_statuses {
            q = q.bind(*s);
        }
        let n = Cols::new(&q.fetch_one(&mut *tx).await?, "custody_withdrawals").u64("n")?;
        if n > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO custody_withdrawals (id, user_id, network, asset, address, amount_units, fee_units, status, approvals_needed, source, engine_held, confirmations, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, $11, $11)",
        )
        .bind(&w.id)
        .bind(int(w.user_id)?)
        .bind(&w.network)
        .bind(&w.asset)
        .bind(&w.address)
        .bind(int(w.amount_units)?)
        .bind(int(w.fee_units)?)
        .bind(&w.status)
        .bind(int(w.approvals_needed)?)
        .bind(&w.source)
        .bind(int(w.created_ms)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn delete_unheld_custody_withdrawal(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM custody_withdrawals WHERE id = $1 AND engine_held = 0").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn custody_withdrawal(&self, id: &str) -> Result<Option<CustodyWithdrawalRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM custody_withdrawals WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?.as_ref().map(CustodyWithdrawalRow::read).transpose()
    }

    pub async fn custody_withdrawals_of(&self, user_id: u64, limit: i64) -> Result<Vec<CustodyWithdrawalRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM custody_withdrawals WHERE user_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(int(user_id)?).bind(limit.clamp(0, crate::MAX_CUSTODY_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(CustodyWithdrawalRow::read).collect()
    }

    pub async fn custody_withdrawals_in(&self, network: &str, statuses: &[&str]) -> Result<Vec<CustodyWithdrawalRow>, StoreError> {
        let limit_mark = statuses.len() + 2;
        let sql = format!(
            "SELECT {COLUMNS} FROM custody_withdrawals WHERE network = $1 AND status IN ({}) ORDER BY created_ms, id LIMIT ${limit_mark}",
            placeholders(2, statuses.len())
        );
        let mut q = sqlx::query(&sql).bind(network);
        for s in statuses {
            q = q.bind(*s);
        }
        let rows = q.bind(crate::MAX_CUSTODY_ROWS).fetch_all(&self.pool).await?;
        rows.iter().map(CustodyWithdrawalRow::read).collect()
    }

    pub async fn custody_withdrawal_held(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE custody_withdrawals SET engine_held = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a withdrawal from one of `from` to `to`; false if it was in none of them.
    pub async fn move_custody_withdrawal(&self, id: &str, from: &[&str], to: &str, reason: Option<&str>, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE custody_withdrawals SET status = $1, reason = COALESCE($2, reason), updated_ms = $3, completed_ms = CASE WHEN $1 = 'completed' THEN $3 ELSE completed_ms END \
             WHERE id = $4 AND status IN ({})",
            placeholders(5, from.len())
        );
        let mut q = sqlx::query(&sql).bind(to).bind(reason).bind(int(now_ms)?).bind(id);
        for s in from {
            q = q.bind(*s);
        }
        let done = q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the signed transaction (approved → signed) before anything is broadcast. False
    /// if the withdrawal was not approved (another worker signed it, or staff stopped it).
    pub async fn record_signed_custody_withdrawal(
        &self,
        id: &str,
        txid: &str,
        raw_tx: &str,
        inputs: &str,
        network_fee_units: u64,
        now_ms: u64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE custody_withdrawals SET status = 'signed', txid = $1, raw_tx = $2, inputs = $3, network_fee_units = $4, updated_ms = $5 \
             WHERE id = $6 AND status = 'approved' AND raw_tx IS NULL",
        )
        .bind(txid)
        .bind(raw_tx)
        .bind(inputs)
        .bind(int(network_fee_units)?)
        .bind(int(now_ms)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_custody_withdrawal_confirmations(&self, id: &str, confirmations: u64, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE custody_withdrawals SET confirmations = $1, updated_ms = $2 WHERE id = $3")
            .bind(int(confirmations)?)
            .bind(int(now_ms)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Outputs spent by signed transactions not yet confirmed deep enough to leave the node's
    /// UTXO set: coin selection must not use them again.
    pub async fn custody_reserved_inputs(&self, network: &str) -> Result<Vec<String>, StoreError> {
        // A hot → cold transfer spends hot outputs too.
        let rows = sqlx::query(
            "SELECT inputs FROM custody_withdrawals WHERE network = $1 AND status IN ('signed', 'broadcast') AND inputs IS NOT NULL \
             UNION ALL SELECT inputs FROM custody_sweeps WHERE network = $2 AND kind = 'to_cold' AND status IN ('signed', 'broadcast')",
        )
        .bind(network)
        .bind(network)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let text: String = r.try_get("inputs")?;
            out.extend(text.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        }
        Ok(out)
    }

    /// Adds a staff member's approval; false if they already approved it.
    pub async fn add_custody_approval(&self, withdrawal_id: &str, staff_id: u64, staff_email: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "INSERT INTO custody_withdrawal_approvals (withdrawal_id, staff_id, staff_email, at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (withdrawal_id, staff_id) DO NOTHING",
        )
        .bind(withdrawal_id)
        .bind(int(staff_id)?)
        .bind(staff_email)
        .bind(int(now_ms)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// (staff id, email) of each approval.
    pub async fn custody_approvals(&self, withdrawal_id: &str) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query("SELECT staff_id, staff_email FROM custody_withdrawal_approvals WHERE withdrawal_id = $1 ORDER BY at_ms")
            .bind(withdrawal_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "custody_withdrawal_approvals");
                Ok((c.u64("staff_id")?, c.text("staff_email")?))
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// A `to_cold` transfer's transaction as signed.
pub struct SignedTransfer<'a> {
    pub txid: &'a str,
    pub raw_hex: &'a str,
    /// Comma-separated outpoints it spends.
    pub inputs: &'a str,
    pub send_units: u64,
    pub fee_units: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodySweepRow {
    pub id: u64,
    pub network: String,
    /// Base64 (BIP-174).
    pub psbt: String,
    pub unsigned_txid: String,
    pub inputs: String,
    pub send_units: u64,
    pub fee_units: u64,
    pub destination: String,
    /// `proposed`, `approved`, `signed` (a `to_cold` transfer, recorded before it is sent),
    /// `broadcast`.
    pub status: String,
    pub proposed_by: u64,
    pub proposed_ms: u64,
    pub approved_by: Option<u64>,
    pub approved_ms: Option<u64>,
    pub broadcast_ms: Option<u64>,
    /// `sweep` (deposits → hot, PSBT), `to_cold` (hot → cold, signed by talat), `top_up`
    /// (cold → hot, PSBT).
    pub kind: String,
    /// A `to_cold` transfer's signed transaction (hex), recorded before its broadcast.
    pub raw_tx: Option<String>,
}

const SWEEP_COLUMNS: &str = "id, network, psbt, unsigned_txid, inputs, send_units, fee_units, destination, status, proposed_by, proposed_ms, approved_by, \
                             approved_ms, broadcast_ms, kind, raw_tx";

impl CustodySweepRow {
    fn read(row: &AnyRow) -> Result<CustodySweepRow, StoreError> {
        let c = Cols::new(row, "custody_sweeps");
        Ok(CustodySweepRow {
            id: c.u64("id")?,
            network: c.text("network")?,
            psbt: c.text("psbt")?,
            unsigned_txid: c.text("unsigned_txid")?,
            inputs: c.text("inputs")?,
            send_units: c.u64("send_units")?,
            fee_units: c.u64("fee_units")?,
            destination: c.text("destination")?,
            status: c.text("status")?,
            proposed_by: c.u64("proposed_by")?,
            proposed_ms: c.u64("proposed_ms")?,
            approved_by: c.opt_u64("approved_by")?,
            approved_ms: c.opt_u64("approved_ms")?,
            broadcast_ms: c.opt_u64("broadcast_ms")?,
            kind: c.text("kind")?,
            raw_tx: c.opt_text("raw_tx")?,
        })
    }
}

impl Store {
    /// A network's credited deposits (candidates for a sweep: the caller checks they are unspent).
    pub async fn custody_credited_deposits(&self, network: &str, limit: i64) -> Result<Vec<crate::CustodyDepositRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT network, txid, output_index, user_id, asset, address, amount_units, amount_raw, block_height, block_hash, confirmations, required_confirmations, status, seen_ms, updated_ms, credited_ms \
             FROM custody_deposits WHERE network = $1 AND status = 'credited' ORDER BY block_height, txid, output_index LIMIT $2",
        )
        .bind(network)
        .bind(limit.clamp(0, crate::MAX_CUSTODY_ROWS))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(crate::app::custody::deposit_row).collect()
    }

    /// The derivation index of a customer's deposit address.
    pub async fn custody_address_index(&self, network: &str, address: &str) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query("SELECT derivation_index FROM custody_addresses WHERE network = $1 AND address = $2")
            .bind(network)
            .bind(address)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Cols::new(&r, "custody_addresses").u64("derivation_index")).transpose()
    }

    /// Outputs spent by sweeps not yet broadcast: a second sweep must not propose them again.
    pub async fn custody_swept_inputs(&self, network: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT inputs FROM custody_sweeps WHERE network = $1").bind(network).fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for r in rows {
            let text: String = r.try_get("inputs")?;
            out.extend(text.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        }
        Ok(out)
    }

    pub async fn insert_custody_sweep(&self, s: &CustodySweepRow) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO custody_sweeps (network, psbt, unsigned_txid, inputs, send_units, fee_units, destination, status, proposed_by, proposed_ms, kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9, $10) RETURNING id",
        )
        .bind(&s.network)
        .bind(&s.psbt)
        .bind(&s.unsigned_txid)
        .bind(&s.inputs)
        .bind(int(s.send_units)?)
        .bind(int(s.fee_units)?)
        .bind(&s.destination)
        .bind(int(s.proposed_by)?)
        .bind(int(s.proposed_ms)?)
        .bind(&s.kind)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "custody_sweeps").u64("id")?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn custody_sweep(&self, id: u64) -> Result<Option<CustodySweepRow>, StoreError> {
        let sql = format!("SELECT {SWEEP_COLUMNS} FROM custody_sweeps WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(CustodySweepRow::read).transpose()
    }

    pub async fn custody_sweeps(&self, limit: i64) -> Result<Vec<CustodySweepRow>, StoreError> {
        let sql = format!("SELECT {SWEEP_COLUMNS} FROM custody_sweeps ORDER BY id DESC LIMIT $1");
        let rows = sqlx::query(&sql).bind(limit.clamp(0, crate::MAX_CUSTODY_ROWS)).fetch_all(&self.pool).await?;
        rows.iter().map(CustodySweepRow::read).collect()
    }

    /// Approval by a second staff member (not the proposer); false if not proposed or the same person.
    pub async fn approve_custody_sweep(&self, id: u64, staff_id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE custody_sweeps SET status = 'approved', approved_by = $1, approved_ms = $2 WHERE id = $3 AND status = 'proposed' AND proposed_by <> $1",
        )
        .bind(int(staff_id)?)
        .bind(int(now_ms)?)
        .bind(int(id)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records an approved `to_cold` transfer's signed transaction; false if it is not an
    /// approved, unsigned one (then nothing may be sent).
    pub async fn record_signed_custody_transfer(&self, id: u64, signed: &SignedTransfer<'_>) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE custody_sweeps SET status = 'signed', unsigned_txid = $1, raw_tx = $2, inputs = $3, send_units = $4, fee_units = $5 \
             WHERE id = $6 AND kind = 'to_cold' AND status = 'approved' AND raw_tx IS NULL",
        )
        .bind(signed.txid)
        .bind(signed.raw_hex)
        .bind(signed.inputs)
        .bind(int(signed.send_units)?)
        .bind(int(signed.fee_units)?)
        .bind(int(id)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_custody_sweep_broadcast(&self, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE custody_sweeps SET status = 'broadcast', broadcast_ms = $1 WHERE id = $2 AND status IN ('approved', 'signed', 'broadcast')")
                .bind(int(now_ms)?)
                .bind(int(id)?)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
