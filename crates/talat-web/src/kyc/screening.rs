//! Sanctions and PEP screening (stub: being written).

use crate::error::WebResult;
use crate::Web;
use axum::Router;
use std::sync::Arc;
use talat_onboarding::Subject;

/// The outcome of screening one customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreeningOutcome {
    /// Hits recorded now and awaiting a reviewer (cleared false positives are not among them).
    pub open_hits: usize,
}

/// Screens one customer against every active list, records new hits, and answers how many are
/// open for them.
pub async fn screen_account(_web: &Web, _account_id: u64, _subject: &Subject) -> WebResult<ScreeningOutcome> {
    Ok(ScreeningOutcome::default())
}

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
}
