//! Sweeps: customers' credited deposit outputs moved to the hot wallet. talat holds no deposit
//! key (addresses come from an xpub), so it prepares a PSBT (BIP-174) with each input's spent
//! output and its key's origin (the account xpub's fingerprint and the path `0/index`), for the
//! operator's offline signer. A second staff member approves before the PSBT is released (the
//! web layer), and the signed transaction is accepted only if it is that PSBT's transaction
//! (the same txid: SegWit signatures do not change it). The Ethereum family's sweeps (one
//! unsigned transaction per deposit address, and gas top-ups) are [`crate::evm::sweep`].

use crate::keys::AddressBook;
use crate::service::Custody;
use crate::withdrawals::WithdrawError;
use base64::Engine;
use bitcoin::bip32::{ChildNumber, DerivationPath, Xpub};
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::Secp256k1;
use std::str::FromStr;
use talat_store::CustodySweepRow;

/// Most deposit outputs one sweep spends.
pub const MAX_SWEEP_INPUTS: usize = 200;

impl Custody {
    /// Prepares (and records, as proposed by `staff_id`) a sweep of every credited, unspent
    /// deposit output of `network` not already in a sweep, to the hot wallet.
    pub async fn propose_sweep(&self, network: &str, staff_id: u64) -> Result<CustodySweepRow, WithdrawError> {
        Ok(self.propose_sweeps(network, staff_id).await?.remove(0))
    }

    /// Prepares the network's sweeps: one PSBT of every credited deposit output on the Bitcoin
    /// family; on Ethereum's one unsigned transaction per deposit address (first), each
    /// followed by the gas top-up it needs, if any (`crate::evm::sweep`). Never empty.
    pub async fn propose_sweeps(&self, network: &str, staff_id: u64) -> Result<Vec<CustodySweepRow>, WithdrawError> {
        let n = self.network(network).map_err(|e| WithdrawError::NotFound(e.to_string()))?;
        if n.config.is_evm() {
            return self.propose_evm_sweeps(n, staff_id).await;
        }
        Ok(vec![self.propose_utxo_sweep(n, staff_id).await?])
    }

    async fn propose_utxo_sweep(&self, n: &crate::service::Network, staff_id: u64) -> Result<CustodySweepRow, WithdrawError> {
        let rpc = n.config.bitcoin_rpc();
        let taken = self.store.custody_swept_inputs(&n.config.network).await?;
        let mut utxos = Vec::new();
        let mut indexes = Vec::new();
        for d in self.store.custody_credited_deposits(&n.config.network, talat_store::MAX_CUSTODY_ROWS).await? {
            let vout = u32::try_from(d.output_index).map_err(|_| WithdrawError::Unavailable(format!("output index {} out of range", d.output_index)))?;
            let outpoint = format!("{}:{vout}", d.txid);
            if taken.contains(&outpoint) || !rpc.is_unspent(&d.txid, vout).await? {
                continue;
            }
            let Some(index) = self.store.custody_address_index(&n.config.network, &d.address).await? else { continue };
            utxos.push(crate::payout::Utxo { txid: d.txid.clone(), vout, units: d.amount_units });
            indexes.push(index);
            if utxos.len() == MAX_SWEEP_INPUTS {
                break;
            }
        }
        if utxos.is_empty() {
            return Err(WithdrawError::Conflict("no credited deposit output is left to sweep".into()));
        }
        let (signer, hot) = self.hot_signer(n).await?;
        let total: u64 = utxos.iter().map(|u| u.units).sum();
        let fee = crate::payout::vsize(utxos.len(), 1) * n.config.fee_rate_units_per_vb;
        let send = total
            .checked_sub(fee)
            .filter(|s| *s > crate::payout::DUST_CHANGE_UNITS)
            .ok_or_else(|| WithdrawError::Conflict("the deposits do not cover the network fee".into()))?;
        let plan = crate::payout::Plan { inputs: utxos.clone(), send_units: send, change_units: 0, fee_units: fee };
        let (tx, prevouts) = crate::payout::build(&plan, crate::hot::Signer::script_pubkey(&signer), crate::hot::Signer::script_pubkey(&signer))
            .map_err(WithdrawError::Unavailable)?;
        let psbt = psbt_of(&n.config.deposit_xpub, &n.addresses, tx.clone(), &prevouts, &indexes)?;
        let row = CustodySweepRow {
            id: 0,
            network: n.config.network.clone(),
            psbt: base64::engine::general_purpose::STANDARD.encode(psbt.serialize()),
            unsigned_txid: tx.compute_txid().to_string(),
            inputs: utxos.iter().map(crate::payout::Utxo::outpoint).collect::<Vec<_>>().join(","),
            send_units: send,
            fee_units: fee,
            destination: hot,
            status: "proposed".into(),
            proposed_by: staff_id,
            proposed_ms: self.gateway.now_ms(),
            approved_by: None,
            approved_ms: None,
            broadcast_ms: None,
            kind: "sweep".into(),
            raw_tx: None,
        };
        let id = self.store.insert_custody_sweep(&row).await?;
        Ok(CustodySweepRow { id, ..row })
    }

    /// Broadcasts the offline signer's transaction (hex) for an approved sweep or cold → hot
    /// top-up, after checking it is that PSBT's transaction.
    pub async fn broadcast_sweep(&self, id: u64, signed_hex: &str) -> Result<CustodySweepRow, WithdrawError> {
        let sweep = self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no sweep {id}")))?;
        if matches!(sweep.kind.as_str(), "to_cold" | "gas") {
            return Err(WithdrawError::Conflict(format!("a {} transfer is signed by talat when it is approved, not by an offline signer", sweep.kind)));
        }
        if sweep.status == "proposed" {
            return Err(WithdrawError::Conflict("a second staff member must approve the sweep first".into()));
        }
        let n = self.network(&sweep.network).map_err(|e| WithdrawError::NotFound(e.to_string()))?;
        if n.config.is_evm() {
            return self.broadcast_evm_prepared(n, &sweep, signed_hex).await;
        }
        let tx: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(signed_hex.trim())
            .map_err(|e| WithdrawError::Conflict(format!("the signed transaction does not decode: {e}")))?;
        if tx.compute_txid().to_string() != sweep.unsigned_txid {
            return Err(WithdrawError::Conflict("this is not the sweep's transaction: its inputs or outputs differ".into()));
        }
        n.config.bitcoin_rpc().broadcast(signed_hex.trim()).await?;
        self.store.mark_custody_sweep_broadcast(id, self.gateway.now_ms()).await?;
        self.store.custody_sweep(id).await?.ok_or_else(|| WithdrawError::NotFound(format!("no sweep {id}")))
    }
}

/// The PSBT of an unsigned transaction spending outputs of an xpub's receive addresses: each
/// input's spent output (SegWit v0 needs only that) and its key's origin under `xpub`
/// (`indexes[i]` is input i's address index in `book`).
pub(crate) fn psbt_of(xpub: &str, book: &AddressBook, tx: bitcoin::Transaction, prevouts: &[bitcoin::TxOut], indexes: &[u64]) -> Result<Psbt, WithdrawError> {
    assert_eq!(tx.input.len(), indexes.len(), "one derivation index per input");
    let xpub = Xpub::from_str(xpub.trim()).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
    let secp = Secp256k1::verification_only();
    let mut psbt = Psbt::from_unsigned_tx(tx).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
    for (i, (input, index)) in psbt.inputs.iter_mut().zip(indexes).enumerate() {
        let child = u32::try_from(*index).map_err(|_| WithdrawError::Unavailable(format!("derivation index {index} out of range")))?;
        let path: DerivationPath = vec![ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index: child }].into();
        let key = xpub.derive_pub(&secp, &path).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        // The deposit output pays this key's P2WPKH: the PSBT must say so to be signable.
        let (_, _, program) = bech32::segwit::decode(&book.address(*index).map_err(|e| WithdrawError::Unavailable(e.to_string()))?)
            .map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        let mut prevout = prevouts[i].clone();
        let version0 = bitcoin::WitnessProgram::new(bitcoin::WitnessVersion::V0, &program).map_err(|e| WithdrawError::Unavailable(e.to_string()))?;
        prevout.script_pubkey = bitcoin::ScriptBuf::new_witness_program(&version0);
        input.witness_utxo = Some(prevout);
        input.bip32_derivation.insert(key.public_key, (xpub.fingerprint(), path));
    }
    Ok(psbt)
}
