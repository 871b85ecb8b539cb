//! Deposits and withdrawals over the web API (contract: docs/web-api.md, "Funds"): the
//! customer's deposit QR, bank accounts and withdrawals; the console's approvals, bank-account
//! verification, payout batches, statement import, exceptions and reconciliation. The flows
//! are `talat_gateway::funds`'s (shared with the Bitkub fiat routes); the rules `talat-funds`'s.
//!
//! Module map. The routes: `customer`, `console`. What they share, never each other: `view`
//! (the JSON shapes, the QR image, who is asking) and `background` (expiring QRs, recovery
//! after a restart, the watched statement folder).

pub mod background;
pub mod console;
pub mod customer;
pub mod view;

use crate::Web;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().merge(customer::routes()).merge(console::routes().layer(DefaultBodyLimit::max(view::MAX_STATEMENT_BODY_BYTES)))
}

pub fn spawn_background(web: &Arc<Web>) {
    background::spawn(web);
}
