//! Sweeps on a real chain (a regtest litecoind on loopback, scripts/custody-env): credited
//! deposits of two customers gathered into one PSBT for the offline holder of the deposit key
//! (here the test, which made that key), signed outside talat, approved by a second staff
//! member, broadcast only if it is the PSBT's own transaction, and paid to the hot wallet.

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
