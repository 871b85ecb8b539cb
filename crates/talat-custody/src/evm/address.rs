//! Ethereum addresses: the last 20 bytes of the Keccak-256 of an uncompressed secp256k1 public
//! key; stored lower case, shown with EIP-55's mixed-case checksum; a destination typed by a
//! customer is `0x` and 40 hex digits, and if it mixes cases the checksum must hold.

use sha3::{Digest, Keccak256};

pub type Address = [u8; 20];

/// Keccak-256 (Ethereum's hash: the original Keccak padding, not NIST's SHA3-256).
pub fn keccak256(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

/// The address of a public key given uncompressed (65 bytes: `04 || x || y`).
pub fn address_of_uncompressed(public_key: &[u8; 65]) -> Address {
    assert_eq!(public_key[0], 0x04, "an uncompressed SEC1 key starts with 0x04");
    let hash = keccak256(&public_key[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash[12..]);
    address
}

/// `0x` and 40 lower-case hex digits: the stored form.
pub fn to_lower_hex(address: &Address) -> String {
    format!("0x{}", hex::encode(address))
}

/// EIP-55: each letter of the lower-case hex is upper-cased where the matching nibble of the
/// Keccak-256 of that lower-case hex (as ASCII, without `0x`) is 8 or more.
pub fn to_checksum(address: &Address) -> String {
    let lower = hex::encode(address);
    let hash = keccak256(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = if i % 2 == 0 { hash[i / 2] >> 4 } else { hash[i / 2] & 0x0f };
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 { c.to_ascii_uppercase() } else { c });
    }
    out
}

/// The 20 bytes of `0x` + 40 hex digits, in any case (no checksum check).
pub fn parse_hex(text: &str) -> Option<Address> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut address = [0u8; 20];
    hex::decode_to_slice(digits, &mut address).ok()?;
    Some(address)
}

/// Whether a destination is valid: `0x` + 40 hex digits; all lower or all upper case is taken
/// as is (no checksum to check), mixed case must be exactly the EIP-55 form (a typo in a
/// checksummed address is caught before any money moves).
pub fn parse_destination(text: &str) -> Option<Address> {
    let address = parse_hex(text)?;
    let digits = &text[2..];
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && to_checksum(&address)[2..] != *digits {
        return None;
    }
    Some(address)
}

/// The zero address: a transfer to it burns what it sends.
pub fn is_zero(address: &Address) -> bool {
    address.iter().all(|b| *b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_of_nothing_is_the_published_constant() {
        assert_eq!(hex::encode(keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    }

    #[test]
    fn checksums_match_eip55_examples() {
        // Addresses from EIP-55's own list of examples.
        for shown in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            let address = parse_hex(shown).unwrap();
            assert_eq!(to_checksum(&address), shown);
            assert_eq!(parse_destination(shown), Some(address));
            assert_eq!(parse_destination(&shown.to_ascii_lowercase()), Some(address), "all lower case carries no checksum");
            assert_eq!(parse_destination(&format!("0x{}", shown[2..].to_ascii_uppercase())), Some(address), "nor all upper case");
        }
    }

    #[test]
    fn refuses_bad_checksums_and_malformed_addresses() {
        assert_eq!(parse_destination("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), None, "one letter's case flipped");
        assert_eq!(parse_destination("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), None, "no 0x");
        assert_eq!(parse_destination("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"), None, "too short");
        assert_eq!(parse_destination("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedaa"), None, "too long");
        assert_eq!(parse_destination("0xgaaeb6053f3e94c9b9a09f33669435e7ef1beaed"), None, "not hex");
        assert!(is_zero(&parse_hex(&format!("0x{}", "0".repeat(40))).unwrap()));
    }
}
