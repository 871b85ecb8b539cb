//! Hot and cold: the cold wallet's balance, read from the chain for its receive addresses (an
//! account xpub, the key offline); transfers hot → cold, proposed by one staff member and signed
//! by talat once a second approves (recorded before broadcast, as withdrawals are); and
//! top-ups cold → hot, a PSBT for the offline cold key, sent only if the signed transaction is
//! that PSBT's own. Both kinds share the sweeps' table and four-eyes approval. The Ethereum
//! family's side (balances per cold address, nonces, unsigned EIP-1559 top-ups) is
//! [`crate::evm::transfers`].

use crate::keys::AddressBook;
use crate::payout::{Utxo, DUST_CHANGE_UNITS};
use crate::service::{Custody, Network};
use crate::withdrawals::WithdrawError;
use base64::Engine;
use bitcoin::consensus::encode::serialize_hex;
use talat_store::{CustodySweepRow, SignedTransfer};

/// Most receive addresses of a cold wallet talat watches.
pub const MAX_COLD_ADDRESSES: u32 = 1_000;

/// A wallet's confirmed balance on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletBalance {
    pub units: u64,
    pub outputs: usize,
}

fn cold_book(n: &Network) -> Result<AddressBook, WithdrawError> {
    if n.config.cold_xpub.is_empty() {
        return Err(WithdrawError::Conflict(format!("{} has no cold wallet configured (cold_xpub)", n.config.network)));
    }
    if n.config.is_evm() {
        return crate::evm::transfers::cold_book(&n.config);
    }
    AddressBook::new(&n.config.cold_xpub, &n.config.hrp).map_err(|e| WithdrawError::Unavailable(format!("cold_xpub: {e}")))
}

fn cold_addresses(n: &Network, book: &AddressBook) -> Result<Vec<String>, WithdrawError> {
    (0..u64::from(n.config.cold_addresses)).map(|i| book.address(i).map_err(|e| WithdrawError::Unavailable(e.to_string()))).collect()
}

impl Custody {
    fn network_of(&self, id: &str) -> Result<&Network, WithdrawError> {
        self.network(id).map_err(|e| WithdrawError::NotFound(e.to_string()))
    }

    /// The cold wallet's unspent outputs, each with its receive address's index.
    pub(crate) async fn cold_outputs(&self, n: &Network) -> Result<Vec<(u64, Utxo)>, WithdrawError> {
        let book = cold_book(n)?;
        let addresses = cold_addresses(n, &book)?;
        let found = n.config.bitcoin_rpc().unspent_of(&addresses, &n.config.hrp).await?;
        Ok(found.into_iter().map(|(i, u)| (i as u64, u)).collect())
    }

    /// The cold wallet's balance; `None` without a cold wallet.
    pub async fn cold_balance(&self, network: &str) -> Result<Option<WalletBalance>, WithdrawError> {
        let n = self.network_of(network)?;
        if n.config.cold_xpub.is_empty() {
            return Ok(None);
        }
        if n.config.is_evm() {
            return self.evm_cold_balance(n).await.map(Some);
        }
        let outputs = self.cold_outputs(n).await?;
        Ok(Some(WalletBalance { units: outputs.iter().map(|(_, u)| u.units).sum(), outputs: outputs.len() }))
    }

    /// The hot wallet's balance, less what signed withdrawals and transfers already spend.
    pub async fn hot_balance(&self, network: &str) -> Result<WalletBalance, WithdrawError> {
        let n = self.network_of(network)?;
        if n.config.is_evm() {
            return self.evm_hot_balance(n).await;
        }
        let (_, hot) = self.hot_signer(n).await?;
        let reserved = self.store.custody_reserved_inputs(&n.config.network).await?;
        let free: Vec<Utxo> = n.config.bitcoin_rpc().unspent(&hot).await?.into_iter().filter(|u| !reserved.contains(&u.outpoint())).collect();
        Ok(WalletBalance { units: free.iter().map(|u| u.units).sum(), outputs: free.len() })
    }

    /// Proposes moving `amount_units` (by default: the hot balance above the middle of its
    /// watermarks, when it is above the high one) from hot to the cold wallet. One transfer
    /// to cold is open per network at a time.
    pub async fn propose_to_cold(&self, network: &str, staff_id: u64, amount_units: Option<u64>) -> Result<CustodySweepRow, WithdrawError> {
        let n = self.network_of(network)?;
        let book = cold_book(n)?;
        let transfers = self.store.custody_sweeps(talat_store::MAX_CUSTODY_ROWS).await?;
        let mine: Vec<&CustodySweepRow> = transfers.iter().filter(|t| t.network == n.config.network && t.kind == "to_cold").collect();
        if mine.iter().any(|t| matches!(t.status.as_str(), "proposed" | "approved" | "signed")) {
            return Err(WithdrawError::Conflict("a transfer to cold is already open on this network".into()));
        }
        let hot = self.hot_balance(network).await?;
        let c = &n.config;
        let amount = match amount_units {
            Some(a) => a,
            None if hot.units > c.hot_high_units => hot.units - (c.hot_low_units + c.hot_high_units) / 2,
            None => {
                return Err(WithdrawError::Conflict(format!(
                    "the hot wallet ({} units) is not above its high watermark ({} units); name an amount",
                    hot.units, c.hot_high_units
                )))
            }
        };
        // The Bitcoin family's fee comes out of the hot outputs; on Ethereum the gas is ETH
        // (of the hot wallet) on top of the value.
        let least = if c.is_evm() { 0 } else { DUST_CHANGE_UNITS };
        if amount <= least || amount > hot.units || (amount == hot.units && !(c.is_evm() && c.token().is_some())) {
            return Err(WithdrawError::Conflict(format!(
                "{amount} units cannot move: the hot wallet has {} units, and the network fee comes on top",
                hot.units
            )));
        }
        // Each transfer pays the next receive address, round the watched ones.
        let index = mine.len() as u64 % u64::from(c.cold_addresses);
        let destination = book.address(index).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        let row = new_transfer(&n.config.network, "to_cold", &destination, amount, staff_id, self.gateway.now_ms());
        let id = self.store.insert_custody_sweep(&row).await?;
        Ok(CustodySweepRow { id, ..row })
    }

    /// Prepares a cold → hot top-up of `amount_units` as a PSBT for the offline cold key.
    pub async fn propose_top_up(&self, network: &str, staff_id: u64, amount_units: u64) -> Result<CustodySweepRow, WithdrawError> {
        let n = self.network_of(network)?;
        let book = cold_book(n)?;
        if n.config.is_evm() {
            return self.propose_evm_top_up(n, staff_id, amount_units).await;
        }
        if amount_units <= DUST_CHANGE_UNITS {
            return Err(WithdrawError::Conflict(format!("{amount_units} units is too little to move")));
        }
        // Outputs an open sweep or top-up already spends are left alone.
        let open: Vec<String> = self
            .store
            .custody_sweeps(talat_store::MAX_CUSTODY_ROWS)
            .await?
            .into_iter()
            .filter(|t| t.network == n.config.network && matches!(t.status.as_str(), "proposed" | "approved"))
            .flat_map(|t| t.inputs.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let outputs = self.cold_outputs(n).await?;
        let utxos: Vec<Utxo> = outputs.iter().map(|(_, u)| u.clone()).collect();
        let plan = crate::payout::plan(&utxos, &open, amount_units, n.config.fee_rate_units_per_vb).map_err(|_| {
            let units: u64 = utxos.iter().filter(|u| !open.contains(&u.outpoint())).map(|u| u.units).sum();
            WithdrawError::Conflict(format!("the cold wallet's free outputs ({units} units) do not cover {amount_units} units and the network fee"))
        })?;
        let indexes: Vec<u64> =
            plan.inputs.iter().map(|u| outputs.iter().find(|(_, o)| o == u).map(|(i, _)| *i).expect("planned from these outputs")).collect();
        let (signer, hot) = self.hot_signer(n).await?;
        let change = crate::hot::script_of_address(&book.address(0).map_err(|e| WithdrawError::Unavailable(e.to_string()))?, &n.config.hrp)
            .ok_or_else(|| WithdrawError::Unavailable("the cold change address does not parse".into()))?;
        let (tx, prevouts) = crate::payout::build(&plan, crate::hot::Signer::script_pubkey(&signer), change).map_err(WithdrawError::Unavailable)?;
        let psbt = crate::sweep::psbt_of(&n.config.cold_xpub, &book, tx.clone(), &prevouts, &indexes)?;
        let mut row = new_transfer(&n.config.network, "top_up", &hot, amount_units, staff_id, self.gateway.now_ms());
        row.psbt = base64::engine::general_purpose::STANDARD.encode(psbt.serialize());
        row.unsigned_txid = tx.compute_txid().to_string();
        row.inputs = plan.inputs.iter().map(Utxo::outpoint).collect::<Vec<_>>().join(",");
        row.fee_units = plan.fee_units;
        let id = self.store.insert_custody_sweep(&row).await?;
        Ok(CustodySweepRow { id, ..row })
    }

    /// A second staff member's approval of a sweep or transfer. A transfer to cold is then
    /// signed, recorded and broadcast at once; the others wait for the offline signer.
    /// An approved transfer to cold whose sending failed (the node unreachable, too few
    /// confirmed hot outputs) or that a node forgot is sent again by the same call, exactly as
    /// signed if it was signed.
    pub async fn approve_transfer(&self, id: u64, staff_id: u64) -> Result<CustodySweepRow, WithdrawError> {
        let row = self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {id}")))?;
        let from_hot = matches!(row.kind.as_str(), "to_cold" | "gas");
        if from_hot && matches!(row.status.as_str(), "approved" | "signed" | "broadcast") {
            return self.send_to_cold(id).await;
        }
        if !self.store.approve_custody_sweep(id, staff_id, self.gateway.now_ms()).await? {
            return Err(WithdrawError::Conflict(if row.status != "proposed" {
                format!("transfer {id} is {}, not proposed", row.status)
            } else {
                "the staff member who proposed a transfer cannot approve it".into()
            }));
        }
        let row = self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {id}")))?;
        if from_hot {
            return self.send_to_cold(id).await;
        }
        if row.kind == "sweep" {
            self.send_gas_of(&row, staff_id).await?;
        }
        Ok(row)
    }

    /// An approved EVM token sweep's gas top-up, approved with it and sent from the hot
    /// wallet (a failure to send leaves it approved: approving it again sends it).
    async fn send_gas_of(&self, sweep: &CustodySweepRow, staff_id: u64) -> Result<(), WithdrawError> {
        let Some(gas) = self.gas_of_sweep(sweep).await? else { return Ok(()) };
        if gas.status == "proposed" && !self.store.approve_custody_sweep(gas.id, staff_id, self.gateway.now_ms()).await? {
            return Err(WithdrawError::Conflict(format!("the gas top-up {} of sweep {} could not be approved", gas.id, sweep.id)));
        }
        if let Err(e) = self.send_to_cold(gas.id).await {
            tracing::warn!("custody {}: gas top-up {} of sweep {} not sent yet: {e}", sweep.network, gas.id, sweep.id);
        }
        Ok(())
    }

    /// Signs an approved transfer to cold, or an Ethereum sweep's gas top-up (once: a signed
    /// one is only sent again as recorded), and broadcasts it.
    pub async fn send_to_cold(&self, id: u64) -> Result<CustodySweepRow, WithdrawError> {
        let row = self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {id}")))?;
        let from_hot = row.kind == "to_cold" || (row.kind == "gas" && self.network_of(&row.network)?.config.is_evm());
        if !from_hot || !matches!(row.status.as_str(), "approved" | "signed" | "broadcast") {
            return Err(WithdrawError::Conflict(format!("transfer {id} is a {} that is {}, not an approved transfer to cold", row.kind, row.status)));
        }
        let n = self.network_of(&row.network)?;
        if n.config.is_evm() {
            return self.send_evm_from_hot(n, &row).await;
        }
        let raw = match &row.raw_tx {
            Some(raw) => raw.clone(),
            None => self.sign_to_cold(n, &row).await?,
        };
        n.config.bitcoin_rpc().broadcast(&raw).await?;
        self.store.mark_custody_sweep_broadcast(id, self.gateway.now_ms()).await?;
        self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no transfer {id}")))
    }

    async fn sign_to_cold(&self, n: &Network, row: &CustodySweepRow) -> Result<String, WithdrawError> {
        let (signer, hot) = self.hot_signer(n).await?;
        let reserved = self.store.custody_reserved_inputs(&n.config.network).await?;
        let utxos = n.config.bitcoin_rpc().unspent(&hot).await?;
        let plan = crate::payout::plan(&utxos, &reserved, row.send_units, n.config.fee_rate_units_per_vb).map_err(WithdrawError::Conflict)?;
        let destination = crate::hot::script_of_address(&row.destination, &n.config.hrp)
            .ok_or_else(|| WithdrawError::Unavailable(format!("the cold address {} does not parse", row.destination)))?;
        let (tx, prevouts) = crate::payout::build(&plan, destination, crate::hot::Signer::script_pubkey(&signer)).map_err(WithdrawError::Unavailable)?;
        let tx = crate::hot::Signer::sign(&signer, tx, &prevouts).map_err(WithdrawError::Unavailable)?;
        let raw = serialize_hex(&tx);
        let inputs = plan.inputs.iter().map(Utxo::outpoint).collect::<Vec<_>>().join(",");
        let signed =
            SignedTransfer { txid: &tx.compute_txid().to_string(), raw_hex: &raw, inputs: &inputs, send_units: plan.send_units, fee_units: plan.fee_units };
        if !self.store.record_signed_custody_transfer(row.id, &signed).await? {
            return Err(WithdrawError::Conflict(format!("transfer {} changed while it was being signed; nothing was sent", row.id)));
        }
        Ok(raw)
    }
}

/// A transfer or sweep as proposed by `staff_id`: to be approved by someone else.
pub(crate) fn new_transfer(network: &str, kind: &str, destination: &str, amount_units: u64, staff_id: u64, now_ms: u64) -> CustodySweepRow {
    CustodySweepRow {
        id: 0,
        network: network.into(),
        psbt: String::new(),
        unsigned_txid: String::new(),
        inputs: String::new(),
        send_units: amount_units,
        fee_units: 0,
        destination: destination.into(),
        status: "proposed".into(),
        proposed_by: staff_id,
        proposed_ms: now_ms,
        approved_by: None,
        approved_ms: None,
        broadcast_ms: None,
        kind: kind.into(),
        raw_tx: None,
    }
}
