//! The dead-man's switch over the real API of a real `talat serve`: a client's orders are
//! cancelled once it stops refreshing `cancel-all-after`, not while it refreshes, and a switch
//! armed before a SIGKILL still fires after the restart (it is journaled).

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::Served;

const ARGS: &[&str] = &["--no-bot", "--load-users", "0", "--no-rate-limits"];

struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
    secret: String,
}

impl Client {
    fn of(served: &Served) -> Client {
        let user = &served.banner["demo_user"];
        Client {
            http: reqwest::Client::new(),
            url: served.base_url(),
            key: user["api_key"].as_str().expect("demo credentials").into(),
            secret: user["api_secret"].as_str().expect("demo credentials").into(),
        }
    }

    async fn signed(&self, method: &str, target: &str, body: &str) -> Value {
        // Each signed request works once: a fresh timestamp per call (1 ms apart at least).
        tokio::time::sleep(Duration::from_millis(2)).await;
        let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis().to_string();
        let sign = talat_gateway::auth::sign::sign(self.secret.as_bytes(), &ts, method, target, body.as_bytes());
        let url = format!("{}{target}", self.url);
        let request = if method == "GET" { self.http.get(url) } else { self.http.post(url) };
        let response = request.header("X-BTK-APIKEY", &self.key).header("X-BTK-TIMESTAMP", ts).header("X-BTK-SIGN", sign).body(body.to_string()).send().await;
        response.expect("the server answers").json().await.expect("a JSON answer")
    }

    async fn bid(&self, client_id: &str) -> String {
        let body = format!(r#"{{"sym":"BTC_THB","amt":100,"rat":3000000,"typ":"limit","client_id":"{client_id}"}}"#);
        let reply = self.signed("POST", "/api/v3/market/place-bid", &body).await;
        assert_eq!(reply["error"], 0, "{reply}");
        reply["result"]["id"].as_str().expect("an order id").to_string()
    }

    async fn open_orders(&self) -> usize {
        let reply = self.signed("GET", "/api/v3/market/my-open-orders?sym=BTC_THB", "").await;
        assert_eq!(reply["error"], 0, "{reply}");
        reply["result"].as_array().expect("a list").len()
    }

    async fn arm(&self, timeout_s: u64) -> Value {
        self.signed("POST", "/api/v3/talat/cancel-all-after", &format!(r#"{{"timeout":{timeout_s}}}"#)).await
    }

    /// Waits until the client has no open order, or panics after `limit`.
    async fn until_no_orders(&self, limit: Duration) -> Duration {
        let started = Instant::now();
        while self.open_orders().await > 0 {
            assert!(started.elapsed() < limit, "the switch did not cancel the orders within {limit:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        started.elapsed()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_cancels_after_its_timeout_and_across_a_restart() {
    let mut served = Served::start(ARGS);
    let client = Client::of(&served);

    // Bad input changes nothing.
    for bad in [r#"{}"#, r#"{"timeout":-1}"#, r#"{"timeout":86401}"#, r#"{"timeout":"soon"}"#] {
        let reply = client.signed("POST", "/api/v3/talat/cancel-all-after", bad).await;
        assert_eq!(reply["error"], 10, "{bad}: {reply}");
    }

    // Refreshed in time, nothing is cancelled; left alone, everything is.
    client.bid("dm-1").await;
    client.bid("dm-2").await;
    let armed = client.arm(2).await;
    assert_eq!(armed["error"], 0, "{armed}");
    let (now, trigger) = (armed["result"]["current_time"].as_u64().unwrap(), armed["result"]["trigger_time"].as_u64().unwrap());
    assert_eq!(trigger, now + 2_000);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        assert_eq!(client.arm(2).await["error"], 0);
    }
    assert_eq!(client.open_orders().await, 2, "a refreshed switch cancels nothing");
    let waited = client.until_no_orders(Duration::from_secs(10)).await;
    println!("cancelled {waited:?} after the last refresh");

    // Disarmed, nothing is cancelled.
    client.bid("dm-3").await;
    client.arm(1).await;
    assert_eq!(client.arm(0).await["result"]["trigger_time"], Value::Null);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(client.open_orders().await, 1, "a disarmed switch cancels nothing");

    // Armed, then the server dies before the deadline: the restarted server still fires it.
    client.arm(2).await;
    served.kill();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    served.restart(ARGS);
    let client = Client::of(&served);
    client.until_no_orders(Duration::from_secs(10)).await;
}
