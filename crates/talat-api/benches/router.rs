//! `cargo bench -p talat-api --bench router`: one request through the router in process (no
//! socket), from the outermost layer to the answer — the cost of the middleware stack every
//! request passes (body buffering, the body limit, latency metrics, refusal evidence, and for a
//! new order the admission slot) around the cheapest handlers:
//! - `servertime`: a public GET that only reads the clock;
//! - `place-unsigned`: a place-bid without its signing headers, admitted and then refused by
//!   the signed extractor before any work (the order path's layers, none of its handler).

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::net::SocketAddr;
use talat_api::testkit::TestExchange;
use talat_gateway::config::ApiConfig;
use talat_gateway::error::ErrorCode;
use talat_sequencer::SequencerConfig;
use tower::ServiceExt;

/// Bitkub's "missing X-BTK-APIKEY".
const MISSING_API_KEY: u16 = 2;

fn request(method: &str, uri: &str, body: &'static str) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(Body::from(body))
        .expect("a valid request");
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    request
}

fn router(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
    // No per-IP limits in the way: every request of the bench comes from one address.
    let config = ApiConfig { public_per_ip_per_s: u32::MAX / 4, ..ApiConfig::default() };
    let exchange = runtime.block_on(TestExchange::start(config, 1, SequencerConfig::default()));
    let app = {
        let _entered = runtime.enter();
        talat_api::routes::router(exchange.gateway.clone())
    };
    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(1));
    // (name, method, path, body, the Bitkub error code of the answer: 0 = success)
    let cases: [(&str, &str, &str, &'static str, u16); 2] = [
        ("servertime", "GET", "/api/v3/servertime", "", 0),
        ("place-unsigned", "POST", "/api/v3/market/place-bid", r#"{"sym":"btc_thb","amt":1000,"rat":3500000,"typ":"limit"}"#, MISSING_API_KEY),
    ];
    for (name, method, uri, body, code) in cases {
        let answer = runtime.block_on(app.clone().oneshot(request(method, uri, body))).expect("infallible");
        let answered = answer.extensions().get::<ErrorCode>().map_or(0, |c| c.0);
        assert_eq!(answered, code, "{name}: the bench must measure the intended path");
        group.bench_function(name, |b| b.iter(|| runtime.block_on(app.clone().oneshot(request(method, uri, body))).expect("infallible")));
    }
    group.finish();
    drop(exchange);
}

criterion_group!(benches, router);
criterion_main!(benches);
