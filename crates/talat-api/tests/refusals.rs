//! The refusal log, the evidence of outage compensation, fed by the Bitkub API: a flood of new
//! orders past the exchange's budget is shed before the signature is checked, and each shed
//! order is recorded against the user of its key header, marked unverified, with what it asked
//! for; past 20 rows a customer-minute the rest are counted, not kept. An order the market's
//! mode refuses after the signature checked out is recorded verified. A customer's own error
//! and a key nobody has are not recorded.

use serde_json::Value;
use talat_api::testkit::TestExchange;
use talat_core::{Command, MarketId, TradingMode};
use talat_gateway::config::ApiConfig;
use talat_sequencer::SequencerConfig;

async fn signed(ex: &TestExchange, user: usize, target: &str, body: &str, key: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{}{target}", ex.url)).header("content-type", "application/json").body(body.to_string());
    for (name, value) in ex.sign_headers(user, "POST", target, body) {
        let value = if name == "X-BTK-APIKEY" { key.map_or(value, str::to_string) } else { value };
        request = request.header(name, value);
    }
    let response = request.send().await.expect("request");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shed_and_refused_orders_are_logged_with_their_attribution() {
    let config = ApiConfig { rate_limits: false, max_new_orders_per_s: 1, ..ApiConfig::default() };
    let ex = TestExchange::start(config, 2, SequencerConfig::default()).await;
    let store = ex.gateway.store.clone().unwrap();
    let t0 = ex.gateway.now_ms();
    let bid = r#"{"sym":"btc_thb","amt":1000,"rat":3000000,"typ":"limit"}"#;

    // 30 bids at once against a budget of one a second: most are shed (503, error 90).
    let mut shed = 0u64;
    for _ in 0..30 {
        let (status, reply) = signed(&ex, 0, "/api/v3/market/place-bid", bid, None).await;
        if status == 503 {
            assert_eq!(reply["error"], 90, "{reply}");
            shed += 1;
        }
    }
    assert!(shed >= 25, "only {shed} shed");
    // Shed too, but with a key nobody has: no user to record.
    let (status, _) = signed(&ex, 0, "/api/v3/market/place-bid", bid, Some("no-such-key")).await;
    assert_eq!(status, 503);

    // A second later: the market is halted and user 1's signed ask is refused by its mode.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    ex.gateway.submit(Command::SetMarketMode { market: MarketId(0), mode: TradingMode::Halted }).await.unwrap();
    let (_, reply) = signed(&ex, 1, "/api/v3/market/place-ask", r#"{"sym":"BTC_THB","amt":0.5,"rat":0,"typ":"market"}"#, None).await;
    assert_eq!(reply["error"], 55, "{reply}");
    // The customer's own error (an order that does not exist) is not outage evidence.
    let (_, reply) = signed(&ex, 1, "/api/v3/market/cancel-order", r#"{"sym":"BTC_THB","id":"999","sd":"buy"}"#, None).await;
    assert_ne!(reply["error"], 0);

    // The writer runs in the background: wait for the verified row, written last.
    let (user0, user1) = (ex.users[0].user.0 as u64, ex.users[1].user.0 as u64);
    let mut rows = Vec::new();
    for _ in 0..300 {
        rows = store.refusals_between(t0, u64::MAX / 4, 1_000).await.unwrap();
        if rows.iter().any(|r| r.user == user1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mine: Vec<_> = rows.iter().filter(|r| r.user == user0).collect();
    let dropped: u64 = store.refusals_dropped_between(t0, u64::MAX / 4).await.unwrap().iter().filter(|(u, _)| *u == user0).map(|(_, n)| n).sum();
    assert_eq!(mine.len() as u64 + dropped, shed, "every shed order is kept or counted");
    assert!(mine.len() <= 40, "at most 20 a customer-minute (the flood may straddle two minutes)");
    let first = mine[0];
    assert_eq!(
        (first.verified, first.kind.as_str(), first.endpoint.as_str(), first.http_status, first.code),
        (false, "place", "/api/v3/market/place-bid", 503, 90)
    );
    assert_eq!(
        (first.symbol.as_deref(), first.side.as_deref(), first.amount.as_deref(), first.rate.as_deref()),
        (Some("BTC_THB"), Some("buy"), Some("1000"), Some("3000000"))
    );
    let halted: Vec<_> = rows.iter().filter(|r| r.user == user1).collect();
    assert_eq!(halted.len(), 1, "the refused ask only, not the cancel of an unknown order: {halted:?}");
    assert_eq!((halted[0].verified, halted[0].code, halted[0].side.as_deref(), halted[0].rate.as_deref()), (true, 55, Some("sell"), Some("0")));
    assert_eq!(rows.len(), mine.len() + 1, "nothing for the unknown key");
    ex.stop().await;
}
