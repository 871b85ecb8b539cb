//! The generator against a small in-test exchange that checks what a real one would: every
//! signature (reference §7.2), every price and amount, and that cancels name orders the same
//! user had acknowledged. No assertion depends on timing: only on counts that must agree.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use talat_loadgen::{demo_load_credentials, run, run_blocking, Endpoint, LoadgenConfig, LoadgenError, Mix, Progress, ReadKind};

const REFERENCE_THB: f64 = 3_500_000.0;

#[derive(Default)]
struct Order {
    user: u32,
    buy: bool,
    cancelled: bool,
}

#[derive(Default)]
struct Exchange {
    secrets: HashMap<String, (u32, String)>,
    next_id: u64,
    orders: HashMap<u64, Order>,
    /// Requests of the measured mix, by path.
    served: BTreeMap<String, u64>,
    bad_signatures: u64,
    bad_places: Vec<String>,
    bad_cancels: Vec<String>,
    places: u64,
    shed: u64,
    cancelled: u64,
    lookups: u64,
    /// Answer 503 to every n-th place (0: never).
    shed_every: u64,
    /// order-info claims not to know these.
    forget: HashSet<u64>,
    /// Answer the first order-info with a 429.
    throttle_first_lookup: bool,
    /// Hold every answer of the measured mix this long.
    delay_ms: u64,
    /// Close the connection after every n-th answer (0: never).
    close_every: u64,
    answers: u64,
}

type Shared = Arc<Mutex<Exchange>>;

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", "application/json".parse().unwrap());
    response
}

fn ok(result: Value) -> Response<Full<Bytes>> {
    reply(StatusCode::OK, json!({"error": 0, "result": result}))
}

fn error(code: i64) -> Response<Full<Bytes>> {
    reply(StatusCode::OK, json!({"error": code}))
}

/// §7.2: HMAC-SHA256(secret, timestamp + METHOD + target as received + body as received).
fn signed_user(x: &Exchange, request: &hyper::http::request::Parts, body: &[u8]) -> Option<u32> {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let (key, timestamp, signature) = (header("x-btk-apikey")?, header("x-btk-timestamp")?, header("x-btk-sign")?);
    let (user, secret) = x.secrets.get(key)?;
    let ts: u64 = timestamp.parse().ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    if ts.abs_diff(now) > 30_000 {
        return None;
    }
    let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}{}{target}", request.method).as_bytes());
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    (expected == signature).then_some(*user)
}

/// A decimal token of the raw body, as written: no trailing zeros (§10.4), at most `scale`
/// decimals.
fn check_number(body: &str, field: &str, scale: usize) -> Result<f64, String> {
    let token: String =
        body.split(&format!("\"{field}\":")).nth(1).ok_or(format!("no {field}"))?.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    if let Some((_, fraction)) = token.split_once('.') {
        if fraction.is_empty() || fraction.ends_with('0') || fraction.len() > scale {
            return Err(format!("{field} {token} is not canonical at scale {scale}"));
        }
    }
    token.parse::<f64>().map_err(|e| format!("{field} {token}: {e}"))
}

fn check_place(body: &str, buy: bool) -> Result<(), String> {
    let v: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if v["sym"] != "BTC_THB" || v["typ"] != "limit" {
        return Err("sym/typ".into());
    }
    let rat = check_number(body, "rat", 2)?;
    if !(REFERENCE_THB * 0.99 - 0.01..=REFERENCE_THB * 1.01 + 0.01).contains(&rat) {
        return Err(format!("rat {rat} outside ±1%"));
    }
    // A bid spends THB (scale 2), an ask sells BTC (scale 8); either just above 10 THB.
    let amt = check_number(body, "amt", if buy { 2 } else { 8 })?;
    let value = if buy { amt } else { amt * rat };
    if !(10.0..12.0).contains(&value) {
        return Err(format!("order worth {value} THB"));
    }
    Ok(())
}

fn query(request: &hyper::http::request::Parts) -> HashMap<String, String> {
    request.uri.query().unwrap_or("").split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn handle(x: Shared, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let delay_ms = x.lock().unwrap().delay_ms;
    if delay_ms > 0 && parts.uri.path() != "/api/v3/market/symbols" && parts.uri.path() != "/api/v3/market/ticker" {
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
    }
    let mut response = answer(&x, &parts, &body);
    let mut x = x.lock().unwrap();
    x.answers += 1;
    if x.close_every > 0 && x.answers.is_multiple_of(x.close_every) {
        response.headers_mut().insert("connection", "close".parse().unwrap());
    }
    Ok(response)
}

fn answer(x: &Shared, parts: &hyper::http::request::Parts, body: &Bytes) -> Response<Full<Bytes>> {
    let text = String::from_utf8_lossy(body).to_string();
    let mut x = x.lock().unwrap();
    let path = parts.uri.path().to_string();
    match path.as_str() {
        "/api/v3/market/symbols" => {
            return ok(json!([{"symbol":"BTC_THB","base_asset":"BTC","quote_asset":"THB","price_step":"0.01","price_scale":2,
                "quantity_step":"0.00000001","quantity_scale":0,"base_asset_scale":8,"quote_asset_scale":2,"min_quote_size":10}]));
        }
        "/api/v3/market/ticker" => {
            return reply(StatusCode::OK, json!([{"symbol":"BTC_THB","last":"3500000","highest_bid":"3499000","lowest_ask":"3501000"}]));
        }
        "/api/v3/market/depth" => {
            *x.served.entry(path).or_default() += 1;
            return ok(json!({"asks": [[3501000.0, 0.1]], "bids": [[3499000.0, 0.1]]}));
        }
        _ => {}
    }
    let Some(user) = signed_user(&x, parts, body) else {
        x.bad_signatures += 1;
        return error(6);
    };
    match path.as_str() {
        "/api/v3/market/place-bid" | "/api/v3/market/place-ask" => {
            *x.served.entry(path.clone()).or_default() += 1;
            let buy = path.ends_with("bid");
            if let Err(e) = check_place(&text, buy) {
                x.bad_places.push(format!("{e}: {text}"));
                return error(13);
            }
            x.places += 1;
            if x.shed_every > 0 && x.places.is_multiple_of(x.shed_every) {
                x.shed += 1;
                let mut busy = reply(StatusCode::SERVICE_UNAVAILABLE, json!({"error": 90, "message": "system busy, retry later"}));
                busy.headers_mut().insert("retry-after", "1".parse().unwrap());
                return busy;
            }
            x.next_id += 1;
            let id = x.next_id;
            x.orders.insert(id, Order { user, buy, cancelled: false });
            ok(json!({"id": id.to_string(), "typ": "limit", "ts": "1707220636"}))
        }
        "/api/v3/market/cancel-order" => {
            *x.served.entry(path).or_default() += 1;
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let id: Option<u64> = v["id"].as_str().and_then(|s| s.parse().ok());
            let buy = v["sd"] == "buy";
            let known = id.and_then(|id| x.orders.get(&id)).is_some_and(|o| o.user == user && o.buy == buy && !o.cancelled);
            if !known || v["sym"] != "BTC_THB" || !(v["sd"] == "buy" || v["sd"] == "sell") {
                x.bad_cancels.push(text);
                return error(21);
            }
            x.orders.get_mut(&id.unwrap()).unwrap().cancelled = true;
            x.cancelled += 1;
            ok(json!({}))
        }
        "/api/v3/market/balances" => {
            *x.served.entry(path).or_default() += 1;
            if text != "{}" {
                x.bad_places.push(format!("balances body {text}"));
            }
            ok(json!({"THB": {"available": 1000000, "reserved": 0}}))
        }
        "/api/v3/market/my-open-orders" => {
            *x.served.entry(path).or_default() += 1;
            ok(json!([]))
        }
        "/api/v3/market/order-info" => {
            x.lookups += 1;
            if std::mem::take(&mut x.throttle_first_lookup) {
                let mut limited = reply(StatusCode::TOO_MANY_REQUESTS, json!({"error": 30}));
                limited.headers_mut().insert("retry-after", "1".parse().unwrap());
                return limited;
            }
            let q = query(parts);
            let id: Option<u64> = q.get("id").and_then(|s| s.parse().ok());
            let buy = q.get("sd").map(String::as_str) == Some("buy");
            match id.and_then(|id| x.orders.get(&id).filter(|o| o.user == user && o.buy == buy).map(|o| (id, o.cancelled))) {
                Some((id, cancelled)) if !x.forget.contains(&id) => {
                    ok(json!({"id": id.to_string(), "status": if cancelled { "cancelled" } else { "unfilled" }}))
                }
                _ => error(24),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({"error": 10})),
    }
}

/// Starts the exchange on its own thread and runtime; it knows load users `0..users`.
fn start_exchange(users: u32, setup: impl FnOnce(&mut Exchange)) -> (SocketAddr, Shared) {
    let mut exchange = Exchange::default();
    for i in 0..users {
        let (key, secret) = demo_load_credentials(i);
        exchange.secrets.insert(key, (i, secret));
    }
    setup(&mut exchange);
    let shared: Shared = Arc::new(Mutex::new(exchange));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::clone(&shared);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
    });
    (addr, shared)
}

fn config(addr: SocketAddr) -> LoadgenConfig {
    LoadgenConfig {
        url: format!("http://{addr}"),
        rate_per_s: 400.0,
        duration_s: 1.5,
        users: 20,
        connections: 4,
        threads: 1,
        verify: true,
        open_orders_per_user: 4,
        ..LoadgenConfig::default()
    }
}

#[test]
fn every_request_is_signed_cancels_name_acked_orders_and_verify_finds_them_all() {
    let (addr, exchange) = start_exchange(20, |x| x.shed_every = 7);
    let report = run_blocking(config(addr), Progress::Hidden).expect("the run completes");
    let x = exchange.lock().unwrap();

    assert_eq!(x.bad_signatures, 0, "every signature verifies");
    assert!(x.bad_places.is_empty(), "places off the grid or out of band: {:?}", &x.bad_places[..x.bad_places.len().min(5)]);
    assert!(x.bad_cancels.is_empty(), "cancels of ids never acknowledged to that user: {:?}", x.bad_cancels);

    let t = &report.totals;
    // Every scheduled request is accounted for, and the server saw exactly the sent ones:
    // nothing was retried (shed places included).
    assert_eq!(t.scheduled, 600);
    assert_eq!(t.sent + t.not_sent_generator_backlog + t.not_sent_no_connection, t.scheduled);
    assert_eq!(t.transport_errors, 0);
    assert_eq!(t.answered, t.sent);
    // The server also answered the two balances of the credentials check before the run.
    const CHECKS: u64 = 2;
    assert_eq!(x.served.values().sum::<u64>(), t.sent + CHECKS, "{:?}", x.served);
    // Shed places are counted by (endpoint, 503, 90), never retried.
    let shed: u64 = report
        .outcomes
        .iter()
        .filter(|o| matches!(o.endpoint, Endpoint::PlaceBid | Endpoint::PlaceAsk) && o.http_status == 503 && o.error_code == Some(90))
        .map(|o| o.count)
        .sum();
    assert!(x.shed > 0);
    assert_eq!(shed, x.shed);
    assert_eq!(t.shed_503, x.shed);
    assert_eq!(t.errors, x.shed, "the only errors are the shed places");
    // Acks: the generator counted what the server handed out.
    assert_eq!(t.acked_places, x.next_id);
    assert!(x.cancelled > 0, "cancels happened");
    for path in ["balances", "depth", "my-open-orders", "cancel-order", "place-bid", "place-ask"] {
        assert!(x.served.keys().any(|k| k.ends_with(path)), "{path} never called: {:?}", x.served);
    }
    let served = |suffix: &str| x.served.iter().filter(|(k, _)| k.ends_with(suffix)).map(|(_, n)| *n).sum::<u64>();
    for e in &report.endpoints {
        let checks = if e.endpoint == Endpoint::Balances { CHECKS } else { 0 };
        assert_eq!(e.answered + checks, served(e.endpoint.name()), "{:?}", e.endpoint);
        assert!(e.latency_us.count == e.answered && e.latency_us.p50_us <= e.latency_us.max_us);
    }

    let v = report.verify.as_ref().expect("--verify ran");
    assert_eq!(v.acked, x.next_id);
    assert_eq!(v.verified, v.acked, "{v:?}");
    assert_eq!((v.missing, v.unchecked, v.untracked), (0, 0, 0));
    assert_eq!(x.lookups, v.acked, "one lookup per order, none wasted");

    // The JSON form carries the same numbers.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verify"]["missing"], 0);
    assert_eq!(json["totals"]["acked_places"], x.next_id);
    assert!(report.to_string().contains("verify: acked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_orders_the_server_does_not_know_and_waits_out_a_429() {
    let forgotten: HashSet<u64> = [3, 10, 17].into();
    let (addr, exchange) = start_exchange(5, |x| {
        x.forget = forgotten.clone();
        x.throttle_first_lookup = true;
    });
    let config = LoadgenConfig {
        rate_per_s: 100.0,
        duration_s: 0.5,
        users: 5,
        connections: 2,
        mix: Mix { place: 1, cancel: 0, read: 0 },
        reads: vec![ReadKind::Balances],
        ..config(addr)
    };
    let report = run(config, Progress::Hidden).await.expect("the run completes");
    let x = exchange.lock().unwrap();
    let v = report.verify.expect("--verify ran");
    assert_eq!(v.acked, x.next_id);
    assert!(x.next_id >= 17, "enough orders to forget some: {}", x.next_id);
    assert_eq!(v.missing, 3);
    assert_eq!(v.verified, v.acked - 3);
    assert_eq!(v.retries, 1, "the 429 was waited out and retried");
    let mut missing: Vec<u64> = v.missing_sample.iter().map(|m| m.id).collect();
    missing.sort();
    assert_eq!(missing, vec![3, 10, 17]);
    assert!(v.outcomes.iter().any(|o| o.http_status == 429 && o.error_code == Some(30)));
}

#[tokio::test]
async fn unknown_load_users_stop_the_run_before_it_starts() {
    let (addr, exchange) = start_exchange(5, |_| {});
    let config = LoadgenConfig { users: 10, ..config(addr) };
    match run(config, Progress::Hidden).await {
        Err(LoadgenError::Credentials(message)) => assert!(message.contains("load user 9"), "{message}"),
        other => panic!("expected a credentials error, got {other:?}"),
    }
    // Only the credentials check reached the server: user 0 passed, user 9 was refused.
    let served = exchange.lock().unwrap().served.clone();
    assert_eq!(served.into_iter().collect::<Vec<_>>(), vec![("/api/v3/market/balances".to_string(), 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_fills_the_bounded_backlog_and_the_rest_is_counted_not_sent() {
    // One connection, answers held 50 ms: at most 20 answers a second against 200 due.
    let (addr, exchange) = start_exchange(4, |x| x.delay_ms = 50);
    let config = LoadgenConfig {
        rate_per_s: 200.0,
        duration_s: 1.0,
        users: 4,
        connections: 1,
        max_backlog: 5,
        verify: false,
        reads: vec![ReadKind::Balances, ReadKind::OpenOrders],
        ..config(addr)
    };
    let report = run(config, Progress::Hidden).await.expect("the run completes");
    let t = &report.totals;
    assert_eq!(t.sent + t.not_sent_generator_backlog + t.not_sent_no_connection, 200);
    assert!(t.not_sent_generator_backlog > 0, "{t:?}");
    assert_eq!(t.answered, t.sent);
    // Lateness shows as latency and send lag, measured from the intended times.
    assert!(report.send_lag_us.max_us >= 50_000, "{:?}", report.send_lag_us);
    assert!(report.warnings.iter().any(|w| w.contains("--max-backlog")), "{:?}", report.warnings);
    drop(exchange);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_closes_are_replaced_without_losing_requests() {
    let (addr, exchange) = start_exchange(8, |x| x.close_every = 25);
    let config = LoadgenConfig { rate_per_s: 300.0, duration_s: 1.0, users: 8, connections: 2, ..config(addr) };
    let report = run(config, Progress::Hidden).await.expect("the run completes");
    let x = exchange.lock().unwrap();
    let t = &report.totals;
    assert!(t.reconnects > 0, "{t:?}");
    assert_eq!((t.transport_errors, t.not_sent_no_connection), (0, 0), "{t:?}");
    assert_eq!(t.answered, t.sent);
    assert_eq!(x.bad_signatures, 0);
    assert!(x.bad_cancels.is_empty(), "{:?}", x.bad_cancels);
    let v = report.verify.expect("--verify ran");
    assert_eq!((v.verified, v.missing), (x.next_id, 0));
}
