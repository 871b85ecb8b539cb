//! A mined-but-reverted Ethereum-family withdrawal: its nonce is spent and nothing moved, so
//! the follow-up keeps it `broadcast` with the hold in place and says so. Staff resolve it
//! under four eyes: one proposes releasing the hold (naming why), a different one approves;
//! each step first checks on chain that one of the withdrawal's transactions was mined and
//! reverted and none succeeded — a paid withdrawal is never released. The approval moves the
//! withdrawal to `rejected` and the engine's `WithdrawalRelease` returns the hold.

use super::rpc::EvmRpc;
use crate::service::Custody;
use crate::withdrawals::WithdrawError;
use talat_core::{Command, ExternalId};
use talat_funds::crypto::CryptoWithdrawalStatus as S;
use talat_store::{CustodyWithdrawalRow, RevertedReleaseRow};

/// The longest reason a proposal records.
pub const MAX_REASON_BYTES: usize = 500;

impl Custody {
    /// The reverted transaction of a broadcast EVM withdrawal, checked on chain now.
    async fn reverted_tx(&self, row: &CustodyWithdrawalRow) -> Result<String, WithdrawError> {
        let n = self.network(&row.network).map_err(|e| WithdrawError::NotFound(e.to_string()))?;
        if !n.config.is_evm() || row.status != S::Broadcast.as_str() {
            return Err(WithdrawError::Conflict(format!(
                "withdrawal {} is {} on {}: only a broadcast Ethereum-family withdrawal can have reverted",
                row.id, row.status, row.network
            )));
        }
        let rpc = EvmRpc::of(&n.config);
        let mut reverted = None;
        for tx in self.store.evm_txs_of(&row.id).await? {
            match rpc.receipt(&tx.txid).await? {
                Some(r) if r.success => return Err(WithdrawError::Conflict(format!("withdrawal {} was paid by {}: nothing to release", row.id, tx.txid))),
                Some(_) => reverted = Some(tx.txid),
                None => {}
            }
        }
        reverted.ok_or_else(|| WithdrawError::Conflict(format!("none of withdrawal {}'s transactions was mined and reverted", row.id)))
    }

    /// A staff member proposes releasing a reverted withdrawal's hold; nothing moves until a
    /// second staff member approves.
    pub async fn propose_reverted_release(&self, id: &str, staff_id: u64, reason: &str) -> Result<RevertedReleaseRow, WithdrawError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > MAX_REASON_BYTES {
            return Err(WithdrawError::Conflict(format!("say why in 1 to {MAX_REASON_BYTES} bytes")));
        }
        let row = self.withdrawal(id).await?;
        let txid = self.reverted_tx(&row).await?;
        let release = RevertedReleaseRow {
            withdrawal_id: row.id.clone(),
            txid,
            reason: reason.to_owned(),
            proposed_by: staff_id,
            proposed_ms: self.gateway.now_ms(),
            approved_by: None,
            approved_ms: None,
        };
        self.store.propose_reverted_release(&release).await?.map_err(WithdrawError::Conflict)?;
        tracing::warn!("custody {}: release of reverted withdrawal {id} proposed by staff {staff_id}: {reason}", row.network);
        Ok(release)
    }

    /// A second staff member approves the release: checked on chain again, the withdrawal is
    /// moved to `rejected` and the engine returns the hold to the customer.
    pub async fn approve_reverted_release(&self, id: &str, staff_id: u64) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let release = self.store.reverted_release(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no release of withdrawal {id} is proposed")))?;
        let row = self.withdrawal(id).await?;
        if release.approved_by.is_some() {
            return Err(WithdrawError::Conflict(format!("the release of withdrawal {id} was already approved; it is {}", row.status)));
        }
        if release.proposed_by == staff_id {
            return Err(WithdrawError::Conflict("the staff member who proposed a release cannot approve it".into()));
        }
        let txid = self.reverted_tx(&row).await?;
        let reason = format!("transaction {txid} was mined but reverted; hold released by staff {} and {staff_id}: {}", release.proposed_by, release.reason);
        self.store.approve_reverted_release(id, staff_id, &reason, self.gateway.now_ms()).await?.map_err(WithdrawError::Conflict)?;
        self.engine_command(Command::WithdrawalRelease { withdrawal_id: ExternalId(id.into()) }).await?;
        tracing::warn!("custody {}: reverted withdrawal {id} released ({reason})", row.network);
        self.withdrawal(id).await
    }
}
