//! A million accounts over three assets: the tree builds, its totals add up, and a sample of
//! proofs verifies. Ignored by default (it wants a release build); it prints its timings and
//! asserts none, since wall-clock figures belong in `talat bench por`, not in a test:
//! `cargo test -p talat-por --release --test scale -- --ignored --nocapture`.

use std::time::Instant;
use talat_por::{verify, Account, Tree};

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
#[ignore = "a million accounts: run in a release build"]
fn a_million_accounts() {
    let count = 1_000_000u64;
    let mut state = 7;
    let accounts: Vec<Account> = (1..=count)
        .map(|id| {
            let mut salt = [0u8; 32];
            for chunk in salt.chunks_mut(8) {
                chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes());
            }
            let balances = vec![i128::from(splitmix(&mut state) % 10_000_000_00), i128::from(splitmix(&mut state) % 100_000_000), 0];
            Account { id, salt, balances }
        })
        .collect();
    let started = Instant::now();
    let tree = Tree::build(&["THB", "BTC", "ETH"], &accounts).unwrap();
    let built = started.elapsed();
    let root = tree.root();
    let thb: u128 = accounts.iter().map(|a| a.balances[0] as u128).sum();
    assert_eq!(root.totals[0], thb);
    let started = Instant::now();
    for id in (1..=count).step_by(1_000) {
        let proof = tree.proof(id).unwrap();
        assert_eq!(verify(&proof).unwrap().account_id, id);
    }
    println!("built {count} accounts in {built:?}; 1,000 proofs made and verified in {:?}; root {}", started.elapsed(), root.hash_hex);
}
