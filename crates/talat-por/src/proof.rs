//! An inclusion proof and its verification: the leaf recomputed from the account id, salt and
//! balances, then every step up to the root, adding sums (checked) and hashing; the result must
//! be the root's hash and totals. The root itself is only worth what its publication is worth:
//! [`verify_published`] also checks the proof's root against the one the exchange published.

use crate::assets::AssetList;
use crate::hash::{self, Hasher};
use crate::tree::Root;
use crate::{PorError, FORMAT, MAX_LEAVES};
use serde::{Deserialize, Serialize};

/// Where the sibling sits: `left` means the path so far is the right child at this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
}

/// One step up: the sibling's hash and sums.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub side: Side,
    pub hash_hex: String,
    #[serde(with = "crate::decimal::many")]
    pub sums: Vec<u128>,
}

/// What a customer receives: enough to recompute the path from their own leaf to the root.
/// Amounts and the account id are decimal strings in JSON (see [`crate::decimal`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub format: String,
    #[serde(with = "crate::decimal::one")]
    pub account_id: u64,
    pub salt_hex: String,
    #[serde(with = "crate::decimal::many")]
    pub balances: Vec<u64>,
    /// From the leaf's sibling up to the root's children.
    pub path: Vec<Step>,
    pub root: Root,
}

/// A proof that checked out: this account's balances are counted in this root's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRoot {
    pub account_id: u64,
    pub balances: Vec<u64>,
    /// The leaf's position, as the path's sides say.
    pub leaf_index: u64,
    pub root: Root,
}

pub fn verify(proof: &Proof) -> Result<VerifiedRoot, PorError> {
    if proof.format != FORMAT {
        return Err(PorError::UnknownFormat(proof.format.clone()));
    }
    let root = &proof.root;
    let assets = AssetList::new(&root.assets)?;
    let width = assets.len();
    check_count("balances", width, proof.balances.len())?;
    check_count("root.totals", width, root.totals.len())?;
    if root.leaf_count == 0 || root.leaf_count > MAX_LEAVES as u64 {
        return Err(PorError::BadLeafCount(root.leaf_count));
    }
    let expected = crate::depth(root.leaf_count as usize);
    if proof.path.len() != expected {
        return Err(PorError::WrongPathLength { leaf_count: root.leaf_count, expected, got: proof.path.len() });
    }
    let salt = decode::<32>("salt_hex", &proof.salt_hex)?;
    let published_hash = decode::<32>("root.hash_hex", &root.hash_hex)?;

    // The sides spell the leaf's position, lowest bit first.
    let index = proof.path.iter().enumerate().fold(0u64, |index, (level, step)| index | (u64::from(step.side == Side::Left) << level));
    if index >= root.leaf_count {
        return Err(PorError::PositionOutOfRange { index, leaf_count: root.leaf_count });
    }

    let mut hasher = Hasher::new();
    let mut sums: Vec<u128> = proof.balances.iter().map(|&b| u128::from(b)).collect();
    let mut current = hasher.leaf(&hash::salted_id(&salt, proof.account_id), &sums);
    let padding = hash::padding(width);
    let mut level_width = root.leaf_count;
    let mut position = index;
    let mut parent_sums = Vec::with_capacity(width);
    for (level, step) in proof.path.iter().enumerate() {
        let sibling = decode::<32>(&format!("path[{level}].hash_hex"), &step.hash_hex)?;
        check_count(&format!("path[{level}].sums"), width, step.sums.len())?;
        // A sibling past the end of its level can only be the padding node: anything else
        // would be sums the tree never held.
        if position ^ 1 >= level_width && (sibling != padding || step.sums.iter().any(|&s| s != 0)) {
            return Err(PorError::BadPadding { step: level });
        }
        parent_sums.clear();
        for (asset, (mine, theirs)) in sums.iter().zip(&step.sums).enumerate() {
            let sum = mine.checked_add(*theirs).ok_or_else(|| PorError::SumOverflow { asset: assets.code(asset).to_string(), level: level + 1 })?;
            parent_sums.push(sum);
        }
        current = match step.side {
            Side::Right => hasher.node(&current, &sums, &sibling, &step.sums),
            Side::Left => hasher.node(&sibling, &step.sums, &current, &sums),
        };
        std::mem::swap(&mut sums, &mut parent_sums);
        level_width = level_width.div_ceil(2);
        position /= 2;
    }
    debug_assert_eq!(level_width, 1);

    // Totals first: a changed balance or sibling sum is then named as such, rather than as a
    // hash that no longer matches.
    for (asset, (&computed, &published)) in sums.iter().zip(&root.totals).enumerate() {
        if computed != published {
            return Err(PorError::TotalsMismatch { asset: assets.code(asset).to_string(), computed, published });
        }
    }
    let computed = hasher.root(&assets, root.leaf_count, &current, &sums);
    if computed != published_hash {
        return Err(PorError::RootHashMismatch { computed: hex::encode(computed), published: hex::encode(published_hash) });
    }
    Ok(VerifiedRoot { account_id: proof.account_id, balances: proof.balances.clone(), leaf_index: index, root: root.clone() })
}

/// [`verify`], then the proof's root must be the published one: same hash (hex compared as
/// bytes), totals, leaf count and assets.
pub fn verify_published(proof: &Proof, published: &Root) -> Result<VerifiedRoot, PorError> {
    let verified = verify(proof)?;
    let root = &verified.root;
    let same_hash = decode::<32>("published hash_hex", &published.hash_hex)? == decode::<32>("root.hash_hex", &root.hash_hex)?;
    let differs = if !same_hash {
        Some(format!("hash {} is not the published {}", root.hash_hex, published.hash_hex))
    } else if root.totals != published.totals {
        Some("its totals are not the published totals".to_string())
    } else if root.leaf_count != published.leaf_count {
        Some(format!("{} leaves, the published root has {}", root.leaf_count, published.leaf_count))
    } else if root.assets != published.assets {
        Some(format!("assets {:?}, the published root has {:?}", root.assets, published.assets))
    } else {
        None
    };
    match differs {
        Some(why) => Err(PorError::NotThePublishedRoot(why)),
        None => Ok(verified),
    }
}

fn check_count(field: &str, expected: usize, got: usize) -> Result<(), PorError> {
    if expected == got {
        Ok(())
    } else {
        Err(PorError::WrongAmountCount { field: field.to_string(), expected, got })
    }
}

fn decode<const N: usize>(field: &str, text: &str) -> Result<[u8; N], PorError> {
    let bad = || PorError::BadHex { field: field.to_string(), bytes: N, value: text.to_string() };
    let bytes = hex::decode(text).map_err(|_| bad())?;
    <[u8; N]>::try_from(bytes).map_err(|_| bad())
}

impl Proof {
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a proof is plain data")
    }

    /// Reads a proof; a malformed one (a negative or non-decimal amount among them) is refused
    /// with serde's message, which names the line and column.
    pub fn from_json(text: &str) -> Result<Proof, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}
