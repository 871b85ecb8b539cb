//! The WebSocket APIs end to end against a real node and server, with tokio-tungstenite as the
//! client: the order-book socket, the public ticker streams, the private stream (handshake,
//! auth, subscriptions, pushes, limits, timers) and the connection bound.
//!
//! Every receive has a timeout, so a missing message fails the test instead of hanging it.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use talat_api::testkit::TestExchange;
use talat_core::{Amount, Command, Event, MarketId, NewOrder, OrderId, OrderKind, Price, Qty, Side, StpMode, TimeInForce};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for any one message.
const WAIT: Duration = Duration::from_secs(10);
const BTC: MarketId = MarketId(0);
const ETH: MarketId = MarketId(1);

async fn exchange(config: ApiConfig) -> TestExchange {
    TestExchange::start(config, 3, SequencerConfig::default()).await
}

async fn try_connect(ex: &TestExchange, path: &str, user_agent: Option<&str>) -> Result<Ws, WsError> {
    let mut request = format!("ws://{}{path}", ex.addr).into_client_request().expect("a valid request");
    if let Some(agent) = user_agent {
        request.headers_mut().insert("user-agent", agent.parse().expect("a header value"));
    }
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("the handshake finishes")?;
    Ok(ws)
}

async fn connect(ex: &TestExchange, path: &str) -> Ws {
    try_connect(ex, path, Some("talat-test/1.0")).await.expect("the socket opens")
}

/// What the server sent next: a JSON text, or the close frame (None when the stream ended).
enum Received {
    Json(Value),
    Closed(Option<CloseFrame>),
}

async fn receive(ws: &mut Ws) -> Received {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.expect("a message within the timeout");
        match message {
            Some(Ok(Message::Text(text))) => return Received::Json(serde_json::from_str(text.as_str()).expect("JSON text")),
            Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => return Received::Closed(None),
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    match receive(ws).await {
        Received::Json(value) => value,
        Received::Closed(frame) => panic!("the socket closed: {frame:?}"),
    }
}

/// Skips messages until one matches (each within the timeout, at most 200).
async fn next_matching(ws: &mut Ws, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let value = next_json(ws).await;
        if matches(&value) {
            return value;
        }
    }
    panic!("no {what} among 200 messages");
}

async fn closed(ws: &mut Ws) -> CloseFrame {
    for _ in 0..50 {
        if let Received::Closed(frame) = receive(ws).await {
            return frame.expect("a close frame with a reason");
        }
    }
    panic!("the socket stayed open");
}

async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string())).await.expect("sent");
}

/// Places a limit order straight through the gateway; returns its id.
async fn place(ex: &TestExchange, user: usize, market: MarketId, side: Side, price: u64, qty: u64) -> OrderId {
    let kind = OrderKind::Limit { price: Price(price), qty: Qty(qty), tif: TimeInForce::Gtc };
    submit(ex, NewOrder { user: ex.users[user].user, market, side, kind, client_id: None, stp: StpMode::default() }).await
}

async fn submit(ex: &TestExchange, order: NewOrder) -> OrderId {
    let outcome = ex.gateway.submit(Command::PlaceOrder(order)).await.expect("admitted");
    outcome
        .events
        .iter()
        .find_map(|e| match e {
            Event::OrderAccepted { order, .. } => Some(*order),
            _ => None,
        })
        .unwrap_or_else(|| panic!("accepted: {:?}", outcome.events))
}

/// A signed REST call by user `i`.
async fn signed_post(ex: &TestExchange, i: usize, target: &str, body: &str) -> Value {
    let mut request = reqwest::Client::new().post(format!("{}{target}", ex.url));
    for (name, value) in ex.sign_headers(i, "POST", target, body) {
        request = request.header(name, value);
    }
    let response = request.header("content-type", "application/json").body(body.to_string()).send().await.expect("request");
    let value: Value = response.json().await.expect("JSON");
    assert_eq!(value["error"], 0, "{value}");
    value
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

// ---- order book ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_book_snapshot_then_bids_and_trades() {
    let ex = exchange(ApiConfig::default()).await;
    // 35 bid levels: the snapshot shows the best 30.
    for i in 0..35u64 {
        place(&ex, 0, BTC, Side::Buy, 340_000_000 - i * 10_000, 100_000).await;
    }
    let mut ws = connect(&ex, "/websocket-api/orderbook/1").await;
    let snapshot = next_json(&mut ws).await;
    assert_eq!(snapshot["event"], "tradeschanged");
    assert_eq!(snapshot["pairing_id"], 1);
    let data = snapshot["data"].as_array().expect("[trades, bids, asks]");
    assert_eq!(data.len(), 3);
    let bids = data[1].as_array().unwrap();
    assert_eq!(bids.len(), 30, "at most 30 rows");
    assert!(data[0].as_array().unwrap().is_empty() && data[2].as_array().unwrap().is_empty());
    // [vol, rate, amount, 0, false, false], best first.
    assert_eq!(bids[0], json!([3400, 3400000, 0.001, 0, false, false]));
    assert_eq!(f64_of(&bids[29][1]), 3_397_100.0, "the 30th best of 35 levels 100 THB apart");

    // A better bid over the API: bidschanged leads with it.
    signed_post(&ex, 1, "/api/v3/market/place-bid", r#"{"sym":"btc_thb","amt":3450,"rat":3450000,"typ":"limit"}"#).await;
    // (A bidschanged of the earlier bids may still come first: their feed can trail their
    // acknowledgement.)
    let changed = next_matching(&mut ws, "bidschanged with the new bid", |v| v["event"] == "bidschanged" && v["data"][0][1] == json!(3450000)).await;
    assert_eq!(changed["pairing_id"], 1);
    let rows = changed["data"].as_array().unwrap();
    assert!(rows.len() <= 30);
    assert_eq!(rows[0], json!([3450, 3450000, 0.001, 0, false, false]));

    // A crossing ask trades with it: tradeschanged carries the trade, marked new.
    signed_post(&ex, 2, "/api/v3/market/place-ask", r#"{"sym":"btc_thb","amt":0.0004,"rat":3450000,"typ":"limit"}"#).await;
    let traded = next_matching(&mut ws, "tradeschanged", |v| v["event"] == "tradeschanged").await;
    let data = traded["data"].as_array().unwrap();
    let trades = data[0].as_array().unwrap();
    assert_eq!(trades.len(), 1);
    let trade = trades[0].as_array().unwrap();
    assert_eq!(trade.len(), 9);
    assert!(trade[0].as_u64().unwrap() > 1_600_000_000, "seconds");
    assert_eq!(&trade[1..], &[json!(3450000), json!(0.0004), json!("SELL"), json!(0), json!(0), json!(true), json!(false), json!(false)]);
    assert_eq!(data[1].as_array().unwrap()[0], json!([2070, 3450000, 0.0006, 0, false, false]), "the bid's rest");
    // And a ticker with the trade's price.
    let ticker = next_matching(&mut ws, "ticker", |v| v["event"] == "ticker").await;
    assert_eq!(f64_of(&ticker["data"]["last"]), 3_450_000.0);
    assert_eq!(f64_of(&ticker["data"]["highestBid"]), 3_450_000.0);
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_book_of_an_unknown_pairing_id_is_closed_with_a_reason() {
    let ex = exchange(ApiConfig::default()).await;
    for path in ["/websocket-api/orderbook/99", "/websocket-api/orderbook/0", "/websocket-api/orderbook/btc"] {
        let mut ws = connect(&ex, path).await;
        let frame = closed(&mut ws).await;
        assert_eq!(u16::from(frame.code), 1008, "{path}");
        assert!(frame.reason.as_str().contains("unknown pairing_id"), "{}", frame.reason.as_str());
    }
    ex.stop().await;
}

// ---- public streams ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticker_streams_send_numbers_on_connect_and_after_trades() {
    let ex = exchange(ApiConfig::default()).await;
    let mut ws = connect(&ex, "/websocket-api/market.ticker.thb_btc").await;
    let first = next_json(&mut ws).await;
    assert_eq!(first["stream"], "market.ticker.thb_btc");
    assert_eq!(first["id"], 1);
    for field in [
        "last",
        "lowestAsk",
        "lowestAskSize",
        "highestBid",
        "highestBidSize",
        "change",
        "percentChange",
        "baseVolume",
        "quoteVolume",
        "high24hr",
        "low24hr",
        "open",
        "close",
    ] {
        assert!(first[field].is_number(), "{field} is a number: {first}");
    }
    assert_eq!(first["isFrozen"], 0);

    // Two streams in one path, names in any case.
    let mut both = connect(&ex, "/websocket-api/market.ticker.THB_BTC,Market.Ticker.thb_eth").await;
    let a = next_json(&mut both).await;
    let b = next_json(&mut both).await;
    let mut names = vec![a["stream"].as_str().unwrap().to_string(), b["stream"].as_str().unwrap().to_string()];
    names.sort();
    assert_eq!(names, ["market.ticker.thb_btc", "market.ticker.thb_eth"]);

    // A trade on ETH updates the ETH ticker on the combined socket.
    place(&ex, 0, ETH, Side::Sell, 12_100_000, 10_000_000).await;
    place(&ex, 1, ETH, Side::Buy, 12_100_000, 5_000_000).await;
    let eth = next_matching(&mut both, "an ETH ticker with the trade", |v| v["stream"] == "market.ticker.thb_eth" && v["last"] == json!(121000)).await;
    assert_eq!(eth["id"], 2);
    assert_eq!(f64_of(&eth["baseVolume"]), 0.05);
    assert_eq!(f64_of(&eth["lowestAsk"]), 121_000.0);
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trade_stream_sends_the_documented_shape() {
    let ex = exchange(ApiConfig::default()).await;
    let mut ws = connect(&ex, "/websocket-api/market.trade.thb_btc").await;
    let maker = place(&ex, 0, BTC, Side::Buy, 345_000_000, 100_000).await;
    let taker = place(&ex, 1, BTC, Side::Sell, 345_000_000, 40_000).await;
    let trade = next_json(&mut ws).await;
    assert_eq!(trade["stream"], "market.trade.thb_btc");
    assert_eq!(trade["sym"], "THB_BTC");
    assert_eq!(trade["rat"], "3450000");
    assert_eq!(trade["amt"], json!(0.0004));
    assert_eq!(trade["bid"], maker.0.to_string());
    assert_eq!(trade["sid"], taker.0.to_string());
    assert!(trade["txn"].as_str().unwrap().starts_with("BTCSELL"));
    assert!(trade["ts"].as_u64().unwrap() > 1_600_000_000);
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_streams_are_refused_clearly() {
    let ex = exchange(ApiConfig::default()).await;
    for path in ["/websocket-api/market.ticker.thb_doge", "/websocket-api/market.ticker.thb_btc,market.depth.thb_btc", "/websocket-api/ticker"] {
        let mut ws = connect(&ex, path).await;
        let frame = closed(&mut ws).await;
        assert_eq!(u16::from(frame.code), 1008, "{path}");
        assert!(frame.reason.as_str().starts_with("unknown stream"), "{path}: {}", frame.reason.as_str());
    }
    // A plain GET on a socket path gets a v3 error, not a bare text.
    let response = reqwest::get(format!("{}/websocket-api/market.ticker.thb_btc", ex.url)).await.expect("request");
    assert!(response.status().is_client_error());
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], 10);
    ex.stop().await;
}

// ---- private stream ------------------------------------------------------------------------

fn auth_message(ex: &TestExchange, i: usize) -> Value {
    let user = &ex.users[i];
    // An auth signs the timestamp alone and works once, so each socket takes its own
    // millisecond (as a client opening several sockets at once must).
    static LAST_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = ex.gateway.now_ms();
    let ts = LAST_MS
        .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |last| Some((last + 1).max(now)))
        .map(|last| (last + 1).max(now))
        .expect("the update always succeeds")
        .to_string();
    let sig = talat_gateway::auth::sign::sign(user.secret.as_bytes(), &ts, "", "", b"");
    json!({"event": "auth", "data": {"X-BTK-APIKEY": user.key, "X-BTK-SIGN": sig, "X-BTK-TIMESTAMP": ts}})
}

/// A private socket of user `i`, authenticated (and subscribed to both channels if asked).
async fn private(ex: &TestExchange, i: usize, subscribe: bool) -> Ws {
    let mut ws = connect(ex, "/v3/private").await;
    send(&mut ws, auth_message(ex, i)).await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["code"], "200", "{answer}");
    if subscribe {
        for channel in ["order_update", "match_update"] {
            send(&mut ws, json!({"event": "subscribe", "channel": channel})).await;
            let answer = next_json(&mut ws).await;
            assert_eq!(
                answer,
                json!({"event": "subscribe", "channel": channel, "code": "200", "message": "Success", "data": {"message": "Subscribed successfully"}, "connection_id": answer["connection_id"], "timestamp": answer["timestamp"]})
            );
        }
    }
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_handshake_needs_a_user_agent_and_a_good_signature() {
    let ex = exchange(ApiConfig::default()).await;
    match try_connect(&ex, "/v3/private", None).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status().as_u16(), 400);
            // The client keeps what arrived with the headers (in practice the whole body).
            if let Some(body) = response.body().as_ref().filter(|b| !b.is_empty()) {
                let body: Value = serde_json::from_slice(body).expect("a v3 JSON body");
                assert_eq!(body["error"], 10);
                assert!(body["message"].as_str().unwrap().contains("User-Agent"), "{body}");
            }
        }
        Err(other) => panic!("refused with HTTP 400, not {other}"),
        Ok(_) => panic!("a handshake without User-Agent is refused"),
    }

    // A bad signature: 401, then the socket closes.
    let mut ws = connect(&ex, "/v3/private").await;
    let mut bad = auth_message(&ex, 0);
    bad["data"]["X-BTK-SIGN"] = json!("ab".repeat(32));
    send(&mut ws, bad).await;
    let answer = next_json(&mut ws).await;
    assert_eq!((answer["event"].as_str(), answer["code"].as_str(), answer["message"].as_str()), (Some("auth"), Some("401"), Some("Unauthorized")));
    closed(&mut ws).await;

    // A stale timestamp is refused the same way, even when correctly signed.
    let mut ws = connect(&ex, "/v3/private").await;
    let user = &ex.users[0];
    let ts = (ex.gateway.now_ms() - 120_000).to_string();
    let sig = talat_gateway::auth::sign::sign(user.secret.as_bytes(), &ts, "", "", b"");
    send(&mut ws, json!({"event": "auth", "data": {"X-BTK-APIKEY": user.key, "X-BTK-SIGN": sig, "X-BTK-TIMESTAMP": ts}})).await;
    assert_eq!(next_json(&mut ws).await["code"], "401");
    closed(&mut ws).await;

    // Anything but auth first: 401 and closed.
    let mut ws = connect(&ex, "/v3/private").await;
    send(&mut ws, json!({"event": "subscribe", "channel": "order_update"})).await;
    assert_eq!(next_json(&mut ws).await["code"], "401");
    closed(&mut ws).await;

    // A good one: 200 with the full envelope.
    let mut ws = connect(&ex, "/v3/private").await;
    send(&mut ws, auth_message(&ex, 0)).await;
    let answer = next_json(&mut ws).await;
    assert_eq!((answer["event"].as_str(), answer["code"].as_str(), answer["message"].as_str()), (Some("auth"), Some("200"), Some("Success")));
    assert_eq!(answer["data"], json!({}));
    assert!(!answer["connection_id"].as_str().unwrap().is_empty());
    let timestamp = answer["timestamp"].as_str().unwrap();
    assert_eq!(timestamp.len(), "2024-01-01T12:00:00.000000000Z".len(), "{timestamp}");
    assert!(timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T' && timestamp.as_bytes()[19] == b'.');
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_requests_ping_subscriptions_and_bad_json() {
    let ex = exchange(ApiConfig::default()).await;
    let mut ws = private(&ex, 0, false).await;
    send(&mut ws, json!({"event": "ping"})).await;
    let pong = next_json(&mut ws).await;
    assert_eq!((pong["event"].as_str(), pong["code"].as_str()), (Some("ping"), Some("200")));
    assert_eq!(pong["data"]["message"], "pong");

    ws.send(Message::text("{not json")).await.unwrap();
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["code"], "400", "{answer}");
    assert!(answer["data"]["message"].as_str().unwrap().contains("malformed JSON"));

    send(&mut ws, json!({"event": "subscribe", "channel": "depth_update"})).await;
    assert_eq!(next_json(&mut ws).await["code"], "404");
    send(&mut ws, json!({"event": "subscribe"})).await;
    assert_eq!(next_json(&mut ws).await["code"], "400");
    send(&mut ws, json!({"event": "dance"})).await;
    assert_eq!(next_json(&mut ws).await["code"], "400");

    send(&mut ws, json!({"event": "subscribe", "channel": "order_update"})).await;
    assert_eq!(next_json(&mut ws).await["data"]["message"], "Subscribed successfully");
    send(&mut ws, json!({"event": "unsubscribe", "channel": "order_update"})).await;
    let answer = next_json(&mut ws).await;
    assert_eq!((answer["channel"].as_str(), answer["code"].as_str()), (Some("order_update"), Some("200")));
    assert_eq!(answer["data"]["message"], "Unsubscribed successfully");

    // Unsubscribed: placing an order pushes nothing; the next message is the pong.
    place(&ex, 0, BTC, Side::Buy, 340_000_000, 100_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut ws, json!({"event": "ping"})).await;
    assert_eq!(next_json(&mut ws).await["event"], "ping", "still connected, nothing pushed");
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_pushes_own_order_and_match_updates_only() {
    let ex = exchange(ApiConfig::default()).await;
    let mut mine = private(&ex, 0, true).await;
    let mut bystander = private(&ex, 2, true).await;
    let owner = ex.users[0].user.0.to_string();

    // A resting bid of 0.001 BTC at 3,400,000: "open".
    let bid = place(&ex, 0, BTC, Side::Buy, 340_000_000, 100_000).await;
    let open = next_json(&mut mine).await;
    assert_eq!((open["event"].as_str(), open["code"].as_str()), (Some("order_update"), Some("200")));
    let d = &open["data"];
    assert_eq!(d["order_id"], bid.0.to_string());
    assert_eq!(d["user_id"], owner);
    assert_eq!(d["symbol"], "BTC_THB");
    assert_eq!((d["side"].as_str(), d["type"].as_str(), d["status"].as_str()), (Some("buy"), Some("limit"), Some("open")));
    assert_eq!((d["price"].as_str(), d["order_currency"].as_str(), d["order_amount"].as_str()), (Some("3400000"), Some("THB"), Some("3400")));
    assert_eq!((d["executed_amount"].as_str(), d["received_currency"].as_str(), d["received_amount"].as_str()), (Some("0"), Some("BTC"), Some("0")));
    assert_eq!((d["client_id"].clone(), d["stop_price"].clone(), d["post_only"].clone()), (Value::Null, Value::Null, json!(false)));

    // User 1 sells 0.0004 into it: a match (maker, fee 0.25 % of the BTC received), then the
    // order's new state.
    let ask1 = place(&ex, 1, BTC, Side::Sell, 340_000_000, 40_000).await;
    let fill = next_json(&mut mine).await;
    assert_eq!(fill["event"], "match_update", "{fill}");
    let d = &fill["data"];
    assert_eq!(d["order_id"], bid.0.to_string());
    assert_eq!((d["side"].as_str(), d["is_maker"].as_bool(), d["status"].as_str()), (Some("buy"), Some(true), Some("partial_filled")));
    assert_eq!((d["price"].as_str(), d["executed_currency"].as_str(), d["executed_amount"].as_str()), (Some("3400000"), Some("THB"), Some("1360")));
    assert_eq!((d["received_currency"].as_str(), d["received_amount"].as_str()), (Some("BTC"), Some("0.000399")));
    assert_eq!((d["fee_rate"].as_str(), d["total_fee"].as_str(), d["credit_used"].as_str()), (Some("0.0025"), Some("0.000001"), Some("0")));
    assert!(d["txn_id"].as_str().unwrap().starts_with("BTCSELL"));
    let txn_ts = d["txn_ts"].as_u64().unwrap();
    assert!(txn_ts > 1_600_000_000 && txn_ts < 10_000_000_000, "seconds");
    let partial = next_json(&mut mine).await;
    assert_eq!((partial["event"].as_str(), partial["data"]["status"].as_str()), (Some("order_update"), Some("partial_filled")));
    assert_eq!(partial["data"]["executed_amount"], "1360");

    // User 1 sells the rest: the last match says filled, then the order is "filled".
    let ask2 = place(&ex, 1, BTC, Side::Sell, 340_000_000, 60_000).await;
    let fill = next_json(&mut mine).await;
    assert_eq!((fill["event"].as_str(), fill["data"]["status"].as_str()), (Some("match_update"), Some("filled")));
    assert_eq!((fill["data"]["executed_amount"].as_str(), fill["data"]["received_amount"].as_str()), (Some("2040"), Some("0.0005985")));
    let done = next_json(&mut mine).await;
    assert_eq!((done["event"].as_str(), done["data"]["status"].as_str()), (Some("order_update"), Some("filled")));
    let d = &done["data"];
    assert_eq!((d["executed_amount"].as_str(), d["received_amount"].as_str(), d["total_fee"].as_str()), (Some("3400"), Some("0.0009975"), Some("0.0000025")));
    assert_eq!(d["avg_filled_price"], "3400000");

    // A market buy of 100 THB as taker: price is null, and only user 0's order is reported.
    let ask3 = place(&ex, 1, BTC, Side::Sell, 350_000_000, 100_000).await;
    let market_buy = submit(
        &ex,
        NewOrder {
            user: ex.users[0].user,
            market: BTC,
            side: Side::Buy,
            kind: OrderKind::Market { amount: Amount(10_000) },
            client_id: None,
            stp: StpMode::default(),
        },
    )
    .await;
    let fill = next_matching(&mut mine, "the market buy's match", |v| v["event"] == "match_update").await;
    assert_eq!(
        (fill["data"]["order_id"].as_str(), fill["data"]["is_maker"].as_bool(), fill["data"]["type"].as_str()),
        (Some(market_buy.0.to_string().as_str()), Some(false), Some("market"))
    );
    let last = next_matching(&mut mine, "the market buy's final state", |v| v["event"] == "order_update" && v["data"]["status"] != "partial_filled").await;
    assert_eq!(last["data"]["order_id"], market_buy.0.to_string());
    assert_eq!(last["data"]["price"], Value::Null);
    assert_eq!(last["data"]["order_amount"], "100");
    assert!(matches!(last["data"]["status"].as_str(), Some("filled" | "partial_filled_canceled")), "{last}");

    // Nothing of user 1's orders reached user 0, nothing at all reached user 2.
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut mine, json!({"event": "ping"})).await;
    let theirs = [ask1.0.to_string(), ask2.0.to_string(), ask3.0.to_string()];
    let pong = next_matching(&mut mine, "the pong", |v| {
        assert!(!theirs.iter().any(|id| v["data"]["order_id"] == json!(id)), "another user's order: {v}");
        v["event"] == "ping"
    })
    .await;
    assert_eq!(pong["data"]["message"], "pong");
    send(&mut bystander, json!({"event": "ping"})).await;
    let first = next_json(&mut bystander).await;
    assert_eq!(first["event"], "ping", "user 2 saw: {first}");
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_holds_at_most_five_private_sockets() {
    let ex = exchange(ApiConfig::default()).await;
    let mut open = Vec::new();
    for _ in 0..5 {
        open.push(private(&ex, 0, false).await);
    }
    let mut sixth = connect(&ex, "/v3/private").await;
    send(&mut sixth, auth_message(&ex, 0)).await;
    let answer = next_json(&mut sixth).await;
    assert_eq!((answer["event"].as_str(), answer["code"].as_str()), (Some("auth"), Some("429")));
    closed(&mut sixth).await;
    // Another key is not affected.
    let _other = private(&ex, 1, false).await;

    // Closing one frees its place.
    let mut first = open.remove(0);
    first.close(None).await.expect("closes");
    drop(first);
    let key = ex.users[0].key.clone();
    wait_until("the key's count drops to 4", || ex.gateway.private_ws_per_key.lock().get(&key).copied() == Some(4)).await;
    open.push(private(&ex, 0, false).await);
    ex.stop().await;
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_private_sockets_are_closed_and_pings_keep_them_open() {
    let config = ApiConfig { private_ws_idle_s: 1, ..ApiConfig::default() };
    let ex = exchange(config).await;
    let mut idle = private(&ex, 0, false).await;
    let frame = closed(&mut idle).await;
    assert!(frame.reason.as_str().contains("idle"), "{}", frame.reason.as_str());

    // Pinging every 300 ms for 2 s keeps one open past the idle time.
    let mut busy = private(&ex, 1, false).await;
    for _ in 0..7 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(&mut busy, json!({"event": "ping"})).await;
        assert_eq!(next_json(&mut busy).await["event"], "ping");
    }
    // Before auth the same clock runs.
    let mut silent = connect(&ex, "/v3/private").await;
    closed(&mut silent).await;
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_sockets_are_closed_at_their_age_limit() {
    let config = ApiConfig { private_ws_max_age_s: 1, ..ApiConfig::default() };
    let ex = exchange(config).await;
    let mut ws = private(&ex, 0, false).await;
    let frame = loop {
        send(&mut ws, json!({"event": "ping"})).await;
        match receive(&mut ws).await {
            Received::Json(v) => assert_eq!(v["event"], "ping"),
            Received::Closed(frame) => break frame.expect("a reason"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(frame.reason.as_str().contains("age limit"), "{}", frame.reason.as_str());
    ex.stop().await;
}

// ---- the connection bound ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_refused_and_slots_come_back() {
    let config = ApiConfig { max_ws_connections: 2, ..ApiConfig::default() };
    let ex = exchange(config).await;
    let mut a = connect(&ex, "/websocket-api/orderbook/1").await;
    let _b = connect(&ex, "/websocket-api/market.ticker.thb_btc").await;
    match try_connect(&ex, "/websocket-api/orderbook/1", Some("t/1")).await {
        Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 503),
        Err(other) => panic!("refused with HTTP 503, not {other}"),
        Ok(_) => panic!("a third socket is refused"),
    }
    assert_eq!(ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire), 2);
    a.close(None).await.expect("closes");
    drop(a);
    wait_until("a slot is free", || ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire) == 1).await;
    let mut c = connect(&ex, "/websocket-api/orderbook/1").await;
    assert_eq!(next_json(&mut c).await["event"], "tradeschanged");
    // A refused stream name releases its slot too.
    drop(c);
    wait_until("the slot is released", || ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire) == 1).await;
    let mut bad = connect(&ex, "/websocket-api/market.nothing.thb_btc").await;
    closed(&mut bad).await;
    drop(bad);
    wait_until("the refused socket's slot is released", || ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire) == 1).await;
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_socket() {
    let config = ApiConfig { max_ws_connections: 10, max_ws_per_ip: 2, ..ApiConfig::default() };
    let ex = exchange(config).await;
    let a = connect(&ex, "/websocket-api/orderbook/1").await;
    let _b = connect(&ex, "/websocket-api/market.ticker.thb_btc").await;
    match try_connect(&ex, "/websocket-api/orderbook/1", Some("t/1")).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("\"error\":30") && body.contains("this address"), "{body}");
        }
        Err(other) => panic!("refused with HTTP 429, not {other}"),
        Ok(_) => panic!("a third socket from one address is refused"),
    }
    // The refusal took no slot; closing one frees one for the same address.
    assert_eq!(ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire), 2);
    drop(a);
    wait_until("the address's slot is free", || ex.gateway.ws_per_ip.lock().values().sum::<usize>() == 1).await;
    let _c = connect(&ex, "/websocket-api/orderbook/1").await;
    assert_eq!(ex.gateway.ws_connections.load(std::sync::atomic::Ordering::Acquire), 2);
    ex.stop().await;
}
