//! A TCP listener that holds at most `max_connections` open connections: beyond that, new
//! connections wait in the kernel's accept backlog instead of costing this process memory.
//! One IP address holds at most `max_per_ip` of them: a further connection from it is closed at
//! once, so one host cannot take every slot. Each accepted stream carries its permit and its
//! address's count and gives both back when the connection closes.

use axum::serve::Listener;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    per_ip: Arc<PerIp>,
}

/// Open connections per address. Entries are removed at zero, so the map holds at most
/// `max_connections` addresses.
struct PerIp {
    max: usize,
    open: Mutex<FxHashMap<IpAddr, usize>>,
}

impl PerIp {
    fn try_take(&self, ip: IpAddr) -> bool {
        let mut open = self.open.lock();
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return false;
        }
        *n += 1;
        true
    }

    fn give_back(&self, ip: IpAddr) {
        let mut open = self.open.lock();
        if let Some(n) = open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&ip);
            }
        }
    }
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max_connections: usize, max_per_ip: usize) -> LimitedListener {
        assert!(max_connections >= 1 && max_per_ip >= 1);
        let per_ip = Arc::new(PerIp { max: max_per_ip, open: Mutex::new(FxHashMap::default()) });
        LimitedListener { inner, permits: Arc::new(Semaphore::new(max_connections)), per_ip }
    }
}

pub struct LimitedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    ip: IpAddr,
    per_ip: Arc<PerIp>,
}

impl Drop for LimitedStream {
    fn drop(&mut self) {
        self.per_ip.give_back(self.ip);
    }
}

impl Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (LimitedStream, SocketAddr) {
        let permit = Arc::clone(&self.permits).acquire_owned().await.expect("the semaphore is never closed");
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    if !self.per_ip.try_take(addr.ip()) {
                        // Dropped: closed at once, and the permit stays for the next one.
                        metrics::counter!("talat_api_connections_refused_total", "reason" => "per_ip").increment(1);
                        continue;
                    }
                    // Small request/response exchanges: send at once.
                    let _ = stream.set_nodelay(true);
                    return (LimitedStream { stream, _permit: permit, ip: addr.ip(), per_ip: Arc::clone(&self.per_ip) }, addr);
                }
                Err(error) => {
                    // Out of descriptors or a transient failure: wait a moment rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
