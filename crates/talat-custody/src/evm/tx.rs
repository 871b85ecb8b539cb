//! EIP-1559 (type 2) transactions: the fields, the hash a signer signs, the signed encoding a
//! node accepts and its hash (the transaction id), and the ERC-20 `transfer` call. Encoding is
//! RLP through `alloy-rlp`; a decoder is kept beside it so tests (and a check before a
//! recorded transaction is trusted) can read back exactly what was written.

use super::address::{keccak256, Address};
use alloy_rlp::{Decodable, Encodable, Header};

/// EIP-2718's type byte of an EIP-1559 transaction.
pub const TYPE_EIP1559: u8 = 0x02;
/// Gas of a plain value transfer to an account without code.
pub const TRANSFER_GAS: u64 = 21_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eip1559Tx {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas_wei: u64,
    pub max_fee_per_gas_wei: u64,
    pub gas_limit: u64,
    pub to: Address,
    pub value_wei: u128,
    pub data: Vec<u8>,
}

/// secp256k1 signature of a transaction's signing hash: the recovery parity, `r`, `s` (low-s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub y_parity: bool,
    pub r: [u8; 32],
    pub s: [u8; 32],
}

/// A 32-byte big-endian integer as RLP wants an integer: leading zero bytes dropped.
fn trimmed(word: &[u8; 32]) -> &[u8] {
    let first = word.iter().position(|b| *b != 0).unwrap_or(32);
    &word[first..]
}

impl Eip1559Tx {
    /// The unsigned fields in order, with an empty access list.
    fn encode_fields(&self, out: &mut Vec<u8>) {
        self.chain_id.encode(out);
        self.nonce.encode(out);
        self.max_priority_fee_per_gas_wei.encode(out);
        self.max_fee_per_gas_wei.encode(out);
        self.gas_limit.encode(out);
        self.to.encode(out);
        self.value_wei.encode(out);
        self.data.as_slice().encode(out);
        Header { list: true, payload_length: 0 }.encode(out);
    }

    fn typed(&self, signature: Option<&Signature>) -> Vec<u8> {
        let mut payload = Vec::with_capacity(128 + self.data.len());
        self.encode_fields(&mut payload);
        if let Some(sig) = signature {
            sig.y_parity.encode(&mut payload);
            trimmed(&sig.r).encode(&mut payload);
            trimmed(&sig.s).encode(&mut payload);
        }
        let mut out = Vec::with_capacity(payload.len() + 10);
        out.push(TYPE_EIP1559);
        Header { list: true, payload_length: payload.len() }.encode(&mut out);
        out.extend_from_slice(&payload);
        out
    }

    /// What is signed: Keccak-256 of `0x02 || rlp([chain_id, nonce, …, access_list])`.
    pub fn signing_hash(&self) -> [u8; 32] {
        keccak256(&self.typed(None))
    }

    /// The unsigned transaction as an offline signer takes it: `0x02 || rlp([chain_id, …,
    /// access_list])`, whose Keccak-256 is the signing hash.
    pub fn encode_unsigned(&self) -> Vec<u8> {
        self.typed(None)
    }

    /// The signed transaction as `eth_sendRawTransaction` takes it.
    pub fn encode_signed(&self, signature: &Signature) -> Vec<u8> {
        self.typed(Some(signature))
    }

    /// The maximum the sender can pay for gas (what the hot wallet must hold besides the value).
    pub fn max_gas_cost_wei(&self) -> u128 {
        u128::from(self.gas_limit) * u128::from(self.max_fee_per_gas_wei)
    }
}

/// The transaction id: Keccak-256 of the signed encoding.
pub fn txid(signed: &[u8]) -> [u8; 32] {
    keccak256(signed)
}

fn word(bytes: &[u8]) -> Result<[u8; 32], String> {
    if bytes.len() > 32 || bytes.first() == Some(&0) {
        return Err("a signature value is not a canonical 256-bit integer".into());
    }
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(bytes);
    Ok(out)
}

/// The type byte and the list header of a typed transaction; the list's payload is returned.
fn typed_payload(bytes: &[u8]) -> Result<&[u8], String> {
    let (&kind, mut rest) = bytes.split_first().ok_or("empty transaction")?;
    if kind != TYPE_EIP1559 {
        return Err(format!("transaction type {kind:#x}, not EIP-1559"));
    }
    let header = Header::decode(&mut rest).map_err(|e| e.to_string())?;
    if !header.list || header.payload_length != rest.len() {
        return Err("the transaction is not one RLP list".into());
    }
    Ok(rest)
}

/// The nine unsigned fields (access lists must be empty: talat writes none).
fn decode_fields(rest: &mut &[u8]) -> Result<Eip1559Tx, String> {
    let e = |e: alloy_rlp::Error| e.to_string();
    let chain_id = u64::decode(rest).map_err(e)?;
    let nonce = u64::decode(rest).map_err(e)?;
    let max_priority_fee_per_gas_wei = u64::decode(rest).map_err(e)?;
    let max_fee_per_gas_wei = u64::decode(rest).map_err(e)?;
    let gas_limit = u64::decode(rest).map_err(e)?;
    let to = <[u8; 20]>::decode(rest).map_err(e)?;
    let value_wei = u128::decode(rest).map_err(e)?;
    let data = Header::decode_bytes(rest, false).map_err(e)?.to_vec();
    let access_list = Header::decode(rest).map_err(e)?;
    if !access_list.list || access_list.payload_length != 0 {
        return Err("a non-empty access list".into());
    }
    Ok(Eip1559Tx { chain_id, nonce, max_priority_fee_per_gas_wei, max_fee_per_gas_wei, gas_limit, to, value_wei, data })
}

/// Reads a signed type-2 transaction back.
pub fn decode_signed(bytes: &[u8]) -> Result<(Eip1559Tx, Signature), String> {
    let mut rest = typed_payload(bytes)?;
    let tx = decode_fields(&mut rest)?;
    let e = |e: alloy_rlp::Error| e.to_string();
    let y_parity = bool::decode(&mut rest).map_err(e)?;
    let r = word(Header::decode_bytes(&mut rest, false).map_err(e)?)?;
    let s = word(Header::decode_bytes(&mut rest, false).map_err(e)?)?;
    if !rest.is_empty() {
        return Err("bytes after the signature".into());
    }
    Ok((tx, Signature { y_parity, r, s }))
}

/// Reads an unsigned type-2 transaction ([`Eip1559Tx::encode_unsigned`]) back.
pub fn decode_unsigned(bytes: &[u8]) -> Result<Eip1559Tx, String> {
    let mut rest = typed_payload(bytes)?;
    let tx = decode_fields(&mut rest)?;
    if !rest.is_empty() {
        return Err("bytes after the unsigned fields (a signed transaction?)".into());
    }
    Ok(tx)
}

/// `0x`-prefixed (or bare) hex as bytes.
pub fn bytes_of_hex(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    hex::decode(text.strip_prefix("0x").unwrap_or(text)).map_err(|e| format!("not hex: {e}"))
}

/// The first four bytes of Keccak-256 of `transfer(address,uint256)`.
pub fn transfer_selector() -> [u8; 4] {
    let hash = keccak256(b"transfer(address,uint256)");
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The topic of ERC-20's `Transfer(address,address,uint256)` event.
pub fn transfer_topic() -> [u8; 32] {
    keccak256(b"Transfer(address,address,uint256)")
}

/// ABI call data of ERC-20 `transfer(to, amount)`: selector, then each argument as a 32-byte word.
pub fn erc20_transfer_data(to: &Address, amount_raw: u128) -> Vec<u8> {
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(&transfer_selector());
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(to);
    data.extend_from_slice(&[0u8; 16]);
    data.extend_from_slice(&amount_raw.to_be_bytes());
    data
}

/// ABI call data of ERC-20 `balanceOf(owner)`.
pub fn erc20_balance_of_data(owner: &Address) -> Vec<u8> {
    let hash = keccak256(b"balanceOf(address)");
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(&hash[..4]);
    data.extend_from_slice(&[0u8; 12]);
    data.extend_from_slice(owner);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Eip1559Tx {
        Eip1559Tx {
            chain_id: 31_337,
            nonce: 7,
            max_priority_fee_per_gas_wei: 1_000_000_000,
            max_fee_per_gas_wei: 3_000_000_000,
            gas_limit: TRANSFER_GAS,
            to: [0x11; 20],
            value_wei: 1_500_000_000_000_000_000,
            data: Vec::new(),
        }
    }

    #[test]
    fn what_is_encoded_decodes_to_the_same_transaction() {
        let sig = Signature {
            y_parity: true,
            r: [0x22; 32],
            s: {
                let mut s = [0u8; 32];
                s[31] = 5;
                s
            },
        };
        for tx in [sample(), Eip1559Tx { data: erc20_transfer_data(&[0x33; 20], 42), value_wei: 0, gas_limit: 100_000, ..sample() }] {
            let raw = tx.encode_signed(&sig);
            assert_eq!(raw[0], TYPE_EIP1559);
            assert_eq!(decode_signed(&raw), Ok((tx.clone(), sig)));
            assert_ne!(tx.signing_hash(), txid(&raw), "the signing hash leaves the signature out");
        }
        let mut raw = sample().encode_signed(&sig);
        raw.push(0);
        assert!(decode_signed(&raw).is_err(), "trailing bytes");
        let unsigned = sample().encode_unsigned();
        assert_eq!(decode_unsigned(&unsigned), Ok(sample()));
        assert_eq!(keccak256(&unsigned), sample().signing_hash(), "the signing hash is the unsigned encoding's");
        assert!(decode_unsigned(&sample().encode_signed(&sig)).is_err(), "a signed one is not unsigned");
        assert!(decode_signed(&unsigned).is_err(), "nor the other way round");
    }

    #[test]
    fn the_signing_hash_covers_every_field() {
        let base = sample().signing_hash();
        assert_ne!(Eip1559Tx { nonce: 8, ..sample() }.signing_hash(), base);
        assert_ne!(Eip1559Tx { chain_id: 1, ..sample() }.signing_hash(), base, "a signature is valid on one chain only");
        assert_ne!(Eip1559Tx { max_fee_per_gas_wei: 3_000_000_001, ..sample() }.signing_hash(), base);
    }

    #[test]
    fn erc20_selectors_are_the_published_ones() {
        assert_eq!(hex::encode(transfer_selector()), "a9059cbb");
        assert_eq!(hex::encode(transfer_topic()), "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
        let data = erc20_transfer_data(&[0xab; 20], 1);
        assert_eq!(data.len(), 68);
        assert_eq!((data[16], data[35], data[67]), (0xab, 0xab, 1));
        assert_eq!(hex::encode(&erc20_balance_of_data(&[0; 20])[..4]), "70a08231");
    }
}
