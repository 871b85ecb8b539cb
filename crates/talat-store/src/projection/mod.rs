//! The projection half: engine events → orders, trades, ledger postings, candles, deposits and
//! withdrawals, written by the projector in one transaction per run of commands, and the
//! gateway's reads of those tables.
//!
//! `stage` (events → rows, pure), `project` (the write transaction: rows → multi-row
//! statements), `sql` (the multi-row statement builder), `candles` (buckets and resolutions),
//! `projector` (the background task and the catch-up feeder), `queries` and `rows` (reads).

pub(crate) mod candles;
mod project;
pub(crate) mod projector;
pub(crate) mod queries;
pub(crate) mod rows;
mod sql;
pub(crate) mod stage;
