//! Outage compensation over the web API (contract: docs/web-api.md, "Compensation"): the
//! console defines an incident (window, scope, policy), previews each affected customer with
//! the evidence, approves it under four eyes and pays it as journaled `Compensate` commands;
//! the customer lists their credits. The rules are `talat-compensation`'s; the evidence is the
//! gateway's refusal log (`talat_gateway::refusals`) and the query store's trades.
//!
//! Module map. The routes: `console`, `customer`. What they share, never each other:
//! `evidence` (the store's facts → the policy → the preview), `credits` (an approved preview
//! as `Compensate` commands, submitted idempotently), `view` (the JSON shapes, the report CSV).

pub mod console;
pub mod credits;
pub mod customer;
pub mod evidence;
pub mod view;

use crate::Web;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new().merge(console::routes()).merge(customer::routes())
}
