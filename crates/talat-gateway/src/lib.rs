//! talat-gateway: what both HTTP surfaces (the Bitkub API in `talat-api`, the web app's API in
//! `talat-web`) share, so that neither imports the other.
//!
//! Module map: `gateway` (the shared state: authenticate, resolve a symbol, admit, submit on the
//! command's own lane, and `place`, the one order path), `setup` (building the state, API keys in and
//! out of the store, the read models' publisher), `auth` (HMAC signing, API keys sealed at rest),
//! `limits` (per-user and per-IP rate limits), `config` (the gateway's settings), `error` (every
//! refusal as a Bitkub error), `decimal` (exact decimal tokens), `read` (the read models: books,
//! trades, tickers, balances, open orders, the WebSocket feed), `projection` (the query store's
//! journal follower), `surveillance` (the live market-surveillance follower, its store writer
//! and the circuit breaker's commands), `refusals` (the durable log of customers' refused and
//! failed requests: a bounded queue and a batch writer, the evidence of outage compensation).

pub mod auth;
pub mod cancel_after;
pub mod config;
pub mod decimal;
pub mod error;
pub mod fill;
pub mod funds;
pub mod gateway;
pub mod health;
pub mod limits;
pub mod projection;
pub mod read;
pub mod refusals;
pub mod setup;
pub mod strict_json;
pub mod surveillance;
pub mod ws_slot;

pub use gateway::{AppState, Gateway, MarketRef, PlaceSlot, Placed, Refusal};
