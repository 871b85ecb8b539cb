//! A customer's account security through the web API of a live exchange: changing the password
//! ends the other sessions, a forgotten password is reset by a mailed single-use link that
//! expires, sessions are listed and signed out, and each change sends a security mail.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "a good password";

async fn login(kit: &Kit, email: &str, password: &str) -> (StatusCode, Browser) {
    let mut b = Browser::new(kit);
    let (s, _) = b.post("/web/api/login", json!({"email": email, "password": password})).await;
    (s, b)
}

async fn mails_to(kit: &Kit, to: &str) -> Vec<talat_store::MailRow> {
    kit.web.store.outbox(500).await.unwrap().into_iter().filter(|m| m.to_addr == to && m.kind == "security").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_the_other_sessions() {
    let kit = start(relaxed()).await;
    let (mut a, _) = signed_up(&kit, "somchai@example.com").await;
    let (s, mut phone) = login(&kit, "somchai@example.com", PASSWORD).await;
    assert_eq!(s, 200);
    let new_sign_in = mails_to(&kit, "somchai@example.com").await;
    assert!(new_sign_in.iter().any(|m| m.subject.contains("New sign-in") && m.body.contains("a new device")), "a new device is told of: {new_sign_in:?}");

    let (_, list) = a.get("/web/api/sessions").await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["ip"] == "127.0.0.1"));

    // Bad inputs change nothing.
    for (body, field) in [
        (json!({"current": "wrong password", "password": "another good one"}), "current"),
        (json!({"current": PASSWORD, "password": PASSWORD}), "password"),
        (json!({"current": PASSWORD, "password": "short"}), "password"),
    ] {
        let (s, v) = a.post("/web/api/password/change", body).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{v}");
    }
    assert_eq!(phone.get("/web/api/me").await.0, 200, "nothing changed yet");

    let (s, v) = a.post("/web/api/password/change", json!({"current": PASSWORD, "password": "another good one"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sessions_ended"], 1);
    assert_eq!(phone.get("/web/api/me").await.0, 401, "the other session ended");
    assert_eq!(a.get("/web/api/me").await.0, 200, "this one goes on");
    assert_eq!(login(&kit, "somchai@example.com", PASSWORD).await.0, 401);
    assert_eq!(login(&kit, "somchai@example.com", "another good one").await.0, 200);
    assert!(mails_to(&kit, "somchai@example.com").await.iter().any(|m| m.subject.contains("Password changed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_by_a_single_use_link() {
    let kit = start(relaxed()).await;
    let (mut a, _) = signed_up(&kit, "malee@example.com").await;
    let mut anonymous = Browser::new(&kit);
    let (s, v) = anonymous.post("/web/api/password/forgot", json!({"email": "nobody@example.com"})).await;
    assert_eq!((s, v["sent"].as_bool()), (StatusCode::OK, Some(true)), "the same answer for an unknown address");
    assert!(mails_to(&kit, "nobody@example.com").await.is_empty());

    let (s, _) = anonymous.post("/web/api/password/forgot", json!({"email": "Malee@Example.com"})).await;
    assert_eq!(s, 200);
    let mail = mails_to(&kit, "malee@example.com").await.into_iter().find(|m| m.subject.contains("Reset your password")).expect("a reset mail");
    let token = mail.body.split("reset-password?token=").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(mail.body.contains("30 minutes") && !mail.body.contains("รหัสผ่าน"), "in English only: {}", mail.body);

    let (s, v) = anonymous.post("/web/api/password/reset", json!({"token": token, "password": "short"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("password")), "{v}");
    let (s, v) = anonymous.post("/web/api/password/reset", json!({"token": "not-a-token", "password": "a brand new one"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("token")), "{v}");
    let (s, v) = anonymous.post("/web/api/password/reset", json!({"token": token, "password": "a brand new one"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = anonymous.post("/web/api/password/reset", json!({"token": token, "password": "yet another one"})).await;
    assert_eq!(s, 400, "a link works once");
    assert_eq!(a.get("/web/api/me").await.0, 401, "every session ended");
    assert_eq!(login(&kit, "malee@example.com", "a brand new one").await.0, 200);
    assert!(mails_to(&kit, "malee@example.com").await.iter().any(|m| m.subject.contains("Password reset")));

    // An expired link does nothing; asking for a new one makes the older ones stop working.
    anonymous.post("/web/api/password/forgot", json!({"email": "malee@example.com"})).await;
    kit.web.store.execute_raw("UPDATE password_resets SET expires_ms = 1 WHERE used_ms IS NULL").await.unwrap();
    let mails = mails_to(&kit, "malee@example.com").await;
    let latest = mails.iter().filter(|m| m.subject.contains("Reset your password")).max_by_key(|m| m.id).unwrap();
    let expired = latest.body.split("reset-password?token=").nth(1).unwrap().split_whitespace().next().unwrap();
    let (s, v) = anonymous.post("/web/api/password/reset", json!({"token": expired, "password": "a brand new two"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("token")), "{v}");
    assert_eq!(login(&kit, "malee@example.com", "a brand new one").await.0, 200, "the password stayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_signed_out_one_by_one_or_everywhere_else() {
    let kit = start(relaxed()).await;
    let (mut a, _) = signed_up(&kit, "niran@example.com").await;
    let (_, mut b) = login(&kit, "niran@example.com", PASSWORD).await;
    let (_, mut c) = login(&kit, "niran@example.com", PASSWORD).await;
    let (_, list) = a.get("/web/api/sessions").await;
    let other = list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();
    let mine = list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(a.delete(&format!("/web/api/sessions/{mine}")).await.0, 400, "not the session in use");
    assert_eq!(a.delete("/web/api/sessions/0000000000000000").await.0, 404);
    assert_eq!(a.delete(&format!("/web/api/sessions/{other}")).await.0, 200);
    let alive = [b.get("/web/api/me").await.0, c.get("/web/api/me").await.0];
    assert_eq!(alive.iter().filter(|s| **s == 401).count(), 1, "exactly that one ended: {alive:?}");
    let (s, v) = a.post("/web/api/sessions/logout-others", json!({})).await;
    assert_eq!((s, v["ended"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(b.get("/web/api/me").await.0, 401);
    assert_eq!(c.get("/web/api/me").await.0, 401);
    assert_eq!(a.get("/web/api/sessions").await.1["sessions"].as_array().unwrap().len(), 1);

    // 2FA and API keys send their mails too.
    let (_, setup) = a.post("/web/api/2fa/setup", json!({})).await;
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap();
    let (s, v) = a.post("/web/api/2fa/enable", json!({"code": totp.generate_current().unwrap()})).await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = a.post("/web/api/keys", json!({"permissions": ["trade"]})).await;
    assert_eq!(s, 200);
    let subjects: Vec<String> = mails_to(&kit, "niran@example.com").await.into_iter().map(|m| m.subject).collect();
    assert!(subjects.iter().any(|s| s.contains("Two-factor authentication turned on")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("New API key")), "{subjects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_setup_has_a_qr_code_and_ten_single_use_backup_codes() {
    let kit = start(relaxed()).await;
    let (mut a, _) = signed_up(&kit, "kanya@example.com").await;
    let (s, setup) = a.post("/web/api/2fa/setup", json!({})).await;
    assert_eq!(s, 200, "{setup}");
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD.decode(setup["qr_png_base64"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG an authenticator app scans");
    let secret = totp_rs::Secret::Encoded(setup["secret"].as_str().unwrap().to_string()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "x".into()).unwrap();
    let (s, v) = a.post("/web/api/2fa/enable", json!({"code": totp.generate_current().unwrap()})).await;
    assert_eq!(s, 200, "{v}");
    let codes: Vec<String> = v["backup_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(a.get("/web/api/2fa/backup-codes").await.1["left"], 10);

    let sign_in = |code: String| {
        let kit = &kit;
        async move {
            let mut b = Browser::new(kit);
            b.post("/web/api/login", json!({"email": "kanya@example.com", "password": PASSWORD, "totp": code})).await.0
        }
    };
    assert_eq!(sign_in("ZZZZZ-ZZZZZ".into()).await, 401, "a code that is not theirs");
    assert_eq!(sign_in(codes[0].to_lowercase().replace('-', "")).await, 200, "typed in any case, without the dash");
    assert_eq!(sign_in(codes[0].clone()).await, 401, "each works once");
    assert_eq!(a.get("/web/api/2fa/backup-codes").await.1["left"], 9);
    assert!(mails_to(&kit, "kanya@example.com").await.iter().any(|m| m.subject.contains("backup code was used") && m.body.contains("9 are left")));

    // New codes for a current 2FA code; the old ones stop working.
    kit.web.store.execute_raw("UPDATE web_accounts SET totp_last_step = 0").await.unwrap();
    let (s, v) = a.post("/web/api/2fa/backup-codes", json!({"code": "000000"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("code")), "{v}");
    let (s, v) = a.post("/web/api/2fa/backup-codes", json!({"code": totp.generate_current().unwrap()})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(sign_in(codes[1].clone()).await, 401, "replaced");
    assert_eq!(sign_in(v["backup_codes"][0].as_str().unwrap().to_string()).await, 200);
}

async fn outbox_to(kit: &Kit, to: &str) -> Vec<talat_store::MailRow> {
    kit.web.store.outbox(500).await.unwrap().into_iter().filter(|m| m.to_addr == to).collect()
}

async fn latest_reset_mail(kit: &Kit, anonymous: &mut Browser, email: &str) -> talat_store::MailRow {
    let (s, _) = anonymous.post("/web/api/password/forgot", json!({"email": email})).await;
    assert_eq!(s, 200);
    mails_to(kit, email).await.into_iter().max_by_key(|m| m.id).expect("a reset mail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mails_come_in_the_customers_language() {
    let kit = start(relaxed()).await;
    let mut anonymous = Browser::new(&kit);
    // A language that is not Thai or English is refused, and no account is made.
    let (s, v) = anonymous.post("/web/api/signup", json!({"email": "kenji@example.com", "password": "a good password", "lang": "ja"})).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("lang")), "{v}");
    assert!(kit.web.store.web_account_by_email("kenji@example.com").await.unwrap().is_none());
    assert!(outbox_to(&kit, "kenji@example.com").await.is_empty());

    // No `lang`: the browser's Accept-Language decides (Thai here).
    let resp = anonymous
        .http
        .post(format!("{}/web/api/signup", anonymous.base))
        .header("Accept-Language", "th-TH,th;q=0.9,en;q=0.8")
        .json(&json!({"email": "pim@example.com", "password": "a good password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["account"]["lang"], "th");
    let verify = outbox_to(&kit, "pim@example.com").await.into_iter().find(|m| m.kind == "email.verify").expect("a verification mail");
    assert!(verify.subject.contains("ยืนยันที่อยู่อีเมล") && verify.body.contains("#/verify?token=") && !verify.body.contains("Please"), "{verify:?}");

    // A Thai customer's security mails are in Thai only, the link included.
    let (mut thai, account) = signed_up_in(&kit, "somsri@example.com", "th").await;
    assert_eq!(account["lang"], "th");
    let reset = latest_reset_mail(&kit, &mut anonymous, "somsri@example.com").await;
    assert!(reset.subject.contains("ตั้งรหัสผ่านใหม่") && reset.body.contains("30 นาที") && reset.body.contains("reset-password?token="), "{reset:?}");
    assert!(!reset.body.contains("minutes") && !reset.subject.contains("Reset"), "no English: {reset:?}");

    // A bad language changes nothing; a good one changes the next mail's.
    for bad in [json!({"lang": "EN"}), json!({"lang": 1}), json!({})] {
        let (s, v) = thai.post("/web/api/language", bad.clone()).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("lang")), "{bad}: {v}");
    }
    assert_eq!(thai.get("/web/api/me").await.1["account"]["lang"], "th");
    let (s, v) = thai.post("/web/api/language", json!({"lang": "en"})).await;
    assert_eq!((s, &v["account"]["lang"]), (StatusCode::OK, &json!("en")), "{v}");
    let reset = latest_reset_mail(&kit, &mut anonymous, "somsri@example.com").await;
    assert!(reset.subject.contains("Reset your password") && reset.body.contains("30 minutes") && !reset.body.contains("นาที"), "{reset:?}");

    // Only a signed-in customer sets a language.
    assert_eq!(Browser::new(&kit).post("/web/api/language", json!({"lang": "th"})).await.0, StatusCode::UNAUTHORIZED);
}
