//! `cargo bench -p talat-bench`: the peers on a 100,000-op exchange-core-like
//! stream. Each iteration builds and warms a fresh book outside the timing
//! (criterion's `iter_batched`) and times only the stream. For the full
//! runs with ratios and latency percentiles use the runner
//! (`talat bench engine`, or this crate's `peers` example).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use talat_bench::peers::{LobsterBooks, MatchcoreBooks, OrderbookRsBooks};
use talat_bench::workload::{BookSpec, Workload};
use talat_bench::BookUnderTest;

fn bench_engine<B: BookUnderTest>(c: &mut Criterion, w: &Workload, name: &str, build: impl Fn(&BookSpec) -> B) {
    let mut group = c.benchmark_group("exchange-core-like stream");
    group.throughput(Throughput::Elements(w.stream.len() as u64));
    // A few seconds per engine: enough for stable medians on a 2-core VM.
    group.sample_size(10);
    group.bench_function(name, |bench| {
        bench.iter_batched_ref(
            || {
                let mut book = build(&w.spec);
                for op in &w.warmup {
                    book.apply(op);
                }
                book
            },
            |book| {
                let mut done = 0u64;
                for op in &w.stream {
                    done += (book.apply(op) == talat_bench::Outcome::Done) as u64;
                }
                done
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn peers(c: &mut Criterion) {
    let w = Workload::normal(42, 100_000);
    bench_engine(c, &w, "matchcore", MatchcoreBooks::new);
    bench_engine(c, &w, "orderbook-rs", OrderbookRsBooks::new);
    bench_engine(c, &w, "lobster", LobsterBooks::new);
}

criterion_group!(benches, peers);
criterion_main!(benches);
