//! Building the Merkle sum tree over every account, its root and each account's proof.
//!
//! Leaves are ordered by salted id (not by account id), so a proof's position and its sibling
//! say nothing about which customers sit next to each other. Each level is two flat vectors —
//! hashes, and sums with one stride per node — and the padding node is never stored: a level's
//! odd last node is paired with it on the fly.

use crate::assets::AssetList;
use crate::hash::{self, Hash, Hasher, Salt};
use crate::proof::{Proof, Side, Step};
use crate::{PorError, FORMAT, MAX_LEAVES};
use serde::{Deserialize, Serialize};

/// One customer's liabilities as the ledger states them, one balance per asset in the tree's
/// order, in the asset's smallest unit. Signed so that a negative balance is refused here,
/// by name, rather than wrapped or clamped by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: u64,
    pub salt: Salt,
    pub balances: Vec<i128>,
}

/// What is published: the root hash, the total owed per asset, how many accounts, over which
/// assets (in the tree's order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub hash_hex: String,
    #[serde(with = "crate::decimal::many")]
    pub totals: Vec<u128>,
    pub leaf_count: u64,
    pub assets: Vec<String>,
}

/// One level: node `i`'s hash is `hashes[i]`, its sums `sums[i * assets .. (i + 1) * assets]`.
struct Level {
    hashes: Vec<Hash>,
    sums: Vec<u128>,
}

pub struct Tree {
    assets: AssetList,
    /// `levels[0]` are the leaves; the last level is the root alone.
    levels: Vec<Level>,
    /// Each leaf's account id and salt, in leaf order (a proof hands them back to the customer).
    leaf_accounts: Vec<(u64, Salt)>,
    /// (account id, leaf position), sorted by account id.
    by_account: Vec<(u64, u32)>,
    padding: Hash,
    /// The published hash: the top node bound to the asset codes and the leaf count.
    root_hash: Hash,
}

impl Tree {
    pub fn build<S: AsRef<str>>(assets: &[S], accounts: &[Account]) -> Result<Tree, PorError> {
        let assets = AssetList::new(assets)?;
        let width = assets.len();
        check_account_count(accounts.len())?;

        let mut by_id: Vec<(u64, u32)> = accounts.iter().enumerate().map(|(i, a)| (a.id, i as u32)).collect();
        by_id.sort_unstable();
        if let Some(pair) = by_id.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(PorError::DuplicateAccount(pair[0].0));
        }
        for account in accounts {
            check_balances(&assets, account)?;
        }

        // Leaf order: by salted id. Ties would need two accounts with one salted id, i.e. a
        // SHA-256 collision; the account id breaks them anyway so the order is total.
        let mut order: Vec<(Hash, u32)> = accounts.iter().enumerate().map(|(i, a)| (hash::salted_id(&a.salt, a.id), i as u32)).collect();
        order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(accounts[a.1 as usize].id.cmp(&accounts[b.1 as usize].id)));

        let mut hasher = Hasher::new();
        let (leaves, leaf_accounts, position_of) = leaf_level(&mut hasher, accounts, &order, width);
        let by_account = by_id.into_iter().map(|(id, input)| (id, position_of[input as usize])).collect();

        let padding = hash::padding(width);
        let mut levels = vec![leaves];
        while levels.last().map_or(0, |l| l.hashes.len()) > 1 {
            let below = levels.last().expect("at least the leaves");
            let level = parent_level(&mut hasher, below, &padding, &assets, levels.len())?;
            levels.push(level);
        }
        debug_assert_eq!(levels.len(), crate::depth(accounts.len()) + 1);
        let top = levels.last().expect("at least the leaves");
        // The sums carried up the tree are the plain column sums of the leaves.
        debug_assert!((0..width).all(|a| top.sums[a] == levels[0].sums.iter().skip(a).step_by(width).sum::<u128>()));
        let root_hash = hasher.root(&assets, accounts.len() as u64, &top.hashes[0], &top.sums);
        Ok(Tree { assets, levels, leaf_accounts, by_account, padding, root_hash })
    }

    pub fn assets(&self) -> &AssetList {
        &self.assets
    }

    pub fn leaf_count(&self) -> usize {
        self.leaf_accounts.len()
    }

    pub fn root(&self) -> Root {
        let top = self.levels.last().expect("a tree has a root");
        assert_eq!(top.hashes.len(), 1, "the top level is the root alone");
        Root { hash_hex: hex::encode(self.root_hash), totals: top.sums.clone(), leaf_count: self.leaf_count() as u64, assets: self.assets.codes().to_vec() }
    }

    /// The account's inclusion proof, or None for an account not in the tree.
    pub fn proof(&self, account_id: u64) -> Option<Proof> {
        let found = self.by_account.binary_search_by_key(&account_id, |&(id, _)| id).ok()?;
        let leaf = self.by_account[found].1 as usize;
        let width = self.assets.len();
        let (id, salt) = self.leaf_accounts[leaf];
        debug_assert_eq!(id, account_id);
        let balances = self.levels[0].sums[leaf * width..(leaf + 1) * width].iter().map(|&b| u64::try_from(b).expect("a leaf holds a u64")).collect();

        let mut path = Vec::with_capacity(self.levels.len() - 1);
        let mut index = leaf;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = index ^ 1;
            let side = if sibling > index { Side::Right } else { Side::Left };
            let step = if sibling < level.hashes.len() {
                Step { side, hash_hex: hex::encode(level.hashes[sibling]), sums: level.sums[sibling * width..(sibling + 1) * width].to_vec() }
            } else {
                Step { side, hash_hex: hex::encode(self.padding), sums: vec![0; width] }
            };
            path.push(step);
            index /= 2;
        }
        Some(Proof { format: FORMAT.to_string(), account_id, salt_hex: hex::encode(salt), balances, path, root: self.root() })
    }
}

/// The leaves in salted-id order, with each leaf's account id and salt, and each input
/// account's leaf position. `accounts` have been checked (balances in 0..=u64::MAX).
fn leaf_level(hasher: &mut Hasher, accounts: &[Account], order: &[(Hash, u32)], width: usize) -> (Level, Vec<(u64, Salt)>, Vec<u32>) {
    let mut leaves = Level { hashes: Vec::with_capacity(accounts.len()), sums: Vec::with_capacity(accounts.len() * width) };
    let mut leaf_accounts = Vec::with_capacity(accounts.len());
    let mut position_of = vec![0u32; accounts.len()];
    for (position, (id_hash, input)) in order.iter().enumerate() {
        let account = &accounts[*input as usize];
        let start = leaves.sums.len();
        leaves.sums.extend(account.balances.iter().map(|&b| b as u128));
        leaves.hashes.push(hasher.leaf(id_hash, &leaves.sums[start..]));
        leaf_accounts.push((account.id, account.salt));
        position_of[*input as usize] = position as u32;
    }
    (leaves, leaf_accounts, position_of)
}

/// The level above `below` (which is level `level - 1`): nodes paired left to right, an odd
/// last node with the padding node.
fn parent_level(hasher: &mut Hasher, below: &Level, padding: &Hash, assets: &AssetList, level: usize) -> Result<Level, PorError> {
    let width = assets.len();
    let zeros = vec![0u128; width];
    let parents = below.hashes.len().div_ceil(2);
    let mut above = Level { hashes: Vec::with_capacity(parents), sums: Vec::with_capacity(parents * width) };
    for parent in 0..parents {
        let (left, right) = (2 * parent, 2 * parent + 1);
        let left_sums = &below.sums[left * width..(left + 1) * width];
        let (right_hash, right_sums) =
            if right < below.hashes.len() { (&below.hashes[right], &below.sums[right * width..(right + 1) * width]) } else { (padding, &zeros[..]) };
        for (asset, (l, r)) in left_sums.iter().zip(right_sums).enumerate() {
            let sum = l.checked_add(*r).ok_or_else(|| PorError::SumOverflow { asset: assets.code(asset).to_string(), level })?;
            above.sums.push(sum);
        }
        above.hashes.push(hasher.node(&below.hashes[left], left_sums, right_hash, right_sums));
    }
    Ok(above)
}

/// 1 to [`MAX_LEAVES`] accounts. Apart from `build` so the bound can be tested without
/// 2^24 accounts in memory.
pub fn check_account_count(count: usize) -> Result<(), PorError> {
    if count == 0 {
        return Err(PorError::NoAccounts);
    }
    if count > MAX_LEAVES {
        return Err(PorError::TooManyAccounts { count, max: MAX_LEAVES });
    }
    Ok(())
}

fn check_balances(assets: &AssetList, account: &Account) -> Result<(), PorError> {
    if account.balances.len() != assets.len() {
        return Err(PorError::WrongBalanceCount { account_id: account.id, expected: assets.len(), got: account.balances.len() });
    }
    for (asset, &amount) in account.balances.iter().enumerate() {
        let asset = || assets.code(asset).to_string();
        if amount < 0 {
            return Err(PorError::NegativeBalance { account_id: account.id, asset: asset(), amount });
        }
        if amount > i128::from(u64::MAX) {
            return Err(PorError::BalanceTooLarge { account_id: account.id, asset: asset(), amount });
        }
    }
    Ok(())
}
