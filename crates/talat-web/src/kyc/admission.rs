//! SLA-aware admission (stub: being written).

use crate::error::WebResult;
use crate::Web;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use talat_store::WebAccountRow;

pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdmissionConfig {}

pub async fn decide_at_signup(_web: &Web, _account: &WebAccountRow) -> WebResult<()> {
    Ok(())
}

pub fn spawn(_web: &Arc<Web>, _every: Duration) {}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
}
