//! The client: a minimal HTTP/1.1 keep-alive connection over a tokio `TcpStream`.
//!
//! Why not hyper's client: the generator shares its box with the server under test, so every
//! microsecond it spends per request is taken from the server. With hyper's
//! `client::conn::http1`, each request crossed the SendRequest → Connection-task channel, built
//! a `Request` and a `HeaderMap`, collected a `Response` body into `Bytes`, and registered a new
//! `tokio::time::timeout`. Here a request is written straight into one reusable buffer and sent
//! with one write; the answer is parsed with `httparse` in one reusable, bounded read buffer
//! and handed out as a borrowed slice; and the per-request timeout is one `Sleep` per
//! connection, reset per request (moving a deadline later touches no timer wheel).
//!
//! Measured with the `overhead` example (256 connections, 8 s, 2-core VM, runs interleaved):
//! generator CPU per request went from 29-32 µs to 23.5-25 µs at 20k req/s, and from
//! 16.6-17.5 µs to 12.8-16 µs at 50k. The user-space part more than halved (perf: about 9 to
//! 4-5 µs at 50k); what is left is mostly the kernel's TCP work on loopback (the sender's
//! system call also runs the receiver's side of the stack and wakes it) and the generator's own
//! sleeps and wake-ups, which no client can remove.
//!
//! What it reads: status, `Content-Length` or chunked bodies (decoded in place), bodies ended
//! by the close of the connection, `Retry-After`, `Connection: close` (and HTTP/1.0
//! defaults), and interim 1xx answers (skipped). Heads are bounded to [`MAX_HEAD`], bodies to
//! [`MAX_BODY`]: anything bigger is a transport error, never unbounded memory.

use crate::config::ConfigError;
use crate::stats::TransportError;
use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::ops::Range;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// The largest head (status line and headers) read.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body read (after chunked decoding).
pub const MAX_BODY: usize = 1024 * 1024;
/// Header lines parsed per head; more is refused.
const MAX_HEADERS: usize = 64;
/// Chunk-size lines and trailers on top of a chunked body.
const MAX_FRAMING: usize = 64 * 1024;
/// The read buffer never grows beyond one whole answer at the bounds.
const MAX_READ_BUFFER: usize = MAX_HEAD + MAX_BODY + MAX_FRAMING;
/// The read buffer a connection starts with: every answer of the API fits it.
const INITIAL_READ_BUFFER: usize = 4 * 1024;
/// Interim (1xx) answers skipped before one request's final answer.
const MAX_INTERIM: usize = 8;

/// `host:port` of an `http://host:port[/]` URL.
pub fn parse_url(url: &str) -> Result<String, ConfigError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| ConfigError(format!("--url {url:?}: only plain http:// is supported")))?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains('/') || authority.contains('?') || authority.contains('@') {
        return Err(ConfigError(format!("--url {url:?}: expected http://host:port with no path")));
    }
    // It is written verbatim as the `Host` header of every request.
    if !authority.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError(format!("--url {url:?}: bad host")));
    }
    Ok(authority.to_string())
}

/// Where requests go: the resolved address and the `Host` header every request carries.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// `host:port` as given in the URL (checked to be visible ASCII).
    pub host: String,
}

impl Target {
    pub async fn resolve(url: &str) -> Result<Target, crate::LoadgenError> {
        let authority = parse_url(url)?;
        let lookup = if authority.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) && !authority.ends_with(']') {
            authority.clone()
        } else {
            format!("{authority}:80")
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&lookup).await.map_err(|e| crate::LoadgenError::Connect(format!("{url}: {e}")))?.collect();
        // `localhost` often resolves to ::1 first while servers listen on 127.0.0.1.
        let addr = addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()).copied().ok_or_else(|| crate::LoadgenError::Connect(format!("{url}: no address")))?;
        Ok(Target { addr, host: authority })
    }
}

/// The request methods the generator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Starts a request in `out`: the request line and `Host`. `target` (path and query) and
/// `host` are the generator's own, built from checked text.
pub fn write_request_line(out: &mut Vec<u8>, method: Method, target: &str, host: &str) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// One header line.
pub fn write_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Ends the head and appends `body`. A POST always says its length (an empty GET says none,
/// as hyper did), so the server never has to guess where the body ends.
pub fn write_body(out: &mut Vec<u8>, method: Method, body: &[u8]) {
    if method == Method::Post || !body.is_empty() {
        let mut digits = [0u8; 20];
        write_header(out, b"Content-Length", crate::sign::format_u64(body.len() as u64, &mut digits));
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// An HTTP answer, read in full. The body borrows the connection's read buffer, so it is
/// gone at the connection's next request.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    pub status: u16,
    pub body: &'a [u8],
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after_s: Option<u64>,
}

/// Why an exchange produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("no complete answer within the timeout")]
    Timeout,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the server closed the connection before the answer was complete")]
    Closed,
    /// Not HTTP/1.1 as this client reads it, or beyond its bounds.
    #[error("bad answer: {0}")]
    Protocol(String),
}

impl ExchangeError {
    /// How the run counts it.
    pub fn transport(&self) -> TransportError {
        match self {
            ExchangeError::Timeout => TransportError::Timeout,
            _ => TransportError::Connection,
        }
    }
}

fn protocol(what: impl Into<String>) -> ExchangeError {
    ExchangeError::Protocol(what.into())
}

/// What the head says about the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    retry_after_s: Option<u64>,
    /// The server will close after this answer (`Connection: close`, or HTTP/1.0 without
    /// keep-alive, or a body that ends with the connection).
    close: bool,
}

/// How the body's end is found (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// A parsed head: an interim 1xx answer to skip, or the final answer's head.
enum ParsedHead {
    Interim { len: usize },
    Final { head: Head, framing: Framing, len: usize },
}

/// Parses the head at the start of `bytes` (`None` while it is incomplete).
fn parse_head(bytes: &[u8]) -> Result<Option<ParsedHead>, ExchangeError> {
    // Uninitialised: httparse fills only the headers there are, instead of this function
    // clearing room for 64 on every answer.
    let mut headers = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut response, bytes, &mut headers) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(protocol(format!("{e}"))),
    };
    let status = response.code.ok_or_else(|| protocol("no status code"))?;
    if status == 101 {
        return Err(protocol("101 Switching Protocols was never asked for"));
    }
    if (100..200).contains(&status) {
        return Ok(Some(ParsedHead::Interim { len }));
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive = false;
    let mut retry_after_s = None;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = parse_digits(header.value).ok_or_else(|| protocol("Content-Length is not a number"))?;
            if length.is_some_and(|l| l != value) {
                return Err(protocol("conflicting Content-Length headers"));
            }
            length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only plain chunked is read; gzip and friends are never asked for.
            if chunked || !trimmed(header.value).eq_ignore_ascii_case(b"chunked") {
                return Err(protocol(format!("unsupported Transfer-Encoding {:?}", String::from_utf8_lossy(header.value))));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',').map(trimmed) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("retry-after") {
            // The HTTP-date form is left out: the exchange only ever sends seconds.
            retry_after_s = parse_digits(header.value);
        }
    }
    let framing = match (chunked, length) {
        // Both is how requests get smuggled; an honest server never sends it.
        (true, Some(_)) => return Err(protocol("both Content-Length and Transfer-Encoding")),
        _ if status == 204 || status == 304 => Framing::Length(0),
        (true, None) => Framing::Chunked,
        (false, Some(l)) if l > MAX_BODY as u64 => return Err(protocol(format!("a body of {l} bytes is over the {MAX_BODY} limit"))),
        (false, Some(l)) => Framing::Length(l as usize),
        (false, None) => Framing::UntilClose,
    };
    close |= response.version == Some(0) && !keep_alive;
    close |= framing == Framing::UntilClose;
    Ok(Some(ParsedHead::Final { head: Head { status, retry_after_s, close }, framing, len }))
}

fn trimmed(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// A decimal number of at most 19 digits (no sign, no spaces inside).
fn parse_digits(bytes: &[u8]) -> Option<u64> {
    let digits = trimmed(bytes);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Whether `bytes` holds, from `from` on, the blank line that ends a head ("\n\n" or
/// "\n\r\n").
fn head_end_from(bytes: &[u8], from: usize) -> bool {
    (from..bytes.len()).any(|i| bytes[i] == b'\n' && (bytes.get(i + 1) == Some(&b'\n') || bytes.get(i + 1..i + 3) == Some(b"\r\n")))
}

/// Where reading the current answer stands; offsets are from the answer's first byte.
#[derive(Debug)]
enum State {
    /// Looking for the end of the head. `scanned`: `None` before the first attempt; then
    /// where the next search for the head's end starts (no earlier byte can begin it).
    Head { scanned: Option<usize> },
    /// Waiting for the whole `Content-Length` body.
    Sized { head: Head, body: Range<usize> },
    /// Decoding chunks in place: decoded body bytes end at `decoded`, the next chunk-size
    /// line starts at `next`.
    Chunked { head: Head, body_start: usize, decoded: usize, next: usize },
    /// Reading until the server closes.
    UntilClose { head: Head, body_start: usize },
}

/// One whole answer in the read buffer.
#[derive(Debug)]
struct Message {
    head: Head,
    /// The (decoded) body, from the answer's first byte.
    body: Range<usize>,
    /// Bytes the answer took in the buffer.
    len: usize,
}

enum Step {
    More,
    Interim(usize),
    Done(Message),
}

/// A connection's read buffer. Holds the bytes received but not yet consumed: the answer
/// being read and, if the server sent more in the same segment, the start of the next.
struct ResponseBuf {
    /// Always fully initialised (`len` is the capacity in use), so reads go straight in.
    buf: Vec<u8>,
    /// The first byte of the current answer.
    start: usize,
    /// One past the last byte received.
    end: usize,
    /// Length of the answer last handed out, released at the next read: its body is
    /// borrowed by the caller's [`Reply`] until then.
    handed_out: usize,
}

impl ResponseBuf {
    fn new() -> ResponseBuf {
        ResponseBuf { buf: vec![0; INITIAL_READ_BUFFER], start: 0, end: 0, handed_out: 0 }
    }

    /// Forgets the answer last handed out, keeping any bytes received after it.
    fn release(&mut self) {
        self.start += std::mem::take(&mut self.handed_out);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // One big answer must not pin its buffer for the rest of the run.
            if self.buf.len() > INITIAL_READ_BUFFER {
                self.buf = vec![0; INITIAL_READ_BUFFER];
            }
        }
    }

    /// Reads one whole final answer from `io` (skipping interim ones).
    async fn read_message<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> Result<Message, ExchangeError> {
        self.release();
        let mut state = State::Head { scanned: None };
        let mut interim = 0;
        // Ends: every turn either finishes, fails, or reads at least one byte into a buffer
        // bounded by MAX_READ_BUFFER (with at most MAX_INTERIM answers skipped).
        loop {
            match self.advance(&mut state, false)? {
                Step::Done(message) => return Ok(message),
                Step::Interim(len) => {
                    interim += 1;
                    if interim > MAX_INTERIM {
                        return Err(protocol("too many interim (1xx) answers"));
                    }
                    self.start += len;
                    state = State::Head { scanned: None };
                    continue;
                }
                Step::More => {}
            }
            if self.fill(io).await? == 0 {
                return match self.advance(&mut state, true)? {
                    Step::Done(message) => Ok(message),
                    _ => Err(ExchangeError::Closed),
                };
            }
        }
    }

    /// Reads more bytes; 0 means the server closed.
    async fn fill<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> Result<usize, ExchangeError> {
        if self.end == self.buf.len() {
            self.make_room()?;
        }
        let n = io.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    /// Frees space at the end: moves the current answer to the front, or grows up to the
    /// bound.
    fn make_room(&mut self) -> Result<(), ExchangeError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            return Ok(());
        }
        if self.buf.len() >= MAX_READ_BUFFER {
            return Err(protocol(format!("an answer larger than {MAX_READ_BUFFER} bytes")));
        }
        self.buf.resize((self.buf.len() * 2).min(MAX_READ_BUFFER), 0);
        Ok(())
    }

    /// Parses as far as the bytes received allow; `eof` once the server has closed.
    fn advance(&mut self, state: &mut State, eof: bool) -> Result<Step, ExchangeError> {
        let window = &mut self.buf[self.start..self.end];
        // Two turns at most: a parsed head moves on to its body at once.
        for _ in 0..2 {
            match state {
                State::Head { scanned } => {
                    // Most answers arrive whole, so the first look parses at once. A head
                    // that came up short is parsed again only once its end is in, so one
                    // trickling in byte by byte costs linear time, not quadratic.
                    let worth_parsing = scanned.is_none_or(|from| head_end_from(window, from));
                    let parsed = if worth_parsing { parse_head(window)? } else { None };
                    let Some(parsed) = parsed else {
                        if window.len() > MAX_HEAD {
                            return Err(protocol(format!("a head larger than {MAX_HEAD} bytes")));
                        }
                        *scanned = Some(window.len().saturating_sub(2));
                        return Ok(Step::More);
                    };
                    *state = match parsed {
                        ParsedHead::Interim { len } => return Ok(Step::Interim(len)),
                        ParsedHead::Final { head, framing: Framing::Length(n), len } => State::Sized { head, body: len..len + n },
                        ParsedHead::Final { head, framing: Framing::Chunked, len } => State::Chunked { head, body_start: len, decoded: len, next: len },
                        ParsedHead::Final { head, framing: Framing::UntilClose, len } => State::UntilClose { head, body_start: len },
                    };
                }
                State::Sized { head, body } => {
                    return Ok(if window.len() >= body.end { Step::Done(Message { head: *head, body: body.clone(), len: body.end }) } else { Step::More });
                }
                State::Chunked { head, body_start, decoded, next } => {
                    if let Some(len) = decode_chunks(window, *body_start, decoded, next)? {
                        return Ok(Step::Done(Message { head: *head, body: *body_start..*decoded, len }));
                    }
                    // Drop the framing already decoded, so the buffer holds the body and the
                    // framing of one chunk at most, however small the chunks.
                    window.copy_within(*next.., *decoded);
                    self.end -= *next - *decoded;
                    *next = *decoded;
                    return Ok(Step::More);
                }
                State::UntilClose { head, body_start } => {
                    if window.len() - *body_start > MAX_BODY {
                        return Err(protocol(format!("a body larger than {MAX_BODY} bytes")));
                    }
                    return Ok(if eof { Step::Done(Message { head: *head, body: *body_start..window.len(), len: window.len() }) } else { Step::More });
                }
            }
        }
        Ok(Step::More)
    }

    /// The answer `message` (just read) as a [`Reply`]; its bytes are released at the next
    /// read.
    fn reply(&mut self, message: &Message) -> Reply<'_> {
        self.handed_out = message.len;
        let body = self.start + message.body.start..self.start + message.body.end;
        Reply { status: message.head.status, body: &self.buf[body], retry_after_s: message.head.retry_after_s }
    }
}

/// Decodes the complete chunks in `window` from `next` on, moving their data down to
/// `decoded` so the body ends up contiguous after `body_start`. Returns the answer's length
/// once the last chunk and the trailers are in.
fn decode_chunks(window: &mut [u8], body_start: usize, decoded: &mut usize, next: &mut usize) -> Result<Option<usize>, ExchangeError> {
    // Ends: each turn consumes a chunk-size line (at least 3 bytes) or returns.
    loop {
        let (line_len, size) = match httparse::parse_chunk_size(&window[*next..]) {
            Ok(httparse::Status::Complete(parsed)) => parsed,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(protocol("bad chunk size line")),
        };
        if size == 0 {
            return Ok(trailers_end(&window[*next + line_len..])?.map(|len| *next + line_len + len));
        }
        let room = MAX_BODY - (*decoded - body_start);
        if size > room as u64 {
            return Err(protocol(format!("a chunked body larger than {MAX_BODY} bytes")));
        }
        let size = size as usize;
        let data = *next + line_len;
        let Some(after) = window.get(data + size..data + size + 2) else {
            return Ok(None);
        };
        if after != b"\r\n" {
            return Err(protocol("chunk data not followed by CRLF"));
        }
        window.copy_within(data..data + size, *decoded);
        *decoded += size;
        *next = data + size + 2;
    }
}

/// The length of the trailer section (ending with an empty line), once it is complete.
fn trailers_end(bytes: &[u8]) -> Result<Option<usize>, ExchangeError> {
    let mut at = 0;
    // Ends: each turn moves past one line.
    while let Some(newline) = bytes[at..].iter().position(|&b| b == b'\n') {
        let line = &bytes[at..at + newline];
        at += newline + 1;
        if line.is_empty() || line == b"\r" {
            return Ok(Some(at));
        }
    }
    if bytes.len() > MAX_FRAMING {
        return Err(protocol(format!("trailers larger than {MAX_FRAMING} bytes")));
    }
    Ok(None)
}

/// One keep-alive connection: the socket, the reusable request and read buffers, and the
/// deadline of the request in flight.
pub struct Connection {
    stream: TcpStream,
    request: Vec<u8>,
    response: ResponseBuf,
    /// Reset per request rather than a new timer per request: moving a registered deadline
    /// later is one atomic update, and the timer wheel only sees it when the old one passes.
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
    /// False once the server said it will close, or an exchange failed: the next request
    /// needs a new connection.
    reusable: bool,
}

impl Connection {
    /// Connects within `timeout`; every exchange on the connection gets `timeout` too.
    pub async fn open(target: &Target, timeout: Duration) -> io::Result<Connection> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(target.addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        // Requests are small and answered one at a time: Nagle would only add delay.
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            request: Vec::with_capacity(1024),
            response: ResponseBuf::new(),
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            reusable: true,
        })
    }

    /// The (emptied) buffer to build the next request in.
    pub fn request_buf(&mut self) -> &mut Vec<u8> {
        self.request.clear();
        &mut self.request
    }

    /// Whether another request may go out: the server has not said it will close, and has
    /// not closed (or sent anything unasked) while the connection was idle. Checked before
    /// taking a slot, so a connection closed while idle costs no request.
    pub fn is_usable(&mut self) -> bool {
        if !self.reusable {
            return false;
        }
        // tokio answers WouldBlock without a system call unless the socket showed activity
        // since the last read, so this costs at most the read the next answer would have
        // started with.
        let mut probe = [0u8; 1];
        match self.stream.try_read(&mut probe) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => true,
            _ => {
                self.reusable = false;
                false
            }
        }
    }

    /// Sends the request in [`Connection::request_buf`] and reads its whole answer, within
    /// the timeout. After an error the connection is not usable.
    pub async fn exchange(&mut self) -> Result<Reply<'_>, ExchangeError> {
        self.reusable = false;
        self.deadline.as_mut().reset(tokio::time::Instant::now() + self.timeout);
        let Connection { stream, request, response, deadline, .. } = self;
        let message = tokio::select! {
            // The answer wins a tie with the deadline.
            biased;
            message = send_and_read(stream, request, response) => message?,
            () = deadline.as_mut() => return Err(ExchangeError::Timeout),
        };
        self.reusable = !message.head.close;
        Ok(self.response.reply(&message))
    }
}

async fn send_and_read(stream: &mut TcpStream, request: &[u8], response: &mut ResponseBuf) -> Result<Message, ExchangeError> {
    stream.write_all(request).await?;
    response.read_message(stream).await
}

/// One GET on a fresh connection, answered as JSON (discovery, before the run).
pub async fn get_json(target: &Target, path: &str, timeout: Duration) -> Result<serde_json::Value, crate::LoadgenError> {
    let failed = |e: String| crate::LoadgenError::Discovery(format!("GET {path}: {e}"));
    let mut connection = Connection::open(target, timeout).await.map_err(|e| crate::LoadgenError::Connect(format!("{}: {e}", target.addr)))?;
    let request = connection.request_buf();
    write_request_line(request, Method::Get, path, &target.host);
    write_body(request, Method::Get, b"");
    let reply = connection.exchange().await.map_err(|e| failed(e.to_string()))?;
    if !(200..300).contains(&reply.status) {
        return Err(failed(format!("HTTP {}: {}", reply.status, String::from_utf8_lossy(reply.body))));
    }
    serde_json::from_slice(reply.body).map_err(|e| failed(format!("not JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::task::{Context, Poll};
    use tokio::io::ReadBuf;
    use tokio::net::TcpListener;

    #[test]
    fn urls_are_plain_http_authorities() {
        assert_eq!(parse_url("http://127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(parse_url("http://localhost:8080/").unwrap(), "localhost:8080");
        assert_eq!(parse_url("http://[::1]:9000").unwrap(), "[::1]:9000");
        for bad in ["https://x:1", "127.0.0.1:8080", "http://", "http://h:1/api", "http://u@h:1", "http://h:1\r\nX: y", "http://h 1:2"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_are_one_flat_buffer() {
        let mut out = Vec::new();
        write_request_line(&mut out, Method::Post, "/api/v3/market/balances", "127.0.0.1:8080");
        write_header(&mut out, b"X-BTK-APIKEY", b"k");
        write_body(&mut out, Method::Post, b"{}");
        assert_eq!(out, b"POST /api/v3/market/balances HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-BTK-APIKEY: k\r\nContent-Length: 2\r\n\r\n{}");
        out.clear();
        write_request_line(&mut out, Method::Get, "/a?b=c", "h");
        write_body(&mut out, Method::Get, b"");
        assert_eq!(out, b"GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n");
    }

    /// A reader that hands out the given pieces, one per read, then end of stream.
    struct Pieces(VecDeque<Vec<u8>>);

    impl Pieces {
        fn new<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Pieces {
            Pieces(pieces.into_iter().map(<[u8]>::to_vec).collect())
        }

        fn byte_by_byte(bytes: &[u8]) -> Pieces {
            Pieces::new(bytes.chunks(1))
        }
    }

    impl AsyncRead for Pieces {
        fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            if let Some(mut piece) = self.0.pop_front() {
                let n = piece.len().min(buf.remaining());
                buf.put_slice(&piece[..n]);
                if n < piece.len() {
                    self.0.push_front(piece.split_off(n));
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    /// The answers read from `io` until it ends or fails: (status, body, Retry-After, close).
    async fn read_all(io: &mut Pieces, buf: &mut ResponseBuf) -> Vec<Result<(u16, String, Option<u64>, bool), String>> {
        let mut out = Vec::new();
        for _ in 0..10 {
            match buf.read_message(io).await {
                Ok(message) => {
                    let close = message.head.close;
                    let reply = buf.reply(&message);
                    out.push(Ok((reply.status, String::from_utf8_lossy(reply.body).into_owned(), reply.retry_after_s, close)));
                }
                Err(ExchangeError::Closed) if io.0.is_empty() && buf.start == buf.end => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    break;
                }
            }
        }
        out
    }

    async fn read_one(io: &mut Pieces) -> Result<(u16, String, Option<u64>, bool), String> {
        let mut buf = ResponseBuf::new();
        let mut all = read_all(io, &mut buf).await;
        assert!(all.len() <= 1, "{all:?}");
        all.pop().unwrap_or_else(|| Err("nothing".into()))
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{\"error\":0,\"result\":{}}\n";

    fn ok(body: &str) -> Result<(u16, String, Option<u64>, bool), String> {
        Ok((200, body.into(), None, false))
    }

    #[tokio::test]
    async fn a_normal_answer() {
        assert_eq!(read_one(&mut Pieces::new([OK])).await, ok("{\"error\":0,\"result\":{}}\n"));
        let busy = b"HTTP/1.1 503 Service Unavailable\r\nretry-after:  2 \r\nconnection: close\r\ncontent-length: 12\r\n\r\n{\"error\":90}";
        assert_eq!(read_one(&mut Pieces::new([&busy[..]])).await, Ok((503, r#"{"error":90}"#.into(), Some(2), true)));
        let no_body = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(read_one(&mut Pieces::new([&no_body[..]])).await, Ok((204, String::new(), None, false)));
    }

    #[tokio::test]
    async fn an_answer_split_across_many_reads() {
        assert_eq!(read_one(&mut Pieces::byte_by_byte(OK)).await, ok("{\"error\":0,\"result\":{}}\n"));
        let (head, body) = OK.split_at(40);
        assert_eq!(read_one(&mut Pieces::new([head, body])).await, ok("{\"error\":0,\"result\":{}}\n"));
    }

    #[tokio::test]
    async fn two_answers_in_one_read_keep_the_second() {
        let second = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 12\r\n\r\n{\"error\":30}";
        let both = [OK, &second[..]].concat();
        let mut io = Pieces::new([&both[..]]);
        let mut buf = ResponseBuf::new();
        let answers = read_all(&mut io, &mut buf).await;
        assert_eq!(answers, vec![ok("{\"error\":0,\"result\":{}}\n"), Ok((429, r#"{"error":30}"#.into(), Some(1), false))]);
        // And the second half of a third answer arriving with the tail of the second.
        let third = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        let (a, b) = third.split_at(10);
        let mut io = Pieces::new([&[OK, a].concat()[..], b]);
        assert_eq!(read_all(&mut io, &mut ResponseBuf::new()).await, vec![ok("{\"error\":0,\"result\":{}}\n"), ok("{}")]);
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded_in_place() {
        // Three chunks (one with an extension), then the last chunk and a trailer.
        let chunked = [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"5\r\n{\"err\r\nb;ext=1\r\nor\":0,\"x\":1\r\n1\r\n}\r\n",
            b"0\r\nX-Trailer: t\r\n\r\n",
        ]
        .concat();
        let chunked = &chunked[..];
        let expected = ok(r#"{"error":0,"x":1}"#);
        assert_eq!(read_one(&mut Pieces::new([chunked])).await, expected);
        assert_eq!(read_one(&mut Pieces::byte_by_byte(chunked)).await, expected);
        // Followed by a plain answer in the same read.
        let both = [chunked, OK].concat();
        let answers = read_all(&mut Pieces::new([&both[..]]), &mut ResponseBuf::new()).await;
        assert_eq!(answers, vec![expected, ok("{\"error\":0,\"result\":{}}\n")]);
        // Many tiny chunks: their framing (five times the data) is dropped as they are
        // decoded, so the buffer holds about the body, not the whole framed answer.
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let tiny = [&head[..], &b"1\r\na\r\n".repeat(200_000), b"0\r\n\r\n"].concat();
        let mut buf = ResponseBuf::new();
        let message = buf.read_message(&mut Pieces::new(tiny.chunks(8192))).await.unwrap();
        assert_eq!(buf.reply(&message).body, vec![b'a'; 200_000]);
        assert!(buf.buf.len() <= 256 * 1024, "{}", buf.buf.len());
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(read_one(&mut Pieces::new([&bad[..]])).await.unwrap_err().contains("chunk size"));
        let gzip = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n";
        assert!(read_one(&mut Pieces::new([&gzip[..]])).await.unwrap_err().contains("Transfer-Encoding"));
    }

    #[tokio::test]
    async fn oversized_answers_are_errors_not_memory() {
        let huge = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", MAX_BODY + 1);
        assert!(read_one(&mut Pieces::new([huge.as_bytes()])).await.unwrap_err().contains("limit"));
        // A head that never ends.
        let endless = [&b"HTTP/1.1 200 OK\r\n"[..], &b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(2000)].concat();
        assert!(read_one(&mut Pieces::new(endless.chunks(4096))).await.unwrap_err().contains("head larger"));
        // Chunks adding up to more than the bound, and a body that only ends at the close.
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "a".repeat(64 * 1024));
        let chunked = [&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..], &chunk.as_bytes().repeat(17)].concat();
        assert!(read_one(&mut Pieces::new(chunked.chunks(8192))).await.unwrap_err().contains("larger than"));
        let unbounded = [&b"HTTP/1.1 200 OK\r\n\r\n"[..], &vec![b'a'; MAX_BODY + 1]].concat();
        assert!(read_one(&mut Pieces::new(unbounded.chunks(8192))).await.unwrap_err().contains("larger than"));
        // Within the bounds, a big answer is read and its buffer given back afterwards.
        let big = [format!("HTTP/1.1 200 OK\r\nContent-Length: {MAX_BODY}\r\n\r\n").as_bytes(), &vec![b'b'; MAX_BODY]].concat();
        let mut buf = ResponseBuf::new();
        let mut io = Pieces::new(big.chunks(100_000).chain([OK]));
        let message = buf.read_message(&mut io).await.unwrap();
        assert_eq!(buf.reply(&message).body.len(), MAX_BODY);
        let message = buf.read_message(&mut io).await.unwrap();
        assert_eq!(buf.reply(&message).status, 200);
        assert_eq!(buf.buf.len(), INITIAL_READ_BUFFER);
    }

    #[tokio::test]
    async fn malformed_heads_are_errors() {
        for bad in [
            &b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"[..],
            b"HTTX/1.1 200 OK\r\n\r\n",
            b"200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        ] {
            let result = read_one(&mut Pieces::new([bad])).await;
            assert!(result.as_ref().is_err_and(|e| e.starts_with("bad answer")), "{}: {result:?}", String::from_utf8_lossy(bad));
        }
    }

    #[tokio::test]
    async fn a_close_mid_answer_is_an_error_and_a_close_delimited_body_is_not() {
        let (head_and_some, _) = OK.split_at(OK.len() - 5);
        assert_eq!(read_one(&mut Pieces::new([head_and_some])).await, Err(ExchangeError::Closed.to_string()));
        assert_eq!(read_one(&mut Pieces::new([&b"HTTP/1.1 200"[..]])).await, Err(ExchangeError::Closed.to_string()));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
        assert_eq!(read_one(&mut Pieces::new([&chunked[..]])).await, Err(ExchangeError::Closed.to_string()));
        // No length at all: the body is what comes before the close, and the connection ends.
        let until_close = b"HTTP/1.1 200 OK\r\n\r\n{\"error\":0}";
        assert_eq!(read_one(&mut Pieces::byte_by_byte(until_close)).await, Ok((200, r#"{"error":0}"#.into(), None, true)));
    }

    #[tokio::test]
    async fn interim_answers_are_skipped_and_http_1_0_closes() {
        let with_interim = [&b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"[..], OK].concat();
        assert_eq!(read_one(&mut Pieces::byte_by_byte(&with_interim)).await, ok("{\"error\":0,\"result\":{}}\n"));
        let old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(read_one(&mut Pieces::new([&old[..]])).await, Ok((200, "{}".into(), None, true)));
        let old_kept = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(read_one(&mut Pieces::new([&old_kept[..]])).await, ok("{}"));
    }

    /// A server that accepts one connection and answers its requests with `answers`, one per
    /// request (a request is whatever one read brings), then holds the connection open or
    /// closes it.
    async fn server(answers: Vec<&'static [u8]>, hold_open: bool) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for answer in answers {
                if stream.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                stream.write_all(answer).await.unwrap();
            }
            if hold_open {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
        Target { addr, host: addr.to_string() }
    }

    fn get(connection: &mut Connection) {
        let request = connection.request_buf();
        write_request_line(request, Method::Get, "/", "h");
        write_body(request, Method::Get, b"");
    }

    #[tokio::test]
    async fn a_connection_carries_answers_until_the_server_closes() {
        let closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
        let target = server(vec![OK, OK, closing], true).await;
        let mut connection = Connection::open(&target, Duration::from_secs(5)).await.unwrap();
        for _ in 0..2 {
            assert!(connection.is_usable());
            get(&mut connection);
            assert_eq!(connection.exchange().await.unwrap().status, 200);
        }
        get(&mut connection);
        assert_eq!(connection.exchange().await.unwrap().body, b"{}");
        assert!(!connection.is_usable(), "the server said it closes");
    }

    #[tokio::test]
    async fn a_connection_closed_while_idle_is_noticed_before_the_next_request() {
        let target = server(vec![OK], false).await;
        let mut connection = Connection::open(&target, Duration::from_secs(5)).await.unwrap();
        get(&mut connection);
        assert_eq!(connection.exchange().await.unwrap().status, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!connection.is_usable());
    }

    #[tokio::test]
    async fn an_idle_connection_stays_usable() {
        let target = server(vec![OK, OK], true).await;
        let mut connection = Connection::open(&target, Duration::from_secs(5)).await.unwrap();
        get(&mut connection);
        assert_eq!(connection.exchange().await.unwrap().status, 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(connection.is_usable());
        get(&mut connection);
        assert_eq!(connection.exchange().await.unwrap().status, 200);
    }

    #[tokio::test]
    async fn a_hung_server_times_out_and_a_closing_one_fails() {
        let target = server(vec![&b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"[..]], true).await;
        let mut connection = Connection::open(&target, Duration::from_millis(200)).await.unwrap();
        get(&mut connection);
        let started = std::time::Instant::now();
        let error = connection.exchange().await.unwrap_err();
        assert!(matches!(error, ExchangeError::Timeout), "{error}");
        assert_eq!(error.transport(), TransportError::Timeout);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(!connection.is_usable());

        let target = server(vec![&b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"[..]], false).await;
        let mut connection = Connection::open(&target, Duration::from_secs(5)).await.unwrap();
        get(&mut connection);
        let error = connection.exchange().await.unwrap_err();
        assert!(matches!(error, ExchangeError::Closed), "{error}");
        assert_eq!(error.transport(), TransportError::Connection);
    }
}
