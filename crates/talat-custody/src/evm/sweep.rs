//! Sweeps of Ethereum-family deposit addresses. talat holds no deposit key, so each deposit
//! address holding credited deposits gets its own sweep: an unsigned EIP-1559 transaction to
//! the hot wallet (ETH: the balance less the most its gas can cost; a token: `transfer(hot,
//! balance)`), its nonce read from the chain, for the offline signer — broadcast only if the
//! signed transaction is exactly it, signed by that deposit address
//! ([`super::transfers::check_prepared`]). A token transfer's gas is ETH the deposit address
//! may not have: the proposal then records a `gas` top-up (its `send_units` are wei) that the
//! network's hot wallet sends, signed by talat, once a second staff member approves the sweep.

use super::address::parse_hex;
use super::rpc::EvmRpc;
use super::transfers::{asset_raw, hex0x, payment, units_of};
use super::tx::{Eip1559Tx, TRANSFER_GAS};
use super::withdrawals::initial_fees;
use crate::service::{Custody, Network};
use crate::withdrawals::WithdrawError;
use talat_store::CustodySweepRow;

/// Most deposit addresses one proposal prepares sweeps for.
pub const MAX_EVM_SWEEPS: usize = 50;

impl Custody {
    /// Prepares a sweep of each deposit address of `network` holding credited deposits and no
    /// open prepared transaction (and, for a token, the gas top-ups they need).
    pub(crate) async fn propose_evm_sweeps(&self, n: &Network, staff_id: u64) -> Result<Vec<CustodySweepRow>, WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        rpc.check(c).await.map_err(WithdrawError::Unavailable)?;
        let (_, hot) = self.evm_hot_signer(n).await?;
        let open = self.open_prepared_senders().await?;
        let mut addresses: Vec<String> =
            self.store.custody_credited_deposits(&c.network, talat_store::MAX_CUSTODY_ROWS).await?.into_iter().map(|d| d.address).collect();
        addresses.sort();
        addresses.dedup();
        addresses.retain(|a| !open.contains(a));
        let (priority, max_fee) = initial_fees(rpc.base_fee_wei().await?, c.priority_fee_per_gas_wei, c.max_fee_per_gas_wei);
        let mut out = Vec::new();
        for address in addresses {
            if out.len() >= MAX_EVM_SWEEPS {
                break;
            }
            if let Some(rows) = self.propose_evm_sweep_of(n, &rpc, &address, &hot, (priority, max_fee), staff_id).await? {
                out.extend(rows);
            }
        }
        if out.is_empty() {
            return Err(WithdrawError::Conflict(
                "no deposit address with credited deposits holds anything left to sweep (or each already has a sweep open)".into(),
            ));
        }
        Ok(out)
    }

    /// One deposit address's sweep (and gas top-up), recorded as proposed; `None` when it
    /// holds nothing worth its gas.
    async fn propose_evm_sweep_of(
        &self,
        n: &Network,
        rpc: &EvmRpc,
        address: &str,
        hot: &str,
        (priority, max_fee): (u64, u64),
        staff_id: u64,
    ) -> Result<Option<Vec<CustodySweepRow>>, WithdrawError> {
        let c = &n.config;
        let Some(from) = parse_hex(address) else { return Ok(None) };
        let raw = asset_raw(rpc, c, &from).await?;
        let gas_limit = if c.token().is_some() { c.gas_limit } else { TRANSFER_GAS };
        let gas_wei = u128::from(gas_limit) * u128::from(max_fee);
        let amount_raw = match c.token() {
            None => raw.saturating_sub(gas_wei),
            Some(_) => raw,
        };
        if units_of(c, amount_raw)? == 0 {
            return Ok(None);
        }
        let (to, value_wei, data) = payment(c, parse_hex(hot).expect("a stored hot address"), amount_raw);
        let nonce = rpc.pending_nonce(&from).await?;
        let tx =
            Eip1559Tx { chain_id: c.chain_id, nonce, max_priority_fee_per_gas_wei: priority, max_fee_per_gas_wei: max_fee, gas_limit, to, value_wei, data };
        let now = self.gateway.now_ms();
        let mut sweep = crate::cold::new_transfer(&c.network, "sweep", hot, units_of(c, amount_raw)?, staff_id, now);
        sweep.psbt = hex0x(&tx.encode_unsigned());
        sweep.unsigned_txid = hex0x(&tx.signing_hash());
        sweep.inputs = address.to_owned();
        let mut rows = Vec::with_capacity(2);
        // A token's sweep needs the address to hold the most its gas can cost, in ETH.
        let has_wei = if c.token().is_some() { rpc.balance_wei(&from).await? } else { gas_wei };
        if has_wei < gas_wei {
            let top_wei =
                u64::try_from(gas_wei - has_wei).map_err(|_| WithdrawError::Conflict(format!("a gas top-up of {} wei is too large", gas_wei - has_wei)))?;
            let gas = crate::cold::new_transfer(&c.network, "gas", address, top_wei, staff_id, now);
            let id = self.store.insert_custody_sweep(&gas).await?;
            rows.push(CustodySweepRow { id, ..gas });
        }
        let id = self.store.insert_custody_sweep(&sweep).await?;
        rows.insert(0, CustodySweepRow { id, ..sweep });
        Ok(Some(rows))
    }

    /// The open gas top-up of an EVM sweep (the network's `gas` row paying its address).
    pub(crate) async fn gas_of_sweep(&self, sweep: &CustodySweepRow) -> Result<Option<CustodySweepRow>, WithdrawError> {
        let rows = self.store.custody_sweeps(talat_store::MAX_CUSTODY_ROWS).await?;
        Ok(rows.into_iter().find(|r| {
            r.kind == "gas"
                && r.network == sweep.network
                && r.destination == sweep.inputs
                && r.proposed_ms == sweep.proposed_ms
                && r.proposed_by == sweep.proposed_by
        }))
    }
}
