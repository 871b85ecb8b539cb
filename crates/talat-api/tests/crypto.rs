//! The v4 crypto endpoints over a real chain: a regtest litecoind on loopback (scripts/
//! custody-env), the custody service's watcher, and signed requests as Bitkub's clients send
//! them. Addresses, coins and deposits, and each refusal with its v4 code.

use serde_json::{json, Value};
use std::sync::Arc;
use talat_api::testkit::TestExchange;
use talat_core::{AssetSpec, Command};
use talat_custody::network::NetworkConfig;
use talat_custody::regtest::{RegtestNode, RPC_USER};
use talat_custody::{Custody, CustodyConfig};
use talat_gateway::auth::Perms;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

/// BIP-32 test vector 1's master public key (public, fine for a test chain).
const TEST_XPUB: &str = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
/// A made-up ERC-20 contract address.
const TOKEN: &str = "0x00000000000000000000000000000000000070c3";

struct Client {
    url: String,
    http: reqwest::Client,
    gateway: talat_gateway::gateway::AppState,
}

impl Client {
    /// A signed request with `key`; GET parameters go in the query, POST ones in the body.
    async fn call(&self, key: &(String, String), method: &str, path: &str, params: Value) -> (u16, Value) {
        // Each signed request works once: the timestamps must differ.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        let ts = self.gateway.now_ms().to_string();
        let (target, body) = if method == "GET" {
            let query: Vec<String> =
                params.as_object().unwrap().iter().map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect();
            (if query.is_empty() { path.to_string() } else { format!("{path}?{}", query.join("&")) }, String::new())
        } else {
            (path.to_string(), params.to_string())
        };
        let sig = talat_gateway::auth::sign::sign(key.1.as_bytes(), &ts, method, &target, body.as_bytes());
        let request = if method == "GET" { self.http.get(format!("{}{target}", self.url)) } else { self.http.post(format!("{}{target}", self.url)).body(body) };
        let response = request
            .header("X-BTK-APIKEY", &key.0)
            .header("X-BTK-TIMESTAMP", ts)
            .header("X-BTK-SIGN", sig)
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_coins_and_deposits_over_the_v4_api() {
    let dir = tempfile::tempdir().unwrap();
    let node = RegtestNode::start(dir.path()).await.expect("litecoind starts (scripts/custody-env installs it)");
    let network = NetworkConfig::litecoin(&node.rpc_url, RPC_USER, &node.rpc_password, TEST_XPUB, "rltc");
    // Ethereum networks listed beside it (their node is not asked for addresses or coins).
    let eth = NetworkConfig::ethereum("http://127.0.0.1:9", TEST_XPUB, 1);
    let ttt = NetworkConfig::erc20("http://127.0.0.1:9", TEST_XPUB, 1, "TTT", TOKEN, 18);
    let config = CustodyConfig { networks: vec![network, eth, ttt] };
    let custody_slot: Arc<std::sync::OnceLock<Arc<Custody>>> = Arc::default();
    let slot = Arc::clone(&custody_slot);
    let ex = TestExchange::start_with(ApiConfig::default(), 2, SequencerConfig::default(), move |gateway| {
        let store = gateway.store.clone().unwrap();
        let custody = Arc::new(Custody::new(&config, store, gateway).unwrap());
        slot.set(Arc::clone(&custody)).ok().unwrap();
        talat_api::routes::crypto::routes(Some(custody))
    })
    .await;
    let custody = Arc::clone(custody_slot.get().unwrap());
    ex.gateway.execute(Command::ListAsset(AssetSpec { code: "LTC".into(), scale: 8 })).await.unwrap();
    let c = Client { url: ex.url.clone(), http: reqwest::Client::new(), gateway: Arc::clone(&ex.gateway) };
    let key = (ex.users[0].key.clone(), ex.users[0].secret.clone());

    // An address is derived on first use and returned again after.
    let (status, body) = c.call(&key, "POST", "/api/v4/crypto/addresses", json!({"symbol": "ltc", "network": "LTC"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], "0");
    let address = body["data"][0]["address"].as_str().unwrap().to_string();
    assert!(address.starts_with("rltc1q") && body["data"][0]["symbol"] == "LTC", "{body}");
    let (_, again) = c.call(&key, "POST", "/api/v4/crypto/addresses", json!({"symbol": "LTC", "network": "LTC"})).await;
    assert_eq!(again["data"][0]["address"], address.as_str());
    let (_, listed) = c.call(&key, "GET", "/api/v4/crypto/addresses", json!({"symbol": "LTC"})).await;
    assert_eq!((listed["data"]["total_item"].as_u64(), listed["data"]["items"][0]["address"].as_str()), (Some(1), Some(address.as_str())), "{listed}");
    assert!(listed["data"]["items"][0]["created_at"].as_str().unwrap().ends_with('Z'));

    // The coins list: one network, its minimum confirmations, fee and minimum.
    let (_, coins) = c.call(&key, "GET", "/api/v4/crypto/coins", json!({})).await;
    let ltc = &coins["data"]["items"][0];
    assert_eq!((ltc["symbol"].as_str(), ltc["deposit_enable"].as_bool(), ltc["withdraw_enable"].as_bool()), (Some("LTC"), Some(true), Some(true)), "{coins}");
    let net = &ltc["networks"][0];
    assert_eq!((net["network"].as_str(), net["min_confirm"].as_u64(), net["decimal"].as_u64()), (Some("LTC"), Some(3), Some(8)));
    assert_eq!((net["withdraw_fee"].as_str(), net["withdraw_min"].as_str(), net["withdraw_enable"].as_bool()), (Some("0.001"), Some("0.001"), Some(true)));
    assert_eq!(net["address_regex"], "^rltc1[02-9ac-hj-np-z]{38,58}$");

    // A deposit: pending with its confirmations, then complete and credited.
    let watcher = custody.watcher("LTC", Some(0)).unwrap();
    watcher.pass().await.unwrap();
    let txid = node.send(&address, "1.25").await.unwrap();
    node.mine(1).await.unwrap();
    watcher.pass().await.unwrap();
    let (_, deposits) = c.call(&key, "GET", "/api/v4/crypto/deposits", json!({})).await;
    let d = &deposits["data"]["items"][0];
    assert_eq!(
        (d["hash"].as_str(), d["amount"].as_str(), d["confirmations"].as_u64(), d["status"].as_str()),
        (Some(txid.as_str()), Some("1.25"), Some(1), Some("pending")),
        "{deposits}"
    );
    assert_eq!(d["to_address"], address.as_str());
    assert!(d["completed_at"].is_null());
    node.mine(2).await.unwrap();
    watcher.pass().await.unwrap();
    let (_, deposits) = c.call(&key, "GET", "/api/v4/crypto/deposits", json!({"status": "complete"})).await;
    let d = &deposits["data"]["items"][0];
    assert_eq!((d["status"].as_str(), d["confirmations"].as_u64()), (Some("complete"), Some(3)), "{deposits}");
    assert!(d["completed_at"].as_str().is_some());
    let (_, balances) = c.call(&key, "POST", "/api/v3/market/balances", json!({})).await;
    assert_eq!(balances["result"]["LTC"]["available"].to_string(), "1.25", "{balances}");
    let other = (ex.users[1].key.clone(), ex.users[1].secret.clone());
    let (_, none) = c.call(&other, "GET", "/api/v4/crypto/deposits", json!({})).await;
    assert_eq!(none["data"]["total_item"], 0, "another customer sees none of it");

    // Refusals, each with its v4 code, and nothing changed.
    for (params, status, code) in [
        (json!({"network": "LTC"}), 400, "B1007-CW"),
        (json!({"symbol": "DOGE", "network": "DOGE"}), 404, "V1007-CW"),
        (json!({"symbol": "LTC", "network": "BSC"}), 400, "B1001-CW"),
        (json!({"symbol": "LTC"}), 400, "V1006-CW"),
    ] {
        let (s, body) = c.call(&other, "POST", "/api/v4/crypto/addresses", params.clone()).await;
        assert_eq!((s, body["code"].as_str()), (status, Some(code)), "{params}: {body}");
    }
    let (_, none) = c.call(&other, "GET", "/api/v4/crypto/addresses", json!({})).await;
    assert_eq!(none["data"]["total_item"], 0, "a refused request derived no address");
    let (s, body) = c.call(&key, "GET", "/api/v4/crypto/deposits", json!({"status": "lost"})).await;
    assert_eq!((s, body["code"].as_str()), (400, Some("V1006-CW")), "{body}");
    let (s, body) = c.call(&key, "GET", "/api/v4/crypto/coins", json!({"symbol": "DOGE"})).await;
    assert_eq!((s, body["code"].as_str()), (404, Some("V1015-CW")), "{body}");
    let trade_only = talat_gateway::setup::create_key(&ex.gateway, ex.users[1].user, Perms::TRADE, Vec::new()).await.unwrap();
    let (s, body) = c.call(&trade_only, "POST", "/api/v4/crypto/addresses", json!({"symbol": "LTC", "network": "LTC"})).await;
    assert_eq!((s, body["code"].as_str()), (403, Some("A1001-CW")), "a key without deposit permission: {body}");

    // A withdrawal: from the hot wallet (funded by the faucet) to a whitelisted address of the
    // customer's own wallet, approved by staff (no LTC_THB market prices it), sent, settled.
    let (_, hot) = custody.hot_signer(custody.network("LTC").unwrap()).await.unwrap();
    node.send(&hot, "10").await.unwrap();
    node.mine(1).await.unwrap();
    let destination = node.wallet_address().await.unwrap();
    let store = ex.gateway.store.clone().unwrap();
    let entry = talat_store::WhitelistRow {
        user_id: u64::from(ex.users[0].user.0),
        network: "LTC".into(),
        address: destination.clone(),
        label: "mine".into(),
        added_ms: 0,
    };
    store.add_custody_whitelist(&entry).await.unwrap();
    let unlisted = node.wallet_address().await.unwrap();
    for (params, status, code) in [
        (json!({"symbol": "LTC", "network": "LTC", "address": unlisted, "amount": "1"}), 400, "B1014-CW"),
        (json!({"symbol": "LTC", "network": "LTC", "address": destination, "amount": "1.000000001"}), 400, "V1006-CW"),
        (json!({"symbol": "LTC", "network": "LTC", "address": destination, "amount": "1", "memo": "x"}), 400, "V1006-CW"),
        (json!({"symbol": "LTC", "network": "LTC", "address": destination, "amount": "99"}), 400, "B1003-CW"),
        (json!({"symbol": "LTC", "network": "LTC", "amount": "1"}), 400, "V1006-CW"),
    ] {
        let (s, body) = c.call(&key, "POST", "/api/v4/crypto/withdraws", params.clone()).await;
        assert_eq!((s, body["code"].as_str()), (status, Some(code)), "{params}: {body}");
    }
    let (s, body) =
        c.call(&trade_only, "POST", "/api/v4/crypto/withdraws", json!({"symbol": "LTC", "network": "LTC", "address": destination, "amount": "1"})).await;
    assert_eq!((s, body["code"].as_str()), (403, Some("A1001-CW")), "{body}");
    let (_, none) = c.call(&key, "GET", "/api/v4/crypto/withdraws", json!({})).await;
    assert_eq!(none["data"]["total_item"], 0, "no refused request left a withdrawal");

    let (s, body) = c.call(&key, "POST", "/api/v4/crypto/withdraws", json!({"symbol": "LTC", "network": "LTC", "address": destination, "amount": "1"})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!((body["data"]["amount"].as_str(), body["data"]["fee"].as_str()), (Some("0.999"), Some("0.001")), "{body}");
    let id = body["data"]["txn_id"].as_str().unwrap().to_string();
    let (_, listed) = c.call(&key, "GET", "/api/v4/crypto/withdraws", json!({})).await;
    assert_eq!(
        (listed["data"]["items"][0]["txn_id"].as_str(), listed["data"]["items"][0]["status"].as_str()),
        (Some(id.as_str()), Some("pending")),
        "{listed}"
    );
    custody.approve_withdrawal(&id, 9, "ops@talat.local").await.unwrap();
    custody.process_withdrawals("LTC").await.unwrap();
    node.mine(3).await.unwrap();
    custody.process_withdrawals("LTC").await.unwrap();
    let (_, listed) = c.call(&key, "GET", "/api/v4/crypto/withdraws", json!({"status": "complete"})).await;
    let w = &listed["data"]["items"][0];
    assert_eq!((w["status"].as_str(), w["address"].as_str()), (Some("complete"), Some(destination.as_str())), "{listed}");
    assert!(w["hash"].as_str().is_some_and(|h| h.len() == 64));
    assert_eq!(node.received(&destination, 1).await.unwrap(), 99_900_000);
    let (_, balances) = c.call(&key, "POST", "/api/v3/market/balances", json!({})).await;
    assert_eq!(balances["result"]["LTC"]["available"].to_string(), "0.25", "{balances}");

    // The retired v3 crypto endpoints SDKs still call answer from the same records.
    let (_, generated) = c.call(&key, "POST", "/api/v3/crypto/generate-address", json!({"sym": "LTC"})).await;
    assert_eq!(generated["result"][0]["address"], address.as_str(), "{generated}");
    let (_, v3_addresses) = c.call(&key, "POST", "/api/v3/crypto/addresses", json!({})).await;
    assert_eq!((v3_addresses["result"][0]["currency"].as_str(), v3_addresses["pagination"]["last"].as_u64()), (Some("LTC"), Some(1)), "{v3_addresses}");
    let (_, v3_deposits) = c.call(&key, "POST", "/api/v3/crypto/deposit-history", json!({})).await;
    assert_eq!(
        (v3_deposits["result"][0]["hash"].as_str(), v3_deposits["result"][0]["status"].as_str()),
        (Some(txid.as_str()), Some("complete")),
        "{v3_deposits}"
    );
    let (_, v3_withdrawals) = c.call(&key, "POST", "/api/v3/crypto/withdraw-history", json!({})).await;
    assert_eq!(
        (v3_withdrawals["result"][0]["txn_id"].as_str(), v3_withdrawals["result"][0]["status"].as_str()),
        (Some(id.as_str()), Some("complete")),
        "{v3_withdrawals}"
    );
    let (_, refused) = c.call(&key, "POST", "/api/v3/crypto/withdraw", json!({"cur": "LTC", "amt": "0.1", "adr": unlisted, "net": "LTC"})).await;
    assert_eq!(refused["error"], 42, "not on the whitelist: {refused}");

    // Ethereum: one checksummed address for ETH and the token on its chain; the coins list
    // shows the token's contract, the chain's decimals and the engine's places.
    let (_, eth) = c.call(&key, "POST", "/api/v4/crypto/addresses", json!({"symbol": "ETH", "network": "ETH"})).await;
    let eth_address = eth["data"][0]["address"].as_str().unwrap().to_string();
    let parsed = talat_custody::evm::address::parse_hex(&eth_address).expect("0x and 40 hex digits");
    assert_eq!(eth_address, talat_custody::evm::address::to_checksum(&parsed), "EIP-55: {eth}");
    let (_, ttt) = c.call(&key, "POST", "/api/v4/crypto/addresses", json!({"symbol": "TTT", "network": "TTT-ERC20"})).await;
    assert_eq!(ttt["data"][0]["address"], eth_address.as_str(), "{ttt}");
    let (_, listed) = c.call(&key, "GET", "/api/v4/crypto/addresses", json!({"symbol": "TTT"})).await;
    assert_eq!(listed["data"]["items"][0]["address"], eth_address.as_str(), "{listed}");
    let (_, coins) = c.call(&key, "GET", "/api/v4/crypto/coins", json!({"symbol": "TTT"})).await;
    let net = &coins["data"]["items"][0]["networks"][0];
    assert_eq!(
        (net["network"].as_str(), net["contract_address"].as_str(), net["decimal"].as_u64(), net["withdraw_decimal_places"].as_u64()),
        (Some("TTT-ERC20"), Some(TOKEN), Some(18), Some(8)),
        "{coins}"
    );
    assert_eq!(
        (net["address_regex"].as_str(), net["withdraw_min"].as_str(), net["min_confirm"].as_u64()),
        (Some("^0x[0-9a-fA-F]{40}$"), Some("0.01"), Some(12))
    );
    ex.stop().await;
}
