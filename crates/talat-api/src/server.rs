//! The HTTP server: the Bitkub routes with any extra routes (the web app's) merged in, behind
//! the connection cap, with the rate limiter's sweep running beside it.
//!
//! ```text
//! sequencer thread: journal + fdatasync ─▶ engine ─▶ publish: ReadModel::apply_batch ─▶ acks
//!                                                              └─▶ Feed → WebSocket tasks
//! journal on disk ─▶ store follower (own engine copy, lowest priority) ─▶ query store
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use talat_gateway::AppState;

/// Serves `gateway` on `listener` until `shutdown` resolves.
pub async fn serve(
    gateway: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(gateway, axum::Router::new(), listener, shutdown).await
}

/// [`serve`] with `extra` routes merged into the gateway's router (see
/// [`crate::routes::router_with`]).
pub async fn serve_with(
    gateway: AppState,
    extra: axum::Router<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = {
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                gateway.limits.sweep();
            }
        })
    };
    let max_connections = gateway.config.max_connections;
    let app = crate::routes::router_with(gateway, extra);
    // `tap_io` makes axum hand out the peer address as `ConnectInfo<SocketAddr>`.
    let listener = axum::serve::ListenerExt::tap_io(crate::listener::LimitedListener::new(listener, max_connections), |_| {});
    let result = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    result
}
