//! Library side of the `talat` binary: the pieces its subcommands wire together, kept here so
//! that benches and tests can reach them. No domain logic lives here.

pub mod bench_engine;
pub mod bench_replication;
pub mod bot;
pub mod console_client;
pub mod continuity;
pub mod custody_cli;
pub mod demo;
pub mod drill;
pub mod driver;
pub mod exchange;
pub mod funds_cli;
pub mod huge_pages;
pub mod journal_tools;
pub mod por_cli;
pub mod private_dir;
pub mod progress;
pub mod resume_cli;
pub mod serve;
pub mod serve_crypto;
pub mod staffing;
pub mod state_report;
pub mod surveillance_cli;
pub mod wire;
