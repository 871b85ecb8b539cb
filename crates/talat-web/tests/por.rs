//! Proof of reserves through the web API of a live exchange: staff publish, a customer's proof
//! verifies against the public root, the totals are every user's available + held, a customer
//! who signed up after the report gets a 404 that says why, and the roles are enforced.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use talat_core::{AssetId, UserId};
use talat_por::{verify_published, Proof, Root};
use talat_web::Role;

/// Every engine user's available + held per listed asset, summed, from the read model.
fn owed_totals(kit: &Kit) -> Vec<u128> {
    let read = &kit.web.gateway.read;
    let assets = read.assets().len();
    let mut totals = vec![0u128; assets];
    let mut user = 0u32;
    while read.user_exists(UserId(user)) {
        for (a, total) in totals.iter_mut().enumerate() {
            let b = read.balance(UserId(user), AssetId(a as u16));
            *total += u128::from(b.available) + u128::from(b.held);
        }
        user += 1;
        assert!(user < 100_000, "a test exchange has few users");
    }
    totals
}

/// The customer's proof as the file the browser downloads: (status, content-disposition, body).
async fn download_proof(b: &Browser) -> (StatusCode, Option<String>, String) {
    let resp = b.http.get(format!("{}/web/api/por/proof", b.base)).send().await.unwrap();
    let status = resp.status();
    let disposition = resp.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_string());
    (status, disposition, resp.text().await.unwrap())
}

async fn public_root(kit: &Kit) -> (StatusCode, Value) {
    let resp = reqwest::get(format!("{}/api/por/latest.json", kit.ex.url)).await.unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_proofs_verify_against_the_public_root_and_cover_every_balance() {
    let kit = start(relaxed()).await;
    let (mut alice, alice_account) = signed_up(&kit, "alice@example.com").await;
    let (_bob, _) = signed_up(&kit, "bob@example.com").await;
    // Something held, so held balances count too.
    let (s, v) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"})).await;
    assert_eq!(s, 200, "{v}");
    let alice_user = UserId(alice_account["user_id"].as_u64().unwrap() as u32);
    let held_thb = kit.web.gateway.read.balance(alice_user, AssetId(kit.web.gateway.read.asset_id("THB").unwrap().0)).held;
    assert!(held_thb > 0, "the open order holds THB");

    let mut staff = staff_browsers(&kit).await;
    let by_role = |role: Role| staff.iter().position(|(r, _)| *r == role).unwrap();
    let (finance, support, compliance, operator) = (by_role(Role::Finance), by_role(Role::Support), by_role(Role::Compliance), by_role(Role::Operator));

    // Support may not publish (nor read); the refusal is audited like any action.
    let (s, v) = staff[support].1.post("/web/api/console/por/publish", json!({})).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (403, Some("forbidden")), "{v}");
    assert_eq!(staff[support].1.get("/web/api/console/por/reports").await.0, 403);
    assert_eq!(staff[operator].1.get("/web/api/console/por/reports").await.0, 403);

    let (s, v) = staff[finance].1.post("/web/api/console/por/publish", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let report = &v["report"];
    let report_id = report["id"].as_u64().unwrap();
    assert!(report["published_by"].as_u64().is_some(), "{report}");

    // The totals are what every user is owed, available + held, in listing order.
    let assets: Vec<String> = kit.web.gateway.read.assets().into_iter().map(|a| a.code).collect();
    let root: Root = serde_json::from_value(report["root"].clone()).unwrap();
    assert_eq!(root.assets, assets);
    assert_eq!(root.totals, owed_totals(&kit), "the published totals are the sum of every user's balances");
    let mut users = 0;
    while kit.web.gateway.read.user_exists(UserId(users)) {
        users += 1;
    }
    assert_eq!(root.leaf_count, u64::from(users), "one leaf per engine user");
    let thb = assets.iter().position(|a| a == "THB").unwrap();
    assert_eq!(report["totals"][thb]["asset"], "THB");
    assert_eq!(report["totals"][thb]["units"], root.totals[thb].to_string());

    // The public root, without a session, is the published one.
    let (s, public) = public_root(&kit).await;
    assert_eq!(s, 200, "{public}");
    assert_eq!(public["id"].as_u64(), Some(report_id));
    let published: Root = serde_json::from_value(public["root"].clone()).unwrap();
    assert_eq!(published, root);

    // The customer sees the report and that they are in it, and downloads their proof.
    let (s, latest) = alice.get("/web/api/por/latest").await;
    assert_eq!(s, 200, "{latest}");
    assert_eq!((latest["id"].as_u64(), latest["included"].as_bool()), (Some(report_id), Some(true)), "{latest}");
    let (s, disposition, text) = download_proof(&alice).await;
    assert_eq!(s, 200, "{text}");
    assert_eq!(disposition.as_deref(), Some(format!("attachment; filename=\"talat-por-proof-{report_id}.json\"").as_str()));
    let proof = Proof::from_json(&text).unwrap();
    let verified = verify_published(&proof, &published).expect("the proof verifies against the public root");
    assert_eq!(verified.account_id, u64::from(alice_user.0));
    let alice_owed: Vec<u64> = (0..assets.len())
        .map(|a| {
            let b = kit.web.gateway.read.balance(alice_user, AssetId(a as u16));
            b.available + b.held
        })
        .collect();
    assert_eq!(verified.balances, alice_owed, "the proof's leaf is alice's available + held");

    // A changed balance in the proof is refused.
    let mut tampered = proof.clone();
    tampered.balances[thb] += 1;
    assert!(verify_published(&tampered, &published).is_err());

    // Rebuilt from the store (not the publisher's cached tree), the proof is the same.
    let again = kit.web.store.latest_por_report().await.unwrap().unwrap();
    assert_eq!(again.id, report_id);

    // A customer who signed up after the report is not in it: a 404 that says why.
    let (mut carol, _) = signed_up(&kit, "carol@example.com").await;
    let (s, latest) = carol.get("/web/api/por/latest").await;
    assert_eq!((s.as_u16(), latest["included"].as_bool()), (200, Some(false)), "{latest}");
    let (s, _, text) = download_proof(&carol).await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((s.as_u16(), v["error"].as_str()), (404, Some("not_found")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("not in the latest proof of reserves"), "{v}");

    // The console lists the report (compliance reads, may not publish).
    let (s, v) = staff[compliance].1.get("/web/api/console/por/reports").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reports"][0]["id"].as_u64(), Some(report_id), "newest first: {v}");
    assert_eq!(v["can_publish"], false);
    assert_eq!(staff[finance].1.get("/web/api/console/por/reports").await.1["can_publish"], true);

    // Publishing again includes carol; alice's proof now belongs to the new root.
    let (s, v) = staff[finance].1.post("/web/api/console/por/publish", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (_, public) = public_root(&kit).await;
    let published: Root = serde_json::from_value(public["root"].clone()).unwrap();
    assert_eq!(published.leaf_count, root.leaf_count + 1);
    let (s, _, text) = download_proof(&carol).await;
    assert_eq!(s, 200, "{text}");
    verify_published(&Proof::from_json(&text).unwrap(), &published).expect("carol's proof verifies");
    assert!(verify_published(&proof, &published).is_err(), "yesterday's proof is not today's root");

    // Each publication is audited under its action.
    let audit: Vec<String> = kit.web.store.audit_entries(None, 100).await.unwrap().into_iter().map(|r| format!("{} {}", r.action, r.outcome)).collect();
    assert!(audit.iter().filter(|a| a.starts_with("por.publish ok")).count() == 2, "{audit:?}");
    assert!(audit.iter().any(|a| a.starts_with("por.publish forbidden")), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_rebuilds_the_proof_from_the_stored_leaves() {
    let kit = start(relaxed()).await;
    let (alice, _) = signed_up(&kit, "alice@example.com").await;
    let mut staff = staff_browsers(&kit).await;
    let admin = staff.iter_mut().find(|(r, _)| *r == Role::Admin).unwrap();
    let (s, v) = admin.1.post("/web/api/console/por/publish", json!({})).await;
    assert_eq!(s, 200, "{v}");
    let first = download_proof(&alice).await.2;
    // A second Web over the same gateway and store has nothing cached: it rebuilds the tree
    // from por_leaves and por_salts, and the root must come out as published.
    let fresh = talat_web::Web::new(kit.web.gateway.clone(), relaxed()).unwrap();
    let report = kit.web.store.latest_por_report().await.unwrap().unwrap();
    let tree = talat_web::por::publish::tree_of(&fresh, &report).await.unwrap();
    let user = serde_json::from_str::<Value>(&first).unwrap()["account_id"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(tree.proof(user).unwrap().to_json_pretty(), first, "the rebuilt proof is the one first served");
}
