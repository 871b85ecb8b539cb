//! `cargo bench -p talat-api --bench params`: reading a signed request's parameters — the
//! duplicate-key check and the parse every v3 body goes through — for the bodies the order path
//! sees most (a place and a cancel, as `talat loadgen` and the Python client send them).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use talat_api::params::Params;

const PLACE: &[u8] = br#"{"sym":"btc_thb","amt":0.00000315,"rat":3498249.14,"typ":"limit","client_id":"lg-1-000042"}"#;
const CANCEL: &[u8] = br#"{"sym":"btc_thb","id":"1234567","sd":"buy"}"#;

fn params(c: &mut Criterion) {
    let mut group = c.benchmark_group("params");
    group.throughput(Throughput::Elements(1));
    for (name, body) in [("place", PLACE), ("cancel", CANCEL)] {
        group.bench_function(name, |b| b.iter(|| Params::parse(None, black_box(body)).expect("a valid body")));
    }
    group.bench_function("duplicate_key/place", |b| b.iter(|| talat_gateway::strict_json::duplicate_key(black_box(PLACE))));
    group.finish();
}

criterion_group!(benches, params);
criterion_main!(benches);
