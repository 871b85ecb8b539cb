//! Acknowledged = durable, through the whole gateway: clients place orders over the real API of
//! a real `talat serve`, the process is killed with SIGKILL at a random moment, restarted on the
//! same data directory, and every order the API acknowledged must be there (order-info finds
//! it, as the client placed it). Three kills per run.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KILLS: usize = 3;
const CLIENTS: usize = 8;
/// Orders a client places per round at most (the demo customer's 1 M THB bounds the total).
const ORDERS_PER_CLIENT: usize = 1_500;

struct Server {
    child: Child,
    url: String,
    key: String,
    secret: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(["serve", "--listen", "127.0.0.1:0", "--json", "--no-bot", "--load-users", "0", "--no-rate-limits", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("talat serve starts");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(120)).expect("the banner within 120 s");
    let banner: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    Server {
        child,
        url: format!("http://{}", banner["listen"].as_str().unwrap()),
        key: banner["demo_user"]["api_key"].as_str().expect("demo credentials").to_string(),
        secret: banner["demo_user"]["api_secret"].as_str().unwrap().to_string(),
    }
}

async fn signed(http: &reqwest::Client, s: &(String, String, String), method: &str, target: &str, body: &str) -> Result<Value, reqwest::Error> {
    let (url, key, secret) = s;
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis().to_string();
    let sign = talat_gateway::auth::sign::sign(secret.as_bytes(), &ts, method, target, body.as_bytes());
    let request = if method == "GET" { http.get(format!("{url}{target}")) } else { http.post(format!("{url}{target}")) };
    let response = request.header("X-BTK-APIKEY", key).header("X-BTK-TIMESTAMP", ts).header("X-BTK-SIGN", sign).body(body.to_string()).send().await?;
    response.json().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_survive_sigkill_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut seed = 0x5eed_u64 ^ std::process::id() as u64;
    let mut killed_mid_load = 0;
    for kill in 0..KILLS {
        let before = acked.lock().unwrap().len();
        let mut server = start(dir.path());
        let target = (server.url.clone(), server.key.clone(), server.secret.clone());
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let (http, target, acked) = (http.clone(), target.clone(), Arc::clone(&acked));
            clients.push(tokio::spawn(async move {
                // Until the server dies under us (or the round's quota is placed).
                for i in 0..ORDERS_PER_CLIENT {
                    let body = format!(r#"{{"sym":"BTC_THB","amt":20,"rat":{},"typ":"limit","client_id":"k{kill}-c{c}-{i}"}}"#, 3_000_000 + i % 1000);
                    match signed(&http, &target, "POST", "/api/v3/market/place-bid", &body).await {
                        Ok(reply) if reply["error"] == 0 => acked.lock().unwrap().push(reply["result"]["id"].as_str().unwrap().to_string()),
                        Ok(reply) => panic!("a placement was refused: {reply}"),
                        Err(_) => return,
                    }
                }
            }));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(50 + seed % 300)).await;
        // SAFETY: sends SIGKILL to the server child we started.
        unsafe {
            libc::kill(server.child.id() as i32, libc::SIGKILL);
        }
        let _ = server.child.wait();
        for client in clients {
            client.await.unwrap();
        }
        let in_round = acked.lock().unwrap().len() - before;
        if in_round < CLIENTS * ORDERS_PER_CLIENT {
            killed_mid_load += 1;
        }
        println!("kill {kill}: {in_round} orders acknowledged in this round");
    }
    assert!(killed_mid_load > 0, "at least one kill landed while orders were in flight");

    // Everything acknowledged before any of the kills is there after the last restart.
    let server = start(dir.path());
    let target = (server.url.clone(), server.key.clone(), server.secret.clone());
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 10, "the clients got orders acknowledged ({})", acked.len());
    let started = Instant::now();
    for id in &acked {
        let reply = signed(&http, &target, "GET", &format!("/api/v3/market/order-info?sym=BTC_THB&id={id}&sd=buy"), "").await.unwrap();
        assert_eq!(reply["error"], 0, "acknowledged order {id} is lost: {reply}");
        assert_eq!(reply["result"]["id"], id.as_str());
    }
    let open = signed(&http, &target, "GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await.unwrap();
    assert!(open["result"].as_array().unwrap().len() >= acked.len(), "every acknowledged bid still rests");
    // Listing times come back from the store after a restart (the engine does not keep them).
    let symbols: Value = http.get(format!("{}/api/v3/market/symbols", server.url)).send().await.unwrap().json().await.unwrap();
    for market in symbols["result"].as_array().expect("symbols") {
        let created = market["created_at"].as_str().expect("created_at");
        assert!(!created.starts_with("1970"), "a listing time survives the restart: {market}");
    }
    println!("{} acknowledged orders all found after {KILLS} SIGKILLs ({:?} to check)", acked.len(), started.elapsed());
}
