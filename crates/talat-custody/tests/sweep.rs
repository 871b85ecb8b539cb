//! Sweeps on a real chain (a regtest litecoind on loopback, scripts/custody-env): credited
//! deposits of two customers gathered into one PSBT for the offline holder of the deposit key
//! (here the test, which made that key), signed outside talat, approved by a second staff
//! member, broadcast only if it is the PSBT's own transaction, and paid to the hot wallet.
//! Hot and cold: the excess of the hot wallet to cold under four eyes, and cold → hot top-ups.

use bitcoin::bip32::Xpriv;
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::Witness;
use std::sync::Arc;
use talat_api::testkit::TestExchange;
use talat_core::{AssetSpec, Command};
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::{RegtestNode, RPC_USER};
use talat_custody::withdrawals::WithdrawError;
use talat_custody::{Custody, CustodyConfig};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

/// Signs every input the key can, then finalises them as P2WPKH (signature and key in the
/// witness), as an offline signer would.
fn sign_offline(psbt_base64: &str, key: &Xpriv) -> bitcoin::Transaction {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(psbt_base64).unwrap();
    let mut psbt = Psbt::deserialize(&bytes).unwrap();
    psbt.sign(key, &Secp256k1::new()).expect("the deposit key signs every input");
    for input in &mut psbt.inputs {
        let (public, signature) = input.partial_sigs.iter().next().map(|(k, s)| (*k, *s)).expect("signed");
        input.final_script_witness = Some(Witness::p2wpkh(&signature, &public.inner));
        input.partial_sigs.clear();
        input.bip32_derivation.clear();
    }
    psbt.extract_tx().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposits_are_swept_to_the_hot_wallet_through_an_offline_signed_psbt() {
    let dir = tempfile::tempdir().unwrap();
    let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
    let exchange = TestExchange::start(ApiConfig::default(), 2, SequencerConfig::default()).await;
    exchange.gateway.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.unwrap();
    // The operator's deposit key, held offline (here by the test); talat gets only its xpub.
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).unwrap();
    let deposit_key = Xpriv::new_master(bitcoin::NetworkKind::Main, &seed).unwrap();
    let xpub = bitcoin::bip32::Xpub::from_priv(&Secp256k1::new(), &deposit_key).to_string();
    let network = NetworkConfig::litecoin(&node.rpc_url, RPC_USER, &node.rpc_password, &xpub, "rltc");
    let custody =
        Arc::new(Custody::new(&CustodyConfig { networks: vec![network] }, exchange.gateway.store.clone().unwrap(), Arc::clone(&exchange.gateway)).unwrap());
    let watcher = custody.watcher("LTC", Some(0)).unwrap();
    watcher.pass().await.unwrap();
    for (i, amount) in [(0usize, "1.5"), (1, "0.5")] {
        let address = custody.address_for(u64::from(exchange.users[i].user.0), "LTC").await.unwrap().address;
        node.send(&address, amount).await.unwrap();
    }
    node.mine(3).await.unwrap();
    assert_eq!(watcher.pass().await.unwrap().credited, 2);

    let sweep = custody.propose_sweep("LTC", 1).await.unwrap();
    assert_eq!(sweep.status, "proposed");
    assert_eq!(sweep.send_units + sweep.fee_units, 200_000_000, "both deposits, less the network fee");
    assert!(matches!(custody.propose_sweep("LTC", 1).await, Err(WithdrawError::Conflict(_))), "nothing is proposed twice");
    let signed = sign_offline(&sweep.psbt, &deposit_key);
    let hex = bitcoin::consensus::encode::serialize_hex(&signed);
    assert!(matches!(custody.broadcast_sweep(sweep.id, &hex).await, Err(WithdrawError::Conflict(_))), "not before a second staff member approves");
    let store = exchange.gateway.store.as_ref().unwrap();
    assert!(!store.approve_custody_sweep(sweep.id, 1, 0).await.unwrap(), "the proposer cannot approve their own sweep");
    assert!(store.approve_custody_sweep(sweep.id, 2, 0).await.unwrap());

    // Another transaction (here: one output changed) is refused; the PSBT's own is sent.
    let mut tampered = signed.clone();
    tampered.output[0].value = bitcoin::Amount::from_sat(tampered.output[0].value.to_sat() - 1);
    let tampered_hex = bitcoin::consensus::encode::serialize_hex(&tampered);
    assert!(matches!(custody.broadcast_sweep(sweep.id, &tampered_hex).await, Err(WithdrawError::Conflict(_))));
    let sent = custody.broadcast_sweep(sweep.id, &hex).await.unwrap();
    assert_eq!(sent.status, "broadcast");
    node.mine(1).await.unwrap();
    let (_, hot) = custody.hot_signer(custody.network("LTC").unwrap()).await.unwrap();
    let hot_units: u64 = node.rpc().unspent(&hot).await.unwrap().iter().map(|u| u.units).sum();
    assert_eq!(hot_units, sweep.send_units, "the hot wallet received the sweep");
    exchange.stop().await;
}

/// The hot wallet above its high watermark sends the excess to cold once a second staff member
/// approves (talat signs it, recorded before broadcast; a repeat sends the same transaction);
/// a top-up from cold is a PSBT the offline cold key signs, sent only after approval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_excess_goes_to_cold_and_cold_tops_up_hot_through_a_psbt() {
    const LTC: u64 = 100_000_000;
    let dir = tempfile::tempdir().unwrap();
    let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
    let exchange = TestExchange::start(ApiConfig::default(), 1, SequencerConfig::default()).await;
    exchange.gateway.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.unwrap();
    let key = |byte: u8| {
        let master = Xpriv::new_master(bitcoin::NetworkKind::Main, &[byte; 32]).unwrap();
        let xpub = bitcoin::bip32::Xpub::from_priv(&Secp256k1::new(), &master).to_string();
        (master, xpub)
    };
    let (_, deposit_xpub) = key(1);
    let (cold_key, cold_xpub) = key(2);
    let mut network = NetworkConfig::litecoin(&node.rpc_url, RPC_USER, &node.rpc_password, &deposit_xpub, "rltc");
    (network.hot_low_units, network.hot_high_units, network.cold_addresses) = (2 * LTC, 10 * LTC, 5);
    let without_cold =
        Custody::new(&CustodyConfig { networks: vec![network.clone()] }, exchange.gateway.store.clone().unwrap(), Arc::clone(&exchange.gateway)).unwrap();
    assert!(matches!(without_cold.propose_to_cold("LTC", 1, None).await, Err(WithdrawError::Conflict(m)) if m.contains("no cold wallet")));
    network.cold_xpub = cold_xpub;
    let custody = Custody::new(&CustodyConfig { networks: vec![network] }, exchange.gateway.store.clone().unwrap(), Arc::clone(&exchange.gateway)).unwrap();
    let (_, hot) = custody.hot_signer(custody.network("LTC").unwrap()).await.unwrap();
    node.send(&hot, "20").await.unwrap();
    node.mine(1).await.unwrap();
    assert_eq!(custody.hot_balance("LTC").await.unwrap().units, 20 * LTC);
    assert_eq!(custody.cold_balance("LTC").await.unwrap().unwrap().units, 0);

    // Hot → cold: the excess above the watermarks' middle (20 − 6 = 14 LTC).
    assert!(matches!(custody.propose_to_cold("LTC", 1, Some(25 * LTC)).await, Err(WithdrawError::Conflict(_))), "more than the hot wallet has");
    let to_cold = custody.propose_to_cold("LTC", 1, None).await.unwrap();
    assert_eq!((to_cold.kind.as_str(), to_cold.status.as_str(), to_cold.send_units), ("to_cold", "proposed", 14 * LTC));
    assert!(matches!(custody.propose_to_cold("LTC", 1, None).await, Err(WithdrawError::Conflict(_))), "one open transfer to cold");
    assert!(matches!(custody.approve_transfer(to_cold.id, 1).await, Err(WithdrawError::Conflict(m)) if m.contains("proposed a transfer")));
    let sent = custody.approve_transfer(to_cold.id, 2).await.unwrap();
    assert_eq!(sent.status, "broadcast");
    let (txid, raw) = (sent.unsigned_txid.clone(), sent.raw_tx.clone().expect("recorded before broadcast"));
    let again = custody.approve_transfer(to_cold.id, 2).await.unwrap();
    assert_eq!((again.unsigned_txid.as_str(), again.raw_tx.as_deref()), (txid.as_str(), Some(raw.as_str())), "sent again only as recorded");
    node.mine(1).await.unwrap();
    let cold = custody.cold_balance("LTC").await.unwrap().unwrap();
    assert_eq!(cold.units, 14 * LTC, "paid once");
    assert_eq!(custody.hot_balance("LTC").await.unwrap().units, 6 * LTC - sent.fee_units);

    // Cold → hot: a PSBT for the offline cold key.
    assert!(matches!(custody.propose_top_up("LTC", 1, 15 * LTC).await, Err(WithdrawError::Conflict(m)) if m.contains("cold wallet")));
    let top_up = custody.propose_top_up("LTC", 1, 3 * LTC).await.unwrap();
    assert_eq!((top_up.kind.as_str(), top_up.destination.as_str(), top_up.send_units), ("top_up", hot.as_str(), 3 * LTC));
    let signed = sign_offline(&top_up.psbt, &cold_key);
    let hex = bitcoin::consensus::encode::serialize_hex(&signed);
    assert!(matches!(custody.broadcast_sweep(top_up.id, &hex).await, Err(WithdrawError::Conflict(_))), "not before a second approval");
    assert!(matches!(custody.broadcast_sweep(to_cold.id, &hex).await, Err(WithdrawError::Conflict(_))), "a transfer to cold takes no outside signature");
    assert_eq!(custody.approve_transfer(top_up.id, 2).await.unwrap().status, "approved", "approved, it waits for the signed transaction");
    assert_eq!(custody.broadcast_sweep(top_up.id, &hex).await.unwrap().status, "broadcast");
    node.mine(1).await.unwrap();
    assert_eq!(custody.hot_balance("LTC").await.unwrap().units, 9 * LTC - sent.fee_units);
    assert_eq!(custody.cold_balance("LTC").await.unwrap().unwrap().units, 11 * LTC - top_up.fee_units, "the change went back to cold");

    // Proof of reserves' assets side: hot and cold on chain, the hot address's signed message.
    let message = "talat proof of reserves: root 00ff, as of 2026-12-06";
    let reserves = custody.reserves(message).await.unwrap();
    let r = &reserves[0];
    assert_eq!((r.hot_units, r.cold_units, r.deposit_units), (9 * LTC - sent.fee_units, Some(11 * LTC - top_up.fee_units), 0));
    assert_eq!(r.total_units(), u128::from(20 * LTC - sent.fee_units - top_up.fee_units));
    assert!(talat_custody::reserves::verify_message(&r.hot_address, "rltc", &r.magic, message, &r.signature));
    // The hash is the one Litecoin Core signs: its verifymessage (legacy addresses only) accepts
    // the same signature with the header of the key's P2PKH address.
    let (signer, _) = custody.hot_signer(custody.network("LTC").unwrap()).await.unwrap();
    let public = bitcoin::secp256k1::PublicKey::from_secret_key(&Secp256k1::new(), signer.secret());
    let legacy_address = bitcoin::Address::p2pkh(bitcoin::CompressedPublicKey(public), bitcoin::Network::Regtest).to_string();
    use base64::Engine;
    let mut bytes = base64::engine::general_purpose::STANDARD.decode(&r.signature).unwrap();
    bytes[0] = bytes[0] - 39 + 31;
    let legacy_signature = base64::engine::general_purpose::STANDARD.encode(bytes);
    let verified: bool = node.rpc().call("verifymessage", serde_json::json!([legacy_address, legacy_signature, message])).await.unwrap();
    assert!(verified, "litecoind verifies the signed message");
    exchange.stop().await;
}
