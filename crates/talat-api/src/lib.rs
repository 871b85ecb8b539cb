//! talat-api: the gateway. Bitkub-compatible REST and WebSocket API over the sequencer and the
//! read models; see ARCHITECTURE.md for the request path.

pub mod auth;
pub mod config;
pub mod decimal;
pub mod error;
pub mod gateway;
pub mod limits;
pub mod listener;
pub mod params;
pub mod projection;
pub mod read;
pub mod routes;
pub mod server;
pub mod testkit;
