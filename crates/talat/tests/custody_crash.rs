//! A crypto withdrawal survives the real `talat serve` dying at the two moments that matter and
//! is paid exactly once, on the demo's own regtest chain (Debian's litecoind, scripts/
//! custody-env): the process aborts (`TALAT_CRASH_AT`, as a SIGKILL landing exactly there) right
//! after the signed transaction was recorded and before it was broadcast, and, for a second
//! withdrawal, right after the broadcast and before the settle. Each restart sends the recorded
//! bytes (the same txid, never a second signature), settles once, and the hot wallet is down by
//! exactly what was paid plus the network fee.

mod support;

use reqwest::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::Served;

const CRASH_TIMEOUT: Duration = Duration::from_secs(60);
const CHAIN_TIMEOUT: Duration = Duration::from_secs(90);

fn client() -> Client {
    Client::builder().cookie_store(true).timeout(Duration::from_secs(30)).build().unwrap()
}

struct Session {
    http: Client,
    csrf: Option<String>,
}

impl Session {
    fn new() -> Session {
        Session { http: client(), csrf: None }
    }

    async fn staff(base: &str, banner: &Value, role: &str) -> Session {
        let email = format!("{role}@talat.local");
        let password = banner["demo_staff"][&email].as_str().unwrap_or_else(|| panic!("no demo password for {email}: {banner}"));
        let mut s = Session::new();
        s.call(base, "POST", "/web/api/console/login", json!({"email": email, "password": password}), 200).await;
        s
    }

    async fn call(&mut self, base: &str, method: &str, path: &str, body: Value, expect: u16) -> Value {
        let mut req = self.http.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(token) = self.csrf.as_deref() {
            req = req.header("X-CSRF-Token", token);
        }
        if method != "GET" {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, expect, "{method} {path}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(token) = v.get("csrf").and_then(Value::as_str) {
            self.csrf = Some(token.to_string());
        }
        v
    }
}

/// `check()` until it gives something, at most `timeout`.
async fn until<T, F: std::future::Future<Output = Option<T>>>(what: &str, timeout: Duration, mut check: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Units of an 8-decimal amount string.
fn units(s: &str) -> u64 {
    talat_custody::chain::parse_units(s, 8).unwrap_or_else(|| panic!("not an amount: {s}"))
}

fn ltc(balances: &Value) -> (u64, u64) {
    let b = balances["assets"].as_array().unwrap().iter().find(|b| b["asset"] == "LTC").unwrap_or_else(|| panic!("{balances}"));
    (units(b["available"].as_str().unwrap()), units(b["held"].as_str().unwrap()))
}

async fn hot_balance(finance: &mut Session, base: &str) -> Option<u64> {
    let w = finance.call(base, "GET", "/web/api/console/custody/wallets", Value::Null, 200).await;
    w["wallets"][0]["hot_balance"].as_str().map(units)
}

async fn withdrawal(customer: &mut Session, base: &str, id: &str) -> Value {
    let list = customer.call(base, "GET", "/web/api/crypto/withdrawals", Value::Null, 200).await;
    list["withdrawals"].as_array().unwrap().iter().find(|w| w["id"] == id).cloned().unwrap_or_else(|| panic!("no withdrawal {id}: {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crypto_withdrawal_is_paid_once_across_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("talat.toml");
    std::fs::write(&config, "[demo]\nchain_block_ms = 500\n\n[onboarding]\nrequire_kyc = false\n").unwrap();
    let args = ["--load-users", "0", "--no-bot", "--config", config.to_str().unwrap()];
    let mut server = Served::start_with_env(&args, &[("TALAT_CRASH_AT", "custody-signed")]);
    let banner = server.banner.clone();
    assert!(banner["notes"].to_string().contains("LTC on a local regtest litecoind"), "the demo chain runs (scripts/custody-env): {banner}");
    let mut base = server.base_url();

    // A customer with 2FA, LTC from the faucet, and a whitelisted destination past its cooling-off
    // (written to the store: the whitelist's own path is the web API tests' subject).
    let mut customer = Session::new();
    let v = customer.call(&base, "POST", "/web/api/signup", json!({"email": "chain@example.com", "password": "a good password"}), 200).await;
    let (account_id, user_id) = (v["account"]["id"].as_u64().unwrap(), v["account"]["user_id"].as_u64().unwrap());
    let setup = customer.call(&base, "POST", "/web/api/2fa/setup", json!({}), 200).await;
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap();
    customer.call(&base, "POST", "/web/api/2fa/enable", json!({"code": totp.generate_current().unwrap()}), 200).await;
    let mut finance = Session::staff(&base, &banner, "finance").await;
    finance.call(&base, "POST", "/web/api/console/custody/faucet", json!({"user_email": "chain@example.com", "amount": "3"}), 200).await;
    until("the faucet's deposit credited", CHAIN_TIMEOUT, || {
        let (http, csrf, base) = (customer.http.clone(), customer.csrf.clone(), base.clone());
        async move {
            let mut s = Session { http, csrf };
            let d = s.call(&base, "GET", "/web/api/crypto/deposits", Value::Null, 200).await;
            (d["deposits"][0]["status"] == "credited").then_some(())
        }
    })
    .await;
    let store = talat_store::Store::connect(&format!("sqlite://{}", server.data.join("store.db").display())).await.unwrap();
    let destination = talat_custody::keys::AddressBook::new(
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
        "rltc",
    )
    .unwrap()
    .address(0)
    .unwrap();
    store
        .execute_raw(&format!(
            "INSERT INTO custody_whitelist (user_id, network, address, label, added_ms) VALUES ({user_id}, 'LTC', '{destination}', 'cold', 0)"
        ))
        .await
        .unwrap();
    let hot_before = until("the demo's hot wallet filled", CHAIN_TIMEOUT, || {
        let (http, csrf, base) = (finance.http.clone(), finance.csrf.clone(), base.clone());
        async move { hot_balance(&mut Session { http, csrf }, &base).await.filter(|b| *b > 0) }
    })
    .await;
    let before = ltc(&customer.call(&base, "GET", "/web/api/balances", Value::Null, 200).await);

    // Withdrawal 1 (1 LTC) dies after its signed transaction was recorded, before the broadcast;
    // withdrawal 2 (0.5 LTC) after the broadcast, before the settle.
    let mut paid = 0u64;
    let mut hot_expected = hot_before;
    for (amount, crash_at) in [("1", "custody-signed"), ("0.5", "custody-broadcast")] {
        if crash_at != "custody-signed" {
            // A server that will die at this point (the last one recovered without any).
            server.interrupt().unwrap_or_else(|e| panic!("stopping talat serve: {e}\n{}", server.log_tail()));
            server.restart_with_env(&args, &[("TALAT_CRASH_AT", crash_at)]);
            base = server.base_url();
        }
        store.execute_raw(&format!("UPDATE web_accounts SET totp_last_step = 0 WHERE id = {account_id}")).await.unwrap();
        let code = totp.generate_current().unwrap();
        let w = customer
            .call(&base, "POST", "/web/api/crypto/withdrawals", json!({"network": "LTC", "address": destination, "amount": amount, "totp": code}), 200)
            .await;
        let id = w["withdrawal"]["id"].as_str().unwrap().to_string();
        finance.call(&base, "POST", &format!("/web/api/console/custody/withdrawals/{id}/approve"), json!({}), 200).await;
        let status = server.wait_exit(CRASH_TIMEOUT).unwrap_or_else(|e| panic!("the crash point {crash_at} was not reached: {e}\n{}", server.log_tail()));
        assert!(!status.success(), "aborted at {crash_at}: {status}");
        let rows = store.custody_withdrawals_of(user_id, 10).await.unwrap();
        let row = rows.iter().find(|r| r.id == id).unwrap();
        let expected_status = if crash_at == "custody-signed" { "signed" } else { "broadcast" };
        assert_eq!(row.status, expected_status, "{row:?}");
        let txid = row.txid.clone().expect("recorded before the crash");

        // The restart finishes it.
        server.restart(&args);
        // Sessions live in the store: the customer's and finance's survive the restart.
        base = server.base_url();
        let done = until("the withdrawal completed after the restart", CHAIN_TIMEOUT, || {
            let (http, csrf, base, id) = (customer.http.clone(), customer.csrf.clone(), base.clone(), id.clone());
            async move {
                let w = withdrawal(&mut Session { http, csrf }, &base, &id).await;
                (w["status"] == "completed").then_some(w)
            }
        })
        .await;
        assert_eq!(done["txid"].as_str(), Some(txid.as_str()), "the recorded transaction was sent, not a new one");
        let fee = units(done["network_fee"].as_str().unwrap());
        paid += units(amount);
        hot_expected -= units(amount) - 100_000 + fee;
        let hot = until("the hot wallet's balance after the payment", CHAIN_TIMEOUT, || {
            let (http, csrf, base) = (finance.http.clone(), finance.csrf.clone(), base.clone());
            async move { hot_balance(&mut Session { http, csrf }, &base).await.filter(|b| *b == hot_expected) }
        })
        .await;
        assert_eq!(hot, hot_expected, "paid exactly once");
        let now = ltc(&customer.call(&base, "GET", "/web/api/balances", Value::Null, 200).await);
        assert_eq!(now, (before.0 - paid, 0), "settled once, nothing left held");
    }

    // `talat custody rescan` through the console API: the faucet's deposit is known, nothing
    // is missing; a range beyond what the watcher scanned is refused with its reason.
    let password = banner["demo_staff"]["finance@talat.local"].as_str().unwrap().to_string();
    let rescan = |from: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_talat"));
        c.args(["custody", "rescan", "--chain", "LTC", "--from", from, "--server", &base, "--staff", "finance@talat.local"])
            .env("TALAT_STAFF_PASSWORD", &password);
        c
    };
    let ok = support::run(rescan("1"), "talat custody rescan", Duration::from_secs(60));
    assert!(ok.status.success() && ok.stdout.contains("0 deposits were missing"), "{}", ok.describe());
    let refused = support::run(rescan("99999999"), "talat custody rescan", Duration::from_secs(60));
    assert!(!refused.status.success() && refused.stderr.contains("scanned up to height"), "{}", refused.describe());
    server.interrupt().unwrap_or_else(|e| panic!("stopping talat serve: {e}\n{}", server.log_tail()));
}

/// The customer's deposits on `network` (the web app's list).
async fn deposits_on(customer: &mut Session, base: &str, network: &str) -> Vec<Value> {
    let d = customer.call(base, "GET", "/web/api/crypto/deposits", Value::Null, 200).await;
    d["deposits"].as_array().unwrap().iter().filter(|d| d["network"] == network).cloned().collect()
}

async fn credited_count(customer: &Session, base: &str, network: &str) -> usize {
    let mut s = Session { http: customer.http.clone(), csrf: customer.csrf.clone() };
    deposits_on(&mut s, base, network).await.iter().filter(|d| d["status"] == "credited").count()
}

/// The demo runs its own Ethereum chain (npm's anvil, scripts/custody-env) beside Litecoin's:
/// the console's faucet pays ETH to a customer's deposit address, it confirms on anvil's block
/// timer and is credited; the chain is kept in the data directory, so after a stop and a start
/// the deposit is still there, nothing looks reorganised, and a new deposit credits too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_an_ethereum_chain_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("talat.toml");
    // ETH blocks every second (half the Litecoin chain's time, at least 1 s).
    std::fs::write(&config, "[demo]\nchain_block_ms = 2000\n\n[onboarding]\nrequire_kyc = false\n").unwrap();
    let args = ["--load-users", "0", "--no-bot", "--config", config.to_str().unwrap()];
    let mut server = Served::start(&args);
    let banner = server.banner.clone();
    assert!(banner["notes"].to_string().contains("ETH on a local anvil node"), "the demo's Ethereum chain runs (scripts/custody-env): {banner}");
    let base = server.base_url();
    let mut customer = Session::new();
    customer.call(&base, "POST", "/web/api/signup", json!({"email": "eth@example.com", "password": "a good password"}), 200).await;
    let mut finance = Session::staff(&base, &banner, "finance").await;
    let bad = json!({"user_email": "eth@example.com", "network": "ETH", "amount": "11"});
    let refused = finance.call(&base, "POST", "/web/api/console/custody/faucet", bad, 400).await;
    assert!(refused.to_string().contains("at most 10"), "{refused}");
    let paid =
        finance.call(&base, "POST", "/web/api/console/custody/faucet", json!({"user_email": "eth@example.com", "network": "ETH", "amount": "1.5"}), 200).await;
    assert_eq!(paid["network"], "ETH", "{paid}");
    until("the faucet's ETH deposit credited", CHAIN_TIMEOUT, || async { (credited_count(&customer, &base, "ETH").await == 1).then_some(()) }).await;
    let balances = customer.call(&base, "GET", "/web/api/balances", Value::Null, 200).await;
    let eth = balances["assets"].as_array().unwrap().iter().find(|b| b["asset"] == "ETH").cloned().unwrap_or_else(|| panic!("{balances}"));
    assert_eq!(units(eth["available"].as_str().unwrap()), 150_000_000, "{eth}");
    let wallets = finance.call(&base, "GET", "/web/api/console/custody/wallets", Value::Null, 200).await;
    let hot = wallets["wallets"].as_array().unwrap().iter().find(|w| w["network"] == "ETH").cloned().unwrap_or_else(|| panic!("{wallets}"));
    assert_eq!(hot["hot_balance"].as_str().map(units), Some(20 * 100_000_000), "the demo fills the ETH hot wallet: {hot}");

    server.interrupt().unwrap_or_else(|e| panic!("stopping talat serve: {e}\n{}", server.log_tail()));
    assert!(server.data.join("ethereum/state.json").is_file(), "the chain is kept in the data directory");
    server.restart(&args);
    let base = server.base_url();
    let mut customer = Session::new();
    customer.call(&base, "POST", "/web/api/login", json!({"email": "eth@example.com", "password": "a good password"}), 200).await;
    let mut finance = Session::staff(&base, &server.banner.clone(), "finance").await;
    let before = deposits_on(&mut customer, &base, "ETH").await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["status"], "credited", "{before:?}");
    finance.call(&base, "POST", "/web/api/console/custody/faucet", json!({"user_email": "eth@example.com", "network": "ETH", "amount": "0.25"}), 200).await;
    until("the second ETH deposit credited after the restart", CHAIN_TIMEOUT, || async { (credited_count(&customer, &base, "ETH").await == 2).then_some(()) })
        .await;
    let cases = finance.call(&base, "GET", "/web/api/console/custody/cases?status=all", Value::Null, 200).await;
    assert_eq!(cases["cases"], json!([]), "a restart is not a reorg: {cases}");
    server.interrupt().unwrap_or_else(|e| panic!("stopping talat serve: {e}\n{}", server.log_tail()));
}
