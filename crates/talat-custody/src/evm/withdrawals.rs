//! Withdrawals on the Ethereum family, the EVM half of [`crate::withdrawals`]' pipeline
//! (request → approvals → sign → record → broadcast → confirmations → settle):
//!
//! * **Sign and record** — the hot wallet's next nonce is allocated, the EIP-1559 transaction
//!   (ETH: value to the destination; a token: `transfer(to, amount)` to its contract) signed
//!   and recorded, and the withdrawal moved to `signed`, in one store transaction; nothing is
//!   broadcast before that commits.
//! * **Unknown outcome** — a withdrawal still `signed` (a crash or a timeout around the
//!   broadcast) is resolved by looking its transactions up: mined or known to the node, it
//!   moves on; unknown, the recorded bytes are sent again. It is never signed a second time.
//! * **Stuck** — staff propose a fee bump of a broadcast-but-unmined withdrawal (both fee
//!   fields at least +10%, as nodes require of a replacement), a second staff member approves,
//!   and the replacement (same nonce, so at most one of them can ever be mined) is recorded
//!   before it is broadcast. Whichever of the withdrawal's transactions is mined completes it.

use super::address::{parse_hex, to_lower_hex, Address};
use super::rpc::{EvmRpc, SendError};
use super::signer::{sign_transaction, EvmSigner, LocalEvmSigner};
use super::tx::{decode_signed, Eip1559Tx};
use super::units::units_to_raw;
use crate::chain::Chain;
use crate::service::{Custody, Network};
use crate::withdrawals::WithdrawError;
use talat_core::{Command, ExternalId};
use talat_funds::crypto::{CryptoRefusal, CryptoWithdrawalStatus as S};
use talat_store::{CustodyWithdrawalRow, EvmBumpRow, EvmSigned, EvmTxRow};

/// `fee` raised by 10%, rounded up, and by at least one wei: a replacement must raise both
/// fee fields at least this much (nodes refuse less as "replacement transaction underpriced").
pub fn bumped(fee: u64) -> Option<u64> {
    fee.checked_add(fee.div_ceil(10).max(1))
}

/// The fee fields of a first transaction: the configured tip, and twice the latest base fee
/// plus the tip (room for six full blocks of base-fee rises), never above the configured cap.
pub fn initial_fees(base_fee_wei: u64, priority_wei: u64, cap_wei: u64) -> (u64, u64) {
    let max_fee = base_fee_wei.saturating_mul(2).saturating_add(priority_wei).min(cap_wei).max(priority_wei);
    (priority_wei, max_fee)
}

pub(crate) fn signed_of(tx: &Eip1559Tx, signer: &dyn EvmSigner) -> Result<EvmSigned, String> {
    let signed = sign_transaction(signer, tx)?;
    Ok(EvmSigned {
        txid: signed.txid_hex(),
        raw_tx: signed.raw_hex(),
        max_fee_per_gas_wei: tx.max_fee_per_gas_wei,
        priority_fee_per_gas_wei: tx.max_priority_fee_per_gas_wei,
        gas_limit: tx.gas_limit,
    })
}

fn decode_hex_tx(raw: &str) -> Result<Eip1559Tx, String> {
    let bytes = hex::decode(raw.trim_start_matches("0x")).map_err(|e| format!("the recorded transaction is not hex: {e}"))?;
    decode_signed(&bytes).map(|(tx, _)| tx)
}

impl Custody {
    /// The EVM network's hot wallet signer and address, the key created and sealed into the
    /// store on first use (as the Bitcoin family's, under the same master key).
    pub async fn evm_hot_signer(&self, network: &Network) -> Result<(LocalEvmSigner, String), WithdrawError> {
        if !network.config.is_evm() {
            return Err(WithdrawError::Unavailable(format!("{} is not an Ethereum-family network", network.config.network)));
        }
        let aad = format!("custody-hot:{}", network.config.network);
        let stored = match self.store.custody_hot_wallet(&network.config.network).await? {
            Some(stored) => stored,
            None => {
                let (signer, key) = LocalEvmSigner::generate().map_err(WithdrawError::Unavailable)?;
                let (sealed, nonce) = self.gateway.master.seal(&aad, key.as_bytes());
                self.store.create_custody_hot_wallet(&network.config.network, &to_lower_hex(&signer.address()), &sealed, &nonce, self.gateway.now_ms()).await?
            }
        };
        let (address, sealed, nonce) = stored;
        let key = self.gateway.master.open(&aad, &sealed, &nonce).map_err(|e| WithdrawError::Unavailable(format!("the hot wallet key does not open: {e}")))?;
        let signer = LocalEvmSigner::from_hex(&String::from_utf8_lossy(&key)).map_err(WithdrawError::Unavailable)?;
        if to_lower_hex(&signer.address()) != address {
            return Err(WithdrawError::Unavailable(format!("{}: the sealed hot key does not match the stored address", network.config.network)));
        }
        Ok((signer, address))
    }

    /// Signs an approved EVM withdrawal and records it (nonce included) without broadcasting.
    pub(crate) async fn sign_evm_withdrawal(&self, row: &CustodyWithdrawalRow, n: &Network) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        rpc.check(c).await.map_err(WithdrawError::Unavailable)?;
        let (signer, hot) = self.evm_hot_signer(n).await?;
        let destination = parse_hex(&row.address).ok_or(WithdrawError::Refused(CryptoRefusal::InvalidAddress))?;
        let send_units = row.amount_units.checked_sub(row.fee_units).filter(|u| *u > 0).ok_or(WithdrawError::Refused(CryptoRefusal::BelowFee))?;
        let amount_raw = units_to_raw(send_units, c.decimals, c.engine_decimals)
            .ok_or_else(|| WithdrawError::Unavailable(format!("{send_units} units are not a whole amount of {}'s on-chain units", c.asset)))?;
        let (priority, max_fee) = initial_fees(rpc.base_fee_wei().await?, c.priority_fee_per_gas_wei, c.max_fee_per_gas_wei);
        let template = |nonce: u64| super::transfers::payment_tx(c, nonce, (priority, max_fee), destination, amount_raw);
        // The hot wallet must cover the value and the most the gas can cost, after what its
        // signed, unsettled withdrawals will take: one it cannot pay waits for a top-up instead
        // of taking a nonce its predecessors' shortfall would block.
        let hot_address = signer.address();
        if !self.hot_covers(n, &rpc, &hot_address, amount_raw, template(0).max_gas_cost_wei()).await? {
            return Err(WithdrawError::Unavailable(format!(
                "the {} hot wallet {hot} does not cover {amount_raw} and the gas; the withdrawal waits for a top-up",
                c.network
            )));
        }
        let chain_next = rpc.pending_nonce(&hot_address).await?;
        let recorded = self
            .store
            .record_signed_evm_withdrawal(&row.id, &c.network, c.chain_id, &hot, chain_next, self.gateway.now_ms(), |nonce| {
                signed_of(&template(nonce), &signer)
            })
            .await?
            .map_err(WithdrawError::Conflict)?;
        tracing::info!("custody {}: withdrawal {} signed as {} with nonce {}", c.network, row.id, recorded.txid, recorded.nonce);
        crate::crash::point("custody-signed");
        self.withdrawal(&row.id).await
    }

    /// Whether the hot wallet covers `amount_raw` of the network's asset and `gas_wei`, after
    /// what its signed, unsettled withdrawals and transfers will take.
    pub(crate) async fn hot_covers(&self, n: &Network, rpc: &EvmRpc, hot: &Address, amount_raw: u128, gas_wei: u128) -> Result<bool, WithdrawError> {
        let (pending_raw, pending_gas_wei) = self.in_flight(n).await?;
        let (transfer_raw, transfer_gas_wei) = self.transfers_in_flight(n, rpc).await?;
        let (pending_raw, pending_gas_wei) = (pending_raw.saturating_add(transfer_raw), pending_gas_wei.saturating_add(transfer_gas_wei));
        let balance_wei = rpc.balance_wei(hot).await?;
        Ok(match n.config.token() {
            None => balance_wei >= amount_raw.saturating_add(gas_wei).saturating_add(pending_raw).saturating_add(pending_gas_wei),
            Some(token) => {
                balance_wei >= gas_wei.saturating_add(pending_gas_wei) && rpc.token_balance(&token, hot).await? >= amount_raw.saturating_add(pending_raw)
            }
        })
    }

    /// What the network's signed and broadcast withdrawals will still take from the hot
    /// wallet: their amounts (on-chain units) and the most their gas can cost (wei). Mined ones
    /// are counted until they settle: the balance read may or may not include them, and
    /// counting twice only makes a withdrawal wait a pass longer.
    pub(crate) async fn in_flight(&self, n: &Network) -> Result<(u128, u128), WithdrawError> {
        let c = &n.config;
        let mut amount_raw = 0u128;
        let mut gas_wei = 0u128;
        for w in self.store.custody_withdrawals_in(&c.network, &[S::Signed.as_str(), S::Broadcast.as_str()]).await? {
            let units = w.amount_units.saturating_sub(w.fee_units);
            amount_raw = amount_raw.saturating_add(units_to_raw(units, c.decimals, c.engine_decimals).unwrap_or(u128::MAX));
            let most = self.store.evm_txs_of(&w.id).await?.iter().map(|t| u128::from(t.gas_limit) * u128::from(t.max_fee_per_gas_wei)).max().unwrap_or(0);
            gas_wei = gas_wei.saturating_add(most);
        }
        Ok((amount_raw, gas_wei))
    }

    /// The first of the withdrawal's transactions that was mined, with its receipt.
    async fn mined_of(&self, rpc: &EvmRpc, txs: &[EvmTxRow]) -> Result<Option<(EvmTxRow, super::rpc::Receipt)>, WithdrawError> {
        for tx in txs {
            if let Some(receipt) = rpc.receipt(&tx.txid).await? {
                return Ok(Some((tx.clone(), receipt)));
            }
        }
        Ok(None)
    }

    /// Sends a `signed` withdrawal's latest transaction, after looking it up: one already
    /// mined or known to the node is not sent again, and nothing is signed here.
    pub(crate) async fn send_evm_withdrawal(&self, row: &CustodyWithdrawalRow, n: &Network) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let rpc = EvmRpc::of(&n.config);
        let txs = self.store.evm_txs_of(&row.id).await?;
        let latest = txs.last().ok_or_else(|| WithdrawError::Conflict(format!("withdrawal {} has no signed transaction", row.id)))?;
        let move_on = |why: &str| tracing::info!("custody {}: withdrawal {} {why}", n.config.network, row.id);
        if self.mined_of(&rpc, &txs).await?.is_some() {
            move_on("was already mined");
        } else if rpc.knows(&latest.txid).await? {
            move_on("was already with the node");
        } else {
            match rpc.send_raw(&latest.raw_tx).await {
                Ok(()) => {}
                // The nonce went to one of ours in between (mined since the lookup): the
                // follow-up finds which; anything else keeps it `signed` for the next pass.
                Err(SendError::NonceTooLow(m)) if self.mined_of(&rpc, &txs).await?.is_some() => move_on(&format!("was mined meanwhile ({m})")),
                Err(SendError::NonceTooLow(m)) => {
                    return Err(WithdrawError::Unavailable(format!("nonce {} is used by a transaction not of this withdrawal: {m}", latest.nonce)))
                }
                Err(SendError::Chain(e)) => return Err(e.into()),
            }
        }
        self.store.move_custody_withdrawal(&row.id, &[S::Signed.as_str()], S::Broadcast.as_str(), None, self.gateway.now_ms()).await?;
        crate::crash::point("custody-broadcast");
        self.withdrawal(&row.id).await
    }

    /// Follows a network's broadcast withdrawals: the mined one of each withdrawal's
    /// transactions to its confirmations and the engine's settle; one the node dropped is sent
    /// again as recorded. Returns how many were settled.
    pub(crate) async fn follow_evm_withdrawals(&self, n: &Network) -> Result<usize, WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        let mut settled = 0;
        let tip = rpc.tip_height().await?;
        for row in self.store.custody_withdrawals_in(&c.network, &[S::Broadcast.as_str()]).await? {
            let txs = self.store.evm_txs_of(&row.id).await?;
            let Some((mined, receipt)) = self.mined_of(&rpc, &txs).await? else {
                let Some(latest) = txs.last() else { continue };
                if !rpc.knows(&latest.txid).await? {
                    // Dropped from the node's pool: the same bytes again (never a new signature).
                    if let Err(e) = rpc.send_raw(&latest.raw_tx).await {
                        tracing::warn!("custody {}: withdrawal {} not re-sent yet: {e}", c.network, row.id);
                    }
                }
                continue;
            };
            if !receipt.success {
                // Its nonce is spent and nothing moved: staff must look (the hold stays until
                // two of them release it, `super::reverted`).
                let why = format!("transaction {} was mined but reverted; the hold stays until staff release it (propose, then a second approves)", mined.txid);
                if row.reason.as_deref() != Some(why.as_str()) {
                    tracing::error!("custody {}: withdrawal {}: {why}", c.network, row.id);
                    self.store.move_custody_withdrawal(&row.id, &[S::Broadcast.as_str()], S::Broadcast.as_str(), Some(&why), self.gateway.now_ms()).await?;
                }
                continue;
            }
            if row.txid.as_deref() != Some(mined.txid.as_str()) {
                self.store.set_custody_withdrawal_tx(&row.id, &mined.txid, &mined.raw_tx, self.gateway.now_ms()).await?;
            }
            let confirmations = crate::deposit::confirmations(tip, receipt.block_number);
            if confirmations != row.confirmations {
                self.store.set_custody_withdrawal_confirmations(&row.id, confirmations, self.gateway.now_ms()).await?;
            }
            if confirmations >= u64::from(c.min_confirmations()) {
                if let Err(e) = self.engine_command(Command::WithdrawalSettle { withdrawal_id: ExternalId(row.id.clone()) }).await {
                    tracing::error!("custody {}: withdrawal {} confirmed but not settled: {e}", c.network, row.id);
                    continue;
                }
                self.store.move_custody_withdrawal(&row.id, &[S::Broadcast.as_str()], S::Completed.as_str(), None, self.gateway.now_ms()).await?;
                settled += 1;
            }
        }
        Ok(settled)
    }

    /// A staff member proposes replacing a broadcast, unmined EVM withdrawal's transaction with
    /// a higher fee: both fee fields at least +10%, and the tip and twice the latest base fee
    /// at least. Nothing is signed until a second staff member approves.
    pub async fn propose_fee_bump(&self, id: &str, staff_id: u64) -> Result<EvmBumpRow, WithdrawError> {
        let row = self.withdrawal(id).await?;
        let n = self.network(&row.network).map_err(|e| WithdrawError::NotFound(e.to_string()))?;
        let c = &n.config;
        if !c.is_evm() || !matches!(S::parse(&row.status), Some(S::Signed | S::Broadcast)) {
            return Err(WithdrawError::Conflict(format!(
                "withdrawal {id} is {} on {}: only an Ethereum-family withdrawal in flight can be bumped",
                row.status, c.network
            )));
        }
        let rpc = EvmRpc::of(c);
        let txs = self.store.evm_txs_of(id).await?;
        let latest = txs.last().ok_or_else(|| WithdrawError::Conflict(format!("withdrawal {id} has no signed transaction")))?;
        if self.mined_of(&rpc, &txs).await?.is_some() {
            return Err(WithdrawError::Conflict(format!("withdrawal {id} is already mined: nothing to replace")));
        }
        let base = rpc.base_fee_wei().await?;
        let overflow = || WithdrawError::Conflict("the fee overflows".into());
        let priority = bumped(latest.priority_fee_per_gas_wei).ok_or_else(overflow)?.max(c.priority_fee_per_gas_wei);
        let max_fee = bumped(latest.max_fee_per_gas_wei).ok_or_else(overflow)?.max(base.saturating_mul(2).saturating_add(priority));
        if max_fee > c.max_fee_per_gas_wei {
            return Err(WithdrawError::Conflict(format!(
                "the replacement needs {max_fee} wei per gas, above the network's max_fee_per_gas_wei ({})",
                c.max_fee_per_gas_wei
            )));
        }
        self.store.propose_evm_bump(id, max_fee, priority, staff_id, self.gateway.now_ms()).await?.map_err(WithdrawError::Conflict)
    }

    /// A second staff member approves a fee bump: the replacement is signed with the same
    /// nonce and the proposed fees, recorded, then broadcast.
    pub async fn approve_fee_bump(&self, bump_id: u64, staff_id: u64) -> Result<CustodyWithdrawalRow, WithdrawError> {
        let bump = self.store.evm_bump(bump_id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no fee bump {bump_id}")))?;
        let row = self.withdrawal(&bump.withdrawal_id).await?;
        let n = self.network(&row.network).map_err(|e| WithdrawError::NotFound(e.to_string()))?;
        let (signer, _) = self.evm_hot_signer(n).await?;
        let c = &n.config;
        self.store
            .record_evm_replacement(bump_id, staff_id, self.gateway.now_ms(), |bump, latest| {
                let tx = decode_hex_tx(&latest.raw_tx)?;
                // The same transaction but for its fees: same nonce, destination, value, data.
                let replacement =
                    Eip1559Tx { max_fee_per_gas_wei: bump.max_fee_per_gas_wei, max_priority_fee_per_gas_wei: bump.priority_fee_per_gas_wei, ..tx };
                let enough = |new: u64, old: u64| bumped(old).is_some_and(|min| new >= min);
                if !enough(replacement.max_fee_per_gas_wei, latest.max_fee_per_gas_wei)
                    || !enough(replacement.max_priority_fee_per_gas_wei, latest.priority_fee_per_gas_wei)
                {
                    return Err("the proposed fees are no longer 10% above the latest transaction's".into());
                }
                if replacement.max_fee_per_gas_wei > c.max_fee_per_gas_wei || replacement.chain_id != c.chain_id {
                    return Err("the replacement is outside the network's settings".into());
                }
                assert_eq!(replacement.nonce, latest.nonce, "a replacement reuses its withdrawal's nonce");
                signed_of(&replacement, &signer)
            })
            .await?
            .map_err(WithdrawError::Conflict)?;
        let row = self.withdrawal(&bump.withdrawal_id).await?;
        match self.send_evm_withdrawal(&row, n).await {
            Ok(row) => Ok(row),
            // Recorded: the next pass sends it.
            Err(e) => {
                tracing::warn!("custody {}: replacement of {} not sent yet: {e}", c.network, row.id);
                Ok(row)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_is_at_least_ten_percent_and_one_wei() {
        assert_eq!(bumped(100), Some(110));
        assert_eq!(bumped(101), Some(112), "10.1 rounded up to 11");
        assert_eq!(bumped(0), Some(1));
        assert_eq!(bumped(5), Some(6));
        assert_eq!(bumped(u64::MAX), None);
    }

    #[test]
    fn first_fees_follow_the_base_fee_under_the_cap() {
        assert_eq!(initial_fees(10, 2, 1_000), (2, 22));
        assert_eq!(initial_fees(10_000, 2, 1_000), (2, 1_000), "capped");
        assert_eq!(initial_fees(u64::MAX, 2, 1_000), (2, 1_000), "no overflow");
    }
}
