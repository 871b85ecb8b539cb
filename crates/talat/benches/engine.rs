//! `cargo bench -p talat`: talat's engine and the peer crates on one short exchange-core-like
//! stream, each op through the same `BookUnderTest` interface. The full comparison with
//! percentiles and ratios is `talat bench engine`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use talat::bench_engine::TalatBooks;
use talat_bench::peers::{LobsterBooks, MatchcoreBooks, OrderbookRsBooks};
use talat_bench::{BookSpec, BookUnderTest, Workload};

fn stream<B: BookUnderTest>(c: &mut Criterion, w: &Workload, name: &str, build: fn(&BookSpec) -> B) {
    let mut group = c.benchmark_group("engine/normal");
    group.throughput(Throughput::Elements(w.stream.len() as u64));
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                let mut book = build(&w.spec);
                for op in &w.warmup {
                    book.apply(op);
                }
                book
            },
            |mut book| {
                for op in &w.stream {
                    book.apply(op);
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn engines(c: &mut Criterion) {
    let w = Workload::normal(42, 200_000);
    stream(c, &w, "talat", TalatBooks::new);
    stream(c, &w, "matchcore", MatchcoreBooks::new);
    stream(c, &w, "orderbook-rs", OrderbookRsBooks::new);
    stream(c, &w, "lobster", LobsterBooks::new);
}

criterion_group!(benches, engines);
criterion_main!(benches);
