//! The replication link between a primary and its standby, over TCP.
//!
//! ```text
//! standby ── Hello {next_seq, last_epoch, known_epoch} ─────────────▶ primary
//! standby ◀─ Welcome: Stream | Cut {from_seq} | Snapshot | Refused ── primary
//! standby ◀─ journal frames (talat-journal's replication stream) ──── primary   (Stream)
//! standby ── Ack {next_seq} after each local fdatasync ─────────────▶ primary
//! ```
//!
//! The handshake is where epochs fence: a standby whose last record is of epoch `e` but whose
//! journal runs past where `e` ended on the primary holds a deposed primary's tail, and is told
//! to cut it (`Cut`); a peer that knows a newer epoch than the primary's tells it so, and the
//! primary stops writing. A standby behind the primary's retained journal is sent the newest
//! snapshot and reconnects after it. Acknowledgements feed the primary's
//! [`talat_sequencer::ReplicaGate`], which holds back acknowledgements in synchronous mode.

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use talat_journal::storage::FsStorage;
use talat_journal::ReaderSource;
use talat_journal::{send_stream, SendOptions, SnapshotStore, StreamReceiver, TruncateReport};
use talat_sequencer::{datadir, FollowError, Node, NodeConfig, ReplayFault, ReplicaGate, SystemClock};

/// Version of the handshake; a peer speaking another is refused.
pub const LINK_VERSION: u16 = 1;
/// Largest handshake message: they are a few hundred bytes.
const MESSAGE_MAX_BYTES: usize = 64 * 1024;
/// An acknowledgement: the standby's durable end (u64) and a crc32c of it (u32), little-endian.
const ACK_BYTES: usize = 12;
/// Records the standby appends with one fdatasync, at most.
const FOLLOW_BATCH_RECORDS: usize = 512;
/// How long a handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// A write to the standby that takes longer than this ends the link.
const SEND_TIMEOUT_MS: u64 = 10_000;
/// The accept loop looks at its stop flag this often.
const ACCEPT_POLL_MS: u64 = 20;

/// The standby's opening message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub version: u16,
    pub node_id: String,
    /// One past the standby's last journal record.
    pub next_seq: u64,
    /// The epoch of its last record; `None` when its journal is empty.
    pub last_epoch: Option<u32>,
    /// The newest epoch it has heard of.
    pub known_epoch: u32,
}

/// The primary's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Welcome {
    /// The journal stream follows, from `start_seq`.
    Stream { start_seq: u64, epoch: u32, engine_json: String, primary_next_seq: u64 },
    /// Cut your journal from `from_seq` on (a deposed primary's tail), then reconnect.
    Cut { from_seq: u64, epoch: u32 },
    /// You are behind what the journal retains: the snapshot file of `seq` follows
    /// (`file_bytes` long); install it, start your journal after it, reconnect.
    Snapshot { seq: u64, file_bytes: u64, epoch: u32, engine_json: String },
    /// Not served, and why.
    Refused { reason: String, epoch: u32 },
}

fn write_message<T: Serialize>(out: &mut impl Write, message: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec(message).map_err(io::Error::other)?;
    assert!(bytes.len() <= MESSAGE_MAX_BYTES);
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(&bytes)?;
    out.flush()
}

fn read_message<T: for<'de> Deserialize<'de>>(input: &mut impl Read) -> io::Result<T> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MESSAGE_MAX_BYTES {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("handshake message of {len} bytes, above {MESSAGE_MAX_BYTES}")));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn encode_ack(next_seq: u64) -> [u8; ACK_BYTES] {
    let mut ack = [0u8; ACK_BYTES];
    ack[..8].copy_from_slice(&next_seq.to_le_bytes());
    let crc = crc32c::crc32c(&ack[..8]);
    ack[8..].copy_from_slice(&crc.to_le_bytes());
    ack
}

fn decode_ack(ack: &[u8; ACK_BYTES]) -> Option<u64> {
    let crc = u32::from_le_bytes(ack[8..].try_into().expect("4 bytes"));
    (crc == crc32c::crc32c(&ack[..8])).then(|| u64::from_le_bytes(ack[..8].try_into().expect("8 bytes")))
}

fn engine_json(data_dir: &Path) -> io::Result<String> {
    std::fs::read_to_string(data_dir.join(datadir::ENGINE_CONFIG_FILE))
}

// ---------------------------------------------------------------- primary side

/// What the primary's side of the link needs. Nothing here asks the sequencer thread: in
/// synchronous mode it may be waiting for the very standby that is connecting.
pub struct PrimaryLink {
    pub data_dir: PathBuf,
    /// From the node before it started ([`Node::reader_source`]).
    pub journal: ReaderSource<FsStorage>,
    /// The gate installed with [`Node::set_replication`]; it also carries the node's epochs.
    pub gate: Arc<ReplicaGate>,
}

/// One standby connection being served.
struct Serving {
    stop: Arc<AtomicBool>,
    socket: TcpStream,
    thread: std::thread::JoinHandle<()>,
}

impl Serving {
    fn end(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.socket.shutdown(Shutdown::Both);
        let _ = self.thread.join();
    }
}

/// Serves standbys on `listener` until `stop` is set. One standby at a time, and the newest
/// connection wins: a standby reconnecting after a silent break (a half-open connection the
/// primary cannot tell from an idle one) replaces its old link at once. Runs on its own thread.
pub fn serve_standbys(listener: TcpListener, link: PrimaryLink, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let link = Arc::new(link);
    std::thread::Builder::new()
        .name("talat-replication".into())
        .spawn(move || {
            listener.set_nonblocking(true).expect("a listening socket can be made non-blocking");
            let mut current: Option<Serving> = None;
            // Ends when stop is set; each pass accepts at most one connection.
            while !stop.load(Ordering::Acquire) {
                match listener.accept() {
                    Ok((socket, peer)) => {
                        if let Some(previous) = current.take() {
                            tracing::info!(%peer, "a new standby connection replaces the previous one");
                            previous.end();
                        }
                        let Ok(handle) = socket.try_clone() else {
                            continue;
                        };
                        let connection_stop = Arc::new(AtomicBool::new(false));
                        let (link, flag) = (Arc::clone(&link), Arc::clone(&connection_stop));
                        let thread = std::thread::Builder::new()
                            .name("talat-replication-send".into())
                            .spawn(move || {
                                if let Err(error) = serve_one(socket, &link, &flag) {
                                    tracing::warn!(%peer, %error, "replication link to the standby ended");
                                }
                            })
                            .expect("spawning a replication sender");
                        current = Some(Serving { stop: connection_stop, socket: handle, thread });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(ACCEPT_POLL_MS)),
                    Err(error) => {
                        tracing::warn!(%error, "accepting a standby failed");
                        std::thread::sleep(Duration::from_millis(ACCEPT_POLL_MS));
                    }
                }
            }
            if let Some(serving) = current.take() {
                serving.end();
            }
        })
        .expect("spawning the replication thread")
}

/// The primary's decision on a hello, from its epoch, the history of older epochs and its
/// journal span (pure).
pub fn answer(hello: &Hello, epoch: u32, epochs: &talat_journal::EpochHistory, span: talat_journal::SeqSpan) -> Answer {
    if hello.version != LINK_VERSION {
        return Answer::Refuse(format!("link version {} is not {LINK_VERSION}", hello.version));
    }
    let newest = hello.known_epoch.max(hello.last_epoch.unwrap_or(0));
    if newest > epoch {
        return Answer::Deposed(newest);
    }
    // An older epoch ended where the history says (its entries were final when this epoch
    // began); a standby in this very epoch holds only what this primary sent it, so one that
    // claims more is refused below, never cut: its records may be the only copy.
    if let Some(last_epoch) = hello.last_epoch.filter(|&e| e < epoch) {
        match epochs.end_of(last_epoch, span.next_seq) {
            Some(end) if hello.next_seq > end => return Answer::Cut(end),
            Some(_) => {}
            // Its epoch ended before what this journal retains: only a snapshot is safe.
            None => return Answer::Snapshot,
        }
    }
    if hello.next_seq < span.first_seq {
        return Answer::Snapshot;
    }
    if hello.next_seq > span.next_seq {
        return Answer::Refuse(format!(
            "the standby holds records up to {} of epoch {:?}, past this primary's end {}: it is not this exchange's standby",
            hello.next_seq - 1,
            hello.last_epoch,
            span.next_seq - 1
        ));
    }
    Answer::Stream(hello.next_seq)
}

/// See [`answer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Stream(u64),
    Cut(u64),
    Snapshot,
    /// The peer knows this newer epoch: this primary was deposed.
    Deposed(u32),
    Refuse(String),
}

fn serve_one(mut socket: TcpStream, link: &PrimaryLink, stop: &AtomicBool) -> io::Result<()> {
    socket.set_nodelay(true)?;
    socket.set_nonblocking(false)?;
    socket.set_read_timeout(Some(Duration::from_millis(HANDSHAKE_TIMEOUT_MS)))?;
    // A standby that stops reading (gone without a word) fails the sender's write instead of
    // blocking it forever.
    socket.set_write_timeout(Some(Duration::from_millis(SEND_TIMEOUT_MS)))?;
    let hello: Hello = read_message(&mut socket)?;
    let (epoch, epochs) = link.gate.epochs();
    let span = link.journal.span().map_err(io::Error::other)?;
    let answer = answer(&hello, epoch, &epochs, span);
    tracing::info!(standby = %hello.node_id, next_seq = hello.next_seq, last_epoch = ?hello.last_epoch, ?answer, "standby connected");
    match answer {
        Answer::Deposed(newer) => {
            link.gate.learn_epoch(newer);
            tracing::error!(epoch, newer, "a peer knows a newer epoch: this primary is deposed and writes nothing more");
            write_message(&mut socket, &Welcome::Refused { reason: format!("this primary's epoch {epoch} is older than {newer}: deposed"), epoch })
        }
        Answer::Refuse(reason) => write_message(&mut socket, &Welcome::Refused { reason, epoch }),
        Answer::Cut(from_seq) => write_message(&mut socket, &Welcome::Cut { from_seq, epoch }),
        Answer::Snapshot => {
            let store = SnapshotStore::open(datadir::snapshot_dir(&link.data_dir)).map_err(io::Error::other)?;
            let Some(&seq) = store.list_seqs().map_err(io::Error::other)?.last() else {
                return write_message(&mut socket, &Welcome::Refused { reason: "behind the journal and no snapshot to send".into(), epoch });
            };
            let bytes = store.file_bytes(seq).map_err(io::Error::other)?;
            let engine_json = engine_json(&link.data_dir)?;
            write_message(&mut socket, &Welcome::Snapshot { seq, file_bytes: bytes.len() as u64, epoch, engine_json })?;
            socket.write_all(&bytes)?;
            socket.flush()
        }
        Answer::Stream(start_seq) => {
            let mut reader = link.journal.read_from(start_seq).map_err(io::Error::other)?;
            write_message(&mut socket, &Welcome::Stream { start_seq, epoch, engine_json: engine_json(&link.data_dir)?, primary_next_seq: span.next_seq })?;
            socket.set_read_timeout(None)?;
            link.gate.standby_connected(start_seq);
            let ended = Arc::new(AtomicBool::new(false));
            let acks = spawn_ack_reader(socket.try_clone()?, Arc::clone(&link.gate), Arc::clone(&ended), start_seq);
            // Stops when the standby goes (the ack reader sets `ended`), or on our stop.
            let watcher_stop = Arc::clone(&ended);
            let sent = std::thread::scope(|scope| {
                scope.spawn(|| {
                    while !stop.load(Ordering::Acquire) && !watcher_stop.load(Ordering::Acquire) {
                        std::thread::sleep(Duration::from_millis(ACCEPT_POLL_MS));
                    }
                    watcher_stop.store(true, Ordering::Release);
                });
                let sent = send_stream(&mut reader, &socket, &ended, &SendOptions { idle_wait_ms: 20, last_seq: None });
                ended.store(true, Ordering::Release);
                sent
            });
            let _ = socket.shutdown(Shutdown::Both);
            let _ = acks.join();
            link.gate.standby_gone();
            let summary = sent.map_err(io::Error::other)?;
            tracing::info!(sent_records = summary.records, next_seq = summary.next_seq, end = ?summary.end, "replication stream ended");
            Ok(())
        }
    }
}

fn spawn_ack_reader(mut socket: TcpStream, gate: Arc<ReplicaGate>, ended: Arc<AtomicBool>, start_seq: u64) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("talat-replication-acks".into())
        .spawn(move || {
            let mut acked = start_seq;
            let mut ack = [0u8; ACK_BYTES];
            // Ends when the standby closes the connection or sends garbage.
            while socket.read_exact(&mut ack).is_ok() {
                match decode_ack(&ack) {
                    Some(next_seq) if next_seq >= acked => {
                        acked = next_seq;
                        gate.standby_acked(next_seq);
                    }
                    other => {
                        tracing::error!(?other, acked, "bad acknowledgement from the standby; dropping the link");
                        break;
                    }
                }
            }
            ended.store(true, Ordering::Release);
            let _ = socket.shutdown(Shutdown::Both);
        })
        .expect("spawning the acknowledgement reader")
}

// ---------------------------------------------------------------- standby side

/// What a standby is doing, for `/healthz` and the drills.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StandbyStatus {
    pub connected: bool,
    pub next_seq: u64,
    pub epoch: u32,
    pub primary_epoch: u32,
    /// The last tail this node cut as a deposed primary, exactly.
    pub last_cut: Option<TruncateReport>,
    pub last_error: Option<String>,
    pub snapshots_installed: u64,
    /// This standby has held everything its primary had when the current (or last) link
    /// began: only then may it take over without losing what the primary acknowledged.
    pub eligible: bool,
}

/// Shared between the standby loop and whoever may promote it.
#[derive(Default)]
pub struct StandbyControl {
    promote: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
    status: Mutex<StandbyStatus>,
}

impl StandbyControl {
    /// Asks the standby loop to stop following and hand its node back (for promotion).
    pub fn request_promotion(&self) {
        self.promote.store(true, Ordering::Release);
        if let Some(socket) = self.socket.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    fn promotion_requested(&self) -> bool {
        self.promote.load(Ordering::Acquire)
    }

    pub fn status(&self) -> StandbyStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut StandbyStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

/// How a standby runs.
#[derive(Clone, Debug)]
pub struct StandbyConfig {
    pub data_dir: PathBuf,
    pub node: NodeConfig,
    pub peer: SocketAddr,
    pub node_id: String,
    pub reconnect_ms: u64,
}

/// Why a standby stopped.
#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    /// The replicated state disagrees with a checkpoint (or a record does not apply): this
    /// copy cannot be trusted. Stop loudly.
    #[error("STANDBY STOPPED: replicated record {journal_seq} does not verify: {fault}")]
    Diverged { journal_seq: u64, fault: ReplayFault },
    #[error("standby: {0}")]
    Other(String),
}

/// Opens a standby's data directory. A journal with no segment continues right after the
/// newest snapshot (one installed from the primary).
pub fn open_standby_node(data_dir: &Path, config: &NodeConfig) -> Result<Node, String> {
    let mut config = config.clone();
    let journal_dir = datadir::journal_dir(data_dir);
    let has_segments =
        std::fs::read_dir(&journal_dir).map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("journal-"))).unwrap_or(false);
    if !has_segments {
        let snapshots = datadir::snapshot_dir(data_dir);
        if snapshots.exists() {
            let store = SnapshotStore::open(&snapshots).map_err(|e| e.to_string())?;
            if let Some(&seq) = store.list_seqs().map_err(|e| e.to_string())?.last() {
                config.journal.first_seq = seq + 1;
            }
        }
    }
    Node::open(data_dir, config, SystemClock).map_err(|e| format!("opening {}: {e}", data_dir.display()))
}

/// Writes the primary's `engine.json` into a new standby directory; an existing one must be
/// the same (the engine's bounds are part of the state).
fn adopt_engine_json(data_dir: &Path, primary_json: &str) -> Result<(), String> {
    let path = data_dir.join(datadir::ENGINE_CONFIG_FILE);
    match std::fs::read_to_string(&path) {
        Ok(ours) if ours == primary_json => Ok(()),
        Ok(_) => Err(format!("{} differs from the primary's: this directory belongs to another exchange", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, primary_json).map_err(|e| format!("{}: {e}", tmp.display()))?;
            std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
            std::fs::File::open(data_dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Follows the primary at `config.peer` until promotion is requested through `control`, then
/// returns the node (open, caught up with everything it received). Reconnects after any break.
pub fn run_standby(config: &StandbyConfig, control: &StandbyControl) -> Result<Node, StandbyError> {
    let other = StandbyError::Other;
    // The directory may be brand new: engine.json comes from the primary's first answer.
    let mut node: Option<Node> =
        if config.data_dir.join(datadir::ENGINE_CONFIG_FILE).exists() { Some(open_standby_node(&config.data_dir, &config.node).map_err(other)?) } else { None };
    let mut known_epoch = node.as_ref().map_or(0, |n| n.epoch());
    // Ends on promotion or a fatal error; each pass is one connection.
    loop {
        if control.promotion_requested() {
            return match node {
                Some(node) => Ok(node),
                None => Err(other("promotion requested before this standby received anything from a primary".into())),
            };
        }
        if let Some(node) = &node {
            let (next_seq, epoch) = (node.journal_span().next_seq, node.epoch());
            control.update(|s| {
                s.next_seq = next_seq;
                s.epoch = epoch;
            });
        }
        match connect_once(config, control, &mut node, &mut known_epoch) {
            Ok(()) => {}
            Err(ConnectEnd::Fatal(error)) => return Err(error),
            Err(ConnectEnd::Retry(reason)) => {
                control.update(|s| {
                    s.connected = false;
                    s.last_error = Some(reason.clone());
                });
                if !control.promotion_requested() {
                    tracing::debug!(%reason, "standby: reconnecting");
                    std::thread::sleep(Duration::from_millis(config.reconnect_ms));
                }
            }
        }
    }
}

enum ConnectEnd {
    Retry(String),
    Fatal(StandbyError),
}

fn connect_once(config: &StandbyConfig, control: &StandbyControl, node: &mut Option<Node>, known_epoch: &mut u32) -> Result<(), ConnectEnd> {
    let retry = |e: io::Error| ConnectEnd::Retry(e.to_string());
    let mut socket = TcpStream::connect_timeout(&config.peer, Duration::from_millis(1_000)).map_err(retry)?;
    socket.set_nodelay(true).map_err(retry)?;
    socket.set_read_timeout(Some(Duration::from_millis(HANDSHAKE_TIMEOUT_MS))).map_err(retry)?;
    *control.socket.lock().unwrap_or_else(|p| p.into_inner()) = Some(socket.try_clone().map_err(retry)?);
    if control.promotion_requested() {
        return Ok(());
    }
    let (next_seq, last_epoch) = match node {
        Some(node) => (node.journal_span().next_seq, node.epochs().last_epoch()),
        None => (1, None),
    };
    let hello = Hello { version: LINK_VERSION, node_id: config.node_id.clone(), next_seq, last_epoch, known_epoch: *known_epoch };
    write_message(&mut socket, &hello).map_err(retry)?;
    let welcome: Welcome = read_message(&mut socket).map_err(retry)?;
    let fatal = |e: String| ConnectEnd::Fatal(StandbyError::Other(e));
    match welcome {
        Welcome::Refused { reason, epoch } => {
            *known_epoch = (*known_epoch).max(epoch);
            tracing::error!(%reason, "the primary refused this standby");
            Err(ConnectEnd::Retry(format!("refused: {reason}")))
        }
        Welcome::Cut { from_seq, epoch } => {
            *known_epoch = (*known_epoch).max(epoch);
            if let Some(open) = node.take() {
                open.close().map_err(|e| fatal(e.to_string()))?;
            }
            let report = Node::cut_tail(&config.data_dir, &config.node, from_seq).map_err(|e| fatal(e.to_string()))?;
            tracing::warn!(
                from_seq = report.from_seq,
                records = report.records_cut,
                epochs = ?report.epochs,
                "deposed primary's tail cut: these records were never replicated (never acknowledged in synchronous mode)"
            );
            control.update(|s| s.last_cut = Some(report));
            *node = Some(open_standby_node(&config.data_dir, &config.node).map_err(fatal)?);
            Ok(())
        }
        Welcome::Snapshot { seq, file_bytes, epoch, engine_json } => {
            *known_epoch = (*known_epoch).max(epoch);
            if file_bytes > talat_journal::FRAME_MAX_BYTES as u64 * 64 {
                return Err(fatal(format!("a {file_bytes}-byte snapshot is larger than this standby accepts")));
            }
            let mut bytes = vec![0u8; file_bytes as usize];
            socket.set_read_timeout(None).map_err(retry)?;
            socket.read_exact(&mut bytes).map_err(retry)?;
            if let Some(open) = node.take() {
                open.close().map_err(|e| fatal(e.to_string()))?;
            }
            adopt_engine_json(&config.data_dir, &engine_json).map_err(fatal)?;
            install_snapshot(&config.data_dir, seq, &bytes).map_err(fatal)?;
            control.update(|s| s.snapshots_installed += 1);
            tracing::warn!(seq, "standby was behind the primary's journal: installed its snapshot");
            *node = Some(open_standby_node(&config.data_dir, &config.node).map_err(fatal)?);
            Ok(())
        }
        Welcome::Stream { start_seq, epoch, engine_json, primary_next_seq } => {
            *known_epoch = (*known_epoch).max(epoch);
            if node.is_none() {
                adopt_engine_json(&config.data_dir, &engine_json).map_err(fatal)?;
                *node = Some(open_standby_node(&config.data_dir, &config.node).map_err(fatal)?);
            }
            let node = node.as_mut().expect("opened above");
            assert_eq!(start_seq, node.journal_span().next_seq, "the primary streams from our end");
            socket.set_read_timeout(None).map_err(retry)?;
            control.update(|s| {
                s.connected = true;
                s.primary_epoch = epoch;
                s.last_error = None;
                s.eligible = start_seq >= primary_next_seq;
            });
            let mut ack_socket = socket.try_clone().map_err(retry)?;
            let mut receiver = StreamReceiver::new(socket).map_err(|e| ConnectEnd::Retry(e.to_string()))?;
            let mut on_durable = |next_seq: u64| {
                // A failed write means the link is gone; the stream's read will say so.
                let _ = ack_socket.write_all(&encode_ack(next_seq));
                control.update(|s| {
                    s.next_seq = next_seq;
                    s.eligible |= next_seq >= primary_next_seq;
                });
            };
            match node.follow_acking(&mut receiver, FOLLOW_BATCH_RECORDS, &mut on_durable) {
                Ok(_) => Err(ConnectEnd::Retry("the primary closed the stream".into())),
                Err(FollowError::Record { journal_seq, fault, .. }) => Err(ConnectEnd::Fatal(StandbyError::Diverged { journal_seq, fault })),
                Err(FollowError::Fatal(error)) => Err(fatal(error.to_string())),
                Err(error) => Err(ConnectEnd::Retry(error.to_string())),
            }
        }
    }
}

/// Replaces a standby's journal and snapshots with the primary's snapshot of `seq`: its
/// journal will start right after it.
fn install_snapshot(data_dir: &Path, seq: u64, bytes: &[u8]) -> Result<(), String> {
    let journal_dir = datadir::journal_dir(data_dir);
    if journal_dir.exists() {
        for entry in std::fs::read_dir(&journal_dir).map_err(|e| e.to_string())?.flatten() {
            if entry.file_name().to_string_lossy().starts_with("journal-") {
                std::fs::remove_file(entry.path()).map_err(|e| format!("{}: {e}", entry.path().display()))?;
            }
        }
        std::fs::File::open(&journal_dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())?;
    }
    let snapshot_dir = datadir::snapshot_dir(data_dir);
    std::fs::create_dir_all(&snapshot_dir).map_err(|e| e.to_string())?;
    let store = SnapshotStore::open(&snapshot_dir).map_err(|e| e.to_string())?;
    store.remove_from(0).map_err(|e| e.to_string())?;
    store.install_file(seq, bytes).map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use talat_journal::{EpochHistory, SeqSpan};

    fn history(starts: &[(u32, u64)]) -> EpochHistory {
        let mut history = EpochHistory::default();
        for &(epoch, seq) in starts {
            history.observe(epoch, seq);
        }
        history
    }

    fn hello(next_seq: u64, last_epoch: Option<u32>, known_epoch: u32) -> Hello {
        Hello { version: LINK_VERSION, node_id: "b".into(), next_seq, last_epoch, known_epoch }
    }

    #[test]
    fn the_primary_answers_each_kind_of_standby() {
        let epochs = history(&[(1, 1), (2, 50)]);
        let span = SeqSpan { first_seq: 1, next_seq: 80 };
        assert_eq!(answer(&hello(60, Some(2), 2), 2, &epochs, span), Answer::Stream(60));
        assert_eq!(answer(&hello(1, None, 0), 2, &epochs, span), Answer::Stream(1));
        // A deposed primary of epoch 1 wrote 50..69 that nobody else has.
        assert_eq!(answer(&hello(70, Some(1), 1), 2, &epochs, span), Answer::Cut(50));
        assert_eq!(answer(&hello(50, Some(1), 1), 2, &epochs, span), Answer::Stream(50));
        assert_eq!(answer(&hello(10, Some(3), 3), 2, &epochs, span), Answer::Deposed(3));
        assert_eq!(answer(&hello(10, Some(1), 4), 2, &epochs, span), Answer::Deposed(4));
        assert!(matches!(answer(&hello(90, Some(2), 2), 2, &epochs, span), Answer::Refuse(_)));
        let archived = SeqSpan { first_seq: 40, next_seq: 80 };
        assert_eq!(answer(&hello(20, Some(1), 1), 2, &history(&[(1, 40), (2, 50)]), archived), Answer::Snapshot);
        assert_eq!(answer(&hello(20, Some(0), 1), 2, &history(&[(1, 40), (2, 50)]), archived), Answer::Snapshot);
        let mut old = hello(60, Some(2), 2);
        old.version = 0;
        assert!(matches!(answer(&old, 2, &epochs, span), Answer::Refuse(_)));
    }

    #[test]
    fn acks_and_messages_round_trip_and_damage_is_seen() {
        assert_eq!(decode_ack(&encode_ack(42)), Some(42));
        let mut bad = encode_ack(42);
        bad[3] ^= 1;
        assert_eq!(decode_ack(&bad), None);
        let mut bytes = Vec::new();
        write_message(&mut bytes, &Welcome::Cut { from_seq: 9, epoch: 3 }).unwrap();
        assert_eq!(read_message::<Welcome>(&mut &bytes[..]).unwrap(), Welcome::Cut { from_seq: 9, epoch: 3 });
        let huge = (MESSAGE_MAX_BYTES as u32 + 1).to_le_bytes();
        assert!(read_message::<Welcome>(&mut &huge[..]).is_err());
    }
}
