//! The HTTP server: the Bitkub routes with any extra routes (the web app's) merged in, behind
//! the connection cap, with the rate limiter's sweep running beside it.
//!
//! ```text
//! sequencer thread: journal + fdatasync ─▶ engine ─▶ publish: ReadModel::apply_batch ─▶ acks
//!                                                              └─▶ Feed → WebSocket tasks
//! journal on disk ─▶ store follower (own engine copy, lowest priority) ─▶ query store
//! ```

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
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
///
/// Its own accept loop rather than `axum::serve`, which cannot set hyper's timers: every
/// connection is HTTP/1.1 with `header_read_timeout_ms` on each request head (a new connection
/// or a keep-alive one waiting for its next request: slowloris and idle sockets are closed),
/// WebSocket upgrades allowed, under the global and per-IP connection caps. On shutdown each
/// connection finishes its request in flight and closes; the server returns when all have.
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
    // The refusal log's store writer (once per gateway; a gateway without a store keeps none).
    if let Some(store) = &gateway.store {
        gateway.refusals.spawn_writer(store.clone(), Arc::clone(&gateway.clock));
    }
    let (max_connections, max_per_ip) = (gateway.config.max_connections, gateway.config.max_connections_per_ip);
    let head_timeout = Duration::from_millis(gateway.config.header_read_timeout_ms.max(1));
    let app = crate::routes::router_with(gateway, extra);
    let mut listener = crate::listener::LimitedListener::new(listener, max_connections, max_per_ip);
    // Connections hold a receiver each: dropping `stop` tells them to finish; `open` closing
    // means every connection has.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let service = tower::ServiceExt::map_request(app.clone(), move |request: axum::http::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(addr));
            request
        });
        let (stop_rx, open_rx) = (stop_rx.clone(), open_rx.clone());
        tokio::spawn(serve_connection(stream, TowerToHyperService::new(service), head_timeout, stop_rx, open_rx));
    }
    drop(stop_tx);
    drop(stop_rx);
    drop(open_rx);
    open_tx.closed().await;
    sweeper.abort();
    Ok(())
}

async fn serve_connection<S>(
    stream: crate::listener::LimitedStream,
    service: S,
    head_timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<()>,
    _open: tokio::sync::watch::Receiver<()>,
) where
    S: hyper::service::Service<axum::http::Request<Incoming>, Response = axum::response::Response> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(head_timeout).keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stop.changed() => {
            // Finish the request in flight, then close (an idle connection closes at once).
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
    };
    if let Err(error) = result {
        tracing::trace!(%error, "connection ended");
    }
}
