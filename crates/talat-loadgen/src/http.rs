//! The client connection: hyper's low-level HTTP/1.1 `handshake` over a tokio `TcpStream`,
//! kept alive for the whole run. No pool and no per-request lookups: each lane owns one
//! connection and drives it in its own task, so a request costs no cross-task wake-ups.

use crate::config::ConfigError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub type Sender = http1::SendRequest<Full<Bytes>>;
pub type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// `host:port` of an `http://host:port[/]` URL.
pub fn parse_url(url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| ConfigError(format!("--url {url:?}: only plain http:// is supported")))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains('/') || authority.contains('?') || authority.contains('@') {
        return Err(ConfigError(format!("--url {url:?}: expected http://host:port with no path")));
    }
    Ok(authority.to_string())
}

/// Where requests go: the resolved address and the `Host` header every request carries.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
}

impl Target {
    pub async fn resolve(url: &str) -> Result<Target, crate::LoadgenError> {
        let authority = parse_url(url)?;
        let lookup = if authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) && !authority.ends_with(']') {
            authority.clone()
        } else {
            format!("{authority}:80")
        };
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host(&lookup).await.map_err(|e| crate::LoadgenError::Connect(format!("{url}: {e}")))?.collect();
        // `localhost` often resolves to ::1 first while servers listen on 127.0.0.1.
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or_else(|| crate::LoadgenError::Connect(format!("{url}: no address")))?;
        let host = HeaderValue::from_str(&authority).map_err(|_| ConfigError(format!("--url {url:?}: bad host")))?;
        Ok(Target { addr, host })
    }
}

/// Opens one keep-alive connection. The returned driver must be polled (awaited) for the
/// sender to make progress.
pub async fn connect(target: &Target) -> std::io::Result<(Sender, Driver)> {
    let stream = TcpStream::connect(target.addr).await?;
    // Requests are small and answered one at a time: Nagle would only add delay.
    stream.set_nodelay(true)?;
    http1::Builder::new()
        // One flat write per request instead of a vectored write of headers and body.
        .writev(false)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)
}

/// Runs `work` with a fresh connection, driving the connection in the same task (polled
/// together with `work` by `join!`). Ends when `work` ends; `work` owns the sender, so the
/// connection closes when it returns.
pub async fn with_connection<F, Fut, T>(sender: Sender, driver: Driver, work: F) -> T
where
    F: FnOnce(Sender) -> Fut,
    Fut: Future<Output = T>,
{
    let drive = async move {
        // An error here surfaces to `work` as a failed request; nothing else to do with it.
        let _ = driver.await;
    };
    let ((), out) = tokio::join!(drive, work(sender));
    out
}

/// An HTTP answer, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after_s: Option<u64>,
}

/// Sends one request and reads the whole answer.
pub async fn exchange(sender: &mut Sender, request: Request<Full<Bytes>>) -> hyper::Result<Reply> {
    let response = sender.send_request(request).await?;
    let status = response.status();
    let retry_after_s = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let body = response.into_body().collect().await?.to_bytes();
    Ok(Reply { status, body, retry_after_s })
}

/// One GET on a fresh connection, answered as JSON (discovery, before the run).
pub async fn get_json(target: &Target, path: &str) -> Result<serde_json::Value, crate::LoadgenError> {
    let failed = |e: String| crate::LoadgenError::Discovery(format!("GET {path}: {e}"));
    let (sender, driver) = connect(target).await.map_err(|e| crate::LoadgenError::Connect(format!("{}: {e}", target.addr)))?;
    let request =
        Request::get(path).header(hyper::header::HOST, target.host.clone()).body(Full::new(Bytes::new())).expect("static request");
    let reply = with_connection(sender, driver, |mut sender| async move { exchange(&mut sender, request).await })
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !reply.status.is_success() {
        return Err(failed(format!("HTTP {}: {}", reply.status, String::from_utf8_lossy(&reply.body))));
    }
    serde_json::from_slice(&reply.body).map_err(|e| failed(format!("not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_plain_http_authorities() {
        assert_eq!(parse_url("http://127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(parse_url("http://localhost:8080/").unwrap(), "localhost:8080");
        assert_eq!(parse_url("http://[::1]:9000").unwrap(), "[::1]:9000");
        for bad in ["https://x:1", "127.0.0.1:8080", "http://", "http://h:1/api", "http://u@h:1"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
