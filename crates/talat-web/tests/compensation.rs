//! Outage compensation on a recorded incident, end to end on a live exchange: BTC_THB trades,
//! is halted (new orders refused through the web app and the signed Bitkub API, both recorded
//! in the refusal log), reopens; one customer sells lower after the window. The operator
//! defines the incident; the preview names exactly the refused customers with the flat credit
//! and the blocked sale's loss against the window's VWAP; the preparer cannot approve; a
//! second staff member approves; the credits land once in the balances even when approved
//! again; the customer sees them in the web app and on `GET /api/v4/crypto/compensations`;
//! the regulator's report lists them. Bad inputs change nothing.

mod common;

use common::*;
use serde_json::{json, Value};
use talat_core::{Command, MarketId, TradingMode, UserId};
use talat_web::Role;

const INCIDENTS: &str = "/web/api/console/compensation/incidents";

fn thb_available(kit: &Kit, user: u64) -> u64 {
    let balances = kit.ex.gateway.read.balances(UserId(user as u32));
    balances.iter().find(|(a, _)| a.code == "THB").map(|(_, b)| b.available).unwrap_or(0)
}

async fn set_mode(kit: &Kit, mode: TradingMode) {
    let outcome = kit.ex.gateway.submit(Command::SetMarketMode { market: MarketId(0), mode }).await.unwrap();
    assert!(talat_gateway::gateway::refusal(&outcome).is_none());
}

async fn order(b: &mut Browser, body: Value) -> (reqwest::StatusCode, Value) {
    b.post("/web/api/orders", body).await
}

/// The refusal log is written by a background task: wait until it holds `n` rows.
async fn refusals_logged(kit: &Kit, from_ms: u64, n: usize) {
    for _ in 0..200 {
        if kit.web.store.refusals_between(from_ms, u64::MAX / 4, 100).await.unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the refusal log never held {n} rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compensation_reaches_the_right_customers_with_the_right_amounts_once() {
    let kit = start(relaxed()).await;
    let (mut a, acc_a) = signed_up(&kit, "a@example.com").await;
    let (mut b, _) = signed_up(&kit, "b@example.com").await;
    let (mut c, _) = signed_up(&kit, "c@example.com").await;
    let user_a = acc_a["user_id"].as_u64().unwrap();
    let api_user = kit.ex.users[0].user.0 as u64;
    let staff = staff_browsers(&kit).await;
    // `staff_browsers` signs in one staff member per role, in `Role::ALL` order.
    let by_role = |role: Role| Role::ALL.iter().position(|r| *r == role).unwrap();
    let (op, fin, comp) = (by_role(Role::Operator), by_role(Role::Finance), by_role(Role::Compliance));
    let mut staff: Vec<Browser> = staff.into_iter().map(|(_, b)| b).collect();

    // The window opens. C sells 0.01 BTC at 3.5 m and B buys it: the window's only trade.
    let t0 = kit.ex.gateway.now_ms();
    let (s, v) = order(&mut c, json!({"symbol": "BTC_THB", "side": "sell", "type": "limit", "price": "3500000", "amount": "0.01"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = order(&mut b, json!({"symbol": "BTC_THB", "side": "buy", "type": "market", "amount": "35000"})).await;
    assert_eq!(s, 200, "{v}");

    // Halted: A's web sale and the API user's signed place-ask are refused (error 55).
    set_mode(&kit, TradingMode::Halted).await;
    let (s, v) = order(&mut a, json!({"symbol": "BTC_THB", "side": "sell", "type": "market", "amount": "0.01"})).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["bitkub_code"], 55);
    let body = r#"{"sym":"BTC_THB","amt":0.01,"rat":0,"typ":"market"}"#;
    let mut req = reqwest::Client::new().post(format!("{}/api/v3/market/place-ask", kit.ex.url)).body(body).header("content-type", "application/json");
    for (name, value) in kit.ex.sign_headers(0, "POST", "/api/v3/market/place-ask", body) {
        req = req.header(name, value);
    }
    let answer: Value = req.send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["error"], 55, "{answer}");
    // A customer's own mistake is not outage evidence and is not logged.
    let (s, _) = order(&mut b, json!({"symbol": "BTC_THB", "side": "sell", "type": "limit", "price": "x", "amount": "0.01"})).await;
    assert_eq!(s, 400);
    set_mode(&kit, TradingMode::Open).await;
    let t1 = kit.ex.gateway.now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    // After the window A sells 0.01 BTC into C's bid at 3.4 m: THB 1,000 worse than the VWAP.
    let (s, v) = order(&mut c, json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3400000", "amount": "0.01"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = order(&mut a, json!({"symbol": "BTC_THB", "side": "sell", "type": "market", "amount": "0.01"})).await;
    assert_eq!(s, 200, "{v}");
    refusals_logged(&kit, t0, 2).await;
    let (s, log) = staff[op].get(&format!("/web/api/console/compensation/refusals?from_ms={t0}&to_ms={t1}")).await;
    assert_eq!(s, 200, "{log}");
    let logged: Vec<(u64, bool, u64, &str)> = log["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["user_id"].as_u64().unwrap(), r["verified"].as_bool().unwrap(), r["code"].as_u64().unwrap(), r["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(logged, vec![(user_a, true, 55, "place"), (api_user, true, 55, "place")], "{log}");

    // Bad inputs: clear errors, nothing stored.
    let policy = json!({"flat_credit": 500_00});
    for (body, field) in [
        (json!({"title": "x", "t0_ms": t1, "t1_ms": t0, "markets": ["BTC_THB"], "policy": policy}), "t1_ms"),
        (json!({"title": "x", "t0_ms": t0, "t1_ms": t1, "markets": ["DOGE_THB"], "policy": policy}), "markets"),
        (json!({"title": "x", "t0_ms": t0, "t1_ms": t1, "markets": ["BTC_THB"], "policy": {"flat_credit": 1, "bonus": 2}}), "policy"),
        (json!({"title": "x", "t0_ms": t0, "t1_ms": t0 + 10 * 86_400_000, "markets": ["BTC_THB"]}), "t1_ms"),
    ] {
        let (s, v) = staff[op].post(INCIDENTS, body).await;
        assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some(field)), "{v}");
    }
    let (s, v) = staff[by_role(Role::Support)].post(INCIDENTS, json!({"title": "x", "t0_ms": t0, "t1_ms": t1, "markets": ["BTC_THB"]})).await;
    assert_eq!(s, 403, "support may not prepare: {v}");
    assert_eq!(staff[op].get(INCIDENTS).await.1["incidents"], json!([]));

    // The operator prepares the incident: exactly A and the API user, with the right amounts.
    let (s, v) = staff[op]
        .post(INCIDENTS, json!({"title": "BTC_THB halted", "t0_ms": t0, "t1_ms": t1, "markets": ["BTC_THB"], "networks": ["BTC"], "policy": policy}))
        .await;
    assert_eq!(s, 200, "{v}");
    let incident = &v["incident"];
    let id = incident["id"].as_u64().unwrap();
    assert_eq!((incident["status"].as_str(), incident["pay_asset"].as_str()), (Some("prepared"), Some("THB")));
    let preview = &incident["preview"];
    assert_eq!(preview["references"][0]["source"], "vwap");
    assert_eq!(preview["references"][0]["price_text"], "3500000");
    let customers = preview["customers"].as_array().unwrap();
    let got: Vec<(u64, Value)> = customers.iter().map(|c| (c["user_id"].as_u64().unwrap(), c["credits"].clone())).collect();
    let mut expected = vec![
        (user_a, json!([{"class": "flat", "amount": "500", "amount_units": 50_000}, {"class": "blocked", "amount": "1000", "amount_units": 100_000}])),
        (api_user, json!([{"class": "flat", "amount": "500", "amount_units": 50_000}])),
    ];
    expected.sort_by_key(|(u, _)| *u);
    assert_eq!(got, expected, "{preview}");
    let a_evidence = &customers.iter().find(|c| c["user_id"] == user_a).unwrap()["evidence"];
    let blocked = a_evidence.as_array().unwrap().iter().find(|l| l["what"] == "blocked").unwrap();
    assert_eq!((blocked["reference_price"].as_u64(), blocked["realised_price"].as_u64()), (Some(350_000_000), Some(340_000_000)));
    assert_eq!(incident["total"], "2000");

    // Four eyes: the preparer cannot approve, and nothing is paid.
    let before = (thb_available(&kit, user_a), thb_available(&kit, api_user));
    let (s, v) = staff[op].post(&format!("{INCIDENTS}/{id}/approve"), json!({})).await;
    assert_eq!(s, 403, "{v}");
    let (_, v) = staff[op].get(&format!("{INCIDENTS}/{id}")).await;
    assert_eq!((v["incident"]["status"].as_str(), v["incident"]["credits"].clone()), (Some("prepared"), json!([])));
    assert_eq!((thb_available(&kit, user_a), thb_available(&kit, api_user)), before);

    // Finance approves: the credits are journaled and complete.
    let (s, v) = staff[fin].post(&format!("{INCIDENTS}/{id}/approve"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["already_approved"].as_bool(), v["submitted"].as_u64()), (Some(false), Some(3)));
    let credits = v["incident"]["credits"].as_array().unwrap();
    assert_eq!(credits.len(), 3);
    assert!(credits.iter().all(|c| c["status"] == "complete"), "{v}");
    assert!(credits.iter().any(|c| c["reference"] == format!("comp:{id}:{user_a}:blocked")));
    assert_eq!((thb_available(&kit, user_a), thb_available(&kit, api_user)), (before.0 + 150_000, before.1 + 50_000));

    // Approved again (by compliance, and by finance once more): nothing more is paid.
    for who in [comp, fin] {
        let (s, v) = staff[who].post(&format!("{INCIDENTS}/{id}/approve"), json!({})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["already_approved"].as_bool(), v["submitted"].as_u64()), (Some(true), Some(0)));
    }
    // Even a direct resubmission of a credit is a duplicate in the engine.
    let again = Command::Compensate {
        user: UserId(user_a as u32),
        asset: talat_core::AssetId(0),
        amount: talat_core::Amount(100_000),
        reference: talat_core::ExternalId(format!("comp:{id}:{user_a}:blocked")),
    };
    kit.ex.gateway.execute(again).await.unwrap();
    assert_eq!((thb_available(&kit, user_a), thb_available(&kit, api_user)), (before.0 + 150_000, before.1 + 50_000));

    // The customer sees their credits in the web app…
    let (s, v) = a.get("/web/api/compensations").await;
    assert_eq!(s, 200, "{v}");
    let mine: Vec<(String, String, String)> = v["compensations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["class"].as_str().unwrap().into(), c["amount"].as_str().unwrap().into(), c["status"].as_str().unwrap().into()))
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&("blocked".into(), "1000".into(), "complete".into())) && mine.contains(&("flat".into(), "500".into(), "complete".into())));
    assert_eq!(b.get("/web/api/compensations").await.1["compensations"], json!([]), "B was not refused: nothing");

    // …and on the Bitkub API (signed), with its filters.
    let get_v4 = |target: &'static str| {
        let headers = kit.ex.sign_headers(0, "GET", target, "");
        let url = format!("{}{target}", kit.ex.url);
        async move {
            let mut req = reqwest::Client::new().get(url);
            for (name, value) in headers {
                req = req.header(name, value);
            }
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = get_v4("/api/v4/crypto/compensations").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], "0");
    let items = v["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    let item = &items[0];
    assert_eq!(
        (item["txn_id"].as_str(), item["symbol"].as_str(), item["type"].as_str(), item["amount"].as_str(), item["status"].as_str(), item["user_id"].as_u64()),
        (Some(format!("comp:{id}:{api_user}:flat").as_str()), Some("THB"), Some("COMPENSATE"), Some("500"), Some("complete"), Some(api_user))
    );
    assert!(item["completed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get_v4("/api/v4/crypto/compensations?type=DECOMPENSATE").await.1["data"]["items"], json!([]));
    assert_eq!(get_v4("/api/v4/crypto/compensations?status=pending").await.1["data"]["items"], json!([]));
    assert_eq!(get_v4("/api/v4/crypto/compensations?status=weird").await.0, 400);

    // The regulator's report: each credit, and the totals per asset with nothing pending.
    let resp = staff[comp].http.get(format!("{}{INCIDENTS}/{id}/report", kit.ex.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csv = resp.text().await.unwrap();
    assert!(csv.contains(&format!("comp:{id}:{user_a}:blocked,{user_a},blocked,THB,1000,complete")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("total,THB,2,2000,0,0,")), "{csv}");

    // Both staff actions, refused ones included, are in the audit log.
    let (_, audit) = staff[by_role(Role::Admin)].get("/web/api/console/audit").await;
    let actions: Vec<&str> = audit["entries"].as_array().map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect()).unwrap_or_default();
    assert!(actions.iter().filter(|a| **a == "compensation.approve").count() >= 4, "{audit}");
    assert!(actions.contains(&"compensation.prepare"));

    // A support incident's customers count too: D wrote in about the outage, had nothing refused
    // in ETH_THB, and is paid the flat credit of an ETH_THB incident linked to it.
    let (mut d, acc_d) = signed_up(&kit, "d@example.com").await;
    let user_d = acc_d["user_id"].as_u64().unwrap();
    let (s, v) = d.post("/web/api/support/tickets", json!({"category": "trading", "subject": "Could not trade", "text": "Orders failed this morning."})).await;
    assert_eq!(s, 201, "{v}");
    let ticket = v["ticket"]["id"].as_u64().unwrap();
    let (s, v) =
        staff[op].post("/web/api/console/support/incidents", json!({"title": "Trading outage", "description": "orders refused", "reason": "outage"})).await;
    assert_eq!(s, 200, "{v}");
    let support_incident = v["incident"]["id"].as_u64().unwrap();
    let (s, v) = staff[op].post(&format!("/web/api/console/support/incidents/{support_incident}/link"), json!({"ticket_ids": [ticket]})).await;
    assert_eq!(s, 200, "{v}");
    let body = json!({"title": "ETH_THB", "t0_ms": t0, "t1_ms": t1, "markets": ["ETH_THB"], "support_incident_id": support_incident, "policy": {"flat_credit": 100_00}});
    let (s, v) = staff[op].post(INCIDENTS, body).await;
    assert_eq!(s, 200, "{v}");
    let second = v["incident"]["id"].as_u64().unwrap();
    let customers = v["incident"]["preview"]["customers"].as_array().unwrap();
    assert_eq!(customers.iter().map(|c| c["user_id"].as_u64().unwrap()).collect::<Vec<_>>(), vec![user_d], "{v}");
    assert_eq!(customers[0]["evidence"][0]["what"], "ticket");
    let before_d = thb_available(&kit, user_d);
    let (s, v) = staff[by_role(Role::Admin)].post(&format!("{INCIDENTS}/{second}/approve"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(thb_available(&kit, user_d), before_d + 10_000);
    kit.ex.stop().await;
}
