//! The status page and the resume runbook: the public page at `/status` with Statuspage's JSON
//! and the Atom feed (`public`), the console's incidents and overrides (`console`), and the
//! console's Resume page (`resume`). `view` gathers what talat measures into one snapshot.

mod console;
mod public;
mod resume;
pub(crate) mod view;

use crate::Web;
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/status", get(public::page))
        .route("/api/v2/summary.json", get(public::summary))
        .route("/api/v2/status.json", get(public::status))
        .route("/api/v2/incidents.json", get(public::incidents))
        .route("/history.atom", get(public::atom))
        .route("/web/api/console/status", get(console::overview))
        .route("/web/api/console/status/incidents", post(console::create))
        .route("/web/api/console/status/incidents/{id}/updates", post(console::update))
        .route("/web/api/console/status/overrides/{component}", put(console::set_override).delete(console::clear_override))
        .route("/web/api/console/resume", get(resume::state))
        .route("/web/api/console/resume/{step}", post(resume::step))
}
