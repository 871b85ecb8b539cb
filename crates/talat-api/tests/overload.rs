//! Overload: with the gateway's new-order budget exhausted, new orders are shed at once with a
//! clean "system busy" (503, error 90, Retry-After) while every cancel is still served — and
//! every order that was acknowledged is really there.

use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;
use talat_api::testkit::TestExchange;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

async fn signed(http: &reqwest::Client, ex: &TestExchange, user: usize, method: &str, target: &str, body: &str) -> (u16, Option<String>, Value) {
    let mut request = match method {
        "GET" => http.get(format!("{}{target}", ex.url)),
        _ => http.post(format!("{}{target}", ex.url)),
    };
    for (name, value) in ex.sign_headers(user, method, target, body) {
        request = request.header(name, value);
    }
    let response = request.body(body.to_string()).send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_string());
    (status, retry_after, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_are_served_while_new_orders_are_shed() {
    // A tiny new-order budget stands in for "past the high-water mark": the same code path.
    let config = ApiConfig { rate_limits: false, max_inflight_places: 4, ..ApiConfig::default() };
    let ex = Arc::new(TestExchange::start(config, 2, SequencerConfig::default()).await);
    let http = reqwest::Client::builder().pool_max_idle_per_host(512).build().unwrap();

    // User 1 rests 40 orders to cancel later.
    let mut to_cancel = Vec::new();
    for i in 0..40 {
        let body = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{},"typ":"limit"}}"#, 3_000_000 + i);
        let (_, _, placed) = signed(&http, &ex, 1, "POST", "/api/v3/market/place-bid", &body).await;
        assert_eq!(placed["error"], 0, "{placed}");
        to_cancel.push(placed["result"]["id"].as_str().unwrap().to_string());
    }

    // User 0 floods new orders with 300 at once; user 1 cancels its 40 in the middle of it.
    let mut flood = Vec::new();
    for i in 0..300 {
        let (ex, http) = (Arc::clone(&ex), http.clone());
        flood.push(tokio::spawn(async move {
            let body = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{},"typ":"limit","client_id":"flood-{i}"}}"#, 3_100_000 + i);
            signed(&http, &ex, 0, "POST", "/api/v3/market/place-bid", &body).await
        }));
    }
    let mut cancels = Vec::new();
    for id in &to_cancel {
        let (ex, http) = (Arc::clone(&ex), http.clone());
        let body = format!(r#"{{"sym":"BTC_THB","id":"{id}","sd":"buy"}}"#);
        cancels.push(tokio::spawn(async move { signed(&http, &ex, 1, "POST", "/api/v3/market/cancel-order", &body).await }));
    }

    let mut acknowledged = HashSet::new();
    let mut shed = 0;
    for task in flood {
        let (status, retry_after, reply) = task.await.unwrap();
        match (status, reply["error"].as_i64()) {
            (200, Some(0)) => {
                acknowledged.insert(reply["result"]["id"].as_str().unwrap().to_string());
            }
            (503, Some(90)) => {
                assert_eq!(retry_after.as_deref(), Some("1"), "a shed order says when to retry");
                assert!(reply["message"].as_str().unwrap().contains("busy"));
                shed += 1;
            }
            other => panic!("every refusal is a clean error: {other:?} {reply}"),
        }
    }
    for task in cancels {
        let (status, _, reply) = task.await.unwrap();
        assert_eq!((status, reply["error"].as_i64()), (200, Some(0)), "every cancel is served: {reply}");
    }
    assert!(shed > 0, "the flood exceeded the budget, so some orders were shed");
    assert!(!acknowledged.is_empty(), "and some got through");

    // Nothing acknowledged is lost: every acknowledged order is open; nothing else is.
    let (_, _, open) = signed(&http, &ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    let open: HashSet<String> = open["result"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(open, acknowledged);
    let (_, _, open1) = signed(&http, &ex, 1, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    assert_eq!(open1["result"], serde_json::json!([]));
    println!("acknowledged {} new orders, shed {shed}, served {} cancels", acknowledged.len(), to_cancel.len());
    Arc::try_unwrap(ex).ok().expect("all tasks done").stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_capacity_sheds_the_excess_and_only_the_excess() {
    let config = ApiConfig { rate_limits: false, max_new_orders_per_s: 20, ..ApiConfig::default() };
    let ex = TestExchange::start(config, 1, SequencerConfig::default()).await;
    let http = reqwest::Client::new();
    let (mut ok, mut shed) = (0, 0);
    for i in 0..100 {
        let body = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{},"typ":"limit"}}"#, 3_000_000 + i);
        let (status, retry_after, reply) = signed(&http, &ex, 0, "POST", "/api/v3/market/place-bid", &body).await;
        match status {
            200 => ok += 1,
            503 => {
                assert_eq!((reply["error"].as_i64(), retry_after.as_deref()), (Some(90), Some("1")));
                shed += 1;
            }
            other => panic!("unexpected {other} {reply}"),
        }
    }
    // The burst allowance is one second's worth; the loop takes well under the time to refill
    // many more, so most of the 100 are shed.
    assert!((20..100).contains(&ok), "admitted {ok}");
    assert_eq!(ok + shed, 100);
    // Cancels are not new orders: every one is served.
    let (_, _, open) = signed(&http, &ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    for order in open["result"].as_array().unwrap() {
        let body = format!(r#"{{"sym":"BTC_THB","id":"{}","sd":"buy"}}"#, order["id"].as_str().unwrap());
        let (status, _, reply) = signed(&http, &ex, 0, "POST", "/api/v3/market/cancel-order", &body).await;
        assert_eq!((status, reply["error"].as_i64()), (200, Some(0)));
    }
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_order_is_shed_before_its_signature_is_looked_at() {
    // No new order may be in flight: every one is shed. An unsigned one and one with a wrong
    // signature get the same "busy" answer as a good one — admission runs before any
    // authentication work — while a signed read is served as usual.
    let config = ApiConfig { rate_limits: false, max_inflight_places: 0, ..ApiConfig::default() };
    let ex = TestExchange::start(config, 1, SequencerConfig::default()).await;
    let http = reqwest::Client::new();
    let body = r#"{"sym":"BTC_THB","amt":1000,"rat":3000000,"typ":"limit"}"#;
    let target = "/api/v3/market/place-bid";
    let (status, retry_after, reply) = signed(&http, &ex, 0, "POST", target, body).await;
    assert_eq!((status, reply["error"].as_i64(), retry_after.as_deref()), (503, Some(90), Some("1")), "{reply}");
    let unsigned = http.post(format!("{}{target}", ex.url)).body(body).send().await.expect("request");
    assert_eq!(unsigned.status().as_u16(), 503);
    assert_eq!(unsigned.json::<Value>().await.expect("json")["error"].as_i64(), Some(90));
    let mut wrong = http.post(format!("{}{target}", ex.url)).body(body);
    for (name, value) in ex.sign_headers(0, "POST", target, body) {
        wrong = wrong.header(name, if name == "X-BTK-SIGN" { "0".repeat(64) } else { value });
    }
    let wrong = wrong.send().await.expect("request");
    assert_eq!(wrong.status().as_u16(), 503);
    assert_eq!(wrong.json::<Value>().await.expect("json")["error"].as_i64(), Some(90));
    let (status, _, balances) = signed(&http, &ex, 0, "POST", "/api/v3/market/balances", "{}").await;
    assert_eq!((status, balances["error"].as_i64()), (200, Some(0)));
    ex.stop().await;
}
