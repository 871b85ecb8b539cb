//! Deposit addresses derived from an extended public key: BIP-32 child `0/index` under the
//! operator's account-level key — BIP-84's `m/84'/coin'/0'` as a native SegWit v0 address
//! (P2WPKH) with the network's human-readable part, or BIP-44's `m/44'/60'/0'` as an Ethereum
//! address (the last 20 bytes of Keccak-256 of the uncompressed key, stored lower case). talat
//! holds only the public key: the private side stays with whoever exported it.

use bitcoin::bip32::{ChildNumber, Xpub};
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Secp256k1, VerifyOnly};
use std::str::FromStr;

/// Derivation indexes stay below the hardened range (BIP-32's normal children).
pub const MAX_DERIVATION_INDEX: u64 = (1 << 31) - 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the extended public key does not parse: {0}")]
    BadXpub(String),
    #[error("the human-readable part {0:?} is not valid bech32")]
    BadHrp(String),
    #[error("derivation index {0} is beyond BIP-32's normal range")]
    IndexOutOfRange(u64),
    #[error("derivation failed: {0}")]
    Derive(String),
}

/// How a derived key becomes an address.
enum Format {
    /// Native SegWit v0 with this human-readable part.
    Segwit(bech32::Hrp),
    /// Ethereum's: lower-case `0x` + 40 hex digits.
    Evm,
}

/// One network's deposit address book: an account-level xpub and the address format.
pub struct AddressBook {
    xpub: Xpub,
    format: Format,
    secp: Secp256k1<VerifyOnly>,
}

fn parse_xpub(xpub: &str) -> Result<Xpub, KeyError> {
    Xpub::from_str(xpub.trim()).map_err(|e| KeyError::BadXpub(e.to_string()))
}

impl AddressBook {
    /// `xpub` in the standard `xpub…`/`tpub…` encoding; `hrp` e.g. `ltc`, `rltc`, `bc`, `bcrt`.
    pub fn new(xpub: &str, hrp: &str) -> Result<AddressBook, KeyError> {
        let hrp = bech32::Hrp::parse(hrp).map_err(|_| KeyError::BadHrp(hrp.into()))?;
        Ok(AddressBook { xpub: parse_xpub(xpub)?, format: Format::Segwit(hrp), secp: Secp256k1::verification_only() })
    }

    /// An Ethereum-family book: `xpub` is the BIP-44 account key (`m/44'/60'/0'`).
    pub fn evm(xpub: &str) -> Result<AddressBook, KeyError> {
        Ok(AddressBook { xpub: parse_xpub(xpub)?, format: Format::Evm, secp: Secp256k1::verification_only() })
    }

    /// The receive address at `index` (external chain 0).
    pub fn address(&self, index: u64) -> Result<String, KeyError> {
        let child = u32::try_from(index).ok().filter(|i| u64::from(*i) <= MAX_DERIVATION_INDEX).ok_or(KeyError::IndexOutOfRange(index))?;
        let path = [ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index: child }];
        let key = self.xpub.derive_pub(&self.secp, &path).map_err(|e| KeyError::Derive(e.to_string()))?;
        match &self.format {
            Format::Segwit(hrp) => {
                let program = key.to_pub().wpubkey_hash().to_byte_array();
                bech32::segwit::encode_v0(*hrp, &program).map_err(|e| KeyError::Derive(e.to_string()))
            }
            Format::Evm => Ok(crate::evm::address::to_lower_hex(&crate::evm::address::address_of_uncompressed(&key.public_key.serialize_uncompressed()))),
        }
    }

    /// The SegWit human-readable part (empty for the Ethereum family).
    pub fn hrp(&self) -> &str {
        match &self.format {
            Format::Segwit(hrp) => hrp.as_str(),
            Format::Evm => "",
        }
    }
}

/// An account-level xpub made from 32 bytes of key material (the demo derives them from its
/// master key): only the public half leaves this function.
pub fn demo_xpub(material: &[u8; 32]) -> Result<String, KeyError> {
    let secp = Secp256k1::new();
    let master = bitcoin::bip32::Xpriv::new_master(bitcoin::NetworkKind::Main, material).map_err(|e| KeyError::Derive(e.to_string()))?;
    Ok(Xpub::from_priv(&secp, &master).to_string())
}

/// Whether `address` is a SegWit address of this human-readable part (v0 with a 20- or
/// 32-byte program, or v1+), checksum included. All upper case is valid (BIP-173); compare
/// addresses lower-cased.
pub fn is_segwit_address(address: &str, hrp: &str) -> bool {
    match bech32::segwit::decode(address) {
        Ok((found, version, program)) => found.as_str().eq_ignore_ascii_case(hrp) && (version != bech32::Fe32::Q || program.len() == 20 || program.len() == 32),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::bip32::{DerivationPath, Xpriv};

    /// BIP-84's test vector: the BIP-39 seed of the mnemonic "abandon … abandon about" (no
    /// passphrase); its account key is m/84'/0'/0'.
    const VECTOR_SEED_HEX: &str =
        "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4";

    fn xpub_of_vector() -> String {
        let seed: Vec<u8> = (0..VECTOR_SEED_HEX.len()).step_by(2).map(|i| u8::from_str_radix(&VECTOR_SEED_HEX[i..i + 2], 16).unwrap()).collect();
        let secp = Secp256k1::new();
        let master = Xpriv::new_master(bitcoin::NetworkKind::Main, &seed).unwrap();
        let account = master.derive_priv(&secp, &DerivationPath::from_str("m/84'/0'/0'").unwrap()).unwrap();
        Xpub::from_priv(&secp, &account).to_string()
    }

    #[test]
    fn derives_bip84_vector_addresses() {
        let book = AddressBook::new(&xpub_of_vector(), "bc").unwrap();
        assert_eq!(book.address(0).unwrap(), "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
        assert_eq!(book.address(1).unwrap(), "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    }

    #[test]
    fn the_same_key_gives_each_network_its_own_prefix() {
        let ltc = AddressBook::new(&xpub_of_vector(), "rltc").unwrap();
        let a = ltc.address(0).unwrap();
        assert!(a.starts_with("rltc1q"), "{a}");
        assert!(is_segwit_address(&a, "rltc"));
        assert!(!is_segwit_address(&a, "ltc"));
        assert_ne!(a, ltc.address(1).unwrap());
    }

    /// The same seed's BIP-44 Ethereum account (m/44'/60'/0'): its first receive address is
    /// the one every wallet shows for that mnemonic.
    #[test]
    fn derives_the_published_ethereum_address_of_the_vector_mnemonic() {
        let seed: Vec<u8> = (0..VECTOR_SEED_HEX.len()).step_by(2).map(|i| u8::from_str_radix(&VECTOR_SEED_HEX[i..i + 2], 16).unwrap()).collect();
        let secp = Secp256k1::new();
        let master = Xpriv::new_master(bitcoin::NetworkKind::Main, &seed).unwrap();
        let account = master.derive_priv(&secp, &DerivationPath::from_str("m/44'/60'/0'").unwrap()).unwrap();
        let book = AddressBook::evm(&Xpub::from_priv(&secp, &account).to_string()).unwrap();
        let first = book.address(0).unwrap();
        assert_eq!(first, "0x9858effd232b4033e47d90003d41ec34ecaeda94", "stored lower case");
        let shown = crate::evm::address::to_checksum(&crate::evm::address::parse_hex(&first).unwrap());
        assert_eq!(shown, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "shown EIP-55 checksummed");
        assert_ne!(book.address(1).unwrap(), first);
        assert_eq!(book.hrp(), "");
    }

    #[test]
    fn refuses_what_is_not_an_address_or_a_key() {
        assert!(matches!(AddressBook::new("xpubnot", "bc"), Err(KeyError::BadXpub(_))));
        assert!(!is_segwit_address("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv", "bc"), "bad checksum");
        assert!(is_segwit_address("BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU", "bc"), "BIP-173 allows all upper case");
        assert!(!is_segwit_address("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306FYU", "bc"), "but not mixed case");
        let book = AddressBook::new(&xpub_of_vector(), "bc").unwrap();
        assert_eq!(book.address(1 << 31), Err(KeyError::IndexOutOfRange(1 << 31)));
    }
}
