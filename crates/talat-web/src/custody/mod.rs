//! Crypto deposits and withdrawals over the web API (contract: docs/web-api.md, "Crypto"): the
//! customer's deposit address per network with its QR, deposits confirming live, the
//! withdrawal whitelist with its cooling-off, withdrawals with a 2FA code; the console's
//! withdrawals awaiting approval, reorg cases, wallets and rescans. The flows are
//! `talat_custody`'s (shared with the Bitkub crypto routes); the rules `talat_funds::crypto`'s.
//!
//! Module map. The routes: `customer`, `console`. What they share, never each other: `view`
//! (the JSON shapes, the service or the refusal that it is off, errors).

pub mod console;
pub mod customer;
pub mod view;

use crate::Web;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().merge(customer::routes()).merge(console::routes())
}
