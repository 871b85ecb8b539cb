//! Proof of reserves, the liabilities side, over the web API (contract: docs/web-api.md,
//! "Proof of reserves"; the format: docs/proof-of-reserves.md). The tree, proofs and their
//! verification are `talat-por`'s.
//!
//! Module map. The routes: `customer` (the customer's latest root and proof, the public
//! `/api/por/latest.json`) and `console` (the reports, publish now). What they share, never
//! each other: `publish` (reading what is owed, salts, building and storing a report,
//! rebuilding a report's tree, the report's JSON, the daily job).

pub mod console;
pub mod customer;
pub mod publish;

use crate::Web;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().merge(customer::routes()).merge(console::routes())
}

/// The daily publication (see [`publish::spawn`]).
pub fn spawn_background(web: &Arc<Web>) {
    publish::spawn(web);
}
