//! `talat sequencer-driver`: the real sequencer behind a small framed TCP protocol on loopback
//! (see [`crate::wire`]). It exists so that the real-crash test can run the real process, load it,
//! kill it with SIGKILL and check what survived — until the HTTP gateway takes its place.
//!
//! One thread per connection reads requests and submits them; a second one waits for each
//! ticket in order and writes the response. Everything is bounded: connections, requests in
//! flight per connection, frame sizes. A fatal journal error ends the process (the sequencer
//! stops; `run` returns and the binary exits non-zero).

use crate::wire::{self, Reply, Request, Response};
use std::io::{BufReader, BufWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use talat_sequencer::{Lane, Node, NodeConfig, OpenError, RecoveryInfo, SequencerConfig, SequencerHandle, StopReason, SubmitError, SystemClock, Ticket};

/// Requests one connection may have in flight before its reader waits for the writer.
const IN_FLIGHT_PER_CONNECTION: usize = 4_096;

pub struct DriverOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub node: NodeConfig,
    pub sequencer: SequencerConfig,
    pub max_connections: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("--listen {0}: the driver only listens on a loopback address (127.0.0.1 or ::1)")]
    NotLoopback(SocketAddr),
    #[error("recovery of {}: {source}", dir.display())]
    Open {
        dir: PathBuf,
        #[source]
        source: Box<OpenError>,
    },
    #[error("listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Recovers the data directory, starts the sequencer, listens, calls `ready` (with what recovery
/// did and the address bound), then serves until the sequencer stops; returns why it stopped.
pub fn run(options: DriverOptions, ready: impl FnOnce(&RecoveryInfo, SocketAddr)) -> Result<StopReason, DriverError> {
    if !options.listen.ip().is_loopback() {
        return Err(DriverError::NotLoopback(options.listen));
    }
    assert!(options.max_connections >= 1);
    let node = Node::open(&options.data_dir, options.node, SystemClock)
        .map_err(|source| DriverError::Open { dir: options.data_dir.clone(), source: Box::new(source) })?;
    let recovery = node.recovery().clone();
    let sequencer = node.start(options.sequencer);
    let listener = TcpListener::bind(options.listen).map_err(|source| DriverError::Listen { address: options.listen, source })?;
    let address = listener.local_addr().map_err(|source| DriverError::Listen { address: options.listen, source })?;
    ready(&recovery, address);
    let handle = sequencer.handle();
    let max_connections = options.max_connections;
    std::thread::Builder::new()
        .name("talat-driver-accept".into())
        .spawn(move || accept(listener, handle, max_connections))
        .expect("spawning the accept thread");
    // The driver never asks the sequencer to stop: it runs until killed or a fatal error.
    Ok(match sequencer.join() {
        Ok(_) => StopReason::Shutdown,
        Err(reason) => reason,
    })
}

fn accept(listener: TcpListener, handle: SequencerHandle, max_connections: usize) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if active.load(Ordering::Acquire) >= max_connections {
            tracing::warn!("connection refused: {max_connections} connections already open");
            continue; // dropping the stream closes it
        }
        active.fetch_add(1, Ordering::AcqRel);
        let (handle, active) = (handle.clone(), Arc::clone(&active));
        let spawned = std::thread::Builder::new().name("talat-driver-conn".into()).spawn(move || {
            if let Err(error) = serve(stream, &handle) {
                tracing::debug!(%error, "connection ended");
            }
            active.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            tracing::error!("could not spawn a connection thread");
        }
    }
}

type Pending = (u64, Result<Ticket, Reply>);

fn serve(stream: TcpStream, handle: &SequencerHandle) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (tx, rx): (SyncSender<Pending>, Receiver<Pending>) = mpsc::sync_channel(IN_FLIGHT_PER_CONNECTION);
    let write_half = stream.try_clone()?;
    let writer = std::thread::Builder::new().name("talat-driver-write".into()).spawn(move || respond(write_half, rx))?;
    let mut input = BufReader::new(stream);
    // Ends when the client closes the connection or sends garbage.
    while let Some(request) = wire::read_frame::<Request>(&mut input, wire::REQUEST_MAX_BYTES)? {
        let pending = match Lane::from_index(request.lane as usize) {
            None => Err(Reply::Refused { reason: format!("no lane {}", request.lane) }),
            Some(lane) => match handle.submit(request.command, lane) {
                Ok(ticket) => Ok(ticket),
                Err(SubmitError::Busy { lane, .. }) => Err(Reply::Busy { lane: lane.index() as u8 }),
                Err(SubmitError::Stopped(reason)) => Err(Reply::NotAcknowledged { reason: reason.to_string() }),
                Err(other) => Err(Reply::Refused { reason: other.to_string() }),
            },
        };
        if tx.send((request.id, pending)).is_err() {
            break; // the writer is gone: the client stopped reading
        }
    }
    drop(tx);
    let _ = writer.join();
    Ok(())
}

fn respond(stream: TcpStream, rx: Receiver<Pending>) {
    let mut out = BufWriter::new(stream);
    // Ends when the reader side hangs up and everything pending is answered. Responses are
    // buffered and flushed only before the writer would block, so a pipelined burst goes out
    // in few writes without ever holding an answer back while waiting.
    loop {
        let (id, pending) = match rx.try_recv() {
            Ok(next) => next,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                if out.flush().is_err() {
                    return;
                }
                match rx.recv() {
                    Ok(next) => next,
                    Err(_) => break,
                }
            }
        };
        let reply = match pending {
            Err(reply) => reply,
            Ok(ticket) => {
                if !ticket.is_ready() && out.flush().is_err() {
                    return;
                }
                match ticket.wait() {
                    Ok(outcome) => Reply::Acknowledged { seq: outcome.seq, journal_seq: outcome.journal_seq, ts_ms: outcome.ts_ms, events: outcome.events },
                    Err(not_acknowledged) => Reply::NotAcknowledged { reason: not_acknowledged.reason.to_string() },
                }
            }
        };
        if wire::write_frame(&mut out, &Response { id, reply }, wire::RESPONSE_MAX_BYTES).is_err() {
            return;
        }
    }
    let _ = out.flush();
}
