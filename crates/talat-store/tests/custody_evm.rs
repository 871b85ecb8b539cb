//! The Ethereum family's custody tables (migration 0017) on SQLite and on a real PostgreSQL:
//! a nonce handed out once, with the signed transaction's record, never to a withdrawal that
//! is not approved and unsigned, never consumed by a signer that refused; the node's count
//! taken when it is ahead; a fee bump signed only on a second staff member's approval, reusing
//! its withdrawal's nonce; a deposit's raw on-chain amount kept.

#[macro_use]
mod support;

use support::*;
use talat_store::*;

fn withdrawal(id: &str, user_id: u64) -> CustodyWithdrawalRow {
    CustodyWithdrawalRow {
        id: id.into(),
        user_id,
        network: "ETH".into(),
        asset: "ETH".into(),
        address: format!("0x{}", "ab".repeat(20)),
        amount_units: 100_000_000,
        fee_units: 200_000,
        status: "approved".into(),
        approvals_needed: 0,
        source: "test".into(),
        engine_held: true,
        txid: None,
        raw_tx: None,
        inputs: None,
        network_fee_units: None,
        confirmations: 0,
        reason: None,
        created_ms: 1_000,
        updated_ms: 1_000,
        completed_ms: None,
    }
}

fn signed(tag: &str, nonce: u64, max_fee: u64) -> EvmSigned {
    EvmSigned {
        txid: format!("0x{tag}{nonce}"),
        raw_tx: format!("0x02{tag}{nonce}"),
        max_fee_per_gas_wei: max_fee,
        priority_fee_per_gas_wei: max_fee / 10,
        gas_limit: 21_000,
    }
}

const HOT: &str = "0x1111111111111111111111111111111111111111";

async fn nonces_are_allocated_once_with_the_signed_record(db: &TestDb) {
    let store = db.connect().await;
    for (id, user) in [("W1", 1), ("W2", 2), ("W3", 3), ("W4", 4)] {
        assert!(store.insert_custody_withdrawal(&withdrawal(id, user), &["requested"]).await.unwrap());
    }
    let record = |id: &'static str, chain_next: u64| {
        let store = store.clone();
        async move { store.record_signed_evm_withdrawal(id, "ETH", 31_337, HOT, chain_next, 2_000, |nonce| Ok(signed(id, nonce, 100))).await.unwrap() }
    };
    let first = record("W1", 0).await.unwrap();
    assert_eq!(first.nonce, 0);
    let w1 = store.custody_withdrawal("W1").await.unwrap().unwrap();
    assert_eq!((w1.status.as_str(), w1.txid.as_deref(), w1.raw_tx.as_deref()), ("signed", Some("0xW10"), Some("0x02W10")));
    assert!(record("W1", 0).await.is_err(), "a signed withdrawal is never signed again");
    assert_eq!(record("W2", 0).await.unwrap().nonce, 1, "the stored next nonce, though the node still counts 0");
    assert_eq!(record("W3", 5).await.unwrap().nonce, 5, "the node's count when it is ahead");
    let refused = store.record_signed_evm_withdrawal("W4", "ETH", 31_337, HOT, 0, 2_000, |_| Err("the HSM said no".into())).await.unwrap();
    assert_eq!(refused, Err("the HSM said no".into()));
    assert_eq!(store.custody_withdrawal("W4").await.unwrap().unwrap().status, "approved", "nothing recorded");
    assert_eq!(record("W4", 0).await.unwrap().nonce, 6, "a refused signature consumed no nonce");
    let other_chain = store.record_signed_evm_withdrawal("W5", "ETH", 1, HOT, 0, 2_000, |n| Ok(signed("W5", n, 1))).await.unwrap();
    assert!(other_chain.is_err(), "no withdrawal W5");
    assert_eq!(store.evm_txs_of("W1").await.unwrap(), vec![first]);

    // A deposit's raw on-chain amount round-trips.
    let d = CustodyDepositRow {
        network: "ETH".into(),
        txid: "0xdead".into(),
        output_index: 0,
        user_id: 1,
        asset: "ETH".into(),
        address: HOT.into(),
        amount_units: 150_000_000,
        amount_raw: Some("1500000000000000001".into()),
        block_height: Some(7),
        block_hash: Some("0xbeef".into()),
        confirmations: 1,
        required_confirmations: 12,
        status: "confirming".into(),
        seen_ms: 1_000,
        updated_ms: 1_000,
        credited_ms: None,
    };
    store.custody_record_deposits(std::slice::from_ref(&d)).await.unwrap();
    assert_eq!(store.custody_deposit("ETH", "0xdead", 0).await.unwrap(), Some(d));
}

async fn a_fee_bump_is_signed_only_on_a_second_approval_with_the_same_nonce(db: &TestDb) {
    let store = db.connect().await;
    assert!(store.insert_custody_withdrawal(&withdrawal("W1", 1), &["requested"]).await.unwrap());
    let first = store.record_signed_evm_withdrawal("W1", "ETH", 31_337, HOT, 3, 2_000, |n| Ok(signed("a", n, 100))).await.unwrap().unwrap();
    assert!(store.move_custody_withdrawal("W1", &["signed"], "broadcast", None, 3_000).await.unwrap());

    let bump = store.propose_evm_bump("W1", 110, 11, 7, 4_000).await.unwrap().unwrap();
    assert!(store.propose_evm_bump("W1", 200, 20, 9, 4_000).await.unwrap().is_err(), "one open proposal");
    let by_proposer = store.record_evm_replacement(bump.id, 7, 5_000, |_, _| Ok(signed("b", 3, 110))).await.unwrap();
    assert!(by_proposer.is_err(), "a second staff member approves");
    let replacement = store
        .record_evm_replacement(bump.id, 8, 5_000, |b, latest| {
            assert_eq!((latest.txid.as_str(), b.max_fee_per_gas_wei), (first.txid.as_str(), 110));
            Ok(signed("b", latest.nonce, b.max_fee_per_gas_wei))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((replacement.nonce, replacement.max_fee_per_gas_wei), (3, 110), "the same nonce, the approved fee");
    let w = store.custody_withdrawal("W1").await.unwrap().unwrap();
    assert_eq!((w.status.as_str(), w.txid.as_deref()), ("signed", Some(replacement.txid.as_str())), "recorded, to be broadcast");
    let bump = store.evm_bump(bump.id).await.unwrap().unwrap();
    assert_eq!((bump.status.as_str(), bump.approved_by, bump.txid.as_deref()), ("signed", Some(8), Some(replacement.txid.as_str())));
    assert!(store.record_evm_replacement(bump.id, 9, 6_000, |_, _| Ok(signed("c", 3, 200))).await.unwrap().is_err(), "signed once");
    assert_eq!(store.evm_txs_of("W1").await.unwrap().iter().map(|t| t.nonce).collect::<Vec<_>>(), [3, 3]);
    assert_eq!(store.evm_bumps_of("W1").await.unwrap().len(), 1);

    // The mined one becomes the withdrawal's transaction; a completed one is not replaced.
    store.set_custody_withdrawal_tx("W1", &first.txid, &first.raw_tx, 7_000).await.unwrap();
    assert!(store.move_custody_withdrawal("W1", &["signed"], "completed", None, 8_000).await.unwrap());
    let late = store.propose_evm_bump("W1", 300, 30, 7, 9_000).await.unwrap().unwrap();
    assert!(store.record_evm_replacement(late.id, 8, 9_000, |_, _| Ok(signed("d", 3, 300))).await.unwrap().is_err(), "not in flight");
    assert_eq!(store.custody_withdrawal("W1").await.unwrap().unwrap().txid.as_deref(), Some(first.txid.as_str()));
}

suite!(nonces_are_allocated_once_with_the_signed_record, a_fee_bump_is_signed_only_on_a_second_approval_with_the_same_nonce);
