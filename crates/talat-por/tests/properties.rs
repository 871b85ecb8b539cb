//! Properties on random trees: every account's proof verifies against the root, the totals are
//! the inputs' sums, the root does not depend on the input order, and changing any one amount,
//! hash, side or count in a proof is refused.

use proptest::prelude::*;
use talat_por::{verify, verify_published, Account, Proof, Side, Tree};

const CODES: [&str; 4] = ["THB", "BTC", "ETH", "USDT"];

/// Amounts with the edges over-represented: zero and the largest a leaf holds.
fn amount() -> impl Strategy<Value = i128> {
    prop_oneof![Just(0i128), Just(i128::from(u64::MAX)), 0i128..1_000_000, 0..=i128::from(u64::MAX)]
}

prop_compose! {
    fn book()(assets in 1usize..=4, count in 1usize..40)
        (ids in prop::collection::hash_set(0u64..u64::MAX, count), balances in prop::collection::vec(prop::collection::vec(amount(), assets), count), salts in prop::collection::vec(any::<[u8; 32]>(), count))
        -> (Vec<&'static str>, Vec<Account>) {
        let assets = CODES[..balances[0].len()].to_vec();
        let accounts = ids.into_iter().zip(balances).zip(salts).map(|((id, balances), salt)| Account { id, salt, balances }).collect();
        (assets, accounts)
    }
}

/// One change to one field of a proof; every one must be refused.
#[derive(Clone, Debug)]
enum Tamper {
    Balance { asset: usize, delta: u64 },
    AccountId { delta: u64 },
    Salt { byte: usize },
    SiblingSum { step: usize, asset: usize, delta: u128 },
    SiblingHash { step: usize, byte: usize },
    Side { step: usize },
    RootHash { byte: usize },
    RootTotal { asset: usize, delta: u128 },
    LeafCount { delta: u64 },
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (0usize..4, 1u64..1_000).prop_map(|(asset, delta)| Tamper::Balance { asset, delta }),
        (1u64..1_000).prop_map(|delta| Tamper::AccountId { delta }),
        (0usize..32).prop_map(|byte| Tamper::Salt { byte }),
        (0usize..8, 0usize..4, 1u128..1_000).prop_map(|(step, asset, delta)| Tamper::SiblingSum { step, asset, delta }),
        (0usize..8, 0usize..32).prop_map(|(step, byte)| Tamper::SiblingHash { step, byte }),
        (0usize..8).prop_map(|step| Tamper::Side { step }),
        (0usize..32).prop_map(|byte| Tamper::RootHash { byte }),
        (0usize..4, 1u128..1_000).prop_map(|(asset, delta)| Tamper::RootTotal { asset, delta }),
        (1u64..100).prop_map(|delta| Tamper::LeafCount { delta }),
    ]
}

fn flip_byte(hex_text: &mut String, byte: usize) {
    let mut bytes = hex::decode(&*hex_text).unwrap();
    bytes[byte] ^= 0x01;
    *hex_text = hex::encode(bytes);
}

/// Applies the change, or None when this proof has no such field (a path shorter than `step`,
/// fewer assets).
fn apply(proof: &Proof, change: &Tamper) -> Option<Proof> {
    let mut p = proof.clone();
    let steps = p.path.len();
    let assets = p.balances.len();
    match *change {
        Tamper::Balance { asset, delta } if asset < assets => {
            p.balances[asset] = p.balances[asset].checked_add(delta).unwrap_or_else(|| p.balances[asset] - delta)
        }
        Tamper::AccountId { delta } => p.account_id = p.account_id.wrapping_add(delta),
        Tamper::Salt { byte } => flip_byte(&mut p.salt_hex, byte),
        Tamper::SiblingSum { step, asset, delta } if step < steps && asset < assets => p.path[step].sums[asset] += delta,
        Tamper::SiblingHash { step, byte } if step < steps => flip_byte(&mut p.path[step].hash_hex, byte),
        Tamper::Side { step } if step < steps => p.path[step].side = if p.path[step].side == Side::Left { Side::Right } else { Side::Left },
        Tamper::RootHash { byte } => flip_byte(&mut p.root.hash_hex, byte),
        Tamper::RootTotal { asset, delta } if asset < assets => p.root.totals[asset] += delta,
        Tamper::LeafCount { delta } => p.root.leaf_count += delta,
        _ => return None,
    }
    Some(p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_proof_verifies_and_the_totals_are_the_sums((assets, accounts) in book()) {
        let tree = Tree::build(&assets, &accounts).unwrap();
        let root = tree.root();
        prop_assert_eq!(root.leaf_count as usize, accounts.len());
        for (asset, total) in root.totals.iter().enumerate() {
            let sum: u128 = accounts.iter().map(|a| a.balances[asset] as u128).sum();
            prop_assert_eq!(*total, sum);
        }
        for account in &accounts {
            let proof = tree.proof(account.id).unwrap();
            let verified = verify_published(&proof, &root).unwrap();
            prop_assert_eq!(verified.account_id, account.id);
            prop_assert_eq!(verified.balances.iter().map(|&b| i128::from(b)).collect::<Vec<_>>(), account.balances.clone());
            prop_assert_eq!(Proof::from_json(&proof.to_json_pretty()).unwrap(), proof);
        }
    }

    #[test]
    fn the_root_is_the_same_in_any_input_order((assets, accounts) in book(), rotate in 0usize..40) {
        let mut turned = accounts.clone();
        turned.rotate_left(rotate % accounts.len());
        prop_assert_eq!(Tree::build(&assets, &accounts).unwrap().root(), Tree::build(&assets, &turned).unwrap().root());
    }

    #[test]
    fn any_one_change_to_a_proof_is_refused((assets, accounts) in book(), pick in any::<prop::sample::Index>(), changes in prop::collection::vec(tamper(), 1..8)) {
        let tree = Tree::build(&assets, &accounts).unwrap();
        let proof = tree.proof(accounts[pick.index(accounts.len())].id).unwrap();
        for change in &changes {
            if let Some(tampered) = apply(&proof, change) {
                prop_assert!(verify(&tampered).is_err(), "{:?} was accepted", change);
            }
        }
    }

    #[test]
    fn a_negative_balance_anywhere_refuses_the_whole_tree((assets, mut accounts) in book(), pick in any::<prop::sample::Index>(), asset in 0usize..4, negative in i128::MIN..0) {
        let at = pick.index(accounts.len());
        let asset = asset % assets.len();
        accounts[at].balances[asset] = negative;
        let refused = Tree::build(&assets, &accounts).err();
        prop_assert_eq!(refused, Some(talat_por::PorError::NegativeBalance { account_id: accounts[at].id, asset: assets[asset].to_string(), amount: negative }));
    }
}
