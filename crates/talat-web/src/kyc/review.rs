//! The reviewer queue (stub: being written).

use crate::Web;
use axum::Router;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Web>> {
    Router::new()
}
