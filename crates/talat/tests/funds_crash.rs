//! A THB withdrawal survives SIGKILL of the real `talat serve` at the two moments that matter
//! and is paid exactly once: killed after its approval and before any payout (the restart pays
//! it in one batch), and killed right after the payout batch was written (the restart finds it
//! paid out and never puts it in a second batch). The statement's debit completes it, the engine
//! settles it once, and `talat funds reconcile` reads the day back from the data directory.

mod support;

use reqwest::Client;
use serde_json::{json, Value};
use std::time::Duration;
use support::Served;
use talat_funds::statement::{to_camt053, BankLine, Direction, Statement};

const CLI_TIMEOUT: Duration = Duration::from_secs(60);

fn client() -> Client {
    Client::builder().cookie_store(true).timeout(Duration::from_secs(30)).build().unwrap()
}

/// POST or GET with the session's CSRF token; panics on anything but `expect`.
async fn call(http: &Client, base: &str, csrf: &mut Option<String>, method: &str, path: &str, body: Value, expect: u16) -> Value {
    let mut req = http.request(method.parse().unwrap(), format!("{base}{path}"));
    if let Some(token) = csrf.as_deref() {
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
        *csrf = Some(token.to_string());
    }
    v
}

struct Session {
    http: Client,
    csrf: Option<String>,
}

impl Session {
    async fn staff(base: &str, banner: &Value, role: &str) -> Session {
        let email = format!("{role}@talat.local");
        let password = banner["demo_staff"][&email].as_str().unwrap_or_else(|| panic!("no demo password for {email}: {banner}"));
        let mut s = Session { http: client(), csrf: None };
        s.call(base, "POST", "/web/api/console/login", json!({"email": email, "password": password}), 200).await;
        s
    }

    async fn call(&mut self, base: &str, method: &str, path: &str, body: Value, expect: u16) -> Value {
        call(&self.http, base, &mut self.csrf, method, path, body, expect).await
    }
}

fn thb_balance(v: &Value) -> String {
    v["assets"].as_array().unwrap().iter().find(|b| b["asset"] == "THB").map(|b| format!("{}/{}", b["available"], b["held"])).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_is_paid_once_across_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("talat.toml");
    // KYC levels are another test's subject: without them the engine sets no daily budget.
    std::fs::write(&config, "[funds.limits]\ncooling_off_ms = 0\n\n[onboarding]\nrequire_kyc = false\n").unwrap();
    let args = ["--load-users", "0", "--no-bot", "--config", config.to_str().unwrap()];
    let mut server = Served::start(&args);
    let banner = server.banner.clone();
    let base = server.base_url();

    // A demo-funded customer with a verified identity (written to the store as a reviewer's
    // approval would), 2FA, and a bank account in their name that finance verifies.
    let mut customer = Session { http: client(), csrf: None };
    let v = customer.call(&base, "POST", "/web/api/signup", json!({"email": "crash@example.com", "password": "a good password"}), 200).await;
    let account_id = v["account"]["id"].as_u64().unwrap();
    let store = talat_store::Store::connect(&format!("sqlite://{}", server.data.join("store.db").display())).await.unwrap();
    let data = json!({"first_name_en": "Somchai", "last_name_en": "Jaidee"}).to_string();
    let app = store.insert_kyc_application_for_tests(account_id, 1, &data, 0).await.unwrap();
    store.execute_raw(&format!("UPDATE kyc_applications SET status = 'approved' WHERE id = {app}")).await.unwrap();
    let setup = customer.call(&base, "POST", "/web/api/2fa/setup", json!({}), 200).await;
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap();
    customer.call(&base, "POST", "/web/api/2fa/enable", json!({"code": totp.generate_current().unwrap()}), 200).await;
    let bank = customer
        .call(&base, "POST", "/web/api/funds/bank-accounts", json!({"bank_code": "014", "account_no": "1234567890", "name": "SOMCHAI JAIDEE"}), 200)
        .await;
    let bank_id = bank["account"]["id"].as_u64().unwrap();
    let mut finance = Session::staff(&base, &banner, "finance").await;
    finance.call(&base, "POST", &format!("/web/api/console/funds/bank-accounts/{bank_id}/verify"), json!({}), 200).await;
    let before = customer.call(&base, "GET", "/web/api/balances", Value::Null, 200).await;

    // The code used to enable 2FA is spent; the withdrawal takes the next step's code, which
    // the server accepts (one step either side).
    let next = totp.generate(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 30);
    let w = customer.call(&base, "POST", "/web/api/funds/withdrawals", json!({"bank_account_id": bank_id, "amount": "1000.00", "totp": next}), 200).await;
    let id = w["withdrawal"]["id"].as_str().unwrap().to_string();
    let a = finance.call(&base, "POST", &format!("/web/api/console/funds/withdrawals/{id}/approve"), json!({}), 200).await;
    assert_eq!(a["withdrawal"]["status"], "approved");

    // Kill 1: approved, not yet paid out. After the restart it is still approved, and one batch
    // pays it.
    server.kill();
    server.restart(&args);
    let base = server.base_url();
    let mut finance = Session::staff(&base, &banner, "finance").await;
    let batch = finance.call(&base, "POST", "/web/api/console/funds/payouts", json!({}), 200).await;
    assert_eq!(batch["batch"]["count"], 1, "{batch}");

    // Kill 2: right after the batch was written. After the restart the withdrawal is out
    // (sent), and there is nothing left to pay: no second batch.
    server.kill();
    server.restart(&args);
    let base = server.base_url();
    let mut finance = Session::staff(&base, &banner, "finance").await;
    let open = finance.call(&base, "GET", "/web/api/console/funds/withdrawals?status=open", Value::Null, 200).await;
    let row = open["withdrawals"].as_array().unwrap().iter().find(|w| w["id"] == id.as_str()).unwrap_or_else(|| panic!("{open}")).clone();
    assert_eq!((row["status"].as_str(), row["payout_batch"].as_str()), (Some("sent"), batch["batch"]["id"].as_str()), "{row}");
    finance.call(&base, "POST", "/web/api/console/funds/payouts", json!({}), 409).await;
    let batches = finance.call(&base, "GET", "/web/api/console/funds/payouts", Value::Null, 200).await;
    assert_eq!(batches["batches"].as_array().unwrap().len(), 1, "one batch in all: {batches}");

    // The statement shows the debit: completed, settled once.
    let date = talat_gateway::funds::bangkok_date(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64);
    let debit = BankLine {
        reference: "SCB-DEBIT-1".into(),
        booked_on: date.clone(),
        direction: Direction::Debit,
        amount_satang: 98_000,
        counterparty_name: Some("SOMCHAI JAIDEE".into()),
        counterparty_account: Some("1234567890".into()),
        ref1: None,
        ref2: Some(id.clone()),
        description: String::new(),
    };
    let xml =
        to_camt053(&Statement { account: "1111111111".into(), date: date.clone(), opening_balance_satang: 0, closing_balance_satang: 0, lines: vec![debit] });
    for expect_settled in [1, 0] {
        let r = finance.call(&base, "POST", "/web/api/console/funds/statements", json!({"format": "camt053", "content": xml}), 200).await;
        assert_eq!(r["import"]["settled"], expect_settled, "{r}");
    }
    // The customer's session outlived both kills (sessions are in the store; cookies ignore ports).
    let ws = customer.call(&base, "GET", "/web/api/funds/withdrawals", Value::Null, 200).await;
    assert_eq!(ws["withdrawals"][0]["status"], "completed", "{ws}");
    let after = customer.call(&base, "GET", "/web/api/balances", Value::Null, 200).await;
    let thb = |v: &Value| {
        talat_funds::parse_thb(v["assets"].as_array().unwrap().iter().find(|b| b["asset"] == "THB").unwrap()["available"].as_str().unwrap()).unwrap()
    };
    assert_eq!(thb(&before) - thb(&after), 100_000, "paid once: {} → {}", thb_balance(&before), thb_balance(&after));
    server.interrupt().expect("talat serve stops on SIGINT");

    // The day's reconciliation, read back from the data directory by the CLI.
    let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_talat"));
    cli.args(["funds", "reconcile", "--data"]).arg(&server.data).args(["--date", &date]);
    let out = support::run(cli, "talat funds reconcile", CLI_TIMEOUT);
    assert!(out.status.success(), "{}", out.describe());
    assert!(out.stdout.contains("Reconciliation of THB") && out.stdout.contains("statement closing balance"), "{}", out.stdout);
    let mut bad = std::process::Command::new(env!("CARGO_BIN_EXE_talat"));
    bad.args(["funds", "reconcile", "--data"]).arg(&server.data).args(["--date", "2026-02-30"]);
    let out = support::run(bad, "talat funds reconcile with a bad date", CLI_TIMEOUT);
    assert!(!out.status.success() && out.stderr.contains("YYYY-MM-DD"), "{}", out.describe());
}
