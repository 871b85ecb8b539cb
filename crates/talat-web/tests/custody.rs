//! Crypto in and out through the web API over a real chain (a regtest litecoind on loopback,
//! scripts/custody-env): a customer's deposit address with its QR, a deposit confirming then
//! credited, the whitelist with its 2FA code and cooling-off, a withdrawal approved in the
//! console, sent, confirmed and settled, another rejected with its hold released; the console's
//! wallets, cases and rescan; each refusal readable and changing nothing.

mod common;

use common::{staff_browsers, Browser, Kit};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use talat_api::testkit::TestExchange;
use talat_core::{AssetSpec, Command};
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::{RegtestNode, RPC_USER};
use talat_custody::{Custody, CustodyConfig};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;
use talat_web::{Role, Web};

const TEST_XPUB: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";

struct Rig {
    kit: Kit,
    node: RegtestNode,
    custody: Arc<Custody>,
    _dir: tempfile::TempDir,
}

async fn start() -> Rig {
    start_with_cold("").await
}

/// With a cold wallet of the account xpub `cold_xpub` (none when empty).
async fn start_with_cold(cold_xpub: &str) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
    let network = NetworkConfig {
        cold_xpub: cold_xpub.into(),
        cold_addresses: 3,
        ..NetworkConfig::litecoin(&node.rpc_url, RPC_USER, &node.rpc_password, TEST_XPUB, "rltc")
    };
    let config = CustodyConfig { networks: vec![network] };
    let slot: Arc<Mutex<Option<Arc<Web>>>> = Arc::default();
    let put = Arc::clone(&slot);
    let ex = TestExchange::start_with(ApiConfig::default(), 0, SequencerConfig::default(), move |gateway| {
        let web = Web::new(gateway, common::relaxed()).expect("the test kit has a store");
        *put.lock().unwrap() = Some(Arc::clone(&web));
        talat_web::routes(web)
    })
    .await;
    let web = slot.lock().unwrap().take().expect("routes were built");
    ex.gateway.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.unwrap();
    let custody = Arc::new(Custody::new(&config, ex.gateway.store.clone().unwrap(), Arc::clone(&ex.gateway)).unwrap());
    web.custody.set(Arc::clone(&custody)).ok().unwrap();
    Rig { kit: Kit { ex, web }, node, custody, _dir: dir }
}

struct Customer {
    b: Browser,
    account_id: u64,
    user: talat_core::UserId,
    totp: totp_rs::TOTP,
}

async fn customer(kit: &Kit, email: &str) -> Customer {
    let (mut b, account) = common::signed_up(kit, email).await;
    let account_id = account["id"].as_u64().unwrap();
    let user = talat_core::UserId(account["user_id"].as_u64().unwrap() as u32);
    let (s, setup) = b.post("/web/api/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap();
    let mut c = Customer { b, account_id, user, totp };
    let code = c.fresh_code(kit).await;
    let (s, v) = c.b.post("/web/api/2fa/enable", json!({"code": code})).await;
    assert_eq!(s, 200, "{v}");
    c
}

impl Customer {
    /// Each code works once; the test forgets the last step used rather than wait 30 s.
    async fn fresh_code(&mut self, kit: &Kit) -> String {
        kit.web.store.execute_raw(&format!("UPDATE web_accounts SET totp_last_step = 0 WHERE id = {}", self.account_id)).await.unwrap();
        self.totp.generate_current().unwrap()
    }
}

fn ltc(kit: &Kit, user: talat_core::UserId) -> (u64, u64) {
    let (_, b) = kit.web.gateway.read.balances(user).into_iter().find(|(a, _)| a.code == "LTC").expect("LTC is listed");
    (b.available, b.held)
}

fn staff(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_whitelist_and_withdrawals_through_the_web_api() {
    let rig = start().await;
    let kit = &rig.kit;
    let mut c = customer(kit, "nok@example.com").await;
    let (s, v) = c.b.get("/web/api/crypto/networks").await;
    assert_eq!(s, 200, "{v}");
    let net = &v["networks"][0];
    assert_eq!((net["network"].as_str(), net["min_confirmations"].as_u64(), net["withdraw_fee"].as_str()), (Some("LTC"), Some(3), Some("0.001")), "{v}");
    assert!(net["address"].is_null());

    // The deposit address and its QR; the same one again.
    let (s, v) = c.b.post("/web/api/crypto/address", json!({"network": "LTC"})).await;
    assert_eq!(s, 200, "{v}");
    let address = v["address"].as_str().unwrap().to_string();
    assert!(v["qr_svg"].as_str().unwrap().contains("<svg"));
    let (_, again) = c.b.post("/web/api/crypto/address", json!({"network": "LTC"})).await;
    assert_eq!(again["address"], address.as_str());
    let (s, v) = c.b.post("/web/api/crypto/address", json!({"network": "DOGE"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("network")), "{v}");

    // A deposit: confirming 1 of 3, then credited.
    let watcher = rig.custody.watcher("LTC", Some(0)).unwrap();
    watcher.pass().await.unwrap();
    rig.node.send(&address, "0.5").await.unwrap();
    rig.node.mine(1).await.unwrap();
    watcher.pass().await.unwrap();
    let (_, v) = c.b.get("/web/api/crypto/deposits").await;
    let d = &v["deposits"][0];
    assert_eq!(
        (d["status"].as_str(), d["confirmations"].as_u64(), d["required_confirmations"].as_u64(), d["amount"].as_str()),
        (Some("confirming"), Some(1), Some(3), Some("0.5")),
        "{v}"
    );
    rig.node.mine(2).await.unwrap();
    watcher.pass().await.unwrap();
    let (_, v) = c.b.get("/web/api/crypto/deposits").await;
    assert_eq!(v["deposits"][0]["status"], "credited");
    assert_eq!(ltc(kit, c.user), (50_000_000, 0));

    // The whitelist: a bad code, a bad address, then a good entry still cooling off.
    let destination = rig.node.wallet_address().await.unwrap();
    let (s, v) = c.b.post("/web/api/crypto/whitelist", json!({"network": "LTC", "address": destination, "label": "my wallet", "totp": "000000"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("totp")), "{v}");
    let code = c.fresh_code(kit).await;
    let (s, v) = c.b.post("/web/api/crypto/whitelist", json!({"network": "LTC", "address": "ltc1qnotours", "totp": code})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("address")), "{v}");
    let code = c.fresh_code(kit).await;
    let (s, v) = c.b.post("/web/api/crypto/whitelist", json!({"network": "LTC", "address": destination, "label": "my wallet", "totp": code})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["entry"]["usable"].as_bool(), v["entry"]["label"].as_str()), (Some(false), Some("my wallet")));
    let code = c.fresh_code(kit).await;
    let (s, v) = c.b.post("/web/api/crypto/withdrawals", json!({"network": "LTC", "address": destination, "amount": "0.2", "totp": code})).await;
    assert_eq!((s, v["error"].as_str(), v["bitkub_code"].as_u64()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rejected"), Some(9)), "cooling off: {v}");
    assert_eq!(ltc(kit, c.user), (50_000_000, 0), "a refusal holds nothing");

    // Past the cooling-off: a withdrawal, approved in the console (no LTC_THB price: one approver).
    kit.web.store.execute_raw("UPDATE custody_whitelist SET added_ms = 0").await.unwrap();
    let code = c.fresh_code(kit).await;
    let (s, v) = c.b.post("/web/api/crypto/withdrawals", json!({"network": "LTC", "address": destination, "amount": "0.2", "totp": code})).await;
    assert_eq!(s, 200, "{v}");
    let id = v["withdrawal"]["id"].as_str().unwrap().to_string();
    assert_eq!((v["withdrawal"]["status"].as_str(), v["withdrawal"]["receives"].as_str()), (Some("awaiting_approval"), Some("0.199")), "{v}");
    assert_eq!(ltc(kit, c.user), (30_000_000, 20_000_000));

    let mut browsers = staff_browsers(kit).await;
    let (s, _) = staff(&mut browsers, Role::Support).get("/web/api/console/custody/withdrawals").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "support does not see withdrawals");
    let (s, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/withdrawals").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["withdrawals"][0]["id"].as_str(), v["withdrawals"][0]["user_email"].as_str()), (Some(id.as_str()), Some("nok@example.com")));
    let (s, v) = staff(&mut browsers, Role::Finance).post(&format!("/web/api/console/custody/withdrawals/{id}/approve"), json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("approved")), "{v}");
    // An empty hot wallet: the approved withdrawal waits, nothing is signed.
    rig.custody.process_withdrawals("LTC").await.unwrap();
    let (_, v) = c.b.get("/web/api/crypto/withdrawals").await;
    assert_eq!((v["withdrawals"][0]["status"].as_str(), v["withdrawals"][0]["txid"].as_str()), (Some("approved"), None), "{v}");
    let (_, hot) = rig.custody.hot_signer(rig.custody.network("LTC").unwrap()).await.unwrap();
    rig.node.send(&hot, "5").await.unwrap();
    rig.node.mine(1).await.unwrap();
    rig.custody.process_withdrawals("LTC").await.unwrap();
    rig.node.mine(3).await.unwrap();
    assert_eq!(rig.custody.process_withdrawals("LTC").await.unwrap(), 1);
    let (_, v) = c.b.get("/web/api/crypto/withdrawals").await;
    let w = &v["withdrawals"][0];
    assert_eq!((w["status"].as_str(), w["can_cancel"].as_bool()), (Some("completed"), Some(false)), "{v}");
    assert!(w["txid"].as_str().is_some());
    assert_eq!(rig.node.received(&destination, 1).await.unwrap(), 19_900_000);
    assert_eq!(ltc(kit, c.user), (30_000_000, 0));

    // Another, rejected by finance with a reason: the hold goes back.
    let code = c.fresh_code(kit).await;
    let (_, v) = c.b.post("/web/api/crypto/withdrawals", json!({"network": "LTC", "address": destination, "amount": "0.1", "totp": code})).await;
    let id2 = v["withdrawal"]["id"].as_str().unwrap().to_string();
    let (s, v) = staff(&mut browsers, Role::Finance).post(&format!("/web/api/console/custody/withdrawals/{id2}/reject"), json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a rejection needs a reason: {v}");
    let (s, v) = staff(&mut browsers, Role::Finance)
        .post(&format!("/web/api/console/custody/withdrawals/{id2}/reject"), json!({"reason": "destination under review"}))
        .await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("rejected")), "{v}");
    assert_eq!(ltc(kit, c.user), (30_000_000, 0));

    // A third, cancelled by the customer before anyone approved it.
    let code = c.fresh_code(kit).await;
    let (_, v) = c.b.post("/web/api/crypto/withdrawals", json!({"network": "LTC", "address": destination, "amount": "0.1", "totp": code})).await;
    let id3 = v["withdrawal"]["id"].as_str().unwrap().to_string();
    let (s, v) = c.b.post(&format!("/web/api/crypto/withdrawals/{id3}/cancel"), json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{v}");
    let mut other = customer(kit, "other@example.com").await;
    let (s, _) = other.b.post(&format!("/web/api/crypto/withdrawals/{id}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nobody else's withdrawal");
    let _ = other.fresh_code(kit).await;

    // The console: wallets (the watcher caught up with the node), no open case, a rescan that
    // finds nothing missing.
    watcher.pass().await.unwrap();
    let (s, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/wallets").await;
    assert_eq!(s, 200, "{v}");
    let wallet = &v["wallets"][0];
    assert_eq!(wallet["scanned_height"], wallet["node_height"], "{v}");
    assert_eq!((wallet["watermark"].as_str(), wallet["hot_low"].as_str()), (Some("low"), Some("5.0")), "under 5 LTC left after the 5 sent in: {v}");
    assert!(wallet["hot_address"].as_str().unwrap().starts_with("rltc1q"));
    let (_, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/cases").await;
    assert_eq!(v["cases"], json!([]));
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/rescan", json!({"network": "LTC", "from": 100})).await;
    assert_eq!((s, v["missing"].as_u64()), (StatusCode::OK, Some(0)), "{v}");
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/rescan", json!({"network": "LTC", "from": 1_000_000})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("from")), "{v}");
    let (s, _) = staff(&mut browsers, Role::Support).post("/web/api/console/custody/rescan", json!({"network": "LTC", "from": 100})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A sweep of the credited deposit: proposed by finance, its PSBT released only after a
    // second person (admin) approved it; anything but its own signed transaction is refused.
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/sweeps", json!({"network": "LTC"})).await;
    assert_eq!(s, 200, "{v}");
    let sweep = v["sweep"]["id"].as_u64().unwrap();
    assert_eq!((v["sweep"]["inputs"].as_u64(), v["sweep"]["psbt"].is_null()), (Some(1), true), "{v}");
    let (s, _) = staff(&mut browsers, Role::Finance).post(&format!("/web/api/console/custody/sweeps/{sweep}/approve"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "not by whoever proposed it");
    let (s, v) = staff(&mut browsers, Role::Admin).post(&format!("/web/api/console/custody/sweeps/{sweep}/approve"), json!({})).await;
    assert_eq!((s, v["sweep"]["status"].as_str()), (StatusCode::OK, Some("approved")), "{v}");
    assert!(v["sweep"]["psbt"].as_str().is_some_and(|p| p.starts_with("cHNidP8")), "a base64 PSBT: {v}");
    let (s, v) =
        staff(&mut browsers, Role::Finance).post(&format!("/web/api/console/custody/sweeps/{sweep}/broadcast"), json!({"transaction_hex": "00"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let _: &Value = &v;

    // Transfers between hot and cold: this network has no cold wallet, and amounts are checked.
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/transfers/to-cold", json!({"network": "LTC"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("no cold wallet")), "{v}");
    let (s, v) =
        staff(&mut browsers, Role::Finance).post("/web/api/console/custody/transfers/top-up", json!({"network": "LTC", "amount": "0.000000001"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("amount")), "{v}");
    let (s, _) = staff(&mut browsers, Role::Support).post("/web/api/console/custody/transfers/top-up", json!({"network": "LTC", "amount": "1"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "support moves no coins");
    let (_, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/wallets").await;
    assert_eq!((v["wallets"][0]["cold_configured"].as_bool(), v["wallets"][0]["cold_balance"].is_null()), (Some(false), true), "{v}");

    // An address a sanctions list names cannot be whitelisted (before any code is asked), and
    // the attempt opens a screening hit for compliance.
    let listed = rig.node.wallet_address().await.unwrap();
    let entry = talat_store::SanctionsEntryRow { entity_id: "9".into(), version: 1, entry: "{}".into(), addresses: vec![("LTC".into(), listed.clone())] };
    let list = talat_store::NewSanctionsList { name: "in-house".into(), format: "csv".into(), sha256: "x".into(), loaded_by: 1, loaded_ms: 1 };
    kit.web.store.load_sanctions_list(&list, &[entry]).await.unwrap();
    let (s, v) = c.b.post("/web/api/crypto/whitelist", json!({"network": "LTC", "address": listed, "totp": "000000"})).await;
    assert_eq!((s, v["bitkub_code"].as_u64()), (StatusCode::UNPROCESSABLE_ENTITY, Some(9)), "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("sanctions list")), "{v}");
    assert_eq!(kit.web.store.screening_hits_of_account(c.account_id, 10).await.unwrap().len(), 1);

    // Proof of reserves with custody served: each network's holdings on chain beside what
    // customers are owed of the asset, and the hot address's signature naming the report.
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/por/publish", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let report = &v["report"];
    let r = &report["reserves"][0];
    assert_eq!((r["network"].as_str(), r["asset"].as_str(), r["cold"].as_str()), (Some("LTC"), Some("LTC"), None), "{v}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains(&format!("report {}", report["id"])) && message.contains(report["root"]["hash_hex"].as_str().unwrap()), "{message}");
    assert!(talat_custody::reserves::verify_message(
        r["hot_address"].as_str().unwrap(),
        "rltc",
        r["magic"].as_str().unwrap(),
        message,
        r["signature"].as_str().unwrap()
    ));
    let owed = report["totals"].as_array().unwrap().iter().find(|t| t["asset"] == "LTC").unwrap()["amount"].clone();
    assert_eq!(r["liabilities"], owed, "{v}");
    let units = |v: &Value| talat_custody::chain::parse_units(v.as_str().unwrap(), 8).unwrap();
    assert_eq!(r["covered"].as_bool(), Some(units(&r["total"]) >= units(&owed)), "{r}");
    let (_, public) = c.b.get("/api/por/latest.json").await;
    assert_eq!(public["reserves"], report["reserves"], "the public report shows the same assets side");
    rig.kit.ex.stop().await;
}

/// Proof of reserves' cold side: a published report lists each cold address holding coins;
/// whoever holds the cold key signs the report's message offline (BIP-137), and the console
/// attaches it — verified first, so a wrong signature is a 400 that stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_address_proves_control_of_a_published_report_offline() {
    use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let cold_master = Xpriv::new_master(bitcoin::NetworkKind::Main, &[3; 32]).unwrap();
    let rig = start_with_cold(&Xpub::from_priv(&secp, &cold_master).to_string()).await;
    let kit = &rig.kit;
    let key_of = |index: u32| cold_master.derive_priv(&secp, &[ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index }]).unwrap().private_key;
    let book = talat_custody::keys::AddressBook::new(&Xpub::from_priv(&secp, &cold_master).to_string(), "rltc").unwrap();
    let (cold0, cold1) = (book.address(0).unwrap(), book.address(1).unwrap());
    rig.node.send(&cold0, "2.5").await.unwrap();
    rig.node.mine(1).await.unwrap();
    let _customer = customer(kit, "holder@example.com").await;
    let mut browsers = staff_browsers(kit).await;
    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/por/publish", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let id = v["report"]["id"].as_u64().unwrap();
    let r = &v["report"]["reserves"][0];
    assert_eq!((r["cold"].as_str(), r["scheme"].as_str()), (Some("2.5"), Some("bip137")), "{v}");
    assert_eq!(r["cold_addresses"], json!([{"address": cold0, "units": "250000000", "amount": "2.5", "proven": false}]), "{v}");
    let message = r["message"].as_str().unwrap().to_owned();
    let magic = talat_custody::reserves::message_magic("LTC");
    let route = format!("/web/api/console/por/reports/{id}/cold-proofs");

    // Refused, each with its reason, and nothing stored: another key's signature, another
    // message's, an address the report does not list, not base64 at all; support may not.
    let before = kit.web.store.por_report(id).await.unwrap().unwrap().reserves;
    let wrong_key = talat_custody::reserves::sign_message(&key_of(1), &magic, &message);
    let wrong_message = talat_custody::reserves::sign_message(&key_of(0), &magic, "another message");
    for (address, signature, field) in [
        (cold0.as_str(), wrong_key.as_str(), "signature"),
        (cold0.as_str(), wrong_message.as_str(), "signature"),
        (cold0.as_str(), "%%%", "signature"),
        (cold1.as_str(), wrong_key.as_str(), "address"),
    ] {
        let (s, v) = staff(&mut browsers, Role::Finance).post(&route, json!({"network": "LTC", "address": address, "signature": signature})).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{v}");
        assert!(v["message"].as_str().is_some_and(|m| m.len() > 20), "a readable reason: {v}");
    }
    let good = talat_custody::reserves::sign_message(&key_of(0), &magic, &message);
    let (s, _) = staff(&mut browsers, Role::Support).post(&route, json!({"network": "LTC", "address": cold0, "signature": good})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(kit.web.store.por_report(id).await.unwrap().unwrap().reserves, before, "nothing stored");

    // The cold key's own signature is kept and shown as proven, to the public too.
    let (s, v) = staff(&mut browsers, Role::Finance).post(&route, json!({"network": "LTC", "address": cold0.to_ascii_uppercase(), "signature": good})).await;
    assert_eq!(s, 200, "{v}");
    let proven = &v["report"]["reserves"][0]["cold_addresses"][0];
    assert_eq!(
        (proven["proven"].as_bool(), proven["signature"].as_str(), proven["address"].as_str()),
        (Some(true), Some(good.as_str()), Some(cold0.as_str())),
        "{v}"
    );
    assert!(talat_custody::reserves::verify_message(&cold0, "rltc", &magic, &message, &good));
    let (_, public) = Browser::new(kit).get("/api/por/latest.json").await;
    assert_eq!(public["reserves"][0]["cold_addresses"][0]["proven"].as_bool(), Some(true), "{public}");
    rig.kit.ex.stop().await;
}

/// An Ethereum network through the console, on a real anvil node: the wallets page shows the
/// cold wallet beside the hot one; the hot excess goes to cold under four eyes; a top-up from
/// cold is an unsigned transaction released on approval, and only the cold key's own signature
/// of exactly it is broadcast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereum_hot_and_cold_through_the_console() {
    use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
    use talat_custody::evm::signer::{sign_transaction, LocalEvmSigner};
    use talat_custody::evm::tx::{bytes_of_hex, decode_unsigned, Eip1559Tx};
    const ETH_WEI: u128 = 1_000_000_000_000_000_000;
    let node = talat_custody::evm::anvil::AnvilNode::start().await.expect("anvil starts (scripts/custody-env installs it)");
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let cold_master = Xpriv::new_master(bitcoin::NetworkKind::Main, &[4; 32]).unwrap();
    let network = NetworkConfig {
        cold_xpub: Xpub::from_priv(&secp, &cold_master).to_string(),
        cold_addresses: 2,
        hot_low_units: 2 * 100_000_000,
        hot_high_units: 10 * 100_000_000,
        ..NetworkConfig::ethereum(&node.rpc_url, TEST_XPUB, talat_custody::evm::anvil::CHAIN_ID)
    };
    let kit = common::start(common::relaxed()).await;
    let custody =
        Arc::new(Custody::new(&CustodyConfig { networks: vec![network] }, kit.ex.gateway.store.clone().unwrap(), Arc::clone(&kit.ex.gateway)).unwrap());
    kit.web.custody.set(Arc::clone(&custody)).ok().unwrap();
    let (_, hot) = custody.evm_hot_signer(custody.network("ETH").unwrap()).await.unwrap();
    node.send_eth(0, &hot, 20 * ETH_WEI).await.unwrap();
    node.mine(1).await.unwrap();
    let mut browsers = staff_browsers(&kit).await;
    let (_, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/wallets").await;
    let w = &v["wallets"][0];
    assert_eq!(
        (w["hot_balance"].as_str(), w["watermark"].as_str(), w["cold_configured"].as_bool(), w["cold_balance"].as_str()),
        (Some("20.0"), Some("high"), Some(true), Some("0.0")),
        "{v}"
    );

    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/transfers/to-cold", json!({"network": "ETH"})).await;
    assert_eq!((s, v["sweep"]["kind"].as_str(), v["sweep"]["send"].as_str()), (StatusCode::OK, Some("to_cold"), Some("14.0")), "{v}");
    let id = v["sweep"]["id"].as_u64().unwrap();
    let (s, _) = staff(&mut browsers, Role::Finance).post(&format!("/web/api/console/custody/sweeps/{id}/approve"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "not by the proposer");
    let (s, v) = staff(&mut browsers, Role::Admin).post(&format!("/web/api/console/custody/sweeps/{id}/approve"), json!({})).await;
    assert_eq!((s, v["sweep"]["status"].as_str()), (StatusCode::OK, Some("broadcast")), "{v}");
    node.mine(1).await.unwrap();
    let (_, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/wallets").await;
    assert_eq!(v["wallets"][0]["cold_balance"].as_str(), Some("14.0"), "{v}");

    let (s, v) = staff(&mut browsers, Role::Finance).post("/web/api/console/custody/transfers/top-up", json!({"network": "ETH", "amount": "3"})).await;
    assert_eq!((s, v["sweep"]["psbt"].is_null()), (StatusCode::OK, true), "released only on approval: {v}");
    let id = v["sweep"]["id"].as_u64().unwrap();
    let from = v["sweep"]["from"].as_str().unwrap().to_owned();
    let (_, v) = staff(&mut browsers, Role::Admin).post(&format!("/web/api/console/custody/sweeps/{id}/approve"), json!({})).await;
    let prepared = decode_unsigned(&bytes_of_hex(v["sweep"]["psbt"].as_str().unwrap()).unwrap()).unwrap();
    let key = cold_master.derive_priv(&secp, &[ChildNumber::Normal { index: 0 }, ChildNumber::Normal { index: 0 }]).unwrap().private_key;
    let cold_key = LocalEvmSigner::from_hex(&hex::encode(key.secret_bytes())).unwrap();
    let more = sign_transaction(&cold_key, &Eip1559Tx { value_wei: prepared.value_wei * 2, ..prepared.clone() }).unwrap();
    let route = format!("/web/api/console/custody/sweeps/{id}/broadcast");
    let (s, v) = staff(&mut browsers, Role::Finance).post(&route, json!({"transaction_hex": more.raw_hex()})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("value")), "names what differs: {v}");
    assert!(!node.rpc().knows(&more.txid_hex()).await.unwrap());
    let good = sign_transaction(&cold_key, &prepared).unwrap();
    let (s, v) = staff(&mut browsers, Role::Finance).post(&route, json!({"transaction_hex": good.raw_hex()})).await;
    assert_eq!(
        (s, v["sweep"]["status"].as_str(), from.as_str()),
        (StatusCode::OK, Some("broadcast"), talat_custody::evm::address::to_lower_hex(&talat_custody::evm::signer::EvmSigner::address(&cold_key)).as_str()),
        "{v}"
    );
    node.mine(1).await.unwrap();
    let (_, v) = staff(&mut browsers, Role::Finance).get("/web/api/console/custody/wallets").await;
    assert!(v["wallets"][0]["hot_balance"].as_str().is_some_and(|b| b.starts_with("8.99")), "6 ETH less gas, plus 3: {v}");
    kit.ex.stop().await;
}
