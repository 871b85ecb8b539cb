//! Drives only talat's engine through the benchmark stream, for profilers (`perf record`).
//! `cargo run --release -p talat --example engine_only -- [OPS] [ROUNDS] [normal|large]`

use talat::bench_engine::TalatBooks;
use talat_bench::{BookUnderTest, Workload};

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let w = match args.next().as_deref() {
        Some("large") => Workload::large(42, ops),
        _ => Workload::normal(42, ops),
    };
    for _ in 0..rounds {
        let mut book = TalatBooks::new(&w.spec);
        for op in &w.warmup {
            book.apply(op);
        }
        let start = std::time::Instant::now();
        for op in &w.stream {
            book.apply(op);
        }
        let elapsed = start.elapsed();
        println!("{:.2} M ops/s", ops as f64 / elapsed.as_secs_f64() / 1e6);
    }
}
