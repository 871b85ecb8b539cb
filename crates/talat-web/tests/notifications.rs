//! In-app notifications through the web API: fills, deposits, withdrawals... as they happen,
//! unread until read, a bad read mark refused without changing anything, markets halted and
//! reopened, and the session WebSocket saying `notify` when the engine touches the customer.

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use talat_core::{Amount, Command, ExternalId, MarketId, TradingMode};

async fn operator(kit: &Kit, command: Command) {
    let outcome = kit.web.gateway.submit(command.clone()).await.unwrap();
    assert!(!outcome.events.iter().any(|e| matches!(e, talat_core::Event::Rejected { .. })), "{command:?}: {:?}", outcome.events);
}

fn user_of(account: &Value) -> talat_core::UserId {
    talat_core::UserId(account["user_id"].as_u64().unwrap() as u32)
}

/// The kinds of the notifications, newest first.
fn kinds(v: &Value) -> Vec<String> {
    v["notifications"].as_array().unwrap_or_else(|| panic!("{v}")).iter().map(|n| n["kind"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_deposits_and_halts_are_notified_until_read() {
    let kit = start(relaxed()).await;
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    let (mut bob, bob_account) = signed_up(&kit, "bob@example.com").await;
    let (_, before) = bob.get("/web/api/notifications").await;
    let deposits_before = kinds(&before).iter().filter(|k| *k == "deposit").count();

    let btc = kit.web.gateway.read.asset_id("BTC").unwrap();
    operator(&kit, Command::Deposit { user: user_of(&bob_account), asset: btc, amount: Amount(100_000_000), external_id: ExternalId("btc-for-bob".into()) })
        .await;
    let (_, v) = bob.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "sell", "type": "limit", "price": "3500000", "amount": "0.01"})).await;
    let order_id = v["order"]["id"].as_str().unwrap().to_string();
    let (s, _) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3500000", "amount": "0.004"})).await;
    assert_eq!(s, 200);

    // Bob: his fill (as the maker, with his order's id) above the deposit, both unread.
    let (s, v) = bob.get("/web/api/notifications").await;
    assert_eq!(s, 200, "{v}");
    let newest = &v["notifications"][0];
    assert_eq!(
        (newest["kind"].as_str(), newest["side"].as_str(), newest["amount"].as_str(), newest["price"].as_str(), newest["order_id"].as_str()),
        (Some("fill"), Some("sell"), Some("0.004"), Some("3500000"), Some(order_id.as_str())),
        "{v}"
    );
    assert_eq!(kinds(&v).iter().filter(|k| *k == "deposit").count(), deposits_before + 1, "{v}");
    let deposit = v["notifications"].as_array().unwrap().iter().find(|n| n["id"] == "deposit-btc-for-bob").unwrap_or_else(|| panic!("{v}"));
    assert_eq!((deposit["asset"].as_str(), deposit["amount"].as_str(), deposit["unread"].as_bool()), (Some("BTC"), Some("1"), Some(true)));
    let unread = v["unread"].as_u64().unwrap();
    assert_eq!(unread as usize, v["notifications"].as_array().unwrap().len(), "nothing read yet: {v}");

    // A bad mark changes nothing; a good one reads everything up to it.
    for bad in [json!({}), json!({"up_to_ms": "soon"}), json!({"up_to_ms": -1})] {
        let (s, e) = bob.post("/web/api/notifications/read", bad.clone()).await;
        assert_eq!((s.as_u16(), e["field"].as_str()), (400, Some("up_to_ms")), "{bad} → {e}");
    }
    assert_eq!(bob.get("/web/api/notifications").await.1["unread"].as_u64(), Some(unread));
    let newest_ms = newest["ts_ms"].as_u64().unwrap();
    let (s, r) = bob.post("/web/api/notifications/read", json!({"up_to_ms": newest_ms})).await;
    assert_eq!((s.as_u16(), r["read_ms"].as_u64()), (200, Some(newest_ms)), "{r}");
    let (_, v) = bob.get("/web/api/notifications").await;
    assert_eq!((v["unread"].as_u64(), v["notifications"][0]["unread"].as_bool()), (Some(0), Some(false)), "{v}");
    // The mark never moves back.
    bob.post("/web/api/notifications/read", json!({"up_to_ms": 1})).await;
    assert_eq!(bob.get("/web/api/notifications").await.1["read_ms"].as_u64(), Some(newest_ms));

    // An operator halts BTC_THB and reopens it: every customer is told, newest first.
    operator(&kit, Command::SetMarketMode { market: MarketId(0), mode: TradingMode::Halted }).await;
    operator(&kit, Command::SetMarketMode { market: MarketId(0), mode: TradingMode::Open }).await;
    let (_, v) = alice.get("/web/api/notifications").await;
    let markets: Vec<(Option<&str>, Option<&str>)> =
        v["notifications"].as_array().unwrap().iter().filter(|n| n["kind"] == "market").map(|n| (n["symbol"].as_str(), n["mode"].as_str())).collect();
    assert_eq!(markets, [(Some("BTC_THB"), Some("open")), (Some("BTC_THB"), Some("halted"))], "{v}");
    assert_eq!(kinds(&v).iter().filter(|k| *k == "fill").count(), 1, "alice's one fill: {v}");
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_stream_says_notify_when_the_customers_order_changes() {
    let kit = start(relaxed()).await;
    let base = kit.ex.url.clone();
    let (mut alice, _) = signed_up(&kit, "alice@example.com").await;
    // A session cookie for the socket: log in without a cookie store and read it.
    let resp = reqwest::Client::new()
        .post(format!("{base}/web/api/login"))
        .json(&json!({"email": "alice@example.com", "password": "a good password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.starts_with("talat_session=")).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();

    // Without a session the upgrade is refused.
    let url = format!("{}/web/api/notifications/stream", base.replacen("http", "ws", 1));
    assert!(tokio_tungstenite::connect_async(url.as_str()).await.is_err(), "no session, no stream");

    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url.as_str()).unwrap();
    request.headers_mut().insert("cookie", cookie.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("the stream opens with a session");
    let (s, _) = alice.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": "3000000", "amount": "0.001"})).await;
    assert_eq!(s, 200);
    let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("a notify within the wait").expect("a frame").expect("no error");
    assert_eq!(frame.into_text().unwrap().as_str(), r#"{"event":"notify"}"#);
    kit.ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_the_cancel_after_switch_cancelled_is_notified_and_a_customers_own_cancel_is_not() {
    let kit = start(relaxed()).await;
    let (mut carol, account) = signed_up(&kit, "carol@example.com").await;
    let mut ids = Vec::new();
    for price in ["3000000", "2900000"] {
        let (s, v) = carol.post("/web/api/orders", json!({"symbol": "BTC_THB", "side": "buy", "type": "limit", "price": price, "amount": "0.001"})).await;
        assert_eq!(s, 200, "{v}");
        ids.push(v["order"]["id"].as_str().unwrap().to_string());
    }
    let (s, v) = carol.delete(&format!("/web/api/orders/{}", ids[1])).await;
    assert_eq!(s, 200, "{v}");
    // The switch, armed for its shortest timeout, is fired by the gateway's timer.
    operator(&kit, Command::CancelAfter { user: user_of(&account), timeout_ms: talat_core::venue::MIN_CANCEL_AFTER_MS }).await;
    let mut cancels = Vec::new();
    for _ in 0..100 {
        let (_, v) = carol.get("/web/api/notifications").await;
        cancels = v["notifications"].as_array().unwrap_or_else(|| panic!("{v}")).iter().filter(|n| n["kind"] == "cancel").cloned().collect();
        if !cancels.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cancels.len(), 1, "only the order the switch cancelled, not the one carol cancelled: {cancels:?}");
    let n = &cancels[0];
    assert_eq!(
        (
            n["order_id"].as_str(),
            n["cause"].as_str(),
            n["side"].as_str(),
            n["price"].as_str(),
            n["amount"].as_str(),
            n["status"].as_str(),
            n["unread"].as_bool()
        ),
        (Some(ids[0].as_str()), Some("cancel_after"), Some("buy"), Some("3000000"), Some("0.001"), Some("canceled"), Some(true)),
        "{n}"
    );
    let (_, open) = carol.get("/web/api/orders/open").await;
    assert_eq!(open["orders"].as_array().map(Vec::len), Some(0), "{open}");
}
