//! The status page and the resume runbook through the web API of a live exchange: component
//! states follow a halted market and a watcher that stopped looking, the Statuspage JSON and the
//! Atom feed, incidents with updates, overrides, and resume steps refused out of order.

mod common;

use common::*;
use serde_json::{json, Value};
use talat_core::{Command, MarketId, TradingMode};
use talat_web::Role;

fn component<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["components"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no component {id} in {summary}"))
}

async fn text(kit: &Kit, path: &str, lang: Option<&str>) -> (String, String) {
    let mut req = reqwest::Client::new().get(format!("{}{path}", kit.ex.url));
    if let Some(l) = lang {
        req = req.header("Accept-Language", l);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_string();
    (ctype, resp.text().await.unwrap())
}

async fn summary(kit: &Kit) -> Value {
    let (_, body) = text(kit, "/api/v2/summary.json", None).await;
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_follow_a_halted_market_and_a_stopped_watcher() {
    let kit = start(relaxed()).await;
    let s = summary(&kit).await;
    assert_eq!(s["status"]["indicator"], "none", "{s}");
    assert_eq!(component(&s, "trading-btc_thb")["status"], "operational");
    for key in ["page", "components", "incidents", "scheduled_maintenances", "status"] {
        assert!(s.get(key).is_some(), "summary.json has {key}");
    }

    kit.ex.gateway.execute(Command::SetMarketMode { market: MarketId(0), mode: TradingMode::Halted }).await.unwrap();
    let s = summary(&kit).await;
    assert_eq!(component(&s, "trading-btc_thb")["status"], "major_outage");
    assert_eq!(component(&s, "trading-eth_thb")["status"], "operational");
    assert_eq!(s["status"]["indicator"], "critical");
    let (_, status) = text(&kit, "/api/v2/status.json", None).await;
    assert_eq!(serde_json::from_str::<Value>(&status).unwrap()["status"]["description"], "Major System Outage");
    // The Bitkub status list and symbols say the same.
    let list: Value = reqwest::get(format!("{}/api/status", kit.ex.url)).await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "Bitkub's two entries: {list}");
    assert!(list[1]["message"].as_str().unwrap().contains("BTC_THB halted"), "{list}");
    let symbols: Value = reqwest::get(format!("{}/api/v3/market/symbols", kit.ex.url)).await.unwrap().json().await.unwrap();
    assert_eq!((symbols["result"][0]["status"].as_str(), symbols["result"][0]["freeze_cancel"].as_bool()), (Some("halted"), Some(true)));

    // A watcher that beat once and then stopped looking: behind after three missed looks. A
    // chain network's watcher, which nothing else in this exchange beats for (the THB sweep
    // beats for its own components on its own clock, and would race a test that moved them).
    let now = kit.ex.gateway.now_ms();
    kit.ex.gateway.health.beat("deposits-ltc", 1_000, now - 2_000);
    assert_eq!(component(&summary(&kit).await, "deposits-ltc")["status"], "operational");
    kit.ex.gateway.health.beat("deposits-ltc", 1_000, now - 4_000);
    assert_eq!(component(&summary(&kit).await, "deposits-ltc")["status"], "degraded_performance");
    kit.ex.gateway.health.stopped("deposits-ltc");
    assert_eq!(component(&summary(&kit).await, "deposits-ltc")["status"], "major_outage");

    // The page itself, in both languages, without JavaScript.
    let (ctype, en) = text(&kit, "/status", Some("en-US")).await;
    assert!(ctype.starts_with("text/html"));
    assert!(en.contains("Trading BTC_THB") && en.contains("Major outage") && !en.contains("<script"));
    let (_, th) = text(&kit, "/status?lang=th", None).await;
    assert!(th.contains("การซื้อขาย BTC_THB") && th.contains("ขัดข้องทั้งหมด"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_updates_overrides_and_the_feeds() {
    let kit = start(relaxed()).await;
    let staff = staff_browsers(&kit).await;
    let mut op = staff.into_iter().find(|(r, _)| *r == Role::Operator).unwrap().1;

    // Bad input is refused and creates nothing.
    for (bad, field) in [
        (json!({"name": "x", "body": "y", "reason": "r", "components": ["nope"]}), "components"),
        (json!({"name": "", "body": "y", "reason": "r"}), "name"),
        (json!({"name": "x", "body": "y", "reason": "r", "impact": "severe"}), "impact"),
        (json!({"kind": "maintenance", "name": "x", "body": "y", "reason": "r"}), "scheduled_until_ms"),
    ] {
        let (s, v) = op.post("/web/api/console/status/incidents", bad).await;
        assert_eq!(s, 400, "{v}");
        assert_eq!(v["field"], field, "{v}");
    }
    let (s, v) = op
        .post(
            "/web/api/console/status/incidents",
            json!({"name": "Withdrawals delayed <bank>", "body": "The bank's payout file is late.", "impact": "minor", "components": ["withdrawals-thb"], "reason": "bank notice"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_u64().unwrap();
    let (s, v) = op.post(&format!("/web/api/console/status/incidents/{id}/updates"), json!({"status": "in_progress", "body": "x", "reason": "r"})).await;
    assert_eq!(s, 400, "an incident has no maintenance status: {v}");
    let (s, _) =
        op.post(&format!("/web/api/console/status/incidents/{id}/updates"), json!({"status": "monitoring", "body": "Payouts flowing.", "reason": "r"})).await;
    assert_eq!(s, 200);

    let s = summary(&kit).await;
    assert_eq!(s["status"]["indicator"], "minor", "an open minor incident: {s}");
    let incident = &s["incidents"][0];
    assert_eq!(incident["status"], "monitoring");
    assert_eq!(incident["incident_updates"].as_array().unwrap().len(), 2);
    assert_eq!(incident["components"][0]["id"], "withdrawals-thb");

    let (s, _) = op.post(&format!("/web/api/console/status/incidents/{id}/updates"), json!({"status": "resolved", "body": "All paid.", "reason": "r"})).await;
    assert_eq!(s, 200);
    let (s, v) = op.post(&format!("/web/api/console/status/incidents/{id}/updates"), json!({"status": "resolved", "body": "again", "reason": "r"})).await;
    assert_eq!(s, 409, "a closed incident takes no update: {v}");
    let s = summary(&kit).await;
    assert_eq!(s["incidents"].as_array().unwrap().len(), 0, "summary lists open incidents only");
    let (_, list) = text(&kit, "/api/v2/incidents.json", None).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["incidents"][0]["status"], "resolved");
    assert!(list["incidents"][0]["resolved_at"].is_string());

    // The Atom feed parses as XML and carries the incident, escaped.
    let (ctype, atom) = text(&kit, "/history.atom", None).await;
    assert!(ctype.starts_with("application/atom+xml"));
    let mut reader = quick_xml::Reader::from_str(&atom);
    let mut entries = 0;
    loop {
        match reader.read_event().expect("well-formed Atom") {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"entry" => entries += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(entries, 1, "{atom}");
    assert!(atom.contains("Withdrawals delayed &lt;bank&gt;"));

    // A status incident linked to the support incident of the same event: its updates reach
    // the customers' tickets, and closing it resolves them.
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let (s, t) = alice.post("/web/api/support/tickets", json!({"category": "trading", "subject": "Cannot trade", "text": "Orders are refused."})).await;
    assert_eq!(s, 201, "{t}");
    let ticket = t["ticket"]["id"].as_u64().unwrap();
    let (s, v) = op.post("/web/api/console/support/incidents", json!({"title": "Engine halt", "description": "BTC_THB halted", "reason": "r"})).await;
    assert_eq!(s, 200, "{v}");
    let support = v["incident"]["id"].as_u64().unwrap();
    let (s, v) = op.post(&format!("/web/api/console/support/incidents/{support}/link"), json!({"ticket_ids": [ticket]})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = op
        .post("/web/api/console/status/incidents", json!({"name": "Trading halted", "body": "Investigating.", "support_incident_id": support, "reason": "r"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let linked = v["id"].as_u64().unwrap();
    let (s, v) =
        op.post(&format!("/web/api/console/status/incidents/{linked}/updates"), json!({"status": "resolved", "body": "Trading is back.", "reason": "r"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tickets_answered"], 1);
    let (_, t) = alice.get(&format!("/web/api/support/tickets/{ticket}")).await;
    assert_eq!(t["ticket"]["status"], "resolved", "{t}");
    assert!(t["ticket"]["messages"].as_array().unwrap().iter().any(|m| m["text"] == "Trading is back."), "{t}");
    let (s, v) = op.post("/web/api/console/status/incidents", json!({"name": "x", "body": "y", "support_incident_id": 999, "reason": "r"})).await;
    assert_eq!((s.as_u16(), v["field"].as_str()), (400, Some("support_incident_id")), "{v}");

    // An override wins over the measurement until cleared; support may read, not set.
    let (s, _) = op
        .call(reqwest::Method::PUT, "/web/api/console/status/overrides/api", Some(json!({"status": "degraded_performance", "reason": "provider latency"})))
        .await;
    assert_eq!(s, 200);
    assert_eq!(component(&summary(&kit).await, "api")["status"], "degraded_performance");
    let (s, _) = op.call(reqwest::Method::PUT, "/web/api/console/status/overrides/nope", Some(json!({"status": "major_outage", "reason": "r"}))).await;
    assert_eq!(s, 404);
    let (s, _) = op.call(reqwest::Method::DELETE, "/web/api/console/status/overrides/api", Some(json!({"reason": "resolved"}))).await;
    assert_eq!(s, 200);
    assert_eq!(component(&summary(&kit).await, "api")["status"], "operational");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_steps_go_in_order_and_reach_the_status_page() {
    let kit = start(relaxed()).await;
    let staff = staff_browsers(&kit).await;
    let mut op = staff.iter().position(|(r, _)| *r == Role::Operator).map(|i| staff.into_iter().nth(i).unwrap().1).unwrap();
    let step = |word: &str, extra: Value| {
        let mut body = json!({"confirm": word, "reason": "outage drill"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        (format!("/web/api/console/resume/{word}"), body)
    };

    let (path, body) = step("open", json!({}));
    let (s, v) = op.post(&path, body).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap_or_default().contains("begin one first") || v["message"].as_str().unwrap_or_default().contains("begin one first"),
        "{v}"
    );
    let (s, v) = op.post("/web/api/console/resume/begin", json!({"confirm": "deposits", "reason": "r"})).await;
    assert_eq!(s, 400, "a step is confirmed by its own name: {v}");

    let (path, body) = step("begin", json!({"cancel_only_ms": 1_000}));
    let (s, v) = op.post(&path, body).await;
    assert_eq!(s, 200, "{v}");
    let s_ = summary(&kit).await;
    assert_eq!(component(&s_, "trading-btc_thb")["status"], "under_maintenance");
    assert_eq!(component(&s_, "withdrawals-thb")["status"], "under_maintenance");
    assert!(s_["incidents"][0]["name"].as_str().unwrap().starts_with("Resuming"), "{s_}");

    for (word, refused) in [("cancel-only", "out of order"), ("withdrawals", "out of order")] {
        let (path, body) = step(word, json!({}));
        let (s, v) = op.post(&path, body).await;
        assert_eq!(s, 409, "{word}: {v}");
        assert!(v.to_string().contains(refused), "{v}");
    }
    for word in ["deposits", "cancel-only"] {
        let (path, body) = step(word, json!({}));
        let (s, v) = op.post(&path, body).await;
        assert_eq!(s, 200, "{word}: {v}");
    }
    let (path, body) = step("post-only", json!({}));
    let (s, v) = op.post(&path, body.clone()).await;
    if s == 409 {
        assert!(v.to_string().contains("cancel-only must last"), "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let (s, v) = op.post(&path, body).await;
        assert_eq!(s, 200, "{v}");
    }
    let (path, body) = step("open", json!({}));
    assert_eq!(op.post(&path, body).await.0, 200);
    let (path, body) = step("withdrawals", json!({}));
    let (s, v) = op.post(&path, body.clone()).await;
    assert_eq!(s, 409, "no reconciliation yet: {v}");
    assert!(v.to_string().contains("reconciliation"), "{v}");
    let now = kit.ex.gateway.now_ms();
    kit.web
        .store
        .save_reconciliation(&talat_store::ReconciliationRow {
            recon_date: "2026-12-06".into(),
            report: "{}".into(),
            difference_satang: 0,
            created_ms: now,
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let (s, v) = op.post(&path, body).await;
    assert_eq!(s, 200, "{v}");

    let s_ = summary(&kit).await;
    assert_eq!(s_["status"]["indicator"], "none", "{s_}");
    let (_, list) = text(&kit, "/api/v2/incidents.json", None).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["incidents"][0]["status"], "resolved");
    assert_eq!(list["incidents"][0]["incident_updates"].as_array().unwrap().len(), 6, "every step posted");
    let (_, state) = op.get("/web/api/console/resume").await;
    assert_eq!(state["active"], false);
    assert_eq!(state["next"], "begin");
}
