//! Surveillance on the real `talat serve`: the live follower raises and stores an alert for a
//! self-match that self-trade prevention stopped; the circuit breaker halts a market whose price
//! jumped, then resumes it through cancel-only, each step a journaled command the API shows;
//! `talat surveillance replay` over the stopped data directory raises the same alert (same id)
//! and the same breaker steps. A configuration with a bad field is refused, naming it.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::Served;

/// How long the test waits for something the server does in the background (a bound, not a
/// performance claim: the steps take about two seconds each).
const PATIENCE: Duration = Duration::from_secs(60);

struct Api {
    http: reqwest::Client,
    url: String,
    key: String,
    secret: String,
    last_ts: u128,
}

impl Api {
    /// A signed request; each gets its own timestamp (a signed request works once).
    async fn signed(&mut self, target: &str, body: &str) -> Value {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        self.last_ts = now.max(self.last_ts + 1);
        let ts = self.last_ts.to_string();
        let sign = talat_gateway::auth::sign::sign(self.secret.as_bytes(), &ts, "POST", target, body.as_bytes());
        let response = self
            .http
            .post(format!("{}{target}", self.url))
            .header("X-BTK-APIKEY", &self.key)
            .header("X-BTK-TIMESTAMP", ts)
            .header("X-BTK-SIGN", sign)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    async fn get(&self, target: &str) -> Value {
        self.http.get(format!("{}{target}", self.url)).send().await.unwrap().json().await.unwrap()
    }

    /// BTC_THB's record in the symbols list.
    async fn symbol(&self) -> Value {
        let list = self.get("/api/v3/market/symbols").await;
        list["result"].as_array().unwrap().iter().find(|s| s["symbol"] == "BTC_THB").cloned().expect("BTC_THB is listed")
    }

    async fn wait_for(&self, what: &str, test: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let symbol = self.symbol().await;
            if test(&symbol) {
                return symbol;
            }
            assert!(started.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}; BTC_THB is {symbol}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Whole THB of a decimal string.
fn whole_thb(text: &str) -> u64 {
    text.split('.').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_alerts_and_the_breaker_match_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("talat.toml");
    std::fs::write(&config, "[surveillance.breaker]\nmove_bps = 10\nhalt_ms = 2000\ncancel_only_ms = 2000\n").unwrap();
    let config = config.to_str().unwrap().to_string();
    // The bot quotes once at the start and then stays still for the test's length.
    let mut server = Served::start(&["--load-users", "0", "--bot-interval-ms", "600000", "--config", &config]);
    let mut api = Api {
        http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
        url: server.base_url(),
        key: server.banner["demo_user"]["api_key"].as_str().unwrap().to_string(),
        secret: server.banner["demo_user"]["api_secret"].as_str().unwrap().to_string(),
        last_ts: 0,
    };
    let started = Instant::now();
    let ticker = loop {
        // The v3 ticker is a bare list, as Bitkub's is.
        let t = api.get("/api/v3/market/ticker?sym=BTC_THB").await[0].clone();
        if whole_thb(t["lowest_ask"].as_str().unwrap_or("0")) > 0 && whole_thb(t["highest_bid"].as_str().unwrap_or("0")) > 0 {
            break t;
        }
        assert!(started.elapsed() < PATIENCE, "the bot never quoted: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (bid, ask) = (whole_thb(ticker["highest_bid"].as_str().unwrap()), whole_thb(ticker["lowest_ask"].as_str().unwrap()));
    let inside = (bid + ask) / 2;
    assert!(bid < inside && inside < ask, "room inside the spread {bid}..{ask}");

    // A buy inside the spread, then a sell at the same price: the sell would match the
    // customer's own buy, and self-trade prevention stops it.
    let buy = api.signed("/api/v3/market/place-bid", &format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{inside},"typ":"limit"}}"#)).await;
    assert_eq!(buy["error"], 0, "{buy}");
    let sell = api.signed("/api/v3/market/place-ask", &format!(r#"{{"sym":"BTC_THB","amt":0.0001,"rat":{inside},"typ":"limit"}}"#)).await;
    assert_eq!(sell["error"], 0, "{sell}");

    // A market buy that sweeps several of the bot's levels moves the price past 0.1 %: halted.
    let sweep = api.signed("/api/v3/market/place-bid", r#"{"sym":"BTC_THB","amt":80000,"rat":0,"typ":"market"}"#).await;
    assert_eq!(sweep["error"], 0, "{sweep}");
    api.wait_for("the circuit breaker's halt", |s| s["status"] == "halted").await;
    let refused = api.signed("/api/v3/market/place-bid", &format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{bid},"typ":"limit"}}"#)).await;
    assert_eq!(refused["error"], 55, "a halted market takes no orders: {refused}");
    let cancel_only = api.wait_for("cancel-only after the halt", |s| s["status"] == "active" && s["freeze_buy"] == true).await;
    assert_eq!(cancel_only["freeze_cancel"], false, "cancels work in cancel-only: {cancel_only}");
    api.wait_for("trading to resume", |s| s["status"] == "active" && s["freeze_buy"] == false).await;
    let after = api.signed("/api/v3/market/place-bid", &format!(r#"{{"sym":"BTC_THB","amt":1000,"rat":{bid},"typ":"limit"}}"#)).await;
    assert_eq!(after["error"], 0, "open again: {after}");

    // The live alert reaches the store (the writer runs behind the follower).
    let store_url = format!("sqlite://{}", server.data.join("store.db").display());
    let started = Instant::now();
    let live = loop {
        let store = talat_store::Store::connect(&store_url).await.unwrap();
        let alerts = store.surveillance_alerts(None, Some("self_match"), 10).await.unwrap();
        let actions = store.surveillance_actions(10).await.unwrap();
        store.close().await;
        if !alerts.is_empty() && actions.len() >= 3 {
            let modes: Vec<&str> = actions.iter().rev().map(|a| a.mode.as_str()).collect();
            assert_eq!(modes, ["halted", "cancel_only", "open"], "the breaker's steps in order");
            break alerts;
        }
        assert!(started.elapsed() < PATIENCE, "no stored self-match alert and breaker steps: {alerts:?} {actions:?}\n{}", server.log_tail());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let user = server.banner["demo_user"]["user_id"].as_u64().unwrap();
    assert_eq!(live[0].accounts, format!("[{user}]"));
    assert!(live[0].summary.contains("self-trade prevention"), "{}", live[0].summary);

    // The same journal replayed offline raises the same alert and the same steps.
    server.interrupt().expect("a clean stop");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(["surveillance", "replay", "--json", "--config", &config, "--data"])
        .arg(&server.data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let replay: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = replay["alerts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&live[0].id.as_str()), "replay alerts {ids:?} include the live {}", live[0].id);
    let steps: Vec<&str> = replay["breaker"].as_array().unwrap().iter().map(|a| a["mode"].as_str().unwrap()).collect();
    assert_eq!(steps[0], "halted", "the replay trips at the same trade: {steps:?}");
}

#[test]
fn a_bad_surveillance_setting_is_refused_naming_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("talat.toml");
    std::fs::write(&config, "[surveillance.spoofing]\nmin_cancelled_bps = 0\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_talat"))
        .args(["serve", "--data"])
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[surveillance.spoofing] min_cancelled_bps: must be between 1 and 10000 basis points, got 0"), "{stderr}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}
