//! WebSocket APIs (reference §15): public market streams, the live order book, the private
//! stream. (Being written.)

use crate::gateway::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
