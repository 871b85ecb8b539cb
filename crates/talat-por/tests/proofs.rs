//! The tree and its proofs on fixed inputs: every account's proof verifies, the totals are the
//! inputs' sums, bad inputs are refused by name, every field of a proof is bound (tampering one
//! is refused), the format is frozen by a golden root, and the fixture proof a browser
//! verifier reuses is what this code produces.

use talat_por::{verify, verify_published, Account, PorError, Proof, Side, Tree};

const ASSETS: [&str; 3] = ["THB", "BTC", "ETH"];

fn salt(id: u64) -> [u8; 32] {
    let mut salt = [0u8; 32];
    for (i, byte) in salt.iter_mut().enumerate() {
        *byte = (id.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8;
    }
    salt
}

fn accounts(count: u64) -> Vec<Account> {
    (1..=count).map(|id| Account { id, salt: salt(id), balances: vec![i128::from(id) * 100, i128::from(id % 3), 0] }).collect()
}

#[test]
fn every_account_of_every_small_tree_verifies_and_the_totals_add_up() {
    for count in (1..=17).chain([64, 65, 100]) {
        let input = accounts(count);
        let tree = Tree::build(&ASSETS, &input).unwrap();
        let root = tree.root();
        assert_eq!(root.leaf_count, count);
        assert_eq!(root.assets, ASSETS);
        for (asset, total) in root.totals.iter().enumerate() {
            let sum: i128 = input.iter().map(|a| a.balances[asset]).sum();
            assert_eq!(*total as i128, sum, "{} total over {count} accounts", ASSETS[asset]);
        }
        let mut positions = Vec::new();
        for account in &input {
            let proof = tree.proof(account.id).unwrap();
            assert_eq!(proof.path.len(), talat_por::depth(count as usize));
            let verified = verify_published(&proof, &root).unwrap_or_else(|e| panic!("account {} of {count}: {e}", account.id));
            assert_eq!(verified.balances.iter().map(|&b| i128::from(b)).collect::<Vec<_>>(), account.balances);
            positions.push(verified.leaf_index);
        }
        positions.sort_unstable();
        assert_eq!(positions, (0..count).collect::<Vec<_>>(), "each account has a leaf of its own");
        assert!(tree.proof(count + 1).is_none());
    }
}

#[test]
fn the_root_does_not_depend_on_the_input_order() {
    let input = accounts(37);
    let mut reversed = input.clone();
    reversed.reverse();
    assert_eq!(Tree::build(&ASSETS, &input).unwrap().root(), Tree::build(&ASSETS, &reversed).unwrap().root());
}

#[test]
fn bad_inputs_are_refused_by_name() {
    let one = |balances: Vec<i128>| vec![Account { id: 9, salt: [1; 32], balances }];
    let build = |accounts: &[Account]| Tree::build(&ASSETS, accounts).err();
    assert_eq!(build(&one(vec![5, -1, 0])), Some(PorError::NegativeBalance { account_id: 9, asset: "BTC".into(), amount: -1 }));
    let too_large = i128::from(u64::MAX) + 1;
    assert_eq!(build(&one(vec![0, 0, too_large])), Some(PorError::BalanceTooLarge { account_id: 9, asset: "ETH".into(), amount: too_large }));
    assert_eq!(build(&one(vec![1, 2])), Some(PorError::WrongBalanceCount { account_id: 9, expected: 3, got: 2 }));
    assert_eq!(build(&[]), Some(PorError::NoAccounts));
    let mut twice = accounts(5);
    twice[3].id = 2;
    assert_eq!(build(&twice), Some(PorError::DuplicateAccount(2)));
    assert_eq!(Tree::build::<&str>(&[], &accounts(1)).err(), Some(PorError::NoAssets));
    assert_eq!(Tree::build(&["THB", "THB"], &accounts(1)).err(), Some(PorError::DuplicateAsset("THB".into())));
    // The largest balance a leaf holds is accepted, in every asset.
    let max = i128::from(u64::MAX);
    let tree =
        Tree::build(&ASSETS, &[Account { id: 1, salt: [0; 32], balances: vec![max; 3] }, Account { id: 2, salt: [0; 32], balances: vec![max; 3] }]).unwrap();
    assert_eq!(tree.root().totals, vec![2 * u128::from(u64::MAX); 3]);
    assert_eq!(talat_por::tree::check_account_count(talat_por::MAX_LEAVES), Ok(()));
    assert_eq!(
        talat_por::tree::check_account_count(talat_por::MAX_LEAVES + 1),
        Err(PorError::TooManyAccounts { count: talat_por::MAX_LEAVES + 1, max: talat_por::MAX_LEAVES })
    );
}

/// A proof deep enough to have a padding step and both sides (account 5 of 11).
fn sample() -> (Tree, Proof) {
    let tree = Tree::build(&ASSETS, &accounts(11)).unwrap();
    let proof = tree.proof(5).unwrap();
    assert!(verify(&proof).is_ok());
    (tree, proof)
}

fn refused(proof: &Proof) -> PorError {
    verify(proof).expect_err("a tampered proof is refused")
}

#[test]
fn tampering_any_field_is_refused_with_what_failed() {
    let (_, proof) = sample();
    let flip_hex = |hex: &str| {
        let mut bytes = hex.as_bytes().to_vec();
        bytes[0] = if bytes[0] == b'0' { b'1' } else { b'0' };
        String::from_utf8(bytes).unwrap()
    };

    let mut p = proof.clone();
    p.balances[0] += 1;
    assert!(matches!(refused(&p), PorError::TotalsMismatch { ref asset, .. } if asset == "THB"), "{}", refused(&p));
    // The balance and the root's total raised together: the hash still gives it away.
    p.root.totals[0] += 1;
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }), "{}", refused(&p));

    let mut p = proof.clone();
    p.path[1].sums[1] += 1;
    assert!(matches!(refused(&p), PorError::TotalsMismatch { ref asset, .. } if asset == "BTC"));
    p.root.totals[1] += 1;
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));

    let mut p = proof.clone();
    p.path[0].hash_hex = flip_hex(&p.path[0].hash_hex);
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));

    let mut p = proof.clone();
    p.root.hash_hex = flip_hex(&p.root.hash_hex);
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));

    let mut p = proof.clone();
    p.root.totals[2] += 1;
    assert!(matches!(refused(&p), PorError::TotalsMismatch { ref asset, computed: 0, published: 1 } if asset == "ETH"));

    let mut p = proof.clone();
    p.salt_hex = flip_hex(&p.salt_hex);
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));

    let mut p = proof.clone();
    p.account_id = 6;
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));

    // Swapping a sibling's side either moves the leaf past the end or changes the hash.
    for step in 0..proof.path.len() {
        let mut p = proof.clone();
        p.path[step].side = if p.path[step].side == Side::Left { Side::Right } else { Side::Left };
        assert!(matches!(refused(&p), PorError::RootHashMismatch { .. } | PorError::PositionOutOfRange { .. } | PorError::BadPadding { .. }), "step {step}");
    }

    let mut p = proof.clone();
    p.path.pop();
    assert!(matches!(refused(&p), PorError::WrongPathLength { expected: 4, got: 3, .. }));
    let mut p = proof.clone();
    p.root.leaf_count = 17;
    assert!(matches!(refused(&p), PorError::WrongPathLength { expected: 5, .. }));
    // Another count of the same depth: the root hash binds the count.
    let mut p = proof.clone();
    p.root.leaf_count = 12;
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }));
    let mut p = proof.clone();
    p.root.leaf_count = 0;
    assert_eq!(refused(&p), PorError::BadLeafCount(0));

    let mut p = proof.clone();
    p.root.assets.swap(1, 2);
    assert!(matches!(refused(&p), PorError::RootHashMismatch { .. }), "relabelled columns: {:?}", verify(&p));
    let mut p = proof.clone();
    p.root.assets.pop();
    assert!(matches!(refused(&p), PorError::WrongAmountCount { ref field, .. } if field == "balances"));
    let mut p = proof.clone();
    p.path[2].sums.pop();
    assert!(matches!(refused(&p), PorError::WrongAmountCount { ref field, .. } if field == "path[2].sums"));
    let mut p = proof.clone();
    p.path[0].hash_hex.pop();
    assert!(matches!(refused(&p), PorError::BadHex { ref field, .. } if field == "path[0].hash_hex"));
    let mut p = proof.clone();
    p.format = "talat-por-v0".into();
    assert_eq!(refused(&p), PorError::UnknownFormat("talat-por-v0".into()));
}

#[test]
fn a_proof_against_another_root_is_not_the_published_one() {
    let (tree, proof) = sample();
    let published = tree.root();
    let mut upper = published.clone();
    upper.hash_hex = upper.hash_hex.to_uppercase();
    assert!(verify_published(&proof, &upper).is_ok(), "hashes compare as bytes");
    // A proof that verifies on its own, from another tree (one account fewer): not the root
    // the exchange published.
    let other = Tree::build(&ASSETS, &accounts(10)).unwrap().proof(5).unwrap();
    assert!(verify(&other).is_ok());
    assert!(matches!(verify_published(&other, &published), Err(PorError::NotThePublishedRoot(_))));
    let mut totals = published.clone();
    totals.totals[0] += 1;
    assert!(matches!(verify_published(&proof, &totals), Err(PorError::NotThePublishedRoot(ref why)) if why.contains("totals")));
}

#[test]
fn a_sibling_sum_near_the_top_of_u128_overflows_rather_than_wrapping() {
    let (_, mut proof) = sample();
    proof.path[0].sums[0] = u128::MAX;
    assert!(matches!(refused(&proof), PorError::SumOverflow { ref asset, level: 1 } if asset == "THB"), "{}", refused(&proof));
}

#[test]
fn the_padding_sibling_cannot_carry_sums() {
    // 11 leaves: level 1 has 6 nodes, level 2 has 3, so the node at index 2 of level 2 is
    // paired with the padding. Account ids sit at leaves by salted id; find one on that edge.
    let tree = Tree::build(&ASSETS, &accounts(11)).unwrap();
    let proof = (1..=11).map(|id| tree.proof(id).unwrap()).find(|p| verify(p).unwrap().leaf_index >= 8).expect("leaves 8..11 exist");
    let padded = if verify(&proof).unwrap().leaf_index >= 10 { 1 } else { 2 };
    let mut p = proof.clone();
    p.path[padded].sums[0] = 1;
    p.root.totals[0] += 1;
    assert_eq!(refused(&p), PorError::BadPadding { step: padded });
}

#[test]
fn a_negative_or_malformed_amount_in_json_is_refused() {
    let (_, proof) = sample();
    let json = proof.to_json_pretty();
    let first = format!("\"{}\"", proof.balances[0]);
    let negative = json.replacen(&first, "\"-5\"", 1);
    assert!(Proof::from_json(&negative).unwrap_err().contains("negative"));
    let float = json.replacen(&first, "\"5.0\"", 1);
    assert!(Proof::from_json(&float).unwrap_err().contains("not a decimal integer"));
}

#[test]
fn proof_json_round_trips() {
    let (_, proof) = sample();
    let json = proof.to_json_pretty();
    assert_eq!(Proof::from_json(&json).unwrap(), proof);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["account_id"], "5");
    assert!(value["balances"].as_array().unwrap().iter().all(|b| b.is_string()), "amounts are strings: {json}");
    assert!(value["path"][0]["side"] == "left" || value["path"][0]["side"] == "right");
}

/// The published root of this tiny tree is frozen (and was checked against an independent
/// implementation of docs/proof-of-reserves.md in Python's hashlib): a change to any byte of the format (prefix,
/// amount width, salt rule, padding, leaf order) changes it. Do not update it without changing
/// `talat_por::FORMAT` and docs/proof-of-reserves.md.
#[test]
fn golden_root() {
    let accounts = [
        Account { id: 1, salt: [0x11; 32], balances: vec![150_000_00, 0] },
        Account { id: 2, salt: [0x22; 32], balances: vec![0, 2_500_000] },
        Account { id: 30, salt: [0x33; 32], balances: vec![1, 1] },
    ];
    let root = Tree::build(&["THB", "BTC"], &accounts).unwrap().root();
    assert_eq!(root.totals, vec![150_000_01, 2_500_001]);
    assert_eq!(root.hash_hex, "3d693179bc561a4203380bc70572076c8396f06db6495b92aca2944fa17ac001");
}

#[test]
fn the_fixture_proof_is_this_codes_and_verifies() {
    let accounts = [
        Account { id: 1001, salt: [0xa1; 32], balances: vec![2_000_000_00, 150_000_000, 3_000_000_000_000_000_000] },
        Account { id: 1002, salt: [0xa2; 32], balances: vec![50_00, 0, 0] },
        Account { id: 1003, salt: [0xa3; 32], balances: vec![0, 1, 0] },
        Account { id: 1004, salt: [0xa4; 32], balances: vec![123_45, 0, 18_000_000_000_000_000_000] },
        Account { id: 1005, salt: [0xa5; 32], balances: vec![0, 0, 0] },
    ];
    let tree = Tree::build(&ASSETS, &accounts).unwrap();
    let json = tree.proof(1001).unwrap().to_json_pretty() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proof.json");
    if std::env::var_os("TALAT_POR_WRITE_FIXTURE").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    let stored = std::fs::read_to_string(&path).expect("tests/fixtures/proof.json (TALAT_POR_WRITE_FIXTURE=1 writes it)");
    assert_eq!(stored, json, "the fixture no longer matches the code's proof: the format drifted");
    let verified = verify(&Proof::from_json(&stored).unwrap()).unwrap();
    assert_eq!(verified.balances, vec![2_000_000_00, 150_000_000, 3_000_000_000_000_000_000]);
}
