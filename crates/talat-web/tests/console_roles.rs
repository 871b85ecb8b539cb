//! The console fits each role (issue 21): `me` says which actions a role may take and the
//! routes still refuse the others; user search finds API-only accounts; support's customer
//! picture; admins' staff changes under four eyes (invite with a one-time set-password link,
//! disable ending sessions and logins, change of role), every bad input a clear 4xx that
//! changes nothing, and every step in the audit log.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use talat_web::Role;

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap_or_else(|| panic!("a list: {v}")).iter().map(|x| x.as_str().unwrap()).collect()
}

fn staff_of(browsers: &mut [(Role, Browser)], role: Role) -> &mut Browser {
    &mut browsers.iter_mut().find(|(r, _)| *r == role).expect("a browser per role").1
}

async fn audit_actions(kit: &Kit) -> Vec<(String, String)> {
    kit.web.store.audit_entries(None, 500).await.unwrap().into_iter().map(|e| (e.action, e.outcome)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_lists_each_roles_actions_and_the_server_still_refuses_the_rest() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let (_, me) = staff_of(&mut staff, Role::Admin).get("/web/api/console/me").await;
    let admin = strings(&me["permissions"]);
    for p in ["market.mode", "market.fees", "market.band", "maintenance", "user.lock", "staff.manage"] {
        assert!(admin.contains(&p), "{p} in {admin:?}");
    }
    let (_, me) = staff_of(&mut staff, Role::Operator).get("/web/api/console/me").await;
    let operator = strings(&me["permissions"]);
    assert!(operator.contains(&"market.mode") && operator.contains(&"maintenance"), "{operator:?}");
    assert!(!operator.contains(&"market.fees") && !operator.contains(&"market.band") && !operator.contains(&"staff.manage"), "{operator:?}");
    let (_, me) = staff_of(&mut staff, Role::Support).get("/web/api/console/me").await;
    let support = strings(&me["permissions"]);
    assert!(!support.contains(&"user.lock") && !support.contains(&"market.mode"), "{support:?}");
    assert!(strings(&me["pages"]).contains(&"users"));

    // What is not listed is refused by the server all the same, and changes nothing.
    let b = staff_of(&mut staff, Role::Operator);
    let (s, v) = b.post("/web/api/console/markets/BTC_THB/fees", json!({"maker_fee_ppm": 1, "taker_fee_ppm": 1, "reason": "try"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{v}");
    let b = staff_of(&mut staff, Role::Support);
    let (s, v) = b.post("/web/api/console/markets/BTC_THB/mode", json!({"mode": "halted", "reason": "try"})).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = b.post("/web/api/console/staff/invite", json!({"email": "x@staff.test", "role": "admin", "reason": "try"})).await;
    assert_eq!(s, 403, "{v}");
    let (_, markets) = staff_of(&mut staff, Role::Admin).get("/web/api/console/markets").await;
    let btc = markets["markets"].as_array().unwrap().iter().find(|m| m["symbol"] == "BTC_THB").unwrap();
    assert_eq!(btc["mode"], "open");
    assert_ne!(btc["maker_fee_ppm"], 1);
    assert!(kit.web.store.staff_changes(None, 10).await.unwrap().is_empty());
    let audit = audit_actions(&kit).await;
    assert!(audit.iter().any(|(a, o)| a == "staff.invite" && o.starts_with("forbidden")), "{audit:?}");
    kit.ex.stop().await;
}

/// Searches until the store's follower has projected what the search needs.
async fn search(b: &mut Browser, q: &str, want: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let (s, v) = b.get(&format!("/web/api/console/users?q={q}")).await;
        assert_eq!(s, 200, "{v}");
        if v["users"].as_array().unwrap().iter().any(&want) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the search for {q:?} never found what was wanted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_api_only_accounts_and_their_picture() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    signed_up(&kit, "web@example.com").await;
    let api = &kit.ex.users[0];
    let (uid, key) = (api.user.0, api.key.clone());
    let b = staff_of(&mut staff, Role::Support);
    // By user id, by the start of an API key, and in the full list (empty search).
    let v = search(b, &uid.to_string(), |u| u["user_id"] == uid).await;
    let hit = v["users"].as_array().unwrap().iter().find(|u| u["user_id"] == uid).unwrap().clone();
    assert_eq!((hit["kind"].as_str(), hit["email"].is_null(), hit["api_keys"].as_u64()), (Some("api"), true, Some(1)), "{hit}");
    let v = search(b, &key[..12].to_ascii_lowercase(), |u| u["user_id"] == uid).await;
    assert!(v["users"].as_array().unwrap().iter().all(|u| u["kind"] == "api"), "{v}");
    let v = search(b, "", |u| u["user_id"] == uid).await;
    assert!(v["users"].as_array().unwrap().iter().any(|u| u["email"] == "web@example.com"), "{v}");
    let (_, v) = b.get("/web/api/console/users?q=nobody-at-all").await;
    assert!(v["users"].as_array().unwrap().is_empty(), "{v}");

    let (s, p) = b.get(&format!("/web/api/console/users/{uid}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["kind"].as_str(), p["account"].is_null()), (Some("api"), true), "{p}");
    assert_eq!(p["api_keys"][0]["key"], key.as_str());
    assert!(p["api_keys"][0].get("secret").is_none());
    let thb = p["balances"]["assets"].as_array().unwrap().iter().find(|a| a["asset"] == "THB").unwrap();
    assert_eq!(thb["available"], "10000000");
    assert!(p["funding"].as_array().unwrap().iter().any(|f| f["kind"] == "deposit" && f["asset"] == "THB"), "{p}");
    assert_eq!(p["tickets"], json!([]));
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_sees_the_customers_full_picture() {
    let kit = start(relaxed()).await;
    let mut staff = staff_browsers(&kit).await;
    let (mut alice, account) = signed_up(&kit, "alice@example.com").await;
    let uid = account["user_id"].as_u64().unwrap();
    let (s, v) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) =
        alice.post("/web/api/support/tickets", json!({"category": "withdrawal", "subject": "Where is my money", "text": "Pending since yesterday."})).await;
    assert!(s.is_success(), "{v}");
    let version = talat_onboarding::default_test().version;
    kit.web.store.insert_knowledge_result(account["id"].as_u64().unwrap(), &version, 90, true, "{}", 1_700_000_000_000).await.unwrap();

    let b = staff_of(&mut staff, Role::Support);
    let (s, p) = b.get(&format!("/web/api/console/users/{uid}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["kind"].as_str(), p["profile"]["email"].as_str()), (Some("web"), Some("alice@example.com")), "{p}");
    assert_eq!(p["open_orders"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["orders"].as_array().unwrap().len(), 1, "{p}");
    assert!(p["trades"].as_array().is_some());
    assert!(p["funding"].as_array().unwrap().iter().any(|f| f["kind"] == "deposit"), "demo funds: {p}");
    assert_eq!(p["tickets"][0]["subject"], "Where is my money");
    let k = &p["kyc"]["knowledge"];
    assert_eq!(
        (k["passed_current"].as_bool(), k["last"]["score_pct"].as_u64(), k["last"]["ts_ms"].as_u64()),
        (Some(true), Some(90), Some(1_700_000_000_000)),
        "{p}"
    );
    assert!(p["kyc"]["applications"].as_array().is_some());
    assert!(p["balances"]["assets"].as_array().unwrap().iter().any(|a| a["asset"] == "THB"));
    assert_eq!(p["open_orders_total"], 1, "{p}");

    // More open orders than the picture holds (a market maker has hundreds): the newest
    // PICTURE_ROWS, newest first, and the count of them all.
    let cap = talat_web::console_user::PICTURE_ROWS as usize;
    let mut ids = vec![p["open_orders"][0]["id"].as_str().unwrap().to_string()];
    for i in 1..=cap + 4 {
        let price = (3_000_000 - i).to_string();
        let (s, v) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": price, "amount": "0.001"})).await;
        assert_eq!(s, 200, "{v}");
        ids.push(v["order"]["id"].as_str().unwrap().to_string());
    }
    let (s, p) = b.get(&format!("/web/api/console/users/{uid}")).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["open_orders_total"].as_u64(), Some(cap as u64 + 5), "{p}");
    let shown: Vec<&str> = p["open_orders"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    let newest: Vec<&str> = ids.iter().rev().take(cap).map(String::as_str).collect();
    assert_eq!(shown, newest, "the newest {cap}, newest first");

    // Bad inputs and roles: clear refusals.
    let (s, v) = b.get("/web/api/console/users/abc").await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("user_id")), "{v}");
    let (s, v) = b.get("/web/api/console/users/999999").await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (404, Some("not_found")), "{v}");
    let (s, _) = staff_of(&mut staff, Role::Operator).get(&format!("/web/api/console/users/{uid}")).await;
    assert_eq!(s, 403);
    kit.ex.stop().await;
}

async fn admin(kit: &Kit, email: &str) -> Browser {
    kit.web.create_staff(email, "staff password 1", Role::Admin).await.unwrap();
    login(kit, email, "staff password 1").await
}

async fn login(kit: &Kit, email: &str, password: &str) -> Browser {
    let mut b = Browser::new(kit);
    let (s, v) = b.post("/web/api/console/login", json!({"email": email, "password": password})).await;
    assert_eq!(s, 200, "{v}");
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_takes_two_admins_and_a_one_time_link() {
    let kit = start(relaxed()).await;
    let mut a = admin(&kit, "a@staff.test").await;
    let mut b = admin(&kit, "b@staff.test").await;
    kit.web.create_staff("sup@staff.test", "staff password 1", Role::Support).await.unwrap();

    // Bad proposals: each a 4xx naming the problem, none stored.
    let cases = [
        (json!({"email": "not an email", "role": "kyc", "reason": "new hire"}), 400, Some("email")),
        (json!({"email": "new@staff.test", "role": "root", "reason": "new hire"}), 400, Some("role")),
        (json!({"email": "new@staff.test", "role": "kyc"}), 400, Some("reason")),
        (json!({"email": "sup@staff.test", "role": "kyc", "reason": "again"}), 409, None),
    ];
    for (body, status, field) in cases {
        let (s, v) = a.post("/web/api/console/staff/invite", body.clone()).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (status, field), "{body} → {v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty(), "{v}");
    }
    assert!(kit.web.store.staff_changes(None, 10).await.unwrap().is_empty());

    let (s, v) = a.post("/web/api/console/staff/invite", json!({"email": "New@Staff.test", "role": "kyc", "reason": "new hire"})).await;
    assert_eq!(s, 200, "{v}");
    let id = v["change"]["id"].as_u64().unwrap();
    assert_eq!((v["change"]["status"].as_str(), v["change"]["target_email"].as_str()), (Some("pending"), Some("new@staff.test")));
    // A second pending change for the same person is refused.
    let (s, _) = b.post("/web/api/console/staff/invite", json!({"email": "new@staff.test", "role": "admin", "reason": "dup"})).await;
    assert_eq!(s, 409);
    // Four eyes: the proposer cannot approve; nothing is created.
    let (s, v) = a.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({"reason": "ok"})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("four eyes"), "{v}");
    assert!(kit.web.store.staff_by_email("new@staff.test").await.unwrap().is_none());
    let (s, v) = b.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("reason")), "{v}");

    let (s, v) = b.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({"reason": "agreed"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["staff"]["email"].as_str(), v["staff"]["role"].as_str()), (Some("new@staff.test"), Some("kyc")));
    let link = v["set_password_link"].as_str().unwrap().to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    let mails = kit.web.store.outbox(10).await.unwrap();
    assert!(mails.iter().any(|m| m.to_addr == "new@staff.test" && m.body.contains(&link)), "the link is mailed");
    let (s, _) = b.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({"reason": "twice"})).await;
    assert_eq!(s, 409);

    // No password opens the account before the link sets one; bad links and passwords refused.
    let mut new = Browser::new(&kit);
    let (s, _) = new.post("/web/api/console/login", json!({"email": "new@staff.test", "password": "anything at all"})).await;
    assert_eq!(s, 401);
    let (s, v) = new.post("/web/api/console/password/set", json!({"token": "nope", "password": "a new staff password"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("token")), "{v}");
    let (s, v) = new.post("/web/api/console/password/set", json!({"token": token, "password": "short"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("password")), "{v}");
    let (s, v) = new.post("/web/api/console/password/set", json!({"token": token, "password": "a new staff password"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = new.post("/web/api/console/password/set", json!({"token": token, "password": "another staff password"})).await;
    assert_eq!(s, 400, "the link works once");
    let mut new = login(&kit, "new@staff.test", "a new staff password").await;
    assert_eq!(new.get("/web/api/console/me").await.1["staff"]["role"], "kyc");

    let audit = audit_actions(&kit).await;
    for action in ["staff.invite", "staff.change.approve", "staff.password.set"] {
        assert!(audit.iter().any(|(a, o)| a == action && o == "ok"), "{action}: {audit:?}");
    }
    assert!(audit.iter().any(|(a, o)| a == "staff.change.approve" && o.starts_with("forbidden")), "{audit:?}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_ends_sessions_and_logins_and_roles_change_with_four_eyes() {
    let kit = start(relaxed()).await;
    let mut a = admin(&kit, "a@staff.test").await;
    let mut b = admin(&kit, "b@staff.test").await;
    let sup_id = kit.web.create_staff("sup@staff.test", "staff password 1", Role::Support).await.unwrap().unwrap();
    let op_id = kit.web.create_staff("op@staff.test", "staff password 1", Role::Operator).await.unwrap().unwrap();
    let a_id = kit.web.store.staff_by_email("a@staff.test").await.unwrap().unwrap().id;
    let mut sup = login(&kit, "sup@staff.test", "staff password 1").await;
    let mut op = login(&kit, "op@staff.test", "staff password 1").await;

    // Refused: disabling oneself, an unknown or malformed id, no reason; nothing stored.
    let (s, v) = a.post(&format!("/web/api/console/staff/{a_id}/disable"), json!({"reason": "me"})).await;
    assert_eq!(s, 403, "{v}");
    let (s, _) = a.post("/web/api/console/staff/999/disable", json!({"reason": "x"})).await;
    assert_eq!(s, 404);
    let (s, v) = a.post("/web/api/console/staff/x/disable", json!({"reason": "x"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("staff_id")));
    let (s, v) = a.post(&format!("/web/api/console/staff/{op_id}/role"), json!({"role": "operator", "reason": "same"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("role")), "{v}");
    assert!(kit.web.store.staff_changes(None, 10).await.unwrap().is_empty());

    let (s, v) = a.post(&format!("/web/api/console/staff/{sup_id}/disable"), json!({"reason": "left the company"})).await;
    assert_eq!(s, 200, "{v}");
    let id = v["change"]["id"].as_u64().unwrap();
    assert_eq!(sup.get("/web/api/console/me").await.0, 200, "nothing happens before the approval");
    let (s, _) = a.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({"reason": "ok"})).await;
    assert_eq!(s, 403);
    let (s, v) = b.post(&format!("/web/api/console/staff/changes/{id}/approve"), json!({"reason": "confirmed"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["staff"]["disabled"].as_bool(), v["sessions_ended"].as_u64()), (Some(true), Some(1)), "{v}");
    let (s, _) = sup.get("/web/api/console/me").await;
    assert_eq!(s, 401, "the session ended");
    let mut again = Browser::new(&kit);
    let (s, v) = again.post("/web/api/console/login", json!({"email": "sup@staff.test", "password": "staff password 1"})).await;
    assert_eq!((s.as_u16(), v["message"].as_str()), (403, Some("this staff account is disabled")), "{v}");

    // A role change, proposed by b and approved by a; a rejection leaves things as they are.
    let (_, v) = b.post(&format!("/web/api/console/staff/{op_id}/role"), json!({"role": "kyc", "reason": "moved team"})).await;
    let role_change = v["change"]["id"].as_u64().unwrap();
    let (s, v) = a.post(&format!("/web/api/console/staff/changes/{role_change}/approve"), json!({"reason": "yes"})).await;
    assert_eq!(s, 200, "{v}");
    let (_, me) = op.get("/web/api/console/me").await;
    assert_eq!(me["staff"]["role"], "kyc");
    assert!(strings(&me["pages"]).contains(&"kyc"));
    let (_, v) = a.post(&format!("/web/api/console/staff/{op_id}/role"), json!({"role": "admin", "reason": "promote"})).await;
    let promote = v["change"]["id"].as_u64().unwrap();
    let (s, v) = b.post(&format!("/web/api/console/staff/changes/{promote}/reject"), json!({"reason": "no"})).await;
    assert_eq!((s.as_u16(), v["change"]["status"].as_str()), (200, Some("rejected")), "{v}");
    assert_eq!(kit.web.store.staff(op_id).await.unwrap().unwrap().role, "kyc");
    let (s, _) = a.post(&format!("/web/api/console/staff/changes/{promote}/approve"), json!({"reason": "late"})).await;
    assert_eq!(s, 409);
    let (_, list) = a.get("/web/api/console/staff/changes").await;
    assert_eq!(list["changes"].as_array().unwrap().len(), 3, "{list}");

    let audit = audit_actions(&kit).await;
    for action in ["staff.disable", "staff.role", "staff.change.approve", "staff.change.reject"] {
        assert!(audit.iter().any(|(a, o)| a == action && o == "ok"), "{action}: {audit:?}");
    }
    kit.ex.stop().await;
}
