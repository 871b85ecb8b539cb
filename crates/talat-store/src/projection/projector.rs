//! [`Projector`]: the background task that keeps the store up with the engine, off the
//! matching path.
//!
//! The sequencer's publisher hands each applied batch to [`ProjectorHandle::send`]. The task
//! takes whatever has queued up (up to [`MAX_COMMANDS_PER_TX`] commands) and projects it in one
//! transaction, so the store's cost per command falls as load rises.
//!
//! **Back-pressure.** The queue holds `capacity` batches. When it is full, `send` blocks its
//! caller — the sequencer thread — until the projector catches up: the store falls behind by a
//! bounded amount, never by unbounded memory.
//!
//! **Failure.** A projection error is logged at `error` level and stops the projector: it
//! stops receiving (later sends fail at once), and the error is kept in the handle
//! ([`ProjectorHandle::failure`], returned by `send` and `wait_for`). Nothing is retried or
//! skipped: the store stays at the last committed seq, consistent, and a restart resumes from
//! there (crash rather than corrupt).

use crate::error::StoreError;
use crate::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use talat_core::{Applied, Event, Input, Seq};
use tokio::sync::{mpsc, watch, Notify};

/// Most commands coalesced into one transaction: bounds the transaction's size and latency.
pub const MAX_COMMANDS_PER_TX: usize = 8_192;

#[derive(Clone, Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error("the projector failed: {0}")]
    Failed(Arc<StoreError>),
    #[error("the projector has stopped")]
    Stopped,
}

#[derive(Clone, Debug, Default)]
struct Status {
    seq: Seq,
    failure: Option<Arc<StoreError>>,
}

pub struct Projector;

impl Projector {
    /// Starts the projector task on the current tokio runtime (call from within one).
    /// `capacity` (at least 1) is how many batches may wait before `send` blocks.
    pub fn spawn(store: Store, capacity: usize) -> ProjectorHandle {
        Projector::spawn_on(store, capacity, &tokio::runtime::Handle::current())
    }

    /// [`Projector::spawn`] on the given runtime (for instance one whose thread runs at a low
    /// priority, so projection never competes with request handling).
    pub fn spawn_on(store: Store, capacity: usize, runtime: &tokio::runtime::Handle) -> ProjectorHandle {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (status_tx, status_rx) = watch::channel(Status::default());
        let stop = Arc::new(Notify::new());
        runtime.spawn(run(store, rx, status_tx, stop.clone()));
        ProjectorHandle { tx, status: status_rx, stop, demand: Arc::new(AtomicBool::new(false)) }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Arc<Vec<Applied>>>, status: watch::Sender<Status>, stop: Arc<Notify>) {
    let fail = |e: StoreError, status: &watch::Sender<Status>| {
        tracing::error!(error = %e, "query store projection failed; the projector stops (the store stays at its last committed seq)");
        status.send_modify(|s| s.failure = Some(Arc::new(e)));
    };
    match store.projected_seq().await {
        Ok(seq) => status.send_modify(|s| s.seq = seq),
        Err(e) => return fail(e, &status),
    }
    loop {
        let first = tokio::select! {
            biased;
            batch = rx.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
            // Closing keeps what is queued receivable: it is drained and projected, then recv
            // answers None.
            _ = stop.notified() => {
                rx.close();
                continue;
            }
        };
        let mut commands = first.len();
        let mut batches = vec![first];
        while commands < MAX_COMMANDS_PER_TX {
            match rx.try_recv() {
                Ok(batch) => {
                    commands += batch.len();
                    batches.push(batch);
                }
                Err(_) => break,
            }
        }
        match store.project_all(batches.iter().flat_map(|b| b.iter())).await {
            Ok(seq) => status.send_modify(|s| s.seq = seq),
            Err(e) => {
                // Stop receiving first, so that senders fail instead of filling the queue.
                rx.close();
                return fail(e, &status);
            }
        }
    }
}

/// The sending and waiting side of a running [`Projector`]. Clones share the one projector.
#[derive(Clone)]
pub struct ProjectorHandle {
    tx: mpsc::Sender<Arc<Vec<Applied>>>,
    status: watch::Receiver<Status>,
    stop: Arc<Notify>,
    /// Set by a reader that waits for a seq not yet projected; a feeder that holds commands
    /// back to build larger transactions flushes at once when it sees it.
    demand: Arc<AtomicBool>,
}

impl ProjectorHandle {
    /// True once since a reader last began waiting for the store (clears the mark). A feeder
    /// that batches by time calls this to learn that someone is waiting on its batch.
    pub fn take_demand(&self) -> bool {
        self.demand.load(Ordering::Relaxed) && self.demand.swap(false, Ordering::AcqRel)
    }

    fn stopped(&self) -> ProjectorError {
        match self.failure() {
            Some(e) => ProjectorError::Failed(e),
            None => ProjectorError::Stopped,
        }
    }

    /// Queues a batch, blocking while the queue is full (the module's back-pressure). For
    /// threads outside the async runtime, such as the sequencer's publisher: it panics if
    /// called from async code (use [`ProjectorHandle::send_async`] there).
    pub fn send(&self, batch: Arc<Vec<Applied>>) -> Result<(), ProjectorError> {
        self.tx.blocking_send(batch).map_err(|_| self.stopped())
    }

    /// [`ProjectorHandle::send`] for async callers: waits for room instead of blocking.
    pub async fn send_async(&self, batch: Arc<Vec<Applied>>) -> Result<(), ProjectorError> {
        self.tx.send(batch).await.map_err(|_| self.stopped())
    }

    /// The seq the store has committed up to (0 until the projector has read it).
    pub fn projected_seq(&self) -> Seq {
        self.status.borrow().seq
    }

    /// Why the projector stopped, if it failed.
    pub fn failure(&self) -> Option<Arc<StoreError>> {
        self.status.borrow().failure.clone()
    }

    /// Waits until the store has projected `seq` (read-your-writes for a client whose command
    /// was acknowledged at `seq`). Fails if the projector stops first.
    pub async fn wait_for(&self, seq: Seq) -> Result<(), ProjectorError> {
        let mut status = self.status.clone();
        if status.borrow().seq < seq {
            self.demand.store(true, Ordering::Release);
        }
        let reached = status.wait_for(|s| s.seq >= seq || s.failure.is_some()).await.map(|s| s.failure.clone());
        match reached {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(ProjectorError::Failed(e)),
            Err(_) if status.borrow().seq >= seq => Ok(()),
            Err(_) => Err(self.stopped()),
        }
    }

    /// Stops taking batches, projects what is queued, and waits for the task to end. Returns
    /// the final projected seq, or the failure that stopped it.
    pub async fn shutdown(&self) -> Result<Seq, ProjectorError> {
        self.stop.notify_one();
        let mut status = self.status.clone();
        while status.changed().await.is_ok() {}
        let last = status.borrow().clone();
        match last.failure {
            Some(e) => Err(ProjectorError::Failed(e)),
            None => Ok(last.seq),
        }
    }
}

/// Feeds a projector from a replay (`talat_sequencer::offline::replay_since`) in batches of
/// `every` commands, so catching up after a restart costs one transaction per batch rather than
/// one per command. Commands the store already has are skipped by the projection itself, so the
/// replay may safely start earlier than the projected seq.
///
/// Send live batches only after `finish` (queue them until then): a live batch that reaches
/// the projector ahead of the replayed commands before it is a gap, and stops the projector.
///
/// `push` blocks like [`ProjectorHandle::send`]: run the replay on a thread outside the async
/// runtime (e.g. `spawn_blocking`). `push` cannot fail (the replay callback returns nothing): the
/// first error is kept, later commands are dropped, and [`Catchup::finish`] returns it.
pub struct Catchup<'h> {
    handle: &'h ProjectorHandle,
    every: usize,
    buf: Vec<Applied>,
    last_seq: Option<Seq>,
    error: Option<ProjectorError>,
}

impl<'h> Catchup<'h> {
    pub fn new(handle: &'h ProjectorHandle, every: usize) -> Catchup<'h> {
        let every = every.clamp(1, MAX_COMMANDS_PER_TX);
        Catchup { handle, every, buf: Vec::with_capacity(every), last_seq: None, error: None }
    }

    /// Buffers one replayed command; sends the buffer once it holds `every` commands.
    pub fn push(&mut self, input: &Input, events: &[Event]) {
        if self.error.is_some() {
            return;
        }
        self.buf.push(Applied { input: input.clone(), events: events.to_vec() });
        self.last_seq = Some(input.seq);
        if self.buf.len() >= self.every {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() || self.error.is_some() {
            return;
        }
        let batch = std::mem::replace(&mut self.buf, Vec::with_capacity(self.every));
        if let Err(e) = self.handle.send(Arc::new(batch)) {
            self.error = Some(e);
        }
    }

    /// Sends what is buffered. Returns the last seq pushed (`None` if none was): wait for it with
    /// [`ProjectorHandle::wait_for`].
    pub fn finish(mut self) -> Result<Option<Seq>, ProjectorError> {
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.last_seq),
        }
    }
}
