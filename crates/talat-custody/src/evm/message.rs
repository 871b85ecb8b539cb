//! Signed messages on the Ethereum family (EIP-191 version 0x45, what wallets' `personal_sign`
//! makes): the Keccak-256 of `"\x19Ethereum Signed Message:\n"`, the message's length in
//! decimal, and the message; signed with a recoverable ECDSA signature written as 65 bytes
//! `r || s || v` (v = 27 + the recovery parity), hex. Anyone recovers the key from it and
//! compares its address: proof that whoever holds an address's key signed the message.

use super::address::{keccak256, parse_hex, Address};
use super::signer::{recover, EvmSigner};
use super::tx::{bytes_of_hex, Signature};

/// The prefix every EIP-191 personal message is hashed behind.
pub const PERSONAL_PREFIX: &str = "\x19Ethereum Signed Message:\n";
/// The longest message signed or checked (as the Bitcoin family's, `crate::reserves`).
pub const MAX_MESSAGE_BYTES: usize = crate::reserves::MAX_MESSAGE_BYTES;

/// The hash a personal-message signature commits to.
pub fn personal_hash(message: &str) -> [u8; 32] {
    assert!(message.len() <= MAX_MESSAGE_BYTES, "messages are bounded");
    let mut data = Vec::with_capacity(PERSONAL_PREFIX.len() + 5 + message.len());
    data.extend_from_slice(PERSONAL_PREFIX.as_bytes());
    data.extend_from_slice(message.len().to_string().as_bytes());
    data.extend_from_slice(message.as_bytes());
    keccak256(&data)
}

/// `signer`'s signature of `message` (`0x` + 130 hex digits).
pub fn sign_personal(signer: &dyn EvmSigner, message: &str) -> Result<String, String> {
    let signature = signer.sign_hash(&personal_hash(message))?;
    let mut bytes = Vec::with_capacity(65);
    bytes.extend_from_slice(&signature.r);
    bytes.extend_from_slice(&signature.s);
    bytes.push(27 + u8::from(signature.y_parity));
    Ok(format!("0x{}", hex::encode(bytes)))
}

/// The address whose key signed `message` with `signature` (v may be 27/28 or 0/1).
pub fn recover_personal(message: &str, signature: &str) -> Option<Address> {
    if message.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let bytes = bytes_of_hex(signature).ok()?;
    if bytes.len() != 65 {
        return None;
    }
    let y_parity = match bytes[64] {
        0 | 27 => false,
        1 | 28 => true,
        _ => return None,
    };
    let (mut r, mut s) = ([0u8; 32], [0u8; 32]);
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..64]);
    recover(&personal_hash(message), &Signature { y_parity, r, s }).ok()
}

/// Whether `signature` signs `message` by the key of `address` (`0x` + 40 hex digits).
pub fn verify_personal(address: &str, message: &str, signature: &str) -> bool {
    match (parse_hex(address.trim()), recover_personal(message, signature)) {
        (Some(expected), Some(found)) => expected == found,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::signer::LocalEvmSigner;

    /// Anvil's and Hardhat's first development account (a published key).
    const DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const DEV_ADDRESS: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

    #[test]
    fn the_hash_is_eip191s_and_a_signature_recovers_to_its_signer() {
        // EIP-191's hash of "hello", as every Ethereum library computes it.
        assert_eq!(hex::encode(personal_hash("hello")), "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750");
        let signer = LocalEvmSigner::from_hex(DEV_KEY).unwrap();
        let message = "talat proof of reserves: report 1, root 00ff";
        let signature = sign_personal(&signer, message).unwrap();
        assert_eq!(signature.len(), 132);
        assert!(verify_personal(DEV_ADDRESS, message, &signature));
        assert!(verify_personal(&DEV_ADDRESS.to_ascii_uppercase().replace("0X", "0x"), message, &signature), "any case of the address");
        let mut low_v = bytes_of_hex(&signature).unwrap();
        low_v[64] -= 27;
        assert!(verify_personal(DEV_ADDRESS, message, &hex::encode(&low_v)), "v as 0/1 too");
    }

    #[test]
    fn a_tampered_message_signature_or_address_is_refused() {
        let signer = LocalEvmSigner::from_hex(DEV_KEY).unwrap();
        let message = "talat proof of reserves: report 1, root 00ff";
        let signature = sign_personal(&signer, message).unwrap();
        assert!(!verify_personal(DEV_ADDRESS, "talat proof of reserves: report 2, root 00ff", &signature), "another message");
        assert!(!verify_personal("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", message, &signature), "another address");
        let mut flipped = bytes_of_hex(&signature).unwrap();
        flipped[10] ^= 1;
        assert!(!verify_personal(DEV_ADDRESS, message, &hex::encode(&flipped)), "a flipped bit of r");
        let mut other_v = bytes_of_hex(&signature).unwrap();
        other_v[64] = 27 + 28 - other_v[64];
        assert!(!verify_personal(DEV_ADDRESS, message, &hex::encode(&other_v)), "the other recovery parity");
        for bad in ["", "0x", "zz", &signature[..100], "0x1b"] {
            assert!(!verify_personal(DEV_ADDRESS, message, bad), "{bad:?}");
        }
        assert!(!verify_personal("not an address", message, &signature));
        assert!(!verify_personal(DEV_ADDRESS, &"x".repeat(MAX_MESSAGE_BYTES + 1), &signature), "too long");
    }
}
