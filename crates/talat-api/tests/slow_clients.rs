//! No connection can be held forever, and one host cannot take every slot: an idle flood and a
//! slowloris from one address (127.0.0.1) are cut off — by the per-IP cap at once, by the head
//! timer within its deadline — while another client (127.0.0.2) places and cancels orders
//! throughout; a body sent too slowly gets 408; a WebSocket whose client never answers a ping
//! is closed and its slot freed. Deadlines here bound waits; nothing asserts a speed.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use talat_api::testkit::TestExchange;
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

const DEADLINE: Duration = Duration::from_secs(20);

fn config() -> ApiConfig {
    ApiConfig {
        rate_limits: false,
        max_connections: 64,
        max_connections_per_ip: 8,
        header_read_timeout_ms: 500,
        body_read_timeout_ms: 500,
        ws_ping_interval_s: 1,
        ws_pong_timeout_s: 1,
        ..ApiConfig::default()
    }
}

/// Waits until the server closes `stream` (EOF or reset); false if it is still open at the deadline.
fn closed_by_server(mut stream: TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    while started.elapsed() < within {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) if started.elapsed() < within => return true,
            Ok(_) => continue,
            _ => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_are_cut_off_while_orders_flow() {
    let ex = Arc::new(TestExchange::start(config(), 1, SequencerConfig::default()).await);
    let addr = ex.addr;

    // The attacker: 80 sockets from 127.0.0.1, more than the server's 64 slots (every sixth a
    // slowloris head, the rest idle), each reconnecting as it is closed, until the orders below
    // are done. Without the per-IP cap they would hold every slot.
    let stop = Arc::new(AtomicBool::new(false));
    let mut attackers = Vec::new();
    for i in 0..80 {
        let stop = Arc::clone(&stop);
        attackers.push(std::thread::spawn(move || {
            let mut cut_off = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut s) = TcpStream::connect(addr) else { continue };
                if i % 6 == 0 {
                    let _ = s.write_all(b"POST /api/v3/market/place-bid HTTP/1.1\r\nHost: x\r\n");
                    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
                    let mut buf = [0u8; 64];
                    // One header byte at a time, for as long as the server listens.
                    loop {
                        if s.write_all(b"X").is_err() || matches!(s.read(&mut buf), Ok(0)) || stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                } else if !closed_by_server(s, DEADLINE) {
                    panic!("an idle socket was still open after {DEADLINE:?}");
                }
                cut_off += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            cut_off
        }));
    }

    // The customer, from another address, keeps trading.
    let http = reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))).timeout(DEADLINE).build().unwrap();
    for i in 0..20 {
        let body = format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{},"typ":"limit"}}"#, 3_000_000 + i);
        let placed = signed(&http, &ex, "/api/v3/market/place-bid", &body).await;
        assert_eq!(placed["error"], 0, "{placed}");
        let id = placed["result"]["id"].as_str().unwrap().to_string();
        let cancelled = signed(&http, &ex, "/api/v3/market/cancel-order", &format!(r#"{{"sym":"BTC_THB","id":"{id}","sd":"buy"}}"#)).await;
        assert_eq!(cancelled["error"], 0, "{cancelled}");
    }
    stop.store(true, Ordering::Relaxed);
    let cut_off: u32 = attackers.into_iter().map(|t| t.join().expect("an attacker thread")).sum();
    assert!(cut_off >= 80, "every attacking socket was closed by the server at least once ({cut_off})");
}

async fn signed(http: &reqwest::Client, ex: &TestExchange, target: &str, body: &str) -> Value {
    let mut request = http.post(format!("{}{target}", ex.url));
    for (name, value) in ex.sign_headers(0, "POST", target, body) {
        request = request.header(name, value);
    }
    request.body(body.to_string()).send().await.expect("the customer's request is served").json().await.unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_gets_408() {
    let ex = TestExchange::start(config(), 1, SequencerConfig::default()).await;
    let mut s = TcpStream::connect(ex.addr).unwrap();
    s.write_all(b"POST /api/v3/market/place-bid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{").unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    ex.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_never_answers_a_ping_is_closed() {
    let ex = TestExchange::start(config(), 1, SequencerConfig::default()).await;
    let mut s = TcpStream::connect(ex.addr).unwrap();
    let handshake = "GET /websocket-api/market.trade.thb_btc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    s.write_all(handshake.as_bytes()).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "upgraded");
    let counted = || ex.gateway.ws_connections.load(Ordering::SeqCst);
    assert_eq!(counted(), 1);
    // This client never reads, so it never answers the server's pings: within one interval and
    // one pong deadline the server gives up and frees the slot.
    let started = Instant::now();
    while counted() != 0 {
        assert!(started.elapsed() < DEADLINE, "the silent socket still holds its slot");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(s);
    ex.stop().await;
}
