//! The Ethereum family's withdrawal tables (migration 0017): each hot wallet's next nonce and
//! which withdrawal owns each nonce, every signed transaction of a withdrawal (the first and
//! its fee-bumped replacements), and the fee bumps staff propose and approve. A nonce is
//! allocated, the transaction signed and recorded, and the withdrawal moved to `signed`, all in
//! one write transaction: a crash leaves either nothing or a recorded transaction, never a
//! signature without a record or a nonce handed out twice.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use sqlx::any::AnyRow;

/// A transaction signed for an EVM withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmTxRow {
    pub txid: String,
    pub withdrawal_id: String,
    pub network: String,
    pub nonce: u64,
    pub raw_tx: String,
    pub max_fee_per_gas_wei: u64,
    pub priority_fee_per_gas_wei: u64,
    pub gas_limit: u64,
    pub created_ms: u64,
}

impl EvmTxRow {
    /// The row recording `signed` for `owner` (a withdrawal id, or `transfer:<id>`).
    fn of(signed: &EvmSigned, owner: &str, network: &str, nonce: u64, now_ms: u64) -> EvmTxRow {
        EvmTxRow {
            txid: signed.txid.clone(),
            withdrawal_id: owner.into(),
            network: network.into(),
            nonce,
            raw_tx: signed.raw_tx.clone(),
            max_fee_per_gas_wei: signed.max_fee_per_gas_wei,
            priority_fee_per_gas_wei: signed.priority_fee_per_gas_wei,
            gas_limit: signed.gas_limit,
            created_ms: now_ms,
        }
    }
}

/// What a signer hands back to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmSigned {
    pub txid: String,
    pub raw_tx: String,
    pub max_fee_per_gas_wei: u64,
    pub priority_fee_per_gas_wei: u64,
    pub gas_limit: u64,
}

/// A proposed (or approved and signed) fee bump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmBumpRow {
    pub id: u64,
    pub withdrawal_id: String,
    pub max_fee_per_gas_wei: u64,
    pub priority_fee_per_gas_wei: u64,
    /// `proposed` or `signed`.
    pub status: String,
    pub proposed_by: u64,
    pub proposed_ms: u64,
    pub approved_by: Option<u64>,
    pub approved_ms: Option<u64>,
    pub txid: Option<String>,
}

const TX_COLUMNS: &str = "txid, withdrawal_id, network, nonce, raw_tx, max_fee_per_gas_wei, priority_fee_per_gas_wei, gas_limit, created_ms";
const BUMP_COLUMNS: &str = "id, withdrawal_id, max_fee_per_gas_wei, priority_fee_per_gas_wei, status, proposed_by, proposed_ms, approved_by, approved_ms, txid";
/// Most transactions one withdrawal may have (the first and its replacements).
pub const MAX_EVM_TXS_PER_WITHDRAWAL: i64 = 16;

impl EvmTxRow {
    fn read(row: &AnyRow) -> Result<EvmTxRow, StoreError> {
        let c = Cols::new(row, "custody_evm_txs");
        Ok(EvmTxRow {
            txid: c.text("txid")?,
            withdrawal_id: c.text("withdrawal_id")?,
            network: c.text("network")?,
            nonce: c.u64("nonce")?,
            raw_tx: c.text("raw_tx")?,
            max_fee_per_gas_wei: c.u64("max_fee_per_gas_wei")?,
            priority_fee_per_gas_wei: c.u64("priority_fee_per_gas_wei")?,
            gas_limit: c.u64("gas_limit")?,
            created_ms: c.u64("created_ms")?,
        })
    }
}

impl EvmBumpRow {
    fn read(row: &AnyRow) -> Result<EvmBumpRow, StoreError> {
        let c = Cols::new(row, "custody_evm_bumps");
        Ok(EvmBumpRow {
            id: c.u64("id")?,
            withdrawal_id: c.text("withdrawal_id")?,
            max_fee_per_gas_wei: c.u64("max_fee_per_gas_wei")?,
            priority_fee_per_gas_wei: c.u64("priority_fee_per_gas_wei")?,
            status: c.text("status")?,
            proposed_by: c.u64("proposed_by")?,
            proposed_ms: c.u64("proposed_ms")?,
            approved_by: c.opt_u64("approved_by")?,
            approved_ms: c.opt_u64("approved_ms")?,
            txid: c.opt_text("txid")?,
        })
    }
}

async fn insert_tx(tx: &mut crate::store::WriteTx<'_>, row: &EvmTxRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO custody_evm_txs (txid, withdrawal_id, network, nonce, raw_tx, max_fee_per_gas_wei, priority_fee_per_gas_wei, gas_limit, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&row.txid)
    .bind(&row.withdrawal_id)
    .bind(&row.network)
    .bind(int(row.nonce)?)
    .bind(&row.raw_tx)
    .bind(int(row.max_fee_per_gas_wei)?)
    .bind(int(row.priority_fee_per_gas_wei)?)
    .bind(int(row.gas_limit)?)
    .bind(int(row.created_ms)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The wallet's next nonce: the larger of the stored one and what the node counts.
async fn next_nonce(tx: &mut crate::store::WriteTx<'_>, chain_id: u64, address: &str, chain_next_nonce: u64) -> Result<u64, StoreError> {
    let stored = sqlx::query("SELECT next_nonce FROM custody_evm_nonces WHERE chain_id = $1 AND address = $2")
        .bind(int(chain_id)?)
        .bind(address)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| Cols::new(&r, "custody_evm_nonces").u64("next_nonce"))
        .transpose()?;
    Ok(stored.unwrap_or(0).max(chain_next_nonce))
}

/// Gives `nonce` of the wallet to `owner` (a withdrawal's id, or `transfer:<id>` for a
/// transfer the hot wallet signs) and advances the wallet's next nonce past it.
async fn take_nonce(tx: &mut crate::store::WriteTx<'_>, chain_id: u64, address: &str, nonce: u64, owner: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO custody_evm_nonce_uses (chain_id, address, nonce, withdrawal_id) VALUES ($1, $2, $3, $4)")
        .bind(int(chain_id)?)
        .bind(address)
        .bind(int(nonce)?)
        .bind(owner)
        .execute(&mut **tx)
        .await?;
    let next = nonce.checked_add(1).ok_or(StoreError::Overflow(nonce))?;
    sqlx::query(
        "INSERT INTO custody_evm_nonces (chain_id, address, next_nonce) VALUES ($1, $2, $3) \
         ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = excluded.next_nonce",
    )
    .bind(int(chain_id)?)
    .bind(address)
    .bind(int(next)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The owner id under which a transfer's (hot → cold, gas top-up) nonce and transaction are
/// recorded beside withdrawals'.
pub fn evm_transfer_owner(transfer_id: u64) -> String {
    format!("transfer:{transfer_id}")
}

impl Store {
    /// Signs and records an approved EVM withdrawal in one write transaction: the wallet's next
    /// nonce (the larger of the stored one and `chain_next_nonce`, what the node counts) is
    /// handed to `sign`, and its transaction recorded with the withdrawal moved to `signed`.
    /// `Ok(Err)` when the withdrawal is no longer approved and unsigned, or `sign` refused:
    /// nothing was recorded and no nonce used.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_signed_evm_withdrawal(
        &self,
        id: &str,
        network: &str,
        chain_id: u64,
        address: &str,
        chain_next_nonce: u64,
        now_ms: u64,
        sign: impl FnOnce(u64) -> Result<EvmSigned, String>,
    ) -> Result<Result<EvmTxRow, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status, raw_tx FROM custody_withdrawals WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(Err(format!("no withdrawal {id}"))) };
        let c = Cols::new(&row, "custody_withdrawals");
        if c.text("status")? != "approved" || c.opt_text("raw_tx")?.is_some() {
            return Ok(Err(format!("withdrawal {id} is no longer approved and unsigned; nothing was signed")));
        }
        let nonce = next_nonce(&mut tx, chain_id, address, chain_next_nonce).await?;
        let signed = match sign(nonce) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        take_nonce(&mut tx, chain_id, address, nonce, id).await?;
        let recorded = EvmTxRow::of(&signed, id, network, nonce, now_ms);
        insert_tx(&mut tx, &recorded).await?;
        let done = sqlx::query(
            "UPDATE custody_withdrawals SET status = 'signed', txid = $1, raw_tx = $2, updated_ms = $3 WHERE id = $4 AND status = 'approved' AND raw_tx IS NULL",
        )
        .bind(&signed.txid)
        .bind(&signed.raw_tx)
        .bind(int(now_ms)?)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        assert_eq!(done.rows_affected(), 1, "the withdrawal was checked approved and unsigned under the same write lock");
        tx.commit().await?;
        Ok(Ok(recorded))
    }

    /// Signs and records an approved transfer the EVM hot wallet pays (`to_cold`, or a sweep's
    /// `gas` top-up) in one write transaction, as [`Store::record_signed_evm_withdrawal`] does a
    /// withdrawal: the next nonce, the signed transaction (under the owner
    /// [`evm_transfer_owner`]) and the transfer moved to `signed`. `Ok(Err)` when it is no
    /// longer approved and unsigned, or `sign` refused: nothing recorded, no nonce used.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_signed_evm_transfer(
        &self,
        transfer_id: u64,
        network: &str,
        chain_id: u64,
        address: &str,
        chain_next_nonce: u64,
        now_ms: u64,
        sign: impl FnOnce(u64) -> Result<EvmSigned, String>,
    ) -> Result<Result<EvmTxRow, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT status, kind, raw_tx FROM custody_sweeps WHERE id = $1").bind(int(transfer_id)?).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(Err(format!("no transfer {transfer_id}"))) };
        let c = Cols::new(&row, "custody_sweeps");
        if c.text("status")? != "approved" || c.opt_text("raw_tx")?.is_some() || !matches!(c.text("kind")?.as_str(), "to_cold" | "gas") {
            return Ok(Err(format!("transfer {transfer_id} is no longer an approved, unsigned transfer from hot; nothing was signed")));
        }
        let nonce = next_nonce(&mut tx, chain_id, address, chain_next_nonce).await?;
        let signed = match sign(nonce) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let owner = evm_transfer_owner(transfer_id);
        take_nonce(&mut tx, chain_id, address, nonce, &owner).await?;
        let recorded = EvmTxRow::of(&signed, &owner, network, nonce, now_ms);
        insert_tx(&mut tx, &recorded).await?;
        let done = sqlx::query(
            "UPDATE custody_sweeps SET status = 'signed', unsigned_txid = $1, raw_tx = $2 WHERE id = $3 AND status = 'approved' AND raw_tx IS NULL",
        )
        .bind(&signed.txid)
        .bind(&signed.raw_tx)
        .bind(int(transfer_id)?)
        .execute(&mut *tx)
        .await?;
        assert_eq!(done.rows_affected(), 1, "the transfer was checked approved and unsigned under the same write lock");
        tx.commit().await?;
        Ok(Ok(recorded))
    }

    /// The withdrawal's signed transactions, oldest first.
    pub async fn evm_txs_of(&self, withdrawal_id: &str) -> Result<Vec<EvmTxRow>, StoreError> {
        let sql = format!("SELECT {TX_COLUMNS} FROM custody_evm_txs WHERE withdrawal_id = $1 ORDER BY created_ms, max_fee_per_gas_wei LIMIT $2");
        let rows = sqlx::query(&sql).bind(withdrawal_id).bind(MAX_EVM_TXS_PER_WITHDRAWAL).fetch_all(&self.pool).await?;
        rows.iter().map(EvmTxRow::read).collect()
    }

    /// Points the withdrawal at the one of its transactions that was mined.
    pub async fn set_custody_withdrawal_tx(&self, id: &str, txid: &str, raw_tx: &str, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE custody_withdrawals SET txid = $1, raw_tx = $2, updated_ms = $3 WHERE id = $4")
            .bind(txid)
            .bind(raw_tx)
            .bind(int(now_ms)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a staff member's proposed fee bump; `Ok(Err)` if one is already open.
    pub async fn propose_evm_bump(
        &self,
        withdrawal_id: &str,
        max_fee_per_gas_wei: u64,
        priority_fee_per_gas_wei: u64,
        staff_id: u64,
        now_ms: u64,
    ) -> Result<Result<EvmBumpRow, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let open = sqlx::query("SELECT id FROM custody_evm_bumps WHERE withdrawal_id = $1 AND status = 'proposed'")
            .bind(withdrawal_id)
            .fetch_optional(&mut *tx)
            .await?;
        if open.is_some() {
            return Ok(Err("a fee bump of this withdrawal already awaits approval".into()));
        }
        let row = sqlx::query(
            "INSERT INTO custody_evm_bumps (withdrawal_id, max_fee_per_gas_wei, priority_fee_per_gas_wei, status, proposed_by, proposed_ms) \
             VALUES ($1, $2, $3, 'proposed', $4, $5) RETURNING id",
        )
        .bind(withdrawal_id)
        .bind(int(max_fee_per_gas_wei)?)
        .bind(int(priority_fee_per_gas_wei)?)
        .bind(int(staff_id)?)
        .bind(int(now_ms)?)
        .fetch_one(&mut *tx)
        .await?;
        let id = Cols::new(&row, "custody_evm_bumps").u64("id")?;
        tx.commit().await?;
        Ok(Ok(EvmBumpRow {
            id,
            withdrawal_id: withdrawal_id.into(),
            max_fee_per_gas_wei,
            priority_fee_per_gas_wei,
            status: "proposed".into(),
            proposed_by: staff_id,
            proposed_ms: now_ms,
            approved_by: None,
            approved_ms: None,
            txid: None,
        }))
    }

    pub async fn evm_bump(&self, id: u64) -> Result<Option<EvmBumpRow>, StoreError> {
        let sql = format!("SELECT {BUMP_COLUMNS} FROM custody_evm_bumps WHERE id = $1");
        sqlx::query(&sql).bind(int(id)?).fetch_optional(&self.pool).await?.as_ref().map(EvmBumpRow::read).transpose()
    }

    pub async fn evm_bumps_of(&self, withdrawal_id: &str) -> Result<Vec<EvmBumpRow>, StoreError> {
        let sql = format!("SELECT {BUMP_COLUMNS} FROM custody_evm_bumps WHERE withdrawal_id = $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql).bind(withdrawal_id).bind(MAX_EVM_TXS_PER_WITHDRAWAL).fetch_all(&self.pool).await?;
        rows.iter().map(EvmBumpRow::read).collect()
    }

    /// A second staff member approves a proposed bump: in one write transaction the
    /// replacement is signed by `sign` (given the bump and the withdrawal's latest transaction,
    /// whose nonce it reuses) and recorded, the bump marked signed, and the withdrawal pointed
    /// at the replacement in `signed` (the next pass broadcasts it). `Ok(Err)` when the bump is
    /// not open, the approver proposed it, the withdrawal is not in flight, or `sign` refused.
    pub async fn record_evm_replacement(
        &self,
        bump_id: u64,
        staff_id: u64,
        now_ms: u64,
        sign: impl FnOnce(&EvmBumpRow, &EvmTxRow) -> Result<EvmSigned, String>,
    ) -> Result<Result<EvmTxRow, String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {BUMP_COLUMNS} FROM custody_evm_bumps WHERE id = $1");
        let Some(bump) = sqlx::query(&sql).bind(int(bump_id)?).fetch_optional(&mut *tx).await?.as_ref().map(EvmBumpRow::read).transpose()? else {
            return Ok(Err(format!("no fee bump {bump_id}")));
        };
        if bump.status != "proposed" {
            return Ok(Err(format!("fee bump {bump_id} is {}, not awaiting approval", bump.status)));
        }
        if bump.proposed_by == staff_id {
            return Ok(Err("a second staff member must approve a fee bump".into()));
        }
        let status = sqlx::query("SELECT status FROM custody_withdrawals WHERE id = $1").bind(&bump.withdrawal_id).fetch_optional(&mut *tx).await?;
        let status = status.map(|r| Cols::new(&r, "custody_withdrawals").text("status")).transpose()?;
        if !matches!(status.as_deref(), Some("signed" | "broadcast")) {
            return Ok(Err(format!("withdrawal {} is not in flight; nothing to replace", bump.withdrawal_id)));
        }
        let sql = format!("SELECT {TX_COLUMNS} FROM custody_evm_txs WHERE withdrawal_id = $1 ORDER BY created_ms DESC, max_fee_per_gas_wei DESC LIMIT 1");
        let Some(latest) = sqlx::query(&sql).bind(&bump.withdrawal_id).fetch_optional(&mut *tx).await?.as_ref().map(EvmTxRow::read).transpose()? else {
            return Ok(Err(format!("withdrawal {} has no signed transaction", bump.withdrawal_id)));
        };
        let count = sqlx::query("SELECT COUNT(*) AS n FROM custody_evm_txs WHERE withdrawal_id = $1").bind(&bump.withdrawal_id).fetch_one(&mut *tx).await?;
        if Cols::new(&count, "custody_evm_txs").u64("n")? >= MAX_EVM_TXS_PER_WITHDRAWAL as u64 {
            return Ok(Err(format!("withdrawal {} has been replaced {MAX_EVM_TXS_PER_WITHDRAWAL} times already", bump.withdrawal_id)));
        }
        let signed = match sign(&bump, &latest) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let replacement = EvmTxRow {
            txid: signed.txid.clone(),
            withdrawal_id: bump.withdrawal_id.clone(),
            network: latest.network.clone(),
            nonce: latest.nonce,
            raw_tx: signed.raw_tx.clone(),
            max_fee_per_gas_wei: signed.max_fee_per_gas_wei,
            priority_fee_per_gas_wei: signed.priority_fee_per_gas_wei,
            gas_limit: signed.gas_limit,
            created_ms: now_ms.max(latest.created_ms),
        };
        insert_tx(&mut tx, &replacement).await?;
        sqlx::query("UPDATE custody_evm_bumps SET status = 'signed', approved_by = $1, approved_ms = $2, txid = $3 WHERE id = $4 AND status = 'proposed'")
            .bind(int(staff_id)?)
            .bind(int(now_ms)?)
            .bind(&signed.txid)
            .bind(int(bump_id)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE custody_withdrawals SET status = 'signed', txid = $1, raw_tx = $2, updated_ms = $3 WHERE id = $4 AND status IN ('signed', 'broadcast')",
        )
        .bind(&signed.txid)
        .bind(&signed.raw_tx)
        .bind(int(now_ms)?)
        .bind(&bump.withdrawal_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(replacement))
    }
}

/// A proposed (or approved) release of a mined-but-reverted withdrawal's hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevertedReleaseRow {
    pub withdrawal_id: String,
    pub txid: String,
    pub reason: String,
    pub proposed_by: u64,
    pub proposed_ms: u64,
    pub approved_by: Option<u64>,
    pub approved_ms: Option<u64>,
}

const RELEASE_COLUMNS: &str = "withdrawal_id, txid, reason, proposed_by, proposed_ms, approved_by, approved_ms";

impl RevertedReleaseRow {
    fn read(row: &AnyRow) -> Result<RevertedReleaseRow, StoreError> {
        let c = Cols::new(row, "custody_reverted_releases");
        Ok(RevertedReleaseRow {
            withdrawal_id: c.text("withdrawal_id")?,
            txid: c.text("txid")?,
            reason: c.text("reason")?,
            proposed_by: c.u64("proposed_by")?,
            proposed_ms: c.u64("proposed_ms")?,
            approved_by: c.opt_u64("approved_by")?,
            approved_ms: c.opt_u64("approved_ms")?,
        })
    }
}

impl Store {
    /// Records a staff member's proposal to release a reverted withdrawal's hold; `Ok(Err)`
    /// if one is already recorded (proposed or approved).
    pub async fn propose_reverted_release(&self, row: &RevertedReleaseRow) -> Result<Result<(), String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let open = sqlx::query("SELECT withdrawal_id FROM custody_reverted_releases WHERE withdrawal_id = $1")
            .bind(&row.withdrawal_id)
            .fetch_optional(&mut *tx)
            .await?;
        if open.is_some() {
            return Ok(Err(format!("a release of withdrawal {} is already proposed", row.withdrawal_id)));
        }
        sqlx::query("INSERT INTO custody_reverted_releases (withdrawal_id, txid, reason, proposed_by, proposed_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.withdrawal_id)
            .bind(&row.txid)
            .bind(&row.reason)
            .bind(int(row.proposed_by)?)
            .bind(int(row.proposed_ms)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn reverted_release(&self, withdrawal_id: &str) -> Result<Option<RevertedReleaseRow>, StoreError> {
        let sql = format!("SELECT {RELEASE_COLUMNS} FROM custody_reverted_releases WHERE withdrawal_id = $1");
        sqlx::query(&sql).bind(withdrawal_id).fetch_optional(&self.pool).await?.as_ref().map(RevertedReleaseRow::read).transpose()
    }

    /// A second staff member approves a proposed release: in one transaction the release is
    /// marked approved and the withdrawal moved from `broadcast` to `rejected` with `reason`.
    /// `Ok(Err)` (nothing changed) when there is no open proposal, the approver proposed it,
    /// or the withdrawal is no longer broadcast.
    pub async fn approve_reverted_release(&self, withdrawal_id: &str, staff_id: u64, reason: &str, now_ms: u64) -> Result<Result<(), String>, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE custody_reverted_releases SET approved_by = $1, approved_ms = $2 WHERE withdrawal_id = $3 AND approved_by IS NULL AND proposed_by <> $1",
        )
        .bind(int(staff_id)?)
        .bind(int(now_ms)?)
        .bind(withdrawal_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(Err("no release of this withdrawal awaits approval by someone other than its proposer".into()));
        }
        let moved = sqlx::query("UPDATE custody_withdrawals SET status = 'rejected', reason = $1, updated_ms = $2 WHERE id = $3 AND status = 'broadcast'")
            .bind(reason)
            .bind(int(now_ms)?)
            .bind(withdrawal_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Ok(Err(format!("withdrawal {withdrawal_id} is no longer broadcast; nothing was released")));
        }
        tx.commit().await?;
        Ok(Ok(()))
    }
}
