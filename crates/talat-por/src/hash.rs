//! The byte format, exactly as `docs/proof-of-reserves.md` writes it down for a browser
//! verifier (WebCrypto's SHA-256 and nothing else):
//!
//! * salted id = SHA-256(salt (32 bytes) ‖ the account id in ASCII decimal, no sign, no leading
//!   zeros, `0` for zero)
//! * leaf = SHA-256(0x00 ‖ salted id (32) ‖ each balance as 16 bytes big-endian, in asset order)
//! * node = SHA-256(0x01 ‖ left hash (32) ‖ left sums (16 bytes BE each) ‖ right hash (32) ‖
//!   right sums)
//! * padding node (the right partner of a level's last node when the level is odd) = the leaf
//!   of salted id 32 zero bytes with every balance zero; its sums are zero.
//! * root = SHA-256(0x02 ‖ asset count (1 byte) ‖ each asset code as its length (1 byte) then
//!   its ASCII ‖ leaf count (8 bytes BE) ‖ top hash (32) ‖ totals (16 bytes BE each)), where the
//!   top is the one node left at the last level (the leaf itself in a tree of one account).
//!
//! The root binds what the top node alone does not: which asset each column is and how many
//! accounts there are, so a proof cannot relabel a customer's BTC as ETH or claim a smaller
//! tree than the published one.
//!
//! The prefixes keep a leaf from ever being read as a node (and back): with them, a leaf's
//! bytes cannot be presented as two children whose sums were never counted. Every amount is 16
//! bytes, leaf or node, so one encoder serves both. Lengths are fixed by the asset count, so no
//! length fields are needed: a leaf is 33 + 16 × assets bytes, a node 65 + 32 × assets.

use crate::assets::AssetList;
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// A customer's secret salt for one publication: without it the salted id of a small account
/// number could be found by trying every number.
pub type Salt = [u8; 32];

pub const LEAF_PREFIX: u8 = 0x00;
pub const NODE_PREFIX: u8 = 0x01;
pub const ROOT_PREFIX: u8 = 0x02;

/// Bytes of one amount in a leaf or node.
pub const AMOUNT_BYTES: usize = 16;

/// The salted id standing for a customer in the tree.
pub fn salted_id(salt: &Salt, account_id: u64) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    // u64's Display is exactly the rule: ASCII digits, no sign, no leading zeros.
    hasher.update(account_id.to_string().as_bytes());
    hasher.finalize().into()
}

/// Hashes leaves and nodes through one scratch buffer, so building a tree of a million leaves
/// allocates once rather than per node.
#[derive(Default)]
pub struct Hasher {
    bytes: Vec<u8>,
}

impl Hasher {
    pub fn new() -> Hasher {
        Hasher::default()
    }

    pub fn leaf(&mut self, id: &Hash, balances: &[u128]) -> Hash {
        self.bytes.clear();
        self.bytes.push(LEAF_PREFIX);
        self.bytes.extend_from_slice(id);
        self.amounts(balances);
        debug_assert_eq!(self.bytes.len(), 33 + AMOUNT_BYTES * balances.len());
        Sha256::digest(&self.bytes).into()
    }

    pub fn node(&mut self, left: &Hash, left_sums: &[u128], right: &Hash, right_sums: &[u128]) -> Hash {
        assert_eq!(left_sums.len(), right_sums.len(), "both children carry one sum per asset");
        self.bytes.clear();
        self.bytes.push(NODE_PREFIX);
        self.bytes.extend_from_slice(left);
        self.amounts(left_sums);
        self.bytes.extend_from_slice(right);
        self.amounts(right_sums);
        debug_assert_eq!(self.bytes.len(), 65 + 2 * AMOUNT_BYTES * left_sums.len());
        Sha256::digest(&self.bytes).into()
    }

    pub fn root(&mut self, assets: &AssetList, leaf_count: u64, top: &Hash, totals: &[u128]) -> Hash {
        assert_eq!(assets.len(), totals.len(), "one total per asset");
        self.bytes.clear();
        self.bytes.push(ROOT_PREFIX);
        // AssetList guarantees at most 64 codes of at most 16 ASCII bytes, so each fits a byte.
        self.bytes.push(u8::try_from(assets.len()).expect("at most 64 assets"));
        for code in assets.codes() {
            self.bytes.push(u8::try_from(code.len()).expect("codes of at most 16 bytes"));
            self.bytes.extend_from_slice(code.as_bytes());
        }
        self.bytes.extend_from_slice(&leaf_count.to_be_bytes());
        self.bytes.extend_from_slice(top);
        self.amounts(totals);
        Sha256::digest(&self.bytes).into()
    }

    fn amounts(&mut self, amounts: &[u128]) {
        for amount in amounts {
            self.bytes.extend_from_slice(&amount.to_be_bytes());
        }
    }
}

/// The padding node's hash for a tree of `asset_count` assets. No customer's salted id is 32
/// zero bytes (that would take a SHA-256 preimage), so the padding is never a customer.
pub fn padding(asset_count: usize) -> Hash {
    Hasher::new().leaf(&[0; 32], &vec![0; asset_count])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        hex::encode(h)
    }

    #[test]
    fn the_salted_id_is_sha256_of_the_salt_then_the_decimal_id() {
        let salt = [7u8; 32];
        let mut by_hand = salt.to_vec();
        by_hand.extend_from_slice(b"1024");
        assert_eq!(salted_id(&salt, 1024), <[u8; 32]>::from(Sha256::digest(&by_hand)));
        assert_ne!(salted_id(&salt, 1024), salted_id(&salt, 1025));
        assert_ne!(salted_id(&salt, 0), salted_id(&[8u8; 32], 0));
    }

    #[test]
    fn leaves_and_nodes_are_the_documented_bytes() {
        let id = [0xab; 32];
        let mut leaf = vec![0x00];
        leaf.extend_from_slice(&id);
        leaf.extend_from_slice(&5u128.to_be_bytes());
        leaf.extend_from_slice(&u128::from(u64::MAX).to_be_bytes());
        let mut hasher = Hasher::new();
        assert_eq!(hex(&hasher.leaf(&id, &[5, u128::from(u64::MAX)])), hex(&Sha256::digest(&leaf).into()));

        let (l, r) = ([1u8; 32], [2u8; 32]);
        let mut node = vec![0x01];
        node.extend_from_slice(&l);
        node.extend_from_slice(&3u128.to_be_bytes());
        node.extend_from_slice(&r);
        node.extend_from_slice(&4u128.to_be_bytes());
        assert_eq!(hasher.node(&l, &[3], &r, &[4]), <[u8; 32]>::from(Sha256::digest(&node)));

        let mut root = vec![0x02, 2, 3];
        root.extend_from_slice(b"THB");
        root.push(2);
        root.extend_from_slice(b"OP");
        root.extend_from_slice(&7u64.to_be_bytes());
        root.extend_from_slice(&l);
        root.extend_from_slice(&9u128.to_be_bytes());
        root.extend_from_slice(&10u128.to_be_bytes());
        let assets = AssetList::new(&["THB", "OP"]).unwrap();
        assert_eq!(hasher.root(&assets, 7, &l, &[9, 10]), <[u8; 32]>::from(Sha256::digest(&root)));
        // Swapping the children changes the hash: the order is part of the commitment.
        assert_ne!(hasher.node(&l, &[3], &r, &[4]), hasher.node(&r, &[4], &l, &[3]));
    }

    #[test]
    fn a_leaf_and_a_node_of_the_same_payload_differ_by_their_prefix() {
        let mut hasher = Hasher::new();
        // Both payloads are 64 zero bytes (a leaf of two zero balances, a node of no sums):
        // only the prefix tells them apart.
        assert_ne!(hasher.leaf(&[0; 32], &[0, 0]), hasher.node(&[0; 32], &[], &[0; 32], &[]));
        assert_eq!(padding(3), hasher.leaf(&[0; 32], &[0, 0, 0]));
    }
}
