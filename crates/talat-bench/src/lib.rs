//! Side-by-side order-book benchmarks.
//!
//! One seeded, pre-generated, exchange-core-like op stream ([`workload`]) is
//! replayed into every engine under test ([`BookUnderTest`]): talat's own
//! engine (adapter supplied by its caller) and peer crates ([`peers`]).
//! The [`runner`] measures closed-loop throughput over several fresh rounds
//! and per-op latency into an HDR histogram; the [`report`] holds the
//! figures and the ratios between engines, which is what talat publishes:
//! ratios against peers measured in the same run, never a lone absolute time.
//!
//! ```no_run
//! use talat_bench::{peers::Peer, runner::{run_peers, RunConfig}, workload::Workload};
//!
//! let w = Workload::normal(42, 1_000_000);
//! let report = run_peers(&w, &RunConfig::default(), &Peer::ALL);
//! println!("{}", report.table());
//! ```

pub mod book;
pub mod peers;
pub mod report;
pub mod rng;
pub mod runner;
pub mod workload;

pub use book::{BookUnderTest, Outcome, LOOKAHEAD_FAR};
pub use report::{EngineFigures, Ratio, Report};
pub use workload::{BookSpec, MarketOp, Op, Side, Tif, Workload};
