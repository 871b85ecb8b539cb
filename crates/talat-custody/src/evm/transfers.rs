//! Hot and cold on the Ethereum family, the EVM half of [`crate::cold`]:
//!
//! * **Cold balance** — the cold wallet is the BIP-44 receive addresses of `cold_xpub` (the
//!   key offline); its balance is each watched address's `eth_getBalance` (ETH) or `balanceOf`
//!   (a token), converted to whole engine units exactly as deposits are.
//! * **Hot → cold** — signed by talat's hot key once a second staff member approves, with the
//!   hot wallet's next nonce taken in the same store transaction that records the signed
//!   transaction (the withdrawals' nonce table), before it is broadcast; sent again only as
//!   recorded.
//! * **Cold → hot** — an unsigned EIP-1559 transaction (from a cold address, its nonce read
//!   from the chain) as hex for the offline signer; a signed transaction is broadcast only if it
//!   decodes to exactly those fields and recovers to that cold address ([`check_prepared`]).

use super::address::{parse_hex, to_lower_hex, Address};
use super::rpc::{EvmRpc, SendError};
use super::signer::{recover, EvmSigner};
use super::tx::{bytes_of_hex, decode_signed, decode_unsigned, erc20_transfer_data, txid, Eip1559Tx};
use super::units::{raw_to_units, units_to_raw};
use super::withdrawals::{initial_fees, signed_of};
use crate::cold::WalletBalance;
use crate::keys::AddressBook;
use crate::network::NetworkConfig;
use crate::service::{Custody, Network};
use crate::withdrawals::WithdrawError;
use talat_store::CustodySweepRow;

/// One watched cold address and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColdHolding {
    pub index: u64,
    pub address: String,
    /// The network's asset in on-chain units (wei for ETH, the token's base units).
    pub raw: u128,
    /// Its ETH (what pays a token transfer's gas), in wei.
    pub balance_wei: u128,
    pub units: u64,
}

/// The cold wallet's address book (BIP-44 Ethereum addresses of `cold_xpub`).
pub(crate) fn cold_book(c: &NetworkConfig) -> Result<AddressBook, WithdrawError> {
    AddressBook::evm(&c.cold_xpub).map_err(|e| WithdrawError::Unavailable(format!("cold_xpub: {e}")))
}

/// What paying `amount_raw` of the network's asset to `to` is on chain: (the transaction's
/// `to`, its value in wei, its call data) — ETH's value, or the token contract's `transfer`.
pub(crate) fn payment(c: &NetworkConfig, to: Address, amount_raw: u128) -> (Address, u128, Vec<u8>) {
    match c.token() {
        None => (to, amount_raw, Vec::new()),
        Some(token) => (token, 0, erc20_transfer_data(&to, amount_raw)),
    }
}

/// The EIP-1559 transaction paying `amount_raw` to `to` ([`payment`]) with `nonce` and the
/// fees `(priority, max)`, within the network's gas limit.
pub(crate) fn payment_tx(c: &NetworkConfig, nonce: u64, (priority, max_fee): (u64, u64), to: Address, amount_raw: u128) -> Eip1559Tx {
    let (to, value_wei, data) = payment(c, to, amount_raw);
    Eip1559Tx { chain_id: c.chain_id, nonce, max_priority_fee_per_gas_wei: priority, max_fee_per_gas_wei: max_fee, gas_limit: c.gas_limit, to, value_wei, data }
}

pub(crate) fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The names of the fields in which `a` and `b` differ.
fn differing_fields(a: &Eip1559Tx, b: &Eip1559Tx) -> Vec<&'static str> {
    let checks = [
        ("chain_id", a.chain_id == b.chain_id),
        ("nonce", a.nonce == b.nonce),
        ("max_priority_fee_per_gas", a.max_priority_fee_per_gas_wei == b.max_priority_fee_per_gas_wei),
        ("max_fee_per_gas", a.max_fee_per_gas_wei == b.max_fee_per_gas_wei),
        ("gas_limit", a.gas_limit == b.gas_limit),
        ("to", a.to == b.to),
        ("value", a.value_wei == b.value_wei),
        ("data (the token transfer's recipient or amount)", a.data == b.data),
    ];
    checks.into_iter().filter(|(_, same)| !same).map(|(name, _)| name).collect()
}

/// Checks an offline signer's transaction against the prepared one: it must decode, carry
/// exactly the prepared unsigned fields (`unsigned_hex`, [`Eip1559Tx::encode_unsigned`]) and
/// recover to `from`. Returns its transaction id (`0x…`).
pub fn check_prepared(unsigned_hex: &str, from: &str, signed_hex: &str) -> Result<String, String> {
    let prepared = decode_unsigned(&bytes_of_hex(unsigned_hex)?).map_err(|e| format!("the prepared transaction does not decode: {e}"))?;
    let raw = bytes_of_hex(signed_hex).map_err(|e| format!("the signed transaction is {e}"))?;
    let (tx, signature) = decode_signed(&raw).map_err(|e| format!("the signed transaction does not decode: {e}"))?;
    let differ = differing_fields(&prepared, &tx);
    if !differ.is_empty() {
        return Err(format!("this is not the prepared transaction: its {} differ", differ.join(", ")));
    }
    let signer = recover(&tx.signing_hash(), &signature).map_err(|e| format!("the signature does not recover: {e}"))?;
    if !to_lower_hex(&signer).eq_ignore_ascii_case(from) {
        return Err(format!("the transaction is signed by {}, not by {from}", to_lower_hex(&signer)));
    }
    Ok(hex0x(&txid(&raw)))
}

pub(crate) fn units_of(c: &NetworkConfig, raw: u128) -> Result<u64, WithdrawError> {
    raw_to_units(raw, c.decimals, c.engine_decimals).map(|(units, _)| units).map_err(|e| WithdrawError::Unavailable(e.to_string()))
}

fn raw_of(c: &NetworkConfig, units: u64) -> Result<u128, WithdrawError> {
    units_to_raw(units, c.decimals, c.engine_decimals)
        .ok_or_else(|| WithdrawError::Conflict(format!("{units} units are not a whole amount of {}'s on-chain units", c.asset)))
}

/// The network's asset held by `owner`, in on-chain units.
pub(crate) async fn asset_raw(rpc: &EvmRpc, c: &NetworkConfig, owner: &Address) -> Result<u128, WithdrawError> {
    Ok(match c.token() {
        None => rpc.balance_wei(owner).await?,
        Some(token) => rpc.token_balance(&token, owner).await?,
    })
}

/// Sends a recorded or checked transaction; one already mined (the node says its nonce is
/// used) counts as sent when its receipt is there.
async fn send_once(rpc: &EvmRpc, raw_hex: &str, txid: &str) -> Result<(), WithdrawError> {
    match rpc.send_raw(raw_hex).await {
        Ok(()) => Ok(()),
        Err(SendError::NonceTooLow(m)) => match rpc.receipt(txid).await? {
            Some(_) => Ok(()),
            None => Err(WithdrawError::Conflict(format!("the sender's nonce is used by another transaction: {m}"))),
        },
        Err(SendError::Chain(e)) => Err(e.into()),
    }
}

impl Custody {
    /// Each watched cold address of an Ethereum-family network with what it holds.
    pub async fn evm_cold_holdings(&self, n: &Network) -> Result<Vec<ColdHolding>, WithdrawError> {
        let c = &n.config;
        let book = cold_book(c)?;
        let rpc = EvmRpc::of(c);
        let mut out = Vec::with_capacity(c.cold_addresses as usize);
        for index in 0..u64::from(c.cold_addresses) {
            let address = book.address(index).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
            let owner = parse_hex(&address).expect("the book derives well-formed addresses");
            let raw = asset_raw(&rpc, c, &owner).await?;
            let balance_wei = if c.token().is_some() { rpc.balance_wei(&owner).await? } else { raw };
            out.push(ColdHolding { index, address, raw, balance_wei, units: units_of(c, raw)? });
        }
        Ok(out)
    }

    /// The cold wallet's balance; `outputs` counts the addresses holding any.
    pub(crate) async fn evm_cold_balance(&self, n: &Network) -> Result<WalletBalance, WithdrawError> {
        let holdings = self.evm_cold_holdings(n).await?;
        let units = holdings.iter().try_fold(0u64, |sum, h| sum.checked_add(h.units));
        let units = units.ok_or_else(|| WithdrawError::Unavailable("the cold balance overflows the books".into()))?;
        Ok(WalletBalance { units, outputs: holdings.iter().filter(|h| h.raw > 0).count() })
    }

    /// The hot wallet's balance of the network's asset, less what its signed withdrawals and
    /// transfers will still take.
    pub(crate) async fn evm_hot_balance(&self, n: &Network) -> Result<WalletBalance, WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        let (_, hot) = self.evm_hot_signer(n).await?;
        let raw = asset_raw(&rpc, c, &parse_hex(&hot).expect("a stored hot address")).await?;
        let (pending_raw, _) = self.in_flight(n).await?;
        let (transfer_raw, _) = self.transfers_in_flight(n, &rpc).await?;
        let free = raw.saturating_sub(pending_raw.saturating_add(transfer_raw));
        Ok(WalletBalance { units: units_of(c, free)?, outputs: usize::from(free > 0) })
    }

    /// What the network's hot-signed transfers (to cold, gas top-ups) not yet mined will take
    /// from the hot wallet: the asset (on-chain units) and gas and ETH sent (wei).
    pub(crate) async fn transfers_in_flight(&self, n: &Network, rpc: &EvmRpc) -> Result<(u128, u128), WithdrawError> {
        let c = &n.config;
        let (mut amount_raw, mut wei) = (0u128, 0u128);
        let rows = self.store.custody_sweeps(talat_store::MAX_CUSTODY_ROWS).await?;
        for row in rows
            .iter()
            .filter(|r| r.network == c.network && matches!(r.kind.as_str(), "to_cold" | "gas") && matches!(r.status.as_str(), "signed" | "broadcast"))
        {
            let txs = self.store.evm_txs_of(&talat_store::evm_transfer_owner(row.id)).await?;
            let Some(tx) = txs.last() else { continue };
            if rpc.receipt(&tx.txid).await?.is_some() {
                continue;
            }
            wei = wei.saturating_add(u128::from(tx.gas_limit) * u128::from(tx.max_fee_per_gas_wei));
            if row.kind == "gas" {
                wei = wei.saturating_add(u128::from(row.send_units));
            } else {
                amount_raw = amount_raw.saturating_add(raw_of(c, row.send_units)?);
            }
        }
        Ok((amount_raw, wei))
    }

    /// Signs (once) and broadcasts an approved transfer the hot wallet pays; a signed one is
    /// only sent again as recorded.
    pub(crate) async fn send_evm_from_hot(&self, n: &Network, row: &CustodySweepRow) -> Result<CustodySweepRow, WithdrawError> {
        let (txid, raw) = match &row.raw_tx {
            Some(raw) => (row.unsigned_txid.clone(), raw.clone()),
            None => self.sign_evm_from_hot(n, row).await?,
        };
        send_once(&EvmRpc::of(&n.config), &raw, &txid).await?;
        self.store.mark_custody_sweep_broadcast(row.id, self.gateway.now_ms()).await?;
        self.store.custody_sweep(row.id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {}", row.id)))
    }

    /// Signs and records an approved transfer from hot: the asset to a cold address, or (a
    /// `gas` row) `send_units` wei of ETH to a deposit address.
    async fn sign_evm_from_hot(&self, n: &Network, row: &CustodySweepRow) -> Result<(String, String), WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        rpc.check(c).await.map_err(WithdrawError::Unavailable)?;
        let (signer, hot) = self.evm_hot_signer(n).await?;
        let destination =
            parse_hex(&row.destination).ok_or_else(|| WithdrawError::Unavailable(format!("the destination {} does not parse", row.destination)))?;
        let (amount_raw, (to, value_wei, data)) = if row.kind == "gas" {
            (0, (destination, u128::from(row.send_units), Vec::new()))
        } else {
            let book = cold_book(c)?;
            // Proposed to a watched cold address; the config may have changed since.
            if !(0..u64::from(c.cold_addresses)).any(|i| book.address(i).is_ok_and(|a| a == row.destination)) {
                return Err(WithdrawError::Conflict(format!("{} is not one of the cold wallet's watched addresses; nothing was signed", row.destination)));
            }
            let raw = raw_of(c, row.send_units)?;
            (raw, payment(c, destination, raw))
        };
        let gas_limit = if data.is_empty() { super::tx::TRANSFER_GAS } else { c.gas_limit };
        let (priority, max_fee) = initial_fees(rpc.base_fee_wei().await?, c.priority_fee_per_gas_wei, c.max_fee_per_gas_wei);
        let template = |nonce: u64| Eip1559Tx {
            chain_id: c.chain_id,
            nonce,
            max_priority_fee_per_gas_wei: priority,
            max_fee_per_gas_wei: max_fee,
            gas_limit,
            to,
            value_wei,
            data: data.clone(),
        };
        let (value_raw, gas_wei) =
            if row.kind == "gas" { (0, template(0).max_gas_cost_wei() + value_wei) } else { (amount_raw, template(0).max_gas_cost_wei()) };
        if !self.hot_covers(n, &rpc, &signer.address(), value_raw, gas_wei).await? {
            return Err(WithdrawError::Conflict(format!("the {} hot wallet {hot} does not cover the transfer and its gas; nothing was signed", c.network)));
        }
        let chain_next = rpc.pending_nonce(&signer.address()).await?;
        let recorded = self
            .store
            .record_signed_evm_transfer(row.id, &c.network, c.chain_id, &hot, chain_next, self.gateway.now_ms(), |nonce| signed_of(&template(nonce), &signer))
            .await?
            .map_err(WithdrawError::Conflict)?;
        tracing::info!("custody {}: transfer {} ({}) signed as {} with nonce {}", c.network, row.id, row.kind, recorded.txid, recorded.nonce);
        Ok((recorded.txid, recorded.raw_tx))
    }

    /// Prepares a cold → hot top-up of `amount_units`: an unsigned EIP-1559 transaction from
    /// the first cold address that holds the amount and the gas (and has no other prepared
    /// transaction open), with that address's next nonce on chain.
    pub(crate) async fn propose_evm_top_up(&self, n: &Network, staff_id: u64, amount_units: u64) -> Result<CustodySweepRow, WithdrawError> {
        let c = &n.config;
        let rpc = EvmRpc::of(c);
        rpc.check(c).await.map_err(WithdrawError::Unavailable)?;
        if amount_units == 0 {
            return Err(WithdrawError::Conflict("name an amount above 0".into()));
        }
        let amount_raw = raw_of(c, amount_units)?;
        let (_, hot) = self.evm_hot_signer(n).await?;
        let open = self.open_prepared_senders().await?;
        let (priority, max_fee) = initial_fees(rpc.base_fee_wei().await?, c.priority_fee_per_gas_wei, c.max_fee_per_gas_wei);
        let gas_wei = u128::from(c.gas_limit) * u128::from(max_fee);
        let holdings = self.evm_cold_holdings(n).await?;
        let covers = |h: &ColdHolding| match c.token() {
            None => h.raw >= amount_raw.saturating_add(gas_wei),
            Some(_) => h.raw >= amount_raw && h.balance_wei >= gas_wei,
        };
        let Some(from) = holdings.iter().find(|h| !open.contains(&h.address) && covers(h)) else {
            let total: u64 = holdings.iter().map(|h| h.units).sum();
            return Err(WithdrawError::Conflict(format!(
                "no free cold address holds {amount_units} units and the gas ({gas_wei} wei); the cold wallet holds {total} units in all"
            )));
        };
        let nonce = rpc.pending_nonce(&parse_hex(&from.address).expect("a derived address")).await?;
        let tx = payment_tx(c, nonce, (priority, max_fee), parse_hex(&hot).expect("a stored hot address"), amount_raw);
        let mut row = crate::cold::new_transfer(&n.config.network, "top_up", &hot, amount_units, staff_id, self.gateway.now_ms());
        row.psbt = hex0x(&tx.encode_unsigned());
        row.unsigned_txid = hex0x(&tx.signing_hash());
        row.inputs = from.address.clone();
        let id = self.store.insert_custody_sweep(&row).await?;
        Ok(CustodySweepRow { id, ..row })
    }

    /// The addresses (any network) that an open prepared transaction (proposed or approved,
    /// not yet broadcast) sends from: a second one from them would take the same nonce.
    pub(crate) async fn open_prepared_senders(&self) -> Result<Vec<String>, WithdrawError> {
        let rows = self.store.custody_sweeps(talat_store::MAX_CUSTODY_ROWS).await?;
        Ok(rows
            .into_iter()
            .filter(|r| matches!(r.status.as_str(), "proposed" | "approved") && r.inputs.starts_with("0x"))
            .flat_map(|r| r.inputs.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect())
    }

    /// Broadcasts the offline signer's transaction for an approved EVM top-up, after
    /// [`check_prepared`]: a refused one changes nothing and reaches no node.
    pub(crate) async fn broadcast_evm_prepared(&self, n: &Network, row: &CustodySweepRow, signed_hex: &str) -> Result<CustodySweepRow, WithdrawError> {
        let txid = check_prepared(&row.psbt, &row.inputs, signed_hex).map_err(WithdrawError::Conflict)?;
        let raw = hex0x(&bytes_of_hex(signed_hex).map_err(WithdrawError::Conflict)?);
        send_once(&EvmRpc::of(&n.config), &raw, &txid).await?;
        self.store.mark_custody_sweep_broadcast(row.id, self.gateway.now_ms()).await?;
        self.store.custody_sweep(row.id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {}", row.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::signer::{sign_transaction, LocalEvmSigner};

    fn prepared() -> Eip1559Tx {
        Eip1559Tx {
            chain_id: 31_337,
            nonce: 3,
            max_priority_fee_per_gas_wei: 1_000_000_000,
            max_fee_per_gas_wei: 3_000_000_000,
            gas_limit: 21_000,
            to: [0x44; 20],
            value_wei: 5_000_000_000_000_000_000,
            data: Vec::new(),
        }
    }

    #[test]
    fn only_the_prepared_transaction_signed_by_its_sender_passes() {
        let (cold, _) = LocalEvmSigner::generate().unwrap();
        let (other, _) = LocalEvmSigner::generate().unwrap();
        let from = to_lower_hex(&cold.address());
        let unsigned = hex0x(&prepared().encode_unsigned());
        let good = sign_transaction(&cold, &prepared()).unwrap();
        assert_eq!(check_prepared(&unsigned, &from, &good.raw_hex()), Ok(good.txid_hex()));
        let more = sign_transaction(&cold, &Eip1559Tx { value_wei: prepared().value_wei + 1, ..prepared() }).unwrap();
        assert!(check_prepared(&unsigned, &from, &more.raw_hex()).unwrap_err().contains("value"));
        let elsewhere = sign_transaction(&cold, &Eip1559Tx { to: [0x45; 20], ..prepared() }).unwrap();
        assert!(check_prepared(&unsigned, &from, &elsewhere.raw_hex()).unwrap_err().contains("to"));
        let stranger = sign_transaction(&other, &prepared()).unwrap();
        assert!(check_prepared(&unsigned, &from, &stranger.raw_hex()).unwrap_err().contains("signed by"));
        assert!(check_prepared(&unsigned, &from, "0x02zz").unwrap_err().contains("hex"));
        assert!(check_prepared(&unsigned, &from, &unsigned).unwrap_err().contains("does not decode"), "the unsigned one is not signed");
    }
}
