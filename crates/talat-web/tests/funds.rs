//! THB in and out through the real server (test kit: node, journal, store, HTTP): a deposit QR
//! paid by a statement line and by a signed bank callback, each credited once however often it
//! is replayed; a withdrawal from request to the statement's debit, with every maker-checker
//! refusal; the v4 and v3 fiat endpoints; bad input refused with nothing changed; and the daily
//! reconciliation finding a planted difference.

mod common;

use common::{staff_browsers, Browser, Kit};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use talat_api::testkit::TestExchange;
use talat_funds::statement::{to_camt053, BankLine, Direction, Statement};
use talat_gateway::config::ApiConfig;
use talat_gateway::funds::{Funds, FundsConfig};
use talat_sequencer::SequencerConfig;
use talat_web::{Role, Web};

const BANK_SECRET: &str = "kbank-test-secret";

/// The test kit with funds settings a test can use in seconds: no cooling-off, small approval
/// thresholds (two approvers from THB 2,000, a checker from THB 5,000), a callback secret.
async fn start() -> Kit {
    start_with_rail(Arc::new(talat_gateway::funds::payouts::FileRail)).await
}

async fn start_with_rail(rail: Arc<dyn talat_gateway::funds::payouts::PayoutRail>) -> Kit {
    start_with(rail, None).await
}

async fn start_with(rail: Arc<dyn talat_gateway::funds::payouts::PayoutRail>, statement_dir: Option<std::path::PathBuf>) -> Kit {
    let mut config = FundsConfig { statement_dir, ..FundsConfig::default() };
    config.limits.cooling_off_ms = 0;
    config.approval.two_approvers_from_satang = 2_000_00;
    config.approval.checker_from_satang = 5_000_00;
    config.callback_secrets.insert("kbank".into(), BANK_SECRET.into());
    let slot: Arc<Mutex<Option<Arc<Web>>>> = Arc::default();
    let put = Arc::clone(&slot);
    let ex = TestExchange::start_with(ApiConfig::default(), 0, SequencerConfig::default(), move |gateway| {
        gateway.install_funds(Funds { config, rail }).expect("funds settings install");
        let web = Web::new(gateway, common::relaxed()).expect("the test kit has a store");
        *put.lock().unwrap() = Some(Arc::clone(&web));
        talat_web::routes(web)
    })
    .await;
    let web = slot.lock().unwrap().take().expect("routes were built");
    Kit { ex, web }
}

struct Customer {
    b: Browser,
    account_id: u64,
    user: talat_core::UserId,
    totp: totp_rs::TOTP,
}

/// A signed-up customer (demo-funded) with an approved identity "Somchai Jaidee" and 2FA on.
async fn customer(kit: &Kit, email: &str) -> Customer {
    let (mut b, account) = common::signed_up(kit, email).await;
    let account_id = account["id"].as_u64().unwrap();
    let user = talat_core::UserId(account["user_id"].as_u64().unwrap() as u32);
    let data = json!({"first_name_en": "Somchai", "last_name_en": "Jaidee", "first_name_th": "สมชาย", "last_name_th": "ใจดี"}).to_string();
    let app = kit.web.store.insert_kyc_application_for_tests(account_id, 1, &data, kit.web.gateway.now_ms()).await.unwrap();
    kit.web.store.execute_raw(&format!("UPDATE kyc_applications SET status = 'approved' WHERE id = {app}")).await.unwrap();
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
    /// The current code, as if the next 30 s step had come: each code works once (the server
    /// keeps the last step used), and a test cannot wait half a minute per withdrawal, so it
    /// forgets the last step used instead of waiting for a new one.
    async fn fresh_code(&mut self, kit: &Kit) -> String {
        kit.web.store.execute_raw(&format!("UPDATE web_accounts SET totp_last_step = 0 WHERE id = {}", self.account_id)).await.unwrap();
        self.totp.generate_current().unwrap()
    }
}

fn thb(kit: &Kit, user: talat_core::UserId) -> (u64, u64) {
    let (_, b) = kit.web.gateway.read.balances(user).into_iter().find(|(a, _)| a.code == "THB").expect("THB is listed");
    (b.available, b.held)
}

fn staff(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).unwrap().1
}

fn statement(date: &str, closing_satang: i64, lines: Vec<BankLine>) -> String {
    to_camt053(&Statement { account: "1234567890".into(), date: date.into(), opening_balance_satang: 0, closing_balance_satang: closing_satang, lines })
}

fn credit(reference: &str, amount_satang: u64, ref1: &str, ref2: &str, payer: &str, date: &str) -> BankLine {
    BankLine {
        reference: reference.into(),
        booked_on: date.into(),
        direction: Direction::Credit,
        amount_satang,
        counterparty_name: Some(payer.into()),
        counterparty_account: None,
        ref1: Some(ref1.into()),
        ref2: Some(ref2.into()),
        description: String::new(),
    }
}

fn today(kit: &Kit) -> String {
    talat_gateway::funds::bangkok_date(kit.web.gateway.now_ms())
}

async fn import(b: &mut Browser, xml: &str) -> Value {
    let (s, v) = b.post("/web/api/console/funds/statements", json!({"format": "camt053", "content": xml})).await;
    assert_eq!(s, 200, "{v}");
    v["import"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_by_statement_and_by_callback_credits_once() {
    let kit = start().await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    let before = thb(&kit, c.user);

    // Bad amounts are refused by field and create nothing.
    for bad in ["10.00", "1.234", "-5", "abc", "3000000.00"] {
        let (s, v) = c.b.post("/web/api/funds/deposits", json!({"amount": bad})).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("amount")), "{bad}: {v}");
    }
    assert_eq!(c.b.get("/web/api/funds/deposits").await.1["deposits"].as_array().unwrap().len(), 0);

    let (s, v) = c.b.post("/web/api/funds/deposits", json!({"amount": "1500.00"})).await;
    assert_eq!(s, 200, "{v}");
    let d = v["deposit"].clone();
    assert_eq!(d["status"], "awaiting_payment");
    assert!(d["qr_svg"].as_str().unwrap().contains("<svg"), "{d}");
    let qr = talat_funds::promptpay::parse(d["qr_payload"].as_str().unwrap()).expect("the QR parses");
    assert_eq!(qr.amount_satang, Some(150_000));
    let (ref1, ref2) = (d["ref1"].as_str().unwrap().to_string(), d["ref2"].as_str().unwrap().to_string());
    assert!(matches!(&qr.target, talat_funds::promptpay::Target::BillPayment { ref1: r1, ref2: Some(r2), .. } if *r1 == ref1 && *r2 == ref2), "{qr:?}");

    // The statement credits it once, however often it is imported.
    let date = today(&kit);
    let xml = statement(&date, 150_000, vec![credit("KB0001", 150_000, &ref1, &ref2, "MR. SOMCHAI JAIDEE", &date)]);
    let finance = staff(&mut browsers, Role::Finance);
    assert_eq!(import(finance, &xml).await["credited"], 1);
    assert_eq!(import(finance, &xml).await["duplicates"], 1);
    assert_eq!(thb(&kit, c.user).0, before.0 + 150_000);
    let deposits = c.b.get("/web/api/funds/deposits").await.1;
    assert_eq!(deposits["deposits"][0]["status"], "credited", "{deposits}");

    // A signed callback for a second QR: a bad signature and a malformed body change nothing;
    // the good one credits once, and its replay answers `duplicate`.
    let d2 = c.b.post("/web/api/funds/deposits", json!({"amount": "500.00"})).await.1["deposit"].clone();
    let body = json!({"bank_ref": "KB0002", "amount": "500.00", "paid_at_ms": kit.web.gateway.now_ms(), "ref1": d2["ref1"], "ref2": d2["ref2"], "payer_name": "Somchai Jaidee"}).to_string();
    let http = reqwest::Client::new();
    let post = |sig: String, body: String| {
        http.post(format!("{}/api/talat/fiat/callback/kbank", kit.ex.url)).header(talat_funds::callback::SIGNATURE_HEADER, sig).body(body).send()
    };
    let bad = post(talat_funds::callback::sign(b"wrong", body.as_bytes()), body.clone()).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let malformed = "{\"bank_ref\":\"KB0003\"}".to_string();
    let r = post(talat_funds::callback::sign(BANK_SECRET.as_bytes(), malformed.as_bytes()), malformed).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(thb(&kit, c.user).0, before.0 + 150_000, "no refused callback credits anything");
    for expected in ["credited", "duplicate"] {
        let r = post(talat_funds::callback::sign(BANK_SECRET.as_bytes(), body.as_bytes()), body.clone()).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["result"]["outcome"], expected);
    }
    assert_eq!(thb(&kit, c.user).0, before.0 + 200_000);

    // A line for a third QR with the wrong amount is held for staff, not credited; one staff
    // member proposes crediting it, another approves (the proposer cannot).
    let d3 = c.b.post("/web/api/funds/deposits", json!({"amount": "700.00"})).await.1["deposit"].clone();
    let line = credit("KB0004", 70_001, d3["ref1"].as_str().unwrap(), d3["ref2"].as_str().unwrap(), "Somchai Jaidee", &date);
    let finance = staff(&mut browsers, Role::Finance);
    assert_eq!(import(finance, &statement(&date, 0, vec![line])).await["exceptions"], 1);
    let exceptions = finance.get("/web/api/console/funds/exceptions").await.1;
    let e = exceptions["exceptions"].as_array().unwrap().iter().find(|e| e["line"]["reference"] == "KB0004").unwrap().clone();
    assert_eq!(e["class"], "amount_mismatch");
    let id = e["id"].as_u64().unwrap();
    let (s, v) = finance
        .post(
            &format!("/web/api/console/funds/exceptions/{id}/propose"),
            json!({"action": "credit", "user_email": "somchai@example.com", "reason": "customer sent one satang more; documents checked"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = finance.post(&format!("/web/api/console/funds/exceptions/{id}/approve"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "the proposer cannot approve");
    assert_eq!(thb(&kit, c.user).0, before.0 + 200_000);
    let (s, v) = staff(&mut browsers, Role::Admin).post(&format!("/web/api/console/funds/exceptions/{id}/approve"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(thb(&kit, c.user).0, before.0 + 270_001);
    kit.ex.stop().await;
}

/// Sets up an active bank account: registered in the customer's name, verified by finance.
async fn bank_account(c: &mut Customer, finance: &mut Browser) -> u64 {
    let (s, v) = c.b.post("/web/api/funds/bank-accounts", json!({"bank_code": "004", "account_no": "726-2-10909-9", "name": "Somchai Jaidee"})).await;
    assert_eq!(s, 200, "{v}");
    let id = v["account"]["id"].as_u64().unwrap();
    assert_eq!(v["account"]["status"], "pending_verification");
    let (s, v) = finance.post(&format!("/web/api/console/funds/bank-accounts/{id}/verify"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_from_request_to_the_statement_debit() {
    let kit = start().await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;

    // Bank accounts: another person's name, an unknown bank, a wrong length are refused.
    for (bank, number, name, field) in [
        ("004", "7262109099", "Somsak Rakthai", "name"),
        ("999", "7262109099", "Somchai Jaidee", "bank_code"),
        ("030", "7262109099", "Somchai Jaidee", "account_no"),
    ] {
        let (s, v) = c.b.post("/web/api/funds/bank-accounts", json!({"bank_code": bank, "account_no": number, "name": name})).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{v}");
    }
    let (s, v) = c.b.post("/web/api/funds/bank-accounts", json!({"bank_code": "014", "account_no": "1234567890", "name": "Jaidee Somchai"})).await;
    assert_eq!(s, 200, "the same person, surname first: {v}");
    let unverified = v["account"]["id"].as_u64().unwrap();
    let code = c.fresh_code(&kit).await;
    let (s, v) = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": unverified, "amount": "1000.00", "totp": code})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("bank_account_id")), "an unverified account: {v}");
    let account = bank_account(&mut c, staff(&mut browsers, Role::Finance)).await;

    let before = thb(&kit, c.user);
    // A wrong 2FA code changes nothing.
    let (s, v) = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "1000.00", "totp": "000000"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("totp")), "{v}");
    let code = c.fresh_code(&kit).await;
    let (s, v) = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "1000.00", "totp": code})).await;
    assert_eq!(s, 200, "{v}");
    let w = v["withdrawal"].clone();
    let id = w["id"].as_str().unwrap().to_string();
    assert_eq!((w["status"].as_str(), w["receive"].as_str(), w["fee"].as_str()), (Some("awaiting_approval"), Some("980.00"), Some("20.00")));
    assert_eq!(thb(&kit, c.user), (before.0 - 100_000, before.1 + 100_000), "held: the amount, fee included");
    // The same code again, and a second pending withdrawal, are refused.
    let (s, _) = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "200.00", "totp": code})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a reused code");
    let code = c.fresh_code(&kit).await;
    let (s, v) = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "200.00", "totp": code})).await;
    assert_eq!(s, StatusCode::CONFLICT, "one pending withdrawal at a time: {v}");

    // One approver for THB 1,000; a second signature from the same person is refused.
    let finance = staff(&mut browsers, Role::Finance);
    let (s, v) = finance.post(&format!("/web/api/console/funds/withdrawals/{id}/approve"), json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("approved")), "{v}");
    assert_eq!(finance.post(&format!("/web/api/console/funds/withdrawals/{id}/approve"), json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(c.b.post(&format!("/web/api/funds/withdrawals/{id}/cancel"), json!({})).await.0, StatusCode::CONFLICT, "approved: too late to cancel");

    // The payout file carries it once; a second batch has nothing to pay.
    let (s, v) = finance.post("/web/api/console/funds/payouts", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let batch = v["batch"]["id"].as_str().unwrap().to_string();
    let csv = finance.http.get(format!("{}/web/api/console/funds/payouts/{batch}/csv", finance.base)).send().await.unwrap().text().await.unwrap();
    let (_, lines) = talat_funds::payout::read_batch(&csv).expect("the payout file reads back");
    assert_eq!((lines.len(), lines[0].withdrawal_id.as_str(), lines[0].amount_satang, lines[0].account_no.as_str()), (1, id.as_str(), 98_000, "7262109099"));
    assert_eq!(finance.post("/web/api/console/funds/payouts", json!({})).await.0, StatusCode::CONFLICT);

    // The statement's debit completes it: the hold leaves, the fee goes to revenue.
    let date = today(&kit);
    let debit = BankLine {
        direction: Direction::Debit,
        amount_satang: 98_000,
        counterparty_name: Some("SOMCHAI JAIDEE".into()),
        ..credit("KB9001", 98_000, "", &id, "", &date)
    };
    let summary = import(finance, &statement(&date, 0, vec![debit.clone()])).await;
    assert_eq!(summary["settled"], 1, "{summary}");
    assert_eq!(import(finance, &statement(&date, 0, vec![debit])).await["duplicates"], 1);
    assert_eq!(thb(&kit, c.user), (before.0 - 100_000, before.1));
    let ws = c.b.get("/web/api/funds/withdrawals").await.1;
    assert_eq!(ws["withdrawals"][0]["status"], "completed", "{ws}");
    let timeline: Vec<&str> = ws["withdrawals"][0]["timeline"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["requested", "awaiting_approval", "awaiting_approval", "approved", "processing", "sent", "completed"]);

    // A cancel releases the hold, and a staff rejection too, with its reason.
    for (who, status) in [("customer", "cancelled"), ("staff", "rejected")] {
        let code = c.fresh_code(&kit).await;
        let v = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "300.00", "totp": code})).await.1;
        let wid = v["withdrawal"]["id"].as_str().unwrap().to_string();
        let held = thb(&kit, c.user);
        let (s, v) = if who == "customer" {
            c.b.post(&format!("/web/api/funds/withdrawals/{wid}/cancel"), json!({})).await
        } else {
            staff(&mut browsers, Role::Finance)
                .post(&format!("/web/api/console/funds/withdrawals/{wid}/reject"), json!({"reason": "the name on file changed"}))
                .await
        };
        assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some(status)), "{v}");
        assert_eq!(thb(&kit, c.user), (held.0 + 30_000, held.1 - 30_000));
    }
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maker_checker_tiers_and_their_refusals() {
    let kit = start().await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    let account = bank_account(&mut c, staff(&mut browsers, Role::Finance)).await;

    // THB 6,000 is above both test thresholds: two approvers and an independent checker.
    let code = c.fresh_code(&kit).await;
    let v = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "6000.00", "totp": code})).await.1;
    let id = v["withdrawal"]["id"].as_str().unwrap().to_string();
    let path = format!("/web/api/console/funds/withdrawals/{id}/approve");
    // Roles that approve nothing.
    for role in [Role::Support, Role::Operator, Role::Kyc] {
        assert_eq!(staff(&mut browsers, role).post(&path, json!({})).await.0, StatusCode::FORBIDDEN, "{role:?}");
    }
    let (s, v) = staff(&mut browsers, Role::Finance).post(&path, json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("awaiting_approval")), "{v}");
    let (s, v) = staff(&mut browsers, Role::Finance).post(&path, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "the same approver twice: {v}");
    assert!(v["message"].as_str().unwrap().contains("already signed"), "{v}");
    let (s, v) = staff(&mut browsers, Role::Admin).post(&path, json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("awaiting_approval")), "two approvers, no checker yet: {v}");
    let approvals: Vec<&str> = v["withdrawal"]["approvals"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(approvals, ["approver", "approver"]);
    let (s, v) = staff(&mut browsers, Role::Compliance).post(&path, json!({})).await;
    assert_eq!((s, v["withdrawal"]["status"].as_str()), (StatusCode::OK, Some("approved")), "the checker completes it: {v}");
    assert_eq!(v["withdrawal"]["tier"], json!({"approvers": 2, "checker": true}));
    // Every decision is in the audit log, refusals included.
    let audit = kit.web.store.audit_entries(None, 100).await.unwrap();
    let approvals = audit.iter().filter(|a| a.action == "funds.withdrawal.approve").count();
    assert_eq!(approvals, 3 + 1 + 1 + 1 + 1, "three refused roles, finance, finance again, admin, compliance");
    kit.ex.stop().await;
}

/// Signed headers for a customer's own API key.
fn signed(kit: &Kit, key: &str, secret: &str, method: &str, target: &str, body: &str) -> reqwest::header::HeaderMap {
    let ts = kit.web.gateway.now_ms().to_string();
    let sig = talat_gateway::auth::sign::sign(secret.as_bytes(), &ts, method, target, body.as_bytes());
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("X-BTK-APIKEY", key.parse().unwrap());
    h.insert("X-BTK-TIMESTAMP", ts.parse().unwrap());
    h.insert("X-BTK-SIGN", sig.parse().unwrap());
    h.insert("Content-Type", "application/json".parse().unwrap());
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v4_and_v3_fiat_endpoints() {
    let kit = start().await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    bank_account(&mut c, staff(&mut browsers, Role::Finance)).await;
    let (s, v) = c.b.post("/web/api/keys", json!({"permissions": ["trade", "withdraw"]})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("totp")), "a key that can withdraw needs the 2FA code: {v}");
    let code = c.fresh_code(&kit).await;
    let v = c.b.post("/web/api/keys", json!({"permissions": ["trade", "withdraw"], "totp": code})).await.1;
    let (key, secret) = (v["key"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string());
    let http = reqwest::Client::new();
    let call = |method: &str, target: &str, body: &str| {
        let h = signed(&kit, &key, &secret, method, target, body);
        http.request(method.parse().unwrap(), format!("{}{target}", kit.ex.url)).headers(h).body(body.to_string()).send()
    };

    let r = call("GET", "/api/v4/fiat/accounts", "").await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "0");
    assert_eq!(v["data"][0]["id"], "******9099");
    assert_eq!(v["pagination"], json!({"page": 1, "limit": 25}));
    let r = call("GET", "/api/v4/fiat/accounts?page=1", "").await.unwrap();
    assert_eq!(r.status(), 400, "page without limit");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "V1006-CW");

    let before = thb(&kit, c.user);
    let body = json!({"bank_account_no": "7262109099", "amount": 500.5}).to_string();
    let r = call("POST", "/api/v4/fiat/withdraw", &body).await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "0", "{v}");
    assert_eq!(
        (v["data"]["bank_account_no"].as_str(), v["data"]["receive"].as_str(), v["data"]["amount"].as_str()),
        (Some("******9099"), Some("480.50"), Some("500.50"))
    );
    assert_eq!(thb(&kit, c.user).0, before.0 - 50_050);
    // A second one while the first is pending: B1009-CW, nothing held. (Its own bytes: a signed
    // request works once.)
    let second = json!({"bank_account_no": "7262109099", "amount": "500.50"}).to_string();
    let r = call("POST", "/api/v4/fiat/withdraw", &second).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "B1009-CW");
    assert_eq!(thb(&kit, c.user).0, before.0 - 50_050);
    let v: Value = call("GET", "/api/v4/fiat/withdraw/history", "").await.unwrap().json().await.unwrap();
    assert_eq!((v["data"][0]["status"].as_str(), v["data"][0]["fee"].as_str()), (Some("pending"), Some("20.00")), "{v}");

    // v3: the same history in the v3 shape; a withdrawal to an unknown account is error 48.
    let v: Value = call("POST", "/api/v3/fiat/withdraw-history", "{}").await.unwrap().json().await.unwrap();
    assert_eq!((v["error"].as_u64(), v["result"][0]["amount"].as_str()), (Some(0), Some("500.5")), "{v}");
    assert_eq!(v["pagination"], json!({"page": 1, "last": 1}));
    let v: Value = call("POST", "/api/v3/fiat/withdraw", &json!({"id": "999", "amt": 100}).to_string()).await.unwrap().json().await.unwrap();
    assert_eq!(v["error"], 48, "{v}");
    // talat's own deposit intent over the API: documented, and refused without the deposit
    // permission (this key has trade and withdraw only).
    let openapi: Value = http.get(format!("{}/api/openapi.json", kit.ex.url)).send().await.unwrap().json().await.unwrap();
    for path in ["/api/v4/fiat/withdraw", "/api/talat/fiat/deposit-intents", "/api/talat/fiat/callback/{bank}"] {
        assert!(openapi["paths"][path].is_object(), "{path} is documented");
    }
    let v: Value = call("POST", "/api/talat/fiat/deposit-intents", &json!({"amount": "100.00"}).to_string()).await.unwrap().json().await.unwrap();
    assert_eq!(v["error"], 52, "{v}");
    let v = c.b.post("/web/api/keys", json!({"permissions": ["deposit"]})).await.1;
    let (k3, s3) = (v["key"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string());
    let intent_body = json!({"amount": 250.5}).to_string();
    let h = signed(&kit, &k3, &s3, "POST", "/api/talat/fiat/deposit-intents", &intent_body);
    let v: Value = http.post(format!("{}/api/talat/fiat/deposit-intents", kit.ex.url)).headers(h).body(intent_body).send().await.unwrap().json().await.unwrap();
    assert_eq!((v["error"].as_u64(), v["result"]["amount"].as_str()), (Some(0), Some("250.5")), "{v}");
    let qr = talat_funds::promptpay::parse(v["result"]["qr_payload"].as_str().unwrap()).unwrap();
    assert_eq!(qr.amount_satang, Some(25_050));
    // A key without withdraw permission may not withdraw.
    let v = c.b.post("/web/api/keys", json!({"permissions": ["trade"]})).await.1;
    let (k2, s2) = (v["key"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string());
    let h = signed(&kit, &k2, &s2, "POST", "/api/v4/fiat/withdraw", &body);
    let r = http.post(format!("{}/api/v4/fiat/withdraw", kit.ex.url)).headers(h).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "A1001-CW");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_balances_then_finds_a_planted_difference() {
    let kit = start().await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    let date = today(&kit);
    let d = c.b.post("/web/api/funds/deposits", json!({"amount": "1000.00"})).await.1["deposit"].clone();
    let finance = staff(&mut browsers, Role::Finance);
    // Without a statement there is nothing to reconcile against.
    let (s, v) = finance.post("/web/api/console/funds/reconciliations", json!({"date": date})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("date")), "{v}");
    let line = credit("KB7001", 100_000, d["ref1"].as_str().unwrap(), d["ref2"].as_str().unwrap(), "Somchai Jaidee", &date);
    import(finance, &statement(&date, 0, vec![line])).await;
    // The ledger's custody (demo funds included) is what the account must hold: a statement
    // closing at exactly that balances; one closing a satang short is a difference of -0.01.
    let (s, v) = finance.post("/web/api/console/funds/reconciliations", json!({"date": date})).await;
    assert_eq!(s, 200, "{v}");
    let expected = talat_funds::parse_thb(v["report"]["ledger_thb"].as_str().unwrap()).unwrap() as i64;
    import(finance, &statement(&date, expected, Vec::new())).await;
    let v = finance.post("/web/api/console/funds/reconciliations", json!({"date": date})).await.1;
    assert_eq!((v["report"]["status"].as_str(), v["report"]["difference_thb"].as_str()), (Some("balanced"), Some("0.00")), "{v}");
    import(finance, &statement(&date, expected - 1, Vec::new())).await;
    let v = finance.post("/web/api/console/funds/reconciliations", json!({"date": date})).await.1;
    assert_eq!((v["report"]["status"].as_str(), v["report"]["difference_thb"].as_str()), (Some("difference"), Some("-0.01")), "{v}");
    let csv = finance.http.get(format!("{}/web/api/console/funds/reconciliations/{date}/csv", finance.base)).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("difference_thb,-0.01"), "{csv}");
    // The difference is an exception until two people close it with a reason; money cannot
    // be "credited" out of it.
    let list = finance.get("/web/api/console/funds/exceptions").await.1;
    let e = list["exceptions"].as_array().unwrap().iter().find(|e| e["class"] == "reconciliation_difference").unwrap_or_else(|| panic!("{list}")).clone();
    let id = e["id"].as_u64().unwrap();
    let (s, _) = finance
        .post(&format!("/web/api/console/funds/exceptions/{id}/propose"), json!({"action": "credit", "user_email": "somchai@example.com", "reason": "x"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = finance
        .post(&format!("/web/api/console/funds/exceptions/{id}/propose"), json!({"action": "close", "reason": "bank charged a 0.01 fee; booked to expenses"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = staff(&mut browsers, Role::Admin).post(&format!("/web/api/console/funds/exceptions/{id}/approve"), json!({})).await;
    assert_eq!((s, v["exception"]["status"].as_str()), (StatusCode::OK, Some("resolved")), "{v}");
    let finance = staff(&mut browsers, Role::Finance);
    // Bad dates are refused.
    for bad in ["2026-13-01", "yesterday", "2999-01-01"] {
        assert_eq!(finance.post("/web/api/console/funds/reconciliations", json!({"date": bad})).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    kit.ex.stop().await;
}

/// A bank API whose answer to a payout is lost: every send is "unknown", and lookups answer
/// what the test sets.
struct LostAnswers {
    sends: std::sync::atomic::AtomicUsize,
    lookup: Mutex<talat_gateway::funds::payouts::LookupResult>,
}

impl talat_gateway::funds::payouts::PayoutRail for LostAnswers {
    fn name(&self) -> &'static str {
        "test bank API"
    }
    fn send(&self, _batch: &talat_store::PayoutBatchRow, lines: &[talat_funds::payout::PayoutLine]) -> Vec<talat_gateway::funds::payouts::SendResult> {
        self.sends.fetch_add(lines.len(), std::sync::atomic::Ordering::SeqCst);
        vec![talat_gateway::funds::payouts::SendResult::Unknown; lines.len()]
    }
    fn lookup(&self, _batch_id: &str, _withdrawal_id: &str) -> talat_gateway::funds::payouts::LookupResult {
        self.lookup.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_payout_is_looked_up_never_sent_again() {
    use talat_gateway::funds::payouts::LookupResult;
    let rail = Arc::new(LostAnswers { sends: Default::default(), lookup: Mutex::new(LookupResult::Unknown) });
    let kit = start_with_rail(rail.clone()).await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    let account = bank_account(&mut c, staff(&mut browsers, Role::Finance)).await;
    let before = thb(&kit, c.user);
    let code = c.fresh_code(&kit).await;
    let v = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "1000.00", "totp": code})).await.1;
    let id = v["withdrawal"]["id"].as_str().unwrap().to_string();
    let finance = staff(&mut browsers, Role::Finance);
    finance.post(&format!("/web/api/console/funds/withdrawals/{id}/approve"), json!({})).await;
    assert_eq!(finance.post("/web/api/console/funds/payouts", json!({})).await.0, 200);
    let status = |kit: &Kit| {
        let store = kit.web.store.clone();
        let id = id.clone();
        async move { store.fiat_withdrawal(&id).await.unwrap().unwrap().status }
    };
    assert_eq!(status(&kit).await, "unknown_outcome");
    // Neither a new batch, nor the customer, nor staff can move it: only a lookup or the bank.
    assert_eq!(finance.post("/web/api/console/funds/payouts", json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(c.b.post(&format!("/web/api/funds/withdrawals/{id}/cancel"), json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(finance.post(&format!("/web/api/console/funds/withdrawals/{id}/reject"), json!({"reason": "give up"})).await.0, StatusCode::CONFLICT);
    let funds = kit.web.gateway.fiat().unwrap();
    funds.resolve_unknown_payouts().await.unwrap();
    assert_eq!(status(&kit).await, "unknown_outcome", "the bank still cannot say");
    *rail.lookup.lock().unwrap() = LookupResult::Paid;
    funds.resolve_unknown_payouts().await.unwrap();
    assert_eq!(status(&kit).await, "sent");
    assert_eq!(rail.sends.load(std::sync::atomic::Ordering::SeqCst), 1, "sent once, looked up after");
    assert_eq!(thb(&kit, c.user), (before.0 - 100_000, before.1 + 100_000), "still held until the statement shows it");

    // A second withdrawal the lookup finds unpaid is refused and its hold released.
    let code = c.fresh_code(&kit).await;
    let date = today(&kit);
    let debit = BankLine { direction: Direction::Debit, ..credit("KB-D1", 98_000, "", &id, "", &date) };
    let finance = staff(&mut browsers, Role::Finance);
    assert_eq!(import(finance, &statement(&date, 0, vec![debit])).await["settled"], 1);
    let v = c.b.post("/web/api/funds/withdrawals", json!({"bank_account_id": account, "amount": "500.00", "totp": code})).await.1;
    let second = v["withdrawal"]["id"].as_str().unwrap().to_string();
    let finance = staff(&mut browsers, Role::Finance);
    finance.post(&format!("/web/api/console/funds/withdrawals/{second}/approve"), json!({})).await;
    finance.post("/web/api/console/funds/payouts", json!({})).await;
    *rail.lookup.lock().unwrap() = LookupResult::NotPaid("account closed".into());
    let held = thb(&kit, c.user);
    funds.resolve_unknown_payouts().await.unwrap();
    let w = kit.web.store.fiat_withdrawal(&second).await.unwrap().unwrap();
    assert_eq!((w.status.as_str(), w.reason.as_deref()), ("rejected", Some("a lookup found it not paid: account closed")));
    assert_eq!(thb(&kit, c.user), (held.0 + 50_000, held.1 - 50_000), "the hold is released");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_from_the_watched_folder_and_malformed_files() {
    let folder = tempfile::tempdir().unwrap();
    let kit = start_with(Arc::new(talat_gateway::funds::payouts::FileRail), Some(folder.path().to_path_buf())).await;
    let mut c = customer(&kit, "somchai@example.com").await;
    let mut browsers = staff_browsers(&kit).await;
    let before = thb(&kit, c.user);
    let d = c.b.post("/web/api/funds/deposits", json!({"amount": "900.00"})).await.1["deposit"].clone();
    let date = today(&kit);
    let line = BankLine {
        counterparty_account: Some("1234567890".into()),
        ..credit("KB5001", 90_000, d["ref1"].as_str().unwrap(), d["ref2"].as_str().unwrap(), "นาย สมชาย ใจดี", &date)
    };
    std::fs::write(folder.path().join("2026-12-06.xml"), statement(&date, 0, vec![line])).unwrap();
    std::fs::write(folder.path().join("broken.xml"), "<Document><BkToCstmrStmt>").unwrap();
    std::fs::write(folder.path().join("notes.txt"), "not a statement").unwrap();
    // The customer registered the account they pay from: the deposit verifies it (the reverse
    // penny test), with no staff member.
    let (s, v) = c.b.post("/web/api/funds/bank-accounts", json!({"bank_code": "002", "account_no": "123-4-56789-0", "name": "Somchai Jaidee"})).await;
    assert_eq!(s, 200, "{v}");
    talat_web::funds::background::sweep(&kit.web).await.unwrap();
    assert_eq!(thb(&kit, c.user).0, before.0 + 90_000, "credited from the folder, the Thai payer name matching the KYC name");
    let accounts = c.b.get("/web/api/funds/bank-accounts").await.1;
    assert_eq!(accounts["accounts"][0]["status"], "active", "{accounts}");
    assert!(folder.path().join("imported/2026-12-06.xml").exists());
    assert!(folder.path().join("failed/broken.xml").exists() && folder.path().join("failed/broken.xml.error").exists());
    assert!(folder.path().join("notes.txt").exists(), "other files are left alone");
    // The same refusals through the console: not well-formed, not a camt.053, a CSV with a bad row.
    let finance = staff(&mut browsers, Role::Finance);
    for (format, content) in
        [("camt053", "<Document><BkToCstmrStmt>"), ("camt053", "<html><body/></html>"), ("csv", "account,date,type\n1,2,3\n"), ("pdf", "x")]
    {
        let (s, v) = finance.post("/web/api/console/funds/statements", json!({"format": format, "content": content})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{format}: {v}");
    }
    assert_eq!(thb(&kit, c.user).0, before.0 + 90_000);
    kit.ex.stop().await;
}
