//! The REST API end to end against a real node and server: the happy paths of the secure
//! endpoints, and every malformed request getting its code and changing nothing.

use serde_json::{json, Value};
use talat_api::testkit::TestExchange;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

struct Client {
    http: reqwest::Client,
}

impl Client {
    fn new() -> Client {
        Client { http: reqwest::Client::new() }
    }

    async fn get(&self, ex: &TestExchange, target: &str) -> (u16, Value) {
        let response = self.http.get(format!("{}{target}", ex.url)).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn signed(&self, ex: &TestExchange, user: usize, method: &str, target: &str, body: &str) -> (u16, Value) {
        let mut request = match method {
            "GET" => self.http.get(format!("{}{target}", ex.url)),
            _ => self.http.post(format!("{}{target}", ex.url)),
        };
        for (name, value) in ex.sign_headers(user, method, target, body) {
            request = request.header(name, value);
        }
        let response = request.header("content-type", "application/json").body(body.to_string()).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn exchange() -> TestExchange {
    TestExchange::start(ApiConfig::default(), 3, SequencerConfig::default()).await
}

fn code(v: &Value) -> i64 {
    v["error"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_list_inspect_and_cancel_orders() {
    let ex = exchange().await;
    let c = Client::new();
    // A bid of 1,000 THB at 3,400,000 rests (below the opening price, inside the band).
    let (status, placed) =
        c.signed(&ex, 0, "POST", "/api/v3/market/place-bid", r#"{"sym": "btc_thb", "amt": 1000, "rat": 3400000, "typ": "limit", "client_id": "bid-1"}"#).await;
    assert_eq!((status, code(&placed)), (200, 0), "{placed}");
    let id = placed["result"]["id"].as_str().unwrap().to_string();
    assert_eq!(placed["result"]["ci"], "bid-1");
    assert_eq!(placed["result"]["typ"], "limit");
    assert_eq!(placed["result"]["amt"], json!(1000));
    assert_eq!(placed["result"]["fee"], json!(2.5));
    assert!(placed["result"]["ts"].is_string());

    // Held funds and the open order are visible at once (read-your-writes).
    let (_, balances) = c.signed(&ex, 0, "POST", "/api/v3/market/balances", "").await;
    let reserved = balances["result"]["THB"]["reserved"].as_f64().unwrap();
    assert!(reserved > 999.0 && reserved <= 1000.0, "{balances}");
    let (_, open) = c.signed(&ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "{}").await;
    let list = open["result"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["side"], "buy");
    assert_eq!(list[0]["rate"], "3400000");
    assert_eq!(list[0]["client_id"], "bid-1");
    let (_, info) = c.signed(&ex, 0, "GET", &format!("/api/v3/market/order-info?sym=BTC_THB&id={id}&sd=buy"), "").await;
    assert_eq!(info["result"]["status"], "unfilled", "{info}");
    // Public book shows it.
    let (_, bids) = c.get(&ex, "/api/v3/market/bids?sym=BTC_THB&lmt=5").await;
    assert_eq!(bids["result"][0]["order_id"], id.as_str());

    // Another user cannot cancel it; a wrong side is not found either.
    let body = format!(r#"{{"sym":"BTC_THB","id":"{id}","sd":"buy"}}"#);
    let (_, other) = c.signed(&ex, 1, "POST", "/api/v3/market/cancel-order", &body).await;
    assert_eq!(code(&other), 21);
    let wrong_side = format!(r#"{{"sym":"BTC_THB","id":"{id}","sd":"sell"}}"#);
    assert_eq!(code(&c.signed(&ex, 0, "POST", "/api/v3/market/cancel-order", &wrong_side).await.1), 21);
    // The owner cancels with the quote-first symbol the docs still describe.
    let thb_btc = format!(r#"{{"sym":"thb_btc","id":"{id}","sd":"buy","hash":""}}"#);
    let (_, cancelled) = c.signed(&ex, 0, "POST", "/api/v3/market/cancel-order", &thb_btc).await;
    assert_eq!(cancelled, json!({"error":0,"result":{}}));
    let (_, open) = c.signed(&ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    assert_eq!(open["result"], json!([]));
    let (_, wallet) = c.signed(&ex, 0, "POST", "/api/v3/market/wallet", "{}").await;
    assert_eq!(wallet["result"]["THB"], json!(10000000));
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crossing_order_trades_and_both_sides_settle() {
    let ex = exchange().await;
    let c = Client::new();
    let (_, ask) = c.signed(&ex, 1, "POST", "/api/v3/market/place-ask", r#"{"sym":"BTC_THB","amt":0.01,"rat":3500000,"typ":"limit"}"#).await;
    assert_eq!(code(&ask), 0, "{ask}");
    let (_, bid) = c.signed(&ex, 0, "POST", "/api/v3/market/place-bid", r#"{"sym":"BTC_THB","amt":35000,"rat":3500000,"typ":"limit"}"#).await;
    assert_eq!(code(&bid), 0, "{bid}");
    let (_, trades) = c.get(&ex, "/api/v3/market/trades?sym=BTC_THB&lmt=10").await;
    let row = &trades["result"][0];
    assert_eq!(row[1], json!(3500000));
    assert_eq!(row[2], json!(0.01));
    assert_eq!(row[3], "BUY");
    let (_, wallet) = c.signed(&ex, 0, "POST", "/api/v3/market/wallet", "").await;
    // Buyer: 10 BTC + 0.01 less the 0.25 % fee in BTC.
    assert_eq!(wallet["result"]["BTC"], json!(10.009975));
    assert_eq!(wallet["result"]["THB"], json!(9965000));
    let (_, ticker) = c.get(&ex, "/api/v3/market/ticker?sym=BTC_THB").await;
    assert_eq!(ticker[0]["last"], "3500000");
    // A market order spends THB.
    let (_, ask) = c.signed(&ex, 1, "POST", "/api/v3/market/place-ask", r#"{"sym":"BTC_THB","amt":0.001,"rat":3500000,"typ":"limit"}"#).await;
    assert_eq!(code(&ask), 0);
    let (_, market) = c.signed(&ex, 0, "POST", "/api/v3/market/place-bid", r#"{"sym":"BTC_THB","amt":100,"rat":0,"typ":"market"}"#).await;
    assert_eq!(code(&market), 0, "{market}");
    ex.stop().await;
}

/// Every malformed request is refused with its code and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_their_codes_and_change_nothing() {
    let ex = exchange().await;
    let c = Client::new();
    let before_seq = ex.gateway.read.applied_seq();
    let (_, before) = c.signed(&ex, 0, "POST", "/api/v3/market/balances", "").await;
    let long_client_id = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":3400000,"typ":"limit","client_id":"{}"}}"#, "x".repeat(97));
    let bid = "/api/v3/market/place-bid";
    let ask = "/api/v3/market/place-ask";
    let cases: Vec<(&str, &str, i64)> = vec![
        (bid, "{", 1),
        (bid, "[1]", 1),
        (bid, r#""text""#, 1),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000}"#, 0), // typ defaults to limit: the control case
        (bid, r#"{"sym":"NOPE_THB","amt":1000,"rat":3400000,"typ":"limit"}"#, 11),
        (bid, r#"{"sym":5,"amt":1000,"rat":3400000,"typ":"limit"}"#, 11),
        (bid, r#"{"amt":1000,"rat":3400000,"typ":"limit"}"#, 11),
        (bid, r#"{"sym":"BTC_THB","amt":-1000,"rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":0,"rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":"abc","rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":1e300,"rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":99999999999999999999999,"rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":10.001,"rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","rat":3400000,"typ":"limit"}"#, 12),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":0,"typ":"limit"}"#, 13),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":-5,"typ":"limit"}"#, 13),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000.001,"typ":"limit"}"#, 13),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":1e30,"typ":"limit"}"#, 13),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":100,"typ":"market"}"#, 13),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000,"typ":"stop"}"#, 10),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000,"typ":"limit","post_only":"yes"}"#, 10),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000,"typ":"limit","client_id":"has space"}"#, 10),
        (bid, &long_client_id, 10),
        (bid, r#"{"sym":"BTC_THB","amt":5,"rat":3400000,"typ":"limit"}"#, 15),
        (bid, r#"{"sym":"BTC_THB","amt":1000,"rat":10000000,"typ":"limit"}"#, 14),
        (bid, r#"{"sym":"BTC_THB","amt":99999999,"rat":3400000,"typ":"limit"}"#, 18),
        (ask, r#"{"sym":"BTC_THB","amt":0.000000001,"rat":3400000,"typ":"limit"}"#, 12),
        (ask, r#"{"sym":"BTC_THB","amt":1000,"rat":3400000,"typ":"limit"}"#, 18),
        ("/api/v3/market/cancel-order", r#"{"sym":"BTC_THB","id":"999999","sd":"buy"}"#, 21),
        ("/api/v3/market/cancel-order", r#"{"sym":"BTC_THB","id":"abc","sd":"buy"}"#, 21),
        ("/api/v3/market/cancel-order", r#"{"sym":"BTC_THB","id":"1","sd":"up"}"#, 22),
        ("/api/v3/market/cancel-order", r#"{"sym":"XXX","id":"1","sd":"buy"}"#, 11),
    ];
    let mut placed = 0;
    for (path, body, expected) in &cases {
        let (status, reply) = c.signed(&ex, 0, "POST", path, body).await;
        assert_eq!(code(&reply), *expected, "{path} {body} → {status} {reply}");
        if *expected == 0 {
            placed += 1;
        } else {
            assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()), "a readable message: {reply}");
        }
    }
    // Cancel the control order, then nothing but those two commands reached the engine.
    let (_, open) = c.signed(&ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    let id = open["result"][0]["id"].as_str().unwrap().to_string();
    let (_, done) = c.signed(&ex, 0, "POST", "/api/v3/market/cancel-order", &format!(r#"{{"sym":"BTC_THB","id":"{id}","sd":"buy"}}"#)).await;
    assert_eq!(code(&done), 0);
    let (_, after) = c.signed(&ex, 0, "POST", "/api/v3/market/balances", "").await;
    assert_eq!(before, after);
    // Engine-level refusals (14, 15, 18) are journaled commands too; input refusals are not.
    let engine_refusals = cases.iter().filter(|(_, _, code)| matches!(code, 14 | 15 | 18)).count() as u64;
    let submitted = placed + 1 + engine_refusals - 1; // amt 5 THB at 3.4M buys 0.00000147 BTC: refused by the engine (15)
    assert!(ex.gateway.read.applied_seq() - before_seq <= submitted + 1, "no refused input reached the engine");
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failures_have_their_codes() {
    let ex = exchange().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v3/market/wallet", ex.url);
    let send = |headers: Vec<(&'static str, String)>, body: &'static str| {
        let mut request = http.post(&url);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        async move { request.body(body).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let good = ex.sign_headers(0, "POST", "/api/v3/market/wallet", "{}");
    let with = |name: &str, value: Option<String>| -> Vec<(&'static str, String)> {
        good.iter().filter(|(k, _)| *k != name).cloned().chain(value.map(|v| (good.iter().find(|(k, _)| *k == name).unwrap().0, v))).collect()
    };
    assert_eq!(code(&send(good.to_vec(), "{}").await), 0);
    assert_eq!(code(&send(with("X-BTK-APIKEY", None), "{}").await), 2);
    assert_eq!(code(&send(with("X-BTK-APIKEY", Some("nope".into())), "{}").await), 3);
    assert_eq!(code(&send(with("X-BTK-SIGN", None), "{}").await), 6);
    assert_eq!(code(&send(with("X-BTK-SIGN", Some("00".repeat(32))), "{}").await), 6);
    assert_eq!(code(&send(good.to_vec(), "{ }").await), 6, "the body is signed byte for byte");
    assert_eq!(code(&send(with("X-BTK-TIMESTAMP", None), "{}").await), 7);
    assert_eq!(code(&send(with("X-BTK-TIMESTAMP", Some("soon".into())), "{}").await), 8);
    let stale = (ex.gateway.now_ms() - 60_000).to_string();
    assert_eq!(code(&send(with("X-BTK-TIMESTAMP", Some(stale)), "{}").await), 8);
    // An oversized body is refused before anything else.
    let big = "x".repeat(ex.gateway.config.max_body_bytes + 1);
    let response = http.post(&url).body(big).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(code(&response.json::<Value>().await.unwrap()), 1);
    // Unknown paths answer in the v3 shape.
    let response = http.get(format!("{}/api/v3/nope", ex.url)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_endpoints_have_the_reference_shapes() {
    let ex = exchange().await;
    let c = Client::new();
    let time = reqwest::get(format!("{}/api/v3/servertime", ex.url)).await.unwrap().text().await.unwrap();
    assert!(time.bytes().all(|b| b.is_ascii_digit()) && time.len() == 13, "{time}");
    let (_, status) = c.get(&ex, "/api/status").await;
    assert_eq!(status[0]["status"], "ok");
    let (_, symbols) = c.get(&ex, "/api/v3/market/symbols").await;
    let btc = &symbols["result"][0];
    assert_eq!(btc.as_object().unwrap().len(), 23, "all 23 fields: {btc}");
    assert_eq!(btc["symbol"], "BTC_THB");
    assert_eq!(btc["pairing_id"], 1);
    assert_eq!(btc["min_quote_size"], json!(10));
    assert_eq!(btc["price_step"], "0.01");
    let (_, ticker) = c.get(&ex, "/api/v3/market/ticker").await;
    assert_eq!(ticker.as_array().unwrap().len(), 2);
    let (_, legacy) = c.get(&ex, "/api/market/symbols").await;
    assert_eq!(legacy["result"][0], json!({"id":1,"symbol":"THB_BTC","info":"Thai Baht to Bitcoin"}));
    let (_, legacy_ticker) = c.get(&ex, "/api/market/ticker?sym=THB_BTC").await;
    assert!(legacy_ticker["THB_BTC"]["id"] == 1);
    let (_, depth) = c.get(&ex, "/api/market/depth?sym=THB_BTC&lmt=5").await;
    assert!(depth["asks"].is_array() && depth.get("error").is_none());
    for bad in ["/api/v3/market/depth?sym=NOPE_THB", "/api/v3/market/bids", "/api/v3/market/trades?sym=BTC_THB&lmt=0", "/api/v3/market/asks?sym=BTC_THB&lmt=x"]
    {
        let (status, reply) = c.get(&ex, bad).await;
        assert_eq!(status, 200);
        assert!(matches!(code(&reply), 10 | 11), "{bad} → {reply}");
    }
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_and_block() {
    let ex = exchange().await;
    let c = Client::new();
    // Depth allows 10 a second per caller.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(c.get(&ex, "/api/v3/market/depth?sym=BTC_THB").await);
    }
    let (status, reply) = statuses.last().unwrap();
    assert_eq!(*status, 429);
    assert_eq!(code(reply), 30);
    // Signed calls count per user: another user is not blocked by the first one's burst.
    // (Tokens refill while the requests go out, so count until the limit bites.)
    // Each request differs (a signed request works once, so a client never sends the same
    // bytes twice within a millisecond).
    let mut sent = 0;
    while c.signed(&ex, 0, "POST", "/api/v3/market/wallet", &format!(r#"{{"n":{sent}}}"#)).await.0 != 429 {
        sent += 1;
        assert!(sent < 5_000, "the wallet limit (150/s) never bit");
    }
    assert!(sent >= 150, "the burst of 150 is allowed first");
    assert_eq!(c.signed(&ex, 0, "POST", "/api/v3/market/wallet", r#"{"n":-1}"#).await.0, 429, "and the caller stays blocked");
    assert_eq!(code(&c.signed(&ex, 1, "POST", "/api/v3/market/wallet", "").await.1), 0);
    let openapi: Value = reqwest::get(format!("{}/api/openapi.json", ex.url)).await.unwrap().json().await.unwrap();
    assert!(openapi["paths"]["/api/v3/talat/place-order"].is_object());
    let metrics = reqwest::get(format!("{}/metrics", ex.url)).await.unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_closed_orders_and_candles_come_from_the_store() {
    let ex = exchange().await;
    let c = Client::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{},"typ":"limit","client_id":"h{i}"}}"#, 3_400_000 + i);
        let (_, placed) = c.signed(&ex, 0, "POST", "/api/v3/market/place-bid", &body).await;
        ids.push(placed["result"]["id"].as_str().unwrap().to_string());
    }
    let cancel = format!(r#"{{"sym":"BTC_THB","id":"{}","sd":"buy"}}"#, ids[0]);
    assert_eq!(code(&c.signed(&ex, 0, "POST", "/api/v3/market/cancel-order", &cancel).await.1), 0);
    // The cancelled order is known to order-info (from the store) as cancelled.
    let (_, info) = c.signed(&ex, 0, "GET", &format!("/api/v3/market/order-info?sym=BTC_THB&id={}&sd=buy", ids[0]), "").await;
    assert_eq!(info["result"]["status"], "cancelled", "{info}");
    // Page mode: newest first, 2 a page, 3 pages.
    let (_, page1) = c.signed(&ex, 0, "GET", "/api/v3/market/my-order-history?sym=BTC_THB&p=1&lmt=2", "").await;
    assert_eq!(code(&page1), 0, "{page1}");
    assert_eq!(page1["result"].as_array().unwrap().len(), 2);
    assert_eq!(page1["result"][0]["order_id"], ids[4].as_str());
    assert_eq!(page1["pagination"], json!({"page":1,"last":3,"next":2,"prev":null}));
    // Keyset mode walks the same five with no gap or repeat.
    let mut seen = Vec::new();
    let mut cursor = "e30=".to_string();
    for _ in 0..5 {
        let target = format!("/api/v3/market/my-order-history?sym=BTC_THB&lmt=2&pagination_type=keyset&cursor={}", cursor.replace('=', "%3D"));
        let (_, page) = c.signed(&ex, 0, "GET", &target, "").await;
        assert_eq!(code(&page), 0, "{page}");
        for item in page["result"].as_array().unwrap() {
            seen.push(item["order_id"].as_str().unwrap().to_string());
        }
        if !page["pagination"]["has_next"].as_bool().unwrap() {
            break;
        }
        cursor = page["pagination"]["cursor"].as_str().unwrap().to_string();
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    // The documented validation rules.
    for bad in [
        "/api/v3/market/my-order-history?sym=BTC_THB&p=1&cursor=e30%3D&pagination_type=keyset",
        "/api/v3/market/my-order-history?sym=BTC_THB&cursor=e30%3D",
        "/api/v3/market/my-order-history?sym=BTC_THB&p=1&pagination_type=keyset",
        "/api/v3/market/my-order-history?sym=BTC_THB&lmt=0",
        "/api/v3/market/my-order-history?sym=BTC_THB&start=10&end=5",
        "/api/v3/market/my-order-history?sym=BTC_THB&pagination_type=sideways",
    ] {
        assert_eq!(code(&c.signed(&ex, 0, "GET", bad, "").await.1), 10, "{bad}");
    }
    assert_eq!(code(&c.signed(&ex, 0, "GET", "/api/v3/market/my-order-history", "").await.1), 11);
    // A trade makes a candle.
    let (_, ask) = c.signed(&ex, 1, "POST", "/api/v3/market/place-ask", r#"{"sym":"BTC_THB","amt":0.001,"rat":3400004,"typ":"limit"}"#).await;
    assert_eq!(code(&ask), 0);
    let now_s = ex.gateway.now_ms() / 1000;
    let (_, tv) = c.get(&ex, &format!("/tradingview/history?symbol=BTC_THB&resolution=1&from={}&to={}", now_s - 120, now_s + 60)).await;
    assert_eq!(tv["s"], "ok", "{tv}");
    assert_eq!(tv["c"][0], json!(3400004));
    // The ask meets the best bid: 1,000 THB at 3,400,004 is 0.00029411 BTC.
    assert_eq!(tv["v"][0], json!(0.00029411));
    let (_, none) = c.get(&ex, "/tradingview/history?symbol=BTC_THB&resolution=1&from=0&to=60").await;
    assert_eq!(none["s"], "no_data");
    let (_, bad) = c.get(&ex, "/tradingview/history?symbol=BTC_THB&resolution=7&from=0&to=60").await;
    assert_eq!(code(&bad), 10);
    ex.stop().await;
}

/// bitkub-python sends `{}` with every GET: the connection must stay usable afterwards, even
/// when the body arrives after the headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_with_a_body_keeps_the_connection_alive() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ex = exchange().await;
    let mut socket = tokio::net::TcpStream::connect(ex.addr).await.unwrap();
    for path in ["/api/v3/market/ticker?sym=BTC_THB", "/api/v3/servertime", "/api/status"] {
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
        socket.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        socket.write_all(b"{}").await.unwrap();
        let mut response = Vec::new();
        let mut buf = [0u8; 4096];
        // Read until the whole response (headers + content-length body) is in.
        loop {
            let n = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read(&mut buf)).await.expect("an answer").unwrap();
            assert!(n > 0, "the server closed the connection after {path}");
            response.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize =
                    text.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())).unwrap();
                if response.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("connection: close"), "{text}");
    }
    ex.stop().await;
}

/// talat's additions: IOC, FOK, stop-limit, STP mode per order, amend, cancel-all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extensions_place_amend_and_cancel_all() {
    let ex = exchange().await;
    let c = Client::new();
    let place = "/api/v3/talat/place-order";
    // A resting ask of 0.01 BTC at 3,500,000 by user 1.
    let (_, ask) = c.signed(&ex, 1, "POST", place, r#"{"sym":"BTC_THB","sd":"sell","typ":"limit","amt":0.01,"rat":3500000}"#).await;
    assert_eq!((code(&ask), ask["result"]["status"].as_str()), (0, Some("open")), "{ask}");
    let ask_id = ask["result"]["id"].as_str().unwrap().to_string();
    // FOK for more than rests: killed, nothing trades.
    let (_, fok) = c.signed(&ex, 0, "POST", place, r#"{"sym":"BTC_THB","sd":"buy","typ":"limit","tif":"fok","amt":0.02,"rat":3500000}"#).await;
    assert_eq!((code(&fok), fok["result"]["status"].as_str()), (0, Some("canceled")), "{fok}");
    // IOC for part of it: fills what it can, the rest is cancelled.
    let (_, ioc) = c.signed(&ex, 0, "POST", place, r#"{"sym":"BTC_THB","sd":"buy","typ":"limit","tif":"ioc","amt":0.004,"rat":3500000}"#).await;
    assert_eq!(ioc["result"]["status"], "filled", "{ioc}");
    // Self-trade with decrement: user 1 buys into its own ask; both shrink, nothing trades.
    let (_, stp) =
        c.signed(&ex, 1, "POST", place, r#"{"sym":"BTC_THB","sd":"buy","typ":"limit","tif":"ioc","amt":0.001,"rat":3500000,"stp":"decrement"}"#).await;
    assert_eq!(code(&stp), 0, "{stp}");
    let (_, open) = c.signed(&ex, 1, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    assert_eq!(open["result"][0]["amount"], "0.005", "0.01 − 0.004 filled − 0.001 decremented: {open}");
    // Amend: lower the price (loses priority), then shrink (keeps it).
    let amend = "/api/v3/talat/amend-order";
    let (_, moved) = c.signed(&ex, 1, "POST", amend, &format!(r#"{{"sym":"BTC_THB","id":"{ask_id}","rat":3600000}}"#)).await;
    assert_eq!((code(&moved), moved["result"]["kept_priority"].as_bool()), (0, Some(false)), "{moved}");
    let (_, shrunk) = c.signed(&ex, 1, "POST", amend, &format!(r#"{{"sym":"BTC_THB","id":"{ask_id}","amt":0.002}}"#)).await;
    assert_eq!(shrunk["result"]["kept_priority"], true, "{shrunk}");
    let (_, asks) = c.get(&ex, "/api/v3/market/asks?sym=BTC_THB").await;
    assert_eq!((asks["result"][0]["price"].as_str(), asks["result"][0]["size"].as_str()), (Some("3600000"), Some("0.002")));
    // A stop-limit waits untriggered; cancel-all takes it and the ask.
    let (_, stop) = c.signed(&ex, 1, "POST", place, r#"{"sym":"BTC_THB","sd":"sell","typ":"stop_limit","amt":0.001,"stop":3300000,"rat":3290000}"#).await;
    assert_eq!(stop["result"]["status"], "untriggered", "{stop}");
    let (_, all) = c.signed(&ex, 1, "POST", "/api/v3/talat/cancel-all", r#"{"sym":"BTC_THB"}"#).await;
    assert_eq!(all["result"]["cancelled"].as_array().unwrap().len(), 2, "{all}");
    // Bad inputs to the extensions.
    for (body, expected) in [
        (r#"{"sym":"BTC_THB","sd":"sell","typ":"limit","tif":"gtd","amt":0.01,"rat":3500000}"#, 10),
        (r#"{"sym":"BTC_THB","sd":"sell","typ":"limit","stp":"none","amt":0.01,"rat":3500000}"#, 10),
        (r#"{"sym":"BTC_THB","sd":"sell","typ":"stop_limit","amt":0.01,"rat":3500000}"#, 13),
        (r#"{"sym":"BTC_THB","sd":"hold","typ":"limit","amt":0.01,"rat":3500000}"#, 22),
        (r#"{"sym":"BTC_THB","sd":"sell","typ":"iceberg","amt":0.01,"rat":3500000}"#, 10),
    ] {
        assert_eq!(code(&c.signed(&ex, 1, "POST", place, body).await.1), expected, "{body}");
    }
    assert_eq!(code(&c.signed(&ex, 1, "POST", amend, &format!(r#"{{"sym":"BTC_THB","id":"{ask_id}"}}"#)).await.1), 21, "a cancelled order cannot be amended");
    ex.stop().await;
}

/// With `decimals = "strings"` every decimal a strict SDK reads is a string, the user limits and
/// trading credits included; fiat lists of a key without a web account are empty, not errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decimals_as_strings_cover_limits_and_credits() {
    let config = ApiConfig { decimals: talat_gateway::decimal::DecimalStyle::Strings, ..ApiConfig::default() };
    let ex = TestExchange::start(config, 1, SequencerConfig::default()).await;
    let c = Client::new();
    let (_, credits) = c.signed(&ex, 0, "POST", "/api/v3/user/trading-credits", "{}").await;
    assert_eq!(credits["result"], "0", "{credits}");
    let (_, limits) = c.signed(&ex, 0, "POST", "/api/v3/user/limits", "{}").await;
    let mut numbers = Vec::new();
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Number(_) => out.push(path),
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, format!("{path}.{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(x, format!("{path}[{i}]"), out)),
            _ => {}
        }
    }
    walk(&limits["result"], "result".into(), &mut numbers);
    assert!(numbers.is_empty(), "numbers left in user/limits: {numbers:?} in {limits}");
    for path in ["/api/v3/fiat/accounts", "/api/v3/fiat/deposit-history", "/api/v3/fiat/withdraw-history"] {
        let (_, v) = c.signed(&ex, 0, "POST", path, "{}").await;
        assert_eq!((code(&v), v["result"].as_array().map(Vec::len)), (0, Some(0)), "{path}: {v}");
    }
    let (status, v) = c.signed(&ex, 0, "GET", "/api/v4/fiat/withdraw/history", "").await;
    assert_eq!((status, v["code"].as_str(), v["data"].as_array().map(Vec::len)), (200, Some("0"), Some(0)), "{v}");
    let (_, v) = c.signed(&ex, 0, "POST", "/api/v3/fiat/withdraw", r#"{"id":"1","amt":100}"#).await;
    assert_eq!(code(&v), 48, "{v}");
    ex.stop().await;
}

/// A captured signed request replayed inside its window is refused (code 8) and does nothing;
/// so is a timestamp that is not plain digits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_works_once() {
    let ex = exchange().await;
    let http = reqwest::Client::new();
    let target = "/api/v3/market/place-bid";
    let body = r#"{"sym":"BTC_THB","amt":1000,"rat":3000000,"typ":"limit"}"#;
    let headers = ex.sign_headers(0, "POST", target, body);
    let mut answers = Vec::new();
    for _ in 0..3 {
        let mut request = http.post(format!("{}{target}", ex.url)).header("content-type", "application/json");
        for (name, value) in headers.clone() {
            request = request.header(name, value);
        }
        answers.push(request.body(body).send().await.unwrap().json::<Value>().await.unwrap());
    }
    assert_eq!(code(&answers[0]), 0, "{}", answers[0]);
    assert_eq!((code(&answers[1]), code(&answers[2])), (8, 8), "{answers:?}");
    let c = Client::new();
    let (_, open) = c.signed(&ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    assert_eq!(open["result"].as_array().map(Vec::len), Some(1), "one order, not three: {open}");
    // Lenient timestamps are refused: a sign, a leading zero.
    for ts in [format!("+{}", ex.gateway.now_ms()), format!("0{}", ex.gateway.now_ms())] {
        let sig = talat_gateway::auth::sign::sign(ex.users[0].secret.as_bytes(), &ts, "POST", "/api/v3/market/wallet", b"");
        let r = http
            .post(format!("{}/api/v3/market/wallet", ex.url))
            .header("X-BTK-APIKEY", &ex.users[0].key)
            .header("X-BTK-TIMESTAMP", &ts)
            .header("X-BTK-SIGN", sig)
            .send()
            .await
            .unwrap();
        assert_eq!(code(&r.json::<Value>().await.unwrap()), 8, "{ts}");
    }
    ex.stop().await;
}

/// A body with a key twice is refused with code 1 and places nothing: which value wins is
/// exactly where a proxy and the exchange could disagree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_json_keys_are_refused() {
    let ex = exchange().await;
    let c = Client::new();
    let body = r#"{"sym":"BTC_THB","amt":1000,"rat":3000000,"rat":1,"typ":"limit"}"#;
    let (_, v) = c.signed(&ex, 0, "POST", "/api/v3/market/place-bid", body).await;
    assert_eq!(code(&v), 1, "{v}");
    let (_, open) = c.signed(&ex, 0, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
    assert_eq!(open["result"].as_array().map(Vec::len), Some(0), "{open}");
    ex.stop().await;
}
