//! talat-loadgen: an open-loop load generator for talat's Bitkub-compatible API.
//!
//! Requests follow a constant timeline (`--rate` for `--duration`): request `k` is due at
//! `k / rate`, and its latency is measured from that intended time, so a slow server cannot
//! hide behind a slower generator (no coordinated omission). Each of `--connections`
//! keep-alive HTTP/1.1 connections owns a lane of the timeline and a share of the load users;
//! a lane that falls more than its share of `--max-backlog` behind drops the oldest due
//! requests and counts them as "not sent (generator backlog)" rather than queueing them.
//!
//! The mix (`--mix place=70,cancel=20,read=10`) places limit orders alternately bid and ask
//! within ±`--band-pct` of the reference price, just above the market's minimum size; cancels
//! the user's own acknowledged orders; and rotates reads (balances, depth, my-open-orders).
//! Every request is signed as its user (§7 of the reference); shed requests (503) are counted,
//! never retried during the run. `--verify` then looks up every acknowledged order.
//!
//! Entry points: [`run`] on the caller's tokio runtime, [`run_blocking`] on a runtime of
//! `--threads` workers; both return a [`Report`] (serde-serialisable for `--json`, `Display`
//! for people). [`demo_load_credentials`] is the credential derivation the demo server shares.

mod config;
mod decimal;
mod http;
mod market;
mod progress;
mod report;
mod rng;
mod run;
mod schedule;
mod sign;
mod stats;
mod timer;
mod verify;
mod workload;

pub use config::{ConfigError, LoadgenConfig, Mix, ReadKind};
pub use market::{MarketError, MarketSummary};
pub use progress::Progress;
pub use report::{EndpointReport, GeneratorReport, LatencySummary, MissingOrder, OutcomeReport, Report, Totals, VerifyReport};
pub use run::{run, run_blocking};
pub use sign::demo_load_credentials;
pub use stats::{Endpoint, TransportError};

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    #[error("invalid settings: {0}")]
    Config(#[from] ConfigError),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("market discovery: {0}")]
    Discovery(String),
    #[error("market: {0}")]
    Market(#[from] MarketError),
    #[error("credentials: {0}")]
    Credentials(String),
    #[error("runtime: {0}")]
    Runtime(String),
}
