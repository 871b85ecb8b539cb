//! Proof of reserves, the assets side: what the operator holds on chain per network — the hot
//! wallet, the cold wallet, and credited deposit outputs not yet swept — read from the node,
//! with a signed message proving control of the hot address.
//!
//! Messages are signed as wallets sign them (BIP-137): the double SHA-256 of the network's
//! message magic ("Litecoin Signed Message:\n") and the message, each prefixed with its length,
//! signed with a recoverable ECDSA signature whose header byte (39 + recovery id) says the
//! address is native SegWit P2WPKH; base64. Anyone can recover the key and compare its address.
//! On the Ethereum family the hot key signs as wallets' `personal_sign` does (EIP-191,
//! [`crate::evm::message`]), and the hot and cold balances are the addresses' ETH or token
//! balances. Cold addresses are listed one by one, so whoever holds the cold key can prove
//! control of each offline ([`verify_control`] checks such a signature, of either family).

use crate::keys::is_segwit_address;
use crate::service::{Custody, Network};
use crate::withdrawals::WithdrawError;
use base64::Engine;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, Secp256k1};
use bitcoin::CompressedPublicKey;

/// BIP-137's header for a P2WPKH (bech32) address: 39 + the recovery id.
const P2WPKH_HEADER: u8 = 39;
/// The longest message signed or checked.
pub const MAX_MESSAGE_BYTES: usize = 1_024;

/// The message magic of a network's wallets: "<Coin> Signed Message:\n".
pub fn message_magic(network: &str) -> String {
    let coin = match network.to_ascii_uppercase().as_str() {
        "BTC" => "Bitcoin",
        "LTC" => "Litecoin",
        other => return format!("{other} Signed Message:\n"),
    };
    format!("{coin} Signed Message:\n")
}

/// The hash a message signature commits to.
pub fn message_hash(magic: &str, message: &str) -> [u8; 32] {
    assert!(magic.len() < 253 && message.len() <= MAX_MESSAGE_BYTES, "one-byte or three-byte lengths only");
    let mut data = Vec::with_capacity(magic.len() + message.len() + 4);
    for part in [magic.as_bytes(), message.as_bytes()] {
        // Bitcoin's compact size: one byte below 253, else 0xfd and two bytes little-endian.
        if part.len() < 253 {
            data.push(part.len() as u8);
        } else {
            data.push(0xfd);
            data.extend_from_slice(&(part.len() as u16).to_le_bytes());
        }
        data.extend_from_slice(part);
    }
    sha256d::Hash::hash(&data).to_byte_array()
}

/// A signature of `message` by `secret`, for its P2WPKH address (base64).
pub fn sign_message(secret: &bitcoin::secp256k1::SecretKey, magic: &str, message: &str) -> String {
    let secp = Secp256k1::signing_only();
    let signature = secp.sign_ecdsa_recoverable(&Message::from_digest(message_hash(magic, message)), secret);
    let (id, compact) = signature.serialize_compact();
    let mut bytes = Vec::with_capacity(65);
    bytes.push(P2WPKH_HEADER + id.to_i32() as u8);
    bytes.extend_from_slice(&compact);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether `signature` (base64, BIP-137 P2WPKH) signs `message` by the key of `address`.
pub fn verify_message(address: &str, hrp: &str, magic: &str, message: &str, signature: &str) -> bool {
    if message.len() > MAX_MESSAGE_BYTES || !is_segwit_address(address, hrp) {
        return false;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Some((&header, compact)) = bytes.split_first() else { return false };
    if compact.len() != 64 || !(P2WPKH_HEADER..P2WPKH_HEADER + 4).contains(&header) {
        return false;
    }
    let Ok(id) = RecoveryId::from_i32(i32::from(header - P2WPKH_HEADER)) else { return false };
    let Ok(signature) = RecoverableSignature::from_compact(compact, id) else { return false };
    let secp = Secp256k1::verification_only();
    let Ok(key) = secp.recover_ecdsa(&Message::from_digest(message_hash(magic, message)), &signature) else { return false };
    let Ok(hrp) = bech32::Hrp::parse(hrp) else { return false };
    let program = CompressedPublicKey(key).wpubkey_hash().to_byte_array();
    bech32::segwit::encode_v0(hrp, &program).is_ok_and(|own| own.eq_ignore_ascii_case(address))
}

/// Whether `signature` signs `message` by the key of `address` on the network: BIP-137 with
/// the network's message magic on the Bitcoin family, EIP-191 on Ethereum's.
pub fn verify_control(config: &crate::network::NetworkConfig, address: &str, message: &str, signature: &str) -> bool {
    if config.is_evm() {
        crate::evm::message::verify_personal(address, message, signature)
    } else {
        verify_message(&address.to_ascii_lowercase(), &config.hrp, &message_magic(&config.network), message, signature)
    }
}

/// One cold address and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColdAddress {
    pub address: String,
    pub units: u64,
}

/// One network's reserves at a moment, with the hot address's signed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkReserves {
    pub network: String,
    pub asset: String,
    pub hot_address: String,
    pub hot_units: u64,
    /// `None` without a cold wallet.
    pub cold_units: Option<u64>,
    /// The cold addresses holding any of it.
    pub cold: Vec<ColdAddress>,
    /// Credited deposit outputs still at customers' deposit addresses (not in a sent sweep).
    pub deposit_units: u64,
    pub message: String,
    pub magic: String,
    pub signature: String,
    /// How `signature` is made: `bip137` or `eip191`.
    pub scheme: String,
}

impl NetworkReserves {
    pub fn total_units(&self) -> u128 {
        u128::from(self.hot_units) + u128::from(self.cold_units.unwrap_or(0)) + u128::from(self.deposit_units)
    }
}

impl Custody {
    /// Every network's reserves now, the hot address signing `message`.
    pub async fn reserves(&self, message: &str) -> Result<Vec<NetworkReserves>, WithdrawError> {
        if message.len() > MAX_MESSAGE_BYTES {
            return Err(WithdrawError::Conflict(format!("a message of at most {MAX_MESSAGE_BYTES} bytes")));
        }
        let mut out = Vec::with_capacity(self.networks.len());
        for n in &self.networks {
            out.push(if n.config.is_evm() { self.evm_network_reserves(n, message).await? } else { self.network_reserves(n, message).await? });
        }
        Ok(out)
    }

    async fn network_reserves(&self, n: &Network, message: &str) -> Result<NetworkReserves, WithdrawError> {
        let c = &n.config;
        let (signer, hot_address) = self.hot_signer(n).await?;
        let rpc = c.bitcoin_rpc();
        // Everything at the hot address, also what signed withdrawals are about to spend: it is
        // still the operator's until the chain says otherwise.
        let hot_units = rpc.unspent(&hot_address).await?.iter().map(|u| u.units).sum();
        let (cold_units, cold) = if c.cold_xpub.is_empty() {
            (None, Vec::new())
        } else {
            let cold = self.cold_addresses_held(n).await?;
            (Some(cold.iter().map(|a| a.units).sum()), cold)
        };
        let swept: Vec<String> = self
            .store
            .custody_sweeps(talat_store::MAX_CUSTODY_ROWS)
            .await?
            .into_iter()
            .filter(|s| s.network == c.network && s.kind == "sweep" && s.status == "broadcast")
            .flat_map(|s| s.inputs.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let deposit_units = self
            .store
            .custody_credited_deposits(&c.network, talat_store::MAX_CUSTODY_ROWS)
            .await?
            .iter()
            .filter(|d| !swept.contains(&format!("{}:{}", d.txid, d.output_index)))
            .map(|d| d.amount_units)
            .sum();
        let magic = message_magic(&c.network);
        let signature = sign_message(signer.secret(), &magic, message);
        debug_assert!(verify_message(&hot_address, &c.hrp, &magic, message, &signature), "a signature checks against its own address");
        Ok(NetworkReserves {
            network: c.network.clone(),
            asset: c.asset.clone(),
            hot_address,
            hot_units,
            cold_units,
            cold,
            deposit_units,
            message: message.to_owned(),
            magic,
            signature,
            scheme: "bip137".into(),
        })
    }

    /// An Ethereum-family network's reserves: the hot and cold addresses' balances of its
    /// asset, what customers' deposit addresses with credited deposits hold now (unswept), and
    /// the hot key's EIP-191 signature of `message`.
    async fn evm_network_reserves(&self, n: &Network, message: &str) -> Result<NetworkReserves, WithdrawError> {
        use crate::evm::transfers::{asset_raw, units_of};
        let c = &n.config;
        let rpc = crate::evm::rpc::EvmRpc::of(c);
        let (signer, hot_address) = self.evm_hot_signer(n).await?;
        let hot_units = units_of(c, asset_raw(&rpc, c, &crate::evm::address::parse_hex(&hot_address).expect("a stored hot address")).await?)?;
        let (cold_units, cold) = if c.cold_xpub.is_empty() {
            (None, Vec::new())
        } else {
            let holdings = self.evm_cold_holdings(n).await?;
            let cold: Vec<ColdAddress> = holdings.into_iter().filter(|h| h.raw > 0).map(|h| ColdAddress { address: h.address, units: h.units }).collect();
            (Some(cold.iter().map(|a| a.units).sum()), cold)
        };
        let mut addresses: Vec<String> =
            self.store.custody_credited_deposits(&c.network, talat_store::MAX_CUSTODY_ROWS).await?.into_iter().map(|d| d.address).collect();
        addresses.sort();
        addresses.dedup();
        let mut deposit_units = 0u64;
        for a in &addresses {
            let Some(owner) = crate::evm::address::parse_hex(a) else { continue };
            deposit_units = deposit_units.saturating_add(units_of(c, asset_raw(&rpc, c, &owner).await?)?);
        }
        let signature = crate::evm::message::sign_personal(&signer, message).map_err(WithdrawError::Unavailable)?;
        debug_assert!(crate::evm::message::verify_personal(&hot_address, message, &signature), "a signature checks against its own address");
        Ok(NetworkReserves {
            network: c.network.clone(),
            asset: c.asset.clone(),
            hot_address,
            hot_units,
            cold_units,
            cold,
            deposit_units,
            message: message.to_owned(),
            magic: crate::evm::message::PERSONAL_PREFIX.into(),
            signature,
            scheme: "eip191".into(),
        })
    }

    /// The Bitcoin family's cold addresses holding confirmed outputs, with their sums.
    async fn cold_addresses_held(&self, n: &Network) -> Result<Vec<ColdAddress>, WithdrawError> {
        let book = crate::keys::AddressBook::new(&n.config.cold_xpub, &n.config.hrp).map_err(|e| WithdrawError::Unavailable(format!("cold_xpub: {e}")))?;
        let mut out: Vec<(u64, u64)> = Vec::new();
        for (index, utxo) in self.cold_outputs(n).await? {
            match out.iter_mut().find(|(i, _)| *i == index) {
                Some((_, units)) => *units = units.saturating_add(utxo.units),
                None => out.push((index, utxo.units)),
            }
        }
        out.sort_unstable();
        out.into_iter()
            .map(|(index, units)| Ok(ColdAddress { address: book.address(index).map_err(|e| WithdrawError::Unavailable(e.to_string()))?, units }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::secp256k1::SecretKey;

    fn key(byte: u8) -> (SecretKey, String) {
        let secret = SecretKey::from_slice(&[byte; 32]).unwrap();
        let public = bitcoin::secp256k1::PublicKey::from_secret_key(&Secp256k1::new(), &secret);
        let program = CompressedPublicKey(public).wpubkey_hash().to_byte_array();
        (secret, bech32::segwit::encode_v0(bech32::Hrp::parse("ltc").unwrap(), &program).unwrap())
    }

    #[test]
    fn a_signature_checks_against_its_address_and_nothing_else() {
        let (secret, address) = key(7);
        let (_, other) = key(8);
        let magic = message_magic("LTC");
        assert_eq!(magic, "Litecoin Signed Message:\n");
        let signature = sign_message(&secret, &magic, "talat reserves 2026-12-06");
        assert!(verify_message(&address, "ltc", &magic, "talat reserves 2026-12-06", &signature));
        assert!(!verify_message(&address, "ltc", &magic, "talat reserves 2026-12-07", &signature), "another message");
        assert!(!verify_message(&other, "ltc", &magic, "talat reserves 2026-12-06", &signature), "another address");
        assert!(!verify_message(&address, "ltc", &message_magic("BTC"), "talat reserves 2026-12-06", &signature), "another chain's magic");
        assert!(!verify_message(&address, "ltc", &magic, "talat reserves 2026-12-06", "bm90IGEgc2lnbmF0dXJl"));
        assert!(!verify_message(&address, "ltc", &magic, "talat reserves 2026-12-06", "%%%"));
        let bytes = base64::engine::general_purpose::STANDARD.decode(&signature).unwrap();
        assert!((39..43).contains(&bytes[0]) && bytes.len() == 65, "BIP-137's P2WPKH header");
    }

    #[test]
    fn long_messages_use_the_three_byte_length() {
        let short = message_hash("m", &"x".repeat(252));
        let long = message_hash("m", &"x".repeat(253));
        assert_ne!(short, long);
        let (secret, address) = key(9);
        let message = "y".repeat(600);
        assert!(verify_message(&address, "ltc", "m", &message, &sign_message(&secret, "m", &message)));
    }
}
