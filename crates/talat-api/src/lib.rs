//! talat-api: the Bitkub protocol adapter. The v3 and legacy REST routes, the retired v3 paths
//! and the WebSockets, in Bitkub's shapes and error codes, over the shared gateway
//! (`talat-gateway`: authentication, admission, the one order path, the read models); and the
//! HTTP server that serves them with the web app's routes merged in. See ARCHITECTURE.md for
//! the request path.

pub mod listener;
pub mod params;
pub mod routes;
pub mod server;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
