//! Onboarding and KYC through the web API against a live exchange: the whole path from
//! sign-up to trading (email verification from the outbox, documents, the level-1 application,
//! the knowledge test, a reviewer's approval, the engine's tier limits), four eyes on a
//! high-risk customer, requests for information, bad inputs (each refused with its field and
//! storing nothing) and the console's role permissions.

mod common;

use base64::Engine as _;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use talat_core::{Amount, Command, Event, ExternalId, RejectReason};
use talat_web::kyc::OnboardingConfig;
use talat_web::{Role, WebConfig};

/// Uploads are capped at 64 KiB here so the oversized case stays small.
const MAX_UPLOAD: usize = 64 * 1024;

/// A web config with KYC required and uploads kept in `dir`.
fn kyc_config(dir: &std::path::Path) -> WebConfig {
    let mut onboarding = OnboardingConfig { require_kyc: true, uploads_dir: Some(dir.to_path_buf()), ..Default::default() };
    onboarding.upload_limits.max_bytes = MAX_UPLOAD;
    WebConfig { onboarding, ..relaxed() }
}

struct Env {
    kit: Kit,
    dir: tempfile::TempDir,
}

async fn start_kyc() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let kit = start(kyc_config(dir.path())).await;
    Env { kit, dir }
}

/// How many files the content store holds under `dir`.
fn stored_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| if p.is_dir() { stored_files(&p) } else { 1 }).sum()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A real `w`×`h` RGB PNG of at least `min_len` bytes: its first rows are noise seeded by
/// `seed` (so each seed gives other bytes), enough of them to reach the size; the rest is flat.
fn png(w: u32, h: u32, min_len: usize, seed: u8) -> Vec<u8> {
    use image::ImageEncoder as _;
    let encode = |noisy_rows: u32| {
        let mut state = 0x9E37_79B9u32 ^ u32::from(seed);
        let pixels = image::RgbImage::from_fn(w, h, |_, y| {
            if y >= noisy_rows {
                return image::Rgb([seed, 128, 255 - seed]);
            }
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let [r, g, b, _] = state.to_le_bytes();
            image::Rgb([r, g, b])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out).write_image(pixels.as_raw(), w, h, image::ExtendedColorType::Rgb8).unwrap();
        out
    };
    let mut rows = u32::try_from(min_len.div_ceil(3 * w as usize)).unwrap().clamp(1, h);
    loop {
        let bytes = encode(rows);
        if bytes.len() >= min_len {
            return bytes;
        }
        assert!(rows < h, "a {w}×{h} PNG cannot reach {min_len} bytes");
        rows = (rows * 2).min(h);
    }
}

/// What rides along after a document photo's end: it must never be stored.
const RIDE_ALONG: &[u8] = b"<html><script>alert('riding along after IEND')</script></html>";

fn pixels(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory(bytes).expect("a decodable image").to_rgb8()
}

fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.resize(len - 6, b' ');
    v.extend_from_slice(b"\n%%EOF");
    v
}

/// A valid Thai national ID starting with `twelve` (its check digit computed).
fn thai_id(twelve: &str) -> String {
    let digits: Vec<u8> = twelve.bytes().map(|b| b - b'0').collect();
    format!("{twelve}{}", talat_onboarding::thai_id::check_digit(&digits))
}

async fn upload(b: &mut Browser, purpose: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let content_type = if bytes.starts_with(b"%PDF") { "application/pdf" } else { "image/png" };
    b.post("/web/api/kyc/documents", json!({"purpose": purpose, "content_type": content_type, "data_base64": b64(bytes)})).await
}

async fn document(b: &mut Browser, purpose: &str, fill: u8) -> u64 {
    let bytes = if matches!(purpose, "income" | "asset") { pdf(4096) } else { [png(640, 480, 4096, fill).as_slice(), RIDE_ALONG].concat() };
    let (s, v) = upload(b, purpose, &bytes).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["document"]["id"].as_u64().unwrap()
}

async fn outbox(kit: &Kit) -> Vec<talat_store::MailRow> {
    kit.web.store.outbox(500).await.unwrap()
}

/// The newest verification token mailed to `email`.
async fn mailed_token(kit: &Kit, email: &str) -> String {
    let mail = outbox(kit).await;
    let m = mail.iter().find(|m| m.to_addr == email && m.kind == "email.verify").expect("a verification mail");
    let at = m.body.find("#/verify?token=").expect("the link") + "#/verify?token=".len();
    m.body[at..at + 64].to_string()
}

/// Signed up, email verified and admitted.
async fn ready(kit: &Kit, email: &str) -> (Browser, u64) {
    let (mut b, account) = signed_up(kit, email).await;
    let token = mailed_token(kit, email).await;
    let (s, v) = b.post("/web/api/email/verify", json!({"token": token})).await;
    assert_eq!(s, 200, "{v}");
    let id = account["id"].as_u64().unwrap();
    kit.web.store.kyc_mark_admitted(id, kit.web.gateway.now_ms()).await.unwrap();
    (b, id)
}

fn level1_form(id_number: &str, photo: u64, selfie: u64) -> Value {
    json!({
        "id_type": "thai_id", "id_number": id_number, "laser_code": "JC1-2345678-90",
        "first_name_th": "สมชาย", "last_name_th": "ใจดี", "first_name_en": "Somchai", "last_name_en": "Jaidee",
        "dob": "2533-05-17", "nationality": "THA", "address": "99 Sukhumvit Road, Bangkok 10110",
        "occupation": "engineer", "source_of_funds": "salary", "expected_monthly_thb": 50000, "fatca_us_person": false,
        "id_photo_document": photo, "selfie_document": selfie,
    })
}

async fn submit_level1(b: &mut Browser, form: Value) -> Value {
    let (s, v) = b.post("/web/api/kyc/level1", form).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["application"].clone()
}

fn right_answers() -> Value {
    let test = talat_onboarding::default_test();
    Value::Object(test.questions.iter().map(|q| (q.id.clone(), Value::String(q.correct.clone()))).collect())
}

fn wrong_answers() -> Value {
    let test = talat_onboarding::default_test();
    Value::Object(test.questions.iter().map(|q| (q.id.clone(), Value::String(q.choices.iter().find(|c| c.id != q.correct).unwrap().id.clone()))).collect())
}

async fn pass_knowledge(b: &mut Browser) {
    let (s, v) = b.post("/web/api/kyc/knowledge-test", json!({"answers": right_answers()})).await;
    assert_eq!((s.as_u16(), v["passed"].as_bool()), (200, Some(true)), "{v}");
}

fn staff_of(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).expect("a browser per role").1
}

const ORDER: fn() -> Value = || json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"});

/// Holds a withdrawal straight through the engine: `Ok(())` or the engine's refusal.
async fn hold(kit: &Kit, user: u32, asset: &str, amount: u64, n: u32) -> Result<(), RejectReason> {
    let g = &kit.web.gateway;
    let asset = g.read.asset_id(asset).unwrap();
    let id = ExternalId(format!("kyc-test-{user}-{n}"));
    let cmd = Command::WithdrawalHold { user: talat_core::UserId(user), asset, amount: Amount(amount), fee: Amount(0), withdrawal_id: id.clone() };
    let outcome = g.submit(cmd).await.unwrap();
    match outcome.events.iter().find_map(|e| if let Event::Rejected { reason } = e { Some(*reason) } else { None }) {
        Some(r) => Err(r),
        None => {
            g.submit(Command::WithdrawalRelease { withdrawal_id: id }).await.unwrap();
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_path_from_signup_to_trading() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut alice, account) = signed_up(kit, "alice@example.com").await;
    let (id, user) = (account["id"].as_u64().unwrap(), account["user_id"].as_u64().unwrap() as u32);
    assert_eq!((account["kyc_level"].as_u64(), account["email_verified"].as_bool()), (Some(0), Some(false)), "{account}");

    // Level 0: the engine refuses orders (Bitkub code 25) and every withdrawal.
    let (s, v) = alice.post("/web/api/orders", ORDER()).await;
    assert_eq!((s.as_u16(), v["error"].as_str(), v["bitkub_code"].as_u64()), (422, Some("rejected"), Some(25)), "{v}");
    assert_eq!(hold(kit, user, "THB", 1, 1).await, Err(RejectReason::WithdrawalLimitExceeded));
    assert_eq!(hold(kit, user, "BTC", 1, 2).await, Err(RejectReason::WithdrawalLimitExceeded));
    let (_, st) = alice.get("/web/api/kyc").await;
    assert_eq!((st["next_step"].as_str(), st["level"].as_u64(), st["waitlist"].clone()), (Some("verify_email"), Some(0), Value::Null), "{st}");

    // Email: a wrong token is refused by its field, a resend within the minute is 429, the
    // mailed one verifies once.
    let (s, v) = alice.post("/web/api/email/verify", json!({"token": "ab".repeat(32)})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("token")), "{v}");
    let (s, v) = alice.post("/web/api/email/resend", json!({})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (429, Some("rate_limited")), "{v}");
    let token = mailed_token(kit, "alice@example.com").await;
    let (s, v) = alice.post("/web/api/email/verify", json!({"token": token})).await;
    assert_eq!((s.as_u16(), v["account"]["email_verified"].as_bool()), (200, Some(true)), "{v}");
    let (s, v) = alice.post("/web/api/email/verify", json!({"token": token})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("token")), "used: {v}");
    let stored = kit.web.store.web_account(id).await.unwrap().unwrap();
    assert!(stored.email_verified_ms.is_some());

    // Documents; level 1 is refused until admitted.
    let photo = document(&mut alice, "id_photo", 1).await;
    let selfie = document(&mut alice, "selfie", 2).await;
    let form = level1_form(&thai_id("110170023070"), photo, selfie);
    if stored.admitted_ms.is_none() {
        let (_, st) = alice.get("/web/api/kyc").await;
        assert_eq!(st["next_step"], "wait_admission", "{st}");
        let (s, v) = alice.post("/web/api/kyc/level1", form.clone()).await;
        assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("waitlist"), "{v}");
        kit.web.store.kyc_mark_admitted(id, kit.web.gateway.now_ms()).await.unwrap();
    }
    let app = submit_level1(&mut alice, form.clone()).await;
    assert_eq!(
        (app["status"].as_str(), app["identity"]["outcome"].as_str(), app["identity"]["provider"].as_str()),
        (Some("submitted"), Some("verified"), Some("simulator")),
        "{app}"
    );
    assert_eq!((app["screening"].as_str(), app["risk"]["rating"].as_str()), (Some("clear"), Some("low")), "{app}");
    let app_id = app["id"].as_u64().unwrap();
    let (s, v) = alice.post("/web/api/kyc/level1", form.clone()).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("id_photo_document")), "the documents are used: {v}");

    // The knowledge test: the public view has no answers; a failed attempt, then a pass, both stored.
    let (_, st) = alice.get("/web/api/kyc").await;
    assert_eq!(st["next_step"], "knowledge_test", "{st}");
    let (s, t) = alice.get("/web/api/kyc/knowledge-test").await;
    assert_eq!(s, 200);
    assert!(!t.to_string().contains("\"correct\""), "{t}");
    assert!(t["questions"].as_array().unwrap().len() >= 2);
    let (s, v) = alice.post("/web/api/kyc/knowledge-test", json!({"answers": wrong_answers()})).await;
    assert_eq!((s.as_u16(), v["passed"].as_bool(), v["score_pct"].as_u64()), (200, Some(false), Some(0)), "{v}");
    let (s, v) = alice.post("/web/api/kyc/knowledge-test", json!({"answers": {"nope": "a"}})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("answers")), "{v}");
    pass_knowledge(&mut alice).await;
    let results = kit.web.store.knowledge_results(id, 10).await.unwrap();
    assert_eq!(results.iter().map(|r| r.passed).collect::<Vec<_>>(), vec![true, false]);
    assert!(results.iter().all(|r| r.test_version == t["version"].as_str().unwrap()));
    let (_, st) = alice.get("/web/api/kyc").await;
    assert_eq!((st["next_step"].as_str(), st["knowledge"]["passed"].as_bool()), (Some("wait_review"), Some(true)), "{st}");
    // Not approved yet: still level 0, still refused.
    let (s, v) = alice.post("/web/api/orders", ORDER()).await;
    assert_eq!((s.as_u16(), v["bitkub_code"].as_u64()), (422, Some(25)), "{v}");

    // The reviewer's queue and the application with everything on it.
    let mut staff = staff_browsers(kit).await;
    let kyc = staff_of(&mut staff, Role::Kyc);
    let (s, q) = kyc.get("/web/api/console/kyc/applications").await;
    assert_eq!(s, 200, "{q}");
    let listed = q["applications"].as_array().unwrap().iter().find(|a| a["id"] == app_id).expect("queued").clone();
    assert_eq!((listed["customer_email"].as_str(), listed["sla_state"].as_str()), (Some("alice@example.com"), Some("ok")), "{listed}");
    assert_eq!(q["counts"]["submitted"], 1);
    let (s, d) = kyc.get(&format!("/web/api/console/kyc/applications/{app_id}")).await;
    assert_eq!(s, 200, "{d}");
    let a = &d["application"];
    let keys: BTreeSet<&str> = a["data"].as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "id_type",
        "id_number",
        "laser_code",
        "passport_country",
        "passport_expiry",
        "first_name_th",
        "last_name_th",
        "first_name_en",
        "last_name_en",
        "dob",
        "nationality",
        "address",
        "occupation",
        "source_of_funds",
        "expected_monthly_thb",
        "fatca_us_person",
        "id_photo_document",
        "selfie_document",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, expected);
    assert_eq!(
        (a["data"]["dob"].as_str(), a["data"]["laser_code"].as_str(), a["data"]["nationality"].as_str()),
        (Some("1990-05-17"), Some("JC1234567890"), Some("THA"))
    );
    assert_eq!(a["documents"].as_array().unwrap().len(), 2);
    let evidence = a["identity"]["evidence"].to_string();
    assert!(!evidence.contains(&thai_id("110170023070")) && evidence.contains("*********"), "masked: {evidence}");
    assert_eq!(a["identity"]["evidence"]["request"]["dob_be"], "25330517");
    let kinds: Vec<&str> = a["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["submitted", "identity", "screening", "risk"]);
    assert_eq!(d["customer"]["email"], "alice@example.com");

    // Reviewers read the documents; other roles may not.
    let resp = kyc.http.get(format!("{}/web/api/console/kyc/documents/{photo}", kyc.base)).send().await.unwrap();
    assert_eq!((resp.status().as_u16(), resp.headers()["content-type"].to_str().unwrap().to_string()), (200, "image/png".to_string()));
    // What they read is the photo's pixels, re-encoded: what rode along was never stored.
    let stored = resp.bytes().await.unwrap();
    assert!(stored.starts_with(b"\x89PNG") && !stored.windows(RIDE_ALONG.len()).any(|w| w == RIDE_ALONG), "only the image is stored");
    assert_eq!(pixels(&stored), pixels(&png(640, 480, 4096, 1)));
    let (s, _) = staff_of(&mut staff, Role::Operator).get(&format!("/web/api/console/kyc/documents/{photo}")).await;
    assert_eq!(s, 403);

    // Approval: support may not; kyc may (audited either way), which lifts the customer to level 1.
    let approve = format!("/web/api/console/kyc/applications/{app_id}/approve");
    let (s, _) = staff_of(&mut staff, Role::Support).post(&approve, json!({"reason": "docs fine"})).await;
    assert_eq!(s, 403);
    let kyc = staff_of(&mut staff, Role::Kyc);
    let (s, v) = kyc.post(&approve, json!({})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("reason")), "{v}");
    let (s, v) = kyc.post(&approve, json!({"reason": "ID card and selfie match; DOPA verified"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["application"]["status"].as_str(), v["customer_level"].as_u64()), (Some("approved"), Some(1)), "{v}");
    let (s, v) = kyc.post(&approve, json!({"reason": "again"})).await;
    assert_eq!(s, 409, "{v}");
    let account = kit.web.store.web_account(id).await.unwrap().unwrap();
    assert_eq!((account.kyc_level, account.risk_rating.as_deref()), (1, Some("low")));
    assert!(account.next_review_ms.unwrap() > kit.web.gateway.now_ms() + 2 * 365 * 86_400_000);
    let audit = kit.web.store.audit_entries(None, 100).await.unwrap();
    let approvals: Vec<&str> = audit.iter().filter(|e| e.action == "kyc.approve").map(|e| e.outcome.as_str()).collect();
    assert!(approvals.contains(&"ok") && approvals.iter().any(|o| o.starts_with("forbidden")), "{approvals:?}");
    assert!(outbox(kit).await.iter().any(|m| m.to_addr == "alice@example.com" && m.kind == "kyc.approved"));
    let (_, st) = alice.get("/web/api/kyc").await;
    assert_eq!((st["level"].as_u64(), st["next_step"].as_str()), (Some(1), Some("done_level1")), "{st}");

    // Level 1: the same order goes through; withdrawals are within the level-1 limits
    // (2,500,000 THB a day; BTC at its 3,500,000 THB price: 0.71428571 BTC).
    let (s, v) = alice.post("/web/api/orders", ORDER()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(hold(kit, user, "THB", 100_000, 3).await, Ok(()));
    assert_eq!(hold(kit, user, "BTC", 100_000_000, 4).await, Err(RejectReason::WithdrawalLimitExceeded));
    assert_eq!(hold(kit, user, "BTC", 71_428_571, 5).await, Ok(()));

    // Level 2: income documents, approved.
    let income = document(&mut alice, "income", 0).await;
    let (s, v) = alice.post("/web/api/kyc/level2", json!({"documents": [photo]})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("documents")), "an ID photo is not an income document: {v}");
    let (s, v) = alice.post("/web/api/kyc/level2", json!({"documents": [income], "note": "payslips"})).await;
    assert_eq!(s, 201, "{v}");
    let l2 = v["application"]["id"].as_u64().unwrap();
    let (s, v) = staff_of(&mut staff, Role::Kyc).post(&format!("/web/api/console/kyc/applications/{l2}/approve"), json!({"reason": "payslips fine"})).await;
    assert_eq!((s.as_u16(), v["customer_level"].as_u64()), (200, Some(2)), "{v}");
    let (_, st) = alice.get("/web/api/kyc").await;
    assert_eq!((st["level"].as_u64(), st["next_step"].as_str()), (Some(2), Some("done")), "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_high_risk_customer_needs_two_different_reviewers() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut bob, id) = ready(kit, "bob@example.com").await;
    let (photo, selfie) = (document(&mut bob, "id_photo", 3).await, document(&mut bob, "selfie", 4).await);
    let mut form = level1_form(&thai_id("310170023070"), photo, selfie);
    // A casino worker (3 points) with "other" funds (3 points): high risk.
    form["occupation"] = "casino".into();
    form["source_of_funds"] = "other".into();
    let app = submit_level1(&mut bob, form).await;
    assert_eq!(app["risk"]["rating"], "high", "{app}");
    let app_id = app["id"].as_u64().unwrap();
    pass_knowledge(&mut bob).await;

    let mut staff = staff_browsers(kit).await;
    kit.web.create_staff("kyc2@staff.test", "staff password 1", Role::Kyc).await.unwrap();
    let mut second = Browser::new(kit);
    let (s, _) = second.post("/web/api/console/login", json!({"email": "kyc2@staff.test", "password": "staff password 1"})).await;
    assert_eq!(s, 200);

    let approve = format!("/web/api/console/kyc/applications/{app_id}/approve");
    let first = staff_of(&mut staff, Role::Kyc);
    let (s, v) = first.post(&approve, json!({"reason": "enhanced due diligence done"})).await;
    assert_eq!((s.as_u16(), v["awaiting_second_reviewer"].as_bool(), v["application"]["status"].as_str()), (200, Some(true), Some("submitted")), "{v}");
    let (s, v) = first.post(&approve, json!({"reason": "me again"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    assert_eq!(kit.web.store.web_account(id).await.unwrap().unwrap().kyc_level, 0);
    let (s, v) = second.post(&approve, json!({"reason": "second look: agreed"})).await;
    assert_eq!((s.as_u16(), v["application"]["status"].as_str(), v["customer_level"].as_u64()), (200, Some("approved"), Some(1)), "{v}");
    let kinds: Vec<&str> = v["application"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.ends_with(&["first_approval", "approved"]), "{kinds:?}");
    let account = kit.web.store.web_account(id).await.unwrap().unwrap();
    assert_eq!((account.kyc_level, account.risk_rating.as_deref()), (1, Some("high")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_ask_for_more_information_and_reject() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut carol, _) = ready(kit, "carol@example.com").await;
    let (photo, selfie) = (document(&mut carol, "id_photo", 5).await, document(&mut carol, "selfie", 6).await);
    let app = submit_level1(&mut carol, level1_form(&thai_id("510170023070"), photo, selfie)).await;
    let app_id = app["id"].as_u64().unwrap();
    let mut staff = staff_browsers(kit).await;
    let kyc = staff_of(&mut staff, Role::Kyc);
    let (s, v) = kyc.post(&format!("/web/api/console/kyc/applications/{app_id}/assign"), json!({"staff_id": 1_000_000})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("staff_id")), "{v}");
    let me = kyc.get("/web/api/console/me").await.1["staff"]["id"].as_u64().unwrap();
    let (s, v) = kyc.post(&format!("/web/api/console/kyc/applications/{app_id}/assign"), json!({"staff_id": me})).await;
    assert_eq!((s.as_u16(), v["application"]["assignee"].as_u64()), (200, Some(me)), "{v}");
    let (_, q) = kyc.get("/web/api/console/kyc/applications?assignee=me").await;
    assert_eq!(q["applications"].as_array().unwrap().len(), 1, "{q}");

    let (s, v) =
        kyc.post(&format!("/web/api/console/kyc/applications/{app_id}/request-info"), json!({"reason": "The selfie is blurred; please take a new one."})).await;
    assert_eq!((s.as_u16(), v["application"]["status"].as_str()), (200, Some("more_info")), "{v}");
    assert!(outbox(kit).await.iter().any(|m| m.to_addr == "carol@example.com" && m.kind == "kyc.more_info" && m.body.contains("blurred")));
    let (_, st) = carol.get("/web/api/kyc").await;
    assert_eq!(
        (st["next_step"].as_str(), st["application"]["requested_info"].as_str()),
        (Some("provide_more_info"), Some("The selfie is blurred; please take a new one.")),
        "{st}"
    );
    let (s, _) = kyc.post(&format!("/web/api/console/kyc/applications/{app_id}/approve"), json!({"reason": "no"})).await;
    assert_eq!(s, 409, "waiting for the customer");

    let new_selfie = document(&mut carol, "selfie", 7).await;
    let (s, v) = carol.post(&format!("/web/api/kyc/applications/{app_id}/info"), json!({"text": "Here is a sharper one.", "documents": [new_selfie]})).await;
    assert_eq!((s.as_u16(), v["application"]["status"].as_str()), (200, Some("submitted")), "{v}");
    let (s, _) = carol.post(&format!("/web/api/kyc/applications/{app_id}/info"), json!({"text": "again"})).await;
    assert_eq!(s, 409);

    let kyc = staff_of(&mut staff, Role::Kyc);
    let (s, v) = kyc.post(&format!("/web/api/console/kyc/applications/{app_id}/reject"), json!({"reason": "The documents do not match."})).await;
    assert_eq!((s.as_u16(), v["application"]["status"].as_str()), (200, Some("rejected")), "{v}");
    let (s, v) = kyc.get(&format!("/web/api/console/kyc/applications/{app_id}")).await;
    assert_eq!(s, 200);
    let kinds: Vec<&str> = v["application"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["submitted", "identity", "screening", "risk", "assigned", "info_requested", "info_provided", "rejected"]);
    assert_eq!(v["application"]["documents"].as_array().unwrap().len(), 3);
    let (_, st) = carol.get("/web/api/kyc").await;
    assert_eq!(st["next_step"], "submit_level1", "{st}");
    let audit = kit.web.store.audit_entries(None, 100).await.unwrap();
    for action in ["kyc.assign", "kyc.request_info", "kyc.reject"] {
        assert!(audit.iter().any(|e| e.action == action && e.outcome == "ok"), "{action}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_by_field_and_store_nothing() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut dave, id) = ready(kit, "dave@example.com").await;
    let (photo, selfie) = (document(&mut dave, "id_photo", 8).await, document(&mut dave, "selfie", 9).await);
    let (mut erin, _) = ready(kit, "erin@example.com").await;
    let erins = document(&mut erin, "id_photo", 10).await;

    // Uploads: too large, not an image, a PDF as a photo, too small in pixels, cut short (a
    // whole header, half the pixels), unknown purpose.
    let big = png(640, 480, MAX_UPLOAD + 1, 0);
    let whole = png(640, 480, 8192, 0);
    let cut_short = whole[..whole.len() / 2].to_vec();
    let files_before = stored_files(env.dir.path());
    for (purpose, bytes, field) in [
        ("id_photo", big.clone(), "data_base64"),
        ("id_photo", b"<html><script>alert(1)</script></html>".repeat(100), "data_base64"),
        ("selfie", pdf(4096), "data_base64"),
        ("selfie", png(100, 100, 4096, 0), "data_base64"),
        ("selfie", cut_short, "data_base64"),
        ("passport_scan", png(640, 480, 4096, 0), "purpose"),
    ] {
        let (s, v) = upload(&mut dave, purpose, &bytes).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some(field)), "{purpose}: {v}");
    }
    let (_, v) = upload(&mut dave, "selfie", &whole[..whole.len() - 100]).await;
    assert_eq!(v["message"], "the image could not be read; it may be damaged", "{v}");
    assert_eq!(kit.web.store.kyc_documents_of_account(id).await.unwrap().len(), 2, "no refused upload is stored");
    assert_eq!(stored_files(env.dir.path()), files_before, "no refused upload's file is written");

    let good = level1_form(&thai_id("110170023071"), photo, selfie);
    let wrong_digit = {
        let ok = thai_id("110170023071");
        let last = ok.as_bytes()[12] - b'0';
        format!("{}{}", &ok[..12], (last + 1) % 10)
    };
    let next_year = format!("{}-01-01", talat_onboarding::Date::today_in_bangkok(kit.web.gateway.now_ms()).year() + 1);
    let nineteen = {
        let t = talat_onboarding::Date::today_in_bangkok(kit.web.gateway.now_ms());
        format!("{}-01-01", t.year() - 19)
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("id_number", json!(wrong_digit), "id_number"),
        ("laser_code", json!("JC12345"), "laser_code"),
        ("dob", json!(next_year), "dob"),
        ("dob", json!(nineteen), "dob"),
        ("first_name_en", json!("<script>alert(1)</script>"), "first_name_en"),
        ("last_name_th", json!("<b>ใจดี</b>"), "last_name_th"),
        ("nationality", json!("XYZ"), "nationality"),
        ("source_of_funds", json!("lottery"), "source_of_funds"),
        ("expected_monthly_thb", json!(-5), "expected_monthly_thb"),
        ("address", json!("x"), "address"),
        ("occupation", json!("Evil Corp!"), "occupation"),
        ("id_photo_document", json!(erins), "id_photo_document"),
        ("selfie_document", json!(photo), "selfie_document"),
        ("id_photo_document", json!(selfie), "id_photo_document"),
        ("id_type", json!("driving_licence"), "id_type"),
    ];
    for (key, value, field) in cases {
        let mut form = good.clone();
        form[key] = value.clone();
        let (s, v) = dave.post("/web/api/kyc/level1", form).await;
        assert_eq!((s.as_u16(), v["error"].as_str(), v["field"].as_str()), (400, Some("invalid"), Some(field)), "{key} = {value}: {v}");
    }
    // A passport that expired.
    let mut passport = good.clone();
    passport["id_type"] = "passport".into();
    passport["id_number"] = "AB1234567".into();
    passport["passport_country"] = "GBR".into();
    passport["passport_expiry"] = "2001-01-01".into();
    let (s, v) = dave.post("/web/api/kyc/level1", passport).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("passport_expiry")), "{v}");
    assert!(kit.web.store.kyc_applications_of_account(id).await.unwrap().is_empty(), "nothing stored");
    assert!(kit.web.store.kyc_documents_of_account(id).await.unwrap().iter().all(|d| d.application_id.is_none()));

    // The same ID on a second account: refused with 409, nothing stored for the second.
    submit_level1(&mut dave, good.clone()).await;
    let erin_selfie = document(&mut erin, "selfie", 11).await;
    let mut dup = good.clone();
    dup["id_photo_document"] = erins.into();
    dup["selfie_document"] = erin_selfie.into();
    let (s, v) = erin.post("/web/api/kyc/level1", dup).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("another account"), "{v}");
    let erin_id = kit.web.store.web_account_by_email("erin@example.com").await.unwrap().unwrap().id;
    assert!(kit.web.store.kyc_applications_of_account(erin_id).await.unwrap().is_empty());

    // An unverified email blocks level 1 (409, readable).
    let (mut frank, _) = signed_up(kit, "frank@example.com").await;
    let (p, q) = (document(&mut frank, "id_photo", 12).await, document(&mut frank, "selfie", 13).await);
    let (s, v) = frank.post("/web/api/kyc/level1", level1_form(&thai_id("810170023070"), p, q)).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (409, Some("conflict")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("verify your email"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_roles_on_the_kyc_routes() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut gina, _) = ready(kit, "gina@example.com").await;
    let (photo, selfie) = (document(&mut gina, "id_photo", 14).await, document(&mut gina, "selfie", 15).await);
    let app_id = submit_level1(&mut gina, level1_form(&thai_id("110170023072"), photo, selfie)).await["id"].as_u64().unwrap();
    let mut staff = staff_browsers(kit).await;
    let list = "/web/api/console/kyc/applications".to_string();
    let show = format!("{list}/{app_id}");
    let reject = format!("{list}/{app_id}/reject");
    for (role, b) in staff.iter_mut() {
        let reads = matches!(role, Role::Kyc | Role::Compliance | Role::Admin);
        assert_eq!(b.get(&list).await.0.as_u16(), if reads { 200 } else { 403 }, "{role:?} list");
        assert_eq!(b.get(&show).await.0.as_u16(), if reads { 200 } else { 403 }, "{role:?} show");
        if !matches!(role, Role::Kyc | Role::Admin) {
            let (s, _) = b.post(&reject, json!({"reason": "no"})).await;
            assert_eq!(s, 403, "{role:?} reject");
        }
    }
    // The customer's session does not open the console.
    assert_eq!(gina.get(&list).await.0.as_u16(), 401);
    let (s, _) = staff_of(&mut staff, Role::Admin).post(&reject, json!({"reason": "test"})).await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_screening_hits_block_approval_and_a_lock_is_respected() {
    let env = start_kyc().await;
    let kit = &env.kit;
    let (mut hana, id) = ready(kit, "hana@example.com").await;
    let user = kit.web.store.web_account(id).await.unwrap().unwrap().user.0;
    let (photo, selfie) = (document(&mut hana, "id_photo", 16).await, document(&mut hana, "selfie", 17).await);
    let app_id = submit_level1(&mut hana, level1_form(&thai_id("110170023073"), photo, selfie)).await["id"].as_u64().unwrap();
    pass_knowledge(&mut hana).await;
    let mut staff = staff_browsers(kit).await;

    // An open hit (as the screening module records them) blocks the approval.
    kit.web
        .store
        .execute_raw(&format!(
            "INSERT INTO screening_hits (account_id, list_name, entity_id, entity_version, score_milli, matched_name, reasons, status, created_ms) \
             VALUES ({id}, 'un', 'QDi.9', 1, 910, 'Hana Example', '[\"name\"]', 'open', 1)"
        ))
        .await
        .unwrap();
    let approve = format!("/web/api/console/kyc/applications/{app_id}/approve");
    let (s, v) = staff_of(&mut staff, Role::Kyc).post(&approve, json!({"reason": "ok"})).await;
    assert_eq!((s.as_u16(), v["message"].as_str()), (409, Some("resolve the screening hits first")), "{v}");
    let (_, d) = staff_of(&mut staff, Role::Compliance).get(&format!("/web/api/console/kyc/applications/{app_id}")).await;
    assert_eq!(d["application"]["screening_hits"][0]["entity_id"], "QDi.9", "{d}");
    kit.web.store.execute_raw(&format!("UPDATE screening_hits SET status = 'cleared' WHERE account_id = {id}")).await.unwrap();

    // Compliance locks the customer; the approval records level 1 but does not lift the lock.
    let (s, v) =
        staff_of(&mut staff, Role::Compliance).post(&format!("/web/api/console/users/{user}/lock"), json!({"locked": true, "reason": "investigation"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = staff_of(&mut staff, Role::Kyc).post(&approve, json!({"reason": "ok"})).await;
    assert_eq!((s.as_u16(), v["customer_level"].as_u64()), (200, Some(1)), "{v}");
    let (s, v) = hana.post("/web/api/orders", ORDER()).await;
    assert_eq!((s.as_u16(), v["bitkub_code"].as_u64()), (403, Some(56)), "still locked, and told it is suspended: {v}");
    // Unlocking restores the level-1 limits saved at approval.
    let (s, v) =
        staff_of(&mut staff, Role::Compliance).post(&format!("/web/api/console/users/{user}/lock"), json!({"locked": false, "reason": "cleared"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = hana.post("/web/api/orders", ORDER()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(hold(kit, user, "BTC", 100_000_000, 1).await, Err(RejectReason::WithdrawalLimitExceeded));
}
